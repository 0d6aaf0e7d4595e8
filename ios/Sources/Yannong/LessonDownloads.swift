import Foundation
#if canImport(YannongFFI)
import YannongFFI
#endif

/// What a pack download reports: progress while it runs, then its result (the last element).
public enum DownloadState: Sendable {
    /// Bytes, percent, speed and time left; a few times a second at most.
    case progress(DownloadProgress)
    /// Verified and installed (or already installed: `installedNow` false).
    case finished(DownloadResult)
}

/// Lesson packs from the platform: what it offers (``offered()``) and a download as an
/// `AsyncThrowingStream` (``download(packId:)``). Get one from
/// ``LessonLibrary/downloads(baseURL:extraRootsPEM:)``.
///
/// A download fetches only the files the installed version lacks, over HTTP byte ranges, and
/// keeps what arrived when the connection drops (it retries by itself), when the consuming
/// task is cancelled or when the app is killed: the next download of the same pack resumes
/// from there (`resumedBytes`). Free space is checked before the first byte, the signed
/// manifest and every file before anything is installed.
///
/// ```swift
/// let downloads = try library.downloads(baseURL: URL(string: "https://barns.example.cn")!)
/// for try await state in downloads.download(packId: "yannong-default") {
///     switch state {
///     case .progress(let p): progressView.progress = Float(p.percent / 100)
///     case .finished(let r): print("\(r.pack.lessons) lessons installed")
///     }
/// }
/// ```
///
/// The stream fails with `YannongError`: `.Storage` (`diskFull`) when the phone lacks the
/// space, `.Network` after the retries gave up (what arrived is kept), `.Integrity` for a file
/// or manifest that does not verify (nothing installed), `.NotFound` for a pack the platform
/// does not offer, `.Cancelled` when ``cancel(packId:)`` stopped it.
public final class LessonDownloads: Sendable {
    private let core: PackDownloader

    init(core: PackDownloader) {
        self.core = core
    }

    /// The packs the platform offers, each with the version installed here (if any).
    public func offered() async throws -> [OfferedPack] {
        let core = core
        return try await withPromptCancellation { try await core.offered() }
    }

    /// Downloads and installs the newest version of `packId`. Ending the iteration early
    /// (or cancelling its task) stops the transfer and keeps what arrived.
    public func download(packId: String) -> AsyncThrowingStream<DownloadState, Error> {
        let core = core
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let result = try await core.download(
                        packId: packId,
                        listener: ClosureListener { continuation.yield(.progress($0)) })
                    continuation.yield(.finished(result))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in
                // The generated code does not stop the Rust future on task cancellation.
                core.cancel(packId: packId)
                task.cancel()
            }
        }
    }

    /// Fetches an optional file of an installed pack (audio or video, see
    /// ``LessonLibrary/media(packId:)``), resuming a partial fetch, and returns its file URL
    /// once its SHA-256 checked out. Cancelling the task stops the transfer; what arrived is
    /// kept.
    public func downloadMedia(
        packId: String, path: String, onProgress: @escaping @Sendable (DownloadProgress) -> Void = { _ in }
    ) async throws -> URL {
        let core = core
        let file = try await withTaskCancellationHandler {
            try await core.downloadMedia(
                packId: packId, path: path, listener: ClosureListener(onProgress))
        } onCancel: {
            core.cancel(packId: "\(packId)/\(path)")
        }
        return URL(fileURLWithPath: file)
    }

    /// Stops the running download of `packId`, if any; what arrived is kept.
    public func cancel(packId: String) {
        core.cancel(packId: packId)
    }
}

/// Hands progress to a closure.
private final class ClosureListener: DownloadListener, @unchecked Sendable {
    private let body: @Sendable (DownloadProgress) -> Void

    init(_ body: @escaping @Sendable (DownloadProgress) -> Void) {
        self.body = body
    }

    func onProgress(progress: DownloadProgress) {
        body(progress)
    }
}
