package cn.yannong

import cn.yannong.ffi.PushChannel

/**
 * Turns what each Android push receiver gets into the bytes [AlarmCenter.onPush] expects
 * (docs/push.md, "What the phone hands to the core"), with no Android classes, so receivers
 * stay one line and the conversion is tested on the plain JVM.
 *
 * | receiver | gets | use |
 * | --- | --- | --- |
 * | FCM `onMessageReceived` | `RemoteMessage.data` (a `Map<String, String>`) | [fromDataMap], [PushChannel.FCM] |
 * | Huawei `onMessageReceived` | `RemoteMessage.data` (a string) | [fromString], [PushChannel.HMS] |
 * | Honor `onMessageReceived` | `HonorPushDataMsg.data` | [fromString], [PushChannel.HONOR] |
 * | Xiaomi `onReceivePassThroughMessage` / `onNotificationMessageClicked` | `MiPushMessage.content` | [fromString], [PushChannel.MI_PUSH] |
 * | OPPO tapped notification | the intent's extras, each as a string | [fromDataMap], [PushChannel.OPPO] |
 * | vivo `onNotificationMessageClicked` | `UPSNotificationMessage.params` | [fromDataMap], [PushChannel.VIVO] |
 *
 * ```kotlin
 * override fun onMessageReceived(message: RemoteMessage) {
 *     scope.launch {
 *         val outcome = alarms.onPush(PushPayloads.fromDataMap(message.data), PushChannel.FCM)
 *         if (outcome is PushOutcome.New) notifier.show(outcome.notification)
 *     }
 * }
 * ```
 *
 * Nothing here interprets the payload: the core finds the event, verifies its signature and
 * refuses anything else with a typed error.
 */
object PushPayloads {

    /**
     * A vendor's data map (FCM `RemoteMessage.data`, OPPO intent extras, vivo `params`) as
     * the JSON object of strings the core reads, keys in the map's iteration order.
     */
    fun fromDataMap(map: Map<String, String>): ByteArray {
        val json = StringBuilder(map.entries.sumOf { it.key.length + it.value.length + 6 } + 2)
        json.append('{')
        var first = true
        for ((key, value) in map) {
            if (!first) json.append(',')
            first = false
            appendJsonString(json, key)
            json.append(':')
            appendJsonString(json, value)
        }
        json.append('}')
        return json.toString().toByteArray(Charsets.UTF_8)
    }

    /**
     * A payload that arrives as text (Huawei and Honor data strings, `MiPushMessage.content`,
     * one SSE `data:` line) as its UTF-8 bytes, unchanged.
     */
    fun fromString(s: String): ByteArray = s.toByteArray(Charsets.UTF_8)

    /**
     * Appends [s] as a JSON string literal (RFC 8259 §7): quotes, backslashes and control
     * characters escaped, everything else (Chinese included) as is.
     */
    internal fun appendJsonString(out: StringBuilder, s: String) {
        out.append('"')
        for (c in s) {
            when (c) {
                '"' -> out.append("\\\"")
                '\\' -> out.append("\\\\")
                '\n' -> out.append("\\n")
                '\r' -> out.append("\\r")
                '\t' -> out.append("\\t")
                '\b' -> out.append("\\b")
                '\u000C' -> out.append("\\f")
                else -> if (c < ' ') {
                    out.append("\\u00").append(HEX[c.code shr 4]).append(HEX[c.code and 0xF])
                } else {
                    out.append(c)
                }
            }
        }
        out.append('"')
    }

    private const val HEX = "0123456789abcdef"
}
