// Checks of the alarm API (AlarmCenter, PushPayloads) against the real Rust core, in the
// harness of main.swift, which calls `await alarmChecks()`.
//
// The barn platform is not started for the Swift checks (the live platform is exercised from
// Kotlin: AlarmCenterTest.kt). What an alarm inbox needs from it is small, so a stand-in answers
// on loopback: a login, the alarm feed for catch-up, acknowledgements. Signed events come from a
// test key the inbox trusts: Ed25519 (RFC 8032, after TweetNaCl) with SHA-512 and SHA-256
// (FIPS 180-4) written out below, since Foundation on Linux has no CryptoKit; a check compares
// them with the standards' test vectors first.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(Yannong)
import Yannong
#endif

@MainActor func alarmChecks() async {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("yannong-alarm-checks-\(UUID().uuidString)", isDirectory: true)
    var phones = 0
    /// A fresh phone database with a platform connection to `url`, logged in when `login`.
    func phone(_ url: URL, login: Bool = true) async throws -> Barns {
        phones += 1
        let core = try await Yannong.open(config: YannongConfig(
            dataDir: dir.appendingPathComponent("phone-\(phones)").path, locale: "zh-CN"))
        let barns = try core.barns(
            config: BarnPlatformConfig(baseUrl: url.absoluteString, extraRootsPem: nil),
            secureStore: InMemorySecureStore())
        if login {
            let user = try await barns.login(phone: StubPlatform.phone, password: "x")
            guard user.id == StubPlatform.userId else { throw StubError("logged in as \(user)") }
        }
        return barns
    }
    let signer = TestSigner(seed: (0..<32).map { UInt8($0 * 7 + 1) })
    let unreachable = URL(string: "http://127.0.0.1:9")!

    await test("alarms: 4 notification channels, the critical one bypasses Do Not Disturb") { t in
        let zh = notificationChannels(locale: "zh")
        t.equal(zh.count, 4, "channels")
        t.equal(zh.map(\.id), ["alarm_critical", "alarm_major", "alarm_minor", "alarm_info"], "ids")
        t.equal(zh.map(\.severity), [.critical, .major, .minor, .info], "severities")
        t.equal(zh.map(\.bypassDnd), [true, false, false, false], "bypassDnd")
        t.equal(zh.first?.importance, .max, "critical importance")
        t.equal(zh.first?.sound, .alarm, "critical sound")
        t.equal(zh.first?.name.text, "严重报警", "Chinese name")
        t.expect(!(zh.first?.vibrationMs.isEmpty ?? true), "critical vibrates")
        t.equal(AlarmCenter.notificationChannels(locale: Locale(identifier: "zh_Hans_CN")), zh,
                "the wrapper, in Chinese")
        t.equal(AlarmCenter.notificationChannels(locale: Locale(identifier: "en_US")).first?.name.text,
                "Critical alarms", "the wrapper, in English")
    }

    await test("alarms: the test signer matches FIPS 180-4 and RFC 8032") { t in
        t.equal(hex(sha512(Array("abc".utf8))),
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                    + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f", "SHA-512")
        t.equal(hex(sha256(Array("abc".utf8))),
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "SHA-256")
        let rfc = TestSigner(seed: bytes(hex: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        t.equal(rfc.publicHex, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                "RFC 8032 test 1 public key")
        t.equal(hex(rfc.signature(of: [])),
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bac"
                    + "c61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b", "RFC 8032 test 1 signature")
    }

    await test("alarms: without a login, typed errors; quiet hours; the stream ends") { t in
        let barns = try await phone(unreachable, login: false)
        for keys in [[], ["not hex"]] {
            let e = await t.error("keys \(keys)") { _ = try AlarmCenter(barns: barns, trustedKeys: keys) }
            t.equal((e as? YannongError)?.field, "trusted_keys", "field of \(String(describing: e))")
        }
        let alarms = try AlarmCenter(barns: barns, trustedKeys: [signer.publicHex])
        let push = await t.error("onPush") {
            _ = try await alarms.onPush(PushPayloads.fromDataMap(["yn": "{}"]), channel: .fcm)
        }
        guard case .Unauthorized? = push as? YannongError else {
            return t.fail("expected Unauthorized, got \(String(describing: push))")
        }
        t.equal(try await alarms.alarms(), [], "empty inbox")
        let stream = await t.error("register the stream") {
            _ = try await alarms.registerPush(channel: .stream, token: "x")
        }
        t.equal((stream as? YannongError)?.field, "channel", "field of \(String(describing: stream))")
        t.equal(try await alarms.watchdog(), [], "watchdog")

        t.expect(try await alarms.quietHours() == nil, "no quiet hours at first")
        try await alarms.setQuietHours(fromHour: 22, toHour: 6)
        t.equal(try await alarms.quietHours(), QuietHoursSetting(startMinute: 1320, endMinute: 360),
                "22:00–06:00")
        let bad = await t.error("25:00") { try await alarms.setQuietHours(fromHour: 25, toHour: 6) }
        t.equal((bad as? YannongError)?.field, "quiet_hours", "field of \(String(describing: bad))")
        try await alarms.setQuietHours(nil)
        t.expect(try await alarms.quietHours() == nil, "turned off")

        let collected = Task { () -> [AlarmWatchEvent] in
            var events: [AlarmWatchEvent] = []
            for await e in alarms.events() { events.append(e) }
            return events
        }
        let timeout = Task {
            try await Task.sleep(nanoseconds: 10_000_000_000)
            collected.cancel()
        }
        let seen = await collected.value
        timeout.cancel()
        guard case let .ended(reason, needsLogin)? = seen.last else {
            return t.fail("the stream did not end within 10 s: \(seen)")
        }
        t.expect(needsLogin, "ended needing a login")
        t.expect(reason != nil, "with a reason")
    }

    await test("alarms: forged and unreadable payloads are typed errors, nothing is stored") { t in
        let platform = try StubPlatform()
        defer { platform.stop() }
        let alarms = try AlarmCenter(barns: try await phone(platform.url), trustedKeys: [signer.publicHex])
        let event = alarmEventJSON(seq: 1, alarmId: 41, severity: "critical")
        let stranger = TestSigner(seed: Array(repeating: 9, count: 32))
        // Valid JSON, signed by a stranger who claims the trusted key's id.
        let forged = stranger.signed(event, claimedKeyId: signer.keyId)
        let refused: [(Data, PushChannel)] = [
            (PushPayloads.fromDataMap(["yn": forged]), .fcm),
            (try PushPayloads.fromUserInfo(["aps": ["content-available": 1], "yn": forged]), .apns),
            (PushPayloads.fromString(forged), .stream),
            // Honestly signed, by a key the app does not ship.
            (PushPayloads.fromDataMap(["yn": stranger.signed(event)]), .vivo),
            // Signed by the trusted key, for another account.
            (PushPayloads.fromDataMap(["yn": signer.signed(
                alarmEventJSON(seq: 1, alarmId: 41, severity: "critical", recipient: 8))]), .fcm),
        ]
        for (payload, channel) in refused {
            let e = await t.error("forged via \(channel)") { _ = try await alarms.onPush(payload, channel: channel) }
            guard let error = e as? YannongError, case .Integrity = error else {
                t.fail("\(channel): expected Integrity, got \(String(describing: e))")
                continue
            }
            t.expect(error.isPermanent && !error.message.isEmpty, "permanent, with a message")
        }
        let unreadable: [(Data, PushChannel)] = [
            (Data([0x00, 0x13, 0x37, 0xFF]), .fcm),
            (PushPayloads.fromString("烤房报警"), .hms),
            (PushPayloads.fromDataMap(["title": "no event"]), .oppo),
            (PushPayloads.fromDataMap(["yn": forged]), .apns),   // APNs without "aps"
        ]
        for (payload, channel) in unreadable {
            let e = await t.error("garbage via \(channel)") { _ = try await alarms.onPush(payload, channel: channel) }
            t.equal((e as? YannongError)?.field, "payload", "\(channel): \(String(describing: e))")
        }
        t.equal(try await alarms.alarms(), [], "nothing stored")
    }

    await test("alarms: one critical event by APNs, FCM, Xiaomi and the stream counts once") { t in
        let platform = try StubPlatform()
        defer { platform.stop() }
        let alarms = try AlarmCenter(barns: try await phone(platform.url), trustedKeys: [signer.publicHex])
        // Quiet hours all day long: a critical alarm sounds all the same.
        let now = Calendar.current.dateComponents([.hour], from: Date()).hour ?? 0
        try await alarms.setQuietHours(fromHour: (now + 23) % 24, toHour: (now + 2) % 24)
        let signed = signer.signed(alarmEventJSON(seq: 1, alarmId: 42, severity: "critical"))
        let apns = try PushPayloads.fromUserInfo([
            "aps": ["alert": ["title": "【严重】1号烤房：循环风机停转"], "mutable-content": 1] as [String: Any],
            "yn": signed,
        ] as [AnyHashable: Any])
        let first = try await alarms.onPush(apns, channel: .apns)
        guard case let .new(kind, alarm, gap, plan) = first else {
            return t.fail("expected .new, got \(first)")
        }
        t.equal(kind, .raised, "kind")
        t.equal(alarm.id, 42, "alarm id")
        t.equal(alarm.severity, .critical, "severity")
        t.equal(alarm.rule, "A10", "rule")
        t.expect(!gap, "event 1: no gap")
        t.equal(plan.tag, "alarm-42", "tag")
        t.equal(plan.alarmId, 42, "plan's alarm id")
        t.equal(plan.channelId, "alarm_critical", "channel")
        t.equal(plan.groupKey, "barn-\(StubPlatform.barnId)", "group")
        t.expect(plan.alert, "alerts")
        t.expect(plan.breaksQuietHours, "breaks quiet hours")
        t.expect(plan.acknowledgeAction, "offers acknowledge")
        t.equal(plan.interruption, .critical, "interruption level")
        t.equal(plan.sound, .alarm, "sound")
        t.equal(plan.action, .show, "action")
        t.expect(plan.title.hasPrefix("【严重】"), "Chinese title: \(plan.title)")

        let xiaomi = "{\"yn\":" + jsonString(signed) + "}"
        for (payload, channel) in [
            (PushPayloads.fromDataMap(["yn": signed]), PushChannel.fcm),
            (PushPayloads.fromString(xiaomi), .miPush),
            (PushPayloads.fromString(signed), .stream),
        ] {
            t.equal(try await alarms.onPush(payload, channel: channel), .duplicate, "again via \(channel)")
        }
        t.equal(try await alarms.alarms().map(\.id), [42], "the inbox holds it once")

        // A major alarm in the same quiet hours: shown without sound.
        let major = signer.signed(alarmEventJSON(seq: 2, alarmId: 43, severity: "major"))
        guard case let .new(_, _, _, quiet) = try await alarms.onPush(
            PushPayloads.fromDataMap(["yn": major]), channel: .fcm)
        else { return t.fail("major: expected .new") }
        t.equal(quiet.channelId, "alarm_major", "major channel")
        t.expect(!quiet.alert, "no sound in quiet hours")
    }

    await test("alarms: a gap is noticed and catch-up fills it from the feed") { t in
        let platform = try StubPlatform()
        defer { platform.stop() }
        let alarms = try AlarmCenter(barns: try await phone(platform.url), trustedKeys: [signer.publicHex])
        let feed = (1...3).map { seq in
            signer.signed(alarmEventJSON(seq: UInt64(seq), alarmId: 50 + Int64(seq), severity: "major"))
        }
        guard case let .new(_, _, gap, _) = try await alarms.onPush(
            PushPayloads.fromDataMap(["yn": feed[2]]), channel: .fcm)
        else { return t.fail("expected .new") }
        t.expect(gap, "events 1 and 2 are missing")
        platform.setFeed(feed)
        t.equal(try await alarms.catchUp(), 2, "caught up")
        t.equal(try await alarms.catchUp(), 0, "nothing more")
        t.equal(try await alarms.alarms().map(\.id).sorted(), [51, 52, 53], "inbox")
        t.equal(try await alarms.onPush(PushPayloads.fromDataMap(["yn": feed[0]]), channel: .hms),
                .duplicate, "a late push of event 1")
    }

    await test("alarms: an acknowledgement the platform refuses is queued, shown, sent once") { t in
        let platform = try StubPlatform()
        defer { platform.stop() }
        let alarms = try AlarmCenter(barns: try await phone(platform.url), trustedKeys: [signer.publicHex])
        _ = try await alarms.onPush(PushPayloads.fromDataMap(
            ["yn": signer.signed(alarmEventJSON(seq: 1, alarmId: 61, severity: "critical"))]), channel: .fcm)
        platform.acceptAcks(false)
        let result = try await alarms.acknowledge(alarmId: 61)
        guard case .queued = result else { return t.fail("expected .queued, got \(result)") }
        t.expect(try await alarms.alarms().first?.acknowledgedAt != nil, "shown acknowledged at once")
        let unknown = await t.error("not in the inbox") { _ = try await alarms.acknowledge(alarmId: 999) }
        guard case .NotFound? = unknown as? YannongError else {
            return t.fail("expected NotFound, got \(String(describing: unknown))")
        }

        platform.acceptAcks(true)
        var flushed: AckFlush?
        for _ in 0..<40 where flushed == nil {
            let f = try await alarms.flushAcks()
            if f.sent > 0 || f.left == 0 { flushed = f } else { try await Task.sleep(nanoseconds: 250_000_000) }
        }
        t.equal(flushed?.sent, 1, "sent once the platform answers")
        t.equal(flushed?.left, 0, "nothing left")
        let again = try await alarms.flushAcks()
        t.equal(again.sent, 0, "a second flush sends nothing")
        t.equal(platform.acks, [61], "the platform got it once")
    }

    try? FileManager.default.removeItem(at: dir)
}

// MARK: - Events as the platform signs them

/// An alarm event as the platform serialises it (`core/src/barn/api/alarm.rs`), issued now.
func alarmEventJSON(seq: UInt64, alarmId: Int64, severity: String,
                    recipient: Int64 = StubPlatform.userId) -> String {
    let at = Int64(Date().timeIntervalSince1970 * 1000)
    return """
        {"recipient":\(recipient),"seq":\(seq),"kind":"raised","alarm":{"id":\(alarmId),\
        "barn_id":\(StubPlatform.barnId),"curing_id":null,"rule":"A10","rules_version":1,\
        "severity":"\(severity)","title":{"zh":"循环风机停转","en":"Circulation fan stopped"},\
        "action":{"zh":"循环风机停转，立即检修","en":"Circulation fan stopped, repair now"},\
        "raised_at":\(at),"updated_at":\(at),"cleared_at":null,"acked_at":null,"acked_by":null},\
        "issued_at":\(at)}
        """
}

/// `s` as a JSON string literal.
func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

func bytes(hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var i = hex.startIndex
    while i < hex.endIndex {
        let j = hex.index(i, offsetBy: 2)
        out.append(UInt8(hex[i..<j], radix: 16)!)
        i = j
    }
    return out
}

/// Signs alarm events as the platform does: Ed25519 over the payload bytes, carried as
/// `{"key_id", "payload", "ed25519"}` with base64 payload and signature.
struct TestSigner {
    let seed: [UInt8]
    let publicKey: [UInt8]

    init(seed: [UInt8]) {
        self.seed = seed
        var d = sha512(seed)
        d[0] &= 248
        d[31] &= 127
        d[31] |= 64
        publicKey = Ed25519.pack(Ed25519.scalarbase(Array(d[0..<32])))
    }

    var publicHex: String { hex(publicKey) }
    /// First 8 bytes of SHA-256 of the public key, hex (`core/src/keys.rs`).
    var keyId: String { hex(Array(sha256(publicKey)[0..<8])) }

    func signature(of message: [UInt8]) -> [UInt8] {
        Ed25519.sign(message, seed: seed, publicKey: publicKey)
    }

    func signed(_ eventJSON: String, claimedKeyId: String? = nil) -> String {
        let payload = Array(eventJSON.utf8)
        return "{\"key_id\":\"\(claimedKeyId ?? keyId)\",\"payload\":\"\(Data(payload).base64EncodedString())\","
            + "\"ed25519\":\"\(Data(signature(of: payload)).base64EncodedString())\"}"
    }
}

// MARK: - A stand-in platform on loopback

struct StubError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

#if os(Linux)
private let sockStream = Int32(SOCK_STREAM.rawValue)
private let sendFlags = Int32(MSG_NOSIGNAL)
#else
private let sockStream = SOCK_STREAM
private let sendFlags: Int32 = 0
#endif

private func closeSocket(_ fd: Int32) {
    _ = close(fd)
}

extension NSLock {
    fileprivate func guarded<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}

/// Answers the few platform calls an alarm inbox makes, one connection at a time: login (a
/// farmer), the alarm feed (`setFeed`), acknowledgements (503 until `acceptAcks(true)`).
/// Anything else is a 404.
final class StubPlatform: @unchecked Sendable {
    static let phone = "13800000001"
    static let userId: Int64 = 7
    static let barnId: Int64 = 3

    let url: URL
    private let listener: Int32
    private let lock = NSLock()
    private var feed: [String] = []
    private var accepting = false
    private var acked: [Int64] = []

    init() throws {
        let fd = socket(AF_INET, sockStream, 0)
        guard fd >= 0 else { throw StubError("socket() failed") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) }
        }
        var length = size
        let named = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0, listen(fd, 16) == 0 else {
            closeSocket(fd)
            throw StubError("cannot listen on loopback")
        }
        listener = fd
        url = URL(string: "http://127.0.0.1:\(UInt16(bigEndian: addr.sin_port))")!
        Thread.detachNewThread { [self] in self.serve() }
    }

    func setFeed(_ events: [String]) { lock.guarded { feed = events } }
    func acceptAcks(_ yes: Bool) { lock.guarded { accepting = yes } }
    var acks: [Int64] { lock.guarded { acked } }

    func stop() {
        _ = shutdown(listener, Int32(SHUT_RDWR))
        closeSocket(listener)
    }

    private func serve() {
        while true {
            let c = accept(listener, nil, nil)
            if c < 0 { return }
            answer(c)
            closeSocket(c)
        }
    }

    private func answer(_ c: Int32) {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var bodyStart: Int?
        var length = 0
        while bodyStart.map({ data.count < $0 + length }) ?? true {
            let n = read(c, &buffer, buffer.count)
            if n <= 0 { return }
            data += buffer[0..<n]
            if bodyStart == nil, let end = headerEnd(data) {
                bodyStart = end
                let head = String(decoding: data[0..<end], as: UTF8.self).lowercased()
                for line in head.components(separatedBy: "\r\n") where line.hasPrefix("content-length:") {
                    length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
        }
        let head = String(decoding: data[0..<(bodyStart ?? 0)], as: UTF8.self)
        let request = head.components(separatedBy: "\r\n").first?.components(separatedBy: " ") ?? []
        let (status, body) = route(request.first ?? "", request.count > 1 ? request[1] : "")
        let response = Array(("HTTP/1.1 \(status) \(status == 200 ? "OK" : "No")\r\n"
            + "content-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n"
            + "connection: close\r\n\r\n" + body).utf8)
        var sent = 0
        while sent < response.count {
            let n = response[sent...].withUnsafeBytes { send(c, $0.baseAddress, $0.count, sendFlags) }
            if n <= 0 { return }
            sent += n
        }
    }

    private func headerEnd(_ data: [UInt8]) -> Int? {
        guard data.count >= 4 else { return nil }
        for i in 0...(data.count - 4)
        where data[i] == 13 && data[i + 1] == 10 && data[i + 2] == 13 && data[i + 3] == 10 {
            return i + 4
        }
        return nil
    }

    private func route(_ method: String, _ target: String) -> (Int, String) {
        let path = target.components(separatedBy: "?").first ?? target
        let query = target.components(separatedBy: "?").dropFirst().first ?? ""
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        switch (method, path) {
        case ("POST", "/api/v1/auth/login"):
            return (200, "{\"token\":\"stand-in-token\",\"expires_at\":\(now + 30 * 86_400_000),"
                + "\"user\":{\"id\":\(Self.userId),\"phone\":\"\(Self.phone)\",\"name\":\"王大伯\","
                + "\"role\":\"farmer\"}}")
        case ("GET", "/api/v1/alarm-events"):
            let after = query.components(separatedBy: "&")
                .first { $0.hasPrefix("after=") }
                .flatMap { Int($0.dropFirst("after=".count)) } ?? 0
            let events = lock.guarded { Array(feed.dropFirst(after)) }
            return (200, "[" + events.joined(separator: ",") + "]")
        case ("POST", _) where path.hasPrefix("/api/v1/alarms/") && path.hasSuffix("/ack"):
            let id = Int64(path.dropFirst("/api/v1/alarms/".count).dropLast("/ack".count)) ?? 0
            let accepted = lock.guarded { () -> Bool in
                if accepting { acked.append(id) }
                return accepting
            }
            guard accepted else {
                return (503, "{\"code\":\"internal\",\"message\":\"stand-in: try later\"}")
            }
            return (200, "{\"id\":\(id),\"barn_id\":\(Self.barnId),\"curing_id\":null,\"rule\":\"A10\","
                + "\"rules_version\":1,\"severity\":\"critical\","
                + "\"title\":{\"zh\":\"循环风机停转\",\"en\":\"Circulation fan stopped\"},"
                + "\"action\":{\"zh\":\"立即检修\",\"en\":\"Repair now\"},\"raised_at\":\(now),"
                + "\"updated_at\":\(now),\"cleared_at\":null,\"acked_at\":\(now),\"acked_by\":\(Self.userId)}")
        default:
            return (404, "{\"code\":\"not_found\",\"message\":\"stand-in: \(method) \(path)\"}")
        }
    }
}

// MARK: - SHA-512 and SHA-256 (FIPS 180-4)

private let k512: [UInt64] = [
    0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
    0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
    0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
    0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
    0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
    0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
    0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
    0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
    0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
    0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
    0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
    0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
    0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
    0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
    0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
    0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
    0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
    0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
    0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
    0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
]
private let h512: [UInt64] = [
    0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
    0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
]
private let k256: [UInt32] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]
private let h256: [UInt32] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]

func sha512(_ message: [UInt8]) -> [UInt8] {
    func rotr(_ x: UInt64, _ n: UInt64) -> UInt64 { (x >> n) | (x << (64 - n)) }
    var h = h512
    var m = message
    let bits = UInt64(message.count) * 8
    m.append(0x80)
    while m.count % 128 != 112 { m.append(0) }
    m += [UInt8](repeating: 0, count: 8)
    for i in (0..<8).reversed() { m.append(UInt8(truncatingIfNeeded: bits >> (UInt64(i) * 8))) }
    var w = [UInt64](repeating: 0, count: 80)
    for chunk in stride(from: 0, to: m.count, by: 128) {
        for t in 0..<16 {
            var v: UInt64 = 0
            for k in 0..<8 { v = (v << 8) | UInt64(m[chunk + t * 8 + k]) }
            w[t] = v
        }
        for t in 16..<80 {
            let s0 = rotr(w[t - 15], 1) ^ rotr(w[t - 15], 8) ^ (w[t - 15] >> 7)
            let s1 = rotr(w[t - 2], 19) ^ rotr(w[t - 2], 61) ^ (w[t - 2] >> 6)
            w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
        }
        var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
        for t in 0..<80 {
            let s1 = rotr(e, 14) ^ rotr(e, 18) ^ rotr(e, 41)
            let ch = (e & f) ^ (~e & g)
            let t1 = hh &+ s1 &+ ch &+ k512[t] &+ w[t]
            let s0 = rotr(a, 28) ^ rotr(a, 34) ^ rotr(a, 39)
            let maj = (a & b) ^ (a & c) ^ (b & c)
            let t2 = s0 &+ maj
            (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
        }
        for (i, v) in [a, b, c, d, e, f, g, hh].enumerated() { h[i] = h[i] &+ v }
    }
    return h.flatMap { v in (0..<8).reversed().map { UInt8(truncatingIfNeeded: v >> (UInt64($0) * 8)) } }
}

func sha256(_ message: [UInt8]) -> [UInt8] {
    func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
    var h = h256
    var m = message
    let bits = UInt64(message.count) * 8
    m.append(0x80)
    while m.count % 64 != 56 { m.append(0) }
    for i in (0..<8).reversed() { m.append(UInt8(truncatingIfNeeded: bits >> (UInt64(i) * 8))) }
    var w = [UInt32](repeating: 0, count: 64)
    for chunk in stride(from: 0, to: m.count, by: 64) {
        for t in 0..<16 {
            var v: UInt32 = 0
            for k in 0..<4 { v = (v << 8) | UInt32(m[chunk + t * 4 + k]) }
            w[t] = v
        }
        for t in 16..<64 {
            let s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
            let s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
            w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
        }
        var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
        for t in 0..<64 {
            let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
            let ch = (e & f) ^ (~e & g)
            let t1 = hh &+ s1 &+ ch &+ k256[t] &+ w[t]
            let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
            let maj = (a & b) ^ (a & c) ^ (b & c)
            let t2 = s0 &+ maj
            (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
        }
        for (i, v) in [a, b, c, d, e, f, g, hh].enumerated() { h[i] = h[i] &+ v }
    }
    return h.flatMap { v in (0..<4).reversed().map { UInt8(truncatingIfNeeded: v >> (UInt32($0) * 8)) } }
}

// MARK: - Ed25519 signing (RFC 8032), after TweetNaCl: field elements as 16 limbs of 16 bits

private enum Ed25519 {
    typealias GF = [Int64]
    typealias Point = [GF]

    static let gf0: GF = [Int64](repeating: 0, count: 16)
    static let gf1: GF = [1] + [Int64](repeating: 0, count: 15)
    static let d2: GF = [0xf159, 0x26b2, 0x9b94, 0xebd6, 0xb156, 0x8283, 0x149a, 0x00e0,
                         0xd130, 0xeef3, 0x80f2, 0x198e, 0xfce7, 0x56df, 0xd9dc, 0x2406]
    static let baseX: GF = [0xd51a, 0x8f25, 0x2d60, 0xc956, 0xa7b2, 0x9525, 0xc760, 0x692c,
                            0xdc5c, 0xfdd6, 0xe231, 0xc0a4, 0x53fe, 0xcd6e, 0x36d3, 0x2169]
    static let baseY: GF = [0x6658] + [Int64](repeating: 0x6666, count: 15)
    /// The group order, little-endian.
    static let order: [Int64] = [0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
                                 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14]
        + [Int64](repeating: 0, count: 15) + [0x10]

    static func carry(_ a: GF) -> GF {
        var o = a
        for i in 0..<16 {
            o[i] += 1 << 16
            let c = o[i] >> 16
            if i < 15 { o[i + 1] += c - 1 } else { o[0] += 38 * (c - 1) }
            o[i] -= c << 16
        }
        return o
    }

    static func select(_ p: GF, _ q: GF, _ b: Int64) -> (GF, GF) {
        let c = ~(b - 1)
        var p = p
        var q = q
        for i in 0..<16 {
            let t = c & (p[i] ^ q[i])
            p[i] ^= t
            q[i] ^= t
        }
        return (p, q)
    }

    static func pack25519(_ n: GF) -> [UInt8] {
        var t = carry(carry(carry(n)))
        var m = gf0
        for _ in 0..<2 {
            m[0] = t[0] - 0xffed
            for i in 1..<15 {
                m[i] = t[i] - 0xffff - ((m[i - 1] >> 16) & 1)
                m[i - 1] &= 0xffff
            }
            m[15] = t[15] - 0x7fff - ((m[14] >> 16) & 1)
            let b = (m[15] >> 16) & 1
            m[14] &= 0xffff
            (t, m) = select(t, m, 1 - b)
        }
        var o = [UInt8](repeating: 0, count: 32)
        for i in 0..<16 {
            o[2 * i] = UInt8(t[i] & 0xff)
            o[2 * i + 1] = UInt8((t[i] >> 8) & 0xff)
        }
        return o
    }

    static func add(_ a: GF, _ b: GF) -> GF { (0..<16).map { a[$0] + b[$0] } }
    static func sub(_ a: GF, _ b: GF) -> GF { (0..<16).map { a[$0] - b[$0] } }

    static func mul(_ a: GF, _ b: GF) -> GF {
        var t = [Int64](repeating: 0, count: 31)
        for i in 0..<16 {
            for j in 0..<16 { t[i + j] += a[i] * b[j] }
        }
        for i in 0..<15 { t[i] += 38 * t[i + 16] }
        return carry(carry(Array(t[0..<16])))
    }

    static func invert(_ i: GF) -> GF {
        var c = i
        for a in stride(from: 253, through: 0, by: -1) {
            c = mul(c, c)
            if a != 2 && a != 4 { c = mul(c, i) }
        }
        return c
    }

    static func add(_ p: Point, _ q: Point) -> Point {
        let a = mul(sub(p[1], p[0]), sub(q[1], q[0]))
        let b = mul(add(p[0], p[1]), add(q[0], q[1]))
        let c = mul(mul(p[3], q[3]), d2)
        var d = mul(p[2], q[2])
        d = add(d, d)
        let e = sub(b, a), f = sub(d, c), g = add(d, c), h = add(b, a)
        return [mul(e, f), mul(h, g), mul(g, f), mul(e, h)]
    }

    static func swap(_ p: Point, _ q: Point, _ b: Int64) -> (Point, Point) {
        var p = p
        var q = q
        for i in 0..<4 { (p[i], q[i]) = select(p[i], q[i], b) }
        return (p, q)
    }

    static func scalarmult(_ base: Point, _ s: [UInt8]) -> Point {
        var p: Point = [gf0, gf1, gf1, gf0]
        var q = base
        for i in stride(from: 255, through: 0, by: -1) {
            let b = Int64((s[i / 8] >> UInt8(i & 7)) & 1)
            (p, q) = swap(p, q, b)
            q = add(q, p)
            p = add(p, p)
            (p, q) = swap(p, q, b)
        }
        return p
    }

    static func scalarbase(_ s: [UInt8]) -> Point {
        scalarmult([baseX, baseY, gf1, mul(baseX, baseY)], s)
    }

    static func pack(_ p: Point) -> [UInt8] {
        let zi = invert(p[2])
        var r = pack25519(mul(p[1], zi))
        r[31] ^= (pack25519(mul(p[0], zi))[0] & 1) << 7
        return r
    }

    /// `x` (64 limbs) modulo the group order, as 32 bytes.
    static func modOrder(_ input: [Int64]) -> [UInt8] {
        var x = input
        for i in stride(from: 63, through: 32, by: -1) {
            var c: Int64 = 0
            var j = i - 32
            while j < i - 12 {
                x[j] += c - 16 * x[i] * order[j - (i - 32)]
                c = (x[j] + 128) >> 8
                x[j] -= c << 8
                j += 1
            }
            x[j] += c
            x[i] = 0
        }
        var c: Int64 = 0
        for j in 0..<32 {
            x[j] += c - (x[31] >> 4) * order[j]
            c = x[j] >> 8
            x[j] &= 255
        }
        for j in 0..<32 { x[j] -= c * order[j] }
        var r = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 {
            x[i + 1] += x[i] >> 8
            r[i] = UInt8(x[i] & 255)
        }
        return r
    }

    static func reduce(_ r: [UInt8]) -> [UInt8] { modOrder(r.map { Int64($0) }) }

    static func sign(_ message: [UInt8], seed: [UInt8], publicKey: [UInt8]) -> [UInt8] {
        var d = sha512(seed)
        d[0] &= 248
        d[31] &= 127
        d[31] |= 64
        let r = reduce(sha512(Array(d[32..<64]) + message))
        let big = pack(scalarbase(r))
        let h = reduce(sha512(big + publicKey + message))
        var x = [Int64](repeating: 0, count: 64)
        for i in 0..<32 { x[i] = Int64(r[i]) }
        for i in 0..<32 {
            for j in 0..<32 { x[i + j] += Int64(h[i]) * Int64(d[j]) }
        }
        return big + modOrder(x)
    }
}
