package cn.yannong

import cn.yannong.ffi.AlarmInfo
import cn.yannong.ffi.PushOutcome
import java.io.File
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test

/**
 * `AlarmCenter.inboxFlow(onNew)` against a real `yannong-server` on loopback (binary from
 * `-Dyannong.serverBin`, as in AlarmCenterTest, which covers events arriving on the stream).
 */
class AlarmInboxFlowTest {
    private lateinit var dataDir: File
    private lateinit var server: TestServer

    @Before
    fun setUp() {
        dataDir = tempDir()
        server = TestServer(dataDir, "--simulate", "1", "--speed", "60", "--demo-password", PASSWORD)
        server.start()
    }

    @After
    fun tearDown() {
        server.stop()
        dataDir.deleteRecursively()
    }

    @Test
    fun theStoredListComesAtOnceThenAgainWhenTheStreamIsLive() = coTest {
        withClient { client ->
            client.barns(server.url, InMemorySecureStore()).use { monitor ->
                monitor.login(FARMER, PASSWORD)
                monitor.alarms(listOf(SOME_KEY)).use { alarms ->
                    val news = AtomicInteger()
                    val lists = Channel<List<AlarmInfo>>(Channel.UNLIMITED)
                    val job = launch {
                        alarms.inboxFlow { _: PushOutcome.New -> news.incrementAndGet() }
                            .collect { lists.send(it) }
                    }
                    // The stored inbox (empty on a fresh phone) without waiting for the network,
                    // then the same list once the stream has caught up and is live.
                    assertEquals(emptyList<AlarmInfo>(), withTimeout(10_000) { lists.receive() })
                    assertEquals(emptyList<AlarmInfo>(), withTimeout(30_000) { lists.receive() })
                    // A fresh feed has no events, so nothing was new.
                    assertEquals(0, news.get())
                    job.cancel()
                    job.join()
                    assertTrue(job.isCancelled)
                }
            }
        }
    }

    private companion object {
        const val PASSWORD = "kotlin-test-password"
        const val FARMER = "13800000001"

        /** A valid Ed25519 public key (RFC 8032, test 1); a fresh feed holds nothing to verify. */
        const val SOME_KEY = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    }
}
