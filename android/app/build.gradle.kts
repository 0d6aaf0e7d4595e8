// Not built in CI; CI compiles the library's sources with kotlinc and syntax-checks this app's
// with tree-sitter-kotlin (see android/README.md, "Sample app").
//
// The sample app: one activity in Jetpack Compose over the `:core` library (leaf check with
// CameraX, barns and their curves, the alarm inbox, lessons), the push receivers of FCM, HMS,
// Honor, MiPush, OPPO and vivo, notifications and a WorkManager catch-up job. `:core` builds
// the Rust core for every ABI with cargo-ndk before anything is compiled (its `preBuild`).

import java.nio.file.FileSystems
import java.nio.file.Paths
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
    id("org.jetbrains.kotlin.plugin.compose")
}

/** The Cargo workspace; this Gradle project is its `android/` directory. */
val repoRoot: File = rootDir.parentFile

// Firebase reads app/google-services.json (from the Firebase console; never committed). Without
// it the app builds all the same and simply does not use FCM (see push/Fcm.kt).
if (file("google-services.json").exists()) {
    apply(plugin = "com.google.gms.google-services")
}

/** A `-Pyannong.<name>=...` setting (e.g. in ~/.gradle/gradle.properties), else [default]. */
fun setting(name: String, default: String = ""): String =
    providers.gradleProperty("yannong.$name").getOrElse(default)

/** [value] as a Java string literal for `buildConfigField`. */
fun literal(value: String): String =
    "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\""

/**
 * Push SDKs distributed only as downloads, dropped into app/libs/ (git-ignored): the file name
 * pattern, and what to download from where (also in android/README.md).
 */
val downloadedSdks = mapOf(
    "MiPush_SDK_Client_*.aar" to
        "Xiaomi MiPush client SDK (AAR, mainland China edition), https://admin.xmpush.xiaomi.com/zh_CN/mipush/downpage",
    "com.heytap.msp*.aar" to
        "OPPO PUSH client SDK (AAR), OPPO open platform > 推送服务 > 客户端SDK, https://open.oppomobile.com",
    "vivo_push*.aar" to
        "vivo push SDK (AAR), vivo open platform > 推送服务 > SDK下载, https://dev.vivo.com.cn",
)
val libsDir: File = file("libs")

val checkPushSdks by tasks.registering {
    group = "yannong"
    description = "Fails early, naming what to download, when a push SDK AAR is missing from app/libs."
    val patterns = downloadedSdks
    val dir = libsDir
    inputs.dir(dir).optional()
    doLast {
        val names = dir.list()?.toList().orEmpty()
        val missing = patterns.filterKeys { glob ->
            val matcher = FileSystems.getDefault().getPathMatcher("glob:$glob")
            names.none { matcher.matches(Paths.get(it)) }
        }
        if (missing.isNotEmpty()) {
            throw GradleException(
                "Push SDKs missing from ${dir.path} (see android/README.md, \"Sample app\"):\n" +
                    missing.entries.joinToString("\n") { (glob, what) -> "  $glob: $what" },
            )
        }
    }
}

/** Copies the shipped leaf model (models/leaf) into the APK's assets under `leaf-model/`. */
abstract class BundleLeafModel : DefaultTask() {
    @get:InputDirectory
    @get:PathSensitive(PathSensitivity.RELATIVE)
    abstract val modelDir: DirectoryProperty

    @get:OutputDirectory
    abstract val outputDir: DirectoryProperty

    @TaskAction
    fun copy() {
        val source = modelDir.get().asFile
        val target = outputDir.get().asFile.resolve("leaf-model")
        target.deleteRecursively()
        target.mkdirs()
        // The manifest (with its signature, if signed) and the model file it names.
        source.listFiles { f -> f.isFile && (f.name.startsWith("manifest.") || f.name.endsWith(".onnx")) }
            ?.forEach { it.copyTo(target.resolve(it.name)) }
    }
}

val bundleLeafModel by tasks.registering(BundleLeafModel::class) {
    modelDir.set(repoRoot.resolve("models/leaf"))
    outputDir.set(layout.buildDirectory.dir("generated/leafModel"))
}

