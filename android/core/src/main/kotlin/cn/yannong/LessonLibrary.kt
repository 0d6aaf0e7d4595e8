package cn.yannong

import cn.yannong.ffi.BarnPlatformConfig
import cn.yannong.ffi.InstalledPack
import cn.yannong.ffi.Lesson
import cn.yannong.ffi.LessonLinkKind
import cn.yannong.ffi.LessonMedia
import cn.yannong.ffi.LessonSearchHit
import cn.yannong.ffi.Lessons
import cn.yannong.ffi.YannongException
import java.io.File
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.withContext

/**
 * The offline lesson library ("学一学"): signed lesson packs installed on the device, their
 * lessons as self-contained HTML pages, search, the lessons linked to a leaf check, a disease
 * or an alarm, and reading progress.
 *
 * Get one from [YannongClient.lessons] with the public keys the app trusts; packs signed by
 * any other key are refused. Get it once per client and share it: it is thread-safe and every
 * call is a `suspend` function that runs on the core's threads, but two libraries on the same
 * data directory do not coordinate their changes (opening one tidies up after installs it
 * takes for interrupted, which may be the other's install in progress).
 *
 * ```kotlin
 * val library = client.lessons(listOf(BuildConfig.LESSON_PACK_KEY))
 * library.installPack(File(context.filesDir, "downloads/default.ynpack"))
 * val forAlarm = library.lessonsFor(LessonLinkKind.ALARM, "A09")          // power cut
 * webView.loadDataWithBaseURL(null, library.lessonHtml(forAlarm.first()), "text/html", "utf-8", null)
 * ```
 *
 * The records it returns ([Lesson], [InstalledPack], [LessonSearchHit]) and [LessonLinkKind]
 * are generated into `cn.yannong.ffi`, like the client's.
 *
 * ## Errors
 * Calls throw [YannongException] (see [userMessage]): `Integrity` for a pack that is damaged,
 * tampered with or signed by an untrusted key, `NotFound` for an unknown pack or lesson,
 * `Storage` when a file cannot be read or written, `InvalidInput` (field `version`) for a pack
 * older than the installed one.
 *
 * ## Cancellation
 * Reads ([installedPacks], [lessons], [lessonsFor], [search], [lessonHtml], [continueReading])
 * are cancellable like the client's. Changes ([installPack], [recordProgress], [rollbackPack],
 * [removePack]) always run to the end, so when a cancelled coroutine finishes, the change has
 * been made or has failed, never still in flight.
 *
 * ## Closing
 * The library keeps the database open on its own: closing the client does not close it.
 * [close] it too when done; later calls throw [IllegalStateException].
 */
class LessonLibrary internal constructor(internal val core: Lessons) : AutoCloseable {

    // Packs

    /**
     * Verifies the pack [file] (its signature and every file in it) and installs it
     * atomically, replacing an older version of the same pack, which is kept for
     * [rollbackPack]. Installing the version already installed changes nothing. Not
     * cancellable (see the class documentation).
     *
     * @return the installed pack as [installedPacks] lists it.
     * @throws YannongException.Integrity if the file is damaged, was changed after signing or
     *   is not signed by a trusted key; nothing is installed then.
     * @throws YannongException.InvalidInput (field `version`) for an older version than the
     *   installed one, (field `path`) if the file cannot be opened.
     * @throws YannongException.Storage if the pack cannot be written.
     */
    suspend fun installPack(file: File): InstalledPack =
        withContext(NonCancellable) { core.installPackFile(file.absolutePath) }

    /** The installed packs, by id, with their versions and sizes. */
    suspend fun installedPacks(): List<InstalledPack> = core.installedPacks()

    /**
     * Goes back to the version of a pack that was installed before the last update (after
     * checking it again). Not cancellable.
     *
     * @return the version now installed.
     * @throws YannongException.NotFound if the pack is not installed or has no previous version.
     */
    suspend fun rollbackPack(packId: String): UInt =
        withContext(NonCancellable) { core.rollbackPack(packId) }

    /**
     * Uninstalls a pack and frees its space. Reading progress is kept and comes back if the
     * pack is installed again. Not cancellable.
     *
     * @throws YannongException.NotFound if the pack is not installed.
     */
    suspend fun removePack(packId: String) {
        withContext(NonCancellable) { core.removePack(packId) }
    }

    // Lessons

