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
/// for await event in monitor.watch(barnId: barn.id) {
///     if case let .reading(reading) = event { chart.append(reading) }
/// }
/// ```
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

    /// The barns in the local database, each with its newest reading. Works offline.
    public func barns() async throws -> [BarnSummary] {
        let core = core
        return try await withPromptCancellation { try await core.barns() }
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
public final class KeychainSecureStore: SecureStore, @unchecked Sendable {
    private let service: String

    public init(service: String = "cn.yannong.barn-platform") {
        self.service = service
    }

    private func query(_ key: String) -> [String: Any] {
        [kSecClass as String: kSecClassGenericPassword,
         kSecAttrService as String: service,
         kSecAttrAccount as String: key]
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
