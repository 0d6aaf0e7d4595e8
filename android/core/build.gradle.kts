// Not built in CI; CI compiles the sources with kotlinc (see android/README.md).
//
// The Android library module: the Kotlin bindings UniFFI generates from the Rust core
// (package cn.yannong.ffi, never committed), the hand-written wrapper in src/main/kotlin
// (package cn.yannong) and libyannong_ffi.so for each ABI.

import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

/** The Cargo workspace; this Gradle project is its `android/` directory. */
val repoRoot: File = rootDir.parentFile

/** Where `cargo xtask bindings` writes the generated Kotlin. */
val generatedKotlin: File = repoRoot.resolve("build/bindings/kotlin")

/** Where `cargo xtask android` (cargo-ndk) writes `<abi>/libyannong_ffi.so`; git-ignored. */
val rustJniLibs: File = file("src/main/jniLibs")

/** The host library `cargo xtask bindings` builds (debug profile), for JVM unit tests. */
val hostLibDir: File = repoRoot.resolve("target/debug")

/** `-Pyannong.buildRust=false` when bindings and jniLibs were produced beforehand. */
val buildRust: Boolean =
    providers.gradleProperty("yannong.buildRust").map(String::toBoolean).getOrElse(true)

/**
 * The cargo to run: `-Pyannong.cargo=...`, else `$CARGO`, else rustup's default location
 * (Android Studio started from a desktop often lacks `~/.cargo/bin` on its PATH), else `cargo`.
 */
val cargo: String = providers.gradleProperty("yannong.cargo")
    .orElse(providers.environmentVariable("CARGO"))
    .getOrElse(
        File(System.getProperty("user.home"), ".cargo/bin/cargo").takeIf { it.canExecute() }?.path
            ?: "cargo",
    )

/** What the Rust tasks depend on, so Gradle can skip them when nothing changed. */
val rustSources = files(
    repoRoot.resolve("Cargo.toml"),
    repoRoot.resolve("Cargo.lock"),
    fileTree(repoRoot.resolve("core")),
    fileTree(repoRoot.resolve("bindings")),
    fileTree(repoRoot.resolve("xtask")),
)

val cargoBindings by tasks.registering(Exec::class) {
    group = "yannong"
    description = "Builds the Rust FFI library and generates its Kotlin bindings " +
        "into build/bindings/kotlin (cargo xtask bindings)."
    enabled = buildRust
    workingDir = repoRoot
    commandLine(cargo, "xtask", "bindings")
    inputs.files(rustSources).withPathSensitivity(PathSensitivity.RELATIVE)
    outputs.dir(generatedKotlin)
}

val cargoAndroid by tasks.registering(Exec::class) {
    group = "yannong"
    description = "Cross-compiles libyannong_ffi.so for every ABI into src/main/jniLibs " +
        "(cargo xtask android; needs cargo-ndk and the Android NDK)."
    enabled = buildRust
    workingDir = repoRoot
    commandLine(cargo, "xtask", "android")
    inputs.files(rustSources).withPathSensitivity(PathSensitivity.RELATIVE)
    outputs.dir(rustJniLibs)
}

android {
    namespace = "cn.yannong"
    compileSdk = 35

    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }

    buildTypes {
        release {
            // A library does not minify itself; apps apply consumer-rules.pro.
            isMinifyEnabled = false
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
        // The generated bindings use java.time (Instant, Duration), native only from API 26.
        // Apps with minSdk < 26 must enable core library desugaring too.
        isCoreLibraryDesugaringEnabled = true
    }

    sourceSets {
        getByName("main") {
            // Generated bindings next to the wrapper (src/main/kotlin, a default Kotlin dir).
            java.srcDir(generatedKotlin)
            // Wrapper code that needs Android classes (KeystoreSecureStore); kept out of
            // src/main/kotlin because CI compiles that with kotlinc on the plain JVM.
            java.srcDir("src/android/kotlin")
            jniLibs.srcDir(rustJniLibs)
        }
    }

    testOptions {
        unitTests.all { test ->
            // The JVM unit tests call the real core through the host build of the library.
            test.dependsOn(cargoBindings)
            test.systemProperty("jna.library.path", hostLibDir.absolutePath)
        }
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

// Bindings and native libraries exist before anything is compiled or packaged.
tasks.named("preBuild") {
    dependsOn(cargoBindings, cargoAndroid)
}

dependencies {
    coreLibraryDesugaring("com.android.tools:desugar_jdk_libs:2.1.2")
    // The AAR carries libjnidispatch.so for every Android ABI.
    implementation("net.java.dev.jna:jna:5.13.0@aar")
    // Public API: suspend functions and YannongLog.records(): Flow.
    api("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.8.0")

    testImplementation("junit:junit:4.13.2")
    // JVM unit tests need JNA's desktop libjnidispatch, which only the plain jar has.
    testImplementation("net.java.dev.jna:jna:5.13.0")
}
