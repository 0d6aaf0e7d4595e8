package cn.yannong

import cn.yannong.ffi.LessonLinkKind
import cn.yannong.ffi.YannongException
import java.io.File
import java.util.Locale
import kotlinx.coroutines.delay
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

/**
 * The lesson library against the real core, with the default pack (content/default) built and
 * signed by `cargo xtask test` (xtask/src/testpack.rs), which passes its path and public key
 * as the system properties `yannong.testPack` and `yannong.testPackKey`. Without them every
 * test here fails: a missing pack must not look like a pass.
 */
class LessonsTest {
    private companion object {
        const val PACK_ID = "yannong-default"

        /** A valid Ed25519 public key that did not sign the test pack (RFC 8032, test 1). */
        const val STRANGER_KEY = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"

        /** The `src` of every `<img>` of a lesson page. */
        val IMG_SRC = Regex("""<img[^>]*\ssrc="([^"]*)"""")

        val pack: File
            get() {
                val file = File(property("yannong.testPack"))
                if (!file.isFile) throw AssertionError("test pack $file does not exist")
                return file
            }

        val packKey: String
            get() = property("yannong.testPackKey")

        fun property(name: String): String =
            System.getProperty(name)?.takeIf { it.isNotBlank() }
                ?: throw AssertionError(
                    "system property $name is not set; run these tests with `cargo xtask test`, " +
                        "which builds the signed test pack",
                )
    }

    /** A Chinese client on a fresh database and its lesson library trusting [keys]. */
    private suspend fun withLibrary(
        keys: List<String> = listOf(packKey),
        block: suspend (YannongClient, LessonLibrary) -> Unit,
    ) {
        withClient(Locale.SIMPLIFIED_CHINESE) { client ->
            client.lessons(keys).use { block(client, it) }
        }
    }

    @Test
    fun installsTheDefaultPackAndLinksLessons() = coTest {
        withLibrary { _, library ->
            assertTrue(library.installedPacks().isEmpty())
            assertTrue(library.lessons().isEmpty())

            val installed = library.installPack(pack)
            assertEquals(PACK_ID, installed.id)
            assertEquals(1u, installed.version)
            assertEquals(25u, installed.lessons)
            assertNull(installed.previousVersion)
            assertEquals("烟叶生产技术小课堂", installed.title.text)
            assertTrue(installed.bytes > 0uL)
            assertEquals(listOf(installed), library.installedPacks())
            // The same version again changes nothing.
            assertEquals(installed, library.installPack(pack))

            val lessons = library.lessons()
            assertEquals(25, lessons.size)
            assertTrue(lessons.all { it.packId == PACK_ID && it.progress == null })
            assertEquals(25, lessons.map { it.lessonId }.toSet().size)

            val powerCut = library.lessonsFor(LessonLinkKind.ALARM, "A09")
            assertTrue(powerCut.toString(), powerCut.any { "停电" in it.title.zh })
            assertTrue(library.lessonsFor(LessonLinkKind.ALARM, "A99").isEmpty())
            assertFalse(library.lessonsFor(LessonLinkKind.DISEASE, "brown_spot").isEmpty())
            assertFalse(library.lessonsFor(LessonLinkKind.LEAF_CLASS, "over_ripe").isEmpty())
        }
    }

    @Test
    fun lessonPagesHaveNoScriptsAndEmbedTheirPictures() = coTest {
        withLibrary { _, library ->
            library.installPack(pack)
            var pictures = 0
            for (lesson in library.lessons()) {
                val html = library.lessonHtml(lesson)
                assertTrue(lesson.lessonId, html.startsWith("<!DOCTYPE html>"))
                assertFalse(lesson.lessonId, html.contains("<script", ignoreCase = true))
                // Every picture is inline: the web view loads nothing.
                val sources = IMG_SRC.findAll(html).map { it.groupValues[1] }.toList()
                assertTrue("${lesson.lessonId}: $sources", sources.all { it.startsWith("data:image/") })
                pictures += sources.count { it.startsWith("data:image/svg+xml;base64,") }
            }
            assertTrue("$pictures SVG pictures", pictures >= 9)

            val e = expectThrows<YannongException.NotFound> { library.lessonHtml(PACK_ID, "no-such-lesson") }
            assertTrue(e.isPermanent)
        }
    }

    @Test
    fun searchFindsChineseAndPinyin() = coTest {
        withLibrary { _, library ->
            library.installPack(pack)
            val chinese = library.search("烘烤变黄", 10)
            assertTrue(chinese.toString(), chinese.any { "变黄" in it.title })
            assertTrue(chinese.toString(), chinese.all { it.packId == PACK_ID })
            assertTrue(
                chinese.toString(),
                chinese.any { "<mark>" in it.titleHtml || "<mark>" in it.snippetHtml },
            )

            val pinyin = library.search("hongkao", 10)
            assertFalse("no hit for hongkao", pinyin.isEmpty())
            assertTrue(library.search("hongkao", 1).size <= 1)
            expectThrows<IllegalArgumentException> { library.search("hongkao", -1) }
        }
    }

    @Test
    fun progressAndContinueReading() = coTest {
        withLibrary { _, library ->
            library.installPack(pack)
            assertNull(library.continueReading())
            val (first, second) = library.lessons().take(2)

            library.recordProgress(first, 0.5)
            val resumed = library.continueReading()
            assertNotNull(resumed)
            assertEquals(first.lessonId, resumed!!.lessonId)
            assertEquals(0.5, resumed.progress!!.position, 0.0)
            assertFalse(resumed.progress!!.completed)

            delay(5) // progress times have millisecond resolution
            library.recordProgress(second.packId, second.lessonId, 7.0)
            val latest = library.continueReading()!!
            assertEquals(second.lessonId, latest.lessonId)
            assertEquals("clamped to 1", 1.0, latest.progress!!.position, 0.0)

            // Completed lessons are not offered; completion sticks.
            library.recordProgress(second, 1.0, completed = true)
            assertEquals(first.lessonId, library.continueReading()?.lessonId)
            library.recordProgress(second, 0.2, completed = false)
            val listed = library.lessons().first { it.lessonId == second.lessonId }
            assertTrue(listed.progress!!.completed)
            assertEquals(0.2, listed.progress!!.position, 0.0)

            expectThrows<YannongException.NotFound> { library.recordProgress(PACK_ID, "no-such-lesson", 0.5) }
        }
    }

    @Test
    fun tamperedPackIsAnIntegrityErrorAndInstallsNothing() = coTest {
        val dir = tempDir()
        try {
            val bytes = pack.readBytes()
            // The last "。" (E3 80 82) is in the last lesson's text; make it E3 80 81 ("、").
            val at = lastIndexOf(bytes, byteArrayOf(0xE3.toByte(), 0x80.toByte(), 0x82.toByte()))
            assertTrue("no 。 in the pack", at >= 0)
            bytes[at + 2] = 0x81.toByte()
            val tampered = File(dir, "tampered.ynpack").apply { writeBytes(bytes) }

            withLibrary { _, library ->
                val e = expectThrows<YannongException.Integrity> { library.installPack(tampered) }
                assertTrue(e.isPermanent)
                assertTrue(e.userMessage.isNotBlank())
                assertTrue(library.installedPacks().isEmpty())
                assertTrue(library.lessons().isEmpty())
                assertTrue(library.search("变黄", 10).isEmpty())
                // The untouched pack still installs.
                assertEquals(PACK_ID, library.installPack(pack).id)
            }
        } finally {
            dir.deleteRecursively()
        }
    }

    @Test
    fun packsFromUntrustedKeysAreRefused() = coTest {
        val file = pack
        withLibrary(keys = listOf(STRANGER_KEY)) { _, library ->
            expectThrows<YannongException.Integrity> { library.installPack(file) }
            assertTrue(library.installedPacks().isEmpty())
        }
        withClient { client ->
            val e = expectThrows<YannongException.InvalidInput> { client.lessons(listOf("not hex")) }
            assertEquals("trusted_keys", e.field)
            val none = expectThrows<YannongException.InvalidInput> { client.lessons(emptyList()) }
            assertEquals("trusted_keys", none.field)
        }
    }

    @Test
    fun removePackKeepsProgress() = coTest {
        withLibrary { _, library ->
            library.installPack(pack)
            val lesson = library.lessons()[3]
            library.recordProgress(lesson, 0.25)
            expectThrows<YannongException.NotFound> { library.rollbackPack(PACK_ID) }

            library.removePack(PACK_ID)
            assertTrue(library.installedPacks().isEmpty())
            assertTrue(library.lessons().isEmpty())
            assertNull(library.continueReading())
            expectThrows<YannongException.NotFound> { library.removePack(PACK_ID) }
            expectThrows<YannongException.NotFound> { library.lessonHtml(lesson) }

            library.installPack(pack)
            val back = library.lessons().first { it.lessonId == lesson.lessonId }
            assertEquals(0.25, back.progress?.position ?: -1.0, 0.0)
        }
    }

    @Test
    fun aMissingFileIsInvalidInput() = coTest {
        withLibrary { _, library ->
            val e = expectThrows<YannongException.InvalidInput> { library.installPack(File("/nonexistent/x.ynpack")) }
            assertEquals("path", e.field)
            assertTrue(library.installedPacks().isEmpty())
        }
    }

    private fun lastIndexOf(haystack: ByteArray, needle: ByteArray): Int {
        for (i in haystack.size - needle.size downTo 0) {
            if (needle.indices.all { haystack[i + it] == needle[it] }) return i
        }
        return -1
    }
}
