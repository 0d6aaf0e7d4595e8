package cn.yannong

import cn.yannong.ffi.AckResult
import cn.yannong.ffi.AlarmEventKind
import cn.yannong.ffi.AlarmInfo
import cn.yannong.ffi.AlarmSeverity
import cn.yannong.ffi.AlarmWatchEvent
import cn.yannong.ffi.BarnPlatformConfig
import cn.yannong.ffi.Barns
import cn.yannong.ffi.InterruptionLevel
import cn.yannong.ffi.NotificationImportance
import cn.yannong.ffi.NotificationSound
import cn.yannong.ffi.NotifyAction
import cn.yannong.ffi.PlatformUser
import cn.yannong.ffi.PushChannel
import cn.yannong.ffi.PushOutcome
import cn.yannong.ffi.QuietHoursSetting
import cn.yannong.ffi.Yannong
import cn.yannong.ffi.YannongConfig
import cn.yannong.ffi.YannongException
import cn.yannong.ffi.notificationChannels
import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.security.KeyPairGenerator
import java.security.MessageDigest
import java.security.Signature
import java.time.Duration
import java.time.LocalTime
import java.util.Base64
import java.util.Locale
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withTimeoutOrNull
import org.junit.After
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test

/**
 * [AlarmCenter] and [PushPayloads] against the real core and a real `yannong-server` with
 * simulated barns on loopback (binary from `-Dyannong.serverBin`, as in BarnMonitorTest).
 *
 * Real signed events come from the platform itself: the farmer advances their running cure
 * one step without recording the leaf state (`POST /api/v1/curings/{id}/advance`, what the
 * app's "next step" button sends), which the platform's event rule A15 ("阶段转换未记录烟叶
 * 状态", severity info) turns into an alarm and signed events in the farmer's feed. The
 * simulated barns raise nothing else by themselves, the server binary has no fault injection,
 * and simulated barns have no controller token, so a *critical* alarm cannot be raised from
 * outside the platform process. The critical-notification check therefore signs its event
 * with a test key that its inbox trusts besides the platform's.
 */
class AlarmCenterTest {
    private lateinit var dataDir: File
    private lateinit var server: TestServer
    private val url: String get() = server.url
    private val http: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()

    @Before
    fun setUp() {
        dataDir = tempDir()
        server = TestServer(dataDir, "--simulate", "3", "--speed", "3600", "--demo-password", PASSWORD)
        server.start()
    }

    @After
    fun tearDown() {
        server.stop()
        dataDir.deleteRecursively()
    }

    // ---- the phone: the real core, logged in through it -------------------------------------

    /** The phone's side of a test: its alarm center, logged-in user and platform connection. */
    private class Phone(val alarms: AlarmCenter, val user: PlatformUser?, val barns: Barns)

    /**
     * A fresh phone database, [phone] logged in (unless `null`), and an [AlarmCenter] trusting
     * [keys] (the platform's key by default).
     */
    private suspend fun <T> withPhone(
        phone: String? = FARMER,
        keys: List<String>? = null,
        block: suspend (Phone) -> T,
    ): T {
        val dir = tempDir()
        try {
            return Yannong.open(YannongConfig(dir.path, "zh-CN")).use { core ->
                core.barns(BarnPlatformConfig(url, null), InMemorySecureStore()).use { barns ->
                    val user = phone?.let { barns.login(it, PASSWORD) }
                    AlarmCenter(barns, keys ?: listOf(platformKey().hex)).use { alarms ->
                        block(Phone(alarms, user, barns))
                    }
                }
            }
        } finally {
            dir.deleteRecursively()
        }
    }

    // ---- the platform over HTTP, as the farmer ----------------------------------------------

    private data class Reply(val status: Int, val body: String) {
        fun json(): Any? {
            if (status !in 200..299) throw AssertionError("HTTP $status: $body")
            return Json.parse(body)
        }
    }

    private suspend fun call(method: String, path: String, token: String?, body: String? = null): Reply =
        withContext(Dispatchers.IO) {
            val request = HttpRequest.newBuilder(URI.create(url + path))
                .timeout(Duration.ofSeconds(10))
                .header("content-type", "application/json")
                .apply { if (token != null) header("authorization", "Bearer $token") }
                .method(
                    method,
                    body?.let { HttpRequest.BodyPublishers.ofString(it) }
                        ?: HttpRequest.BodyPublishers.noBody(),
                )
                .build()
            val response = http.send(request, HttpResponse.BodyHandlers.ofString())
            Reply(response.statusCode(), response.body())
        }

