package cn.yannong

import cn.yannong.ffi.BarnPlatformConfig
import cn.yannong.ffi.CureTimeline
import cn.yannong.ffi.DeviationReport
import cn.yannong.ffi.ExpectedCurve
import cn.yannong.ffi.LeafMaturity
import cn.yannong.ffi.LeafPosition
import cn.yannong.ffi.Reading
import cn.yannong.ffi.Recipe
import cn.yannong.ffi.SecureStore
import cn.yannong.ffi.WaterContent
import cn.yannong.ffi.Yannong
import cn.yannong.ffi.YannongConfig
import cn.yannong.ffi.YannongException
import java.io.File
import java.time.Duration
import java.time.Instant
import java.util.Locale
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.withContext

/**
 * The app's entry point to the Yannong core: curing recipes, expected curves and deviations,
 * backed by one SQLite database in the app's data directory.
 *
 * Open one client when the app starts (e.g. in `Application.onCreate` from a coroutine) and
 * share it; it is thread-safe. Every call is a `suspend` function that runs on the core's own
 * threads and never blocks the caller, so it is safe to call from `Dispatchers.Main`.
 *
 * ```kotlin
 * val client = YannongClient.open(File(context.filesDir, "yannong"))
 * val recipe = client.recipeForLeaf(LeafPosition.UPPER, LeafMaturity.RIPE)
 * val curve = client.expectedCurve(CureTimeline.of(recipe.id, Instant.now()), Duration.ofMinutes(15))
 * ```
 *
 * The records and enums the client takes and returns ([Recipe], [ExpectedCurve],
 * [LeafPosition], ...) and the one exception type, [YannongException], are generated from the
 * Rust core into the package `cn.yannong.ffi`; import them from there.
 *
 * ## Errors
 * Calls throw [YannongException]: `InvalidInput` (with `field` and, for recipe steps, the
 * zero-based `step`), `NotFound`, `Storage` (with `diskFull`), `Integrity` or `Internal`.
 * Their `detail` is a message for the user in the client's language; see also
 * [userMessage], [isPermanent] and [isDiskFull].
 *
 * ## Cancellation
 * Reads and computations ([recipes], [recipe], [recipeForLeaf], [exportRecipe],
 * [expectedCurve], [deviations]) are cancellable: cancelling the calling coroutine resumes it
 * at once with a `CancellationException`, and the core stops long work (curve sampling) soon
 * after. Writes ([importRecipe], [deleteRecipe]) are not: they always run to the end, so when
 * the cancelled coroutine finishes, the write has been committed or has failed, never still
 * in flight.
 *
 * ## Closing
 * [close] releases the database once calls still running have finished; any later call
 * throws [IllegalStateException]. Use `use {}` for short-lived clients (tests, tools).
 */
