import Foundation
import UIKit
import UserNotifications
import Yannong

/// The Alarms screen: log in to the barn platform, register this phone for APNs, show the
/// inbox, acknowledge. Pushes themselves are handled by the Notification Service Extension,
/// which reads the same database in the app group.
@MainActor
final class AlarmsModel: ObservableObject {
    enum Screen: Equatable {
        case opening
        case login
        case inbox
        case unavailable(String)
    }

    @Published private(set) var screen = Screen.opening
    @Published private(set) var alarms: [AlarmRow] = []
    /// The last problem or status worth a line on screen.
    @Published private(set) var notice: String?
    @Published private(set) var busy = false

    private static let deviceIdKey = "yn.apnsDeviceId"

    func start() async {
        do {
            screen = try await AlarmCalls.isLoggedIn() ? .inbox : .login
        } catch {
            screen = .unavailable(userMessage(for: error))
            return
        }
        if screen == .inbox {
            await enablePush()
            await refresh()
        }
    }

    func login(phone: String, password: String) async {
        busy = true
        defer { busy = false }
        do {
            try await AlarmCalls.login(phone: phone, password: password)
        } catch {
            notice = userMessage(for: error)
            return
        }
        notice = nil
        screen = .inbox
        await enablePush()
        await refresh()
    }

    func logout() async {
        let deviceId = UserDefaults.standard.object(forKey: Self.deviceIdKey) as? Int64
        do {
            try await AlarmCalls.logout(deviceId: deviceId)
        } catch {
            notice = userMessage(for: error)
            return
        }
        UserDefaults.standard.removeObject(forKey: Self.deviceIdKey)
        alarms = []
        notice = nil
        screen = .login
    }

    /// Catch-up, waiting acknowledgements, then the inbox: on start, on return to the
    /// foreground and after each notification. Offline the inbox still shows what is here.
    func refresh() async {
        guard screen == .inbox else { return }
        let refreshed = await AlarmCalls.refresh()
        if let rows = refreshed.rows { alarms = rows }
        notice = refreshed.problem
    }

    /// When the app leaves the foreground. iOS ends a suspended app that still holds a lock on
    /// a file in the app group container (`0xdead10cc`), and the database there is shared with
    /// the extension: close it, under a background task so that iOS waits for it. The next
    /// call (the refresh on return) opens it again.
    func closeDatabase() {
        let app = UIApplication.shared
        let background = app.beginBackgroundTask(withName: "yn.closeDatabase")
        Task {
            do {
                try await SharedCore.shared.core().client.closeDatabase()
            } catch {
                notice = userMessage(for: error)
            }
            app.endBackgroundTask(background)
        }
    }

    func acknowledge(_ alarmId: Int64) async {
        do {
            notice = try await AlarmCalls.acknowledge(alarmId)
        } catch {
            notice = userMessage(for: error)
        }
        await refresh()
    }

    /// From `application(_:didRegisterForRemoteNotificationsWithDeviceToken:)`, on every
    /// launch: the platform wants each new token, and re-registering one is harmless.
    func register(deviceToken: Data) async {
        let hex = deviceToken.map { String(format: "%02x", $0) }.joined()
        do {
            let deviceId = try await AlarmCalls.registerPush(token: hex)
            UserDefaults.standard.set(deviceId, forKey: Self.deviceIdKey)
        } catch {
            notice = userMessage(for: error)
        }
    }

    func pushUnavailable(_ error: Error) {
        notice = Lang.pick(zh: "无法注册推送：", en: "Push registration failed: ") + error.localizedDescription
    }

    private func enablePush() async {
        do {
            // `.criticalAlert` takes effect only with Apple's critical-alert entitlement.
            let allowed = try await UNUserNotificationCenter.current()
                .requestAuthorization(options: [.alert, .sound, .badge, .criticalAlert])
            if allowed {
                UIApplication.shared.registerForRemoteNotifications()
            } else {
                notice = Lang.pick(zh: "通知已关闭：报警只会在打开本应用时看到。",
                                   en: "Notifications are off: alarms show only when this app is open.")
            }
        } catch {
            notice = userMessage(for: error)
        }
    }
}

/// One inbox line, as the screen shows it.
struct AlarmRow: Identifiable, Equatable, Sendable {
    let id: Int64
    let title: String
    let action: String
    let severity: String
    let raisedAt: Date
    let acknowledged: Bool
    let cleared: Bool

    init(_ alarm: AlarmInfo) {
        id = alarm.id
        title = alarm.title.text
        action = alarm.action.text
        switch alarm.severity {
        case .critical: severity = Lang.pick(zh: "严重", en: "Critical")
        case .major: severity = Lang.pick(zh: "重要", en: "Major")
        case .minor: severity = Lang.pick(zh: "一般", en: "Minor")
        case .info: severity = Lang.pick(zh: "提示", en: "Info")
        }
        raisedAt = alarm.raisedAt
        acknowledged = alarm.acknowledgedAt != nil
        cleared = alarm.clearedAt != nil
    }
}

/// The core calls the app makes, off the main actor and returning plain values: the generated
/// records and enums are `Sendable` only with a Swift 6 compiler, so under Swift 5.9 strict
/// checking they stay on this side.
enum AlarmCalls {
    static func isLoggedIn() async throws -> Bool {
        try await SharedCore.shared.core().monitor.session() != nil
    }

    static func login(phone: String, password: String) async throws {
        _ = try await SharedCore.shared.core().monitor.login(phone: phone, password: password)
    }

    static func registerPush(token: String) async throws -> Int64 {
        try await SharedCore.shared.core().alarms.registerPush(channel: .apns, token: token)
    }

    static func logout(deviceId: Int64?) async throws {
        let core = try await SharedCore.shared.core()
        if let deviceId {
            try await core.alarms.unregisterPush(deviceId: deviceId)
        }
        try await core.monitor.logout()
    }

    struct Refreshed: Sendable {
        /// `nil` when the inbox could not be read.
        let rows: [AlarmRow]?
        let problem: String?
    }

    static func refresh() async -> Refreshed {
        let core: SharedCore.Core
        do {
            core = try await SharedCore.shared.core()
        } catch {
            return Refreshed(rows: nil, problem: userMessage(for: error))
        }
        var problem: String?
        do {
            try await core.alarms.catchUp()
            try await core.alarms.flushAcks()
        } catch {
            problem = userMessage(for: error)  // offline: what is here still shows
        }
        do {
            return Refreshed(rows: try await core.alarms.alarms().map(AlarmRow.init), problem: problem)
        } catch {
            return Refreshed(rows: nil, problem: userMessage(for: error))
        }
    }

    /// Acknowledges an alarm; returns a line to show when it did not simply go through.
    static func acknowledge(_ alarmId: Int64) async throws -> String? {
        switch try await SharedCore.shared.core().alarms.acknowledge(alarmId: alarmId) {
        case .delivered:
            return nil
        case .queued:
            return Lang.pick(zh: "已确认，网络恢复后发送。", en: "Acknowledged; it is sent when the network is back.")
        case .alreadyAcknowledged:
            return Lang.pick(zh: "已有人确认过。", en: "Someone acknowledged it already.")
        }
    }
}
