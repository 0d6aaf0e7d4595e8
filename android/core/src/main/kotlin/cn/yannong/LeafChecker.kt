package cn.yannong

import cn.yannong.ffi.LeafCheckEngine
import cn.yannong.ffi.LeafCheckOptions
import cn.yannong.ffi.LeafFrame
import cn.yannong.ffi.LeafHistoryDetail
import cn.yannong.ffi.LeafHistoryEntry
import cn.yannong.ffi.LeafModelInfo
import cn.yannong.ffi.LeafPosition
import cn.yannong.ffi.LeafResult
import cn.yannong.ffi.Lesson
import cn.yannong.ffi.Yannong
import cn.yannong.ffi.YannongException
import java.io.File
import java.nio.ByteBuffer
import java.util.Locale
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.withContext

/**
 * A picture to check, as the platform hands it over. Nothing here imports Android classes:
 * pass the buffers and numbers the camera gives you.
 *
 * Camera buffers are read from their current `position()` to their `limit()` and never
 * consumed: their position is the same after a check. Direct buffers (all camera buffers)
 * are read without a copy on the Kotlin side; a heap buffer is first copied into a direct one.
 * The core copies the pixels once, during the (short, synchronous) first part of
 * [LeafChecker.check] or in [LeafChecker.capture]; after that the camera may reuse its buffers
 * (e.g. `imageProxy.close()` right after [LeafChecker.capture]).
 */
sealed class LeafImage {
    /** Clockwise rotation in degrees that turns the picture upright (a multiple of 90). */
    abstract val rotationDegrees: Int

    internal abstract fun toFrame(): LeafFrame

    /** NV21 from the old camera API: the Y plane, then interleaved V/U, tightly packed. */
    class Nv21(
        val data: ByteBuffer,
        val width: Int,
        val height: Int,
        override val rotationDegrees: Int = 0,
    ) : LeafImage() {
        override fun toFrame(): LeafFrame {
            val d = data.forCore()
            return LeafFrame.nv21(d, width, height, rotationDegrees).also { fence(d) }
        }
    }

    /**
     * `YUV_420_888` as CameraX's `ImageProxy` (or Camera2's `Image`) gives it:
     *
     * ```kotlin
     * val (y, u, v) = imageProxy.planes
     * LeafImage.Yuv420(
     *     y.buffer, u.buffer, v.buffer, imageProxy.width, imageProxy.height,
     *     y.rowStride, u.rowStride, u.pixelStride, imageProxy.imageInfo.rotationDegrees,
     * )
     * ```
     *
     * The U and V planes share their row and pixel strides (an Android guarantee); a pixel
     * stride of 2 means they are interleaved and alias the same memory, which is fine.
     */
    class Yuv420(
        val y: ByteBuffer,
        val u: ByteBuffer,
        val v: ByteBuffer,
        val width: Int,
        val height: Int,
        val yRowStride: Int,
        val uvRowStride: Int,
        val uvPixelStride: Int,
        override val rotationDegrees: Int = 0,
    ) : LeafImage() {
        override fun toFrame(): LeafFrame {
            val (yc, uc, vc) = Triple(y.forCore(), u.forCore(), v.forCore())
            return LeafFrame.yuv420(
                yc, uc, vc, width, height, yRowStride, uvRowStride, uvPixelStride, rotationDegrees,
            ).also { fence(yc, uc, vc) }
        }
    }

    /**
     * RGBA pixels, e.g. an `ARGB_8888` `Bitmap` copied with `copyPixelsToBuffer` (which is RGBA
     * in memory); alpha is ignored.
     *
     * @param rowStride bytes from one row to the next, at least `width * 4`.
     */
    class Rgba(
        val data: ByteBuffer,
        val width: Int,
        val height: Int,
        val rowStride: Int = width * 4,
        override val rotationDegrees: Int = 0,
    ) : LeafImage() {
        override fun toFrame(): LeafFrame {
            val d = data.forCore()
            return LeafFrame.rgba(d, width, height, rowStride, rotationDegrees).also { fence(d) }
        }
    }

