package cn.yannong.sample.push

import android.content.Context
import cn.yannong.PushPayloads
import cn.yannong.ffi.PushChannel
import cn.yannong.sample.BuildConfig
import com.xiaomi.mipush.sdk.ErrorCode
import com.xiaomi.mipush.sdk.MiPushClient
import com.xiaomi.mipush.sdk.MiPushCommandMessage
import com.xiaomi.mipush.sdk.MiPushMessage
import com.xiaomi.mipush.sdk.PushMessageReceiver

/**
 * Xiaomi MiPush: the event is `MiPushMessage.content`. Urgent alarms come as notification
 * messages, which MIUI shows itself even when it has stopped the app; the others come as
 * pass-through messages to the running app. The SDK calls these off the main thread.
 */
class MiPushReceiver : PushMessageReceiver() {

    override fun onReceivePassThroughMessage(context: Context, message: MiPushMessage) {
        deliver(context, message)
    }

    // MIUI drew the notification; the tap brings its event (and opens the app).
    override fun onNotificationMessageClicked(context: Context, message: MiPushMessage) {
        deliver(context, message)
    }

    // onNotificationMessageArrived is left alone: taking the event there would show a second
    // notification next to MIUI's.

    override fun onReceiveRegisterResult(context: Context, message: MiPushCommandMessage) {
        if (message.command != MiPushClient.COMMAND_REGISTER) return
        if (message.resultCode != ErrorCode.SUCCESS.toLong()) return
        message.commandArguments?.firstOrNull()?.let { regId ->
            PushTokens.onToken(context, PushChannel.MI_PUSH, regId)
        }
    }

    private fun deliver(context: Context, message: MiPushMessage) {
        val content = message.content
        if (content.isNullOrEmpty()) return
        PushIntake.deliver(context, PushPayloads.fromString(content), PushChannel.MI_PUSH)
    }
}

internal object MiPush {
    fun start(context: Context) {
        if (BuildConfig.MI_APP_ID.isBlank() || BuildConfig.MI_APP_KEY.isBlank()) return
        // The registration id arrives in MiPushReceiver.onReceiveRegisterResult.
        MiPushClient.registerPush(context, BuildConfig.MI_APP_ID, BuildConfig.MI_APP_KEY)
    }
}
