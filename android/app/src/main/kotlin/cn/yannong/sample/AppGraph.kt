package cn.yannong.sample

import android.app.Application
import android.content.Context
import cn.yannong.AlarmCenter
import cn.yannong.BarnMonitor
import cn.yannong.KeystoreSecureStore
import cn.yannong.LessonDownloads
import cn.yannong.LessonLibrary
import cn.yannong.YannongClient
import cn.yannong.sample.notify.Notifier
import java.io.File
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.async

/**
 * The app's one instance of each core object, opened once per process in the background and
 * shared by screens, push receivers and workers. Each accessor suspends until its object is
 * open and rethrows what went wrong opening it (a full disk, a damaged database, keys missing
 * from the build), so each screen shows the reason.
 *
 * Nothing here is closed: they live as long as the process.
 */
class AppGraph(private val app: Application) {

    /** Work that must outlive a screen: pushes, acknowledgements, the last reading progress. */
    val scope: CoroutineScope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    val notifier: Notifier = Notifier(app)

    private val client: Deferred<YannongClient> = scope.async {
        YannongClient.open(File(app.filesDir, "yannong"))
    }

    private val monitor: Deferred<BarnMonitor> = scope.async {
        client.await().barns(BuildConfig.PLATFORM_URL, KeystoreSecureStore(app))
    }

    private val alarmCenter: Deferred<AlarmCenter> = scope.async {
        monitor.await().alarms(keys(BuildConfig.ALARM_KEYS))
    }

    private val library: Deferred<LessonLibrary> = scope.async {
        client.await().lessons(keys(BuildConfig.LESSON_KEYS))
    }

    suspend fun client(): YannongClient = client.await()

    suspend fun barns(): BarnMonitor = monitor.await()

    suspend fun alarms(): AlarmCenter = alarmCenter.await()

    suspend fun lessons(): LessonLibrary = library.await()

    /** Lesson downloads from the platform; the caller closes it when its download is done. */
    suspend fun lessonDownloads(): LessonDownloads = lessons().downloads(BuildConfig.PLATFORM_URL)

    /** Whether somebody is logged in to the barn platform (alarms and barns need it). */
    suspend fun loggedIn(): Boolean = barns().session() != null

    private fun keys(list: String): List<String> =
        list.split(',').map { it.trim() }.filter { it.isNotEmpty() }
}

/** The graph of the running app, from any context. */
val Context.graph: AppGraph
    get() = (applicationContext as YannongApp).graph
