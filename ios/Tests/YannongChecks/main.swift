// Checks of the Swift API against the real Rust core. Plain top-level Swift (no XCTest, which a
// bare Linux toolchain may lack): each `test` is one check; the last line printed is
// "N passed, N failed" and the exit status is 1 if any check failed.
//
// Run on Linux by `cargo xtask test` (Swift in a trixie chroot), on a Mac with `swift run YannongChecks`.

import Foundation
#if canImport(Yannong)
import Yannong
#endif

// Line-buffered, so a check that stalls still shows how far the run got.
setvbuf(stdout, nil, _IOLBF, 0)

// MARK: - A tiny harness

@MainActor final class Tally {
    var passed = 0
    var failed = 0
}

let tally = Tally()  // top-level code: main-actor isolated

/// Collects the failed expectations of one check. Checks run one after another on the main actor.
@MainActor final class Check {
    private(set) var failures: [String] = []
    private(set) var notes: [String] = []

    /// Something worth seeing in the log even when the check passes.
    func note(_ text: String) {
        notes.append(text)
    }

    func expect(_ ok: Bool, _ what: @autoclosure () -> String, line: UInt = #line) {
        if !ok { failures.append("line \(line): \(what())") }
    }

    func equal<T: Equatable>(_ actual: T, _ expected: T, _ what: String, line: UInt = #line) {
        expect(actual == expected, "\(what): expected \(expected), got \(actual)", line: line)
    }

    func close(_ actual: Double, _ expected: Double, _ what: String, within: Double = 1e-6,
               line: UInt = #line) {
        expect(abs(actual - expected) <= within, "\(what): expected \(expected), got \(actual)",
               line: line)
    }

    func fail(_ what: String, line: UInt = #line) {
        failures.append("line \(line): \(what)")
    }

    /// Runs `body`, which must throw; returns the error.
    func error(_ what: String, line: UInt = #line, _ body: () async throws -> Void) async -> Error? {
        do {
            try await body()
            fail("\(what): expected an error, got none", line: line)
            return nil
        } catch {
            return error
        }
    }
}

@MainActor func test(_ name: String, _ body: (Check) async throws -> Void) async {
    let check = Check()
    let started = Date()
    do {
        try await body(check)
    } catch {
        check.fail("unexpected error: \(error)")
    }
    let ms = Int(Date().timeIntervalSince(started) * 1000)
    if check.failures.isEmpty {
        tally.passed += 1
        print("PASS \(name) (\(ms) ms)")
        for n in check.notes { print("     \(n)") }
    } else {
        tally.failed += 1
        print("FAIL \(name) (\(ms) ms)")
        for f in check.failures { print("     \(f)") }
    }
}

/// Seconds between two dates, rounded to whole milliseconds (the core's clock resolution).
func millis(_ from: Date, _ to: Date) -> Int64 {
    Int64(((to.timeIntervalSince1970 - from.timeIntervalSince1970) * 1000).rounded())
}

// MARK: - Fixtures

let root = FileManager.default.temporaryDirectory
    .appendingPathComponent("yannong-checks-\(UUID().uuidString)", isDirectory: true)
let english = Locale(identifier: "en_US")
/// A whole second, so times cross the FFI exactly.
let start = Date(timeIntervalSince1970: 1_750_000_000)

func recipeJSON(id: String, colourFixingWetBulb: Double = 37) -> String {
    """
    {
      "format": 1,
      "id": "\(id)",
      "name": { "zh": "检查用配方", "en": "Check recipe" },
      "position": "middle",
      "description": { "zh": "Swift 检查", "en": "Swift checks" },
      "steps": [
        { "code": "Y1", "stage": "yellowing", "dry_bulb_c": 36, "wet_bulb_c": 34,
          "ramp_c_per_h": 1, "hold_min_h": 10, "hold_nominal_h": 20, "hold_max_h": 30,
          "ends_when": { "zh": "八成黄", "en": "80 % yellow" } },
        { "code": "C1", "stage": "colour_fixing", "dry_bulb_c": 46,
          "wet_bulb_c": \(colourFixingWetBulb),
          "ramp_c_per_h": 1, "hold_min_h": 8, "hold_nominal_h": 12, "hold_max_h": 20,
          "ends_when": { "zh": "叶片全干", "en": "Leaf blades dry" } },
        { "code": "S1", "stage": "stem_drying", "dry_bulb_c": 68, "wet_bulb_c": 40,
          "ramp_c_per_h": 1, "hold_min_h": 10, "hold_nominal_h": 20, "hold_max_h": 30,
          "ends_when": { "zh": "主脉全干", "en": "Midribs dry" } }
      ]
    }
    """
}

