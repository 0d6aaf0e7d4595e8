package cn.yannong.sample

import android.app.ActivityManager
import android.app.Application
import android.os.Build
import android.os.Process
import android.util.Log
import cn.yannong.AlarmCenter
import cn.yannong.YannongLog
import cn.yannong.androidPriority
import cn.yannong.ffi.LogLevel
import cn.yannong.sample.push.PushSetup
import cn.yannong.sample.work.CatchUpWorker

/**
 * Opens the core once per process ([AppGraph]) and prepares what must exist before the first
 * alarm arrives: the notification channels, the periodic catch-up and the push SDKs.
 */
class YannongApp : Application() {

    lateinit var graph: AppGraph
        private set

    override fun onCreate() {
        super.onCreate()
        // Some push SDKs run services in processes of their own, which start this class too.
        // Only the main process opens the database (one writer per file) and starts the SDKs;
        // all of this app's components run there.
        if (!isMainProcess()) return
        // The core's lines go to Logcat; it never logs tokens, passwords or payloads.
        YannongLog.install(LogLevel.INFO) { r -> Log.println(r.level.androidPriority, "Yannong", r.message) }
        graph = AppGraph(this)
        // Android fixes a channel's sound and vibration when it is created, so this happens
        // before any push can be shown.
        graph.notifier.createChannels(AlarmCenter.notificationChannels())
        CatchUpWorker.schedulePeriodic(this)
        PushSetup.start(this)
    }

    private fun isMainProcess(): Boolean {
        val name = if (Build.VERSION.SDK_INT >= 28) {
            Application.getProcessName()
        } else {
            val pid = Process.myPid()
            getSystemService(ActivityManager::class.java)?.runningAppProcesses
                ?.firstOrNull { it.pid == pid }?.processName
        }
        return name == null || name == packageName
    }
}