    /**
     * A JPEG or PNG file's bytes (e.g. a gallery photo); its EXIF orientation is honoured. A
     * memory-mapped file (`FileChannel.map`) is a direct buffer and is read without a copy.
     */
    class Photo(val data: ByteBuffer) : LeafImage() {
        constructor(bytes: ByteArray) : this(ByteBuffer.wrap(bytes))

        override val rotationDegrees: Int get() = 0

        override fun toFrame(): LeafFrame {
            val d = data.forCore()
            return LeafFrame.photo(d).also { fence(d) }
        }
    }
}

/**
 * The leaf check (慧眼识烟): photo quality gate, then the leaf model (disease, and maturity
 * when the model has a maturity head, else the colour rule), then harvest and curing advice
 * and the lessons to read.
 *
 * Open one per camera screen (loading the model takes a moment) and close it when the screen
 * goes away; it is thread-safe and checks may run concurrently.
 *
 * ```kotlin
 * val checker = LeafChecker.open(File(context.filesDir, "models/leaf"))
 * imageAnalysis.setAnalyzer(executor) { proxy ->
 *     val (y, u, v) = proxy.planes
 *     val frame = proxy.use {
 *         checker.capture(LeafImage.Yuv420(y.buffer, u.buffer, v.buffer, proxy.width, proxy.height,
 *             y.rowStride, u.rowStride, u.pixelStride, proxy.imageInfo.rotationDegrees))
 *     }
 *     scope.launch { val result = frame.use { checker.check(it) }; show(result) }
 * }
 * ```
 *
 * The result types ([LeafResult], [cn.yannong.ffi.LeafVerdict], [cn.yannong.ffi.LeafDisease],
 * [cn.yannong.ffi.LeafAdvice], ...) are generated into `cn.yannong.ffi` like the client's.
 * A bad photo is an answer, not an error: `verdict` is `RETAKE` or `NO_LEAF` with `hints`.
 *
 * ## Errors
 * [YannongException.InvalidInput] for pictures that cannot be read (field `photo`), frames
 * whose sizes, strides or buffers do not fit (fields `size`, `row_stride`, `pixel_stride`,
 * the plane's name, `width`, ...), a rotation that is not a multiple of 90
 * (`rotation_degrees`) or bad options (`roi_fraction`, `problem_min`).
 *
 * ## Cancellation
 * Cancelling the calling coroutine stops the check between its stages and throws
 * `CancellationException`; [cancel] stops every running check with
 * [YannongException.Cancelled].
 */
class LeafChecker private constructor(private val core: LeafCheckEngine) : AutoCloseable {

    companion object {
        /**
         * Loads the model in [modelDir] (`manifest.json` and the model file it names, checked
         * against its SHA-256) off the caller's thread. With `null`, checks use the colour rule
         * alone: maturity only, marked as an estimate.
         *
         * @param locale the language of [cn.yannong.ffi.LocalizedText.text] and of error
         *   messages: English if the locale's language is English, Simplified Chinese otherwise.
         * @throws YannongException.NotFound if [modelDir] is not a folder.
         * @throws YannongException.Integrity if the model is damaged or incomplete.
         */
        suspend fun open(modelDir: File?, locale: Locale = Locale.getDefault()): LeafChecker =
            LeafChecker(LeafCheckEngine.open(modelDir?.absolutePath, locale.toLanguageTag()))

        /** Options for a leaf on the stalk at [position], checking the centre 80 %. */
        fun options(
            position: LeafPosition = LeafPosition.MIDDLE,
            roiFraction: Double = 0.8,
        ): LeafCheckOptions = LeafCheckOptions(roiFraction = roiFraction, position = position)
    }

    /** The model checks run with; `null` for the colour rule alone. */
    val model: LeafModelInfo?
        get() = core.model()