// MARK: - Checks

var client = try await YannongClient.open(dataDirectory: root, locale: english)

await test("core version and FFI probes") { t in
    t.expect(!YannongClient.coreVersion.isEmpty, "core version is empty")
    t.equal(diagnosticsPing(n: 41), 42, "ping")
    t.equal(diagnosticsChecksum(data: Data([1, 2, 255])), 258, "checksum by copy")
    t.equal(diagnosticsChecksumDirect(data: Data([1, 2, 255])), 258, "checksum direct")
}

await test("open creates the database in the data directory") { t in
    t.equal(client.dataDirectory.path, root.standardizedFileURL.path, "data directory")
    t.equal(client.databaseURL.deletingLastPathComponent().standardizedFileURL.path,
            root.standardizedFileURL.path, "database folder")
    t.expect(FileManager.default.fileExists(atPath: client.databaseURL.path),
             "no database file at \(client.databaseURL.path)")
    t.equal(client.languageTag, "en-US", "language tag")
}

await test("closeDatabase lets go of the files; the next call opens them again") { t in
    let wal = client.databaseURL.path + "-wal"
    let before = try await client.recipes().map(\.id)
    t.expect(FileManager.default.fileExists(atPath: wal), "no WAL file while open")
    try await client.closeDatabase()
    // The last connection to close checkpoints the WAL and removes it.
    t.expect(!FileManager.default.fileExists(atPath: wal), "WAL file left after closing")
    t.equal(try await client.recipes().map(\.id), before, "recipes after reopening")
}

await test("open refuses a URL that is not a file URL") { t in
    let e = await t.error("open(https:)") {
        _ = try await YannongClient.open(dataDirectory: URL(string: "https://example.com/x")!)
    }
    t.equal((e as? YannongError)?.field, "data_dir", "field of \(String(describing: e))")
}

await test("three built-in recipes, middle starts at 35/33.5 °C") { t in
    let recipes = try await client.recipes()
    t.equal(recipes.map(\.id), ["lower", "middle", "upper"], "ids")
    t.expect(recipes.allSatisfy { $0.source == .builtIn }, "all built in")
    t.equal(recipes.map(\.position), [.lower, .middle, .upper], "positions")
    guard let middle = recipes.first(where: { $0.id == "middle" }) else { return t.fail("no middle") }
    let first = middle.steps[0]
    t.close(first.dryBulbC, 35, "middle step 1 dry bulb")
    t.close(first.wetBulbC, 33.5, "middle step 1 wet bulb")
    t.equal(first.stage, .yellowing, "middle step 1 stage")
    t.equal(middle.name.text, middle.name.en, "English client reads English names")
    t.expect(middle.nominalDuration > 24 * 3600, "nominal duration \(middle.nominalDuration) s")
    let again = try await client.recipe(id: "middle")
    t.equal(again, middle, "recipe(id:) equals the listed one")
}

await test("recipeForLeaf(.upper, .underRipe, .high)") { t in
    let r = try await client.recipeForLeaf(position: .upper, maturity: .underRipe, water: .high)
    t.equal(r.id, "upper+under-ripe+high-water", "id")
    t.equal(r.position, .upper, "position")
    t.equal(r.source, .builtIn, "source")
    let byId = try await client.recipe(id: r.id)
    t.equal(byId.steps, r.steps, "recipe(id:) of an adjusted id gives the same steps")
    let plain = try await client.recipeForLeaf(position: .middle)
    t.equal(plain.id, "middle", "defaults are ripe + normal water")
}

await test("expected curve at 1 h follows the core's sampling rule") { t in
    let middle = try await client.recipe(id: "middle")
    let curve = try await client.expectedCurve(
        timeline: CureTimeline(recipeId: "middle", start: start), resolution: 3600)
    t.equal(curve.recipeId, "middle", "recipe id")
    t.equal(curve.start, start, "start")
    guard let first = curve.points.first, let last = curve.points.last else {
        return t.fail("no points")
    }
    t.equal(first.time, start, "first point at the start")
    t.close(first.dryBulbC, 25, "first dry bulb = default ambient")
    t.close(first.wetBulbC, 25 - (35 - 33.5), "first wet bulb keeps step 1's depression")
    t.equal(first.step, 0, "first step")
    // core/src/curing/curve.rs `sample`: start, start + r, ... while < end, then end itself.
    let span = millis(curve.start, curve.end)
    let every: Int64 = 3_600_000
    let expected = Int(span / every + (span % every == 0 ? 1 : 2))
    t.equal(curve.points.count, expected, "point count for \(span) ms")
    t.equal(last.time, curve.end, "last point at the end")
    t.equal(last.step, UInt32(middle.steps.count - 1), "last point in the last step")
    for (i, p) in curve.points.dropLast().enumerated() where millis(start, p.time) != Int64(i) * every {
        t.fail("point \(i) at \(millis(start, p.time)) ms")
        break
    }
    t.close(Double(span) / 1000, middle.nominalDuration, "span = nominal duration", within: 0.002)
    t.equal(curve.steps.count, middle.steps.count, "one window per step")
    t.equal(curve.nominal.first?.time, start, "nominal starts at the start")
    t.expect(curve.fastest.last!.time <= curve.end && curve.end <= curve.slowest.last!.time,
             "fastest ≤ nominal ≤ slowest end")
}

