import Foundation
#if canImport(YannongFFI)
import YannongFFI
#endif

/// Accessors for the one error type the core throws.
///
/// Every failing call throws a `YannongError`; switch on its cases to react, or use these
/// accessors to show a message and highlight the offending input:
///
/// ```swift
/// do {
///     _ = try await client.importRecipe(json: text)
/// } catch let error as YannongError {
///     if let field = error.field { highlight(field: field, step: error.step) }
///     showAlert(error.message)
/// }
/// ```
///
/// Cancelling the calling task throws `CancellationError` rather than
/// `YannongError.Cancelled`; the latter only reports work the core itself abandoned.
extension YannongError {
    /// The core's explanation, in the language the client was opened with (Simplified Chinese
    /// unless that language is English), ready to show to the user.
    ///
    /// Prefer this to `localizedDescription`: the generated conformance to `LocalizedError`
    /// describes the enum case for debugging, not the message.
    public var message: String {
        switch self {
        case let .InvalidInput(detail, _, _),
            let .NotFound(detail),
            let .Network(detail),
            let .Unauthorized(detail),
            let .Storage(detail, _),
            let .Integrity(detail),
            let .Internal(detail):
            return detail
        case .Cancelled:
            return "cancelled"
        }
    }

    /// For `YannongError.InvalidInput(detail:field:step:)`: the input that is wrong, named as
    /// in the recipe exchange format (`wet_bulb_c`, `hold_max_h`, `id`, ...) or as the API's
    /// argument (`resolution`, `data_dir`, `step_advances`). `nil` for other errors.
    public var field: String? {
        if case let .InvalidInput(_, field, _) = self { return field }
        return nil
    }

    /// For `YannongError.InvalidInput(detail:field:step:)` about a recipe step: the step's
    /// zero-based index (the message counts from one). `nil` otherwise.
    public var step: Int? {
        if case let .InvalidInput(_, _, step?) = self { return Int(step) }
        return nil
    }

    /// True when the device ran out of storage: ask the user to free space, then retry.
    public var isDiskFull: Bool {
        if case let .Storage(_, diskFull) = self { return diskFull }
        return false
    }

    /// True when retrying the same call unchanged cannot help (the input or the data is bad,
    /// or the core has a bug).
    public var isPermanent: Bool {
        switch self {
        case .InvalidInput, .NotFound, .Integrity, .Internal, .Unauthorized:
            return true
        case .Network, .Storage, .Cancelled:
            return false
        }
    }
}
