package cn.yannong

import cn.yannong.ffi.AckFlush
import cn.yannong.ffi.AckResult
import cn.yannong.ffi.AlarmInbox
import cn.yannong.ffi.AlarmInfo
import cn.yannong.ffi.AlarmWatchEvent
import cn.yannong.ffi.AlarmWatchListener
import cn.yannong.ffi.Barns
import cn.yannong.ffi.LocalAlarmInfo
import cn.yannong.ffi.NotificationChannel
import cn.yannong.ffi.NotificationPlan
import cn.yannong.ffi.PushChannel
import cn.yannong.ffi.PushOutcome
import cn.yannong.ffi.QuietHoursSetting
import cn.yannong.ffi.YannongException
import java.time.LocalTime
import java.util.Locale
import java.util.TimeZone
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.withContext
import cn.yannong.ffi.notificationChannels as coreNotificationChannels

/**
 * Alarms on the phone (报警): what the push receivers bring, the inbox screen, acknowledging,
 * the platform's own alarm stream and the phone's watchdog, for the account logged in on
 * [barns].
 *
 * Every alarm change on the platform is a signed, numbered event in the user's alarm feed;
 * push channels are only fast ways to deliver it (docs/push.md). The core verifies each
 * payload against [trustedKeys], counts each event once whichever channel brought it, fills
 * gaps with [catchUp] and decides what the notification looks like ([NotificationPlan]), so
 * the app only carries the plan out.
 *
 * ```kotlin
 * val alarms = AlarmCenter(barns, listOf(ALARM_PUBLIC_KEY))          // after login
 * AlarmCenter.notificationChannels().forEach(notifier::createChannel) // at start-up
 * alarms.registerPush(PushChannel.FCM, fcmToken)
 * // in the FCM service:
 * when (val o = alarms.onPush(PushPayloads.fromDataMap(message.data), PushChannel.FCM)) {
 *     is PushOutcome.New -> { notifier.carryOut(o.notification); if (o.gap) alarms.catchUp() }
 *     is PushOutcome.CatchUpNeeded -> alarms.catchUp()
 *     PushOutcome.Duplicate -> Unit                                   // another channel was faster
 * }
 * // in the foreground service: the platform's own stream while the app runs
 * alarms.events.collect { e -> if (e is AlarmWatchEvent.Received) handle(e.outcome) }
 * ```
 *
 * Call [catchUp], [flushAcks] and [watchdog] on app start, on every periodic wake-up
 * (WorkManager) and when the network returns: together they make a lost push cost minutes,
 * never the alarm.
 *
 * Quiet hours are judged in the device's time zone ([TimeZone.getDefault], read before every
 * call that plans a notification), so a time-zone change takes effect at once.
 *
 * ## Errors
 * Calls throw [YannongException] (see [userMessage]): [YannongException.Integrity] for a
 * payload that is forged, signed by an unknown key, meant for another account or too old for
 * a push (nothing is stored; catch-up brings genuine old events quietly),
 * [YannongException.InvalidInput] (field `payload`) for bytes that are not a Yannong alarm
 * payload at all, [YannongException.Unauthorized] when nobody is logged in,
 * [YannongException.Network] when the platform cannot be reached ([alarms] and [acknowledge]
 * still work offline).
 *
 * @param barns the platform connection the user logged in with. It stays the caller's: closing
 *   this object does not close it.
 * @param trustedKeys the platform's Ed25519 alarm-signing public keys (64 hex digits each)
 *   shipped with the app; events signed by any other key are refused.
 * @throws YannongException.InvalidInput (field `trusted_keys`) for an empty list or a key that
 *   is not 64 hex digits.
 */
class AlarmCenter(private val barns: Barns, trustedKeys: List<String>) : AutoCloseable {

    private val inbox: AlarmInbox = barns.alarmInbox(trustedKeys)

    /**
     * Hands a push receiver's payload to the core: verified, stored once, and planned as a
     * notification. Carry out [PushOutcome.New.notification]; call [catchUp] when
     * [PushOutcome.New.gap] is set or the outcome is [PushOutcome.CatchUpNeeded]. Build
     * [payload] with [PushPayloads]. Not cancellable: a stored event must not go unreported.
     *
     * @throws YannongException.Integrity for a forged, foreign or stale payload.
     * @throws YannongException.InvalidInput (field `payload`) for unreadable bytes.
     * @throws YannongException.Unauthorized when nobody is logged in.
     */
    suspend fun onPush(payload: ByteArray, channel: PushChannel): PushOutcome {
        followTimeZone()
        return withContext(NonCancellable) { inbox.onPush(payload, channel) }
    }

    /** [onPush] for a vendor data map (FCM, OPPO, vivo): see [PushPayloads.fromDataMap]. */
    suspend fun onPush(data: Map<String, String>, channel: PushChannel): PushOutcome =
        onPush(PushPayloads.fromDataMap(data), channel)

    /** [onPush] for a payload that arrives as text (Huawei, Honor, Xiaomi). */
    suspend fun onPush(text: String, channel: PushChannel): PushOutcome =
        onPush(PushPayloads.fromString(text), channel)

    /**
     * Fetches whatever the push channels lost from the platform's alarm feed; returns how many
     * events were new. Events that arrive this way are stored quietly (they may be hours
     * old): refresh the inbox screen, do not notify. Cancelling is safe.
     *
     * @throws YannongException.Network when the platform cannot be reached.
     */
    suspend fun catchUp(): Int = inbox.catchUp().toInt()

    /**
     * The inbox: each alarm once with its newest state, newest raised first. An
     * acknowledgement still waiting to be sent already shows. Works offline.
     */
    suspend fun alarms(): List<AlarmInfo> = inbox.alarms()

