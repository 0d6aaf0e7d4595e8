package cn.yannong.sample.push

import android.content.Context
import android.os.Build
import android.util.Log
import cn.yannong.PushVendors
import cn.yannong.ffi.PushChannel

/**
 * Starts the push SDKs that fit this phone: the maker's own service and FCM, as
 * [PushVendors.candidates] decides; each SDK then checks that it works here and hands its
 * token to [PushTokens]. A vendor whose credentials the build lacks is left out.
 *
 * A shipping app starts these only after the user accepted its privacy policy (vendor rules
 * in China require it); the sample starts them at launch.
 */
object PushSetup {
    private const val TAG = "PushSetup"

    fun start(context: Context) {
        val app = context.applicationContext
        for (channel in PushVendors.candidates(Build.MANUFACTURER, Build.BRAND)) {
            try {
                when (channel) {
                    PushChannel.FCM -> Fcm.start(app)
                    PushChannel.HMS -> Hms.start(app)
                    PushChannel.HONOR -> Honor.start(app)
                    PushChannel.MI_PUSH -> MiPush.start(app)
                    PushChannel.OPPO -> Oppo.start(app)
                    PushChannel.VIVO -> Vivo.start(app)
                    PushChannel.APNS, PushChannel.STREAM -> Unit
                }
            } catch (e: RuntimeException) {
                // A vendor SDK that is misconfigured must not stop the app or the others.
                Log.w(TAG, "$channel not started: ${e.javaClass.simpleName}")
            }
        }
    }
}
