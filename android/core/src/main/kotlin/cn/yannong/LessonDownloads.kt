package cn.yannong

import cn.yannong.ffi.DownloadListener
import cn.yannong.ffi.DownloadProgress
import cn.yannong.ffi.DownloadResult
import cn.yannong.ffi.OfferedPack
import cn.yannong.ffi.PackDownloader
import cn.yannong.ffi.YannongException
import java.io.File
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.isActive
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.launch

/** What a pack download reports: progress while it runs, then its result (the last item). */
sealed interface DownloadState {
    /** Bytes, percent, speed and time left; a few times a second at most. */
    data class Progress(val progress: DownloadProgress) : DownloadState

    /** Verified and installed (or already installed: [DownloadResult.installedNow] false). */
    data class Finished(val result: DownloadResult) : DownloadState
}

/**
 * Lesson packs from the platform: what it offers ([offered]) and a download as a [Flow]
 * ([download]). Get one from [LessonLibrary.downloads].
 *
 * A download fetches only the files the installed version lacks, over HTTP byte ranges, and
 * keeps what arrived when the connection drops (it retries by itself with backoff), when the
 * collector is cancelled or when the app is killed: the next [download] of the same pack
 * resumes from there ([DownloadResult.resumedBytes]). It checks free space before the first
 * byte and the signed manifest and every file before anything is installed; the installed
 * version keeps working until the new one is switched in whole.
 *
 * ```kotlin
 * library.downloads("https://barns.example.cn").use { downloads ->
 *     downloads.download("yannong-default").collect { state ->
 *         when (state) {
 *             is DownloadState.Progress -> bar.progress = state.progress.percent.toInt()
 *             is DownloadState.Finished -> toast("${state.result.pack.lessons} 课已下载")
 *         }
 *     }
 * }
 * ```
 */
class LessonDownloads internal constructor(private val core: PackDownloader) : AutoCloseable {

    /** The packs the platform offers, each with the version installed here (if any). */
    suspend fun offered(): List<OfferedPack> = core.offered()

    /**
     * Downloads and installs the newest version of [packId]. The flow emits
     * [DownloadState.Progress] items and completes after one [DownloadState.Finished].
     * Cancelling the collector stops the transfer and keeps what arrived.
     *
     * The flow fails with [YannongException]: `Storage` (`diskFull`) when the phone lacks the
     * space, `Network` after the retries gave up (what arrived is kept), `Integrity` for a
     * file or manifest that does not verify (nothing installed), `NotFound` for a pack the
     * platform does not offer.
     */
    fun download(packId: String): Flow<DownloadState> = callbackFlow {
        val listener = object : DownloadListener {
            override fun onProgress(progress: DownloadProgress) {
                trySend(DownloadState.Progress(progress))
            }
        }
        val job = launch {
            try {
                val result = core.download(packId, listener)
                send(DownloadState.Finished(result))
                channel.close()
            } catch (e: YannongException) {
                channel.close(e)
            }
        }
        awaitClose {
            job.cancel()
            core.cancel(packId)
        }
    }

    /**
     * Fetches an optional file of an installed pack (audio or video, see
     * [LessonLibrary.media]), resuming a partial fetch, and returns it once its SHA-256 checked
     * out, for a media player. [onProgress] gets the progress on a core thread. Cancelling
     * the call stops the transfer and keeps what arrived.
     *
     * @throws YannongException.NotFound if the pack is not installed or has no such file.
     * @throws YannongException.Storage (`diskFull`) when the phone lacks the space.
     */
    suspend fun downloadMedia(
        packId: String,
        path: String,
        onProgress: (DownloadProgress) -> Unit = {},
    ): File {
        val listener = object : DownloadListener {
            override fun onProgress(progress: DownloadProgress) = onProgress(progress)
        }
        try {
            return File(core.downloadMedia(packId, path, listener))
        } finally {
            // Stops the transfer at once if this coroutine was cancelled; harmless otherwise.
            if (!currentCoroutineContext().isActive) core.cancel("$packId/$path")
        }
    }

    /** Releases the core object. Closing twice is harmless. */
    override fun close() {
        core.close()
    }
}