    private suspend fun get(path: String, token: String?): Any? = call("GET", path, token).json()

    /** The farmer's own bearer token (a second session beside the phone's). */
    private suspend fun token(phone: String = FARMER): String {
        val body = """{"phone": "$phone", "password": "$PASSWORD"}"""
        return call("POST", "/api/v1/auth/login", null, body).json().obj()["token"] as String
    }

    private data class PlatformKey(val hex: String, val keyId: String)

    private suspend fun platformKey(): PlatformKey {
        val key = (get("/api/v1/alarm-keys", null) as List<*>).single().obj()
        return PlatformKey(key["ed25519"] as String, key["key_id"] as String)
    }

    /** One event of the signed feed: its wire JSON (what push channels carry) and content. */
    private data class FeedEvent(
        val signedJson: String,
        val seq: Long,
        val kind: String,
        val alarmId: Long,
        val rule: String,
        val payload: String,
    )

    private suspend fun feed(token: String): List<FeedEvent> =
        (get("/api/v1/alarm-events?after=0", token) as List<*>).map { e ->
            val signed = e.obj()
            val payload = String(Base64.getDecoder().decode(signed["payload"] as String), Charsets.UTF_8)
            val event = Json.parse(payload).obj()
            val alarm = event["alarm"].obj()
            FeedEvent(
                // The three fields are hex and base64: no escaping needed.
                signedJson = """{"key_id":"${signed["key_id"]}","payload":"${signed["payload"]}",""" +
                    """"ed25519":"${signed["ed25519"]}"}""",
                seq = event["seq"] as Long,
                kind = event["kind"] as String,
                alarmId = alarm["id"] as Long,
                rule = alarm["rule"] as String,
                payload = payload,
            )
        }

    /** The platform's list of every alarm the farmer may see, open or not. */
    private suspend fun platformAlarms(token: String): List<Map<String, Any?>> =
        (get("/api/v1/alarms?open=false", token) as List<*>).map { it.obj() }

    /**
     * Advances the farmer's running cure one step without a leaf state; returns the id of the
     * A15 alarm the platform raised for it. Retries when the simulated controller advanced the
     * same step at the same moment (409, or the step already recorded with its leaf state).
     */
    private suspend fun raiseStepAlarm(token: String): Long {
        val before = platformAlarms(token).filter { it["rule"] == "A15" }.map { it["id"] as Long }.toSet()
        val barnId = (get("/api/v1/barns", token) as List<*>).single().obj()["id"] as Long
        repeat(5) {
            val curing = (get("/api/v1/barns/$barnId/curings", token) as List<*>)
                .map { it.obj() }
                .single { it["finished_at"] == null }
            val step = curing["current_step"] as Long
            val steps = (curing["recipe"].obj()["steps"] as List<*>).size
            assertTrue("cure $curing too far on to advance", step + 2 < steps)
            val reply = call(
                "POST", "/api/v1/curings/${curing["id"]}/advance", token,
                """{"from_step": $step, "leaf_state": null}""",
            )
            val advanced = reply.status == 200 && (reply.json().obj()["advances"] as List<*>)
                .map { it.obj() }
                .any { it["step"] == step && it["leaf_state"] == null }
            if (advanced) {
                return eventually("an A15 alarm on the platform") {
                    platformAlarms(token).firstOrNull { it["rule"] == "A15" && it["id"] !in before }
                        ?.let { it["id"] as Long }
                }
            }
            delay(100)
        }
        throw AssertionError("could not advance the cure of barn $barnId")
    }

    /** Polls [attempt] until it returns non-null; fails after [timeoutMs] naming [what]. */
    private suspend fun <T : Any> eventually(
        what: String,
        timeoutMs: Long = 20_000,
        attempt: suspend () -> T?,
    ): T = withTimeoutOrNull(timeoutMs) {
        var value = attempt()
        while (value == null) {
            delay(200)
            value = attempt()
        }
        value
    } ?: throw AssertionError("no $what after $timeoutMs ms")

