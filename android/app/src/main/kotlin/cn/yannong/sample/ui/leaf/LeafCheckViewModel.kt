package cn.yannong.sample.ui.leaf

import android.content.Context
import android.util.Log
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import cn.yannong.LeafChecker
import cn.yannong.LeafImage
import cn.yannong.ffi.LeafPosition
import cn.yannong.ffi.LeafResult
import cn.yannong.ffi.Lesson
import cn.yannong.ffi.YannongException
import cn.yannong.lessonsFor
import cn.yannong.sample.AppGraph
import cn.yannong.userMessage
import java.io.IOException
import java.util.concurrent.atomic.AtomicBoolean
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/** Side of the guide square the screen draws, as a share of the picture's shorter side: the
 * part of the frame the core checks. */
internal const val GUIDE_FRACTION = 0.8

/** What the leaf-check screen shows. */
sealed interface LeafUi {
    /** The camera is aiming; nothing checked yet. */
    data object Aiming : LeafUi

    /** A frame was taken and is being checked. */
    data object Checking : LeafUi

    /** The answer, the lessons it points at, and whether it was saved to the history. */
    data class Done(val result: LeafResult, val lessons: List<Lesson>, val saved: Boolean = false) : LeafUi

    data class Failed(val message: String) : LeafUi
}

/**
 * One leaf checker for the screen's life (loading the model takes a moment) and the camera's
 * analyzer: it lets frames go by until the farmer asks for a check, then hands the next one to
 * the core, whose one copy of the pixels is made before the frame goes back to the camera.
 */
class LeafCheckViewModel(private val graph: AppGraph, context: Context) : ViewModel() {

    private val state = MutableStateFlow<LeafUi>(LeafUi.Aiming)
    val ui: StateFlow<LeafUi> = state.asStateFlow()

    val position = MutableStateFlow(LeafPosition.MIDDLE)

    /** True once the checker is open (the model takes a moment to load). */
    val ready = MutableStateFlow(false)

    /** False when the model could not be loaded and the check uses the colour rule alone. */
    val modelLoaded = MutableStateFlow(true)

    @Volatile
    private var checker: LeafChecker? = null
    private val wantFrame = AtomicBoolean(false)

    init {
        val app = context.applicationContext
        viewModelScope.launch {
            checker = try {
                LeafChecker.open(withContext(Dispatchers.IO) { LeafModel.install(app) })
            } catch (e: IOException) {
                colourOnly("copying", e)
            } catch (e: YannongException) {
                colourOnly("loading", e)
            }
            ready.value = true
        }
    }

    private suspend fun colourOnly(what: String, e: Exception): LeafChecker {
        Log.w(TAG, "$what the leaf model failed (${e.javaClass.simpleName}); colour rule only")
        modelLoaded.value = false
        return LeafChecker.open(null)
    }

    /** The farmer pressed "check": the next camera frame is checked. */
    fun check() {
        if (checker == null || state.value == LeafUi.Checking) return
        state.value = LeafUi.Checking
        wantFrame.set(true)
    }

    fun again() {
        state.value = LeafUi.Aiming
    }

    /** Runs on the camera's executor for every frame; each frame is closed before returning. */
    val analyzer = ImageAnalysis.Analyzer { proxy -> onFrame(proxy) }

    private fun onFrame(proxy: ImageProxy) {
        val checker = checker
        if (checker == null || !wantFrame.compareAndSet(true, false)) {
            proxy.close()
            return
        }
        val frame = try {
            // capture() copies the planes into the core; only then may the camera have its
            // buffers back, which use {} does by closing the proxy.
            proxy.use {
                val (y, u, v) = it.planes
                checker.capture(
                    LeafImage.Yuv420(
                        y.buffer, u.buffer, v.buffer, it.width, it.height,
                        y.rowStride, u.rowStride, u.pixelStride, it.imageInfo.rotationDegrees,
                    ),
                )
            }
        } catch (e: YannongException) {
            state.value = LeafUi.Failed(e.userMessage)
            return
        } catch (e: IllegalStateException) {
            return // the screen is going away and the checker is closed
        }
        viewModelScope.launch {
            state.value = try {
                val options = LeafChecker.options(position.value, roiFraction = GUIDE_FRACTION)
                val result = frame.use { checker.check(it, options) }
                LeafUi.Done(result, lessonsFor(result))
            } catch (e: YannongException) {
                LeafUi.Failed(e.userMessage)
            }
        }
    }

    private suspend fun lessonsFor(result: LeafResult): List<Lesson> = try {
        graph.lessons().lessonsFor(result)
    } catch (e: YannongException) {
        emptyList() // no lesson pack (or no keys in this build): the answer stands alone
    }

    fun save() {
        val done = state.value as? LeafUi.Done ?: return
        if (done.saved) return
        viewModelScope.launch {
            state.value = try {
                graph.client().leafHistory().save(done.result)
                done.copy(saved = true)
            } catch (e: YannongException) {
                LeafUi.Failed(e.userMessage)
            }
        }
    }

    override fun onCleared() {
        checker?.close()
        checker = null
    }

    private companion object {
        const val TAG = "LeafCheck"
    }
}
