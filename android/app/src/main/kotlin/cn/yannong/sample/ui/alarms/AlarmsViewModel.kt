package cn.yannong.sample.ui.alarms

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import cn.yannong.ffi.AckResult
import cn.yannong.ffi.AlarmInfo
import cn.yannong.ffi.Lesson
import cn.yannong.ffi.LessonLinkKind
import cn.yannong.ffi.YannongException
import cn.yannong.inboxFlow
import cn.yannong.sample.AppGraph
import cn.yannong.userMessage
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharingStarted
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.catch
import kotlinx.coroutines.flow.emitAll
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.merge
import kotlinx.coroutines.flow.stateIn
import kotlinx.coroutines.launch

sealed interface AlarmsUi {
    data object Loading : AlarmsUi

    /** Alarms belong to an account: log in on the barns tab first. */
    data object NeedsLogin : AlarmsUi

    data class Listed(val alarms: List<AlarmInfo>) : AlarmsUi

    data class Failed(val message: String) : AlarmsUi
}

/** A one-off message for the screen's snackbar. */
sealed interface AlarmNote {
    data class Acknowledged(val result: AckResult) : AlarmNote

    data object NoLesson : AlarmNote

    data class Error(val message: String) : AlarmNote
}

/**
 * The alarm inbox: the stored list at once (offline too), updated by the platform's stream
 * while the screen is visible. An alarm the stream brings first is notified here, since the
 * vendor push that follows is a duplicate.
 */
class AlarmsViewModel(private val graph: AppGraph) : ViewModel() {

    /** The inbox right after an acknowledgement, which the stream does not announce. */
    private val refreshed = MutableSharedFlow<List<AlarmInfo>>(extraBufferCapacity = 1)

    val note = MutableStateFlow<AlarmNote?>(null)

    val ui: StateFlow<AlarmsUi> = flow<AlarmsUi> {
        if (!graph.loggedIn()) {
            emit(AlarmsUi.NeedsLogin)
            return@flow
        }
        val alarms = graph.alarms()
        val inbox = alarms.inboxFlow { new -> graph.notifier.carryOut(new.notification) }
        emitAll(merge(inbox, refreshed).map { AlarmsUi.Listed(it) })
    }
        .catch { e -> if (e is YannongException) emit(AlarmsUi.Failed(e.userMessage)) else throw e }
        .stateIn(viewModelScope, SharingStarted.WhileSubscribed(5_000), AlarmsUi.Loading)

    /** 确认: saved and shown at once, sent now or by the next catch-up. */
    fun acknowledge(alarm: AlarmInfo) {
        viewModelScope.launch {
            try {
                val alarms = graph.alarms()
                note.value = AlarmNote.Acknowledged(alarms.acknowledge(alarm.id))
                refreshed.emit(alarms.alarms())
            } catch (e: YannongException) {
                note.value = AlarmNote.Error(e.userMessage)
            }
        }
    }

    /** Opens the first lesson about the alarm's rule ("what to do"), if a pack has one. */
    fun openLesson(alarm: AlarmInfo, show: (Lesson) -> Unit) {
        viewModelScope.launch {
            val lessons = try {
                graph.lessons().lessonsFor(LessonLinkKind.ALARM, alarm.rule)
            } catch (e: YannongException) {
                emptyList()
            }
            lessons.firstOrNull()?.let(show) ?: run { note.value = AlarmNote.NoLesson }
        }
    }

    fun noteShown() {
        note.value = null
    }
}
