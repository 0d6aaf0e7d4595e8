package cn.yannong

import cn.yannong.ffi.LeafResult
import cn.yannong.ffi.LeafVerdict
import cn.yannong.ffi.Yannong
import cn.yannong.ffi.YannongConfig
import cn.yannong.ffi.YannongException
import java.awt.image.BufferedImage
import java.io.File
import java.nio.ByteBuffer
import java.util.Locale
import javax.imageio.ImageIO
import kotlin.math.roundToInt
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.launch
import kotlinx.coroutines.yield
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

/**
 * The leaf check against the real core, the shipped model (models/leaf) and real photos from
 * the shared data folder (never copied into the repo): `YANNONG_LEAF_DATA`, else
 * `../shared/data/leaf` beside the repository, else `/work/shared/data/leaf`.
 */
class LeafCheckerTest {

    @Test
    fun everyFrameFormGivesTheSameDiseaseAsTheJpeg() = coTest {
        LeafChecker.open(modelDir(), Locale.ENGLISH).use { checker ->
            assertEquals("yannong-leaf-disease", checker.model?.name)
            val opts = LeafChecker.options(roiFraction = 1.0)
            var compared = 0
            for ((label, file) in photosPerLabel(checker, perLabel = 2)) {
                val jpeg = checker.check(file.readBytes(), opts)
                val expected = jpeg.disease!!.id
                val img = evenRgb(ImageIO.read(file))
                val forms = mapOf(
                    "rgba" to LeafImage.Rgba(rgba(img), img.width, img.height),
                    "nv21" to LeafImage.Nv21(nv21(img), img.width, img.height),
                    "yuv420" to yuv420(img, padding = 24),
                )
                for ((form, image) in forms) {
                    val r = checker.check(image, opts)
                    assertEquals("$label ${file.name} as $form: verdict", jpeg.verdict, r.verdict)
                    assertEquals("$label ${file.name} as $form", expected, r.disease?.id)
                    compared++
                }
            }
            assertEquals(3 * 2 * 3, compared)
        }
    }

    @Test
    fun theCallersBufferPositionIsKeptAndRespected() = coTest {
        LeafChecker.open(modelDir(), Locale.ENGLISH).use { checker ->
            val (_, file) = photosPerLabel(checker, perLabel = 1).first()
            val img = evenRgb(ImageIO.read(file))
            val plain = nv21(img)
            val opts = LeafChecker.options(roiFraction = 1.0)
            val expected = checker.check(LeafImage.Nv21(plain, img.width, img.height), opts)
            assertEquals(0, plain.position())

            // The same frame after 7 bytes of something else, the buffer positioned at the frame.
            val offset = ByteBuffer.allocateDirect(plain.capacity() + 7)
            repeat(7) { offset.put(0x55) }
            offset.put(plain.duplicate())
            offset.position(7)
            val r = checker.check(LeafImage.Nv21(offset, img.width, img.height), opts)
            assertEquals(7, offset.position())
            assertEquals(offset.capacity(), offset.limit())
            assertSameAnswer(expected, r)

            // A heap buffer is copied into a direct one, from its position too.
            val heap = ByteBuffer.wrap(ByteArray(plain.capacity() + 3)).apply {
                position(3)
                put(plain.duplicate())
                position(3)
            }
            assertSameAnswer(expected, checker.check(LeafImage.Nv21(heap, img.width, img.height), opts))
            assertEquals(3, heap.position())

            // A captured frame no longer needs the caller's buffer.
            val reused = ByteBuffer.allocateDirect(plain.capacity()).put(plain.duplicate()).flip()
            checker.capture(LeafImage.Nv21(reused, img.width, img.height)).use { frame ->
                while (reused.hasRemaining()) reused.put(0)
                assertSameAnswer(expected, checker.check(frame, opts))
            }
        }
    }

