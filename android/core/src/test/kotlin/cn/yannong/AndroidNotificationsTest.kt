package cn.yannong

import cn.yannong.ffi.AlarmSeverity
import cn.yannong.ffi.InterruptionLevel
import cn.yannong.ffi.NotificationImportance
import cn.yannong.ffi.NotificationPlan
import cn.yannong.ffi.NotificationSound
import cn.yannong.ffi.NotifyAction
import java.time.Instant
import java.util.Locale
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

/**
 * The Android values for the core's notification records, checked against the channels the
 * real core hands out and against the constants Android documents (AndroidNotifications.kt
 * names each one).
 */
class AndroidNotificationsTest {

    @Test
    fun theCoresChannelsBecomeAndroidChannels() {
        val channels = AlarmCenter.notificationChannels(Locale.SIMPLIFIED_CHINESE).associateBy { it.severity }

        val critical = channels.getValue(AlarmSeverity.CRITICAL)
        assertEquals(4, critical.importance.channelImportance) // IMPORTANCE_HIGH
        assertEquals(4, critical.sound.audioUsage) // USAGE_ALARM
        assertTrue(critical.bypassDnd)
        assertArrayEquals(critical.vibrationMs.map { it.toLong() }.toLongArray(), critical.vibrationPattern)

        val major = channels.getValue(AlarmSeverity.MAJOR)
        assertEquals(4, major.importance.channelImportance)
        assertEquals(5, major.sound.audioUsage) // USAGE_NOTIFICATION
        assertFalse(major.bypassDnd)

        // Notices: quiet, no sound and no vibration at all.
        val info = channels.getValue(AlarmSeverity.INFO)
        assertEquals(2, info.importance.channelImportance) // IMPORTANCE_LOW
        assertNull(info.sound.audioUsage)
        assertNull(info.vibrationPattern)

        // More urgent channels never rank below less urgent ones.
        val ranked = listOf(AlarmSeverity.CRITICAL, AlarmSeverity.MAJOR, AlarmSeverity.MINOR, AlarmSeverity.INFO)
            .map { channels.getValue(it).importance.channelImportance }
        assertEquals(ranked.sortedDescending(), ranked)
    }

    @Test
    fun importanceMapsToChannelImportanceAndCompatPriority() {
        val expected = mapOf(
            NotificationImportance.LOW to (2 to -1),
            NotificationImportance.DEFAULT to (3 to 0),
            NotificationImportance.HIGH to (4 to 1),
            // IMPORTANCE_MAX is documented as unused for channels; PRIORITY_MAX still works
            // before Android 8.
            NotificationImportance.MAX to (4 to 2),
        )
        assertEquals(NotificationImportance.entries.toSet(), expected.keys)
        for ((importance, values) in expected) {
            assertEquals("$importance", values.first, importance.channelImportance)
            assertEquals("$importance", values.second, importance.compatPriority)
        }
    }

    @Test
    fun soundsPlayOnTheirStreams() {
        assertNull(NotificationSound.NONE.audioUsage)
        assertNull(NotificationSound.NONE.streamType)
        assertEquals(5, NotificationSound.DEFAULT.audioUsage) // USAGE_NOTIFICATION
        assertEquals(5, NotificationSound.DEFAULT.streamType) // STREAM_NOTIFICATION
        assertEquals(4, NotificationSound.ALARM.audioUsage) // USAGE_ALARM
        assertEquals(4, NotificationSound.ALARM.streamType) // STREAM_ALARM
    }

    @Test
    fun onlyAnAlertingCriticalPlanGoesThroughDoNotDisturbAndFullScreen() {
        val critical = plan(
            importance = NotificationImportance.MAX,
            alert = true,
            breaksQuietHours = true,
            vibration = listOf(0uL, 800uL, 400uL, 800uL),
        )
        assertEquals("alarm", critical.androidCategory) // CATEGORY_ALARM
        assertTrue(critical.fullScreen)
        assertArrayEquals(longArrayOf(0, 800, 400, 800), critical.vibrationPattern)

        // The same alarm's update: shown quietly, never full-screen.
        val update = critical.copy(
            action = NotifyAction.UPDATE,
            alert = false,
            breaksQuietHours = false,
            sound = NotificationSound.NONE,
            vibrationMs = emptyList(),
        )
        assertEquals("status", update.androidCategory) // CATEGORY_STATUS
        assertFalse(update.fullScreen)
        assertNull(update.vibrationPattern)

        // A major alarm rings but stays out of Do Not Disturb.
        val major = plan(importance = NotificationImportance.HIGH, alert = true, breaksQuietHours = false)
        assertEquals("status", major.androidCategory)
        assertFalse(major.fullScreen)
    }

    private fun plan(
        importance: NotificationImportance,
        alert: Boolean,
        breaksQuietHours: Boolean,
        vibration: List<ULong> = emptyList(),
    ): NotificationPlan = NotificationPlan(
        action = NotifyAction.SHOW,
        tag = "alarm-7",
        alarmId = 7L,
        severity = AlarmSeverity.CRITICAL,
        channelId = "alarm_critical",
        groupKey = "barn-3",
        title = "【严重】3号烤房：循环风机停转",
        body = "立即检查风机",
        `when` = Instant.parse("2024-07-01T06:00:00Z"),
        importance = importance,
        interruption = if (alert) InterruptionLevel.CRITICAL else InterruptionLevel.PASSIVE,
        alert = alert,
        sound = if (alert) NotificationSound.ALARM else NotificationSound.NONE,
        vibrationMs = vibration,
        breaksQuietHours = breaksQuietHours,
        acknowledgeAction = true,
    )
}