    /**
     * Copies [image] into the core (the only copy) and returns it for [check]; the caller's
     * buffers may be reused as soon as this returns. Close the frame when done.
     *
     * @throws YannongException.InvalidInput for a negative size or stride or a rotation that
     *   is not a multiple of 90.
     */
    fun capture(image: LeafImage): LeafFrame = image.toFrame()

    /**
     * Checks [image]: copies it into the core on the calling thread (a plain memory copy),
     * then runs the check on the core's threads.
     */
    suspend fun check(image: LeafImage, options: LeafCheckOptions = LeafChecker.options()): LeafResult =
        capture(image).use { check(it, options) }

    /** Checks a JPEG or PNG photo; gallery photos are usually framed already, so the whole
     * picture is checked unless [options] say otherwise. */
    suspend fun check(
        photo: ByteArray,
        options: LeafCheckOptions = LeafChecker.options(roiFraction = 1.0),
    ): LeafResult = check(LeafImage.Photo(photo), options)

    /** Checks a frame from [capture]; the frame can be checked again (other options). */
    suspend fun check(frame: LeafFrame, options: LeafCheckOptions = LeafChecker.options()): LeafResult =
        core.check(frame, options)

    /** Stops every check running now; they throw [YannongException.Cancelled]. */
    fun cancel() {
        core.cancel()
    }

    /**
     * Stops the running checks and releases the model once they have ended. Later calls
     * throw [IllegalStateException]; closing twice is harmless.
     */
    override fun close() {
        try {
            core.cancel()
        } catch (_: IllegalStateException) {
            // Already closed.
        }
        core.close()
    }
}

/**
 * The checks the farmer kept, in the app's database. Get it from the client (see
 * `YannongClient.leafHistory`). Reads are cancellable; changes always run to the end.
 */
class LeafHistory internal constructor(private val core: Yannong) {
    /**
     * Keeps [result] (its JSON answer and thumbnail), stamped now; returns its id. Pass the
     * result as the check returned it.
     *
     * @throws YannongException.InvalidInput if [result] was altered into something no check
     *   returns.
     */
    suspend fun save(result: LeafResult): Long =
        withContext(NonCancellable) { core.saveLeafCheck(result) }

    /** Newest first, at most [limit]; pass the last id seen as [before] for the next page. */
    suspend fun list(limit: Int = 50, before: Long? = null): List<LeafHistoryEntry> =
        core.leafChecks(limit.coerceAtLeast(0).toUInt(), before)

    /** A saved check's JSON answer and thumbnail; `null` if there is no such check. */
    suspend fun detail(id: Long): LeafHistoryDetail? = core.leafCheckDetail(id)

    /** Sets the farmer's note (e.g. which field); false if there is no such check. */
    suspend fun setNote(id: Long, note: String): Boolean =
        withContext(NonCancellable) { core.setLeafCheckNote(id, note) }

    /** Deletes a saved check; false if there was none. */
    suspend fun remove(id: Long): Boolean =
        withContext(NonCancellable) { core.removeLeafCheck(id) }
}

/**
 * The lessons [result]'s advice points at, most relevant first, each once; empty without
 * advice or when no installed pack links its topics.
 */
suspend fun LessonLibrary.lessonsFor(result: LeafResult): List<Lesson> =
    core.lessonsForLeafCheck(result)

/**
 * The buffer the generated code hands to the core: direct, starting at the caller's position.
 * `slice()` leaves the caller's position alone (the generated code ignores the position and
 * would otherwise pass bytes from the buffer's start).
 */
private fun ByteBuffer.forCore(): ByteBuffer =
    if (isDirect) {
        slice()
    } else {
        ByteBuffer.allocateDirect(remaining()).also {
            it.put(duplicate())
            it.flip()
        }
    }

/**
 * Keeps [buffers] reachable until after the native call that reads their memory (a direct
 * buffer's memory is freed when it is collected). `Reference.reachabilityFence` needs API 28.
 */
private fun fence(vararg buffers: ByteBuffer) {
    Reachability.sink = buffers
    Reachability.sink = null
}

private object Reachability {
    @Volatile
    @JvmField
    var sink: Any? = null
}
