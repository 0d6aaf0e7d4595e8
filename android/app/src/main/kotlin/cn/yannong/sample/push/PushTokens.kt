package cn.yannong.sample.push

import android.content.Context
import android.content.SharedPreferences
import android.util.Log
import cn.yannong.ffi.PushChannel
import cn.yannong.ffi.YannongException
import cn.yannong.sample.graph
import cn.yannong.userMessage
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock

/**
 * The push tokens the vendor SDKs handed out and which of them the platform knows for the
 * logged-in account (`POST /api/v1/devices`). A token is registered when it arrives, after
 * login and on every catch-up run until the platform has it; logging out unregisters them.
 * Tokens are kept in the app's private preferences and never logged.
 */
object PushTokens {
    private const val TAG = "PushTokens"
    private val lock = Mutex()

    /** A vendor SDK's new token for [channel] (FCM `onNewToken`, MiPush's register result, ...). */
    fun onToken(context: Context, channel: PushChannel, token: String) {
        if (token.isBlank()) return
        val app = context.applicationContext
        prefs(app).edit().putString(tokenKey(channel), token).apply()
        app.graph.scope.launch { registerPending(app) }
    }

    /** Registers every token the platform has not seen for this account; quiet when offline. */
    suspend fun registerPending(context: Context): Unit = lock.withLock {
        val graph = context.graph
        val prefs = prefs(context)
        try {
            if (!graph.loggedIn()) return@withLock
            val alarms = graph.alarms()
            for (channel in PushChannel.entries) {
                val token = prefs.getString(tokenKey(channel), null) ?: continue
                if (prefs.getString(registeredKey(channel), null) == token) continue
                val deviceId = alarms.registerPush(channel, token)
                prefs.edit()
                    .putString(registeredKey(channel), token)
                    .putLong(deviceKey(channel), deviceId)
                    .apply()
            }
        } catch (e: YannongException) {
            // Offline or not logged in: the next catch-up run tries again.
            Log.i(TAG, "push registration postponed: ${e.userMessage}")
        }
        Unit
    }

    /** Before logging out: the platform stops pushing this account's alarms to this phone. */
    suspend fun unregisterAll(context: Context): Unit = lock.withLock {
        val prefs = prefs(context)
        val alarms = try {
            context.graph.alarms()
        } catch (e: YannongException) {
            return@withLock
        }
        for (channel in PushChannel.entries) {
            if (!prefs.contains(deviceKey(channel))) continue
            try {
                alarms.unregisterPush(prefs.getLong(deviceKey(channel), 0L))
            } catch (e: YannongException) {
                // Offline: the platform drops the device when the next account registers it.
                Log.i(TAG, "unregistering $channel failed: ${e.userMessage}")
            }
            // The next account registers the token afresh.
            prefs.edit().remove(deviceKey(channel)).remove(registeredKey(channel)).apply()
        }
    }

    private fun prefs(context: Context): SharedPreferences =
        context.getSharedPreferences("push-tokens", Context.MODE_PRIVATE)

    private fun tokenKey(channel: PushChannel) = "token.${channel.name}"

    private fun registeredKey(channel: PushChannel) = "registered.${channel.name}"

    private fun deviceKey(channel: PushChannel) = "device.${channel.name}"
}