    /**
     * Acknowledges alarm [alarmId] (确认), from the inbox or a notification's action button:
     * saved and shown at once, sent now if the platform answers, else kept until [flushAcks]
     * gets it through ([AckResult.Queued]). Not cancellable: the press is never lost.
     *
     * @throws YannongException.NotFound for an alarm that is not in this account's inbox.
     */
    suspend fun acknowledge(alarmId: Long): AckResult =
        withContext(NonCancellable) { inbox.acknowledge(alarmId) }

    /**
     * Sends the acknowledgements still waiting. Schedule the next call at
     * [AckFlush.nextTryAt] (a WorkManager deadline) when it is set. Cancelling is safe: a row
     * leaves the outbox only after the platform answered.
     */
    suspend fun flushAcks(): AckFlush = inbox.flushAcks()

    /**
     * The phone's own alarms, for the case where every push channel is dead: a barn with a
     * running cure, or the platform itself, silent for too long. Returns only changes since
     * the last call, each with its notification. Call on every wake-up.
     */
    suspend fun watchdog(): List<LocalAlarmInfo> {
        followTimeZone()
        return inbox.watchdog()
    }

    /**
     * Registers this phone's push [token] of [channel] for the logged-in account; returns the
     * device id for [unregisterPush]. Call after login and whenever the vendor SDK hands out a
     * new token (FCM `onNewToken`, HMS `onNewToken`, MiPush `onReceiveRegisterResult`, ...).
     *
     * @throws YannongException.InvalidInput (field `channel`) for [PushChannel.STREAM], which
     *   needs no registration: collect [events] instead.
     */
    suspend fun registerPush(channel: PushChannel, token: String): Long =
        barns.registerPush(channel, token)

    /** Stops pushes to a device registered with [registerPush]; call on logout. */
    suspend fun unregisterPush(deviceId: Long) {
        barns.unregisterPush(deviceId)
    }

    /** The user's quiet hours, `null` when off. Local only. */
    suspend fun quietHours(): QuietHoursSetting? = inbox.quietHours()

    /**
     * Sets the user's quiet hours (免打扰时段), or turns them off with `null`: alarms below
     * critical that arrive then are shown without sound. Critical alarms always sound. Kept
     * across restarts. Not cancellable.
     *
     * @throws YannongException.InvalidInput (field `quiet_hours`) for minutes outside the day
     *   or an empty range.
     */
    suspend fun setQuietHours(setting: QuietHoursSetting?) {
        withContext(NonCancellable) { inbox.setQuietHours(setting) }
    }

    /**
     * [setQuietHours] from local times, e.g. `setQuietHours(LocalTime.of(22, 0),
     * LocalTime.of(6, 0))` for 22:00–06:00 (wrapping midnight). Seconds are ignored.
     */
    suspend fun setQuietHours(start: LocalTime, end: LocalTime) {
        setQuietHours(QuietHoursSetting(start.minuteOfDay(), end.minuteOfDay()))
    }

    /**
     * The platform's own alarm stream (the self-hosted push channel), for a foreground
     * service or while the app is open: [AlarmWatchEvent.Live] once connected (after catching
     * up), [AlarmWatchEvent.Received] for each event that arrives, whose
     * [PushOutcome.New.notification] to carry out, and [AlarmWatchEvent.Offline] while the
     * core reconnects by itself. The flow completes after [AlarmWatchEvent.Ended]
     * ([AlarmWatchEvent.Ended.needsLogin]: ask for a login); cancelling the collector stops
     * the stream. Nothing is dropped while the collector is busy.
     *
     * Cold: every collector opens its own connection, so collect it once.
     */
    val events: Flow<AlarmWatchEvent> = callbackFlow {
        followTimeZone()
        val handle = inbox.watch(
            object : AlarmWatchListener {
                override fun onEvent(event: AlarmWatchEvent) {
                    trySend(event)
                    if (event is AlarmWatchEvent.Ended) channel.close()
                }
            },
        )
        awaitClose {
            handle.stop()
            handle.close()
        }
    }.buffer(Channel.UNLIMITED)

    /**
     * The inbox as it changes, for the inbox screen: the stored list at once (offline too),
     * then again whenever the platform's stream connects (after catching up) or brings an
     * event. Holds the stream open while collected, like [events].
     */
    val inboxFlow: Flow<List<AlarmInfo>> = flow {
        emit(alarms())
        events.collect { e ->
            if (e is AlarmWatchEvent.Live || e is AlarmWatchEvent.Received) emit(alarms())
        }
    }

    /** Tells the core the device's current offset from UTC, for quiet hours. */
    private fun followTimeZone() {
        val offsetMs = TimeZone.getDefault().getOffset(System.currentTimeMillis())
        inbox.setUtcOffsetMinutes(offsetMs / 60_000)
    }

    /** Releases the inbox (not [barns]). Closing twice is harmless. */
    override fun close() {
        inbox.close()
    }

    companion object {
        /**
         * Every alarm notification channel (one per severity, most urgent first), named in
         * [locale]'s language (Chinese unless English). Create them at app start-up, before
         * any alarm arrives: Android fixes a channel's sound, vibration and Do Not Disturb
         * bypass when it is created, and [NotificationPlan.channelId] names one of them.
         * [NotificationChannel.bypassDnd] needs the user's "override Do Not Disturb" grant.
         */
        fun notificationChannels(locale: Locale = Locale.getDefault()): List<NotificationChannel> =
            coreNotificationChannels(locale.toLanguageTag())

        private fun LocalTime.minuteOfDay(): UShort = (hour * 60 + minute).toUShort()
    }
}
