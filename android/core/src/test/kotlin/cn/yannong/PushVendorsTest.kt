package cn.yannong

import cn.yannong.ffi.PushChannel
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

/** [PushVendors]: which push services a phone tries, from `Build.MANUFACTURER` and `Build.BRAND`. */
class PushVendorsTest {

    @Test
    fun eachMakerGetsItsOwnServiceThenFcm() {
        // Values as the phones report them (Build.MANUFACTURER, Build.BRAND).
        val phones = listOf(
            Triple("HUAWEI", "HUAWEI", PushChannel.HMS),
            Triple("HONOR", "HONOR", PushChannel.HONOR),
            Triple("Xiaomi", "Redmi", PushChannel.MI_PUSH),
            Triple("Xiaomi", "POCO", PushChannel.MI_PUSH),
            Triple("OPPO", "OPPO", PushChannel.OPPO),
            Triple("OnePlus", "OnePlus", PushChannel.OPPO),
            Triple("realme", "realme", PushChannel.OPPO),
            Triple("vivo", "vivo", PushChannel.VIVO),
            Triple("vivo", "iQOO", PushChannel.VIVO),
        )
        for ((manufacturer, brand, channel) in phones) {
            assertEquals("$manufacturer/$brand", channel, PushVendors.makerChannel(manufacturer, brand))
            assertEquals(
                "$manufacturer/$brand",
                listOf(channel, PushChannel.FCM),
                PushVendors.candidates(manufacturer, brand),
            )
        }
    }

    @Test
    fun honorPhonesFromBeforeTheSplitUseHuaweisService() {
        // Sold by Huawei under the Honor brand: EMUI with HMS Core.
        assertEquals(PushChannel.HMS, PushVendors.makerChannel("HUAWEI", "HONOR"))
        // Made by Honor itself: MagicOS with Honor Push.
        assertEquals(PushChannel.HONOR, PushVendors.makerChannel("HONOR", "HONOR"))
    }

    @Test
    fun namesAreMatchedWithoutCaseOrSurroundingSpace() {
        assertEquals(PushChannel.MI_PUSH, PushVendors.makerChannel(" XIAOMI ", ""))
        assertEquals(PushChannel.VIVO, PushVendors.makerChannel("", "IQOO"))
        assertEquals(PushChannel.OPPO, PushVendors.makerChannel("oneplus", "OnePlus"))
    }

    @Test
    fun otherMakersOnlyTryFcm() {
        for ((manufacturer, brand) in listOf("samsung" to "samsung", "Google" to "google", "" to "", "ZTE" to "nubia")) {
            assertNull("$manufacturer/$brand", PushVendors.makerChannel(manufacturer, brand))
            assertEquals(listOf(PushChannel.FCM), PushVendors.candidates(manufacturer, brand))
        }
    }

    @Test
    fun onlyOppoAndVivoHandOverTheEventWithTheTap() {
        assertEquals(PushChannel.OPPO, PushVendors.tapChannel("OPPO", "OPPO"))
        assertEquals(PushChannel.OPPO, PushVendors.tapChannel("realme", "realme"))
        assertEquals(PushChannel.VIVO, PushVendors.tapChannel("vivo", "iQOO"))
        // Xiaomi's taps come through its receiver; Huawei and Honor send data messages.
        assertNull(PushVendors.tapChannel("Xiaomi", "Xiaomi"))
        assertNull(PushVendors.tapChannel("HUAWEI", "HUAWEI"))
        assertNull(PushVendors.tapChannel("HONOR", "HONOR"))
        assertNull(PushVendors.tapChannel("samsung", "samsung"))
    }

    @Test
    fun aLaunchCarriesAnAlarmOnlyWithTheEventOrTheCatchUpHint() {
        assertTrue(PushVendors.carriesAlarm(setOf("yn")))
        assertTrue(PushVendors.carriesAlarm(listOf("messageID", "yn_seq")))
        assertFalse(PushVendors.carriesAlarm(emptySet()))
        assertFalse(PushVendors.carriesAlarm(setOf("profile", "YN", "yn ")))
        // The keys are the ones the core and the platform use (core/src/alarm/channel.rs).
        assertEquals("yn", PushVendors.EVENT_KEY)
        assertEquals("yn_seq", PushVendors.HINT_KEY)
    }
}