await test("bad resolutions fail with InvalidInput(resolution), no crash") { t in
    let timeline = CureTimeline(recipeId: "middle", start: start)
    for r in [0.5, 0, -1, .nan, .infinity] {
        let e = await t.error("resolution \(r)") {
            _ = try await client.expectedCurve(timeline: timeline, resolution: r)
        }
        t.equal((e as? YannongError)?.field, "resolution", "field for \(r): \(String(describing: e))")
    }
}

await test("invalid recipe: wet bulb above dry bulb in step 2") { t in
    let e = await t.error("import") {
        _ = try await client.importRecipe(json: recipeJSON(id: "bad", colourFixingWetBulb: 48))
    }
    guard let error = e as? YannongError, case let .InvalidInput(detail, field, step) = error else {
        return t.fail("expected YannongError.InvalidInput, got \(String(describing: e))")
    }
    t.equal(field, "wet_bulb_c", "field")
    t.equal(step, 1, "step (zero-based)")
    t.equal(error.field, "wet_bulb_c", "field accessor")
    t.equal(error.step, 1, "step accessor")
    t.equal(error.message, detail, "message accessor")
    t.expect(detail.contains("step 2"), "English detail counts from one: \(detail)")
    t.expect(error.isPermanent, "invalid input is permanent")
    let ids = try await client.recipes().map(\.id)
    t.expect(!ids.contains("bad"), "invalid recipe was not saved")
}

await test("messages follow the client's language") { t in
    let zh = try await YannongClient.open(
        dataDirectory: root.appendingPathComponent("zh"), locale: Locale(identifier: "zh_Hans_CN"))
    let e = await t.error("import") {
        _ = try await zh.importRecipe(json: recipeJSON(id: "bad", colourFixingWetBulb: 48))
    }
    let message = (e as? YannongError)?.message ?? ""
    t.expect(message.contains("湿球"), "Chinese message: \(message)")
    let middle = try await zh.recipe(id: "middle")
    t.equal(middle.name.text, middle.name.zh, "Chinese client reads Chinese names")
}

await test("import, export and delete a custom recipe; NotFound") { t in
    let saved = try await client.importRecipe(json: recipeJSON(id: "swift-check"))
    t.equal(saved.id, "swift-check", "id")
    t.equal(saved.source, .custom, "source")
    t.equal(saved.steps.map(\.code), ["Y1", "C1", "S1"], "step codes")
    t.equal(try await client.recipes().map(\.id), ["lower", "middle", "upper", "swift-check"],
            "custom recipes come after the built-ins")
    let json = try await client.exportRecipe(id: "swift-check")
    t.expect(json.contains("\"swift-check\""), "export names the id")
    let again = try await client.importRecipe(json: json)
    t.equal(again, saved, "exported JSON imports to the same recipe")
    let builtIn = try await client.exportRecipe(id: "upper")
    t.expect(builtIn.contains("\"upper\""), "built-ins export too")

    try await client.deleteRecipe(id: "swift-check")
    t.equal(try await client.recipes().count, 3, "deleted")
    for (what, body) in [
        ("recipe(id:)", { _ = try await client.recipe(id: "swift-check") }),
        ("delete again", { try await client.deleteRecipe(id: "swift-check") }),
        ("export", { _ = try await client.exportRecipe(id: "nope") }),
    ] as [(String, () async throws -> Void)] {
        let e = await t.error(what, body)
        guard case .NotFound? = e as? YannongError else {
            t.fail("\(what): expected NotFound, got \(String(describing: e))")
            continue
        }
    }
    let e = await t.error("delete a built-in") { try await client.deleteRecipe(id: "middle") }
    t.equal((e as? YannongError)?.field, "id", "deleting a built-in names the id")
}

