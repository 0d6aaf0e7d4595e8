package cn.yannong

import cn.yannong.ffi.BarnWatchEvent
import cn.yannong.ffi.PlatformRole
import cn.yannong.ffi.YannongException
import java.io.File
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.withTimeout
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test

/**
 * The Kotlin wrapper against a real `yannong-server` with simulated barns on loopback
 * (binary from `-Dyannong.serverBin`, built by `cargo xtask test`).
 */
class BarnMonitorTest {
    private lateinit var dataDir: File
    private var server: Process? = null
    private lateinit var url: String

    private fun startServer(listen: String = "127.0.0.1:0") {
        val bin = System.getProperty("yannong.serverBin")
            ?: throw AssertionError("run through `cargo xtask test` (needs -Dyannong.serverBin)")
        val p = ProcessBuilder(
            bin, "--simulate", "3", "--speed", "3600", "--listen", listen,
            "--data", dataDir.path, "--demo-password", PASSWORD,
        ).redirectError(ProcessBuilder.Redirect.DISCARD).start()
        val first = p.inputStream.bufferedReader().readLine()
            ?: throw AssertionError("yannong-server exited: ${p.waitFor()}")
        url = first.removePrefix("listening on ")
        server = p
    }

    private fun stopServer() {
        server?.let {
            it.destroy()
            it.waitFor(10, TimeUnit.SECONDS)
        }
        server = null
    }

    @Before
    fun setUp() {
        dataDir = tempDir()
        startServer()
    }

    @After
    fun tearDown() {
        stopServer()
        dataDir.deleteRecursively()
    }

    private suspend fun <T> withMonitor(block: suspend (BarnMonitor) -> T): T =
        withClient { client -> client.barns(url, InMemorySecureStore()).use { block(it) } }

    @Test
    fun technicianLogsInAndSyncsEveryAssignedBarn() = coTest {
        withMonitor { monitor ->
            val user = monitor.login(TECHNICIAN, PASSWORD)
            assertEquals(PlatformRole.TECHNICIAN, user.role)
            // The simulation fills readings as its clock runs; wait until every barn reported.
            withTimeout(30_000) {
                while (true) {
                    monitor.sync()
                    val barns = monitor.barns()
                    if (barns.size == 3 && barns.all { it.latest != null }) break
                    delay(200)
                }
            }
            val session = checkNotNull(monitor.session())
            assertNotNull(session.syncedAt)
            assertEquals(TECHNICIAN, session.user.phone)
        }
    }

    @Test
    fun aFarmerSeesOnlyTheirOwnBarn() = coTest {
        withMonitor { monitor ->
            monitor.login("13800000002", PASSWORD)
            monitor.sync()
            val barns = monitor.barns()
            assertEquals(listOf("2号烤房"), barns.map { it.name })
        }
    }

    @Test
    fun wrongPasswordAndPlainHttpAreTypedErrors() = coTest {
        withMonitor { monitor ->
            expectThrows<YannongException.Unauthorized> { monitor.login(TECHNICIAN, "wrong") }
            expectThrows<YannongException.Unauthorized> { monitor.sync() }
        }
        withClient { client ->
            val e = expectThrows<YannongException.InvalidInput> {
                client.barns("http://barns.example.cn", InMemorySecureStore())
            }
            assertEquals("base_url", e.field)
        }
    }

    @Test
    fun liveReadingsArriveAndTheWatchSurvivesAServerRestart() = coTest {
        withMonitor { monitor ->
            monitor.login(TECHNICIAN, PASSWORD)
            monitor.sync()
            val barnId = monitor.barns().first().id
            val events = Channel<BarnWatchEvent>(Channel.UNLIMITED)
            val job = launch { monitor.watch(barnId).collect { events.send(it) } }
            suspend fun next(want: (BarnWatchEvent) -> Boolean): BarnWatchEvent =
                withTimeout(30_000) {
                    var e = events.receive()
                    while (!want(e)) e = events.receive()
                    e
                }
            next { it is BarnWatchEvent.Live }
            val reading = next { it is BarnWatchEvent.Reading } as BarnWatchEvent.Reading
            assertTrue(reading.reading.dryBulbC in 10.0..80.0)

            val port = url.substringAfterLast(':')
            stopServer()
            next { it is BarnWatchEvent.Offline }
            // Offline, the stored barns still read, and the flow reports the failed sync.
            val snapshot = monitor.barnsFlow().take(2).toList().last()
            assertEquals(3, snapshot.barns.size)
            assertTrue(snapshot.syncError is YannongException.Network)

            startServer("127.0.0.1:$port")
            next { it is BarnWatchEvent.Live }
            next { it is BarnWatchEvent.Reading }
            job.cancel()
        }
    }

    @Test
    fun logoutForgetsTheBarns() = coTest {
        withMonitor { monitor ->
            monitor.login(TECHNICIAN, PASSWORD)
            monitor.sync()
            assertTrue(monitor.barns().isNotEmpty())
            monitor.logout()
            assertTrue(monitor.barns().isEmpty())
            assertNull(monitor.session())
        }
    }

    private companion object {
        const val PASSWORD = "kotlin-test-password"
        const val TECHNICIAN = "13900000001"
    }
}
