package cn.yannong.sample.ui.leaf

import android.content.Context
import java.io.File
import java.io.IOException

/**
 * The leaf model the APK carries (models/leaf, bundled under assets/leaf-model by the build),
 * copied once into the app's files: the core opens a folder, not an asset.
 */
internal object LeafModel {
    private const val ASSETS = "leaf-model"

    /** The model's folder, copied out if this APK's model differs; `null` if the APK has none. */
    fun install(context: Context): File? {
        val assets = context.assets
        val names = assets.list(ASSETS)?.toList().orEmpty()
        if ("manifest.json" !in names) return null
        val target = File(context.filesDir, "models/leaf")
        val bundled = assets.open("$ASSETS/manifest.json").use { it.readBytes() }
        val installed = File(target, "manifest.json")
        if (installed.isFile && installed.readBytes().contentEquals(bundled)) return target

        // Copied whole into a fresh folder, then swapped in: a half-copied model is never opened.
        val staging = File(context.filesDir, "models/leaf.partial")
        staging.deleteRecursively()
        if (!staging.mkdirs()) throw IOException("cannot create $staging")
        for (name in names) {
            assets.open("$ASSETS/$name").use { input ->
                File(staging, name).outputStream().use { input.copyTo(it) }
            }
        }
        target.deleteRecursively()
        if (!staging.renameTo(target)) throw IOException("cannot move the leaf model into $target")
        return target
    }
}