await test("core log lines arrive through the sink") { t in
    let stream = YannongLog.install(level: .info)
    let seen = Task { () -> LogRecord? in
        for await record in stream where record.message.contains("custom recipe saved") {
            return record
        }
        return nil
    }
    _ = try await client.importRecipe(json: recipeJSON(id: "swift-log"))
    let timeout = Task {
        try await Task.sleep(nanoseconds: 5_000_000_000)
        seen.cancel()
    }
    let record = await seen.value
    timeout.cancel()
    guard let record else { return t.fail("no \"custom recipe saved\" line within 5 s") }
    t.equal(record.level, .info, "level")
    t.expect(record.message.contains("id=swift-log"), "fields follow the message: \(record.message)")
    t.expect(record.target.hasPrefix("yannong_core"), "target \(record.target)")

    // Uninstalling finishes the stream.
    let next = YannongLog.install(level: .debug)
    let ended = Task { () -> Bool in
        for await _ in next {}
        return true
    }
    YannongLog.uninstall()
    let finished = Task {
        try await Task.sleep(nanoseconds: 2_000_000_000)
        ended.cancel()
    }
    t.expect(await ended.value, "stream ends after uninstall()")
    finished.cancel()
    try await client.deleteRecipe(id: "swift-log")
}

await test("cancelling a heavy curve returns at once; the client still answers") { t in
    let timeline = CureTimeline(recipeId: "middle", start: start)
    let heavy = Task { try await client.expectedCurve(timeline: timeline, resolution: 1) }
    try await Task.sleep(nanoseconds: 20_000_000)
    let cancelledAt = Date()
    heavy.cancel()
    let outcome = await heavy.result
    let waited = Date().timeIntervalSince(cancelledAt)
    switch outcome {
    case .success(let curve):
        // Allowed (the work may have finished before the cancel), but it must be whole.
        t.note("completed before the cancel took effect (\(curve.points.count) points)")
        t.equal(curve.points.last?.time, curve.end, "a completed curve is complete")
    case .failure(let error):
        t.expect(error is CancellationError || (error as? YannongError) == .Cancelled,
                 "cancelled with \(error)")
        t.expect(waited < 1, "returned \(waited) s after the cancel")
        t.note("threw \(type(of: error)) \(Int(waited * 1000)) ms after the cancel")
    }
    let recipes = try await client.recipes()
    t.expect(recipes.count >= 3, "client answers after a cancel")

    let preCancelled = Task {
        withUnsafeCurrentTask { $0?.cancel() }
        return try await client.recipes()
    }
    if case .success = await preCancelled.result { t.fail("a cancelled task still got recipes") }
}

await test("a whole cure at 1 s resolution") { t in
    let curve = try await client.expectedCurve(
        timeline: CureTimeline(recipeId: "middle", start: start), resolution: 1)
    let span = millis(curve.start, curve.end)
    t.equal(curve.points.count, Int(span / 1000 + (span % 1000 == 0 ? 1 : 2)), "point count")
}

await test("deviations per reading and per step") { t in
    let timeline = CureTimeline(recipeId: "middle", start: start)
    let curve = try await client.expectedCurve(timeline: timeline, resolution: 3600)
    let p0 = curve.points[0], p2 = curve.points[2]
    let readings = [
        Reading(time: p0.time, dryBulbC: p0.dryBulbC, wetBulbC: p0.wetBulbC),
        Reading(time: p2.time, dryBulbC: p2.dryBulbC + 5, wetBulbC: p2.wetBulbC),
        Reading(time: start.addingTimeInterval(-60), dryBulbC: 25, wetBulbC: 24),
        Reading(time: p2.time, dryBulbC: .nan, wetBulbC: 30),
    ]
    let report = try await client.deviations(timeline: timeline, readings: readings)
    t.equal(report.readings.count, 2, "kept readings")
    t.equal(report.skipped, 2, "before the start and NaN are skipped")
    guard report.readings.count == 2 else { return }
    let (ok, hot) = (report.readings[0], report.readings[1])
    t.expect(ok.withinTolerance, "on-curve reading is within tolerance")
    t.close(ok.dryBulbDeltaC, 0, "on-curve dry delta")
    t.close(hot.dryBulbDeltaC, 5, "hot reading dry delta")
    t.expect(!hot.withinTolerance, "5 °C too hot is outside tolerance")
    t.close(hot.expectedDryBulbC, p2.dryBulbC, "expected dry bulb")
    t.equal(report.steps.count, curve.steps.count, "one summary per step")
    let first = report.steps.first { $0.step == hot.step }
    t.equal(first?.readings, hot.step == ok.step ? 2 : 1, "readings in the hot reading's step")
    t.expect(report.steps.contains { $0.readings == 0 && $0.dryBulbMeanC == nil },
             "steps without readings have no means")
}

