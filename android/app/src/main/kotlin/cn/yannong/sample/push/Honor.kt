package cn.yannong.sample.push

import android.content.Context
import android.util.Log
import cn.yannong.PushPayloads
import cn.yannong.ffi.PushChannel
import cn.yannong.sample.BuildConfig
import com.hihonor.push.sdk.HonorMessageService
import com.hihonor.push.sdk.HonorPushCallback
import com.hihonor.push.sdk.HonorPushClient
import com.hihonor.push.sdk.HonorPushDataMsg

/** Honor Push: a data message whose data is the string `{"yn": ...}`. */
class HonorService : HonorMessageService() {

    override fun onNewToken(token: String?) {
        if (!token.isNullOrEmpty()) PushTokens.onToken(this, PushChannel.HONOR, token)
    }

    override fun onMessageReceived(message: HonorPushDataMsg?) {
        val data = message?.data
        if (data.isNullOrEmpty()) return
        PushIntake.deliver(this, PushPayloads.fromString(data), PushChannel.HONOR)
    }
}

internal object Honor {
    private const val TAG = "Honor"

    fun start(context: Context) {
        // The app id reaches the SDK through the manifest's com.hihonor.push.app_id.
        if (BuildConfig.HONOR_APP_ID.isBlank()) return
        val client = HonorPushClient.getInstance()
        if (!client.checkSupportHonorPush(context)) return
        client.init(context, false) // the token is asked for just below
        client.getPushToken(object : HonorPushCallback<String> {
            override fun onSuccess(token: String?) {
                if (!token.isNullOrEmpty()) PushTokens.onToken(context, PushChannel.HONOR, token)
            }

            override fun onFailure(code: Int, message: String?) {
                Log.w(TAG, "no Honor token: $code")
            }
        })
    }
}
