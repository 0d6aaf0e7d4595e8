import Foundation
#if canImport(YannongFFI)
import YannongFFI
#endif

/// Forwards the core's log lines to Swift.
///
/// The core logs through one process-wide sink; installing a new one replaces the previous
/// one (and finishes its stream). Lines arrive on the core's threads, in order per thread.
///
/// ```swift
/// let logger = Logger(subsystem: "cn.yannong.app", category: "core")   // import os
/// Task.detached {
///     for await record in YannongLog.install(level: .info) {
///         logger.log("\(record.target, privacy: .public): \(record.message, privacy: .public)")
///     }
/// }
/// ```
public enum YannongLog {
    /// Starts forwarding log lines at `level` and more severe ones (`.error` is the most severe,
    /// `.trace` the most verbose) and returns them as a stream.
    ///
    /// The stream ends when another sink is installed or ``uninstall()`` is called. When its
    /// consumer stops (its task is cancelled or the loop is left), forwarding stops too.
    ///
    /// - Parameters:
    ///   - level: The most verbose level to forward. `.debug` and `.trace` cost time in the
    ///     core; use them only while investigating.
    ///   - bufferLimit: Lines kept while the consumer is slow; older ones are dropped first.
    public static func install(level: LogLevel = .info, bufferLimit: Int = 1024)
        -> AsyncStream<LogRecord>
    {
        var continuation: AsyncStream<LogRecord>.Continuation?
        let stream = AsyncStream<LogRecord>(bufferingPolicy: .bufferingNewest(bufferLimit)) {
            continuation = $0
        }
        guard let continuation else { return stream }
        let sink = ForwardingLogSink { continuation.yield($0) }
        continuation.onTermination = { _ in remove(sink) }
        register(sink, level: level, finish: { continuation.finish() })
        return stream
    }

    /// Starts forwarding log lines at `level` and more severe ones to `handler`, which is
    /// called on the core's threads and must return quickly (hand the line to `os.Logger`, a
    /// file, ...). Stays installed until ``uninstall()`` or another `install`.
    public static func install(
        level: LogLevel = .info, handler: @escaping @Sendable (LogRecord) -> Void
    ) {
        register(ForwardingLogSink(handler), level: level, finish: {})
    }

    /// Stops forwarding log lines and finishes the stream returned by ``install(level:bufferLimit:)``.
    public static func uninstall() {
        let previous = state.withLock { current -> Registration? in
            let previous = current
            current = nil
            clearLogSink()
            return previous
        }
        previous?.finish()
    }

    // MARK: Internals

    private struct Registration: Sendable {
        let sink: ForwardingLogSink
        let finish: @Sendable () -> Void
    }

    /// The installed sink. Changed only with the lock held, together with the core's sink, so
    /// the two always agree.
    private static let state = Locked<Registration?>(nil)

    private static func register(
        _ sink: ForwardingLogSink, level: LogLevel, finish: @escaping @Sendable () -> Void
    ) {
        let previous = state.withLock { current -> Registration? in
            let previous = current
            current = Registration(sink: sink, finish: finish)
            setLogSink(sink: sink, maxLevel: level)
            return previous
        }
        // Outside the lock: finishing a stream runs its termination handler, which takes it.
        previous?.finish()
    }

    /// Clears the core's sink if `sink` is still the installed one.
    private static func remove(_ sink: ForwardingLogSink) {
        state.withLock { current in
            if current?.sink === sink {
                current = nil
                clearLogSink()
            }
        }
    }
}

/// The `LogSink` the core calls, from any of its threads.
private final class ForwardingLogSink: LogSink, @unchecked Sendable {
    private let handler: @Sendable (LogRecord) -> Void

    init(_ handler: @escaping @Sendable (LogRecord) -> Void) {
        self.handler = handler
    }

    func log(record: LogRecord) {
        handler(record)
    }
}