await test("custom recipes persist across reopen") { t in
    let saved = try await client.importRecipe(json: recipeJSON(id: "swift-keep"))
    client = try await YannongClient.open(dataDirectory: root, locale: english)
    let reopened = try await client.recipe(id: "swift-keep")
    t.equal(reopened, saved, "same recipe after reopening")
    t.equal(try await client.recipes().last?.id, "swift-keep", "listed after the built-ins")
}

await test("concurrent calls on one client") { t in
    let c = client
    let counts = try await withThrowingTaskGroup(of: Int.self) { group in
        for i in 0..<8 {
            group.addTask {
                i.isMultiple(of: 2)
                    ? try await c.recipes().count
                    : try await c.expectedCurve(
                        timeline: CureTimeline(recipeId: "lower", start: start), resolution: 600
                    ).steps.count
            }
        }
        var answers: [Int] = []
        for try await answer in group { answers.append(answer) }
        return answers
    }
    t.equal(counts.count, 8, "all calls answered")
    t.expect(counts.allSatisfy { $0 >= 3 }, "answers \(counts)")
}

// MARK: - Lessons

// The default pack (content/default), built and signed by `cargo xtask test`
// (xtask/src/testpack.rs), which passes its path and public key in these variables. Without
// them every lesson check fails: a missing pack must not look like a pass.
let testPackPath = ProcessInfo.processInfo.environment["YANNONG_TEST_PACK"] ?? ""
let testPackKey = ProcessInfo.processInfo.environment["YANNONG_TEST_PACK_KEY"] ?? ""
let packId = "yannong-default"
/// A valid Ed25519 public key that did not sign the test pack (RFC 8032, test 1).
let strangerKey = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
var lessonDirs = 0

/// The test pack, or `nil` after failing the check when the environment does not name one.
@MainActor func testPack(_ t: Check) -> URL? {
    guard !testPackPath.isEmpty, !testPackKey.isEmpty else {
        t.fail("YANNONG_TEST_PACK and YANNONG_TEST_PACK_KEY are not set; run with `cargo xtask test`")
        return nil
    }
    guard FileManager.default.fileExists(atPath: testPackPath) else {
        t.fail("test pack \(testPackPath) does not exist")
        return nil
    }
    return URL(fileURLWithPath: testPackPath)
}

/// Where the last occurrence of `needle` starts in `haystack`.
func lastIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard haystack.count >= needle.count else { return nil }
    for start in stride(from: haystack.count - needle.count, through: 0, by: -1)
    where haystack[start..<start + needle.count].elementsEqual(needle) {
        return start
    }
    return nil
}

/// A lesson library on a fresh Chinese client, trusting `keys` (the test pack's by default).
@MainActor func freshLibrary(keys: [String]? = nil) async throws -> LessonLibrary {
    lessonDirs += 1
    let zh = try await YannongClient.open(
        dataDirectory: root.appendingPathComponent("lessons-\(lessonDirs)"),
        locale: Locale(identifier: "zh_Hans_CN"))
    return try await zh.lessons(trustedKeys: keys ?? [testPackKey])
}

await test("lessons: install the default pack, 25 lessons, A09 links a 停电 lesson") { t in
    guard let pack = testPack(t) else { return }
    let library = try await freshLibrary()
    t.equal(try await library.installedPacks().count, 0, "nothing installed at first")
    let installed = try await library.installPack(at: pack)
    t.equal(installed.id, packId, "pack id")
    t.equal(installed.version, 1, "version")
    t.equal(installed.lessons, 25, "lessons in the pack")
    t.equal(installed.previousVersion, nil, "no previous version")
    t.equal(installed.title.text, "烟叶生产技术小课堂", "Chinese title")
    t.equal(try await library.installedPacks(), [installed], "installed packs")
    t.equal(try await library.installPack(at: pack), installed, "reinstalling changes nothing")

    let lessons = try await library.lessons()
    t.equal(lessons.count, 25, "lesson count")
    t.expect(lessons.allSatisfy { $0.packId == packId && $0.progress == nil }, "fresh lessons")
    t.equal(Set(lessons.map(\.lessonId)).count, 25, "distinct lesson ids")
    let powerCut = try await library.lessons(for: .alarm, key: "A09")
    t.expect(powerCut.contains { $0.title.zh.contains("停电") },
             "A09 lessons: \(powerCut.map(\.title.zh))")
    t.equal(try await library.lessons(for: .alarm, key: "A99").count, 0, "unknown alarm")
    t.expect(!(try await library.lessons(for: .disease, key: "brown_spot")).isEmpty, "brown spot")
    t.expect(!(try await library.lessons(for: .leafClass, key: "over_ripe")).isEmpty, "over ripe")
}

