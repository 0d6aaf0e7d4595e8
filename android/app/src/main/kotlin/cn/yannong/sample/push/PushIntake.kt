package cn.yannong.sample.push

import android.content.Context
import android.content.Intent
import android.os.Build
import android.os.Looper
import android.util.Log
import cn.yannong.PushPayloads
import cn.yannong.PushVendors
import cn.yannong.ffi.PushChannel
import cn.yannong.ffi.PushOutcome
import cn.yannong.ffi.YannongException
import cn.yannong.sample.graph
import cn.yannong.sample.work.CatchUpWorker
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking

/**
 * Where every push receiver hands what it got, unchanged (built with `PushPayloads`): the core
 * verifies it, stores it once and plans the notification, which is carried out here; a gap or
 * a "catch up" hint starts the catch-up job.
 */
object PushIntake {
    private const val TAG = "PushIntake"

    /**
     * Hands [payload] of [channel] to the core. On a vendor SDK's worker thread this waits for
     * the core (a local check and write, milliseconds), so the process is not let go before
     * the alarm is stored and shown; on the main thread it goes on in the background.
     */
    fun deliver(context: Context, payload: ByteArray, channel: PushChannel) {
        val app = context.applicationContext
        if (Looper.myLooper() == Looper.getMainLooper()) {
            app.graph.scope.launch { handle(app, payload, channel) }
        } else {
            runBlocking { handle(app, payload, channel) }
        }
    }

    /**
     * A launch of the app by a tapped OPPO or vivo notification, which hands the event over in
     * the intent's extras (every string extra, as a JSON object). Returns whether [intent] was
     * such a tap, so the app can open the alarm inbox.
     */
    fun takeTap(context: Context, intent: Intent): Boolean {
        val channel = PushVendors.tapChannel(Build.MANUFACTURER, Build.BRAND) ?: return false
        // Reopened from the recent apps, the intent still holds an old tap's extras.
        if (intent.flags and Intent.FLAG_ACTIVITY_LAUNCHED_FROM_HISTORY != 0) return false
        val extras = intent.extras ?: return false
        if (!PushVendors.carriesAlarm(extras.keySet())) return false
        val data = extras.keySet().mapNotNull { key -> extras.getString(key)?.let { key to it } }.toMap()
        deliver(context, PushPayloads.fromDataMap(data), channel)
        return true
    }

    suspend fun handle(context: Context, payload: ByteArray, channel: PushChannel) {
        val graph = context.graph
        try {
            when (val outcome = graph.alarms().onPush(payload, channel)) {
                is PushOutcome.New -> {
                    graph.notifier.carryOut(outcome.notification)
                    if (outcome.gap) CatchUpWorker.runNow(context)
                }
                is PushOutcome.CatchUpNeeded -> CatchUpWorker.runNow(context)
                PushOutcome.Duplicate -> Unit // another channel was faster
            }
        } catch (e: YannongException) {
            // Forged, foreign, stale, unreadable, or nobody logged in: nothing was stored. The
            // payload itself is never logged.
            Log.w(TAG, "$channel push not taken: ${e.javaClass.simpleName}")
        }
    }
}
