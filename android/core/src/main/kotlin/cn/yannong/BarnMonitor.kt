package cn.yannong

import cn.yannong.ffi.BarnCurve
import cn.yannong.ffi.BarnPicture
import cn.yannong.ffi.BarnPictureInfo
import cn.yannong.ffi.BarnStatus
import cn.yannong.ffi.BarnSummary
import cn.yannong.ffi.BarnWatchEvent
import cn.yannong.ffi.BarnWatchListener
import cn.yannong.ffi.Barns
import cn.yannong.ffi.CureAnalysis
import cn.yannong.ffi.PlatformSession
import cn.yannong.ffi.PlatformUser
import cn.yannong.ffi.SecureStore
import cn.yannong.ffi.SyncSummary
import cn.yannong.ffi.YannongException
import java.time.Duration
import java.time.Instant
import java.util.concurrent.ConcurrentHashMap
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.withContext

/**
 * Remote barn monitoring ("烘烤科学家"): log in to the barn platform, sync its barns into the
 * local database, read them offline, watch one barn live.
 *
 * Everything a screen shows comes from the local database, so it works with no signal; show
 * [PlatformSession.syncedAt] as "last updated" beside it. Get one from [YannongClient.barns].
 *
 * ```kotlin
 * val monitor = client.barns("https://barns.example.cn", KeystoreSecureStore(context))
 * monitor.login("13800000001", password)
 * lifecycleScope.launch {
 *     monitor.overviewFlow().collect { snapshot -> adapter.submit(snapshot.barns) }
 * }
 * monitor.curve(barnId, points = chart.width)?.let(chart::draw)   // null: the barn has no cure
 * monitor.watch(barnId).collect { event -> if (event is BarnWatchEvent.Reading) chart.add(event.reading) }
 * ```
 *
 * The screens' data ([overview], [curve], [analysis], [pictures]) is read from the local
 * database only; [picture] downloads a picture once and then keeps it in a size-capped cache.
 *
 * ## Errors
 * [YannongException.Network] when the platform cannot be reached (what was synced stays
 * readable), [YannongException.Unauthorized] when the user must log in (again),
 * [YannongException.InvalidInput] for a platform address that is not https (plain http is only
 * allowed to this device).
 */
class BarnMonitor internal constructor(private val core: Barns) : AutoCloseable {

    /** Logs in; the token goes to the [SecureStore]. Another account starts from an empty copy. */
    suspend fun login(phone: String, password: String): PlatformUser = core.login(phone, password)

    /** Logs out and removes the local copy of the barns. Not cancellable. */
    suspend fun logout() {
        withContext(NonCancellable) { core.logout() }
    }

    /** Who is logged in and when the last sync finished; `null` when logged out. Local only. */
    suspend fun session(): PlatformSession? = core.session()

    /**
     * Pulls what changed on the platform. Cancelling (or losing the network) halfway is safe:
     * the next sync resumes after the last page that arrived.
     */
    suspend fun sync(): SyncSummary = core.sync()

    /** The barns in the local database, each with its newest reading. Works offline. */
    suspend fun barns(): List<BarnSummary> = core.barns()

    /**
     * Every barn, most urgent first (ties by name), each with why it is where it is in the
     * list ([BarnStatus.reasons], most serious first), its running step, its deviation from
     * the set point and how long it has been silent ([BarnStatus.silentFor]). Works offline;
     * show [PlatformSession.syncedAt] beside it.
     */
    suspend fun overview(): List<BarnStatus> = core.overview()

    /**
     * The chart (烘烤曲线) of [barnId]'s latest cure: the expected curve as exact knots
     * ([BarnCurve.expected]: nominal, fastest/slowest band, step windows), the measured points
     * in time order with their deltas from the expected curve, and every stretch off it
     * ([BarnCurve.excursions], found on all readings, never lost by downsampling). Works
     * offline.
     *
     * @param points the most measured points to return, about the chart's width in pixels;
     *   the core keeps it within 8–4000.
     * @return `null` when the barn has no cure (or is not in the local copy).
     * @throws IllegalArgumentException if [points] is not positive.
     */
    suspend fun curve(barnId: Long, points: Int): BarnCurve? {
        require(points > 0) { "points must be positive, got $points" }
        return core.curve(barnId, points.toUInt())
    }

    /**
     * Process analysis (过程分析) of [barnId]'s latest cure, finished or so far: each step's
     * real against nominal/min/max hours, time out of tolerance, an energy estimate and a
     * summary ([CureAnalysis.summary], Chinese in `zh`). Works offline.
     *
     * @param heatPumpInputKw the heat pump's rated electrical input (nameplate), kW, for the
     *   energy estimate (a proxy from the heating demand, not a meter reading).
     * @return `null` when the barn has no cure.
     * @throws YannongException.InvalidInput (field `heat_pump_input_kw`) for an implausible
     *   rating (not within 0–500 kW).
     */
    suspend fun analysis(barnId: Long, heatPumpInputKw: Double): CureAnalysis? =
        core.analysis(barnId, heatPumpInputKw)

