//! `cargo xtask bindings`: build the FFI library and generate Kotlin and Swift from it.

use std::path::PathBuf;

use crate::cmd::{self, Result};

pub const SWIFT_MODULE: &str = "YannongFFI";
/// The C module uniffi generates for Swift (`YannongFFIFFI.h` + `YannongFFIFFI.modulemap`).
pub const SWIFT_FFI_MODULE: &str = "YannongFFIFFI";
/// The cdylib's base name; JNA loads `lib<name>.so` from `-Djna.library.path`.
pub const LIB_NAME: &str = "yannong_ffi";

/// Where one `generate` call put things.
#[derive(Debug)]
pub struct Bindings {
    /// `target/<profile>`: holds the host FFI library.
    pub lib_dir: PathBuf,
    /// The host library the bindings were generated from.
    pub lib: PathBuf,
    pub kotlin_dir: PathBuf,
    pub swift_dir: PathBuf,
    /// The `yannong-server` binary built alongside, for tests that need a platform.
    pub server_bin: PathBuf,
    /// The `yannong` CLI, built alongside for debug builds only (it signs the test pack).
    pub cli_bin: PathBuf,
}

/// Builds `yannong-ffi` and `uniffi-bindgen` for the host and regenerates both languages
/// into `build/bindings/{kotlin,swift}` (cleared first, so renamed types leave no stale files).
///
/// Bindings must come from an unstripped library (uniffi reads its metadata from symbols),
/// hence `debug` or `release`, never the `mobile` profile.
pub fn generate(release: bool) -> Result<Bindings> {
    let profile = if release { "release" } else { "debug" };
    let mut build = cmd::cargo();
    if release {
        // The platform binary comes along: the Kotlin benchmark starts it on loopback.
        build.args([
            "build",
            "--release",
            "-p",
            "yannong-ffi",
            "-p",
            "uniffi-bindgen",
            "-p",
            "yannong-server",
        ]);
    } else {
        // What the Kotlin and Swift tests need (the library, the platform, the CLI that signs
        // the test pack), built with the features `cargo test --workspace` resolves: with
        // fewer packages or without test targets, cargo unifies features differently
        // (`yannong-core/builder`, dev-only ones) and rebuilds the core and everything above
        // it, six minutes of a cold CI run. After the test step only binaries get linked.
        // `--lib`: cargo copies a library to target/debug only when it was asked for, not
        // when tests merely depend on it.
        build.args([
            "build",
            "--workspace",
            "--exclude",
            "xtask",
            "--lib",
            "--tests",
            "--bins",
        ]);
    }
    cmd::run(&mut build)?;

    let root = cmd::root();
    let lib_dir = root.join("target").join(profile);
    let lib = lib_dir.join(format!(
        "{}{LIB_NAME}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    let bindgen = lib_dir.join(format!("uniffi-bindgen{}", std::env::consts::EXE_SUFFIX));
    let out = root.join("build/bindings");
    let bindings = Bindings {
        server_bin: lib_dir.join(format!("yannong-server{}", std::env::consts::EXE_SUFFIX)),
        cli_bin: lib_dir.join(format!("yannong{}", std::env::consts::EXE_SUFFIX)),
        kotlin_dir: out.join("kotlin"),
        swift_dir: out.join("swift"),
        lib_dir,
        lib,
    };
    for (language, dir) in [
        ("kotlin", &bindings.kotlin_dir),
        ("swift", &bindings.swift_dir),
    ] {
        cmd::fresh_dir(dir)?;
        // `--no-format`: ktlint/swiftformat are not installed and formatting is irrelevant
        // for generated code. bindgen finds bindings/uniffi.toml via `cargo metadata`, so it
        // must run inside the workspace (cmd::command sets the root as cwd).
        cmd::run(
            cmd::command(&bindgen)
                .arg("generate")
                .arg(&bindings.lib)
                .args(["--language", language, "--no-format", "--out-dir"])
                .arg(dir),
        )?;
    }
    println!(
        "bindings: {} and {}",
        bindings.kotlin_dir.display(),
        bindings.swift_dir.display()
    );
    Ok(bindings)
}
