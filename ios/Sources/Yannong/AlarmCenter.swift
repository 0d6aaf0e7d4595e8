import Foundation
#if canImport(YannongFFI)
import YannongFFI
#endif

/// Alarms on the phone (报警): what push notifications bring, the inbox screen, acknowledging,
/// the platform's own alarm stream and the phone's watchdog, for the account logged in on a
/// barn platform connection.
///
/// Every alarm change on the platform is a signed, numbered event in the user's alarm feed;
/// push channels are only fast ways to deliver it. The core verifies each payload against the
/// trusted keys, counts each event once whichever channel brought it, fills gaps with
/// ``catchUp()`` and decides what the notification looks like (`NotificationPlan`), so the
/// app only carries the plan out.
///
/// ```swift
/// let alarms = try AlarmCenter(barns: barns, trustedKeys: [alarmPublicKey])   // after login
/// _ = try await alarms.registerPush(channel: .apns, token: deviceTokenHex)
/// // Notification Service Extension:
/// let outcome = try await alarms.onPush(try PushPayloads.fromUserInfo(request.content.userInfo),
///                                       channel: .apns)
/// if case let .new(_, _, gap, plan) = outcome {
///     notifier.show(plan)                     // title, body, sound, interruption level, thread
///     if gap { try await alarms.catchUp() }
/// }
/// // while the app runs: the platform's own stream
/// for await event in alarms.events() {
///     if case let .received(outcome) = event { handle(outcome) }
/// }
/// ```
///
/// Call ``catchUp()``, ``flushAcks()`` and ``watchdog()`` on app start, on every background
/// refresh (BGAppRefreshTask) and when the network returns: together they make a lost push cost
/// minutes, never the alarm. Quiet hours are judged in `TimeZone.current`, read before every
/// call that plans a notification.
///
/// ## Errors
/// Calls throw `YannongError` (see `YannongError.message`): `.Integrity` for a payload that is
/// forged, signed by an unknown key, meant for another account or too old for a push (nothing
/// is stored; catch-up brings genuine old events quietly), `.InvalidInput` with field
/// `payload` for bytes that are not a Yannong alarm payload at all, `.Unauthorized` when nobody
/// is logged in, `.Network` when the platform cannot be reached (``alarms()`` and
/// ``acknowledge(alarmId:)`` still work offline).
public final class AlarmCenter: Sendable {
    private let barns: Barns
    private let inbox: AlarmInbox

    /// An alarm center for the account logged in on `barns`.
    ///
    /// - Parameters:
    ///   - barns: The platform connection the user logged in with (the generated `Barns`).
    ///   - trustedKeys: The platform's Ed25519 alarm-signing public keys, 64 hex digits each,
    ///     shipped with the app; events signed by any other key are refused.
    /// - Throws: `YannongError.InvalidInput` (field `trusted_keys`) for an empty list or a key
    ///   that is not 64 hex digits.
    public init(barns: Barns, trustedKeys: [String]) throws {
        self.barns = barns
        self.inbox = try barns.alarmInbox(trustedKeys: trustedKeys)
    }

    // MARK: Pushes

    /// Hands a push payload to the core: verified, stored once, planned as a notification.
    /// Carry out the `notification` of `.new`; call ``catchUp()`` when its `gap` is set or the
    /// outcome is `.catchUpNeeded`. Build `payload` with ``PushPayloads``. Always runs to the
    /// end, even if the calling task is cancelled: a stored event must not go unreported.
    ///
    /// - Throws: `YannongError.Integrity` for a forged, foreign or stale payload,
    ///   `.InvalidInput` (field `payload`) for unreadable bytes, `.Unauthorized` when nobody is
    ///   logged in.
    public func onPush(_ payload: Data, channel: PushChannel) async throws -> PushOutcome {
        followTimeZone()
        return try await inbox.onPush(payload: payload, channel: channel)
    }

    /// Fetches whatever the push channels lost from the platform's alarm feed; returns how
    /// many events were new. They are stored quietly (they may be hours old): refresh the inbox
    /// screen, do not notify.
    ///
    /// - Throws: `YannongError.Network` when the platform cannot be reached.
    @discardableResult
    public func catchUp() async throws -> Int {
        Int(try await inbox.catchUp())
    }

    /// The inbox: each alarm once with its newest state, newest raised first. An
    /// acknowledgement still waiting to be sent already shows. Works offline.
    public func alarms() async throws -> [AlarmInfo] {
        let inbox = inbox
        return try await withPromptCancellation { try await inbox.alarms() }
    }

    // MARK: Acknowledging

    /// Acknowledges an alarm (确认), from the inbox or a notification action: saved and shown
    /// at once, sent now if the platform answers, else kept until ``flushAcks()`` gets it
    /// through (`.queued`). Always runs to the end: the press is never lost.
    ///
    /// - Throws: `YannongError.NotFound` for an alarm that is not in this account's inbox.
    @discardableResult
    public func acknowledge(alarmId: Int64) async throws -> AckResult {
        try await inbox.acknowledge(alarmId: alarmId)
    }

    /// Sends the acknowledgements still waiting. Schedule the next call at `nextTryAt` (a
    /// BGTask earliest begin date) when it is set.
    @discardableResult
    public func flushAcks() async throws -> AckFlush {
        try await inbox.flushAcks()
    }

    // MARK: The phone's own alarms

    /// The phone's own alarms, for the case where every push channel is dead: a barn with a
    /// running cure, or the platform itself, silent for too long. Returns only changes since the
    /// last call, each with its notification. Call on every wake-up.
    public func watchdog() async throws -> [LocalAlarmInfo] {
        followTimeZone()
        return try await inbox.watchdog()
    }

    // MARK: Registration

