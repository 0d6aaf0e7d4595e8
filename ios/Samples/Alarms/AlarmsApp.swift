import os
import SwiftUI
import UIKit
import UserNotifications

/// Host app of the Notification Service Extension sample: logs in, registers for APNs and shows
/// the inbox. Without a host that logs in, the extension has no session to check pushes against.
@main
struct AlarmsApp: App {
    @UIApplicationDelegateAdaptor(AppDelegate.self) private var appDelegate

    var body: some Scene {
        WindowGroup {
            AlarmsView(model: appDelegate.model)
        }
    }
}

@MainActor
final class AppDelegate: NSObject, UIApplicationDelegate {
    // Lazy: made on first use, on the main actor, rather than in NSObject's nonisolated init.
    private(set) lazy var model = AlarmsModel()
    private lazy var actions = NotificationActions { [model] in await model.refresh() }

    func application(
        _ application: UIApplication,
        didFinishLaunchingWithOptions launchOptions: [UIApplication.LaunchOptionsKey: Any]? = nil
    ) -> Bool {
        // Before launch ends, so a button pressed on a notification reaches the delegate.
        let center = UNUserNotificationCenter.current()
        center.delegate = actions
        center.setNotificationCategories([alarmNotificationCategory()])
        return true
    }

    func application(_ application: UIApplication,
                     didRegisterForRemoteNotificationsWithDeviceToken deviceToken: Data) {
        Task { await model.register(deviceToken: deviceToken) }
    }

    func application(_ application: UIApplication,
                     didFailToRegisterForRemoteNotificationsWithError error: Error) {
        model.pushUnavailable(error)
    }
}

/// Shows alarms while the app is in front and carries out a notification's 确认 button (iOS
/// starts the app in the background for it). Not tied to the main actor: iOS may call it on
/// another thread, and everything it needs is `Sendable`.
final class NotificationActions: NSObject, UNUserNotificationCenterDelegate, Sendable {
    private static let log = Logger(subsystem: "cn.yannong.samples", category: "alarms")
    private let changed: @Sendable () async -> Void

    init(changed: @escaping @Sendable () async -> Void) {
        self.changed = changed
    }

    func userNotificationCenter(_ center: UNUserNotificationCenter,
                                willPresent notification: UNNotification) async
        -> UNNotificationPresentationOptions
    {
        let changed = changed
        Task { await changed() }  // refresh the inbox without holding back the banner
        return [.banner, .list, .sound]  // the sound the extension chose, if any
    }

    func userNotificationCenter(_ center: UNUserNotificationCenter,
                                didReceive response: UNNotificationResponse) async {
        let userInfo = response.notification.request.content.userInfo
        guard response.actionIdentifier == SharedCore.acknowledgeAction,
              let alarmId = (userInfo[SharedCore.alarmIdKey] as? NSNumber)?.int64Value
        else { return }
        do {
            // Saved at once and sent now, or queued and sent by the next refresh.
            _ = try await AlarmCalls.acknowledge(alarmId)
        } catch {
            Self.log.error("acknowledge \(alarmId) failed: \(userMessage(for: error), privacy: .public)")
        }
        await changed()
    }
}