    private fun mipushContent(signedJson: String): String =
        StringBuilder("{\"yn\":").also { PushPayloads.appendJsonString(it, signedJson) }.append('}').toString()

    // ---- the tests ---------------------------------------------------------------------------

    @Test
    fun forgedAndUnreadablePayloadsAreTypedErrorsAndStoreNothing() = coTest {
        val platform = platformKey()
        withPhone { phone ->
            val user = checkNotNull(phone.user)
            val barnId = phone.barns.let { it.sync(); it.barns().single().id }
            val event = alarmEventJson(user.id, seq = 1, alarmId = 77, barnId = barnId, severity = "critical")
            val stranger = TestSigner()

            // Valid JSON in every vendor shape, signed by a stranger claiming the platform's key.
            val forged = stranger.sign(event, claimedKeyId = platform.keyId)
            val e = expectThrows<YannongException.Integrity> {
                phone.alarms.onPush(mapOf("yn" to forged), PushChannel.FCM)
            }
            assertTrue(e.isPermanent)
            assertTrue(e.userMessage.isNotBlank())
            expectThrows<YannongException.Integrity> {
                phone.alarms.onPush(mipushContent(forged), PushChannel.MI_PUSH)
            }
            expectThrows<YannongException.Integrity> {
                phone.alarms.onPush(PushPayloads.fromString(forged), PushChannel.STREAM)
            }
            // Signed honestly by a key the app does not ship.
            expectThrows<YannongException.Integrity> {
                phone.alarms.onPush(mapOf("yn" to stranger.sign(event)), PushChannel.VIVO)
            }

            for ((bytes, channel) in listOf(
                byteArrayOf(0x00, 0x13, 0x37, 0xFF.toByte()) to PushChannel.FCM,
                PushPayloads.fromString("烤房报警") to PushChannel.HMS,
                PushPayloads.fromDataMap(mapOf("title" to "no event here")) to PushChannel.OPPO,
                PushPayloads.fromDataMap(mapOf("yn" to "{\"key_id\": 1}")) to PushChannel.FCM,
            )) {
                val bad = expectThrows<YannongException.InvalidInput> { phone.alarms.onPush(bytes, channel) }
                assertEquals("payload", bad.field)
            }
            assertEquals(emptyList<AlarmInfo>(), phone.alarms.alarms())
        }
        withPhone(phone = null) { phone ->
            expectThrows<YannongException.Unauthorized> {
                phone.alarms.onPush(mapOf("yn" to "{}"), PushChannel.FCM)
            }
            assertEquals(emptyList<AlarmInfo>(), phone.alarms.alarms())
        }
    }

    @Test
    fun oneEventThroughFcmAndMiPushIsNewThenDuplicate() = coTest {
        val token = token()
        val alarmId = raiseStepAlarm(token)
        val event = eventually("the A15 event in the feed") {
            feed(token).firstOrNull { it.alarmId == alarmId && it.kind == "raised" }
        }
        withPhone { phone ->
            val fcm = PushPayloads.fromDataMap(mapOf("yn" to event.signedJson))
            val first = phone.alarms.onPush(fcm, PushChannel.FCM)
            assertTrue("got $first", first is PushOutcome.New)
            first as PushOutcome.New
            assertEquals(AlarmEventKind.RAISED, first.kind)
            assertEquals(alarmId, first.alarm.id)
            assertEquals("A15", first.alarm.rule)
            assertEquals(AlarmSeverity.INFO, first.alarm.severity)
            val plan = first.notification
            assertEquals("alarm-$alarmId", plan.tag)
            assertEquals(alarmId, plan.alarmId)
            assertEquals("barn-${first.alarm.barnId}", plan.groupKey)
            assertEquals(NotifyAction.SHOW, plan.action)
            assertEquals("alarm_info", plan.channelId)
            assertFalse("info alarms never sound", plan.alert)
            assertTrue(
                "a channel the app created",
                AlarmCenter.notificationChannels().any { it.id == plan.channelId },
            )
            assertTrue("Chinese title: ${plan.title}", plan.title.startsWith("【提示】"))

            // The same event again, as Xiaomi delivers it: counted once.
            val second = phone.alarms.onPush(mipushContent(event.signedJson), PushChannel.MI_PUSH)
            assertEquals(PushOutcome.Duplicate, second)
            // And as the platform's stream line: still once.
            assertEquals(PushOutcome.Duplicate, phone.alarms.onPush(event.signedJson, PushChannel.STREAM))
            assertEquals(listOf(alarmId), phone.alarms.alarms().map { it.id })

            // The same bytes with the alarm changed under the platform's signature: refused.
            val tampered = event.signedJson.replace(
                Base64.getEncoder().encodeToString(event.payload.toByteArray()),
                Base64.getEncoder().encodeToString(event.payload.replace("\"info\"", "\"critical\"").toByteArray()),
            )
            assertFalse(tampered == event.signedJson)
            expectThrows<YannongException.Integrity> {
                phone.alarms.onPush(mapOf("yn" to tampered), PushChannel.FCM)
            }
        }
    }

