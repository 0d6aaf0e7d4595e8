package cn.yannong

import cn.yannong.ffi.NotificationChannel
import cn.yannong.ffi.NotificationImportance
import cn.yannong.ffi.NotificationPlan
import cn.yannong.ffi.NotificationSound

// Android's values for the core's notification records (AlarmCenter.notificationChannels(),
// NotificationPlan), so an app's notifier is a straight copy of fields. Plain numbers and
// strings, named after the Android constants they equal, so this file stays free of Android
// classes (like LogLevel.androidPriority).
//
// ```kotlin
// val channel = android.app.NotificationChannel(c.id, c.name.text, c.channelImportance)
// channel.setBypassDnd(c.bypassDnd)
// c.vibrationPattern?.let { channel.vibrationPattern = it } ?: channel.enableVibration(false)
// NotificationCompat.Builder(context, plan.channelId)
//     .setPriority(plan.importance.compatPriority)
//     .setCategory(plan.androidCategory)
//     .setSilent(!plan.alert)
// ```

/**
 * `NotificationManager.IMPORTANCE_*` for a channel (Android 8+). [NotificationImportance.MAX]
 * gives `IMPORTANCE_HIGH`: Android documents `IMPORTANCE_MAX` as unused, and a notification
 * with a full-screen intent ([fullScreen]) is what goes further.
 */
val NotificationImportance.channelImportance: Int
    get() = when (this) {
        NotificationImportance.LOW -> 2 // IMPORTANCE_LOW
        NotificationImportance.DEFAULT -> 3 // IMPORTANCE_DEFAULT
        NotificationImportance.HIGH -> 4 // IMPORTANCE_HIGH
        NotificationImportance.MAX -> 4 // IMPORTANCE_HIGH
    }

/** `NotificationCompat.PRIORITY_*`, which Android before 8 uses instead of channels. */
val NotificationImportance.compatPriority: Int
    get() = when (this) {
        NotificationImportance.LOW -> -1 // PRIORITY_LOW
        NotificationImportance.DEFAULT -> 0 // PRIORITY_DEFAULT
        NotificationImportance.HIGH -> 1 // PRIORITY_HIGH
        NotificationImportance.MAX -> 2 // PRIORITY_MAX
    }

/**
 * The `AudioAttributes.USAGE_*` a sound plays with: `USAGE_ALARM` (4) for the alarm sound, so
 * it follows the alarm volume and passes Do Not Disturb where alarms may, `USAGE_NOTIFICATION`
 * (5) for the default sound; `null` for no sound.
 */
val NotificationSound.audioUsage: Int?
    get() = when (this) {
        NotificationSound.NONE -> null
        NotificationSound.DEFAULT -> 5 // USAGE_NOTIFICATION
        NotificationSound.ALARM -> 4 // USAGE_ALARM
    }

/**
 * The `AudioManager.STREAM_*` for `NotificationCompat.Builder.setSound` before Android 8:
 * `STREAM_ALARM` (4) or `STREAM_NOTIFICATION` (5); `null` for no sound.
 */
val NotificationSound.streamType: Int?
    get() = when (this) {
        NotificationSound.NONE -> null
        NotificationSound.DEFAULT -> 5 // STREAM_NOTIFICATION
        NotificationSound.ALARM -> 4 // STREAM_ALARM
    }

/** The channel's vibration pattern for `setVibrationPattern`, or `null` for no vibration. */
val NotificationChannel.vibrationPattern: LongArray?
    get() = vibrationMs.toPattern()

/** The plan's vibration for `setVibrate` (Android before 8), or `null` for none. */
val NotificationPlan.vibrationPattern: LongArray?
    get() = vibrationMs.toPattern()

/**
 * `NotificationCompat.CATEGORY_ALARM` (`"alarm"`) for a notification that may sound through
 * quiet hours and Do Not Disturb, `CATEGORY_STATUS` (`"status"`) for the rest: Android lets
 * the alarm category through Do Not Disturb wherever alarms may sound, which only critical
 * alarms should.
 */
val NotificationPlan.androidCategory: String
    get() = if (breaksQuietHours) "alarm" else "status"

/**
 * Whether to attach a full-screen intent (`setFullScreenIntent`): an alerting notification of
 * [NotificationImportance.MAX] importance, the one that must wake a farmer next to the barn.
 * Android shows it full-screen only where the user allowed it.
 */
val NotificationPlan.fullScreen: Boolean
    get() = alert && importance == NotificationImportance.MAX

private fun List<ULong>.toPattern(): LongArray? =
    if (isEmpty()) null else LongArray(size) { this[it].toLong() }
