//! `cargo xtask ios`: `ios/YannongFFIFFI.xcframework` from the static library for devices and
//! simulators. Needs macOS with Xcode (xcodebuild, lipo, the iOS SDKs); not runnable in CI.
//!
//! Named after the C module it carries, as `ios/Package.swift` requires: SwiftPM wants the
//! file named like its binary target, and `YannongFFI` is already the generated Swift
//! module's target. `ios/scripts/build-xcframework.sh` runs this and then copies the
//! generated `YannongFFI.swift` into `ios/Sources/YannongFFI/`.

use crate::bindings::{self, LIB_NAME, SWIFT_FFI_MODULE};
use crate::cmd::{self, Context, Result};
use crate::tools;

const DEVICE: &str = "aarch64-apple-ios";
/// Both simulator architectures (Apple silicon and Intel Macs) go into one fat library.
const SIMULATORS: &[&str] = &["aarch64-apple-ios-sim", "x86_64-apple-ios"];
const OUTPUT: &str = "ios/YannongFFIFFI.xcframework";

pub fn build() -> Result {
    if std::env::consts::OS != "macos" {
        return Err(format!(
            "building the iOS XCFramework needs macOS with Xcode (xcodebuild, lipo and the iOS SDKs); \
             this host is {}. Run `cargo xtask ios` on a Mac.",
            std::env::consts::OS
        ));
    }
    if !cmd::succeeds(cmd::command("xcodebuild").arg("-version")) {
        return Err("xcodebuild does not work: install Xcode and run \
                    `sudo xcode-select -s /Applications/Xcode.app` (the Command Line Tools alone lack the iOS SDKs)"
            .into());
    }
    let mut targets = vec![DEVICE];
    targets.extend_from_slice(SIMULATORS);
    tools::rustup_targets(&targets)?;

    // Swift bindings from the unstripped host release build (the `mobile` profile strips
    // the symbols uniffi-bindgen reads); the generated API is identical for every target.
    let bindings = bindings::generate(true)?;
    for target in &targets {
        // Same minimum as `platforms` in ios/Package.swift, also for the C code cc-rs builds.
        cmd::run(
            cmd::cargo()
                .env("IPHONEOS_DEPLOYMENT_TARGET", "15.0")
                .args([
                    "build",
                    "--lib",
                    "--profile",
                    "mobile",
                    "-p",
                    "yannong-ffi",
                    "--target",
                    target,
                ]),
        )?;
    }

    let root = cmd::root();
    let staticlib = |target: &str| {
        root.join("target")
            .join(target)
            .join("mobile")
            .join(format!("lib{LIB_NAME}.a"))
    };
    let out = root.join("build/ios");
    let simulator_lib = out.join(format!("simulator/lib{LIB_NAME}.a"));
    let headers = out.join("headers");
    cmd::fresh_dir(&out.join("simulator"))?;
    cmd::fresh_dir(&headers)?;
    // In a subfolder named after the module: the framework's Headers/YannongFFIFFI/
    // module.modulemap cannot clash with another XCFramework's top-level module.modulemap
    // ("Multiple commands produce …/include/module.modulemap"), and clang still finds it.
    let module_dir = headers.join(SWIFT_FFI_MODULE);
    cmd::run(
        cmd::command("lipo")
            .arg("-create")
            .args(SIMULATORS.iter().map(|t| staticlib(t)))
            .arg("-output")
            .arg(&simulator_lib),
    )?;
    // The C module that YannongFFI.swift imports; clang looks for `module.modulemap`.
    let generated = |suffix: &str| {
        bindings
            .swift_dir
            .join(format!("{SWIFT_FFI_MODULE}{suffix}"))
    };
    cmd::copy(
        &generated(".h"),
        &module_dir.join(format!("{SWIFT_FFI_MODULE}.h")),
    )?;
    cmd::copy(
        &generated(".modulemap"),
        &module_dir.join("module.modulemap"),
    )?;

    // xcodebuild refuses to overwrite an existing framework.
    let output = root.join(OUTPUT);
    if output.exists() {
        std::fs::remove_dir_all(&output).context(format!("removing {}", output.display()))?;
    }
    cmd::run(
        cmd::command("xcodebuild")
            .arg("-create-xcframework")
            .arg("-library")
            .arg(staticlib(DEVICE))
            .arg("-headers")
            .arg(&headers)
            .arg("-library")
            .arg(&simulator_lib)
            .arg("-headers")
            .arg(&headers)
            .arg("-output")
            .arg(&output),
    )?;
    println!(
        "{OUTPUT} ready; the Swift half of the bindings is {}",
        bindings
            .swift_dir
            .join(format!("{}.swift", bindings::SWIFT_MODULE))
            .display()
    );
    Ok(())
}