    @Test
    fun aCriticalAlarmSoundsThroughQuietHoursOnItsChannel() = coTest {
        val signer = TestSigner()
        withPhone(keys = listOf(platformKey().hex, signer.publicHex)) { phone ->
            val user = checkNotNull(phone.user)
            val barnId = phone.barns.let { it.sync(); it.barns().single().id }
            // Quiet hours around now: only a critical alarm may sound.
            val now = LocalTime.now()
            phone.alarms.setQuietHours(now.minusHours(2), now.plusHours(2))
            assertNotNull(phone.alarms.quietHours())

            val signed = signer.sign(
                alarmEventJson(user.id, seq = 5, alarmId = 9_000_001, barnId = barnId, severity = "critical"),
            )
            val outcome = phone.alarms.onPush(mapOf("yn" to signed), PushChannel.FCM)
            assertTrue("got $outcome", outcome is PushOutcome.New)
            outcome as PushOutcome.New
            assertTrue("events 1–4 are missing", outcome.gap)
            val plan = outcome.notification
            assertEquals("alarm_critical", plan.channelId)
            assertEquals("alarm-9000001", plan.tag)
            assertTrue(plan.alert)
            assertTrue(plan.breaksQuietHours)
            assertTrue(plan.acknowledgeAction)
            assertEquals(NotificationImportance.MAX, plan.importance)
            assertEquals(NotificationSound.ALARM, plan.sound)
            assertEquals(InterruptionLevel.CRITICAL, plan.interruption)
            assertTrue(plan.vibrationMs.isNotEmpty())
            assertEquals(
                PushOutcome.Duplicate,
                phone.alarms.onPush(mipushContent(signed), PushChannel.MI_PUSH),
            )

            // The same alarm as major, inside quiet hours: shown without sound.
            val major = signer.sign(
                alarmEventJson(user.id, seq = 6, alarmId = 9_000_002, barnId = barnId, severity = "major"),
            )
            val quiet = phone.alarms.onPush(mipushContent(major), PushChannel.MI_PUSH) as PushOutcome.New
            assertEquals("alarm_major", quiet.notification.channelId)
            assertFalse(quiet.notification.alert)
            assertEquals(NotificationSound.NONE, quiet.notification.sound)

            // Signed by a trusted key, but for someone else: refused.
            val foreign = signer.sign(
                alarmEventJson(user.id + 1000, seq = 7, alarmId = 9_000_003, barnId = barnId, severity = "critical"),
            )
            expectThrows<YannongException.Integrity> { phone.alarms.onPush(mapOf("yn" to foreign), PushChannel.FCM) }
            assertEquals(listOf(9_000_002L, 9_000_001L).sorted(), phone.alarms.alarms().map { it.id }.sorted())

            phone.alarms.setQuietHours(null)
            assertNull(phone.alarms.quietHours())
            expectThrows<YannongException.InvalidInput> {
                phone.alarms.setQuietHours(QuietHoursSetting(0u, 2000u))
            }
        }
    }

