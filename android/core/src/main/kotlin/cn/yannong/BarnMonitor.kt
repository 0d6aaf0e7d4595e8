package cn.yannong

import cn.yannong.ffi.BarnSummary
import cn.yannong.ffi.BarnWatchEvent
import cn.yannong.ffi.BarnWatchListener
import cn.yannong.ffi.Barns
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
 *     monitor.barnsFlow().collect { snapshot -> adapter.submit(snapshot.barns) }
 * }
 * monitor.watch(barnId).collect { event -> if (event is BarnWatchEvent.Reading) chart.add(event.reading) }
 * ```
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

    /** The local barns, when they were last synced, and why the latest sync failed if it did. */
    data class Snapshot(
        val barns: List<BarnSummary>,
        val syncedAt: Instant?,
        val syncError: YannongException?,
    )

    /**
     * The barns as a [Flow]: the local copy at once, then again after every sync, every
     * [every]. A failed sync does not end the flow: its error rides along in the snapshot and
     * the stored barns are emitted as they are. An [YannongException.Unauthorized] ends it.
     */
    fun barnsFlow(every: Duration = Duration.ofMinutes(1)): Flow<Snapshot> = flow {
        emit(Snapshot(core.barns(), core.session()?.syncedAt, null))
        while (true) {
            val error = try {
                core.sync()
                null
            } catch (e: YannongException.Unauthorized) {
                throw e
            } catch (e: YannongException) {
                e
            }
            emit(Snapshot(core.barns(), core.session()?.syncedAt, error))
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

    /** Releases the core object. Closing twice is harmless. */
    override fun close() {
        core.close()
    }
}

/**
 * Secrets kept in memory only, for tests and demos: nothing survives the process. Apps use a
 * Keystore-backed store (see `android/core/src/android/kotlin`).
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