    @Test
    fun badPicturesThrowTheTypedException() = coTest {
        LeafChecker.open(modelDir(), Locale.ENGLISH).use { checker ->
            val file = photos().first { it.first == "healthy" }.second
            val jpeg = file.readBytes()
            fun field(e: YannongException.InvalidInput) = e.field

            val truncated = expectThrows<YannongException.InvalidInput> {
                checker.check(jpeg.copyOf(jpeg.size / 3))
            }
            assertEquals("photo", field(truncated))
            val random = expectThrows<YannongException.InvalidInput> {
                checker.check(kotlin.random.Random(7).nextBytes(4096))
            }
            assertEquals("photo", field(random))
            assertEquals("photo", field(expectThrows { checker.check(ByteArray(0)) }))

            val short = ByteBuffer.allocateDirect(64 * 48 * 3 / 2 - 1)
            val e = expectThrows<YannongException.InvalidInput> {
                checker.check(LeafImage.Nv21(short, 64, 48))
            }
            assertEquals("nv21", field(e))
            assertTrue(e.userMessage, e.userMessage.contains("needs at least"))

            val rgba = ByteBuffer.allocateDirect(64 * 48 * 4)
            assertEquals("row_stride", field(expectThrows { checker.check(LeafImage.Rgba(rgba, 64, 48, rowStride = 100)) }))
            assertEquals("size", field(expectThrows { checker.check(LeafImage.Rgba(rgba, 0, 48)) }))
            assertEquals("width", field(expectThrows { checker.check(LeafImage.Rgba(rgba, -64, 48)) }))
            assertEquals(
                "rotation_degrees",
                field(expectThrows { checker.check(LeafImage.Rgba(rgba, 64, 48, rotationDegrees = 45)) }),
            )
            val y = ByteBuffer.allocateDirect(64 * 48)
            val uv = ByteBuffer.allocateDirect(64 * 24)
            assertEquals(
                "pixel_stride",
                field(expectThrows { checker.check(LeafImage.Yuv420(y, uv, uv, 64, 48, 64, 64, 3)) }),
            )
            assertEquals(
                "row_stride",
                field(expectThrows { checker.check(LeafImage.Yuv420(y, uv, uv, 64, 48, 32, 64, 2)) }),
            )
            assertEquals(
                "roi_fraction",
                field(expectThrows { checker.check(jpeg, LeafChecker.options(roiFraction = 3.0)) }),
            )
            // Still fine afterwards.
            assertNotNull(checker.check(jpeg).quality)
        }
    }

    @Test
    fun aColourOnlyCheckerAndAMissingModel() = coTest {
        LeafChecker.open(null, Locale.ENGLISH).use { checker ->
            assertNull(checker.model)
            val r = checker.check(photos().first { it.first == "healthy" }.second.readBytes())
            assertNull(r.disease)
            assertNull(r.model)
            assertTrue(r.json.contains("\"verdict\""))
            assertTrue(r.thumbnail.size > 100)
        }
        expectThrows<YannongException.NotFound> {
            LeafChecker.open(File("/nonexistent/leaf"), Locale.ENGLISH)
        }
    }

    @Test
    fun cancellingAndClosing() = coTest {
        val checker = LeafChecker.open(modelDir(), Locale.ENGLISH)
        val jpeg = photos().first { it.first == "alternaria" }.second.readBytes()
        // A cancelled coroutine throws CancellationException, not a core error.
        val job = launch(Dispatchers.Default) { checker.check(jpeg) }
        yield()
        job.cancel()
        job.join()
        assertTrue(job.isCancelled)

        // cancel() ends the running checks with Cancelled (or they finished first).
        val running = (1..4).map {
            async(Dispatchers.Default) {
                try {
                    checker.check(jpeg).verdict.name
                } catch (e: YannongException.Cancelled) {
                    "cancelled"
                }
            }
        }
        Thread.sleep(5)
        checker.cancel()
        val outcomes = running.awaitAll()
        assertTrue(outcomes.toString(), outcomes.all { it == "cancelled" || it in LeafVerdict.entries.map { v -> v.name } })

        // Later checks are not affected.
        assertNotNull(checker.check(jpeg).verdict)
        checker.close()
        checker.close()
        expectThrows<IllegalStateException> { checker.check(jpeg) }
    }