    @Test
    fun aGapIsNoticedAndCatchUpMakesTheInboxThePlatformsList() = coTest {
        val token = token()
        raiseStepAlarm(token)
        raiseStepAlarm(token)
        val events = eventually("two events in the feed") { feed(token).takeIf { it.size >= 2 } }
        val second = events.single { it.seq == 2L }
        withPhone { phone ->
            val outcome = phone.alarms.onPush(mapOf("yn" to second.signedJson), PushChannel.FCM)
            assertTrue("got $outcome", outcome is PushOutcome.New)
            assertTrue("event 1 is missing", (outcome as PushOutcome.New).gap)

            val fetched = phone.alarms.catchUp()
            assertTrue("catch-up brought $fetched", fetched >= 1)
            assertEquals(
                "event 1 arrived: nothing left to fetch at once",
                PushOutcome.Duplicate,
                phone.alarms.onPush(mapOf("yn" to events.single { it.seq == 1L }.signedJson), PushChannel.FCM),
            )
            // The platform moves on (the simulator's own advance clears A15): catch up until
            // both lists agree.
            eventually("the inbox equal to the platform's list") {
                phone.alarms.catchUp()
                val mine = phone.alarms.alarms().map { it.summary() }.sortedBy { it[0] as Long }
                val theirs = platformAlarms(token).map { it.summary() }.sortedBy { it[0] as Long }
                (mine == theirs).takeIf { it && mine.isNotEmpty() }
            }
            val mine = phone.alarms.alarms()
            assertEquals("newest raised first", mine.sortedByDescending { it.raisedAt }, mine)
        }
    }

    @Test
    fun anAcknowledgementOfflineIsQueuedShownAndSentOnce() = coTest {
        val token = token()
        val alarmId = raiseStepAlarm(token)
        withPhone { phone ->
            eventually("the alarm in the inbox") {
                phone.alarms.catchUp()
                phone.alarms.alarms().firstOrNull { it.id == alarmId }
            }
            val port = url.substringAfterLast(':')
            server.stop()

            val result = phone.alarms.acknowledge(alarmId)
            assertTrue("got $result", result is AckResult.Queued)
            assertNotNull(
                "shown acknowledged at once, offline",
                phone.alarms.alarms().single { it.id == alarmId }.acknowledgedAt,
            )
            val offline = phone.alarms.flushAcks()
            assertEquals(0u, offline.sent)
            assertEquals(1u, offline.left)
            assertNotNull(offline.nextTryAt)

            server.start("127.0.0.1:$port")
            val flushed = eventually("the acknowledgement sent") {
                phone.alarms.flushAcks().takeIf { it.sent > 0u || it.left == 0u }
            }
            assertEquals(1u, flushed.sent)
            assertEquals(0u, flushed.left)
            val again = phone.alarms.flushAcks()
            assertEquals(0u, again.sent)
            assertEquals(0u, again.left)
            assertNull(again.nextTryAt)
            val acked = platformAlarms(token()).single { it["id"] == alarmId }
            assertNotNull("acknowledged on the platform", acked["acked_at"])
            assertNotNull(phone.alarms.alarms().single { it.id == alarmId }.acknowledgedAt)
        }
    }

    @Test
    fun theStreamGoesLiveThenDeliversANewAlarm() = coTest {
        val token = token()
        withPhone { phone ->
            val events = Channel<AlarmWatchEvent>(Channel.UNLIMITED)
            val job = launch { phone.alarms.events.collect { events.send(it) } }
            suspend fun next(want: (AlarmWatchEvent) -> Boolean): AlarmWatchEvent =
                withTimeout(30_000) {
                    var e = events.receive()
                    while (!want(e)) e = events.receive()
                    e
                }
            next { it is AlarmWatchEvent.Live }
            val alarmId = raiseStepAlarm(token)
            val received = next {
                it is AlarmWatchEvent.Received && (it.outcome as? PushOutcome.New)?.alarm?.id == alarmId
            } as AlarmWatchEvent.Received
            val outcome = received.outcome as PushOutcome.New
            assertEquals(AlarmEventKind.RAISED, outcome.kind)
            assertEquals("alarm-$alarmId", outcome.notification.tag)
            assertTrue(phone.alarms.alarms().any { it.id == alarmId })
            job.cancel()
            job.join()
        }
    }

