import Foundation
#if canImport(YannongFFI)
import YannongFFI
#endif

/// The leaf check (慧眼识烟): photo quality gate, then the leaf model (disease, and maturity
/// when the model has a maturity head, else the colour rule), then harvest and curing advice and
/// the lessons to read.
///
/// Open one per camera screen (loading the model takes a moment) and share it; it is `Sendable`
/// and checks may run concurrently.
///
/// ```swift
/// let checker = try await LeafChecker.open(modelDirectory: bundle.url(forResource: "leaf", withExtension: nil))
/// // In captureOutput(_:didOutput:from:), kCVPixelFormatType_32BGRA:
/// CVPixelBufferLockBaseAddress(pixelBuffer, .readOnly)
/// let frame = try LeafChecker.frame(
///     bgra: UnsafeRawBufferPointer(start: CVPixelBufferGetBaseAddress(pixelBuffer),
///                                  count: CVPixelBufferGetDataSize(pixelBuffer)),
///     width: CVPixelBufferGetWidth(pixelBuffer), height: CVPixelBufferGetHeight(pixelBuffer),
///     bytesPerRow: CVPixelBufferGetBytesPerRow(pixelBuffer), rotationDegrees: 90)
/// CVPixelBufferUnlockBaseAddress(pixelBuffer, .readOnly)   // the frame holds its own copy
/// let result = try await checker.check(frame)
/// ```
///
/// The result types (`LeafResult`, `LeafVerdict`, `LeafDisease`, `LeafAdvice`, ...) come from
/// the generated bindings, re-exported by this module. A bad photo is an answer, not an error:
/// `verdict` is `.retake` or `.noLeaf` with `hints`.
///
/// ## Errors
/// `YannongError.InvalidInput(detail:field:step:)` for pictures that cannot be read (field
/// `photo`), frames whose sizes, strides or buffers do not fit (`size`, `row_stride`, the
/// plane's name, `width`, ...), a rotation that is not a multiple of 90 (`rotation_degrees`) or
/// bad options (`roi_fraction`, `problem_min`).
///
/// ## Cancellation
/// Cancelling the calling task stops the check between its stages and throws
/// `CancellationError`. The core cannot tell one task's check from another's, so this stops
/// every check of this checker running at that moment (as ``cancel()`` does); those throw
/// `YannongError.Cancelled`.
public final class LeafChecker: Sendable {
    private let core: LeafCheckEngine

    private init(core: LeafCheckEngine) {
        self.core = core
    }

    /// Loads the model in `modelDirectory` (`manifest.json` and the model file it names,
    /// checked against its SHA-256) off the caller's thread. With `nil`, checks use the colour
    /// rule alone: maturity only, marked as an estimate.
    ///
    /// - Parameter languageTag: BCP-47 tag of the texts' `text` and of error messages: English
    ///   if it starts with `en`, Simplified Chinese otherwise.
    /// - Throws: `YannongError.NotFound(detail:)` if the folder does not exist;
    ///   `YannongError.Integrity(detail:)` if the model is damaged or incomplete.
    public static func open(
        modelDirectory: URL?,
        languageTag: String = Locale.preferredLanguages.first ?? "zh-Hans"
    ) async throws -> LeafChecker {
        LeafChecker(core: try await LeafCheckEngine.open(
            modelDir: modelDirectory?.standardizedFileURL.path, locale: languageTag))
    }

    /// Options for a camera frame: the centre 80 % (the guide square), a middle leaf.
    public static let cameraOptions = LeafCheckOptions(roiFraction: 0.8, position: .middle)
    /// Options for a gallery photo, usually framed already: the whole picture, a middle leaf.
    public static let photoOptions = LeafCheckOptions(roiFraction: 1.0, position: .middle)

    /// The model checks run with; `nil` for the colour rule alone.
    public var model: LeafModelInfo? { core.model() }

    // MARK: Checking

    /// Checks a captured frame (see the `frame(...)` functions); it can be checked again.
    public func check(_ frame: LeafFrame, options: LeafCheckOptions = LeafChecker.cameraOptions)
        async throws -> LeafResult
    {
        try Task.checkCancellation()
        let core = core
        do {
            return try await withTaskCancellationHandler {
                try await core.check(frame: frame, options: options)
            } onCancel: {
                core.cancel()
            }
        } catch YannongError.Cancelled where Task.isCancelled {
            throw CancellationError()
        }
    }

    /// Checks a JPEG or PNG photo; its EXIF orientation is honoured.
    public func check(photo: Data, options: LeafCheckOptions = LeafChecker.photoOptions)
        async throws -> LeafResult
    {
        try await check(LeafFrame.photo(bytes: photo), options: options)
    }

    /// Checks a `kCVPixelFormatType_32BGRA` picture held in `Data`; see
    /// ``frame(bgra:width:height:bytesPerRow:rotationDegrees:)`` for the zero-copy path from a
    /// locked pixel buffer (raw pointers are not `Sendable`, so they do not cross into an async
    /// call under strict concurrency).
    public func check(
        bgra: Data, width: Int, height: Int, bytesPerRow: Int, rotationDegrees: Int = 0,
        options: LeafCheckOptions = LeafChecker.cameraOptions
    ) async throws -> LeafResult {
        let frame = try LeafFrame.bgra(
            data: bgra, width: Int32(clamping: width), height: Int32(clamping: height),
            bytesPerRow: Int32(clamping: bytesPerRow),
            rotationDegrees: Int32(clamping: rotationDegrees))
        return try await check(frame, options: options)
    }

