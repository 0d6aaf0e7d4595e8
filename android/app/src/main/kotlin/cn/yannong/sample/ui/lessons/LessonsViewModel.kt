package cn.yannong.sample.ui.lessons

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import cn.yannong.DownloadState
import cn.yannong.ffi.Lesson
import cn.yannong.ffi.LessonSearchHit
import cn.yannong.ffi.OfferedPack
import cn.yannong.ffi.YannongException
import cn.yannong.sample.AppGraph
import cn.yannong.userMessage
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.FlowPreview
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharingStarted
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.debounce
import kotlinx.coroutines.flow.mapLatest
import kotlinx.coroutines.flow.stateIn
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

data class LessonsState(
    val loading: Boolean = true,
    val lessons: List<Lesson> = emptyList(),
    val continueReading: Lesson? = null,
    /** What the platform offers that is not installed in that version; empty offline. */
    val offered: List<OfferedPack> = emptyList(),
    val error: String? = null,
)

/** The lesson list, search and pack downloads, all offline but the last. */
class LessonsViewModel(private val graph: AppGraph) : ViewModel() {

    val state = MutableStateFlow(LessonsState())
    val query = MutableStateFlow("")

    /** Pack id → percent of the downloads running. */
    val downloading = MutableStateFlow<Map<String, Int>>(emptyMap())

    /** Search as the farmer types (Chinese, pinyin or initials), a moment after the last key. */
    @OptIn(FlowPreview::class, ExperimentalCoroutinesApi::class)
    val hits: StateFlow<List<LessonSearchHit>> = query
        .debounce(250)
        .mapLatest { q ->
            if (q.isBlank()) {
                emptyList()
            } else {
                try {
                    graph.lessons().search(q.trim(), limit = 30)
                } catch (e: YannongException) {
                    emptyList()
                }
            }
        }
        .stateIn(viewModelScope, SharingStarted.WhileSubscribed(5_000), emptyList())

    init {
        refreshOffered()
    }

    /** The installed lessons and their progress; again each time the list comes back on screen. */
    fun refreshLessons() {
        viewModelScope.launch {
            try {
                val library = graph.lessons()
                val lessons = library.lessons()
                val next = library.continueReading()
                state.update { it.copy(loading = false, lessons = lessons, continueReading = next, error = null) }
            } catch (e: YannongException) {
                state.update { it.copy(loading = false, error = e.userMessage) }
            }
        }
    }

    /** What the platform offers; offline this fails quietly and the installed lessons stay. */
    fun refreshOffered() {
        viewModelScope.launch {
            try {
                val offered = graph.lessonDownloads().use { it.offered() }
                state.update { s -> s.copy(offered = offered.filter { p -> p.installedVersion?.let { it < p.version } ?: true }) }
            } catch (e: YannongException) {
                state.update { it.copy(offered = emptyList()) }
            }
        }
    }

    /** Downloads (or resumes) and installs a pack; progress in [downloading]. */
    fun download(packId: String) {
        if (packId in downloading.value) return
        downloading.update { it + (packId to 0) }
        viewModelScope.launch {
            try {
                graph.lessonDownloads().use { downloads ->
                    downloads.download(packId).collect { s ->
                        if (s is DownloadState.Progress) downloading.update { it + (packId to s.progress.percent.toInt()) }
                    }
                }
                refreshLessons()
                refreshOffered()
            } catch (e: YannongException) {
                // What arrived is kept; the next download resumes from there.
                state.update { it.copy(error = e.userMessage) }
            } finally {
                downloading.update { it - packId }
            }
        }
    }
}
