package cn.yannong

import cn.yannong.ffi.DownloadPhase
import cn.yannong.ffi.YannongException
import java.io.File
import java.util.Locale
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.toList
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test

/**
 * Lesson packs downloaded from a real `yannong-server` on loopback (binary from
 * `-Dyannong.serverBin`), which publishes the signed test pack (`-Dyannong.testPack`, key
 * `-Dyannong.testPackKey`, built by `cargo xtask test`).
 */
class LessonDownloadTest {
    private companion object {
        const val PACK_ID = "yannong-default"

        fun property(name: String): String =
            System.getProperty(name)?.takeIf { it.isNotBlank() }
                ?: throw AssertionError("system property $name is not set; run through `cargo xtask test`")
    }

    private lateinit var dataDir: File
    private lateinit var server: TestServer
    private val url: String get() = server.url

    @Before
    fun setUp() {
        dataDir = tempDir()
        server = TestServer(
            dataDir,
            "--publish", property("yannong.testPack"), "--lesson-key", property("yannong.testPackKey"),
        )
        server.start()
    }

    @After
    fun tearDown() {
        server.stop()
        dataDir.deleteRecursively()
    }

    private suspend fun withLibrary(block: suspend (LessonLibrary) -> Unit) =
        withClient(Locale.SIMPLIFIED_CHINESE) { client ->
            client.lessons(listOf(property("yannong.testPackKey"))).use { block(it) }
        }

    @Test
    fun aDownloadStoppedHalfwayResumesInstallsAndSearches() = coTest {
        withLibrary { library ->
            val port = url.substringAfterLast(':').trimEnd('/').toInt()
            // ~100 KB at 40 KB/s: slow enough to stop in the middle.
            SlowProxy(port, 40 * 1024).use { proxy ->
                library.downloads(proxy.url).use { slow ->
                    val offered = slow.offered().single()
                    assertEquals(PACK_ID, offered.id)
                    assertEquals(null, offered.installedVersion)
                    // Collecting stops at 40 %: the flow is cancelled, the transfer with it.
                    val stoppedAt = slow.download(PACK_ID).first {
                        it is DownloadState.Progress && it.progress.percent >= 40.0
                    } as DownloadState.Progress
                    assertTrue(stoppedAt.progress.bytesTotal > 0uL)
                }
            }
            assertTrue("nothing installed after the stop", library.installedPacks().isEmpty())

            library.downloads(url).use { downloads ->
                val states = downloads.download(PACK_ID).toList()
                val finished = states.last() as DownloadState.Finished
                val progress = states.filterIsInstance<DownloadState.Progress>().map { it.progress }
                val total = progress.last().bytesTotal
                assertTrue("resumed, not restarted: ${finished.result}", finished.result.resumedBytes > 0uL)
                assertEquals(total, finished.result.resumedBytes + finished.result.fetchedBytes)
                assertEquals(DownloadPhase.Done, progress.last().phase)
                assertTrue(progress.any { it.phase == DownloadPhase.Installing })
                assertTrue(finished.result.installedNow)
                assertEquals(25u, finished.result.pack.lessons)
                assertEquals(1u, downloads.offered().single().installedVersion)

                // Again: nothing new to fetch.
                val again = downloads.download(PACK_ID).toList().last() as DownloadState.Finished
                assertEquals(false, again.result.installedNow)
                assertEquals(0uL, again.result.fetchedBytes)
            }
            val chinese = library.search("烘烤变黄")
            assertTrue(chinese.isNotEmpty())
            assertTrue(chinese.first().titleHtml.contains("<mark>"))
            val pinyin = library.search("hongkao")
            assertTrue(pinyin.isNotEmpty())
            assertTrue(library.lessonHtml(chinese.first().packId, chinese.first().lessonId).contains("<h1"))
        }
    }

    @Test
    fun aPackTamperedOnThePlatformIsRefused() = coTest {
        // Someone edits a lesson on the platform's disk after it was signed.
        val lesson = File(dataDir, "lessons/$PACK_ID/1/files/lessons").listFiles()!!.sorted().first()
        val bytes = lesson.readBytes()
        bytes[bytes.size / 2] = (bytes[bytes.size / 2].toInt() xor 0x01).toByte()
        lesson.writeBytes(bytes)
        withLibrary { library ->
            library.downloads(url).use { downloads ->
                val e = expectThrows<YannongException.Integrity> {
                    downloads.download(PACK_ID).toList()
                }
                assertTrue(e.toString(), e.toString().contains(lesson.name))
            }
            assertTrue(library.installedPacks().isEmpty())
        }
    }

    @Test
    fun anUnknownPackIsNotFound() = coTest {
        withLibrary { library ->
            library.downloads(url).use { downloads ->
                expectThrows<YannongException.NotFound> { downloads.download("no-such-pack").toList() }
            }
        }
    }
}
