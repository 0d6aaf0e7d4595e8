package cn.yannong

import cn.yannong.ffi.AlarmWatchEvent
import cn.yannong.ffi.BarnChartPoint
import cn.yannong.ffi.BarnWatchEvent
import cn.yannong.ffi.CureTimeline
import cn.yannong.ffi.CurvePoint
import cn.yannong.ffi.ExpectedCurve
import cn.yannong.ffi.LeafMaturity
import cn.yannong.ffi.LeafPosition
import cn.yannong.ffi.LeafVerdict
import cn.yannong.ffi.NotificationChannel
import cn.yannong.ffi.NotificationPlan
import cn.yannong.ffi.PushChannel
import cn.yannong.ffi.PushOutcome
import cn.yannong.ffi.SecureStore
import cn.yannong.ffi.WaterContent
import cn.yannong.ffi.YannongException
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.io.File
import java.nio.ByteBuffer
import java.time.Duration
import java.time.Instant
import javax.imageio.ImageIO
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

// The examples README.md shows under "Use from Kotlin", compiled by `cargo xtask test`. The
// lines between `// README:<name> begin` and `// README:<name> end` are the README's code
// blocks, in this order (tests/tests/readme_examples.rs fails when they differ). Each function
// takes what an app has at hand (context.filesDir, keys, a platform URL, camera buffers) as
// parameters and the app's views as plain lambdas, so nothing needs Android classes.
// ReadmeExamplesTest below runs the examples that need no push vendor.

/** Client, recipe, curve and the typed error. Returns the client; the caller closes it. */
internal suspend fun readmeClient(
    filesDir: File,
    json: String,
    chart: (List<CurvePoint>) -> Unit,
    show: (String, String?, UInt?) -> Unit,
): YannongClient {
    // README:kotlin-client begin
    val client = YannongClient.open(File(filesDir, "yannong"))       // context.filesDir; one per app
    val recipe = client.recipeForLeaf(LeafPosition.UPPER, LeafMaturity.UNDER_RIPE, WaterContent.HIGH)
    val curve = client.expectedCurve(CureTimeline.of(recipe.id, Instant.now()), Duration.ofMinutes(15))
    chart(curve.points)
    try {
        client.importRecipe(json)
    } catch (e: YannongException.InvalidInput) {
        show(e.userMessage, e.field, e.step)                          // e.g. "wet_bulb_c", 1u (zero-based)
    }
    // README:kotlin-client end
    return client
}

/** Lessons: install, download, search, render. Returns the library; the caller closes it. */
internal suspend fun readmeLessons(
    client: YannongClient,
    filesDir: File,
    lessonPackKey: String,
    platformUrl: String,
    progress: (Double) -> Unit,
    showHtml: (String) -> Unit,
): LessonLibrary {
    // README:kotlin-lessons begin
    val lessons = client.lessons(listOf(lessonPackKey))              // packs signed by other keys: Integrity
    lessons.installPack(File(filesDir, "yannong-default-v1.ynpack"))  // e.g. copied out of the APK's assets
    lessons.downloads(platformUrl).use { downloads ->                // updates fetch changed files only
        downloads.download("yannong-default").collect { state ->
            if (state is DownloadState.Progress) progress(state.progress.percent)
        }
    }
    val hit = lessons.search("烘烤变黄").first()                       // or pinyin: "hongkao", "hk"
    showHtml(lessons.lessonHtml(hit.packId, hit.lessonId))            // WebView.loadDataWithBaseURL
    // README:kotlin-lessons end
    return lessons
}

/** Alarms on the logged-in [monitor]: push hand-over, acknowledge, the platform's stream. */
internal suspend fun readmeAlarms(
    monitor: BarnMonitor,
    alarmKey: String,
    fcmToken: String,
    messageData: Map<String, String>,
    alarmId: Long,
    createChannel: (NotificationChannel) -> Unit,
    notify: (NotificationPlan) -> Unit,
    handle: (PushOutcome) -> Unit,
) {
    // README:kotlin-alarms begin
    val alarms = monitor.alarms(listOf(alarmKey))                     // events signed by other keys: Integrity
    AlarmCenter.notificationChannels().forEach(createChannel)        // at start-up, one per severity
    alarms.registerPush(PushChannel.FCM, fcmToken)
    // FirebaseMessagingService.onMessageReceived: messageData = message.data
    when (val o = alarms.onPush(PushPayloads.fromDataMap(messageData), PushChannel.FCM)) {
        is PushOutcome.New -> { notify(o.notification); if (o.gap) alarms.catchUp() }
        is PushOutcome.CatchUpNeeded -> alarms.catchUp()
        PushOutcome.Duplicate -> Unit                                 // another channel was faster
    }
    alarms.acknowledge(alarmId)                                       // offline: Queued, shown at once
    // Foreground service: the platform's own stream. WorkManager: catchUp(), flushAcks(), watchdog()
    alarms.events.collect { e -> if (e is AlarmWatchEvent.Received) handle(e.outcome) }
    // README:kotlin-alarms end
}

