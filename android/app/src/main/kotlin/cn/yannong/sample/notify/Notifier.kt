package cn.yannong.sample.notify

import android.Manifest
import android.annotation.SuppressLint
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.media.AudioAttributes
import android.media.RingtoneManager
import android.net.Uri
import android.os.Build
import androidx.core.app.NotificationCompat
import androidx.core.app.NotificationManagerCompat
import androidx.core.content.ContextCompat
import cn.yannong.androidCategory
import cn.yannong.audioUsage
import cn.yannong.channelImportance
import cn.yannong.compatPriority
import cn.yannong.ffi.NotificationChannel
import cn.yannong.ffi.NotificationPlan
import cn.yannong.ffi.NotificationSound
import cn.yannong.ffi.NotifyAction
import cn.yannong.fullScreen
import cn.yannong.sample.MainActivity
import cn.yannong.sample.R
import cn.yannong.streamType
import cn.yannong.vibrationPattern
import android.app.NotificationChannel as AndroidChannel

/**
 * Carries out the core's notification decisions: creates its channels and shows, updates or
 * removes a notification as a [NotificationPlan] says. It decides nothing itself; the values
 * Android needs come from the plan through the `cn.yannong` mappings (AndroidNotifications.kt).
 */
class Notifier(private val context: Context) {

    private val manager = NotificationManagerCompat.from(context)

    /** Creates (or refreshes the names of) the core's channels; Android 8 and later. */
    fun createChannels(channels: List<NotificationChannel>) {
        if (Build.VERSION.SDK_INT < 26) return
        val system = context.getSystemService(NotificationManager::class.java) ?: return
        for (c in channels) {
            val channel = AndroidChannel(c.id, c.name.text, c.importance.channelImportance)
            channel.description = c.description.text
            val usage = c.sound.audioUsage
            if (usage == null) {
                channel.setSound(null, null)
            } else {
                val attributes = AudioAttributes.Builder()
                    .setUsage(usage)
                    .setContentType(AudioAttributes.CONTENT_TYPE_SONIFICATION)
                    .build()
                channel.setSound(soundUri(c.sound), attributes)
            }
            val pattern = c.vibrationPattern
            channel.enableVibration(pattern != null)
            if (pattern != null) channel.vibrationPattern = pattern
            // Takes effect only while the user lets this app override Do Not Disturb; the
            // alarm screen links to the channel's settings for that.
            channel.setBypassDnd(c.bypassDnd)
            system.createNotificationChannel(channel)
        }
    }

    /** Shows, quietly updates or removes the notification [plan] names by its tag. */
    fun carryOut(plan: NotificationPlan) {
        when (plan.action) {
            NotifyAction.DISMISS -> {
                manager.cancel(plan.tag, ALARM_ID)
                dropEmptySummary(plan.groupKey, removed = plan.tag)
            }
            NotifyAction.SHOW, NotifyAction.UPDATE -> post(plan)
        }
    }

    @SuppressLint("MissingPermission") // allowed() checks POST_NOTIFICATIONS
    private fun post(plan: NotificationPlan) {
        if (!allowed()) return
        val builder = NotificationCompat.Builder(context, plan.channelId)
            .setSmallIcon(R.drawable.ic_stat_alarm)
            .setContentTitle(plan.title)
            .setContentText(plan.body)
            .setStyle(NotificationCompat.BigTextStyle().bigText(plan.body))
            .setWhen(plan.`when`.toEpochMilli())
            .setShowWhen(true)
            .setPriority(plan.importance.compatPriority)
            .setCategory(plan.androidCategory)
            .setGroup(plan.groupKey)
            .setSilent(!plan.alert)
            .setContentIntent(openAlarms(plan.tag))
        // Android before 8 takes sound and vibration per notification instead of per channel.
        if (Build.VERSION.SDK_INT < 26 && plan.alert) {
            plan.sound.streamType?.let { builder.setSound(soundUri(plan.sound), it) }
            plan.vibrationPattern?.let { builder.setVibrate(it) }
        }
        val alarmId = plan.alarmId
        if (plan.acknowledgeAction && alarmId != null) {
            builder.addAction(0, context.getString(R.string.acknowledge), AckReceiver.intent(context, alarmId, plan.tag))
        }
        if (plan.fullScreen) builder.setFullScreenIntent(openAlarms(plan.tag), true)
        manager.notify(plan.tag, ALARM_ID, builder.build())
        postSummary(plan)
    }

    /** One summary per barn, so the barn's alarms fold together in the shade. */
    @SuppressLint("MissingPermission") // only called from post()
    private fun postSummary(plan: NotificationPlan) {
        val summary = NotificationCompat.Builder(context, plan.channelId)
            .setSmallIcon(R.drawable.ic_stat_alarm)
            .setContentTitle(plan.title)
            .setGroup(plan.groupKey)
            .setGroupSummary(true)
            // The children alert; the summary never does.
            .setGroupAlertBehavior(NotificationCompat.GROUP_ALERT_CHILDREN)
            .setSilent(true)
            .setContentIntent(openAlarms(plan.groupKey))
            .build()
        manager.notify(plan.groupKey, SUMMARY_ID, summary)
    }

    /** Removes the barn's summary once [removed] was its last alarm still shown. */
    private fun dropEmptySummary(groupKey: String, removed: String) {
        val others = manager.activeNotifications.count {
            it.id == ALARM_ID && it.tag != removed && it.notification.group == groupKey
        }
        if (others == 0) manager.cancel(groupKey, SUMMARY_ID)
    }

    /** Whether the user lets this app post notifications (asked for on Android 13 and later). */
    private fun allowed(): Boolean =
        (Build.VERSION.SDK_INT < 33 ||
            ContextCompat.checkSelfPermission(context, Manifest.permission.POST_NOTIFICATIONS) ==
            PackageManager.PERMISSION_GRANTED) &&
            manager.areNotificationsEnabled()

    private fun openAlarms(requestTag: String): PendingIntent = PendingIntent.getActivity(
        context,
        requestTag.hashCode(),
        Intent(context, MainActivity::class.java)
            .setAction(MainActivity.ACTION_OPEN_ALARMS)
            .addFlags(Intent.FLAG_ACTIVITY_SINGLE_TOP or Intent.FLAG_ACTIVITY_CLEAR_TOP),
        PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT,
    )

    private fun soundUri(sound: NotificationSound): Uri? = when (sound) {
        NotificationSound.NONE -> null
        NotificationSound.DEFAULT -> RingtoneManager.getDefaultUri(RingtoneManager.TYPE_NOTIFICATION)
        NotificationSound.ALARM -> RingtoneManager.getDefaultUri(RingtoneManager.TYPE_ALARM)
    }

    private companion object {
        /** Notifications are told apart by tag (one per alarm, one per barn for summaries). */
        const val ALARM_ID = 1
        const val SUMMARY_ID = 2
    }
}
