package cn.yannong.sample.push

import android.content.Context
import android.util.Log
import cn.yannong.ffi.PushChannel
import cn.yannong.sample.BuildConfig
import com.heytap.msp.push.HeytapPushManager
import com.heytap.msp.push.callback.ICallBackResultService

/**
 * OPPO PUSH (HeyTap): registration only. OPPO has no pass-through messages for ordinary apps;
 * the platform sends notification messages that open the app on a tap, with the event in the
 * launch intent's extras (PushIntake.takeTap, from MainActivity).
 */
internal object Oppo {
    private const val TAG = "Oppo"

    fun start(context: Context) {
        if (BuildConfig.OPPO_APP_KEY.isBlank() || BuildConfig.OPPO_APP_SECRET.isBlank()) return
        HeytapPushManager.init(context, false)
        if (!HeytapPushManager.isSupportPush(context)) return
        HeytapPushManager.register(context, BuildConfig.OPPO_APP_KEY, BuildConfig.OPPO_APP_SECRET, Callback(context))
    }

    /** Every callback is required; only the registration result matters here. */
    private class Callback(private val context: Context) : ICallBackResultService {
        override fun onRegister(responseCode: Int, registerID: String?, packageName: String?, miniPackageName: String?) {
            if (responseCode == 0 && !registerID.isNullOrEmpty()) {
                PushTokens.onToken(context, PushChannel.OPPO, registerID)
            } else {
                Log.w(TAG, "OPPO registration failed: $responseCode")
            }
        }

        override fun onUnRegister(responseCode: Int, packageName: String?, miniPackageName: String?) = Unit

        override fun onSetPushTime(responseCode: Int, pushTime: String?) = Unit

        override fun onGetPushStatus(responseCode: Int, status: Int) = Unit

        override fun onGetNotificationStatus(responseCode: Int, status: Int) = Unit

        override fun onError(errorCode: Int, message: String?, packageName: String?, miniPackageName: String?) {
            Log.w(TAG, "OPPO push error $errorCode")
        }
    }
}
