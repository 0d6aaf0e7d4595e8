import Foundation
#if canImport(YannongFFI)
import YannongFFI
#endif

/// The app's entry point to the Yannong core: curing recipes, expected curves and deviations,
/// backed by one SQLite database in the app's data directory.
///
/// Open one client when the app starts and share it: the type is `Sendable`, holds no mutable
/// state and every call is `async`, running on the core's own threads, never on the caller's.
///
/// ```swift
/// let support = try FileManager.default.url(
///     for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
/// let client = try await YannongClient.open(dataDirectory: support.appendingPathComponent("yannong"))
/// let recipe = try await client.recipeForLeaf(position: .upper, maturity: .ripe, water: .normal)
/// let curve = try await client.expectedCurve(
///     timeline: CureTimeline(recipeId: recipe.id, start: .now), resolution: 15 * 60)
/// ```
///
/// ## Errors
/// Calls throw `YannongError`; see its `YannongError.message`, `YannongError.field` and
/// `YannongError.step` accessors.
///
/// ## Cancellation
/// Reads and computations (``recipes()``, ``recipe(id:)``, ``recipeForLeaf(position:maturity:water:)``,
/// ``exportRecipe(id:)``, ``expectedCurve(timeline:resolution:)``, ``deviations(timeline:readings:)``)
/// throw `CancellationError` as soon as the calling task is cancelled; the core finishes the
/// abandoned work in the background and drops it. Writes (``importRecipe(json:)``,
/// ``deleteRecipe(id:)``) and ``open(dataDirectory:locale:)`` always run to the end and report
/// what really happened.
public final class YannongClient: Sendable {
    private let core: Yannong

    /// The directory the database lives in.
    public let dataDirectory: URL

    /// The BCP-47 language tag the core writes its texts and messages in (e.g. `en-US`,
    /// `zh-Hans-CN`); anything that is not English reads Simplified Chinese.
    public let languageTag: String

    private init(core: Yannong, dataDirectory: URL, languageTag: String) {
        self.core = core
        self.dataDirectory = dataDirectory
        self.languageTag = languageTag
    }

    /// Opens (creating it if needed) the app's database in `dataDirectory` and migrates it to
    /// the current schema.
    ///
    /// - Parameters:
    ///   - dataDirectory: A file URL of a directory private to the app, e.g. a folder in
    ///     Application Support. It is created if missing.
    ///   - locale: The language for recipe names, step descriptions and error messages:
    ///     English if the locale's language is English, Simplified Chinese otherwise.
    /// - Throws: `YannongError.InvalidInput(detail:field:step:)` (field `data_dir`) for a URL
    ///   that is not a file URL; `YannongError.Storage(detail:diskFull:)` or
    ///   `YannongError.Integrity(detail:)` when the database cannot be opened or is damaged.
    public static func open(dataDirectory: URL, locale: Locale = .current) async throws
        -> YannongClient
    {
        let tag = bcp47Tag(of: locale)
        guard dataDirectory.isFileURL else {
            throw YannongError.InvalidInput(
                detail: isEnglish(tag)
                    ? "the data directory must be a file URL, not \(dataDirectory.absoluteString)"
                    : "数据目录必须是本地文件路径，而不是 \(dataDirectory.absoluteString)",
                field: "data_dir", step: nil)
        }
        let directory = dataDirectory.standardizedFileURL
        let core = try await Yannong.open(
            config: YannongConfig(dataDir: directory.path, locale: tag))
        return YannongClient(core: core, dataDirectory: directory, languageTag: tag)
    }

    /// Version of the Rust core, for "about" screens and bug reports.
    public static var coreVersion: String { ffiCoreVersion() }

    /// The database file, for support screens.
    public var databaseURL: URL { URL(fileURLWithPath: core.databasePath()) }

    /// Closes the database's files; the next call that needs the database opens them again.
    ///
    /// Call it when the app moves to the background if the database lives in an app group
    /// container shared with an extension: iOS ends a suspended app that still holds a lock
    /// on a file there (crash code `0xdead10cc`). Stop streams and background work first,
    /// since anything that still reads or writes opens the database again. Waits for reads and
    /// writes in progress and always runs to the end.
    ///
    /// - Throws: `YannongError.Storage(detail:diskFull:)` if SQLite cannot close it (the
    ///   database then stays open and usable).
    public func closeDatabase() async throws {
        try await core.closeDatabase()
    }