class YannongClient private constructor(
    private val core: Yannong,
    /** The directory the database lives in (absolute). */
    val dataDir: File,
    /**
     * The BCP-47 tag the core writes its texts and messages in (e.g. `en-US`, `zh-CN`);
     * anything that is not English reads Simplified Chinese.
     */
    val languageTag: String,
) : AutoCloseable {

    companion object {
        /**
         * Opens (creating it if needed) the app's database in [dataDir] and migrates it to the
         * current schema. The directory is created if missing.
         *
         * @param dataDir a directory private to the app, e.g. `File(context.filesDir, "yannong")`.
         * @param locale the language of recipe names, step descriptions and error messages:
         *   English if the locale's language is English, Simplified Chinese otherwise.
         * @throws YannongException.Storage when the directory or database cannot be created
         *   or opened (`diskFull` when the device is out of space).
         * @throws YannongException.Integrity when the database is damaged.
         */
        suspend fun open(dataDir: File, locale: Locale = Locale.getDefault()): YannongClient {
            val dir = dataDir.absoluteFile
            val tag = locale.toLanguageTag()
            val core = Yannong.open(YannongConfig(dataDir = dir.path, locale = tag))
            return YannongClient(core, dir, tag)
        }

        /** Version of the Rust core, for "about" screens and bug reports. */
        val coreVersion: String
            get() = cn.yannong.ffi.coreVersion()
    }

    /** The database file, for support screens. */
    val databaseFile: File
        get() = File(core.databasePath())

    // Recipes

    /**
     * All recipes: the built-in ones (lower, middle and upper leaves, in that order), then the
     * custom ones the user imported.
     */
    suspend fun recipes(): List<Recipe> = core.listRecipes()

    /**
     * The recipe with [id]. Built-in ids may carry adjustments, e.g. `upper+high-water`.
     *
     * @throws YannongException.NotFound if there is no such recipe.
     */
    suspend fun recipe(id: String): Recipe = core.getRecipe(id)

    /**
     * The recommended recipe for a load of leaves: the built-in recipe for the leaf position,
     * adjusted for maturity and water content. Its id names the adjustments, e.g.
     * `upper+under-ripe+high-water`, and can be passed to [recipe] later.
     */
    suspend fun recipeForLeaf(
        position: LeafPosition,
        maturity: LeafMaturity = LeafMaturity.RIPE,
        water: WaterContent = WaterContent.NORMAL,
    ): Recipe = core.recipeForLeaf(position, maturity, water)

    /**
     * Validates a recipe in the JSON exchange format (docs/recipe-format.md) and saves it as a
     * custom recipe, replacing a custom recipe with the same id. Not cancellable (see the
     * class documentation).
     *
     * @return the saved recipe, with [cn.yannong.ffi.RecipeSource.CUSTOM] as its source.
     * @throws YannongException.InvalidInput naming the first problem: `field` is the JSON
     *   field (e.g. `wet_bulb_c`) and `step` the zero-based step index if the problem is in a
     *   step (the message counts steps from one). Built-in ids cannot be replaced (field `id`).
     */
    suspend fun importRecipe(json: String): Recipe =
        withContext(NonCancellable) { core.importRecipe(json) }

    /**
     * Reads a recipe file (e.g. one received from another technician) as UTF-8 and imports it
     * like [importRecipe]. The core refuses anything over 256 KB.
     */
    suspend fun importRecipe(file: File): Recipe = importRecipe(file.readText(Charsets.UTF_8))

    /**
     * The recipe in the JSON exchange format, to share with another technician. Built-in
     * recipes can be exported too.
     *
     * @throws YannongException.NotFound if there is no such recipe.
     */
    suspend fun exportRecipe(id: String): String = core.exportRecipe(id)

    /**
     * Deletes a custom recipe. Not cancellable (see the class documentation).
     *
     * @throws YannongException.NotFound if there is no such custom recipe.
     * @throws YannongException.InvalidInput (field `id`) for a built-in recipe.
     */
    suspend fun deleteRecipe(id: String) {
        withContext(NonCancellable) { core.deleteRecipe(id) }
    }

    // Curves

    /**
     * The expected set points of a cure, ready to chart.
     *
     * The nominal curve is sampled every [resolution] from the start to the end, both
     * included: `points[i]` is at `start + i × resolution`, and the last point is at the end
     * even when the span is not a whole number of steps. The knots of the nominal, fastest and
     * slowest curves and each step's time window come along for drawing bands.
     *
     * @param resolution time between samples, at least one second. A phone chart rarely needs
     *   finer than 10 minutes; a whole cure at one second is about half a million points.
     * @throws YannongException.InvalidInput with field `resolution` for a resolution below
     *   one second (negative included) or too fine for the cure's length, `step_advances` for
     *   advances out of order, `ambient_c` for an implausible ambient temperature.
     * @throws YannongException.NotFound for an unknown recipe.
     */
    suspend fun expectedCurve(
        timeline: CureTimeline,
        resolution: Duration = Duration.ofMinutes(10),
    ): ExpectedCurve {
        // A negative Duration cannot cross the FFI (IllegalArgumentException); zero is refused
        // by the core with the same InvalidInput, in the user's language, as any too-small one.
        val atLeastZero = if (resolution.isNegative) Duration.ZERO else resolution
        return core.expectedCurve(timeline, atLeastZero)
    }

    /**
     * Compares a barn's readings with the cure's expected curve, per reading and per step.
     *
     * Readings before the start, after the end or with non-finite values are counted in
     * [DeviationReport.skipped]; the others are in [DeviationReport.readings] in the order
     * given. A reading is within tolerance at ±2 °C dry bulb and ±1.5 °C wet bulb.
     *
     * @throws YannongException.NotFound for an unknown recipe.
     */
    suspend fun deviations(timeline: CureTimeline, readings: List<Reading>): DeviationReport =
        core.deviations(timeline, readings)

    // Lessons

    /**
     * The offline lesson library in the data directory, accepting packs signed by one of
     * [trustedKeys] (Ed25519 public keys, 64 hex digits each). Finishes cleaning up after an
     * install that was interrupted. Call it once and share the result (see [LessonLibrary]);
     * close it as well as the client.
     *
     * @throws YannongException.InvalidInput (field `trusted_keys`) for a key that is not
     *   64 hex digits of a valid public key.
     */
    suspend fun lessons(trustedKeys: List<String>): LessonLibrary =
        LessonLibrary(core.lessons(trustedKeys))

    // Leaf check

    /** The saved leaf checks in this client's database, browsable offline. */
    fun leafHistory(): LeafHistory = LeafHistory(core)

    // Barns

    /**
     * Barn monitoring against the platform at [baseUrl] (https; plain http only to this
     * device), keeping the login token in [secureStore] (Android Keystore-backed in apps).
     * [extraRootsPem] adds the platform's own CA certificates to the public roots.
     *
     * @throws YannongException.InvalidInput (field `base_url`) for an address that is not https.
     */
    fun barns(baseUrl: String, secureStore: SecureStore, extraRootsPem: String? = null): BarnMonitor =
        BarnMonitor(core.barns(BarnPlatformConfig(baseUrl, extraRootsPem), secureStore))

    /**
     * Releases the core's handle on the database. Calls already running finish normally; later
     * calls throw [IllegalStateException]. Closing twice is harmless.
     */
    override fun close() {
        core.close()
    }

    override fun toString(): String = "YannongClient(dataDir=$dataDir, languageTag=$languageTag)"
}

/**
 * A cure of [recipeId] started at [start], with the steps the operator has advanced so far.
 *
 * @param ambientC outside temperature at the start in °C; the first ramp starts from it.
 *   `null` assumes 25 °C.
 * @param stepAdvances `stepAdvances[i]` is when step `i` ended and step `i + 1` began.
 */
fun CureTimeline.Companion.of(
    recipeId: String,
    start: Instant,
    ambientC: Double? = null,
    stepAdvances: List<Instant> = emptyList(),
): CureTimeline = CureTimeline(recipeId, start, ambientC, stepAdvances)