    /// Checks a bi-planar 4:2:0 picture held in `Data` (Y plane, interleaved CbCr plane); see
    /// ``frame(y:uv:width:height:yBytesPerRow:uvBytesPerRow:fullRange:rotationDegrees:)``.
    public func check(
        y: Data, uv: Data, width: Int, height: Int, yBytesPerRow: Int, uvBytesPerRow: Int,
        fullRange: Bool, rotationDegrees: Int = 0,
        options: LeafCheckOptions = LeafChecker.cameraOptions
    ) async throws -> LeafResult {
        let frame = try LeafFrame.nv12(
            y: y, uv: uv, width: Int32(clamping: width), height: Int32(clamping: height),
            yBytesPerRow: Int32(clamping: yBytesPerRow),
            uvBytesPerRow: Int32(clamping: uvBytesPerRow), fullRange: fullRange,
            rotationDegrees: Int32(clamping: rotationDegrees))
        return try await check(frame, options: options)
    }

    /// Stops every check running now; they throw `YannongError.Cancelled`. Later checks are
    /// not affected.
    public func cancel() {
        core.cancel()
    }

    // MARK: Frames

    /// Copies a `kCVPixelFormatType_32BGRA` buffer into the core (the only copy; alpha is
    /// ignored). The pixel buffer can be unlocked and reused as soon as this returns.
    ///
    /// - Parameters:
    ///   - bgra: The locked base address, `CVPixelBufferGetDataSize` bytes.
    ///   - rotationDegrees: Clockwise rotation that turns the picture upright (multiple of 90).
    public static func frame(
        bgra: UnsafeRawBufferPointer, width: Int, height: Int, bytesPerRow: Int,
        rotationDegrees: Int = 0
    ) throws -> LeafFrame {
        try LeafFrame.bgra(
            data: borrowed(bgra), width: Int32(clamping: width), height: Int32(clamping: height),
            bytesPerRow: Int32(clamping: bytesPerRow),
            rotationDegrees: Int32(clamping: rotationDegrees))
    }

    /// Copies a bi-planar 4:2:0 buffer into the core: plane 0 (Y) and plane 1 (interleaved
    /// CbCr) with their bytes per row. `fullRange` for
    /// `kCVPixelFormatType_420YpCbCr8BiPlanarFullRange` ('420f'), false for `…VideoRange`.
    public static func frame(
        y: UnsafeRawBufferPointer, uv: UnsafeRawBufferPointer, width: Int, height: Int,
        yBytesPerRow: Int, uvBytesPerRow: Int, fullRange: Bool, rotationDegrees: Int = 0
    ) throws -> LeafFrame {
        try LeafFrame.nv12(
            y: borrowed(y), uv: borrowed(uv), width: Int32(clamping: width),
            height: Int32(clamping: height), yBytesPerRow: Int32(clamping: yBytesPerRow),
            uvBytesPerRow: Int32(clamping: uvBytesPerRow), fullRange: fullRange,
            rotationDegrees: Int32(clamping: rotationDegrees))
    }

    /// `Data` over the caller's memory without copying it; only valid during the synchronous
    /// call that hands it to the core (which copies it).
    private static func borrowed(_ buffer: UnsafeRawBufferPointer) -> Data {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return Data() }
        return Data(
            bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: buffer.count,
            deallocator: .none)
    }
}

/// The checks the farmer kept, in the app's database. Get it from the client
/// (`YannongClient.leafHistory()`). Reads throw `CancellationError` as soon as the calling task
/// is cancelled; changes always run to the end.
public final class LeafHistory: Sendable {
    private let core: Yannong

    init(core: Yannong) {
        self.core = core
    }

    /// Keeps `result` (its JSON answer and thumbnail), stamped now; returns its id. Pass the
    /// result as the check returned it.
    ///
    /// - Throws: `YannongError.InvalidInput(detail:field:step:)` if `result` was altered into
    ///   something no check returns.
    @discardableResult
    public func save(_ result: LeafResult) async throws -> Int64 {
        try await core.saveLeafCheck(result: result)
    }

    /// Newest first, at most `limit`; pass the last id seen as `before` for the next page.
    public func list(limit: Int = 50, before: Int64? = nil) async throws -> [LeafHistoryEntry] {
        let core = core
        let limit = UInt32(clamping: limit)
        return try await withPromptCancellation {
            try await core.leafChecks(limit: limit, before: before)
        }
    }

    /// A saved check's JSON answer and thumbnail; `nil` if there is no such check.
    public func detail(id: Int64) async throws -> LeafHistoryDetail? {
        let core = core
        return try await withPromptCancellation { try await core.leafCheckDetail(id: id) }
    }

    /// Sets the farmer's note (e.g. which field); false if there is no such check.
    @discardableResult
    public func setNote(id: Int64, note: String) async throws -> Bool {
        try await core.setLeafCheckNote(id: id, note: note)
    }

    /// Deletes a saved check; false if there was none.
    @discardableResult
    public func remove(id: Int64) async throws -> Bool {
        try await core.removeLeafCheck(id: id)
    }
}