await test("lessons: pages have no scripts and embed SVG pictures") { t in
    guard let pack = testPack(t) else { return }
    let library = try await freshLibrary()
    _ = try await library.installPack(at: pack)
    let img = try NSRegularExpression(pattern: "<img[^>]*\\ssrc=\"([^\"]*)\"")
    var svgs = 0
    for lesson in try await library.lessons() {
        let html = try await library.lessonHTML(for: lesson)
        t.expect(html.hasPrefix("<!DOCTYPE html>"), "\(lesson.lessonId): not a whole page")
        t.expect(html.range(of: "<script", options: .caseInsensitive) == nil,
                 "\(lesson.lessonId) has a script")
        let sources = img.matches(in: html, range: NSRange(html.startIndex..., in: html))
            .compactMap { Range($0.range(at: 1), in: html).map { String(html[$0]) } }
        t.expect(sources.allSatisfy { $0.hasPrefix("data:image/") },
                 "\(lesson.lessonId): pictures not inline: \(sources.map { $0.prefix(40) })")
        svgs += sources.filter { $0.hasPrefix("data:image/svg+xml;base64,") }.count
    }
    t.expect(svgs >= 9, "\(svgs) embedded SVG pictures")
    let e = await t.error("unknown lesson") {
        _ = try await library.lessonHTML(packId: packId, lessonId: "no-such-lesson")
    }
    guard case .NotFound? = e as? YannongError else {
        return t.fail("expected NotFound, got \(String(describing: e))")
    }
}

await test("lessons: search in Chinese and pinyin") { t in
    guard let pack = testPack(t) else { return }
    let library = try await freshLibrary()
    _ = try await library.installPack(at: pack)
    let chinese = try await library.search("烘烤变黄", limit: 10)
    t.expect(chinese.contains { $0.title.contains("变黄") },
             "烘烤变黄 → \(chinese.map(\.title))")
    t.expect(chinese.allSatisfy { $0.packId == packId }, "hits are in the pack")
    t.expect(chinese.contains { $0.titleHtml.contains("<mark>") || $0.snippetHtml.contains("<mark>") },
             "matches are marked")
    let pinyin = try await library.search("hongkao", limit: 10)
    t.expect(!pinyin.isEmpty, "no hit for hongkao")
    t.expect(try await library.search("hongkao", limit: 1).count <= 1, "limit 1")
    t.equal(try await library.search("hongkao", limit: -1).count, 0, "negative limit")
}

await test("lessons: progress and continue reading") { t in
    guard let pack = testPack(t) else { return }
    let library = try await freshLibrary()
    _ = try await library.installPack(at: pack)
    t.equal(try await library.continueReading(), nil, "nothing to continue at first")
    let lessons = try await library.lessons()
    let (first, second) = (lessons[0], lessons[1])

    try await library.recordProgress(for: first, position: 0.5)
    let resumed = try await library.continueReading()
    t.equal(resumed?.lessonId, first.lessonId, "continue the first lesson")
    t.equal(resumed?.progress?.position, 0.5, "position")
    t.equal(resumed?.progress?.completed, false, "not completed")

    try await Task.sleep(nanoseconds: 5_000_000)  // progress times have millisecond resolution
    try await library.recordProgress(packId: second.packId, lessonId: second.lessonId, position: 7)
    let latest = try await library.continueReading()
    t.equal(latest?.lessonId, second.lessonId, "the most recent lesson")
    t.equal(latest?.progress?.position, 1, "position clamped to 1")

    try await library.recordProgress(for: second, position: 1, completed: true)
    t.equal(try await library.continueReading()?.lessonId, first.lessonId,
            "completed lessons are not offered")
    try await library.recordProgress(for: second, position: 0.2, completed: false)
    let listed = try await library.lessons().first { $0.lessonId == second.lessonId }
    t.equal(listed?.progress?.completed, true, "completion sticks")
    t.equal(listed?.progress?.position, 0.2, "position updated")
    let e = await t.error("unknown lesson") {
        try await library.recordProgress(packId: packId, lessonId: "no-such-lesson", position: 0.5)
    }
    guard case .NotFound? = e as? YannongError else {
        return t.fail("expected NotFound, got \(String(describing: e))")
    }
}

