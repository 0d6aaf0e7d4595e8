package cn.yannong

import cn.yannong.ffi.BarnSummary
import cn.yannong.ffi.BarnWatchEvent
import cn.yannong.ffi.PlatformRole
import cn.yannong.ffi.YannongException
import java.io.File
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withTimeoutOrNull
import org.junit.After
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
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
    private lateinit var server: TestServer
    private val url: String get() = server.url

    @Before
    fun setUp() {
        dataDir = tempDir()
        server = TestServer(dataDir, "--simulate", "3", "--speed", "3600", "--demo-password", PASSWORD)
        server.start()
    }

    @After
    fun tearDown() {
        server.stop()
        dataDir.deleteRecursively()
    }

    private suspend fun <T> withMonitor(block: suspend (BarnMonitor) -> T): T =
        withClient { client -> client.barns(url, InMemorySecureStore()).use { block(it) } }

    /** Polls [attempt] until it returns non-null; fails after [timeoutMs] naming [what]. */
    private suspend fun <T : Any> eventually(
        what: String,
        timeoutMs: Long = 30_000,
        attempt: suspend () -> T?,
    ): T = withTimeoutOrNull(timeoutMs) {
        var value = attempt()
        while (value == null) {
            delay(200)
            value = attempt()
        }
        value
    } ?: throw AssertionError("no $what after $timeoutMs ms")

    /**
     * Logs in as the technician and syncs until every barn has reported: the simulation fills
     * readings as its clock runs.
     */
    private suspend fun technicianWithReadings(monitor: BarnMonitor): List<BarnSummary> {
        monitor.login(TECHNICIAN, PASSWORD)
        return eventually("3 barns with readings") {
            monitor.sync()
            monitor.barns().takeIf { barns -> barns.size == 3 && barns.all { it.latest != null } }
        }
    }

    @Test
    fun technicianLogsInAndSyncsEveryAssignedBarn() = coTest {
        withMonitor { monitor ->
            technicianWithReadings(monitor)
            val session = checkNotNull(monitor.session())
            assertNotNull(session.syncedAt)
            assertEquals(TECHNICIAN, session.user.phone)
        }
    }

    @Test
    fun overviewListsEveryBarnMostUrgentFirst() = coTest {
        withMonitor { monitor ->
            val barns = technicianWithReadings(monitor)
            val overview = monitor.overview()
            assertEquals(barns.map { it.id }.sorted(), overview.map { it.barn.id }.sorted())
            val urgencies = overview.map { it.urgency }
            assertEquals("sorted by urgency, descending", urgencies.sortedDescending(), urgencies)
            for (status in overview) {
                // Every point of urgency comes with its reason, and only then.
                assertEquals(status.urgency > 0u, status.reasons.isNotEmpty())
                assertTrue(status.reasons.all { it.zh.isNotBlank() && it.text == it.en })
                assertNotNull("every simulated barn is curing", status.step)
                assertNotNull(status.barn.latest)
            }

            // The flow: the local copy at once, then the same after a sync that worked.
            val (first, second) = monitor.overviewFlow().take(2).toList()
            assertEquals(overview.map { it.barn.id }.toSet(), first.barns.map { it.barn.id }.toSet())
            assertNull(first.syncError)
            assertNull(second.syncError)
            assertEquals(3, second.barns.size)
            assertNotNull(second.syncedAt)
        }
    }

    @Test
    fun curveAndAnalysisOfARunningCure() = coTest {
        withMonitor { monitor ->
            val barnId = technicianWithReadings(monitor).first().id
            val curve = checkNotNull(monitor.curve(barnId, 200)) { "barn $barnId has no curve" }
            assertTrue("${curve.measured.size} points", curve.measured.size in 1..200)
            assertTrue(curve.readings.toInt() >= curve.measured.size)
            assertTrue(
                "measured points in time order",
                curve.measured.zipWithNext().all { (a, b) -> a.time.isBefore(b.time) },
            )
            assertTrue("expected nominal knots", curve.expected.nominal.isNotEmpty())
            assertTrue(curve.expected.steps.isNotEmpty())
            assertTrue(curve.expected.points.isEmpty()) // knots only: they are exact
            assertEquals(curve.curing.recipeId, curve.expected.recipeId)
            assertNull("the simulated cure still runs", curve.curing.finishedAt)
            assertFalse(curve.measured.first().time.isBefore(curve.curing.startedAt))
            assertTrue(curve.dryToleranceC > 0.0 && curve.wetToleranceC > 0.0)
            expectThrows<IllegalArgumentException> { monitor.curve(barnId, 0) }

            val analysis = checkNotNull(monitor.analysis(barnId, 20.0)) { "no analysis" }
            assertTrue(analysis.steps.isNotEmpty())
            assertEquals((0 until analysis.steps.size).toList(), analysis.steps.map { it.index.toInt() })
            assertTrue("a reached step has its hours", analysis.steps.first().actualH != null)
            assertFalse(analysis.finished)
            assertTrue(analysis.heatingKwh >= 0.0)
            val summary = analysis.summary.zh
            assertTrue("Chinese summary: $summary", summary.any { it in '\u4e00'..'\u9fff' })
            assertEquals(analysis.summary.en, analysis.summary.text) // an English client
            val e = expectThrows<YannongException.InvalidInput> { monitor.analysis(barnId, -1.0) }
            assertEquals("heat_pump_input_kw", e.field)
        }
    }

    @Test
    fun picturesLoadOnceAndViewedOnesStayViewableOffline() = coTest {
        withMonitor { monitor ->
            monitor.login(TECHNICIAN, PASSWORD)
            // The simulator draws a picture per barn every simulated hour (a second at --speed
            // 3600); sync until one barn has at least two.
            val (barnId, pictures) = eventually("two pictures of one barn") {
                monitor.sync()
                monitor.barns().firstNotNullOfOrNull { barn ->
                    monitor.pictures(barn.id, 5).takeIf { it.size >= 2 }?.let { barn.id to it }
                }
            }
            assertTrue(pictures.size <= 5)
            assertTrue(pictures.all { it.barnId == barnId && it.simulated })
            assertTrue(
                "newest first",
                pictures.zipWithNext().all { (a, b) -> !a.takenAt.isBefore(b.takenAt) },
            )

            val (viewed, unviewed) = pictures
            val picture = monitor.picture(viewed.id)
            assertEquals(viewed, picture.info)
            assertTrue(picture.info.simulated)
            assertEquals(viewed.bytes.toInt(), picture.jpeg.size)
            assertTrue(
                "a JPEG (FF D8 ...)",
                picture.jpeg.size > 2 && picture.jpeg[0] == 0xFF.toByte() && picture.jpeg[1] == 0xD8.toByte(),
            )
            expectThrows<YannongException.NotFound> { monitor.picture(-1) }

            server.stop()
            withTimeout(20_000) {
                assertArrayEquals("from the cache", picture.jpeg, monitor.picture(viewed.id).jpeg)
                expectThrows<YannongException.Network> { monitor.picture(unviewed.id) }
            }
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
            server.stop()
            next { it is BarnWatchEvent.Offline }
            // Offline, the stored barns still read, and the flow reports the failed sync.
            val snapshot = monitor.barnsFlow().take(2).toList().last()
            assertEquals(3, snapshot.barns.size)
            assertTrue(snapshot.syncError is YannongException.Network)

            server.start("127.0.0.1:$port")
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