android {
    namespace = "cn.yannong.sample"
    compileSdk = 35

    defaultConfig {
        // The package the platform's push configuration names (docs/push.md).
        applicationId = "cn.yannong.app"
        minSdk = 24
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"

        // The barn platform (https; the reference server runs behind a TLS proxy) and the
        // Ed25519 public keys the app trusts: alarm events and lesson packs (64 hex digits each,
        // comma-separated; `yannong lessons keygen` prints one).
        buildConfigField("String", "PLATFORM_URL", literal(setting("platformUrl", "https://barns.example.cn")))
        buildConfigField("String", "ALARM_KEYS", literal(setting("alarmKeys")))
        buildConfigField("String", "LESSON_KEYS", literal(setting("lessonKeys")))
        // Push credentials from the vendors' developer consoles. A blank one leaves its vendor out.
        buildConfigField("String", "HMS_APP_ID", literal(setting("hmsAppId")))
        buildConfigField("String", "HONOR_APP_ID", literal(setting("honorAppId")))
        buildConfigField("String", "MI_APP_ID", literal(setting("miAppId")))
        buildConfigField("String", "MI_APP_KEY", literal(setting("miAppKey")))
        buildConfigField("String", "OPPO_APP_KEY", literal(setting("oppoAppKey")))
        buildConfigField("String", "OPPO_APP_SECRET", literal(setting("oppoAppSecret")))
        buildConfigField("String", "VIVO_APP_ID", literal(setting("vivoAppId")))
        buildConfigField("String", "VIVO_API_KEY", literal(setting("vivoApiKey")))
        // The SDKs that read their ids from the manifest's meta-data.
        manifestPlaceholders += mapOf(
            "hmsAppId" to setting("hmsAppId"),
            "honorAppId" to setting("honorAppId"),
            "vivoAppId" to setting("vivoAppId"),
            "vivoApiKey" to setting("vivoApiKey"),
        )

        ndk {
            // The ABIs `cargo xtask android` builds the core for; JNA's AAR carries more, which
            // would let the app install where the core is missing.
            abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64")
        }
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            isShrinkResources = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
        // java.time in the generated bindings below API 26 (see :core).
        isCoreLibraryDesugaringEnabled = true
    }

    buildFeatures {
        compose = true
        buildConfig = true
    }

    androidResources {
        // The leaf model is copied out of the APK once; stored uncompressed it copies fast.
        noCompress += "onnx"
    }
}

androidComponents {
    onVariants { variant ->
        variant.sources.assets?.addGeneratedSourceDirectory(bundleLeafModel, BundleLeafModel::outputDir)
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

tasks.named("preBuild") {
    dependsOn(checkPushSdks)
}

dependencies {
    implementation(project(":core"))
    coreLibraryDesugaring("com.android.tools:desugar_jdk_libs:2.1.2")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.8.0")

    implementation(platform("androidx.compose:compose-bom:2024.12.01"))
    implementation("androidx.compose.ui:ui")
    implementation("androidx.compose.material3:material3")
    implementation("androidx.compose.material:material-icons-core")
    implementation("androidx.activity:activity-compose:1.9.3")
    implementation("androidx.lifecycle:lifecycle-runtime-compose:2.8.7")
    implementation("androidx.lifecycle:lifecycle-viewmodel-compose:2.8.7")
    implementation("androidx.navigation:navigation-compose:2.8.5")
    implementation("androidx.core:core-ktx:1.15.0")
    implementation("androidx.work:work-runtime-ktx:2.10.0")

    implementation("androidx.camera:camera-camera2:1.4.1")
    implementation("androidx.camera:camera-lifecycle:1.4.1")
    implementation("androidx.camera:camera-view:1.4.1")

    // Push: FCM from Google's repository, HMS and Honor from theirs (settings.gradle.kts), and
    // MiPush, OPPO and vivo from the AARs in libs/ (checkPushSdks).
    implementation(platform("com.google.firebase:firebase-bom:33.7.0"))
    implementation("com.google.firebase:firebase-messaging")
    implementation("com.google.android.gms:play-services-base:18.5.0")
    implementation("com.huawei.hms:push:6.12.0.300")
    implementation("com.hihonor.mcs:push:7.0.61.303")
    implementation(fileTree(libsDir) { include("*.aar") })
    // What OPPO's AAR needs beside it, as its integration guide lists.
    implementation("com.google.code.gson:gson:2.6.2")
    implementation("commons-codec:commons-codec:1.6")
    implementation("androidx.annotation:annotation:1.1.0")
}