await test("lessons: a tampered pack is an Integrity error and installs nothing") { t in
    guard let pack = testPack(t) else { return }
    var bytes = [UInt8](try Data(contentsOf: pack))
    // The last "。" (E3 80 82) is in the last lesson's text; make it E3 80 81 ("、").
    guard let at = lastIndex(of: [0xE3, 0x80, 0x82], in: bytes) else {
        return t.fail("no 。 in the pack")
    }
    bytes[at + 2] = 0x81
    let tampered = root.appendingPathComponent("tampered.ynpack")
    try Data(bytes).write(to: tampered)

    let library = try await freshLibrary()
    let e = await t.error("install a tampered pack") { _ = try await library.installPack(at: tampered) }
    guard let error = e as? YannongError, case .Integrity = error else {
        return t.fail("expected Integrity, got \(String(describing: e))")
    }
    t.expect(error.isPermanent, "permanent")
    t.expect(!error.message.isEmpty, "has a message")
    t.equal(try await library.installedPacks().count, 0, "nothing installed")
    t.equal(try await library.lessons().count, 0, "no lessons")
    t.equal(try await library.search("变黄", limit: 10).count, 0, "nothing to find")
    t.equal(try await library.installPack(at: pack).id, packId, "the untouched pack installs")
}

await test("lessons: packs signed by an untrusted key are refused") { t in
    guard let pack = testPack(t) else { return }
    let library = try await freshLibrary(keys: [strangerKey])
    let refused = await t.error("install with a stranger's key") { _ = try await library.installPack(at: pack) }
    guard case .Integrity? = refused as? YannongError else {
        return t.fail("expected Integrity, got \(String(describing: refused))")
    }
    t.equal(try await library.installedPacks().count, 0, "nothing installed")
    for keys in [["not hex"], []] {
        let e = await t.error("keys \(keys)") { _ = try await freshLibrary(keys: keys) }
        t.equal((e as? YannongError)?.field, "trusted_keys", "field of \(String(describing: e))")
    }
}

await test("lessons: remove a pack, progress is kept; bad files") { t in
    guard let pack = testPack(t) else { return }
    let library = try await freshLibrary()
    _ = try await library.installPack(at: pack)
    let lesson = try await library.lessons()[3]
    try await library.recordProgress(for: lesson, position: 0.25)
    let noPrevious = await t.error("rollback without a previous version") {
        try await library.rollbackPack(id: packId)
    }
    guard case .NotFound? = noPrevious as? YannongError else {
        return t.fail("rollback: expected NotFound, got \(String(describing: noPrevious))")
    }

    try await library.removePack(id: packId)
    t.equal(try await library.installedPacks().count, 0, "nothing installed")
    t.equal(try await library.lessons().count, 0, "no lessons")
    t.equal(try await library.continueReading(), nil, "nothing to continue")
    for (what, body) in [
        ("remove again", { try await library.removePack(id: packId) }),
        ("page of a removed lesson", { _ = try await library.lessonHTML(for: lesson) }),
    ] as [(String, () async throws -> Void)] {
        let e = await t.error(what, body)
        guard case .NotFound? = e as? YannongError else {
            t.fail("\(what): expected NotFound, got \(String(describing: e))")
            continue
        }
    }
    _ = try await library.installPack(at: pack)
    let back = try await library.lessons().first { $0.lessonId == lesson.lessonId }
    t.equal(back?.progress?.position, 0.25, "progress survives a reinstall")

    let missing = await t.error("missing file") {
        _ = try await library.installPack(at: root.appendingPathComponent("nope.ynpack"))
    }
    guard case .InvalidInput(_, "path", _)? = missing as? YannongError else {
        return t.fail("missing file: expected InvalidInput(path), got \(String(describing: missing))")
    }
    let web = await t.error("web URL") {
        _ = try await library.installPack(at: URL(string: "https://example.com/p.ynpack")!)
    }
    t.equal((web as? YannongError)?.field, "path", "field of \(String(describing: web))")
}

// MARK: - Barns, offline

