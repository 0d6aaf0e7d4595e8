//! Kotlin on the plain JVM: compile the generated bindings with the hand-written wrapper and
//! the JUnit4 tests (or the FFI benchmark) using kotlinc, then run them with `java`.
//! Gradle/Android cannot run here; the generated code works on both (see ffi-toolchain.md).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bindings;
use crate::cmd::{self, Context, Counts, Result};
use crate::{testpack, tools};

const MAIN_SOURCES: &str = "android/core/src/main/kotlin";
const TEST_SOURCES: &str = "android/core/src/test/kotlin";
const BENCH_SOURCES: &str = "android/core/src/bench/kotlin";
/// Discovers and runs every `*Test` class (android/core/src/test/kotlin/cn/yannong/TestRunner.kt).
const TEST_MAIN: &str = "cn.yannong.TestRunnerKt";
const BENCH_MAIN: &str = "cn.yannong.bench.FfiBenchKt";

/// Debian packages providing the jars below (JNA with its native dispatcher, JUnit4).
const APT_PACKAGES: &[&str] = &["libjna-java", "libjna-jni", "junit4", "libhamcrest-java"];
const SYSTEM_JARS: &[&str] = &[
    "/usr/share/java/jna.jar",
    "/usr/share/java/junit4.jar",
    "/usr/share/java/hamcrest-core.jar",
];
/// From the kotlin-compiler npm package's `lib/`: coroutines for `suspend` functions
/// (Rust `async fn`), kotlin.test for tests that prefer it over org.junit.Assert.
const KOTLIN_JARS: &[&str] = &[
    "kotlinx-coroutines-core-jvm.jar",
    "kotlin-test.jar",
    "kotlin-test-junit.jar",
];

/// JVM system properties naming the signed lesson pack the tests install and its public key
/// (read in android/core/src/test/kotlin/cn/yannong/LessonsTest.kt).
const TEST_PACK_PROPERTY: &str = "yannong.testPack";
const TEST_PACK_KEY_PROPERTY: &str = "yannong.testPackKey";
/// The platform binary the barn tests start on loopback (BarnMonitorTest.kt).
const SERVER_BIN_PROPERTY: &str = "yannong.serverBin";

/// The Kotlin step of `cargo xtask test`.
pub fn test() -> Result<Counts> {
    let toolchain = Toolchain::ensure()?;
    let bindings = bindings::generate(false)?;
    let pack = testpack::build(&bindings.cli_bin)?;
    let root = cmd::root();
    let classes = root.join("build/kotlin/test-classes");
    toolchain.compile(
        &[
            bindings.kotlin_dir.clone(),
            root.join(MAIN_SOURCES),
            root.join(TEST_SOURCES),
        ],
        &classes,
    )?;
    cmd::run_tests(
        toolchain
            .java(&bindings.lib_dir, &classes)?
            .arg(format!("-D{TEST_PACK_PROPERTY}={}", pack.pack.display()))
            .arg(format!("-D{TEST_PACK_KEY_PROPERTY}={}", pack.public_key))
            .arg(format!(
                "-D{SERVER_BIN_PROPERTY}={}",
                bindings.server_bin.display()
            ))
            .arg(TEST_MAIN)
            .arg(&classes),
    )
}

/// The Kotlin half of `cargo xtask bench`: the FFI round-trip benchmark against a release
/// build; skipped, with a message, while there is no benchmark source.
pub fn bench() -> Result {
    let root = cmd::root();
    let bench_sources = root.join(BENCH_SOURCES);
    if cmd::files_with_suffix(&bench_sources, ".kt")?.is_empty() {
        println!(
            "skipped Kotlin FFI benchmark: no sources in {BENCH_SOURCES} (main class {BENCH_MAIN})"
        );
        return Ok(());
    }
    let toolchain = Toolchain::ensure()?;
    let bindings = bindings::generate(true)?;
    let classes = root.join("build/kotlin/bench-classes");
    toolchain.compile(
        &[
            bindings.kotlin_dir.clone(),
            root.join(MAIN_SOURCES),
            bench_sources,
        ],
        &classes,
    )?;
    cmd::run(toolchain.java(&bindings.lib_dir, &classes)?.arg(BENCH_MAIN))
}

struct Toolchain {
    kotlinc: PathBuf,
    /// kotlin-stdlib.jar: kotlinc adds it when compiling, `java` needs it explicitly.
    stdlib: PathBuf,
    libraries: Vec<PathBuf>,
}

impl Toolchain {
    fn ensure() -> Result<Self> {
        tools::ensure_apt(APT_PACKAGES)?;
        let khome = tools::ensure_kotlinc()?;
        let mut libraries: Vec<PathBuf> = SYSTEM_JARS.iter().map(PathBuf::from).collect();
        libraries.extend(KOTLIN_JARS.iter().map(|jar| khome.join("lib").join(jar)));
        if let Some(missing) = libraries.iter().find(|jar| !jar.exists()) {
            return Err(format!("missing jar {}", missing.display()));
        }
        Ok(Self {
            kotlinc: khome.join("bin/kotlinc"),
            stdlib: khome.join("lib/kotlin-stdlib.jar"),
            libraries,
        })
    }

    /// Compiles every `.kt` under `source_dirs` (missing dirs are fine) into a fresh `out`,
    /// so classes of deleted tests never linger and get run.
    fn compile(&self, source_dirs: &[PathBuf], out: &Path) -> Result {
        let mut sources = Vec::new();
        for dir in source_dirs {
            sources.extend(cmd::files_with_suffix(dir, ".kt")?);
        }
        cmd::fresh_dir(out)?;
        println!("kotlinc: {} source files", sources.len());
        cmd::run(
            cmd::command(&self.kotlinc)
                .args(["-jvm-target", "17", "-nowarn", "-cp"])
                .arg(classpath(&self.libraries)?)
                .arg("-d")
                .arg(out)
                .args(&sources),
        )
        .map_err(|e| format!("kotlinc failed; {e}"))
    }

    fn java(&self, native_dir: &Path, classes: &Path) -> Result<Command> {
        let mut path = vec![classes.to_path_buf(), self.stdlib.clone()];
        path.extend(self.libraries.iter().cloned());
        let mut java = cmd::command("java");
        java.arg(format!("-Djna.library.path={}", native_dir.display()))
            .arg("-cp")
            .arg(classpath(&path)?);
        Ok(java)
    }
}

fn classpath(entries: &[PathBuf]) -> Result<std::ffi::OsString> {
    std::env::join_paths(entries).context("building a classpath")
}
