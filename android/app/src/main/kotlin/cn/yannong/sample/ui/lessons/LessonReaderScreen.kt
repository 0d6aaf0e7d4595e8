package cn.yannong.sample.ui.lessons

import android.text.format.Formatter
import android.webkit.WebResourceRequest
import android.webkit.WebView
import android.webkit.WebViewClient
import android.widget.MediaController
import android.widget.VideoView
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.key
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.compose.ui.viewinterop.AndroidView
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.yannong.ReadingProgress
import cn.yannong.sample.R
import cn.yannong.sample.ui.ErrorMessage
import cn.yannong.sample.ui.Loading
import cn.yannong.sample.ui.ScreenTitle
import cn.yannong.sample.ui.appGraph
import java.io.File
import kotlin.math.roundToInt

/** A lesson page (the core's HTML in a locked-down web view) and its pack's audio and video. */
@Composable
fun LessonReaderScreen(packId: String, lessonId: String, back: () -> Unit) {
    val graph = appGraph()
    val vm: LessonReaderViewModel = viewModel { LessonReaderViewModel(graph, packId, lessonId) }
    val ui by vm.ui.collectAsStateWithLifecycle()
    val media by vm.media.collectAsStateWithLifecycle()
    val playing by vm.playing.collectAsStateWithLifecycle()
    val mediaError by vm.mediaError.collectAsStateWithLifecycle()

    Column(Modifier.fillMaxSize()) {
        when (val state = ui) {
            ReaderUi.Loading -> {
                ScreenTitle("", onBack = back)
                Loading()
            }
            is ReaderUi.Failed -> {
                ScreenTitle("", onBack = back)
                ErrorMessage(state.message)
            }
            is ReaderUi.Ready -> {
                ScreenTitle(state.title, onBack = back)
                LessonPage(state.html, state.startAt, onScroll = vm::scrolled, modifier = Modifier.weight(1f))
                playing?.let { file -> key(file) { Player(file) } }
                if (media.isNotEmpty()) MediaList(media, download = vm::download, play = vm::play)
                mediaError?.let { Text(it, color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(horizontal = 16.dp)) }
            }
        }
    }
}

/**
 * The page as the core renders it: no scripts, pictures inline, so the web view runs no
 * JavaScript and may load nothing from files or the network. Scrolling reports the position.
 */
@Composable
private fun LessonPage(html: String, startAt: Double, onScroll: (Double) -> Unit, modifier: Modifier = Modifier) {
    AndroidView(
        factory = { context ->
            WebView(context).apply {
                settings.javaScriptEnabled = false
                settings.allowFileAccess = false
                settings.allowContentAccess = false
                settings.blockNetworkLoads = true
                webViewClient = object : WebViewClient() {
                    // The page has no links to follow; nothing navigates away from the lesson.
                    override fun shouldOverrideUrlLoading(view: WebView, request: WebResourceRequest): Boolean = true

                    override fun onPageFinished(view: WebView, url: String?) {
                        view.post {
                            view.scrollTo(0, ReadingProgress.scrollY(startAt, contentPx(view), view.height))
                            // A page that fits on the screen scrolls no further: report it as read.
                            onScroll(ReadingProgress.position(view.scrollY, contentPx(view), view.height))
                        }
                    }
                }
                setOnScrollChangeListener { _, _, scrollY, _, _ ->
                    onScroll(ReadingProgress.position(scrollY, contentPx(this), height))
                }
                loadDataWithBaseURL(null, html, "text/html", "utf-8", null)
            }
        },
        onRelease = { it.destroy() },
        modifier = modifier.fillMaxWidth(),
    )
}

/** The page's height in the view's pixels (WebView reports CSS pixels). */
private fun contentPx(view: WebView): Int = (view.contentHeight * view.resources.displayMetrics.density).roundToInt()

@Composable
private fun MediaList(items: List<MediaItem>, download: (MediaItem) -> Unit, play: (MediaItem) -> Unit) {
    val context = LocalContext.current
    Column(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 8.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
        Text(stringResource(R.string.lessons_media), style = MaterialTheme.typography.titleSmall)
        for (item in items) {
            Row(verticalAlignment = Alignment.CenterVertically) {
                Text(item.media.path.substringAfterLast('/'), Modifier.weight(1f))
                when {
                    item.file != null -> TextButton(onClick = { play(item) }) { Text(stringResource(R.string.lessons_play)) }
                    item.percent != null -> Text("${item.percent}%")
                    else -> TextButton(onClick = { download(item) }) {
                        Text(stringResource(R.string.lessons_media_download, Formatter.formatShortFileSize(context, item.media.bytes.toLong())))
                    }
                }
            }
        }
    }
}

/** Plays a downloaded file from the core's media folder (`LessonLibrary.mediaFile`). */
@Composable
private fun Player(file: File) {
    AndroidView(
        factory = { context ->
            VideoView(context).apply {
                val controls = MediaController(context)
                controls.setAnchorView(this)
                setMediaController(controls)
                setOnPreparedListener { start() }
                setVideoPath(file.path)
            }
        },
        onRelease = { it.stopPlayback() },
        modifier = Modifier.fillMaxWidth().height(220.dp),
    )
}