// The live platform is exercised from Kotlin (BarnMonitorTest.kt starts yannong-server); here
// the Swift wrapper's shape: typed errors and the offline local copy.
await test("barns: offline reads, typed errors, secure store") { t in
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    let monitor = try client.barns(baseURL: URL(string: "http://127.0.0.1:9")!,
                                   secureStore: InMemorySecureStore())
    let offline = await t.error("login with no platform") {
        _ = try await monitor.login(phone: "13900000001", password: "x")
    }
    guard case .Network? = offline as? YannongError else {
        return t.fail("expected Network, got \(String(describing: offline))")
    }
    let notLoggedIn = await t.error("sync before login") { try await monitor.sync() }
    guard case .Unauthorized? = notLoggedIn as? YannongError else {
        return t.fail("expected Unauthorized, got \(String(describing: notLoggedIn))")
    }
    t.equal(try await monitor.barns().count, 0, "no barns before a sync")
    t.expect(try await monitor.session() == nil, "no session")
    let http = await t.error("plain http to another host") {
        _ = try client.barns(baseURL: URL(string: "http://barns.example.cn")!,
                             secureStore: InMemorySecureStore())
    }
    t.equal((http as? YannongError)?.field, "base_url", "field of \(String(describing: http))")
    let store = InMemorySecureStore()
    try store.set(key: "k", value: "v")
    t.equal(try store.get(key: "k"), "v", "secure store keeps a value")
    try store.delete(key: "k")
    t.equal(try store.get(key: "k"), nil, "and forgets it")
}

await test("barns: screen data offline, before any sync") { t in
    let monitor = try client.barns(baseURL: URL(string: "http://127.0.0.1:9")!,
                                   secureStore: InMemorySecureStore())
    t.equal(try await monitor.overview(), [], "no barns in the overview")
    t.expect(try await monitor.curve(barnId: 1, points: 200) == nil, "no curve without a cure")
    t.expect(try await monitor.curve(barnId: 1, points: -5) == nil, "points are clamped")
    t.expect(try await monitor.analysis(barnId: 1, heatPumpInputKW: 20) == nil,
             "no analysis without a cure")
    t.equal(try await monitor.pictures(barnId: 1), [], "no pictures")
    t.equal(try await monitor.pictures(barnId: 1, limit: -1), [], "negative limit")
    let implausible = await t.error("analysis with a negative heat-pump input") {
        _ = try await monitor.analysis(barnId: 1, heatPumpInputKW: -1)
    }
    t.equal((implausible as? YannongError)?.field, "heat_pump_input_kw",
            "field of \(String(describing: implausible))")
    let unknown = await t.error("a picture not in the account") {
        _ = try await monitor.picture(imageId: 1)
    }
    guard case .NotFound? = unknown as? YannongError else {
        return t.fail("expected NotFound, got \(String(describing: unknown))")
    }
    // The shapes a screen reads, so a renamed field fails here and not first in Xcode.
    let describe: (BarnStatus) -> String = { s in
        "\(s.barn.name) \(s.urgency) \(s.reasons.map(\.text)) \(String(describing: s.silentFor))"
    }
    let caption: (BarnCurve) -> String = { c in
        "\(c.curing.recipeName.text) \(c.expected.nominal.count) "
            + "\(c.measured.last?.dryDeltaC ?? 0) \(c.excursions.count)"
    }
    let summary: (CureAnalysis) -> String = { a in
        "\(a.summary.zh) \(a.steps.map(\.code)) \(a.heatingKwh)"
    }
    let isJPEG: (BarnPicture) -> Bool = { p in
        p.jpeg.starts(with: [0xFF, 0xD8]) && Int(p.info.bytes) == p.jpeg.count
    }
    _ = (describe, caption, summary, isJPEG)
}

await test("lesson downloads: plain http off the device is refused, no platform fails the stream") { t in
    let library = try await freshLibrary()
    do {
        _ = try library.downloads(baseURL: URL(string: "http://lessons.example.cn")!)
        t.fail("plain http to another host was accepted")
    } catch YannongError.InvalidInput(_, let field, _) {
        t.equal(field, "base_url", "the address is what is wrong")
    }
    // Nothing listens on port 9 (discard) here: the catalogue cannot be fetched.
    let downloads = try library.downloads(baseURL: URL(string: "http://127.0.0.1:9")!)
    var states = 0
    do {
        for try await _ in downloads.download(packId: packId) { states += 1 }
        t.fail("the download finished without a platform")
    } catch YannongError.Network {
        t.expect(states <= 1, "at most the checking step before failing (\(states))")
    }
    t.equal(try await library.installedPacks().count, 0, "nothing installed")
    downloads.cancel(packId: packId)  // nothing running: harmless
}

// MARK: - Alarms (AlarmChecks.swift)

await alarmChecks()

await leafChecks()
try? FileManager.default.removeItem(at: root)
print("\(tally.passed) passed, \(tally.failed) failed")
exit(tally.failed == 0 && tally.passed > 0 ? 0 : 1)