    // MARK: Recipes

    /// All recipes: the built-in ones (lower, middle and upper leaves, in that order), then the
    /// custom ones the user imported.
    public func recipes() async throws -> [Recipe] {
        let core = core
        return try await withPromptCancellation { try await core.listRecipes() }
    }

    /// The recipe with `id`. Built-in ids may carry adjustments, e.g. `upper+high-water`.
    ///
    /// - Throws: `YannongError.NotFound(detail:)` if there is no such recipe.
    public func recipe(id: String) async throws -> Recipe {
        let core = core
        return try await withPromptCancellation { try await core.getRecipe(id: id) }
    }

    /// The recommended recipe for a load of leaves: the built-in recipe for the leaf position,
    /// adjusted for maturity and water content. Its id names the adjustments, e.g.
    /// `upper+under-ripe+high-water`, and can be passed to ``recipe(id:)`` later.
    public func recipeForLeaf(
        position: LeafPosition,
        maturity: LeafMaturity = .ripe,
        water: WaterContent = .normal
    ) async throws -> Recipe {
        let core = core
        return try await withPromptCancellation {
            try await core.recipeForLeaf(position: position, maturity: maturity, water: water)
        }
    }

    /// Validates a recipe in the JSON exchange format and saves it as a custom recipe,
    /// replacing a custom recipe with the same id.
    ///
    /// - Returns: The saved recipe, with `RecipeSource.custom` as its source.
    /// - Throws: `YannongError.InvalidInput(detail:field:step:)` naming the first problem:
    ///   `YannongError.field` is the JSON field (e.g. `wet_bulb_c`) and `YannongError.step`
    ///   the zero-based step, if the problem is in a step. Built-in ids cannot be replaced
    ///   (field `id`).
    public func importRecipe(json: String) async throws -> Recipe {
        try await core.importRecipe(json: json)
    }

    /// Reads a recipe file (e.g. one received through the share sheet) and imports it like
    /// ``importRecipe(json:)``. The file is read on the calling task; recipe files are small
    /// (the core refuses anything over 256 KB).
    public func importRecipe(contentsOf url: URL) async throws -> Recipe {
        let data = try Data(contentsOf: url)
        guard let json = String(data: data, encoding: .utf8) else {
            throw YannongError.InvalidInput(
                detail: isEnglish(languageTag)
                    ? "the recipe file is not UTF-8 text" : "配方文件不是 UTF-8 文本",
                field: nil, step: nil)
        }
        return try await importRecipe(json: json)
    }

    /// The recipe in the JSON exchange format, to share with another technician. Built-in
    /// recipes can be exported too.
    ///
    /// - Throws: `YannongError.NotFound(detail:)` if there is no such recipe.
    public func exportRecipe(id: String) async throws -> String {
        let core = core
        return try await withPromptCancellation { try await core.exportRecipe(id: id) }
    }

    /// Deletes a custom recipe.
    ///
    /// - Throws: `YannongError.NotFound(detail:)` if there is no such custom recipe;
    ///   `YannongError.InvalidInput(detail:field:step:)` (field `id`) for a built-in one.
    public func deleteRecipe(id: String) async throws {
        try await core.deleteRecipe(id: id)
    }

    // MARK: Curves

