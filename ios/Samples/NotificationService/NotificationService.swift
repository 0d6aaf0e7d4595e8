import Foundation
import os
import UserNotifications
import Yannong

/// Hands every alarm push (`mutable-content: 1`, the signed event under `yn`) to the Yannong
/// core before iOS shows it. The core verifies the signature, stores the event once however
/// many channels bring it, and plans the notification (title, body, sound, interruption level,
/// thread); this extension only carries the plan out.
///
/// Whatever goes wrong, the platform's own alert (Chinese title and body, per-alarm collapse
/// id) is delivered unchanged: a push is never dropped silently. Memory is tight in an
/// extension (about 24 MB), so only the database and the alarm inbox are opened, never the
/// leaf model.
final class NotificationService: UNNotificationServiceExtension {
    private static let log = Logger(subsystem: "cn.yannong.samples", category: "push")

    private var delivery: Delivery?

    override func didReceive(
        _ request: UNNotificationRequest,
        withContentHandler contentHandler: @escaping (UNNotificationContent) -> Void
    ) {
        let filtering = (try? SampleSettings.load())?.notificationFiltering ?? false
        let delivery = Delivery(original: request.content, canHide: filtering, handler: contentHandler)
        self.delivery = delivery
        let payload: Data
        do {
            payload = try PushPayloads.fromUserInfo(request.content.userInfo)
        } catch {
            Self.log.error("userInfo is not JSON: \(userMessage(for: error), privacy: .public)")
            return delivery.finish(.original)
        }
        Task { await Self.handle(payload, delivery: delivery) }
    }

    /// The system is about to give up on us: deliver the best content so far, which is the
    /// platform's alert as long as the core has not answered (`finish` runs only once).
    override func serviceExtensionTimeWillExpire() {
        Self.log.error("time ran out before the core answered; delivering the original alert")
        delivery?.finish(.original)
    }

    private static func handle(_ payload: Data, delivery: Delivery) async {
        do {
            let alarms = try await SharedCore.shared.core().alarms
            switch try await alarms.onPush(payload, channel: .apns) {
            case let .new(_, _, gap, plan):
                // A gap (pushes lost while offline) is filled by the app's catch-up on its next
                // start; doing it here would hold back this alarm for a network round trip.
                if gap { log.info("earlier alarm events are missing; the app will catch up") }
                delivery.finish(.plan(plan))
            case .duplicate:
                delivery.finish(.duplicate)
            case .catchUpNeeded:
                // The event did not fit the push (only its number came): the platform's alert
                // is all there is to show now; the app fetches the event when it runs.
                delivery.finish(.original)
            }
        } catch {
            // Forged, foreign or stale (`.Integrity`), not a Yannong payload (`.InvalidInput`),
            // logged out (`.Unauthorized`), the sample not set up, or a storage failure.
            log.error("push refused: \(userMessage(for: error), privacy: .public)")
            delivery.finish(.original)
        }
        // Let go of the shared database until the next push: iOS ends a suspended process
        // that holds a lock on a file in the app group container (`0xdead10cc`).
        try? await SharedCore.shared.core().client.closeDatabase()
    }
}

/// Calls the system's content handler exactly once, with the content for the first decision
/// that arrives (the core's answer or the time-out), from whichever thread it arrives on.
private final class Delivery: @unchecked Sendable {
    enum Decision {
        /// The platform's alert as it came.
        case original
        /// Already delivered through another channel (the app's stream or catch-up).
        case duplicate
        /// The core's plan for a new event.
        case plan(NotificationPlan)
    }

    private let lock = NSLock()
    private var handler: ((UNNotificationContent) -> Void)?
    private let original: UNNotificationContent
    private let canHide: Bool

    init(original: UNNotificationContent, canHide: Bool,
         handler: @escaping (UNNotificationContent) -> Void) {
        self.original = original
        self.canHide = canHide
        self.handler = handler
    }

    func finish(_ decision: Decision) {
        lock.lock()
        let handler = self.handler
        self.handler = nil
        lock.unlock()
        handler?(content(for: decision))
    }

    private func content(for decision: Decision) -> UNNotificationContent {
        switch decision {
        case .original:
            return original
        case .duplicate:
            // The user was told already. Only with the filtering entitlement may an extension
            // show nothing (without it iOS shows the original, sound and all); otherwise the
            // copy comes quietly and, sharing the alarm's collapse id, replaces the one shown.
            return canHide ? UNNotificationContent() : quiet(original)
        case let .plan(plan):
            switch plan.action {
            case .show, .update:
                return content(following: plan)
            case .dismiss:
                // The alarm is over. This push carries the alarm's collapse id, so whatever is
                // delivered replaces its notification: nothing when allowed (then remove the old
                // one explicitly), else the platform's "已恢复" alert, quietly.
                guard canHide else { return quiet(original) }
                UNUserNotificationCenter.current().removeDeliveredNotifications(withIdentifiers: [plan.tag])
                return UNNotificationContent()
            }
        }
    }

    /// The original alert rewritten to the plan. The request identifier cannot change here; the
    /// platform sends the plan's tag (`alarm-<id>`) as `apns-collapse-id`, so they agree.
    private func content(following plan: NotificationPlan) -> UNNotificationContent {
        guard let content = original.mutableCopy() as? UNMutableNotificationContent else { return original }
        content.title = plan.title
        content.body = plan.body
        content.threadIdentifier = plan.groupKey
        content.interruptionLevel = Self.level(plan.interruption)
        content.sound = plan.alert ? Self.sound(plan) : nil
        content.relevanceScore = Self.relevance(plan.severity)
        if plan.acknowledgeAction, let alarmId = plan.alarmId {
            content.categoryIdentifier = SharedCore.alarmCategory
            content.userInfo[SharedCore.alarmIdKey] = NSNumber(value: alarmId)
        } else {
            content.categoryIdentifier = ""
        }
        return content
    }

    private func quiet(_ content: UNNotificationContent) -> UNNotificationContent {
        guard let quiet = content.mutableCopy() as? UNMutableNotificationContent else { return content }
        quiet.sound = nil
        quiet.interruptionLevel = .passive
        return quiet
    }

    private static func sound(_ plan: NotificationPlan) -> UNNotificationSound? {
        switch plan.sound {
        case .none: return nil
        case .default: return .default
        // Sounds through mute and Focus only with Apple's critical-alert entitlement and the
        // user's consent (README.md, "Samples").
        case .alarm: return plan.breaksQuietHours ? .defaultCritical : .default
        }
    }

    private static func level(_ level: InterruptionLevel) -> UNNotificationInterruptionLevel {
        switch level {
        case .passive: return .passive
        case .active: return .active
        case .timeSensitive: return .timeSensitive
        case .critical: return .critical
        }
    }

    /// Orders a barn's notifications in the summary: the most severe on top.
    private static func relevance(_ severity: AlarmSeverity) -> Double {
        switch severity {
        case .critical: return 1
        case .major: return 0.75
        case .minor: return 0.5
        case .info: return 0.25
        }
    }
}
