import Foundation
import UserNotifications
import Yannong

/// What the Alarms app and its Notification Service Extension share: one database in the app
/// group container (the login the app makes is the session the extension checks pushes
/// against), the barn platform and the alarm keys the app ships. Each process opens it once.
actor SharedCore {
    static let shared = SharedCore()

    /// The opened core; all three are `Sendable` and safe to use from any task.
    struct Core: Sendable {
        let client: YannongClient
        let monitor: BarnMonitor
        let alarms: AlarmCenter
    }

    // Ids shared by the extension (which sets them on the notification) and the app (which
    // registers the category and handles the button).
    static let alarmCategory = "yn.alarm"
    static let acknowledgeAction = "yn.alarm.acknowledge"
    static let alarmIdKey = "yn_alarm_id"

    private var opening: Task<Core, Error>?

    /// The core of this process, opened on first use. Concurrent callers share one opening; a
    /// failed opening is retried by the next caller.
    func core() async throws -> Core {
        if let opening { return try await opening.value }
        let task = Task { try await Self.open() }
        opening = task
        do {
            return try await task.value
        } catch {
            opening = nil
            throw error
        }
    }

    private static func open() async throws -> Core {
        let settings = try SampleSettings.load()
        guard let container = FileManager.default
            .containerURL(forSecurityApplicationGroupIdentifier: settings.appGroup)
        else {
            throw SetupError(
                "App group \(settings.appGroup) is not in this target's entitlements (YN_APP_GROUP in project.yml).")
        }
        let client = try await YannongClient.open(
            dataDirectory: container.appendingPathComponent("yannong", isDirectory: true))
        // The token lives in the Keychain. Receiving pushes reads only the database (the
        // session row the app's login wrote), so the extension needs no access to the token.
        let monitor = try client.barns(baseURL: settings.platformURL, secureStore: KeychainSecureStore())
        return Core(client: client, monitor: monitor,
                    alarms: try monitor.alarms(trustedKeys: settings.alarmKeys))
    }
}

/// The notification category whose button acknowledges an alarm; the extension sets it on
/// notifications whose plan offers acknowledging.
func alarmNotificationCategory() -> UNNotificationCategory {
    UNNotificationCategory(
        identifier: SharedCore.alarmCategory,
        actions: [UNNotificationAction(identifier: SharedCore.acknowledgeAction,
                                       title: Lang.pick(zh: "确认", en: "Acknowledge"),
                                       options: [])],
        intentIdentifiers: [], options: [])
}

/// Settings from the target's Info.plist, filled from build settings in project.yml.
struct SampleSettings: Sendable {
    let appGroup: String
    let platformURL: URL
    /// The platform's alarm-signing public keys (64 hex digits each).
    let alarmKeys: [String]
    /// Whether the extension holds `com.apple.developer.usernotifications.filtering`: only
    /// then may it hide a notification (deliver empty content).
    let notificationFiltering: Bool

    static func load(from bundle: Bundle = .main) throws -> SampleSettings {
        func value(_ key: String) -> String {
            (bundle.object(forInfoDictionaryKey: key) as? String ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let group = value("YNAppGroup")
        guard !group.isEmpty else { throw SetupError("YN_APP_GROUP is not set in project.yml.") }
        guard let url = URL(string: value("YNPlatformURL")), url.scheme != nil else {
            throw SetupError("YN_PLATFORM_URL in project.yml is not an address.")
        }
        let keys = value("YNAlarmKeys")
            .split(whereSeparator: { $0 == "," || $0 == " " })
            .map(String.init)
        guard !keys.isEmpty else {
            throw SetupError("YN_ALARM_KEYS is empty: set it to the platform's key (GET /api/v1/alarm-keys).")
        }
        let filtering = ["yes", "true", "1"].contains(value("YNNotificationFiltering").lowercased())
        return SampleSettings(appGroup: group, platformURL: url, alarmKeys: keys,
                              notificationFiltering: filtering)
    }
}

/// A sample that is not set up (see project.yml); says what to fix.
struct SetupError: LocalizedError {
    let errorDescription: String?

    init(_ description: String) {
        errorDescription = description
    }
}
