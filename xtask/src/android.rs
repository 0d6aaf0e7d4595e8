//! `cargo xtask android`: the per-ABI `libyannong_ffi.so` files for the Android library
//! module, built with cargo-ndk and the Android NDK (neither is available in CI here).

use std::path::{Path, PathBuf};

use crate::bindings;
use crate::cmd::{self, Result};
use crate::tools;

/// Android ABI → Rust target. cargo-ndk maps ABIs itself, but the std of each target must
/// be installed beforehand.
const ABIS: &[(&str, &str)] = &[
    ("arm64-v8a", "aarch64-linux-android"),
    ("armeabi-v7a", "armv7-linux-androideabi"),
    ("x86_64", "x86_64-linux-android"),
];
const JNI_LIBS: &str = "android/core/src/main/jniLibs";
/// The API level the libraries are linked for: the modules' `minSdk` (build.gradle.kts).
/// cargo-ndk's default is 21.
const MIN_SDK: &str = "24";
/// Android's loader reads packed relocations (APS2) from API 23; lld packs them on request.
/// RELR would be smaller still but needs API 28 (30 without Android's own tags).
const PACK_RELOCATIONS: &str = "-Clink-arg=-Wl,--pack-dyn-relocs=android";

pub fn build() -> Result {
    let ndk = find_ndk(|name| std::env::var_os(name).map(PathBuf::from));
    let has_cargo_ndk = cmd::cargo()
        .arg("--list")
        .output()
        .is_ok_and(|out| lists_subcommand(&String::from_utf8_lossy(&out.stdout), "ndk"));
    let mut missing = Vec::new();
    if !has_cargo_ndk {
        missing.push("cargo-ndk (install it with `cargo install cargo-ndk`)".to_owned());
    }
    if let Err(e) = &ndk {
        missing.push(e.clone());
    }
    if !missing.is_empty() {
        return Err(format!(
            "cannot build the Android libraries, missing:\n  - {}",
            missing.join("\n  - ")
        ));
    }
    if let Ok(ndk) = &ndk {
        println!("using the Android NDK at {}", ndk.display());
    }

    // Kotlin bindings come from the unstripped release build; the `mobile` profile strips
    // the symbols uniffi-bindgen reads.
    bindings::generate(true)?;
    let targets: Vec<&str> = ABIS.iter().map(|(_, target)| *target).collect();
    tools::rustup_targets(&targets)?;
    let root = cmd::root();
    let mut ndk_build = cmd::cargo();
    // From the crate's directory: the workspace root is a virtual manifest, and cargo-ndk
    // picks the .so files to copy by the package it finds there.
    ndk_build.current_dir(root.join("bindings")).arg("ndk");
    for (abi, _) in ABIS {
        ndk_build.args(["-t", abi]);
    }
    ndk_build.args(["-P", MIN_SDK]);
    // `rustc --crate-type cdylib`: the crate also declares `lib` (for its tests and
    // uniffi-bindgen), and building that rlib alongside leaves the .so 3.3 MB larger
    // (docs/size.md). cargo-ndk passes the subcommand through and copies any cdylib artifact;
    // it puts its `--target` before the `--`, after which rustc flags reach only this crate,
    // the one being linked.
    ndk_build.arg("-o").arg(root.join(JNI_LIBS)).args([
        "rustc",
        "--profile",
        "mobile",
        "-p",
        "yannong-ffi",
        "--lib",
        "--crate-type",
        "cdylib",
        "--",
        PACK_RELOCATIONS,
    ]);
    cmd::run(&mut ndk_build)?;
    println!("Android libraries in {JNI_LIBS}/<abi>/libyannong_ffi.so");
    Ok(())
}

/// `cargo --list` prints one indented subcommand per line, optionally followed by a summary.
fn lists_subcommand(listing: &str, name: &str) -> bool {
    listing
        .lines()
        .any(|line| line.split_whitespace().next() == Some(name))
}