    @Test
    fun theInboxFlowShowsTheStoredListThenEachNewAlarm() = coTest {
        val token = token()
        withPhone { phone ->
            val lists = Channel<List<AlarmInfo>>(Channel.UNLIMITED)
            val job = launch { phone.alarms.inboxFlow.collect { lists.send(it) } }
            val before = withTimeout(30_000) { lists.receive() }
            val alarmId = raiseStepAlarm(token)
            withTimeout(30_000) {
                var list = lists.receive()
                while (list.none { it.id == alarmId }) list = lists.receive()
            }
            assertTrue(before.none { it.id == alarmId })
            job.cancel()
            job.join()
        }
    }

    @Test
    fun pushRegistrationWatchdogAndChannels() = coTest {
        withPhone { phone ->
            val id = phone.alarms.registerPush(PushChannel.FCM, "fcm-token-of-this-phone")
            assertTrue(id > 0)
            assertEquals(id, phone.alarms.registerPush(PushChannel.FCM, "fcm-token-of-this-phone"))
            val stream = expectThrows<YannongException.InvalidInput> {
                phone.alarms.registerPush(PushChannel.STREAM, "x")
            }
            assertEquals("channel", stream.field)
            phone.alarms.unregisterPush(id)
            // Just logged in, nothing silent yet: no local alarms to raise.
            assertEquals(emptyList<Any>(), phone.alarms.watchdog())
        }

        val zh = notificationChannels("zh")
        assertEquals(4, zh.size)
        assertEquals(listOf("alarm_critical", "alarm_major", "alarm_minor", "alarm_info"), zh.map { it.id })
        assertEquals(
            listOf(AlarmSeverity.CRITICAL, AlarmSeverity.MAJOR, AlarmSeverity.MINOR, AlarmSeverity.INFO),
            zh.map { it.severity },
        )
        assertEquals(listOf(true, false, false, false), zh.map { it.bypassDnd })
        val critical = zh.first()
        assertEquals(NotificationImportance.MAX, critical.importance)
        assertEquals(NotificationSound.ALARM, critical.sound)
        assertEquals("严重报警", critical.name.text)
        assertEquals(zh, AlarmCenter.notificationChannels(Locale.SIMPLIFIED_CHINESE))
        assertEquals("Critical alarms", AlarmCenter.notificationChannels(Locale.ENGLISH).first().name.text)
    }

    @Test
    fun pushPayloadsAreTheJsonTheCoreReads() {
        val map = linkedMapOf(
            "yn" to "{\"key_id\":\"ab\",\"payload\":\"x/y+z==\"}",
            "中文" to "烤房\n\t\"引号\" \\ \u0001 \u001f",
        )
        val json = String(PushPayloads.fromDataMap(map), Charsets.UTF_8)
        assertEquals(
            "{\"yn\":\"{\\\"key_id\\\":\\\"ab\\\",\\\"payload\\\":\\\"x/y+z==\\\"}\"," +
                "\"中文\":\"烤房\\n\\t\\\"引号\\\" \\\\ \\u0001 \\u001f\"}",
            json,
        )
        assertEquals(map, (Json.parse(json) as Map<*, *>))
        assertEquals("{}", String(PushPayloads.fromDataMap(emptyMap()), Charsets.UTF_8))
        assertArrayEquals("烤房".toByteArray(Charsets.UTF_8), PushPayloads.fromString("烤房"))
    }

    private companion object {
        const val PASSWORD = "kotlin-test-password"
        const val FARMER = "13800000001"

        /** An alarm event as the platform serialises it (`core/src/barn/api/alarm.rs`). */
        fun alarmEventJson(
            recipient: Long,
            seq: Long,
            alarmId: Long,
            barnId: Long,
            severity: String,
            at: Long = System.currentTimeMillis(),
        ): String =
            """{"recipient":$recipient,"seq":$seq,"kind":"raised","alarm":{"id":$alarmId,""" +
                """"barn_id":$barnId,"curing_id":null,"rule":"A10","rules_version":1,""" +
                """"severity":"$severity","title":{"zh":"循环风机停转","en":"Circulation fan stopped"},""" +
                """"action":{"zh":"循环风机停转，立即检修","en":"Circulation fan stopped, repair now"},""" +
                """"raised_at":$at,"updated_at":$at,"cleared_at":null,"acked_at":null,"acked_by":null},""" +
                """"issued_at":$at}"""

        fun AlarmInfo.summary(): List<Any?> = listOf(
            id, rule, severity.name.lowercase(), raisedAt.toEpochMilli(),
            clearedAt?.toEpochMilli(), acknowledgedAt?.toEpochMilli(),
        )

        fun Map<String, Any?>.summary(): List<Any?> = listOf(
            this["id"], this["rule"], this["severity"], this["raised_at"], this["cleared_at"], this["acked_at"],
        )
    }
}

