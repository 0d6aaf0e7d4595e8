//! Mobile cross-checks: type-check `yannong-core` and `yannong-ffi` for Android and iOS on a
//! Linux host that has neither the Android NDK nor an iOS SDK.
//!
//! `cargo check` does not link, but build scripts still run, and rusqlite's `bundled`
//! feature makes libsqlite3-sys compile SQLite's C code with the `cc` crate for the target.
//! cc-rs would look for `aarch64-linux-android-clang` (NDK) and, for iOS, run
//! `xcrun --show-sdk-path` (Xcode). Neither exists, so for these check builds only we hand
//! cc-rs a stand-in: Debian's `aarch64-linux-gnu-gcc` (package gcc-aarch64-linux-gnu).
//! The resulting `libsqlite3.a` is an aarch64 archive that is never linked; what matters is
//! that every Rust crate is really compiled (type-checked) for the mobile target, with its
//! `cfg(target_os = "android" | "ios")` code paths.
//!
//! - Android: `CC_aarch64_linux_android=aarch64-linux-gnu-gcc` and the matching `AR_…`.
//!   cc-rs adds nothing Android-specific that GCC rejects.
//! - iOS: cc-rs adds Apple driver flags (`-arch arm64`, `-miphoneos-version-min=…`,
//!   `-isysroot <SDKROOT>`) that a Linux GCC rejects, and needs an SDK path. So `CC_…` points
//!   at this xtask binary, which (with [`SHIM_ENV`] set) acts as a compiler wrapper: it drops
//!   those flags and runs the cross GCC ([`cc_shim`]). `SDKROOT` points at an empty directory
//!   so cc-rs does not run `xcrun`. SQLite is thus compiled as aarch64 Linux C code, which
//!   is fine for an archive nobody links.
//!
//! If a future dependency compiles target-specific assembly (e.g. `ring` for iOS), the iOS
//! stand-in will fail for it and this approach needs revisiting. A caller-provided
//! `CC_<target>` (a real NDK or SDK setup) is respected, and on macOS iOS needs no stand-in.

use std::ffi::OsString;
use std::process::Command;

use crate::cmd::{self, Context, Result};
use crate::tools;

/// When set, xtask runs as the stand-in C compiler; the value is the real compiler.
pub const SHIM_ENV: &str = "YANNONG_XTASK_CC_SHIM";
const TARGETS: &[&str] = &["aarch64-linux-android", "aarch64-apple-ios"];
const CROSS_GCC_PACKAGE: &str = "gcc-aarch64-linux-gnu";
const CROSS_CC: &str = "aarch64-linux-gnu-gcc";
const CROSS_AR: &str = "aarch64-linux-gnu-ar";

/// What the mobile step concluded when it did not fail.
#[derive(Debug)]
pub enum Checked {
    All,
    Skipped(String),
}

/// The mobile step of `cargo xtask test`.
pub fn check() -> Result<Checked> {
    // rustup's servers are outside the registries CI is promised: not reaching them is an
    // environment limit, not a defect in the code, so the step is skipped, loudly.
    if let Err(e) = tools::rustup_targets(TARGETS) {
        let message = format!("skipped: could not install rust targets ({e})");
        println!("{message}");
        return Ok(Checked::Skipped(message));
    }
    let mut failed = Vec::new();
    for target in TARGETS {
        let mut check = cmd::cargo();
        check.args([
            "check",
            "-p",
            "yannong-core",
            "-p",
            "yannong-ffi",
            "--target",
            target,
        ]);
        let result = stand_in_c_compiler(&mut check, target).and_then(|()| cmd::run(&mut check));
        if let Err(e) = result {
            eprintln!("{target}: {e}");
            failed.push(*target);
        }
    }
    if failed.is_empty() {
        Ok(Checked::All)
    } else {
        Err(format!("cargo check failed for {}", failed.join(", ")))
    }
}

