package cn.yannong.sample.ui.barns

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import cn.yannong.ffi.BarnCurve
import cn.yannong.ffi.BarnReading
import cn.yannong.ffi.BarnWatchEvent
import cn.yannong.ffi.YannongException
import cn.yannong.sample.AppGraph
import cn.yannong.userMessage
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharingStarted
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.catch
import kotlinx.coroutines.flow.combine
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.emitAll
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.mapLatest
import kotlinx.coroutines.flow.runningFold
import kotlinx.coroutines.flow.stateIn

/** The barn's live connection as the curve screen shows it. */
sealed interface Connection {
    data object Connecting : Connection

    data object Live : Connection

    data class Offline(val retryInSeconds: Long) : Connection

    data class Ended(val needsLogin: Boolean) : Connection
}

data class LiveState(val connection: Connection = Connection.Connecting, val latest: BarnReading? = null)

sealed interface CurveUi {
    data object Loading : CurveUi

    /** The barn has no cure (or is not in this account's copy). */
    data object NoCure : CurveUi

    data class Ready(val curve: BarnCurve) : CurveUi

    data class Failed(val message: String) : CurveUi
}

/**
 * One barn: its live readings (`BarnMonitor.watch`, open while the screen is visible) and its
 * chart (`BarnMonitor.curve`), read again from the local copy whenever a reading arrives, at
 * about one point per pixel of the chart's width.
 */
class CurveViewModel(private val graph: AppGraph, private val barnId: Long) : ViewModel() {

    private val chartWidth = MutableStateFlow(0)

    /** The chart's width in pixels, once laid out. */
    fun setChartWidth(px: Int) {
        chartWidth.value = px
    }

    val live: StateFlow<LiveState> = flow { emitAll(graph.barns().watch(barnId)) }
        .runningFold(LiveState()) { state, event ->
            when (event) {
                BarnWatchEvent.Live -> state.copy(connection = Connection.Live)
                is BarnWatchEvent.Reading -> state.copy(connection = Connection.Live, latest = event.reading)
                is BarnWatchEvent.Offline -> state.copy(connection = Connection.Offline(event.retryIn.seconds))
                is BarnWatchEvent.Ended -> state.copy(connection = Connection.Ended(event.needsLogin))
            }
        }
        .catch { e -> if (e is YannongException) emit(LiveState(Connection.Ended(needsLogin = false))) else throw e }
        .stateIn(viewModelScope, SharingStarted.WhileSubscribed(5_000), LiveState())

    // Each new reading is already in the local database when it arrives; a reading that comes
    // while the chart is being read cancels that read and starts a fresh one.
    @OptIn(ExperimentalCoroutinesApi::class)
    val curve: StateFlow<CurveUi> = combine(
        chartWidth.filter { it > 0 },
        live.map { it.latest?.at }.distinctUntilChanged(),
    ) { width, _ -> width }
        .mapLatest { width ->
            try {
                graph.barns().curve(barnId, points = width)?.let { CurveUi.Ready(it) } ?: CurveUi.NoCure
            } catch (e: YannongException) {
                CurveUi.Failed(e.userMessage)
            }
        }
        .stateIn(viewModelScope, SharingStarted.WhileSubscribed(5_000), CurveUi.Loading)
}
