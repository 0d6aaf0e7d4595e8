package cn.yannong.sample.push

import android.content.Context
import android.util.Log
import cn.yannong.PushPayloads
import cn.yannong.PushVendors
import cn.yannong.ffi.PushChannel
import cn.yannong.sample.BuildConfig
import com.vivo.push.PushClient
import com.vivo.push.PushConfig
import com.vivo.push.listener.IPushQueryActionListener
import com.vivo.push.model.UPSNotificationMessage
import com.vivo.push.sdk.OpenClientPushMessageReceiver
import com.vivo.push.util.VivoPushException

/**
 * vivo Push: notification messages (classified as system messages, so alarms are not rationed)
 * with the event in `UPSNotificationMessage.params`, handed over when the farmer taps one.
 * Newer SDKs may put the same params into the launch intent instead (PushIntake.takeTap); the
 * core counts the event once either way.
 */
class VivoPushReceiver : OpenClientPushMessageReceiver() {

    override fun onReceiveRegId(context: Context?, regId: String?) {
        if (context != null && !regId.isNullOrEmpty()) PushTokens.onToken(context, PushChannel.VIVO, regId)
    }

    override fun onNotificationMessageClicked(context: Context?, message: UPSNotificationMessage?) {
        val params = message?.params ?: return
        if (context == null || !PushVendors.carriesAlarm(params.keys)) return
        PushIntake.deliver(context, PushPayloads.fromDataMap(params), PushChannel.VIVO)
    }
}

internal object Vivo {
    private const val TAG = "Vivo"

    fun start(context: Context) {
        // The ids reach the SDK through the manifest's com.vivo.push.app_id and api_key.
        if (BuildConfig.VIVO_APP_ID.isBlank() || BuildConfig.VIVO_API_KEY.isBlank()) return
        val client = PushClient.getInstance(context)
        try {
            client.initialize(PushConfig.Builder().agreePrivacyStatement(true).build())
        } catch (e: VivoPushException) {
            Log.w(TAG, "vivo push not set up: ${e.message}")
            return
        }
        if (!client.isSupport) return
        client.turnOnPush { state ->
            if (state != 0) {
                Log.w(TAG, "vivo push not turned on: $state")
                return@turnOnPush
            }
            client.getRegId(object : IPushQueryActionListener {
                override fun onSuccess(regId: String?) {
                    if (!regId.isNullOrEmpty()) PushTokens.onToken(context, PushChannel.VIVO, regId)
                }

                override fun onFail(errorCode: Int?) {
                    Log.w(TAG, "no vivo regId: $errorCode")
                }
            })
        }
    }
}
