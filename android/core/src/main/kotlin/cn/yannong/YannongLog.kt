package cn.yannong

import cn.yannong.ffi.LogLevel
import cn.yannong.ffi.LogRecord
import cn.yannong.ffi.LogSink
import cn.yannong.ffi.clearLogSink
import cn.yannong.ffi.setLogSink
import kotlinx.coroutines.channels.BufferOverflow
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow

/**
 * Forwards the core's log lines to Kotlin.
 *
 * The core logs through one process-wide sink: installing a handler or collecting [records]
 * replaces whatever was installed before (and completes the flow being collected, if any).
 * Lines arrive on the core's threads, in order per thread.
 *
 * ```kotlin
 * // Application.onCreate
 * YannongLog.install(LogLevel.INFO) { r -> Log.println(r.level.androidPriority, "Yannong", r.message) }
 * // or, scoped to a coroutine:
 * scope.launch { YannongLog.records(LogLevel.DEBUG).collect { show(it) } }
 * ```
 */
object YannongLog {
    private class Registration(val sink: ForwardingLogSink, val onReplaced: () -> Unit)

    private val lock = Any()

    /** The installed sink; changed only under [lock], together with the core's sink. */
    private var current: Registration? = null

    /**
     * Starts forwarding log lines at [level] and more severe ones ([LogLevel.ERROR] is the
     * most severe, [LogLevel.TRACE] the most verbose) to [handler], until [uninstall] or
     * another installation.
     *
     * [handler] runs on the core's threads and must return quickly (hand the line to Logcat or
     * a file). Exceptions it throws are dropped: a log line never fails a core call.
     */
    fun install(level: LogLevel = LogLevel.INFO, handler: (LogRecord) -> Unit) {
        register(ForwardingLogSink(handler), level, onReplaced = {})
    }

    /**
     * The core's log lines at [level] and more severe ones, as a cold [Flow]: collecting it
     * installs a sink, and the sink is removed when the collector stops. The flow completes
     * when another sink is installed or [uninstall] is called.
     *
     * @param bufferCapacity lines kept while the collector is slow; the oldest are dropped first.
     */
    fun records(level: LogLevel = LogLevel.INFO, bufferCapacity: Int = 1024): Flow<LogRecord> =
        callbackFlow {
            val sink = ForwardingLogSink { trySend(it) }
            register(sink, level, onReplaced = { channel.close() })
            awaitClose { remove(sink) }
        }.buffer(bufferCapacity, BufferOverflow.DROP_OLDEST)

    /** Stops forwarding log lines and completes the flow of [records] being collected, if any. */
    fun uninstall() {
        val previous = synchronized(lock) {
            val previous = current
            current = null
            clearLogSink()
            previous
        }
        previous?.onReplaced?.invoke()
    }

    private fun register(sink: ForwardingLogSink, level: LogLevel, onReplaced: () -> Unit) {
        val previous = synchronized(lock) {
            val previous = current
            current = Registration(sink, onReplaced)
            setLogSink(sink, level)
            previous
        }
        // Outside the lock: completing a flow runs its awaitClose, which takes the lock.
        previous?.onReplaced?.invoke()
    }

    /** Clears the core's sink if [sink] is still the installed one. */
    private fun remove(sink: ForwardingLogSink) {
        synchronized(lock) {
            if (current?.sink === sink) {
                current = null
                clearLogSink()
            }
        }
    }
}

/**
 * The matching `android.util.Log` priority (`Log.ERROR` … `Log.VERBOSE`), for `Log.println`.
 * Plain numbers, so this file stays free of Android classes.
 */
val LogLevel.androidPriority: Int
    get() = when (this) {
        LogLevel.ERROR -> 6
        LogLevel.WARN -> 5
        LogLevel.INFO -> 4
        LogLevel.DEBUG -> 3
        LogLevel.TRACE -> 2
    }

/** The [LogSink] the core calls, from any of its threads. */
private class ForwardingLogSink(private val handler: (LogRecord) -> Unit) : LogSink {
    override fun log(record: LogRecord) {
        try {
            handler(record)
        } catch (e: Exception) {
            // An exception crossing back into the core would turn the log line into a panic.
        }
    }
}
