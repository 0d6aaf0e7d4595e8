package cn.yannong.sample.ui.lessons

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import cn.yannong.ReadingProgress
import cn.yannong.ffi.LessonMedia
import cn.yannong.ffi.YannongException
import cn.yannong.sample.AppGraph
import cn.yannong.userMessage
import java.io.File
import kotlinx.coroutines.FlowPreview
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.debounce
import kotlinx.coroutines.flow.filterNotNull
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

sealed interface ReaderUi {
    data object Loading : ReaderUi

    /** The page, and where the farmer stopped reading last time (0–1). */
    data class Ready(val title: String, val html: String, val startAt: Double) : ReaderUi

    data class Failed(val message: String) : ReaderUi
}

/** One optional audio or video file of the lesson's pack, and what the phone has of it. */
data class MediaItem(val media: LessonMedia, val file: File?, val percent: Int? = null)

/**
 * One lesson: the core's self-contained HTML page, the reading position (restored, then
 * recorded a moment after scrolling stops and once more on leaving) and the pack's optional
 * media, downloaded on request and played from the core's files.
 */
class LessonReaderViewModel(
    private val graph: AppGraph,
    private val packId: String,
    private val lessonId: String,
) : ViewModel() {

    val ui = MutableStateFlow<ReaderUi>(ReaderUi.Loading)
    val media = MutableStateFlow<List<MediaItem>>(emptyList())
    val playing = MutableStateFlow<File?>(null)

    /** Why the last media download failed (what arrived is kept for the next try). */
    val mediaError = MutableStateFlow<String?>(null)
    private val position = MutableStateFlow<Double?>(null)

    init {
        viewModelScope.launch {
            try {
                val library = graph.lessons()
                val lesson = library.lessons().firstOrNull { it.packId == packId && it.lessonId == lessonId }
                val html = library.lessonHtml(packId, lessonId)
                ui.value = ReaderUi.Ready(lesson?.title?.text.orEmpty(), html, lesson?.progress?.position ?: 0.0)
                loadMedia()
            } catch (e: YannongException) {
                ui.value = ReaderUi.Failed(e.userMessage)
            }
        }
        recordWhileReading()
    }

    /** Writes the position a moment after scrolling stops, not for every pixel. */
    @OptIn(FlowPreview::class)
    private fun recordWhileReading() {
        viewModelScope.launch {
            position.filterNotNull().debounce(1_000).collect { record(it) }
        }
    }

    /** The page scrolled to [at] (0–1, see [ReadingProgress]). */
    fun scrolled(at: Double) {
        position.value = at
    }

    private suspend fun record(at: Double) {
        try {
            graph.lessons().recordProgress(packId, lessonId, at, completed = ReadingProgress.finished(at))
        } catch (e: YannongException) {
            // The pack was removed meanwhile: nothing to keep progress for.
        }
    }

    private suspend fun loadMedia() {
        val library = graph.lessons()
        media.value = library.media(packId).map { m ->
            MediaItem(m, if (m.downloaded) library.mediaFile(packId, m.path) else null)
        }
    }

    /** Fetches one optional file (resuming a partial one), with its progress in [media]. */
    fun download(item: MediaItem) {
        if (item.percent != null) return
        setPercent(item.media.path, 0)
        mediaError.value = null
        viewModelScope.launch {
            try {
                graph.lessonDownloads().use { downloads ->
                    downloads.downloadMedia(packId, item.media.path) { p -> setPercent(item.media.path, p.percent.toInt()) }
                }
                loadMedia()
            } catch (e: YannongException) {
                setPercent(item.media.path, null)
                mediaError.value = e.userMessage
            }
        }
    }

    fun play(item: MediaItem) {
        playing.value = item.file
    }

    private fun setPercent(path: String, percent: Int?) {
        media.update { list -> list.map { if (it.media.path == path) it.copy(percent = percent) else it } }
    }

    override fun onCleared() {
        // The screen's scope is gone; the last position is written in the app's.
        val last = position.value ?: return
        graph.scope.launch { record(last) }
    }
}