    /**
     * The barn camera's pictures the local copy knows of, newest first: metadata only, load
     * one with [picture]. Say so on screen when [BarnPictureInfo.simulated] is set (drawn by
     * the platform's simulator, not taken by a camera). Works offline.
     *
     * @param limit the most pictures to return.
     * @throws IllegalArgumentException for a negative [limit].
     */
    suspend fun pictures(barnId: Long, limit: Int = 20): List<BarnPictureInfo> {
        require(limit >= 0) { "limit must not be negative, got $limit" }
        return core.pictures(barnId, limit.toUInt())
    }

    /**
     * A picture's JPEG ([BarnPicture.jpeg]) with its metadata: from the cache, else downloaded
     * once (checked against its SHA-256) and cached under a size cap. Offline, the pictures
     * viewed before still load.
     *
     * @throws YannongException.NotFound for a picture that is not in this account.
     * @throws YannongException.Network when it is not cached and the platform cannot be
     *   reached.
     */
    suspend fun picture(imageId: Long): BarnPicture = core.picture(imageId)

    /** The local barns, when they were last synced, and why the latest sync failed if it did. */
    data class Snapshot(
        val barns: List<BarnSummary>,
        val syncedAt: Instant?,
        val syncError: YannongException?,
    )

    /** The [overview], when it was last synced, and why the latest sync failed if it did. */
    data class OverviewSnapshot(
        val barns: List<BarnStatus>,
        val syncedAt: Instant?,
        val syncError: YannongException?,
    )

    /**
     * The barns as a [Flow]: the local copy at once, then again after every sync, every
     * [every]. A failed sync does not end the flow: its error rides along in the snapshot and
     * the stored barns are emitted as they are. An [YannongException.Unauthorized] ends it.
     */
    fun barnsFlow(every: Duration = Duration.ofMinutes(1)): Flow<Snapshot> =
        syncingFlow(every) { error -> Snapshot(core.barns(), core.session()?.syncedAt, error) }

    /**
     * The [overview] as a [Flow], for the all-barns list: the local copy at once, then again
     * after every sync, every [every] (the urgency also changes as barns fall silent). A
     * failed sync does not end the flow: its error rides along in the snapshot and the stored
     * barns are emitted as they are. An [YannongException.Unauthorized] ends it.
     */
    fun overviewFlow(every: Duration = Duration.ofMinutes(1)): Flow<OverviewSnapshot> =
        syncingFlow(every) { error ->
            OverviewSnapshot(core.overview(), core.session()?.syncedAt, error)
        }

    /**
     * What [barnsFlow] and [overviewFlow] share: [read] the local copy at once (no sync
     * error), then sync, [read] again with the sync's error (if any), wait [every], repeat.
     * Only [YannongException.Unauthorized] from the sync ends the flow.
     */
    private fun <S> syncingFlow(
        every: Duration,
        read: suspend (syncError: YannongException?) -> S,
    ): Flow<S> = flow {
        emit(read(null))
        while (true) {
            val error = try {
                core.sync()
                null
            } catch (e: YannongException.Unauthorized) {
                throw e
            } catch (e: YannongException) {
                e
            }
            emit(read(error))
            delay(every.toMillis())
        }
    }

    /**
     * Live events of one barn: [BarnWatchEvent.Live] when connected, each
     * [BarnWatchEvent.Reading] as it arrives (also written to the local database), and
     * [BarnWatchEvent.Offline] while the core reconnects by itself (it syncs the gap on
     * return). The flow completes on [BarnWatchEvent.Ended]; cancelling the collector stops
     * the watch.
     */
    fun watch(barnId: Long): Flow<BarnWatchEvent> = callbackFlow {
        val handle = core.watch(
            barnId,
            object : BarnWatchListener {
                override fun onEvent(event: BarnWatchEvent) {
                    trySend(event)
                    if (event is BarnWatchEvent.Ended) channel.close()
                }
            },
        )
        awaitClose {
            handle.stop()
            handle.close()
        }
    }

    /**
     * The alarm side of this platform connection: push payloads, catch-up, acknowledgements,
     * notification plans. [trustedKeys] are the platform's alarm-signing keys the app ships
     * (64 hex digits each). Close the [AlarmCenter] before this monitor.
     */
    fun alarms(trustedKeys: List<String>): AlarmCenter = AlarmCenter(core, trustedKeys)

    /**
     * Sends this phone's lesson reading progress to the account and merges the account's
     * back, so "continue where I left off" follows the farmer to another phone. Call it when
     * the network returns and after reading. Offline it throws and the progress waits.
     *
     * @return how many local progress rows the platform's answer wrote.
     * @throws YannongException.Network offline; nothing is lost.
     * @throws YannongException.Unauthorized not logged in.
     */
    suspend fun syncReading(library: LessonLibrary): UInt = core.syncReading(library.core)

    /** Releases the core object. Closing twice is harmless. */
    override fun close() {
        core.close()
    }
}

/**
 * Secrets kept in memory only, for tests and demos: nothing survives the process. Android apps
 * use [KeystoreSecureStore] (`src/android/kotlin/cn/yannong/KeystoreSecureStore.kt`: in the
 * Android library, not in the plain-JVM build, since it needs the Android Keystore).
 */
class InMemorySecureStore : SecureStore {
    private val map = ConcurrentHashMap<String, String>()

    override fun get(key: String): String? = map[key]

    override fun set(key: String, value: String) {
        map[key] = value
    }

    override fun delete(key: String) {
        map.remove(key)
    }
}