/** The leaf check: a CameraX frame, an old-API NV21 frame and a gallery JPEG. */
@Suppress("UNUSED_VARIABLE")
internal suspend fun readmeLeafCheck(
    client: YannongClient,
    filesDir: File,
    y: ByteBuffer, u: ByteBuffer, v: ByteBuffer, width: Int, height: Int,
    yRowStride: Int, uvRowStride: Int, uvPixelStride: Int, rotation: Int,
    nv21: ByteBuffer,
    jpeg: ByteArray,
    show: (String) -> Unit,
) {
    // README:kotlin-leaf begin
    val checker = LeafChecker.open(File(filesDir, "models/leaf"))    // the bundled model, copied from assets
    // CameraX ImageAnalysis: the ImageProxy's plane buffers and strides; the core copies them once
    val image = LeafImage.Yuv420(y, u, v, width, height, yRowStride, uvRowStride, uvPixelStride, rotation)
    val result = checker.capture(image).use { checker.check(it) }    // imageProxy.close() after capture
    when (result.verdict) {
        LeafVerdict.OK -> show("${result.maturity?.name?.text}: ${result.advice?.harvest?.text}")
        else -> result.hints.forEach { show(it.text) }               // RETAKE, NO_LEAF, NOT_SURE: what to do
    }
    val oldCamera = checker.check(LeafImage.Nv21(nv21, width, height, rotation))
    val gallery = checker.check(jpeg)                                 // whole picture, EXIF honoured
    client.leafHistory().save(gallery)                                // the offline history, with a thumbnail
    checker.close()                                                   // when the camera screen goes away
    // README:kotlin-leaf end
}

/** Barn monitoring: log in, list, curve against the recipe, live readings (runs until cancelled). */
internal suspend fun readmeBarns(
    client: YannongClient,
    platformUrl: String,
    secureStore: SecureStore,
    phone: String,
    password: String,
    drawCurve: (ExpectedCurve, List<BarnChartPoint>) -> Unit,
    show: (String) -> Unit,
) {
    // README:kotlin-barns begin
    val monitor = client.barns(platformUrl, secureStore)             // KeystoreSecureStore(context)
    monitor.login(phone, password)                                    // the token goes to the secure store
    monitor.sync()                                                    // screens read the local copy
    val barn = monitor.barns().first()
    monitor.curve(barn.id, points = 300)?.let { curve ->             // null: no cure in this barn
        drawCurve(curve.expected, curve.measured)                     // recipe band vs measured
        curve.excursions.forEach { show("${it.stepCode}: ${it.worstDryC} °C off the recipe") }
    }
    monitor.watch(barn.id).collect { e ->                            // live readings; reconnects, fills gaps
        if (e is BarnWatchEvent.Reading) show("${e.reading.dryBulbC} / ${e.reading.wetBulbC} °C")
    }
    // README:kotlin-barns end
}

/** Runs the README examples that need no push vendor against the real core and test platform. */
class ReadmeExamplesTest {

    @Test
    fun clientAndLeafExamplesRun() = coTest {
        val dir = tempDir()
        try {
            var points = 0
            var field: String? = null
            val bad = recipeJson("readme", WET_ABOVE_DRY_IN_STEP_2)
            readmeClient(dir, bad, { points = it.size }, { _, f, _ -> field = f }).use { client ->
                assertTrue("$points points", points > 100)
                assertEquals("wet_bulb_c", field)
                assertTrue(File(dir, "yannong").isDirectory)
                readmeLeafExample(client)
            }
        } finally {
            dir.deleteRecursively()
        }
    }

    /** Synthetic camera frames and a JPEG through the leaf example, with the shipped model. */
    private suspend fun readmeLeafExample(client: YannongClient) {
        val (w, h) = 96 to 64
        fun direct(size: Int, value: Int) =
            ByteBuffer.allocateDirect(size).apply { repeat(size) { put(value.toByte()) }; flip() }
        val img = BufferedImage(w, h, BufferedImage.TYPE_INT_RGB)
        for (x in 0 until w) for (yy in 0 until h) img.setRGB(x, yy, 0x9AA040)
        val jpeg = ByteArrayOutputStream().also { ImageIO.write(img, "jpg", it) }.toByteArray()
        val shown = mutableListOf<String>()
        readmeLeafCheck(
            client, repoRoot(),                             // its models/leaf is the shipped model
            direct(w * h, 120), direct(w * h / 4, 100), direct(w * h / 4, 140), w, h,
            w, w / 2, 1, 90,
            direct(w * h * 3 / 2, 120), jpeg,
        ) { shown += it }
        assertTrue("the camera frame's answer was shown", shown.isNotEmpty())
        assertEquals(1, client.leafHistory().list().size)
    }

    @Test
    fun lessonsAndBarnExamplesRunAgainstTheTestPlatform() = coTest {
        val dir = tempDir()
        val pack = File(property("yannong.testPack"))
        val key = property("yannong.testPackKey")
        val server = TestServer(
            dir, "--simulate", "2", "--speed", "3600", "--demo-password", PASSWORD,
            "--publish", pack.path, "--lesson-key", key,
        )
        server.start()
        try {
            val filesDir = File(dir, "files").apply { mkdirs() }
            pack.copyTo(File(filesDir, "yannong-default-v1.ynpack"))
            YannongClient.open(File(filesDir, "yannong")).use { client ->
                var html = ""
                var progressed = false
                readmeLessons(client, filesDir, key, server.url, { progressed = true }, { html = it }).use {
                    assertTrue(html, html.contains("<html", ignoreCase = true))
                }

                val reading = CompletableDeferred<String>()
                var drawn = 0
                val job = launch {
                    readmeBarns(
                        client, server.url, InMemorySecureStore(), TECHNICIAN, PASSWORD,
                        { expected, _ -> drawn = expected.nominal.size },
                    ) { if (" / " in it) reading.complete(it) }
                }
                val text = withTimeout(30_000) { reading.await() }
                job.cancel()
                assertTrue(text, text.endsWith("°C"))
                assertTrue("the expected curve was drawn", drawn > 0)
            }
        } finally {
            server.stop()
            dir.deleteRecursively()
        }
    }

    private companion object {
        const val PASSWORD = "kotlin-test-password"
        const val TECHNICIAN = "13900000001"

        fun property(name: String): String =
            System.getProperty(name)?.takeIf { it.isNotBlank() }
                ?: throw AssertionError("system property $name is not set; run through `cargo xtask test`")
    }
}
