package cn.yannong.sample.work

import android.content.Context
import android.util.Log
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import androidx.work.workDataOf
import cn.yannong.ffi.YannongException
import cn.yannong.sample.graph
import cn.yannong.sample.push.PushTokens
import cn.yannong.userMessage
import java.time.Instant
import java.util.concurrent.TimeUnit

/**
 * What makes a lost push cost minutes, never the alarm (docs/push.md): fetches the events the
 * push channels missed ([cn.yannong.AlarmCenter.catchUp], stored quietly), sends the
 * acknowledgements still waiting, runs the phone's own watchdog (a silent barn or platform)
 * and registers push tokens the platform has not seen. Runs every 15 minutes, with or without
 * a network (the watchdog matters most when the phone is cut off: catch-up then just fails),
 * and once more as soon as there is a network when a push reports a gap.
 */
class CatchUpWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {

    override suspend fun doWork(): Result {
        val graph = applicationContext.graph
        val alarms = try {
            if (!graph.loggedIn()) return Result.success() // nothing to catch up for nobody
            graph.alarms()
        } catch (e: YannongException) {
            Log.w(TAG, "alarms unavailable: ${e.userMessage}")
            return Result.failure()
        }

        val caughtUp = try {
            alarms.catchUp()
            true
        } catch (e: YannongException.Unauthorized) {
            return Result.success() // logged out meanwhile
        } catch (e: YannongException) {
            Log.i(TAG, "catch-up failed: ${e.userMessage}")
            false
        }

        try {
            alarms.flushAcks().nextTryAt?.let { scheduleAt(applicationContext, it) }
        } catch (e: YannongException) {
            Log.i(TAG, "acknowledgements not sent: ${e.userMessage}")
        }

        try {
            alarms.watchdog().forEach { graph.notifier.carryOut(it.notification) }
        } catch (e: YannongException) {
            Log.w(TAG, "watchdog failed: ${e.userMessage}")
        }

        PushTokens.registerPending(applicationContext)

        // The periodic run comes back by itself; a one-off after a gap retries with backoff.
        return if (caughtUp || inputData.getBoolean(KEY_PERIODIC, false)) Result.success() else Result.retry()
    }

    companion object {
        private const val TAG = "CatchUpWorker"
        private const val KEY_PERIODIC = "periodic"
        private const val PERIODIC = "alarm-catch-up"
        private const val NOW = "alarm-catch-up-now"
        private const val LATER = "alarm-catch-up-later"

        private val network = Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build()

        /**
         * Every 15 minutes (WorkManager's shortest period). No network constraint: offline is
         * when the watchdog's "no word from the platform" alarm is needed.
         */
        fun schedulePeriodic(context: Context) {
            val request = PeriodicWorkRequestBuilder<CatchUpWorker>(15, TimeUnit.MINUTES)
                .setInputData(workDataOf(KEY_PERIODIC to true))
                .build()
            WorkManager.getInstance(context)
                .enqueueUniquePeriodicWork(PERIODIC, ExistingPeriodicWorkPolicy.KEEP, request)
        }

        /** Once, as soon as there is a network: a push said events are missing. */
        fun runNow(context: Context) {
            val request = OneTimeWorkRequestBuilder<CatchUpWorker>().setConstraints(network).build()
            // One pending run fetches everything missing, however many pushes asked for it.
            WorkManager.getInstance(context).enqueueUniqueWork(NOW, ExistingWorkPolicy.KEEP, request)
        }

        /** Once at [at]: when the core wants the waiting acknowledgements tried again. */
        private fun scheduleAt(context: Context, at: Instant) {
            val delayMs = (at.toEpochMilli() - System.currentTimeMillis()).coerceAtLeast(0L)
            val request = OneTimeWorkRequestBuilder<CatchUpWorker>()
                .setConstraints(network)
                .setInitialDelay(delayMs, TimeUnit.MILLISECONDS)
                .build()
            // Appended rather than replaced: this may be that very run, which must not cancel itself.
            WorkManager.getInstance(context).enqueueUniqueWork(LATER, ExistingWorkPolicy.APPEND_OR_REPLACE, request)
        }
    }
}