    @Test
    fun historyAndLessonsRoundtrip() = coTest {
        val dir = tempDir()
        try {
            Yannong.open(YannongConfig(dataDir = dir.path, locale = "en")).use { core ->
                val history = LeafHistory(core)
                LeafChecker.open(modelDir(), Locale.ENGLISH).use { checker ->
                    val (_, file) = photosPerLabel(checker, perLabel = 1).first()
                    val r = checker.check(file.readBytes())
                    val id = history.save(r)
                    val list = history.list()
                    assertEquals(1, list.size)
                    assertEquals(id, list[0].id)
                    assertEquals(r.verdict, list[0].verdict)
                    assertEquals(r.disease?.id, list[0].disease)
                    assertEquals("yannong-leaf-disease", list[0].modelName)
                    val detail = history.detail(id)!!
                    assertEquals(r.json, detail.json)
                    assertTrue(r.thumbnail.contentEquals(detail.thumbnail))
                    assertTrue(history.setNote(id, "东地块"))
                    assertEquals("东地块", history.list()[0].note)
                    assertEquals(0, history.list(before = id).size)
                    assertTrue(history.remove(id))
                    assertFalse(history.remove(id))
                    assertNull(history.detail(id))
                    if (r.disease != null) {
                        val tampered = r.copy(disease = r.disease!!.copy(id = "no-such-label"))
                        expectThrows<YannongException.InvalidInput> { history.save(tampered) }
                    }
                }
            }
        } finally {
            dir.deleteRecursively()
        }
    }

    private fun assertSameAnswer(expected: LeafResult, actual: LeafResult) {
        assertEquals(expected.verdict, actual.verdict)
        assertEquals(expected.disease, actual.disease)
        assertEquals(expected.quality, actual.quality)
    }
}

// Test data

private fun modelDir(): File = File(repoRoot(), "models/leaf")

private fun dataDir(): File {
    System.getenv("YANNONG_LEAF_DATA")?.let { return File(it) }
    val beside = File(repoRoot(), "../shared/data/leaf").canonicalFile
    val workplace = File("/work/shared/data/leaf")
    if (!File(beside, "manifest.csv").isFile && File(workplace, "manifest.csv").isFile) return workplace
    return beside
}

/** (label, file) of the disease photos in manifest.csv, in manifest order. */
private fun photos(): List<Pair<String, File>> {
    val dir = dataDir()
    val manifest = File(dir, "manifest.csv")
    if (!manifest.isFile) throw AssertionError("leaf photos missing at $dir (set YANNONG_LEAF_DATA)")
    return manifest.readLines().drop(1).mapNotNull { line ->
        val cols = line.split(',')
        if (cols.size < 2 || !cols[0].startsWith("images/disease/")) null else cols[1] to File(dir, cols[0])
    }
}

/**
 * The first [perLabel] photos of each label that the model judges clearly as JPEGs (verdict
 * OK, top probability ≥ 0.8): the form comparison is about the frame paths, so it uses photos
 * far from a decision boundary, where resampling differences cannot flip the label.
 */
private suspend fun photosPerLabel(checker: LeafChecker, perLabel: Int): List<Pair<String, File>> {
    val opts = LeafChecker.options(roiFraction = 1.0)
    val chosen = mutableListOf<Pair<String, File>>()
    for ((label, files) in photos().groupBy { it.first }.toSortedMap()) {
        var found = 0
        for ((_, f) in files.take(40)) {
            if (found == perLabel) break
            val r = checker.check(f.readBytes(), opts)
            if (r.verdict == LeafVerdict.OK && (r.disease?.probability ?: 0.0) >= 0.8) {
                chosen += label to f
                found++
            }
        }
        assertEquals("clearly judged $label photos", perLabel, found)
    }
    return chosen
}