    /** Every installed lesson with its reading progress: packs by id, each pack's lessons in order. */
    suspend fun lessons(): List<Lesson> = core.list()

    /**
     * The lessons that teach what to do about a leaf-check class ([LessonLinkKind.LEAF_CLASS],
     * e.g. `over_ripe`), a disease ([LessonLinkKind.DISEASE], e.g. `brown_spot`) or an alarm
     * rule ([LessonLinkKind.ALARM], e.g. `A09`), in reading order. Empty if none is linked.
     */
    suspend fun lessonsFor(kind: LessonLinkKind, key: String): List<Lesson> =
        core.lessonsFor(kind, key)

    /**
     * Searches every installed lesson offline, best match first: Chinese words ("烘烤变黄"),
     * pinyin ("hongkao") or pinyin initials ("hk").
     *
     * @param limit the most hits to return.
     * @return hits whose `titleHtml` and `snippetHtml` are HTML-escaped with the matches in
     *   `<mark>`.
     * @throws IllegalArgumentException for a negative [limit].
     */
    suspend fun search(query: String, limit: Int = 20): List<LessonSearchHit> {
        require(limit >= 0) { "limit must not be negative, got $limit" }
        return core.search(query, limit.toUInt())
    }

    /**
     * The lesson as a complete HTML page for a web view: no scripts, and its pictures embedded
     * as `data:` URLs, so the web view needs neither file nor network access (disable both).
     *
     * @throws YannongException.NotFound for an unknown pack or lesson.
     */
    suspend fun lessonHtml(packId: String, lessonId: String): String =
        core.lessonHtml(packId, lessonId)

    /** [lessonHtml] of a listed lesson. */
    suspend fun lessonHtml(lesson: Lesson): String = lessonHtml(lesson.packId, lesson.lessonId)

    // Progress

    /**
     * Records how far a lesson was read. Not cancellable.
     *
     * @param position 0 (start) to 1 (end); values outside are clamped, non-finite ones read 0.
     * @param completed marks the lesson as read; it stays completed even if later calls pass
     *   `false`.
     * @throws YannongException.NotFound for a lesson that is not installed.
     */
    suspend fun recordProgress(
        packId: String,
        lessonId: String,
        position: Double,
        completed: Boolean = false,
    ) {
        withContext(NonCancellable) { core.recordProgress(packId, lessonId, position, completed) }
    }

    /** [recordProgress] of a listed lesson. */
    suspend fun recordProgress(lesson: Lesson, position: Double, completed: Boolean = false) =
        recordProgress(lesson.packId, lesson.lessonId, position, completed)

    /**
     * The lesson to offer under "continue where I left off": the one read most recently and
     * not completed, or `null` if there is none.
     */
    suspend fun continueReading(): Lesson? = core.continueReading()

    // Downloads

    /**
     * Lesson packs from the platform at [baseUrl] (https; plain http only to this device)
     * into this library: see [LessonDownloads]. No login is needed; what arrives is verified
     * against this library's trusted keys. Close it before the library.
     *
     * @throws YannongException.InvalidInput (field `base_url`) for an address that is not https.
     */
    fun downloads(baseUrl: String, extraRootsPem: String? = null): LessonDownloads =
        LessonDownloads(core.downloads(BarnPlatformConfig(baseUrl, extraRootsPem)))

    /** The optional files (audio, video) of an installed pack, and which are on the phone. */
    suspend fun media(packId: String): List<LessonMedia> = core.media(packId)

    /**
     * A downloaded optional file, for a media player (fetch it with
     * [LessonDownloads.downloadMedia]).
     *
     * @throws YannongException.NotFound if it is not downloaded.
     */
    suspend fun mediaFile(packId: String, path: String): File = File(core.mediaPath(packId, path))

    /** Deletes a downloaded optional file to free space. Not cancellable. */
    suspend fun removeMedia(packId: String, path: String) {
        withContext(NonCancellable) { core.removeMedia(packId, path) }
    }

    /**
     * Deletes what interrupted downloads of [packId] left, when they will not be resumed
     * (the user gave up on the pack). Not cancellable.
     */
    suspend fun discardDownloads(packId: String) {
        withContext(NonCancellable) { core.discardDownloads(packId) }
    }

    /** Releases the library. Calls already running finish; later calls throw [IllegalStateException]. */
    override fun close() {
        core.close()
    }
}