    /// The expected set points of a cure, ready to chart.
    ///
    /// The nominal curve is sampled every `resolution` seconds from the start to the end, both
    /// included: `points[i]` is at `start + i × resolution`, and the last point is at the end
    /// even when the span is not a whole number of steps. The knots of the nominal, fastest and
    /// slowest curves and each step's time window come along for drawing bands.
    ///
    /// - Parameters:
    ///   - timeline: The recipe, the start and the step advances so far.
    ///   - resolution: Seconds between samples, at least 1. A phone chart rarely needs finer
    ///     than 10 minutes; a whole cure at 1 s is about half a million points.
    /// - Throws: `YannongError.InvalidInput(detail:field:step:)` with field `resolution` for
    ///   a resolution below one second (or not finite) or too fine for the cure's length,
    ///   `step_advances` for advances out of order, `ambient_c` for an implausible ambient
    ///   temperature; `YannongError.NotFound(detail:)` for an unknown recipe.
    public func expectedCurve(timeline: CureTimeline, resolution: TimeInterval = 600)
        async throws -> ExpectedCurve
    {
        // The generated code traps on a negative or non-finite duration; fail politely instead.
        guard resolution.isFinite, resolution >= 1 else {
            throw YannongError.InvalidInput(
                detail: isEnglish(languageTag)
                    ? "curve resolution must be at least one second" : "曲线采样间隔至少 1 秒",
                field: "resolution", step: nil)
        }
        let core = core
        return try await withPromptCancellation {
            try await core.expectedCurve(timeline: timeline, resolution: resolution)
        }
    }

    /// Compares a barn's readings with the cure's expected curve, per reading and per step.
    ///
    /// Readings before the start, after the end or with non-finite values are counted in
    /// `DeviationReport.skipped`; the others are in `DeviationReport.readings` in the order
    /// given. A reading is within tolerance at ±2 °C dry bulb and ±1.5 °C wet bulb.
    public func deviations(timeline: CureTimeline, readings: [Reading]) async throws
        -> DeviationReport
    {
        let core = core
        return try await withPromptCancellation {
            try await core.deviations(timeline: timeline, readings: readings)
        }
    }

    // MARK: Lessons

    /// The offline lesson library in the data directory, accepting packs signed by one of
    /// `trustedKeys` (Ed25519 public keys, 64 hex digits each). Finishes cleaning up after an
    /// install that was interrupted. Call it once and share the result (see ``LessonLibrary``).
    ///
    /// - Throws: `YannongError.InvalidInput(detail:field:step:)` with field `trusted_keys` for
    ///   a key that is not 64 hex digits of a valid public key.
    public func lessons(trustedKeys: [String]) async throws -> LessonLibrary {
        LessonLibrary(
            core: try await core.lessons(trustedKeys: trustedKeys), languageTag: languageTag)
    }

    /// The saved leaf checks in this client's database, browsable offline.
    public func leafHistory() -> LeafHistory { LeafHistory(core: core) }
}

extension YannongClient {
    // MARK: Barns

    /// Barn monitoring against the platform at `baseURL` (https; plain http only to this
    /// device), keeping the login token in `secureStore` (``KeychainSecureStore`` in apps).
    /// `extraRootsPEM` adds the platform's own CA certificates to the public roots.
    ///
    /// - Throws: `YannongError.InvalidInput(detail:field:step:)` with field `base_url` for an
    ///   address that is not https.
    public func barns(baseURL: URL, secureStore: SecureStore, extraRootsPEM: String? = nil)
        throws -> BarnMonitor
    {
        BarnMonitor(core: try core.barns(
            config: BarnPlatformConfig(baseUrl: baseURL.absoluteString, extraRootsPem: extraRootsPEM),
            secureStore: secureStore))
    }
}

extension CureTimeline {
    /// A cure of `recipeId` started at `start` that has not advanced any step yet.
    ///
    /// - Parameter ambientC: Outside temperature at the start in °C; the first ramp starts
    ///   from it. `nil` assumes 25 °C.
    public init(recipeId: String, start: Date, ambientC: Double? = nil) {
        self.init(recipeId: recipeId, start: start, ambientC: ambientC, stepAdvances: [])
    }
}

// MARK: - Helpers

/// Kept at file scope: inside `YannongClient`, `coreVersion` names the static property.
private func ffiCoreVersion() -> String {
    coreVersion()
}

/// The locale as a BCP-47 tag (`en-US`, `zh-Hans-CN`), which is what the core expects.
private func bcp47Tag(of locale: Locale) -> String {
    locale.identifier.replacingOccurrences(of: "_", with: "-")
}

/// Mirrors the core's rule: English if the tag starts with `en`, Chinese otherwise.
private func isEnglish(_ tag: String) -> Bool {
    tag.lowercased().hasPrefix("en")
}
