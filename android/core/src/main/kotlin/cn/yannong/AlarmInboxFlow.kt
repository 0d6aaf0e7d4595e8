package cn.yannong

import cn.yannong.ffi.AlarmInfo
import cn.yannong.ffi.AlarmWatchEvent
import cn.yannong.ffi.PushOutcome
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow

/**
 * [AlarmCenter.inboxFlow] for an inbox screen that also notifies: the same lists (the stored
 * inbox at once, then again whenever the platform's stream connects or brings an event), and
 * each event the stream brings as new is handed to [onNew] first, to carry out its
 * [PushOutcome.New.notification].
 *
 * While the inbox screen is open its stream is usually the first channel to deliver an
 * event, and the vendor push that follows is then a duplicate; without [onNew] such an alarm
 * would appear in the list but never sound.
 *
 * ```kotlin
 * alarms.inboxFlow { new -> notifier.carryOut(new.notification) }
 *     .collect { list -> adapter.submit(list) }
 * ```
 *
 * Holds the stream open while collected; collect it once (see [AlarmCenter.events]).
 */
fun AlarmCenter.inboxFlow(onNew: suspend (PushOutcome.New) -> Unit): Flow<List<AlarmInfo>> = flow {
    emit(alarms())
    events.collect { event ->
        when (event) {
            is AlarmWatchEvent.Live -> emit(alarms())
            is AlarmWatchEvent.Received -> {
                (event.outcome as? PushOutcome.New)?.let { onNew(it) }
                emit(alarms())
            }
            is AlarmWatchEvent.Offline, is AlarmWatchEvent.Ended -> Unit
        }
    }
}
