import Foundation
#if canImport(YannongFFI)
import YannongFFI
#endif

/// The offline lesson library ("学一学"): signed lesson packs installed on the device, their
/// lessons as self-contained HTML pages, search, the lessons linked to a leaf check, a disease
/// or an alarm, and reading progress.
///
/// Get one from ``YannongClient/lessons(trustedKeys:)`` with the public keys the app trusts;
/// packs signed by any other key are refused. Get it once per client and share it: the type
/// is `Sendable` and every call is `async`, running on the core's threads, but two libraries on
/// the same data directory do not coordinate their changes (opening one tidies up after
/// installs it takes for interrupted, which may be the other's install in progress).
///
/// ```swift
/// let library = try await client.lessons(trustedKeys: [lessonPackKey])
/// _ = try await library.installPack(at: downloadedPack)
/// let forAlarm = try await library.lessons(for: .alarm, key: "A09")   // power cut
/// if let lesson = forAlarm.first {
///     webView.loadHTMLString(try await library.lessonHTML(for: lesson), baseURL: nil)
/// }
/// ```
///
/// The records it returns (`Lesson`, `InstalledPack`, `LessonSearchHit`) and `LessonLinkKind`
/// come from the generated bindings, re-exported by this module.
///
/// ## Errors
/// Calls throw `YannongError` (see `YannongError.message`): `.Integrity` for a pack that is
/// damaged, tampered with or signed by an untrusted key, `.NotFound` for an unknown pack or
/// lesson, `.Storage` when a file cannot be read or written, `.InvalidInput` with field
/// `version` for a pack older than the installed one.
///
/// ## Cancellation
/// Reads (``installedPacks()``, ``lessons()``, ``lessons(for:key:)``, ``search(_:limit:)``,
/// ``lessonHTML(packId:lessonId:)``, ``continueReading()``) throw `CancellationError` as soon
/// as the calling task is cancelled. Changes (``installPack(at:)``,
/// ``recordProgress(packId:lessonId:position:completed:)``, ``rollbackPack(id:)``,
/// ``removePack(id:)``) always run to the end and report what really happened.
///
/// The library keeps the database open for as long as it is referenced, independently of
/// the client it came from.
public final class LessonLibrary: Sendable {
    private let core: Lessons
    private let languageTag: String

    init(core: Lessons, languageTag: String) {
        self.core = core
        self.languageTag = languageTag
    }

    // MARK: Packs

    /// Verifies the pack file at `url` (its signature and every file in it) and installs it
    /// atomically, replacing an older version of the same pack, which is kept for
    /// ``rollbackPack(id:)``. Installing the version already installed changes nothing.
    ///
    /// - Returns: The installed pack as ``installedPacks()`` lists it.
    /// - Throws: `YannongError.Integrity(detail:)` if the file is damaged, was changed after
    ///   signing or is not signed by a trusted key (nothing is installed then);
    ///   `YannongError.InvalidInput(detail:field:step:)` with field `version` for an older
    ///   version than the installed one, or field `path` for a URL that is not a file URL or a
    ///   file that cannot be opened; `YannongError.Storage(detail:diskFull:)` if the pack cannot
    ///   be written.
    public func installPack(at url: URL) async throws -> InstalledPack {
        guard url.isFileURL else {
            throw YannongError.InvalidInput(
                detail: languageTag.lowercased().hasPrefix("en")
                    ? "the lesson pack must be a file URL, not \(url.absoluteString)"
                    : "课程包必须是本地文件路径，而不是 \(url.absoluteString)",
                field: "path", step: nil)
        }
        return try await core.installPackFile(path: url.standardizedFileURL.path)
    }

    /// The installed packs, by id, with their versions and sizes.
    public func installedPacks() async throws -> [InstalledPack] {
        let core = core
        return try await withPromptCancellation { try await core.installedPacks() }
    }

    /// Goes back to the version of a pack that was installed before the last update (after
    /// checking it again).
    ///
    /// - Returns: The version now installed.
    /// - Throws: `YannongError.NotFound(detail:)` if the pack is not installed or has no
    ///   previous version.
    @discardableResult
    public func rollbackPack(id: String) async throws -> UInt32 {
        try await core.rollbackPack(packId: id)
    }

    /// Uninstalls a pack and frees its space. Reading progress is kept and comes back if the
    /// pack is installed again.
    ///
    /// - Throws: `YannongError.NotFound(detail:)` if the pack is not installed.
    public func removePack(id: String) async throws {
        try await core.removePack(packId: id)
    }

    // MARK: Lessons