/// Sets the env vars that make cc-rs build C code for `target` with the cross GCC.
fn stand_in_c_compiler(check: &mut Command, target: &str) -> Result {
    let suffix = target.replace('-', "_");
    let is_apple = target.contains("-apple-");
    if std::env::var_os(format!("CC_{suffix}")).is_some()
        || (is_apple && std::env::consts::OS == "macos")
    {
        return Ok(());
    }
    tools::ensure_apt(&[CROSS_GCC_PACKAGE])?;
    check.env(format!("AR_{suffix}"), CROSS_AR);
    if !is_apple {
        check.env(format!("CC_{suffix}"), CROSS_CC);
        return Ok(());
    }
    let shim = std::env::current_exe().context("locating the xtask binary")?;
    let fake_sdk = cmd::root().join("target/xtask/no-ios-sdk");
    std::fs::create_dir_all(&fake_sdk).context(format!("creating {}", fake_sdk.display()))?;
    check
        .env(format!("CC_{suffix}"), shim)
        .env(SHIM_ENV, CROSS_CC)
        .env("SDKROOT", fake_sdk);
    Ok(())
}

/// Entry point when xtask runs as the stand-in compiler: forwards to `real` without the
/// Apple-only flags and returns its exit code.
pub fn cc_shim(real: OsString) -> i32 {
    let args = without_apple_flags(std::env::args_os().skip(1));
    match Command::new(&real).args(args).status() {
        Ok(status) => status.code().unwrap_or(1),
        Err(e) => {
            eprintln!(
                "xtask C compiler shim: cannot run {}: {e}",
                real.to_string_lossy()
            );
            1
        }
    }
}

fn without_apple_flags(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut kept = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.to_str() {
            // Flags with a separate value: drop both.
            Some("-arch" | "-isysroot" | "-target") => {
                args.next();
            }
            Some(flag)
                if flag.starts_with("--target=")
                    || flag.starts_with("-mtargetos=")
                    || (flag.starts_with("-m") && flag.contains("-version-min=")) => {}
            // Apple clang's debug level; GCC's equivalent is plain -g.
            Some("-gfull") => kept.push(OsString::from("-g")),
            // Assembly written for Apple's assembler (ring's pregenerated Mach-O .S files)
            // does not assemble with GNU as. `cargo check` never links, so an empty object
            // stands in: compile an empty C file in its place.
            Some(src) if src.ends_with(".S") || src.ends_with(".s") => {
                kept.extend(["-x", "c", "/dev/null"].map(OsString::from));
            }
            _ => kept.push(arg),
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filtered(args: &[&str]) -> Vec<String> {
        without_apple_flags(args.iter().map(OsString::from))
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn drops_the_flags_cc_rs_adds_for_ios() {
        // As logged from cc-rs 1.11 compiling libsqlite3-sys for aarch64-apple-ios.
        let args = [
            "-O1",
            "-fPIC",
            "-arch",
            "arm64",
            "-miphoneos-version-min=13.0",
            "-isysroot",
            "/x/no-ios-sdk",
            "-w",
            "-DSQLITE_CORE",
            "-o",
            "out/sqlite3.o",
            "-c",
            "sqlite3.c",
        ];
        assert_eq!(
            filtered(&args),
            [
                "-O1",
                "-fPIC",
                "-w",
                "-DSQLITE_CORE",
                "-o",
                "out/sqlite3.o",
                "-c",
                "sqlite3.c"
            ]
        );
    }

    #[test]
    fn drops_clang_style_target_flags_too() {
        let args = [
            "--target=arm64-apple-ios13.0",
            "-target",
            "arm64-apple-ios",
            "-mios-simulator-version-min=13.0",
            "-mtargetos=ios13",
            "-march=armv8-a",
            "-E",
            "detect.c",
        ];
        assert_eq!(filtered(&args), ["-march=armv8-a", "-E", "detect.c"]);
    }

    #[test]
    fn apple_assembly_becomes_an_empty_object() {
        let args = [
            "-gfull",
            "-o",
            "out/aesv8.o",
            "-c",
            "pregenerated/aesv8-armx-ios64.S",
        ];
        assert_eq!(
            filtered(&args),
            ["-g", "-o", "out/aesv8.o", "-c", "-x", "c", "/dev/null"]
        );
    }

    #[test]
    fn passes_everything_else_through_in_order() {
        let args = ["-?", "-Wall", "-I", "include", "-DX=1", "-c", "a.c"];
        assert_eq!(filtered(&args), args);
    }
}
