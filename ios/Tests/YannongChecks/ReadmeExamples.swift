// The examples README.md shows under "Use from Swift", compiled with the checks by
// `cargo xtask test`. The lines between `// README:<name> begin` and `// README:<name> end` are
// the README's code blocks, in this order (tests/tests/readme_examples.rs fails when they
// differ). Each function takes what an app has at hand (a folder, keys, a platform URL, locked
// camera planes) as parameters and the app's views as plain closures, so nothing needs UIKit,
// AVFoundation or the Keychain. They are compiled, not run: main.swift runs the same calls.

import Foundation
#if canImport(Yannong)
import Yannong
#endif

/// Client, recipe, curve and the typed error. Returns the client.
func readmeClient(
    appSupport: URL, json: String, chart: ([CurvePoint]) -> Void,
    show: (String, String?, Int?) -> Void
) async throws -> YannongClient {
    // README:swift-client begin
    let client = try await YannongClient.open(dataDirectory: appSupport.appendingPathComponent("yannong"))
    let recipe = try await client.recipeForLeaf(position: .upper, maturity: .underRipe, water: .high)
    let timeline = CureTimeline(recipeId: recipe.id, start: .now)
    let curve = try await client.expectedCurve(timeline: timeline, resolution: 15 * 60)
    chart(curve.points)
    do {
        _ = try await client.importRecipe(json: json)
    } catch let error as YannongError {
        show(error.message, error.field, error.step)                       // e.g. "wet_bulb_c", 1 (zero-based)
    }
    // README:swift-client end
    return client
}

/// Lessons: install, download, search, render.
func readmeLessons(
    client: YannongClient, lessonPackPublicKey: String, bundledPackURL: URL, platformURL: URL,
    progress: (Double) -> Void, showHTML: (String) -> Void
) async throws {
    // README:swift-lessons begin
    let lessons = try await client.lessons(trustedKeys: [lessonPackPublicKey])   // other signers: .Integrity
    _ = try await lessons.installPack(at: bundledPackURL)
    let downloads = try lessons.downloads(baseURL: platformURL)            // updates fetch changed files only
    for try await case .progress(let p) in downloads.download(packId: "yannong-default") {
        progress(p.percent)
    }
    if let hit = try await lessons.search("hongkao").first {               // pinyin, "hk" or 烘烤
        let html = try await lessons.lessonHTML(packId: hit.packId, lessonId: hit.lessonId)
        showHTML(html)                                                     // webView.loadHTMLString(html, baseURL: nil)
    }
    // README:swift-lessons end
}

/// Alarms on the logged-in `monitor`: push hand-over, acknowledge, the platform's stream.
func readmeAlarms(
    monitor: BarnMonitor, alarmPublicKey: String, deviceTokenHex: String,
    userInfo: [AnyHashable: Any], alarmId: Int64,
    show: (NotificationPlan) -> Void, handle: (PushOutcome) -> Void
) async throws {
    // README:swift-alarms begin
    let alarms = try monitor.alarms(trustedKeys: [alarmPublicKey])
    _ = try await alarms.registerPush(channel: .apns, token: deviceTokenHex)
    // Notification Service Extension, userInfo = request.content.userInfo:
    switch try await alarms.onPush(try PushPayloads.fromUserInfo(userInfo), channel: .apns) {
    case let .new(_, _, gap, plan):
        show(plan)                                          // title, body, sound, interruption level
        if gap { try await alarms.catchUp() }
    case .catchUpNeeded: try await alarms.catchUp()
    case .duplicate: break                                  // another channel was faster
    }
    try await alarms.acknowledge(alarmId: alarmId)          // offline: .queued, shown at once
    for await event in alarms.events() {                    // the platform's own stream while the app runs
        if case let .received(outcome) = event { handle(outcome) }
    }
    // README:swift-alarms end
}

/// The leaf check: a locked '420f' camera pixel buffer's planes, then a gallery photo.
func readmeLeafCheck(
    client: YannongClient, yPlane: UnsafeRawBufferPointer, uvPlane: UnsafeRawBufferPointer,
    width: Int, height: Int, yBytesPerRow: Int, uvBytesPerRow: Int, jpegData: Data,
    show: (String) -> Void
) async throws {
    // README:swift-leaf begin
    let model = Bundle.main.url(forResource: "leaf", withExtension: nil)   // the bundled model folder
    let checker = try await LeafChecker.open(modelDirectory: model)
    // captureOutput(_:didOutput:from:), the planes of a locked '420f' CVPixelBuffer, copied once:
    let frame = try LeafChecker.frame(y: yPlane, uv: uvPlane, width: width, height: height,
                                      yBytesPerRow: yBytesPerRow, uvBytesPerRow: uvBytesPerRow,
                                      fullRange: true, rotationDegrees: 90)
    let result = try await checker.check(frame)             // unlock the pixel buffer before this
    switch result.verdict {
    case .ok: show("\(result.maturity?.name.text ?? ""): \(result.advice?.harvest.text ?? "")")
    default: result.hints.forEach { show($0.text) }         // .retake, .noLeaf, .notSure: what to do
    }
    let gallery = try await checker.check(photo: jpegData)  // a photo: the whole picture, EXIF honoured
    try await client.leafHistory().save(gallery)            // the offline history, with a thumbnail
    // README:swift-leaf end
}

/// Barn monitoring: log in, list, curve against the recipe, live readings.
func readmeBarns(
    client: YannongClient, platformURL: URL, secureStore: SecureStore, phone: String,
    password: String, drawCurve: (ExpectedCurve, [BarnChartPoint]) -> Void,
    show: (String) -> Void
) async throws {
    // README:swift-barns begin
    let monitor = try client.barns(baseURL: platformURL, secureStore: secureStore)   // KeychainSecureStore()
    _ = try await monitor.login(phone: phone, password: password)      // the token goes to the secure store
    try await monitor.sync()                                           // screens read the local copy
    guard let barn = try await monitor.barns().first else { return }
    if let curve = try await monitor.curve(barnId: barn.id, points: 300) {   // nil: no cure in this barn
        drawCurve(curve.expected, curve.measured)                      // recipe band vs measured
        curve.excursions.forEach { show("\($0.stepCode): \($0.worstDryC) °C off the recipe") }
    }
    for await event in monitor.watch(barnId: barn.id) {                // live readings; reconnects, fills gaps
        if case let .reading(reading) = event { show("\(reading.dryBulbC) / \(reading.wetBulbC) °C") }
    }
    // README:swift-barns end
}