    /// Registers this phone's push `token` of `channel` for the logged-in account; returns the
    /// device id for ``unregisterPush(deviceId:)``. Call after login and whenever the system
    /// hands out a new token (APNs: the device token as hex).
    ///
    /// - Throws: `YannongError.InvalidInput` (field `channel`) for `.stream`, which needs no
    ///   registration: iterate ``events()`` instead.
    public func registerPush(channel: PushChannel, token: String) async throws -> Int64 {
        try await barns.registerPush(channel: channel, token: token)
    }

    /// Stops pushes to a device registered with ``registerPush(channel:token:)``; call on
    /// logout.
    public func unregisterPush(deviceId: Int64) async throws {
        try await barns.unregisterPush(deviceId: deviceId)
    }

    // MARK: Quiet hours

    /// The user's quiet hours, `nil` when off. Local only.
    public func quietHours() async throws -> QuietHoursSetting? {
        let inbox = inbox
        return try await withPromptCancellation { try await inbox.quietHours() }
    }

    /// Sets the user's quiet hours (免打扰时段), or turns them off with `nil`: alarms below
    /// critical that arrive then are shown without sound. Critical alarms always sound. Kept
    /// across restarts.
    ///
    /// - Throws: `YannongError.InvalidInput` (field `quiet_hours`) for minutes outside the day
    ///   or an empty range.
    public func setQuietHours(_ setting: QuietHoursSetting?) async throws {
        try await inbox.setQuietHours(setting: setting)
    }

    /// Sets quiet hours from local times of day, e.g. 22:00–06:00 (wrapping midnight).
    ///
    /// - Throws: `YannongError.InvalidInput` (field `quiet_hours`) for an hour or minute out
    ///   of range, or `from` equal to `to`.
    public func setQuietHours(fromHour: Int, minute fromMinute: Int = 0, toHour: Int,
                              minute toMinute: Int = 0) async throws {
        try await setQuietHours(QuietHoursSetting(
            startMinute: UInt16(clamping: max(0, fromHour * 60 + fromMinute)),
            endMinute: UInt16(clamping: max(0, toHour * 60 + toMinute))))
    }

    // MARK: The platform's stream

    /// The platform's own alarm stream, while the app runs: `.live` once connected (after
    /// catching up), `.received` for each event that arrives (carry out the `notification` of
    /// a `.new` outcome), `.offline` while the core reconnects by itself. The stream finishes
    /// after `.ended` (`needsLogin`: ask for a login); cancelling the consuming task stops it.
    /// Nothing is dropped while the consumer is busy. Each call opens its own connection.
    public func events() -> AsyncStream<AlarmWatchEvent> {
        followTimeZone()
        let inbox = inbox
        return AsyncStream(bufferingPolicy: .unbounded) { continuation in
            let handle = inbox.watch(listener: AlarmStreamListener(continuation))
            continuation.onTermination = { _ in handle.stop() }
        }
    }

    // MARK: Channels

    /// Every alarm notification channel (one per severity, most urgent first), named in the
    /// locale's language (English if it is English, Chinese otherwise). iOS has no channels:
    /// use them for a settings screen and as the per-severity defaults the plans follow.
    public static func notificationChannels(locale: Locale = .current) -> [NotificationChannel] {
        coreNotificationChannels(locale.identifier.replacingOccurrences(of: "_", with: "-"))
    }

    /// Tells the core the device's current offset from UTC, for quiet hours.
    private func followTimeZone() {
        inbox.setUtcOffsetMinutes(minutes: Int32(TimeZone.current.secondsFromGMT() / 60))
    }
}

/// The generated function, reachable from inside ``AlarmCenter`` whose static method of the
/// same name would shadow it.
private func coreNotificationChannels(_ tag: String) -> [NotificationChannel] {
    notificationChannels(locale: tag)
}

/// Feeds alarm stream events into an `AsyncStream`.
private final class AlarmStreamListener: AlarmWatchListener, @unchecked Sendable {
    private let continuation: AsyncStream<AlarmWatchEvent>.Continuation

    init(_ continuation: AsyncStream<AlarmWatchEvent>.Continuation) {
        self.continuation = continuation
    }

    func onEvent(event: AlarmWatchEvent) {
        continuation.yield(event)
        if case .ended = event { continuation.finish() }
    }
}

/// Turns what the app receives into the bytes ``AlarmCenter/onPush(_:channel:)`` expects,
/// unchanged in content: the core finds the event and checks its signature.
public enum PushPayloads {
    /// An APNs notification's `userInfo` (in the Notification Service Extension or
    /// `didReceiveRemoteNotification`) as JSON, for channel `.apns`.
    ///
    /// - Throws: `YannongError.InvalidInput` (field `payload`) when it cannot be written as
    ///   JSON (it then holds no Yannong alarm either).
    public static func fromUserInfo(_ userInfo: [AnyHashable: Any]) throws -> Data {
        var object: [String: Any] = [:]
        for (key, value) in userInfo {
            guard let key = key as? String else { continue }
            object[key] = value
        }
        guard JSONSerialization.isValidJSONObject(object),
              let data = try? JSONSerialization.data(withJSONObject: object)
        else {
            throw YannongError.InvalidInput(
                detail: "the notification's userInfo cannot be written as JSON",
                field: "payload", step: nil)
        }
        return data
    }

    /// A data map of strings (a vendor's key/value payload) as a JSON object.
    public static func fromDataMap(_ map: [String: String]) -> Data {
        // A dictionary of strings is always valid JSON.
        (try? JSONSerialization.data(withJSONObject: map)) ?? Data("{}".utf8)
    }

    /// A payload that arrives as text (one server-sent-events `data:` line) as UTF-8.
    public static func fromString(_ text: String) -> Data {
        Data(text.utf8)
    }
}