/** Cropped to even sides (4:2:0 needs them). */
private fun evenRgb(src: BufferedImage): BufferedImage {
    val w = src.width and 1.inv()
    val h = src.height and 1.inv()
    val out = BufferedImage(w, h, BufferedImage.TYPE_INT_RGB)
    out.graphics.apply { drawImage(src, 0, 0, null); dispose() }
    return out
}

private fun pixels(img: BufferedImage): IntArray = img.getRGB(0, 0, img.width, img.height, null, 0, img.width)

private fun rgba(img: BufferedImage): ByteBuffer {
    val buf = ByteBuffer.allocateDirect(img.width * img.height * 4)
    for (p in pixels(img)) {
        buf.put((p shr 16).toByte()).put((p shr 8).toByte()).put(p.toByte()).put(0xFF.toByte())
    }
    return buf.flip()
}

private fun clamp(x: Double): Byte = x.roundToInt().coerceIn(0, 255).toByte()

/** Full-range BT.601 (JFIF) Y, and U/V averaged over each 2×2 block. */
private class Yuv(img: BufferedImage) {
    val w = img.width
    val h = img.height
    val y = ByteArray(w * h)
    val u = ByteArray(w * h / 4)
    val v = ByteArray(w * h / 4)

    init {
        val px = pixels(img)
        val us = DoubleArray(w * h / 4)
        val vs = DoubleArray(w * h / 4)
        for (row in 0 until h) for (col in 0 until w) {
            val p = px[row * w + col]
            val r = (p shr 16 and 0xFF).toDouble()
            val g = (p shr 8 and 0xFF).toDouble()
            val b = (p and 0xFF).toDouble()
            y[row * w + col] = clamp(0.299 * r + 0.587 * g + 0.114 * b)
            val c = (row / 2) * (w / 2) + col / 2
            us[c] += 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
            vs[c] += 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
        }
        for (i in us.indices) {
            u[i] = clamp(us[i] / 4)
            v[i] = clamp(vs[i] / 4)
        }
    }
}

private fun nv21(img: BufferedImage): ByteBuffer {
    val yuv = Yuv(img)
    val buf = ByteBuffer.allocateDirect(yuv.w * yuv.h * 3 / 2).put(yuv.y)
    for (i in yuv.u.indices) buf.put(yuv.v[i]).put(yuv.u[i])
    return buf.flip()
}

/**
 * `YUV_420_888` as a phone camera gives it: rows padded to `width + padding`, chroma
 * interleaved (pixel stride 2) with the U and V planes aliasing one buffer, and the last row
 * of each plane not padded.
 */
private fun yuv420(img: BufferedImage, padding: Int): LeafImage.Yuv420 {
    val yuv = Yuv(img)
    val (w, h) = yuv.w to yuv.h
    val stride = w + padding
    val y = ByteBuffer.allocateDirect(stride * (h - 1) + w)
    for (row in 0 until h) {
        y.position(row * stride)
        y.put(yuv.y, row * w, w)
    }
    y.position(0)
    val chroma = ByteBuffer.allocateDirect(stride * (h / 2 - 1) + w)
    for (row in 0 until h / 2) for (col in 0 until w / 2) {
        chroma.put(row * stride + 2 * col, yuv.v[row * (w / 2) + col])
        if (row * stride + 2 * col + 1 < chroma.capacity()) {
            chroma.put(row * stride + 2 * col + 1, yuv.u[row * (w / 2) + col])
        }
    }
    val planeLen = stride * (h / 2 - 1) + w - 1
    val v = chroma.duplicate().position(0).limit(planeLen).slice()
    val u = chroma.duplicate().position(1).limit(1 + planeLen).slice()
    return LeafImage.Yuv420(y, u, v, w, h, stride, stride, 2)
}