/** Signs alarm events as the platform does (Ed25519 over the payload bytes), with its own key. */
private class TestSigner {
    private val pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair()

    /** The raw public key: the last 32 bytes of its X.509 encoding. */
    private val raw: ByteArray = pair.public.encoded.let { it.copyOfRange(it.size - 32, it.size) }
    val publicHex: String = raw.hex()
    private val keyId: String = MessageDigest.getInstance("SHA-256").digest(raw).copyOf(8).hex()

    fun sign(eventJson: String, claimedKeyId: String = keyId): String {
        val bytes = eventJson.toByteArray(Charsets.UTF_8)
        val signature = Signature.getInstance("Ed25519").run {
            initSign(pair.private)
            update(bytes)
            sign()
        }
        val b64 = Base64.getEncoder()
        return """{"key_id":"$claimedKeyId","payload":"${b64.encodeToString(bytes)}",""" +
            """"ed25519":"${b64.encodeToString(signature)}"}"""
    }

    private fun ByteArray.hex(): String = joinToString("") { "%02x".format(it) }
}

@Suppress("UNCHECKED_CAST")
private fun Any?.obj(): Map<String, Any?> =
    this as? Map<String, Any?> ?: throw AssertionError("expected a JSON object, got $this")

/** A small JSON reader for the platform's answers: objects, arrays, strings, Long/Double, booleans, null. */
private object Json {
    fun parse(text: String): Any? {
        val p = Parser(text)
        val value = p.value()
        p.space()
        if (p.i != text.length) throw IllegalArgumentException("trailing text at ${p.i}")
        return value
    }

    private class Parser(val s: String) {
        var i = 0

        fun space() {
            while (i < s.length && s[i] in " \t\r\n") i++
        }

        fun value(): Any? {
            space()
            if (i >= s.length) throw IllegalArgumentException("unexpected end")
            return when (s[i]) {
                '{' -> obj()
                '[' -> array()
                '"' -> string()
                't' -> literal("true", true)
                'f' -> literal("false", false)
                'n' -> literal("null", null)
                else -> number()
            }
        }

        private fun literal(word: String, v: Any?): Any? {
            if (!s.startsWith(word, i)) throw IllegalArgumentException("bad literal at $i")
            i += word.length
            return v
        }

        private fun obj(): Map<String, Any?> {
            val out = LinkedHashMap<String, Any?>()
            i++
            space()
            if (s[i] == '}') return out.also { i++ }
            while (true) {
                space()
                val key = string()
                space()
                expect(':')
                out[key] = value()
                space()
                if (s[i] == ',') i++ else return out.also { expect('}') }
            }
        }

        private fun array(): List<Any?> {
            val out = ArrayList<Any?>()
            i++
            space()
            if (s[i] == ']') return out.also { i++ }
            while (true) {
                out.add(value())
                space()
                if (s[i] == ',') i++ else return out.also { expect(']') }
            }
        }

        private fun expect(c: Char) {
            if (s[i] != c) throw IllegalArgumentException("expected '$c' at $i")
            i++
        }

        private fun string(): String {
            expect('"')
            val out = StringBuilder()
            while (s[i] != '"') {
                val c = s[i++]
                if (c != '\\') {
                    out.append(c)
                    continue
                }
                when (val e = s[i++]) {
                    'n' -> out.append('\n')
                    't' -> out.append('\t')
                    'r' -> out.append('\r')
                    'b' -> out.append('\b')
                    'f' -> out.append('\u000C')
                    'u' -> out.append(s.substring(i, i + 4).toInt(16).toChar()).also { i += 4 }
                    else -> out.append(e)
                }
            }
            i++
            return out.toString()
        }

        private fun number(): Any {
            val start = i
            while (i < s.length && (s[i].isDigit() || s[i] in "+-.eE")) i++
            val text = s.substring(start, i)
            return text.toLongOrNull() ?: text.toDouble()
        }
    }
}