    /// Every installed lesson with its reading progress: packs by id, each pack's lessons in
    /// order.
    public func lessons() async throws -> [Lesson] {
        let core = core
        return try await withPromptCancellation { try await core.list() }
    }

    /// The lessons that teach what to do about a leaf-check class (`.leafClass`, e.g.
    /// `over_ripe`), a disease (`.disease`, e.g. `brown_spot`) or an alarm rule (`.alarm`,
    /// e.g. `A09`), in reading order. Empty if none is linked.
    public func lessons(for kind: LessonLinkKind, key: String) async throws -> [Lesson] {
        let core = core
        return try await withPromptCancellation { try await core.lessonsFor(kind: kind, key: key) }
    }

    /// Searches every installed lesson offline, best match first: Chinese words ("烘烤变黄"),
    /// pinyin ("hongkao") or pinyin initials ("hk").
    ///
    /// - Parameter limit: The most hits to return; zero or less returns none.
    /// - Returns: Hits whose `titleHtml` and `snippetHtml` are HTML-escaped with the matches in
    ///   `<mark>`.
    public func search(_ query: String, limit: Int = 20) async throws -> [LessonSearchHit] {
        let core = core
        let limit = UInt32(clamping: limit)
        return try await withPromptCancellation { try await core.search(query: query, limit: limit) }
    }

    /// The lesson as a complete HTML page for a web view: no scripts, and its pictures
    /// embedded as `data:` URLs, so the web view needs neither file nor network access
    /// (disable both).
    ///
    /// - Throws: `YannongError.NotFound(detail:)` for an unknown pack or lesson.
    public func lessonHTML(packId: String, lessonId: String) async throws -> String {
        let core = core
        return try await withPromptCancellation {
            try await core.lessonHtml(packId: packId, lessonId: lessonId)
        }
    }

    /// ``lessonHTML(packId:lessonId:)`` of a listed lesson.
    public func lessonHTML(for lesson: Lesson) async throws -> String {
        try await lessonHTML(packId: lesson.packId, lessonId: lesson.lessonId)
    }

    // MARK: Progress

    /// Records how far a lesson was read.
    ///
    /// - Parameters:
    ///   - position: 0 (start) to 1 (end); values outside are clamped, non-finite ones read 0.
    ///   - completed: Marks the lesson as read; it stays completed even if later calls pass
    ///     `false`.
    /// - Throws: `YannongError.NotFound(detail:)` for a lesson that is not installed.
    public func recordProgress(
        packId: String, lessonId: String, position: Double, completed: Bool = false
    ) async throws {
        try await core.recordProgress(
            packId: packId, lessonId: lessonId, position: position, completed: completed)
    }

    /// ``recordProgress(packId:lessonId:position:completed:)`` of a listed lesson.
    public func recordProgress(for lesson: Lesson, position: Double, completed: Bool = false)
        async throws
    {
        try await recordProgress(
            packId: lesson.packId, lessonId: lesson.lessonId, position: position,
            completed: completed)
    }

    /// The lesson to offer under "continue where I left off": the one read most recently and
    /// not completed, or `nil` if there is none.
    public func continueReading() async throws -> Lesson? {
        let core = core
        return try await withPromptCancellation { try await core.continueReading() }
    }

    // MARK: Downloads

    /// Lesson packs from the platform at `baseURL` (https; plain http only to this device)
    /// into this library: see ``LessonDownloads``. No login is needed; what arrives is
    /// verified against this library's trusted keys.
    ///
    /// - Throws: `YannongError.InvalidInput(detail:field:step:)` (field `base_url`) for an
    ///   address that is not https.
    public func downloads(baseURL: URL, extraRootsPEM: String? = nil) throws -> LessonDownloads {
        LessonDownloads(core: try core.downloads(
            config: BarnPlatformConfig(baseUrl: baseURL.absoluteString, extraRootsPem: extraRootsPEM)))
    }

    /// The optional files (audio, video) of an installed pack, and which are on the phone.
    public func media(packId: String) async throws -> [LessonMedia] {
        try await core.media(packId: packId)
    }

    /// A downloaded optional file, for a media player.
    public func mediaURL(packId: String, path: String) async throws -> URL {
        URL(fileURLWithPath: try await core.mediaPath(packId: packId, path: path))
    }

    /// Deletes a downloaded optional file to free space.
    public func removeMedia(packId: String, path: String) async throws {
        try await core.removeMedia(packId: packId, path: path)
    }

    /// Deletes what interrupted downloads of `packId` left, when they will not be resumed.
    public func discardDownloads(packId: String) async throws {
        try await core.discardDownloads(packId: packId)
    }

    /// The core object, for ``BarnMonitor/syncReading(_:)``.
    var coreLessons: Lessons { core }
}
