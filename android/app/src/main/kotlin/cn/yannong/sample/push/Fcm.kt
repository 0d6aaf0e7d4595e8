package cn.yannong.sample.push

import android.content.Context
import cn.yannong.PushPayloads
import cn.yannong.ffi.PushChannel
import com.google.android.gms.common.ConnectionResult
import com.google.android.gms.common.GoogleApiAvailability
import com.google.firebase.FirebaseApp
import com.google.firebase.messaging.FirebaseMessaging
import com.google.firebase.messaging.FirebaseMessagingService
import com.google.firebase.messaging.RemoteMessage

/** Firebase Cloud Messaging: the event arrives in the data map (`message.data.yn`). */
class FcmService : FirebaseMessagingService() {

    override fun onNewToken(token: String) {
        PushTokens.onToken(this, PushChannel.FCM, token)
    }

    // Called on a Firebase worker thread, also while the app is in the background.
    override fun onMessageReceived(message: RemoteMessage) {
        if (message.data.isEmpty()) return
        PushIntake.deliver(this, PushPayloads.fromDataMap(message.data), PushChannel.FCM)
    }
}

internal object Fcm {
    fun start(context: Context) {
        // Firebase sets itself up from google-services.json; a build without it has no FCM.
        if (FirebaseApp.getApps(context).isEmpty()) return
        val play = GoogleApiAvailability.getInstance().isGooglePlayServicesAvailable(context)
        if (play != ConnectionResult.SUCCESS) return
        FirebaseMessaging.getInstance().token.addOnSuccessListener { token ->
            PushTokens.onToken(context, PushChannel.FCM, token)
        }
    }
}
