package cn.yannong.sample.notify

import android.app.PendingIntent
import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import android.util.Log
import cn.yannong.ffi.YannongException
import cn.yannong.sample.graph
import cn.yannong.userMessage
import kotlinx.coroutines.launch

/**
 * The "acknowledge" (确认) button of an alarm notification. The core saves the press at once
 * and sends it now or with the next catch-up, so the receiver only waits for the save; the
 * notification changes when the platform's "acknowledged" event comes back.
 */
class AckReceiver : BroadcastReceiver() {

    override fun onReceive(context: Context, intent: Intent) {
        val alarmId = intent.getLongExtra(EXTRA_ALARM_ID, -1L).takeIf { it >= 0 } ?: return
        val graph = context.graph
        val pending = goAsync()
        graph.scope.launch {
            try {
                graph.alarms().acknowledge(alarmId)
            } catch (e: YannongException) {
                Log.w(TAG, "acknowledging alarm $alarmId failed: ${e.userMessage}")
            } finally {
                pending.finish()
            }
        }
    }

    companion object {
        private const val TAG = "AckReceiver"
        private const val EXTRA_ALARM_ID = "cn.yannong.sample.ALARM_ID"

        /** The button's intent for [alarmId], unique per notification [tag]. */
        fun intent(context: Context, alarmId: Long, tag: String): PendingIntent = PendingIntent.getBroadcast(
            context,
            tag.hashCode(),
            Intent(context, AckReceiver::class.java).putExtra(EXTRA_ALARM_ID, alarmId),
            PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT,
        )
    }
}
