package cn.yannong.sample

import android.Manifest
import android.content.Intent
import android.content.pm.PackageManager
import android.os.Build
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.activity.result.contract.ActivityResultContracts
import androidx.core.content.ContextCompat
import cn.yannong.sample.push.PushIntake
import cn.yannong.sample.ui.YannongNavHost
import cn.yannong.sample.ui.YannongTheme
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.update

/**
 * The app's one activity. Besides showing the screens it is where tapped alarm notifications
 * land: this app's own (open the inbox) and OPPO's or vivo's, whose event rides in the
 * launch intent (handed to the core, then the inbox opens).
 */
class MainActivity : ComponentActivity() {

    /** Counts requests to show the alarm inbox; the navigation follows each new one. */
    private val openAlarms = MutableStateFlow(0)

    private val askNotifications = registerForActivityResult(ActivityResultContracts.RequestPermission()) {
        // Either way nothing else to do: alarms still reach the inbox without notifications.
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        enableEdgeToEdge()
        super.onCreate(savedInstanceState)
        // After a configuration change the intent was handled already.
        if (savedInstanceState == null) handle(intent)
        setContent {
            YannongTheme { YannongNavHost(openAlarms) }
        }
        if (Build.VERSION.SDK_INT >= 33 &&
            ContextCompat.checkSelfPermission(this, Manifest.permission.POST_NOTIFICATIONS) !=
            PackageManager.PERMISSION_GRANTED
        ) {
            askNotifications.launch(Manifest.permission.POST_NOTIFICATIONS)
        }
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        setIntent(intent)
        handle(intent)
    }

    private fun handle(intent: Intent) {
        val alarm = intent.action == ACTION_OPEN_ALARMS || PushIntake.takeTap(this, intent)
        if (alarm) openAlarms.update { it + 1 }
    }

    companion object {
        /** The action of this app's own alarm notifications. */
        const val ACTION_OPEN_ALARMS = "cn.yannong.sample.OPEN_ALARMS"
    }
}
