package cn.yannong.sample.push

import android.content.Context
import android.os.Bundle
import android.util.Log
import cn.yannong.PushPayloads
import cn.yannong.ffi.PushChannel
import cn.yannong.sample.BuildConfig
import cn.yannong.sample.graph
import com.huawei.hms.aaid.HmsInstanceId
import com.huawei.hms.api.ConnectionResult
import com.huawei.hms.api.HuaweiApiAvailability
import com.huawei.hms.common.ApiException
import com.huawei.hms.push.HmsMessageService
import com.huawei.hms.push.HmsMessaging
import com.huawei.hms.push.RemoteMessage
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch

/** Huawei Push Kit: a data message whose data is the string `{"yn": ...}`. */
class HmsService : HmsMessageService() {

    override fun onNewToken(token: String?, bundle: Bundle?) {
        if (!token.isNullOrEmpty()) PushTokens.onToken(this, PushChannel.HMS, token)
    }

    override fun onMessageReceived(message: RemoteMessage?) {
        val data = message?.data
        if (data.isNullOrEmpty()) return
        PushIntake.deliver(this, PushPayloads.fromString(data), PushChannel.HMS)
    }
}

internal object Hms {
    private const val TAG = "Hms"

    fun start(context: Context) {
        // The app id also reaches HMS Core through the manifest's com.huawei.hms.client.appid.
        if (BuildConfig.HMS_APP_ID.isBlank()) return
        val hms = HuaweiApiAvailability.getInstance().isHuaweiMobileServicesAvailable(context)
        if (hms != ConnectionResult.SUCCESS) return
        // getToken blocks on the network; an empty answer means the token comes to onNewToken.
        context.graph.scope.launch(Dispatchers.IO) {
            try {
                val token = HmsInstanceId.getInstance(context)
                    .getToken(BuildConfig.HMS_APP_ID, HmsMessaging.DEFAULT_TOKEN_SCOPE)
                if (!token.isNullOrEmpty()) PushTokens.onToken(context, PushChannel.HMS, token)
            } catch (e: ApiException) {
                Log.w(TAG, "no HMS token: status ${e.statusCode}")
            }
        }
    }
}
