package cn.yannong

import android.content.Context
import android.content.SharedPreferences
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.util.Base64
import cn.yannong.ffi.SecureStore
import cn.yannong.ffi.YannongException
import java.security.GeneralSecurityException
import java.security.InvalidKeyException
import java.security.KeyStore
import java.security.UnrecoverableKeyException
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The [SecureStore] for Android apps: values encrypted with AES-256-GCM under a key that
 * lives in the Android Keystore (never leaves it, not exportable), kept Base64-encoded in a
 * private SharedPreferences file.
 *
 * ```kotlin
 * val monitor = client.barns("https://barns.example.cn", KeystoreSecureStore(context))
 * ```
 *
 * - The key needs no user authentication, so background sync and live watches work while the
 *   phone is locked.
 * - Every value gets a fresh random IV (the Keystore makes one for each encryption); the
 *   entry's name is bound to it as associated data, so entries cannot be swapped.
 * - An entry that cannot be decrypted (damaged file, a preferences file restored from a backup
 *   onto a phone without the key, a key the system invalidated) reads as absent and is
 *   deleted: the user logs in again. Apps should still exclude the preferences file
 *   (`shared_prefs/<fileName>.xml`) from backups.
 * - Values are never logged nor put in exception messages; failures are
 *   [YannongException.Storage] naming the operation and the exception's class only.
 *
 * Thread-safe; `get`, `set` and `delete` do disk and Keystore I/O, and the core calls them on
 * its own threads, never on the main thread. Android only (API 23+ for the Keystore's AES keys;
 * the module's minSdk is 24): this file is in `src/android/kotlin`, which the Android library
 * compiles but the plain-JVM test build (`cargo xtask test`) does not.
 *
 * @param fileName the SharedPreferences file, private to the app.
 * @param keyAlias the Keystore alias of the AES key.
 */
class KeystoreSecureStore @JvmOverloads constructor(
    context: Context,
    private val fileName: String = DEFAULT_NAME,
    private val keyAlias: String = DEFAULT_NAME,
) : SecureStore {

    private val prefs: SharedPreferences =
        context.applicationContext.getSharedPreferences(fileName, Context.MODE_PRIVATE)

    /** Guards creating (and dropping) the Keystore key, so two threads never make two keys. */
    private val keyLock = Any()

    override fun get(key: String): String? = guarded("reading") {
        val stored = storedValue(key) ?: return@guarded null
        val secretKey = existingKey()
        if (secretKey == null) {
            // The key is gone (e.g. the file came back from a backup): nothing can decrypt it.
            forget(key)
            return@guarded null
        }
        try {
            decrypt(secretKey, key, stored)
        } catch (e: KeyPermanentlyInvalidatedException) {
            // Every entry is lost with the key; make a new key on the next set().
            dropKey()
            forget(key)
            null
        } catch (e: AEADBadTagException) {
            forget(key) // damaged, or moved from another entry
            null
        } catch (e: GeneralSecurityException) {
            // BadPadding/IllegalBlockSize (damaged), InvalidAlgorithmParameter (bad IV). Other
            // key problems (InvalidKeyException) are not the entry's fault: Storage, kept.
            if (e is InvalidKeyException) throw e
            forget(key)
            null
        } catch (e: IllegalArgumentException) {
            forget(key) // not Base64, or too short to hold an IV and a tag
            null
        }
    }

    override fun set(key: String, value: String) = guarded("writing") {
        val encoded = try {
            encrypt(existingKey() ?: newKey(), key, value)
        } catch (e: KeyPermanentlyInvalidatedException) {
            dropKey() // start over with a new key
            encrypt(newKey(), key, value)
        }
        if (!prefs.edit().putString(key, encoded).commit()) {
            throw YannongException.Storage("writing $fileName failed", false)
        }
    }

    override fun delete(key: String) = guarded("deleting") {
        if (prefs.contains(key) && !prefs.edit().remove(key).commit()) {
            throw YannongException.Storage("writing $fileName failed", false)
        }
    }

    /**
     * Runs [block], turning anything but a [YannongException] (Keystore and I/O failures) into
     * [YannongException.Storage] naming [what] was done and the exception's class, never a
     * value or a message that might quote one.
     */
    private inline fun <T> guarded(what: String, block: () -> T): T = try {
        block()
    } catch (e: YannongException) {
        throw e
    } catch (e: Exception) {
        throw YannongException.Storage(
            "$what a secret in the Android Keystore store failed (${e.javaClass.simpleName})",
            false,
        )
    }

    // Crypto

    private fun encrypt(secretKey: SecretKey, key: String, value: String): String {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        // No IV given: the Keystore requires randomized encryption and picks a fresh one.
        cipher.init(Cipher.ENCRYPT_MODE, secretKey)
        cipher.updateAAD(key.toByteArray(Charsets.UTF_8))
        val iv = cipher.iv
        val sealed = cipher.doFinal(value.toByteArray(Charsets.UTF_8))
        // [IV length][IV][ciphertext + 16-byte tag]
        val out = ByteArray(1 + iv.size + sealed.size)
        out[0] = iv.size.toByte()
        System.arraycopy(iv, 0, out, 1, iv.size)
        System.arraycopy(sealed, 0, out, 1 + iv.size, sealed.size)
        return Base64.encodeToString(out, Base64.NO_WRAP)
    }

    private fun decrypt(secretKey: SecretKey, key: String, stored: String): String {
        val bytes = Base64.decode(stored, Base64.NO_WRAP) // IllegalArgumentException if bad
        val ivLength = bytes.firstOrNull()?.toInt() ?: 0
        require(ivLength in MIN_IV_BYTES..MAX_IV_BYTES && bytes.size >= 1 + ivLength + TAG_BYTES) {
            "damaged entry"
        }
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(
            Cipher.DECRYPT_MODE,
            secretKey,
            GCMParameterSpec(TAG_BYTES * 8, bytes, 1, ivLength),
        )
        cipher.updateAAD(key.toByteArray(Charsets.UTF_8))
        val plain = cipher.doFinal(bytes, 1 + ivLength, bytes.size - 1 - ivLength)
        return String(plain, Charsets.UTF_8)
    }

    // The Keystore key

    private fun keyStore(): KeyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }

    /** The key, or `null` if there is none (or it can no longer be used). */
    private fun existingKey(): SecretKey? = synchronized(keyLock) {
        try {
            keyStore().getKey(keyAlias, null) as? SecretKey
        } catch (e: UnrecoverableKeyException) {
            null
        }
    }

    private fun newKey(): SecretKey = synchronized(keyLock) {
        // Another thread may have made it meanwhile.
        existingKey()?.let { return it }
        val spec = KeyGenParameterSpec.Builder(
            keyAlias,
            KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT,
        )
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setKeySize(256)
            .setRandomizedEncryptionRequired(true)
            // Background sync must read the token while the phone is locked.
            .setUserAuthenticationRequired(false)
            .build()
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
        generator.init(spec)
        generator.generateKey()
    }

    private fun dropKey() {
        synchronized(keyLock) {
            try {
                keyStore().deleteEntry(keyAlias)
            } catch (e: GeneralSecurityException) {
                // Nothing more to do: the next set() tries again with whatever is there.
            }
        }
    }

    /** The stored (encrypted) value; something else under [key] reads as absent. */
    private fun storedValue(key: String): String? = try {
        prefs.getString(key, null)
    } catch (e: ClassCastException) {
        forget(key)
        null
    }

    /** Deletes an entry that cannot be read; failing to do so is not worth an error. */
    private fun forget(key: String) {
        prefs.edit().remove(key).commit()
    }

    private companion object {
        const val DEFAULT_NAME = "cn.yannong.secure-store"
        const val ANDROID_KEYSTORE = "AndroidKeyStore"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val TAG_BYTES = 16
        const val MIN_IV_BYTES = 12
        const val MAX_IV_BYTES = 16
    }
}
