import Foundation
#if canImport(YannongFFI)
import YannongFFI
#endif

/// Remote barn monitoring ("烘烤科学家"): log in to the barn platform, sync its barns into the
/// local database, read them offline, watch one barn live.
///
/// Everything a screen shows comes from the local database, so it works with no signal; show
/// `PlatformSession.syncedAt` as "last updated" beside it. Get one from
/// ``YannongClient/barns(baseURL:secureStore:extraRootsPEM:)``.
///
/// ```swift
/// let monitor = try client.barns(baseURL: platformURL, secureStore: KeychainSecureStore())
/// _ = try await monitor.login(phone: "13800000001", password: password)
/// _ = try await monitor.sync()
/// let list = try await monitor.overview()                       // most urgent first
/// let chart = try await monitor.curve(barnId: barn.id, points: 300)
/// for await event in monitor.watch(barnId: barn.id) {
///     if case let .reading(reading) = event { chart.append(reading) }
/// }
/// ```
///
/// The screens' data (``overview()``, ``curve(barnId:points:)``,
/// ``analysis(barnId:heatPumpInputKW:)``, ``pictures(barnId:limit:)``) is read from the local
/// database only; ``picture(imageId:)`` downloads a picture once and then keeps it in a
/// size-capped cache.
///
/// ## Errors
/// `YannongError.Network` when the platform cannot be reached (what was synced stays
/// readable), `.Unauthorized` when the user must log in (again), `.InvalidInput` with field
/// `base_url` for an address that is not https (plain http only to this device).
public final class BarnMonitor: Sendable {
    private let core: Barns

    init(core: Barns) {
        self.core = core
    }

    /// Logs in; the token goes to the secure store. Another account starts from an empty copy.
    public func login(phone: String, password: String) async throws -> PlatformUser {
        try await core.login(phone: phone, password: password)
    }

    /// Logs out and removes the local copy of the barns.
    public func logout() async throws {
        try await core.logout()
    }

    /// The alarm side of this platform connection: push payloads, catch-up,
    /// acknowledgements, notification plans. `trustedKeys` are the platform's alarm-signing
    /// keys the app ships (64 hex digits each).
    public func alarms(trustedKeys: [String]) throws -> AlarmCenter {
        try AlarmCenter(barns: core, trustedKeys: trustedKeys)
    }

    /// Who is logged in and when the last sync finished; `nil` when logged out. Local only.
    public func session() async throws -> PlatformSession? {
        let core = core
        return try await withPromptCancellation { try await core.session() }
    }

    /// Pulls what changed on the platform. Losing the network halfway is safe: the next sync
    /// resumes after the last page that arrived.
    @discardableResult
    public func sync() async throws -> SyncSummary {
        try await core.sync()
    }

    /// Sends this phone's lesson reading progress to the account and merges the account's
    /// back, so "continue where I left off" follows the farmer to another phone. Offline it
    /// throws `YannongError.Network` and the progress waits for the next call.
    ///
    /// - Returns: How many local progress rows the platform's answer wrote.
    @discardableResult
    public func syncReading(_ library: LessonLibrary) async throws -> UInt32 {
        try await core.syncReading(lessons: library.coreLessons)
    }

    /// The barns in the local database, each with its newest reading. Works offline.
    public func barns() async throws -> [BarnSummary] {
        let core = core
        return try await withPromptCancellation { try await core.barns() }
    }

    /// Every barn, most urgent first (ties by name), each with why it is where it is in the
    /// list (`reasons`, most serious first), its running step, its deviation from the set point
    /// and how long it has been silent (`silentFor`). Works offline; show
    /// `PlatformSession.syncedAt` beside it.
    public func overview() async throws -> [BarnStatus] {
        let core = core
        return try await withPromptCancellation { try await core.overview() }
    }

    /// The chart (烘烤曲线) of a barn's latest cure: the expected curve as exact knots
    /// (`expected`: nominal, fastest/slowest band, step windows), the measured points in time
    /// order with their deltas from the expected curve, and every stretch off it
    /// (`excursions`, found on all readings, never lost by downsampling). Works offline.
    ///
    /// - Parameter points: The most measured points to return, about the chart's width in
    ///   points or pixels; the core keeps it within 8–4000.
    /// - Returns: `nil` when the barn has no cure (or is not in the local copy).
    public func curve(barnId: Int64, points: Int) async throws -> BarnCurve? {
        let core = core
        let points = UInt32(clamping: points)
        return try await withPromptCancellation {
            try await core.curve(barnId: barnId, points: points)
        }
    }

    /// Process analysis (过程分析) of a barn's latest cure, finished or so far: each step's real
    /// against nominal/minimum/maximum hours, time out of tolerance, an energy estimate and a
    /// summary (`summary.zh` in Chinese). Works offline.
    ///
    /// - Parameter heatPumpInputKW: The heat pump's rated electrical input (nameplate), kW, for
    ///   the energy estimate (a proxy from the heating demand, not a meter reading).
    /// - Returns: `nil` when the barn has no cure.
    /// - Throws: `YannongError.InvalidInput` (field `heat_pump_input_kw`) for a rating that is
    ///   not within 0–500 kW.
    public func analysis(barnId: Int64, heatPumpInputKW: Double) async throws -> CureAnalysis? {
        let core = core
        return try await withPromptCancellation {
            try await core.analysis(barnId: barnId, heatPumpInputKw: heatPumpInputKW)
        }
    }

