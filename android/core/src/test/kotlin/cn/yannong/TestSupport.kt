package cn.yannong

import java.io.File
import java.nio.file.Files
import java.time.Duration
import java.time.Instant
import java.util.Locale
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout

/** A fixed cure start, so expected times are exact. */
internal val START: Instant = Instant.parse("2024-07-01T06:00:00Z")

internal fun hours(h: Long): Duration = Duration.ofHours(h)

/** Runs a coroutine test body; a hang fails after a minute instead of stalling CI. */
internal fun coTest(block: suspend CoroutineScope.() -> Unit): Unit = runBlocking {
    withTimeout(60_000) { block() }
}

internal fun tempDir(): File = Files.createTempDirectory("yannong-test").toFile()

/** The repository root: the working directory `cargo xtask test` runs in, or an ancestor. */
internal fun repoRoot(): File {
    var dir: File? = File("").absoluteFile
    while (dir != null) {
        if (File(dir, "models/leaf/manifest.json").isFile) return dir
        dir = dir.parentFile
    }
    throw AssertionError("models/leaf not found above ${File("").absolutePath}")
}

/** A client on a fresh database in a temporary directory, deleted afterwards. */
internal suspend fun <T> withClient(
    locale: Locale = Locale.ENGLISH,
    block: suspend (YannongClient) -> T,
): T {
    val dir = tempDir()
    try {
        return YannongClient.open(dir, locale).use { block(it) }
    } finally {
        dir.deleteRecursively()
    }
}

/** Like `assertThrows`, for code that suspends. Returns the exception for further checks. */
internal inline fun <reified T : Throwable> expectThrows(block: () -> Unit): T {
    try {
        block()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("expected ${T::class.java.name}, got $e", e)
    }
    throw AssertionError("expected ${T::class.java.name}, nothing was thrown")
}

/** One step of a recipe in the JSON exchange format (docs/recipe-format.md). */
internal data class StepSpec(
    val code: String,
    val stage: String,
    val dry: Double,
    val wet: Double,
    val ramp: Double,
    val holdMin: Double,
    val holdNominal: Double,
    val holdMax: Double,
)

internal fun recipeJson(id: String, steps: List<StepSpec>): String = buildString {
    append("""{"format": 1, "id": "$id", """)
    append(""""name": {"zh": "测试工艺 $id", "en": "Test cure $id"}, "position": "middle", """)
    append(""""steps": [""")
    steps.forEachIndexed { i, s ->
        if (i > 0) append(", ")
        append(
            """{"code": "${s.code}", "stage": "${s.stage}", "dry_bulb_c": ${s.dry}, """ +
                """"wet_bulb_c": ${s.wet}, "ramp_c_per_h": ${s.ramp}, "hold_min_h": ${s.holdMin}, """ +
                """"hold_nominal_h": ${s.holdNominal}, "hold_max_h": ${s.holdMax}, """ +
                """"ends_when": {"zh": "看烟叶", "en": "Look at the leaves"}}""",
        )
    }
    append("]}")
}

/**
 * A valid three-step cure. From 25 °C: 11 h ramp + 8 h hold, 18 h ramp + 8 h hold,
 * 20 h ramp + 12 h hold = 77 h nominal.
 */
internal val SHORT_STEPS = listOf(
    StepSpec("Y1", "yellowing", 36.0, 34.0, 1.0, 4.0, 8.0, 12.0),
    StepSpec("F1", "colour_fixing", 45.0, 37.0, 0.5, 4.0, 8.0, 12.0),
    StepSpec("D1", "stem_drying", 65.0, 41.0, 1.0, 8.0, 12.0, 16.0),
)
internal val SHORT_NOMINAL: Duration = hours(77)

/** [SHORT_STEPS] with the second step's wet bulb (46 °C) above its dry bulb (45 °C). */
internal val WET_ABOVE_DRY_IN_STEP_2 = SHORT_STEPS.mapIndexed { i, s ->
    if (i == 1) s.copy(wet = 46.0) else s
}

/**
 * A long but valid cure: 43 h of ramps + 460 h of nominal holds = 503 h, i.e. 1 810 802
 * points at one-second resolution (the core allows 2 000 000).
 */
internal val LONG_STEPS = listOf(
    StepSpec("Y1", "yellowing", 35.0, 33.0, 1.0, 80.0, 100.0, 120.0),
    StepSpec("Y2", "yellowing", 38.0, 35.0, 1.0, 80.0, 100.0, 120.0),
    StepSpec("F1", "colour_fixing", 45.0, 37.0, 1.0, 80.0, 100.0, 120.0),
    StepSpec("F2", "colour_fixing", 54.0, 38.0, 1.0, 40.0, 50.0, 60.0),
    StepSpec("D1", "stem_drying", 60.0, 40.0, 1.0, 40.0, 50.0, 60.0),
    StepSpec("D2", "stem_drying", 68.0, 42.0, 1.0, 50.0, 60.0, 70.0),
)
internal val LONG_NOMINAL: Duration = hours(503)

/**
 * A real `yannong-server` on loopback (the binary `cargo xtask test` passes as
 * `-Dyannong.serverBin`), its data in [dataDir], started with [args]; it can be stopped and
 * started again on the same port.
 */
internal class TestServer(private val dataDir: File, private vararg val args: String) {
    private var process: Process? = null

    /** `http://127.0.0.1:<port>`, once started. */
    lateinit var url: String
        private set

    fun start(listen: String = "127.0.0.1:0") {
        val bin = System.getProperty("yannong.serverBin")
            ?: throw AssertionError("run through `cargo xtask test` (needs -Dyannong.serverBin)")
        val p = ProcessBuilder(bin, "--listen", listen, "--data", dataDir.path, *args)
            .redirectError(ProcessBuilder.Redirect.DISCARD).start()
        // The first line of stdout is the address.
        val first = p.inputStream.bufferedReader().readLine()
            ?: throw AssertionError("yannong-server exited: ${p.waitFor()}")
        url = first.removePrefix("listening on ")
        process = p
    }

    fun stop() {
        process?.let {
            it.destroy()
            it.waitFor(10, TimeUnit.SECONDS)
        }
        process = null
    }
}
