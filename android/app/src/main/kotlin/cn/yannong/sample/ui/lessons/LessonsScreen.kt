package cn.yannong.sample.ui.lessons

import android.text.format.Formatter
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Search
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.AnnotatedString
import androidx.compose.ui.text.SpanStyle
import androidx.compose.ui.text.buildAnnotatedString
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.yannong.MarkedText
import cn.yannong.ffi.Lesson
import cn.yannong.ffi.LessonSearchHit
import cn.yannong.ffi.OfferedPack
import cn.yannong.sample.R
import cn.yannong.sample.ui.ErrorMessage
import cn.yannong.sample.ui.Loading
import cn.yannong.sample.ui.ScreenTitle
import cn.yannong.sample.ui.appGraph
import kotlin.math.roundToInt

/** Lessons (学一学): search, "continue reading", every installed lesson, packs to download. */
@Composable
fun LessonsScreen(openLesson: (packId: String, lessonId: String) -> Unit) {
    val graph = appGraph()
    val vm: LessonsViewModel = viewModel { LessonsViewModel(graph) }
    val state by vm.state.collectAsStateWithLifecycle()
    val query by vm.query.collectAsStateWithLifecycle()
    val hits by vm.hits.collectAsStateWithLifecycle()
    val downloading by vm.downloading.collectAsStateWithLifecycle()
    // Coming back from a lesson: its progress has changed.
    LaunchedEffect(Unit) { vm.refreshLessons() }

    Column(Modifier.fillMaxSize()) {
        ScreenTitle(stringResource(R.string.tab_lessons))
        OutlinedTextField(
            value = query,
            onValueChange = { vm.query.value = it },
            placeholder = { Text(stringResource(R.string.lessons_search)) },
            leadingIcon = { Icon(Icons.Filled.Search, contentDescription = null) },
            singleLine = true,
            modifier = Modifier.fillMaxWidth().padding(horizontal = 16.dp),
        )
        when {
            query.isNotBlank() -> SearchHits(hits, onOpen = { openLesson(it.packId, it.lessonId) })
            state.loading -> Loading()
            else -> LessonList(state, downloading, openLesson, download = vm::download)
        }
    }
}

@Composable
private fun LessonList(
    state: LessonsState,
    downloading: Map<String, Int>,
    openLesson: (packId: String, lessonId: String) -> Unit,
    download: (String) -> Unit,
) {
    LazyColumn(Modifier.fillMaxSize()) {
        state.error?.let { item { ErrorMessage(it) } }
        state.continueReading?.let { next ->
            item {
                Card(Modifier.fillMaxWidth().padding(16.dp).clickable { openLesson(next.packId, next.lessonId) }) {
                    Column(Modifier.padding(16.dp)) {
                        Text(stringResource(R.string.lessons_continue), style = MaterialTheme.typography.labelLarge)
                        Text(next.title.text, style = MaterialTheme.typography.titleMedium)
                    }
                }
            }
        }
        if (state.lessons.isEmpty()) item { Text(stringResource(R.string.lessons_none), Modifier.padding(16.dp)) }
        items(state.lessons, key = { "${it.packId}/${it.lessonId}" }) { lesson ->
            LessonRow(lesson, onClick = { openLesson(lesson.packId, lesson.lessonId) })
            HorizontalDivider()
        }
        items(state.offered, key = { "offered/${it.id}" }) { pack ->
            OfferedRow(pack, downloading[pack.id], download = { download(pack.id) })
        }
    }
}

@Composable
private fun LessonRow(lesson: Lesson, onClick: () -> Unit) {
    Column(Modifier.fillMaxWidth().clickable(onClick = onClick).padding(16.dp)) {
        Text(lesson.title.text, style = MaterialTheme.typography.titleMedium)
        val progress = lesson.progress
        val status = when {
            progress == null -> stringResource(R.string.lessons_minutes, lesson.minutes.toInt())
            progress.completed -> stringResource(R.string.lessons_done)
            else -> stringResource(R.string.lessons_progress, (progress.position * 100).roundToInt())
        }
        Text(status, style = MaterialTheme.typography.bodySmall)
    }
}

@Composable
private fun OfferedRow(pack: OfferedPack, percent: Int?, download: () -> Unit) {
    val context = LocalContext.current
    Column(Modifier.fillMaxWidth().padding(16.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
        Text(pack.title.text, style = MaterialTheme.typography.titleMedium)
        Text(
            stringResource(R.string.lessons_pack, pack.lessons.toInt(), Formatter.formatShortFileSize(context, pack.requiredBytes.toLong())),
            style = MaterialTheme.typography.bodySmall,
        )
        if (percent != null) {
            LinearProgressIndicator(progress = { percent / 100f }, modifier = Modifier.fillMaxWidth())
            Text(stringResource(R.string.lessons_downloading, percent))
        } else {
            Row(verticalAlignment = Alignment.CenterVertically) {
                Button(onClick = download) {
                    Text(stringResource(if (pack.installedVersion == null) R.string.lessons_download else R.string.lessons_update))
                }
            }
        }
    }
}

@Composable
private fun SearchHits(hits: List<LessonSearchHit>, onOpen: (LessonSearchHit) -> Unit) {
    if (hits.isEmpty()) {
        Text(stringResource(R.string.lessons_no_hits), Modifier.padding(16.dp))
        return
    }
    LazyColumn(Modifier.fillMaxSize()) {
        items(hits, key = { "${it.packId}/${it.lessonId}" }) { hit ->
            Column(Modifier.fillMaxWidth().clickable { onOpen(hit) }.padding(16.dp)) {
                Text(marked(hit.titleHtml), style = MaterialTheme.typography.titleMedium)
                Text(marked(hit.snippetHtml), style = MaterialTheme.typography.bodyMedium)
            }
            HorizontalDivider()
        }
    }
}

/** The core's highlighted HTML as styled text: the matched words bold on a tint. */
@Composable
private fun marked(html: String): AnnotatedString {
    val highlight = SpanStyle(background = MaterialTheme.colorScheme.secondary.copy(alpha = 0.3f), fontWeight = FontWeight.Bold)
    return remember(html, highlight) {
        val text = MarkedText.parse(html)
        buildAnnotatedString {
            append(text.text)
            for (range in text.marks) addStyle(highlight, range.first, range.last + 1)
        }
    }
}
