package cn.yannong.sample.ui.alarms

import android.content.Intent
import android.net.Uri
import android.os.Build
import android.provider.Settings
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Settings
import androidx.compose.material3.Button
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.SnackbarHost
import androidx.compose.material3.SnackbarHostState
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.yannong.AlarmCenter
import cn.yannong.ffi.AckResult
import cn.yannong.ffi.AlarmInfo
import cn.yannong.ffi.AlarmSeverity
import cn.yannong.ffi.Lesson
import cn.yannong.sample.R
import cn.yannong.sample.ui.ErrorMessage
import cn.yannong.sample.ui.Loading
import cn.yannong.sample.ui.ScreenTitle
import cn.yannong.sample.ui.appGraph
import cn.yannong.sample.ui.shortText

/** The alarm inbox (报警): newest first, each with what to do, acknowledge and its lesson. */
@Composable
fun AlarmsScreen(openLesson: (Lesson) -> Unit) {
    val graph = appGraph()
    val context = LocalContext.current
    val vm: AlarmsViewModel = viewModel { AlarmsViewModel(graph) }
    val ui by vm.ui.collectAsStateWithLifecycle()
    val note by vm.note.collectAsStateWithLifecycle()
    val snackbar = remember { SnackbarHostState() }

    val noteText = note?.let { noteText(it) }
    LaunchedEffect(note) {
        if (noteText != null) {
            snackbar.showSnackbar(noteText)
            vm.noteShown()
        }
    }

    Box(Modifier.fillMaxSize()) {
        Column(Modifier.fillMaxSize()) {
            ScreenTitle(stringResource(R.string.tab_alarms)) {
                // The critical channel's settings: where the user lets it ring through Do Not Disturb.
                IconButton(onClick = { context.startActivity(criticalChannelSettings(context.packageName)) }) {
                    Icon(Icons.Filled.Settings, contentDescription = stringResource(R.string.alarms_settings))
                }
            }
            when (val state = ui) {
                AlarmsUi.Loading -> Loading()
                AlarmsUi.NeedsLogin -> ErrorMessage(stringResource(R.string.alarms_login_first))
                is AlarmsUi.Failed -> ErrorMessage(state.message)
                is AlarmsUi.Listed -> if (state.alarms.isEmpty()) {
                    Text(stringResource(R.string.alarms_empty), Modifier.padding(16.dp))
                } else {
                    LazyColumn(Modifier.fillMaxSize()) {
                        items(state.alarms, key = { it.id }) { alarm ->
                            AlarmRow(
                                alarm,
                                acknowledge = { vm.acknowledge(alarm) },
                                whatToDo = { vm.openLesson(alarm, openLesson) },
                            )
                            HorizontalDivider()
                        }
                    }
                }
            }
        }
        SnackbarHost(snackbar, Modifier.align(Alignment.BottomCenter))
    }
}

@Composable
private fun AlarmRow(alarm: AlarmInfo, acknowledge: () -> Unit, whatToDo: () -> Unit) {
    Column(Modifier.fillMaxWidth().padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalAlignment = Alignment.CenterVertically) {
            Text(stringResource(severityLabel(alarm.severity)), color = severityColour(alarm.severity), style = MaterialTheme.typography.labelLarge)
            Text(alarm.raisedAt.shortText(), style = MaterialTheme.typography.bodySmall)
        }
        Text(alarm.title.text, style = MaterialTheme.typography.titleMedium)
        Text(alarm.action.text)
        alarm.clearedAt?.let { Text(stringResource(R.string.alarms_cleared, it.shortText()), style = MaterialTheme.typography.bodySmall) }
        alarm.acknowledgedAt?.let { Text(stringResource(R.string.alarms_acknowledged, it.shortText()), style = MaterialTheme.typography.bodySmall) }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            if (alarm.acknowledgedAt == null) Button(onClick = acknowledge) { Text(stringResource(R.string.acknowledge)) }
            TextButton(onClick = whatToDo) { Text(stringResource(R.string.alarms_what_to_do)) }
        }
    }
}

@Composable
private fun noteText(note: AlarmNote): String = when (note) {
    is AlarmNote.Acknowledged -> when (val r = note.result) {
        AckResult.Delivered -> stringResource(R.string.alarms_ack_sent)
        is AckResult.Queued -> stringResource(R.string.alarms_ack_queued)
        is AckResult.AlreadyAcknowledged -> stringResource(R.string.alarms_ack_already, r.at.shortText())
    }
    AlarmNote.NoLesson -> stringResource(R.string.alarms_no_lesson)
    is AlarmNote.Error -> note.message
}

private fun severityLabel(severity: AlarmSeverity): Int = when (severity) {
    AlarmSeverity.CRITICAL -> R.string.severity_critical
    AlarmSeverity.MAJOR -> R.string.severity_major
    AlarmSeverity.MINOR -> R.string.severity_minor
    AlarmSeverity.INFO -> R.string.severity_info
}

private fun severityColour(severity: AlarmSeverity): Color = when (severity) {
    AlarmSeverity.CRITICAL -> Color(0xFFC62828)
    AlarmSeverity.MAJOR -> Color(0xFFEF6C00)
    AlarmSeverity.MINOR -> Color(0xFFF9A825)
    AlarmSeverity.INFO -> Color(0xFF757575)
}

/** The system settings of the critical-alarm channel (Android 8+), else the app's. */
private fun criticalChannelSettings(packageName: String): Intent {
    if (Build.VERSION.SDK_INT < 26) {
        return Intent(Settings.ACTION_APPLICATION_DETAILS_SETTINGS, Uri.fromParts("package", packageName, null))
    }
    val critical = AlarmCenter.notificationChannels().first { it.severity == AlarmSeverity.CRITICAL }
    return Intent(Settings.ACTION_CHANNEL_NOTIFICATION_SETTINGS)
        .putExtra(Settings.EXTRA_APP_PACKAGE, packageName)
        .putExtra(Settings.EXTRA_CHANNEL_ID, critical.id)
}