/// Where cargo-ndk will find an NDK: `ANDROID_NDK_HOME`, `ANDROID_NDK_ROOT`, or a versioned
/// NDK under `$ANDROID_HOME/ndk/` (the SDK manager's layout; the legacy `ndk-bundle` too).
fn find_ndk(env: impl Fn(&str) -> Option<PathBuf>) -> Result<PathBuf> {
    for var in ["ANDROID_NDK_HOME", "ANDROID_NDK_ROOT"] {
        if let Some(dir) = env(var) {
            if dir.is_dir() {
                return Ok(dir);
            }
            return Err(format!(
                "the Android NDK: {var}={} is not a directory",
                dir.display()
            ));
        }
    }
    let hint = "install it with Android Studio's SDK Manager (SDK Tools → NDK) or \
                `sdkmanager \"ndk;<version>\"`, then set ANDROID_NDK_HOME";
    let Some(sdk) = env("ANDROID_HOME").or_else(|| env("ANDROID_SDK_ROOT")) else {
        return Err(format!(
            "the Android NDK: none of ANDROID_NDK_HOME, ANDROID_NDK_ROOT, ANDROID_HOME is set; {hint}"
        ));
    };
    newest_ndk_in(&sdk).ok_or_else(|| {
        format!(
            "the Android NDK: nothing in {}/ndk/ or {}/ndk-bundle; {hint}",
            sdk.display(),
            sdk.display()
        )
    })
}

fn newest_ndk_in(sdk: &Path) -> Option<PathBuf> {
    let versions = std::fs::read_dir(sdk.join("ndk"))
        .ok()
        .into_iter()
        .flatten();
    let newest = versions
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_dir())
        .max_by_key(|path| version_key(path));
    newest.or_else(|| Some(sdk.join("ndk-bundle")).filter(|p| p.is_dir()))
}

/// `27.1.12297006` → [27, 1, 12297006], so 27.x sorts after 9.x.
fn version_key(path: &Path) -> Vec<u64> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    name.split('.')
        .map(|part| part.parse().unwrap_or(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-ndk-{name}-{}", std::process::id()));
        cmd::fresh_dir(&dir).unwrap();
        dir
    }

    #[test]
    fn recognises_cargo_subcommands() {
        let listing =
            "Installed Commands:\n    build                Compile\n    ndk\n    ndk-env\n";
        assert!(lists_subcommand(listing, "ndk"));
        assert!(!lists_subcommand(
            "Installed Commands:\n    ndk-env\n",
            "ndk"
        ));
    }

    #[test]
    fn explicit_ndk_variable_wins() {
        let dir = scratch("explicit");
        let found = find_ndk(|var| (var == "ANDROID_NDK_HOME").then(|| dir.clone()));
        assert_eq!(found.unwrap(), dir);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn picks_the_newest_ndk_of_the_sdk() {
        let sdk = scratch("sdk");
        for version in ["9.0.1", "27.1.12297006", "26.3.11579264"] {
            std::fs::create_dir_all(sdk.join("ndk").join(version)).unwrap();
        }
        let found = find_ndk(|var| (var == "ANDROID_HOME").then(|| sdk.clone()));
        assert_eq!(found.unwrap(), sdk.join("ndk/27.1.12297006"));
        std::fs::remove_dir_all(&sdk).unwrap();
    }

    #[test]
    fn links_for_the_modules_min_sdk() {
        // Packed relocations need API 23; the libraries must not claim a lower level than
        // the modules that load them.
        for module in ["android/core", "android/app"] {
            let script =
                std::fs::read_to_string(cmd::root().join(module).join("build.gradle.kts")).unwrap();
            assert!(
                script.contains(&format!("minSdk = {MIN_SDK}")),
                "{module} minSdk differs from {MIN_SDK}"
            );
        }
        assert!(MIN_SDK.parse::<u32>().unwrap() >= 23);
    }

    #[test]
    fn says_what_is_missing() {
        let err = find_ndk(|_| None).unwrap_err();
        assert!(err.contains("ANDROID_NDK_HOME"), "{err}");
        let err =
            find_ndk(|var| (var == "ANDROID_NDK_HOME").then(|| PathBuf::from("/nonexistent/ndk")))
                .unwrap_err();
        assert!(err.contains("/nonexistent/ndk is not a directory"), "{err}");
    }
}
