import Foundation

/// A value guarded by a lock, for the little shared state the wrapper keeps.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` with the lock held. `body` must not call back into code that takes this lock.
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// Resumes a continuation exactly once, whichever of "the work finished" and "the caller
/// cancelled" comes first, even if either happens before the continuation exists.
private final class ResumeOnce<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, Error>?
    private var early: Result<T, Error>?
    private var resumed = false

    func install(_ continuation: CheckedContinuation<T, Error>) {
        lock.lock()
        if let early {
            self.early = nil
            resumed = true
            lock.unlock()
            continuation.resume(with: early)
        } else {
            self.continuation = continuation
            lock.unlock()
        }
    }

    func resume(with result: Result<T, Error>) {
        lock.lock()
        if resumed {
            lock.unlock()
        } else if let continuation {
            self.continuation = nil
            resumed = true
            lock.unlock()
            continuation.resume(with: result)
        } else {
            if early == nil { early = result }
            lock.unlock()
        }
    }
}

/// Runs `operation` (a call into the core) so that cancelling the calling task throws
/// `CancellationError` at once.
///
/// The generated bindings (UniFFI 0.32) ignore Swift task cancellation: the Rust future always
/// runs to completion. This helper lets the caller stop waiting; the core's work then finishes
/// in the background and its result is dropped. Use it only for calls without side effects
/// (reads and computations), never for writes whose outcome the caller must know.
func withPromptCancellation<T: Sendable>(
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try Task.checkCancellation()
    let once = ResumeOnce<T>()
    let work = Task {
        do {
            once.resume(with: .success(try await operation()))
        } catch {
            once.resume(with: .failure(error))
        }
    }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { once.install($0) }
    } onCancel: {
        work.cancel()
        once.resume(with: .failure(CancellationError()))
    }
}
