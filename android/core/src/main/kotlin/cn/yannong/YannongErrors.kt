package cn.yannong

import cn.yannong.ffi.YannongException

// Helpers on the one exception type the core throws, `cn.yannong.ffi.YannongException`.
//
// The generated sealed class is used as is (no second hierarchy to keep in sync): catch its
// subclasses to react, and use these helpers to show a message.
//
// ```kotlin
// try {
//     client.importRecipe(text)
// } catch (e: YannongException.InvalidInput) {
//     highlight(field = e.field, step = e.step?.toInt())   // step is zero-based
//     showError(e.userMessage)
// } catch (e: YannongException) {
//     showError(e.userMessage, retry = !e.isPermanent)
// }
// ```
//
// A Kotlin typealias cannot be used here: `typealias YannongException = ...` would not give
// access to the nested `InvalidInput`, `NotFound`, ... classes (Kotlin does not resolve
// nested classes through a typealias).
//
// Cancelling the calling coroutine throws `kotlinx.coroutines.CancellationException`, not
// `YannongException.Cancelled`; the latter only reports work the core itself abandoned.

/**
 * The core's explanation, in the language the client was opened with (Simplified Chinese
 * unless that language is English), ready to show to the user.
 *
 * Prefer this to [Throwable.message], which the generated code fills with a debugging dump
 * (`detail=..., field=..., step=...`).
 */
val YannongException.userMessage: String
    get() = when (this) {
        is YannongException.InvalidInput -> detail
        is YannongException.NotFound -> detail
        is YannongException.Network -> detail
        is YannongException.Unauthorized -> detail
        is YannongException.Storage -> detail
        is YannongException.Integrity -> detail
        is YannongException.Internal -> detail
        is YannongException.Cancelled -> "cancelled"
    }

/**
 * True when retrying the same call unchanged cannot help: the input or the stored data is
 * bad, the user must log in again, or the core has a bug. False for network and storage
 * failures and cancelled work.
 */
val YannongException.isPermanent: Boolean
    get() = when (this) {
        is YannongException.InvalidInput,
        is YannongException.NotFound,
        is YannongException.Integrity,
        is YannongException.Internal,
        is YannongException.Unauthorized -> true
        is YannongException.Network,
        is YannongException.Storage,
        is YannongException.Cancelled -> false
    }

/** True when the device ran out of storage: ask the user to free space, then retry. */
val YannongException.isDiskFull: Boolean
    get() = this is YannongException.Storage && diskFull
