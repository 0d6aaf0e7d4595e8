package cn.yannong

import cn.yannong.ffi.PushChannel
import java.util.Locale

/**
 * Which push services an app should try on a phone, decided from the maker alone, with no
 * Android classes, so the choice is tested on the plain JVM.
 *
 * ```kotlin
 * for (channel in PushVendors.candidates(Build.MANUFACTURER, Build.BRAND)) {
 *     // Ask the vendor's SDK whether it works here (HMS Core installed, Google Play services
 *     // present, HeytapPushManager.isSupportPush, ...), then register it and hand its token to
 *     // AlarmCenter.registerPush.
 * }
 * ```
 *
 * A maker's own service reaches the phone when the app is not running (the system keeps its
 * connection); FCM is worth trying everywhere, since Google Play services exist on some phones
 * of every maker. Other makers' SDKs are not tried: on a foreign phone they either refuse or
 * keep a connection of their own open, which costs battery for nothing.
 */
object PushVendors {

    /** The key of the signed alarm event in a vendor's data map or intent extras (docs/push.md). */
    const val EVENT_KEY: String = "yn"

    /** The key of the "catch up" hint sent when the event does not fit a vendor's limits. */
    const val HINT_KEY: String = "yn_seq"

    /**
     * The services to try on a phone of [manufacturer] and [brand] (`Build.MANUFACTURER`,
     * `Build.BRAND`), in the order to register them: the maker's own service (if it has one),
     * then FCM.
     */
    fun candidates(manufacturer: String, brand: String): List<PushChannel> =
        listOfNotNull(makerChannel(manufacturer, brand), PushChannel.FCM)

    /**
     * The maker's own push service, or `null` for makers without one (or without one this app
     * supports). Honor phones sold before Honor left Huawei (manufacturer `HUAWEI`, brand
     * `HONOR`) run Huawei's services; later ones (manufacturer `HONOR`) have Honor's.
     */
    fun makerChannel(manufacturer: String, brand: String): PushChannel? {
        val maker = manufacturer.normalized()
        val label = brand.normalized()
        return when {
            maker == "huawei" -> PushChannel.HMS
            maker == "honor" -> PushChannel.HONOR
            maker in XIAOMI || label in XIAOMI -> PushChannel.MI_PUSH
            maker in OPPO || label in OPPO -> PushChannel.OPPO
            maker in VIVO || label in VIVO -> PushChannel.VIVO
            else -> null
        }
    }

    /**
     * The channel whose tapped notifications open the app with the event in the launch
     * intent's extras on this phone: OPPO (`click_action_type` 0) and vivo (`skipType` 1) draw
     * the notification themselves and hand the data over only with the tap. `null` elsewhere.
     */
    fun tapChannel(manufacturer: String, brand: String): PushChannel? =
        makerChannel(manufacturer, brand)?.takeIf { it == PushChannel.OPPO || it == PushChannel.VIVO }

    /**
     * Whether a launch intent with extras named [keys] came from an alarm notification and is
     * worth handing to `AlarmCenter.onPush`; an ordinary launch from the home screen is not.
     * Only the names are looked at: the core still verifies everything.
     */
    fun carriesAlarm(keys: Collection<String>): Boolean = EVENT_KEY in keys || HINT_KEY in keys

    private fun String.normalized(): String = trim().lowercase(Locale.ROOT)

    /** Xiaomi's phones also sell as Redmi and POCO; all report the manufacturer `Xiaomi`. */
    private val XIAOMI = setOf("xiaomi", "redmi", "poco")

    /** OnePlus and realme phones run OPPO's ColorOS push service. */
    private val OPPO = setOf("oppo", "oneplus", "realme")

    /** iQOO is vivo's sub-brand (manufacturer `vivo`, brand `iQOO`). */
    private val VIVO = setOf("vivo", "iqoo")
}
