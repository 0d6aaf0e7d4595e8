//! Installs the outside tools the pipeline needs, only when they are missing.

use std::path::PathBuf;

use crate::cmd::{self, Context, Result};

/// Pinned so compiler upgrades are deliberate (see docs/ffi-toolchain.md).
pub const KOTLIN_COMPILER_VERSION: &str = "2.4.20";

/// Installs the Debian packages that are not installed yet. `apt-get update` runs only when
/// something is missing: it is the slow, network-bound part.
pub fn ensure_apt(packages: &[&str]) -> Result {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !dpkg_installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("installing Debian packages: {}", missing.join(" "));
    if !cmd::succeeds(cmd::command("apt-get").arg("--version")) {
        return Err(format!(
            "apt-get not found; install these packages (or their equivalents) by hand: {}",
            missing.join(" ")
        ));
    }
    cmd::run(cmd::command("apt-get").args(["update", "-qq"]))?;
    cmd::run(
        cmd::command("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-qq"])
            .args(&missing),
    )
    .map_err(|e| format!("{e} (apt-get needs root)"))
}

fn dpkg_installed(package: &str) -> bool {
    cmd::command("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|out| out.status.success() && out.stdout.ends_with(b" installed"))
}

/// `kotlinc` from npm into `.tools/kotlin` (git-ignored); returns KHOME, the compiler's home
/// (`bin/kotlinc`, and `lib/` with the stdlib and coroutines jars).
pub fn ensure_kotlinc() -> Result<PathBuf> {
    let prefix = cmd::root().join(".tools/kotlin");
    let khome = prefix.join("node_modules/kotlin-compiler");
    let wanted = format!("\"version\": \"{KOTLIN_COMPILER_VERSION}\"");
    let installed = std::fs::read_to_string(khome.join("package.json"))
        .is_ok_and(|manifest| manifest.contains(&wanted));
    if !installed || !khome.join("bin/kotlinc").exists() {
        std::fs::create_dir_all(&prefix).context(format!("creating {}", prefix.display()))?;
        cmd::run(
            cmd::command("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&prefix)
                .arg(format!("kotlin-compiler@{KOTLIN_COMPILER_VERSION}")),
        )?;
    }
    Ok(khome)
}

/// `rustup target add …`; rustup's servers are not one of the registries CI can always
/// reach, so callers decide what a failure means.
pub fn rustup_targets(targets: &[&str]) -> Result {
    cmd::run(cmd::command("rustup").args(["target", "add"]).args(targets))
}