    /// The barn camera's pictures the local copy knows of, newest first: metadata only, load
    /// one with ``picture(imageId:)``. Say so on screen when `simulated` is set (drawn by the
    /// platform's simulator, not taken by a camera). Works offline.
    ///
    /// - Parameter limit: The most pictures to return; zero or less returns none.
    public func pictures(barnId: Int64, limit: Int = 20) async throws -> [BarnPictureInfo] {
        let core = core
        let limit = UInt32(clamping: limit)
        return try await withPromptCancellation {
            try await core.pictures(barnId: barnId, limit: limit)
        }
    }

    /// A picture's JPEG (`jpeg`) with its metadata: from the cache, else downloaded once
    /// (checked against its SHA-256) and cached under a size cap. Offline, the pictures viewed
    /// before still load. Cancelling stops the wait at once; a download under way still
    /// finishes into the cache.
    ///
    /// - Throws: `YannongError.NotFound` for a picture that is not in this account,
    ///   `.Network` when it is not cached and the platform cannot be reached.
    public func picture(imageId: Int64) async throws -> BarnPicture {
        let core = core
        return try await withPromptCancellation { try await core.picture(imageId: imageId) }
    }

    /// Live events of one barn: `.live` when connected, each `.reading` as it arrives (also
    /// written to the local database), `.offline` while the core reconnects by itself (it
    /// syncs the gap on return). The stream finishes after `.ended`; cancelling the consuming
    /// task stops the watch.
    public func watch(barnId: Int64) -> AsyncStream<BarnWatchEvent> {
        AsyncStream { continuation in
            let handle = core.watch(barnId: barnId, listener: StreamListener(continuation))
            continuation.onTermination = { _ in handle.stop() }
        }
    }
}

/// Feeds watch events into an `AsyncStream`.
private final class StreamListener: BarnWatchListener, @unchecked Sendable {
    private let continuation: AsyncStream<BarnWatchEvent>.Continuation

    init(_ continuation: AsyncStream<BarnWatchEvent>.Continuation) {
        self.continuation = continuation
    }

    func onEvent(event: BarnWatchEvent) {
        continuation.yield(event)
        if case .ended = event { continuation.finish() }
    }
}

/// Secrets kept in memory only, for tests and previews: nothing survives the process. Apps
/// use ``KeychainSecureStore``.
public final class InMemorySecureStore: SecureStore, @unchecked Sendable {
    private let values = Locked<[String: String]>([:])

    public init() {}

    public func get(key: String) throws -> String? { values.withLock { $0[key] } }

    public func set(key: String, value: String) throws { values.withLock { $0[key] = value } }

    public func delete(key: String) throws { values.withLock { $0[key] = nil } }
}

#if canImport(Security)
import Security

/// The platform token in the iOS Keychain: a generic password per key, readable after the
/// first unlock (background sync and watch work while the phone is locked), never backed up
/// to other devices.
///
/// An app whose Notification Service Extension should catch up or acknowledge (both need the
/// token) passes the same `accessGroup` in both targets: a keychain group from their
/// `keychain-access-groups` entitlement, team prefix included (`"ABCDE12345.cn.yannong.shared"`).
public final class KeychainSecureStore: SecureStore, @unchecked Sendable {
    private let service: String
    private let accessGroup: String?

    public init(service: String = "cn.yannong.barn-platform", accessGroup: String? = nil) {
        self.service = service
        self.accessGroup = accessGroup
    }

    private func query(_ key: String) -> [String: Any] {
        var q: [String: Any] = [kSecClass as String: kSecClassGenericPassword,
                                kSecAttrService as String: service,
                                kSecAttrAccount as String: key]
        if let accessGroup { q[kSecAttrAccessGroup as String] = accessGroup }
        return q
    }

    private func failure(_ status: OSStatus, _ what: String) -> YannongError {
        .Storage(detail: "Keychain \(what) failed (OSStatus \(status))", diskFull: false)
    }

    public func get(key: String) throws -> String? {
        var q = query(key)
        q[kSecReturnData as String] = true
        q[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        let status = SecItemCopyMatching(q as CFDictionary, &item)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess, let data = item as? Data else { throw failure(status, "read") }
        return String(data: data, encoding: .utf8)
    }

    public func set(key: String, value: String) throws {
        let data = Data(value.utf8)
        let update = [kSecValueData as String: data] as CFDictionary
        var status = SecItemUpdate(query(key) as CFDictionary, update)
        if status == errSecItemNotFound {
            var add = query(key)
            add[kSecValueData as String] = data
            add[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
            status = SecItemAdd(add as CFDictionary, nil)
        }
        guard status == errSecSuccess else { throw failure(status, "write") }
    }

    public func delete(key: String) throws {
        let status = SecItemDelete(query(key) as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw failure(status, "delete")
        }
    }
}
#endif
