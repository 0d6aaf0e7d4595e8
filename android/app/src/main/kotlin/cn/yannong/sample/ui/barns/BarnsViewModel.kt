package cn.yannong.sample.ui.barns

import android.content.Context
import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import cn.yannong.BarnMonitor
import cn.yannong.ffi.YannongException
import cn.yannong.sample.AppGraph
import cn.yannong.sample.push.PushTokens
import cn.yannong.userMessage
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharingStarted
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.catch
import kotlinx.coroutines.flow.emitAll
import kotlinx.coroutines.flow.flatMapLatest
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.flow.flowOf
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.stateIn
import kotlinx.coroutines.launch

/** What the barns tab shows. */
sealed interface BarnsUi {
    data object Loading : BarnsUi

    /** Nobody is logged in; [message] says why when a session ended or a login failed. */
    data class LoggedOut(val message: String? = null) : BarnsUi

    /** The local copy of the barns, re-synced every minute while the screen is visible. */
    data class Listed(val snapshot: BarnMonitor.Snapshot) : BarnsUi

    data class Failed(val message: String) : BarnsUi
}

class BarnsViewModel(private val graph: AppGraph, private val app: Context) : ViewModel() {

    /** `null` until the stored session has been read. */
    private val loggedIn = MutableStateFlow<Boolean?>(null)
    private val loginError = MutableStateFlow<String?>(null)
    val busy = MutableStateFlow(false)

    init {
        viewModelScope.launch {
            loggedIn.value = try {
                graph.loggedIn()
            } catch (e: YannongException) {
                loginError.value = e.userMessage
                false
            }
        }
    }

    /** The list while logged in: barnsFlow syncs only while the screen collects it. */
    @OptIn(ExperimentalCoroutinesApi::class)
    val ui: StateFlow<BarnsUi> = loggedIn.flatMapLatest { state ->
        when (state) {
            null -> flowOf(BarnsUi.Loading)
            false -> loginError.map { BarnsUi.LoggedOut(it) }
            true -> flow<BarnsUi> { emitAll(graph.barns().barnsFlow().map { BarnsUi.Listed(it) }) }
                .catch { e ->
                    when (e) {
                        // The platform no longer takes the session: ask for a login again.
                        is YannongException.Unauthorized -> {
                            loginError.value = e.userMessage
                            loggedIn.value = false
                        }
                        is YannongException -> emit(BarnsUi.Failed(e.userMessage))
                        else -> throw e
                    }
                }
        }
    }.stateIn(viewModelScope, SharingStarted.WhileSubscribed(5_000), BarnsUi.Loading)

    fun login(phone: String, password: String) {
        if (busy.value) return
        busy.value = true
        viewModelScope.launch {
            try {
                graph.barns().login(phone.trim(), password)
                loginError.value = null
                loggedIn.value = true
                // Now the platform can be told where to push this account's alarms.
                PushTokens.registerPending(app)
            } catch (e: YannongException) {
                loginError.value = e.userMessage
            } finally {
                busy.value = false
            }
        }
    }

    fun logout() {
        viewModelScope.launch {
            PushTokens.unregisterAll(app)
            try {
                graph.barns().logout()
            } catch (e: YannongException) {
                loginError.value = e.userMessage
            }
            loggedIn.value = false
        }
    }
}
