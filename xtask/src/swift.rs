//! Swift on Linux: compile the generated bindings, the hand-written wrapper and the check
//! program with a real Swift compiler and run the checks against the host FFI library.
//!
//! Debian bookworm has no Swift package, trixie has `swiftlang`, so the compiler lives in a
//! debootstrapped trixie chroot outside the repo (~3.3 GB, built once in about a minute,
//! reused while `swift --version` works in it). The bookworm-built .so runs fine on trixie.
//!
//! The sources are compiled as the same three modules as `ios/Package.swift`, one swiftc
//! call each: `YannongFFI` (generated) ← `Yannong` (wrapper) ← `YannongChecks` (the check
//! program). That is stricter than one module with everything: a missing `import`, a missing
//! `public` or a name that only resolves inside one module fails here, not first in Xcode.
//! (The sources also compile as one module, their `#if canImport(…)` guards are for that,
//! but it would check less.) The chroot is guarded by a lock file so two runs never mount
//! into it at once. The C module `YannongFFIFFI` is found as
//! `include/YannongFFIFFI/module.modulemap` (renamed; see ffi-toolchain.md pitfall 10), the
//! layout of the XCFramework's headers.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bindings::{self, LIB_NAME, SWIFT_FFI_MODULE, SWIFT_MODULE};
use crate::cmd::{self, Context, Counts, Result};
use crate::{testpack, tools};

const DEFAULT_CHROOT: &str = "/var/tmp/yannong-swift-trixie";
/// Overrides [`DEFAULT_CHROOT`].
const CHROOT_ENV: &str = "YANNONG_SWIFT_CHROOT";
const WRAPPER_SOURCES: &str = "ios/Sources/Yannong";
const CHECK_SOURCES: &str = "ios/Tests/YannongChecks";
/// Staging directory inside the chroot, recreated on every run.
const STAGE: &str = "/src/yannong";
/// The signed lesson pack the checks install (xtask/src/testpack.rs), relative to [`STAGE`].
/// Its path and public key reach the checks as `YANNONG_TEST_PACK` and `YANNONG_TEST_PACK_KEY`.
const TEST_PACK: &str = "testdata/default.ynpack";
/// Clang's module cache (Foundation, Glibc), kept between runs outside the stage.
const MODULE_CACHE: &str = "/src/yannong-module-cache";

/// The Swift step of `cargo xtask test`.
pub fn test() -> Result<Counts> {
    if std::env::consts::OS != "linux" {
        return Err(
            "the Swift check uses a Debian chroot and needs a Linux host; \
             on macOS run `swift run YannongChecks` in ios/, or pass --skip-swift"
                .into(),
        );
    }
    let root = cmd::root();
    let wrapper = cmd::files_with_suffix(&root.join(WRAPPER_SOURCES), ".swift")?;
    let checks = cmd::files_with_suffix(&root.join(CHECK_SOURCES), ".swift")?;
    if wrapper.is_empty() || !checks.iter().any(|f| f.ends_with("main.swift")) {
        return Err(format!(
            "nothing to check: need {WRAPPER_SOURCES}/*.swift and {CHECK_SOURCES}/main.swift"
        ));
    }
    let bindings = bindings::generate(false)?;
    let pack = testpack::build(&bindings.cli_bin)?;

    let dir =
        std::env::var_os(CHROOT_ENV).map_or_else(|| PathBuf::from(DEFAULT_CHROOT), PathBuf::from);
    let chroot = Chroot::ready(&dir)?;
    let stage = chroot.dir.join(STAGE.trim_start_matches('/'));
    cmd::fresh_dir(&stage)?;
    let lib_file = bindings.lib.file_name().unwrap_or_default();
    cmd::copy(&bindings.lib, &stage.join("lib").join(lib_file))?;
    let generated = format!("gen/{SWIFT_MODULE}.swift");
    cmd::copy(
        &bindings.swift_dir.join(format!("{SWIFT_MODULE}.swift")),
        &stage.join(&generated),
    )?;
    let include = stage.join("include").join(SWIFT_FFI_MODULE);
    cmd::copy(
        &bindings.swift_dir.join(format!("{SWIFT_FFI_MODULE}.h")),
        &include.join(format!("{SWIFT_FFI_MODULE}.h")),
    )?;
    cmd::copy(
        &bindings
            .swift_dir
            .join(format!("{SWIFT_FFI_MODULE}.modulemap")),
        &include.join("module.modulemap"),
    )?;
    std::fs::create_dir_all(stage.join("modules")).context("creating the modules directory")?;
    // Same relative paths as in the repo, so compiler messages point at recognisable files.
    let staged = |files: &[PathBuf]| -> Result<Vec<String>> {
        let mut relative = Vec::new();
        for file in files {
            let rel = file.strip_prefix(&root).unwrap_or(file);
            cmd::copy(file, &stage.join(rel))?;
            relative.push(rel.to_string_lossy().into_owned());
        }
        Ok(relative)
    };
    let wrapper = staged(&wrapper)?;
    let checks = staged(&checks)?;
    cmd::copy(&pack.pack, &stage.join(TEST_PACK))?;

    let swiftc = || {
        let mut swiftc = chroot.command(STAGE, "swiftc");
        swiftc.args(["-swift-version", "5", "-I", "include", "-I", "modules"]);
        swiftc.args(["-module-cache-path", MODULE_CACHE]);
        swiftc
    };
    // A library module: static archive + .swiftmodule in modules/.
    let library = |name: &str, sources: &[String]| {
        cmd::run(
            swiftc()
                .args(["-parse-as-library", "-module-name", name])
                .args([
                    "-emit-library",
                    "-static",
                    "-emit-module",
                    "-emit-module-path",
                ])
                .arg(format!("modules/{name}.swiftmodule"))
                .args(sources)
                .arg("-o")
                .arg(format!("modules/lib{name}.a")),
        )
        .map_err(|e| format!("compiling Swift module {name} failed; {e}"))
    };
    library(SWIFT_MODULE, std::slice::from_ref(&generated))?;
    library("Yannong", &wrapper)?;
    cmd::run(
        swiftc()
            .args(["-module-name", "YannongChecks"])
            .args(&checks)
            .args(["-L", "modules", "-lYannong", &format!("-l{SWIFT_MODULE}")])
            .args(["-L", "lib", &format!("-l{LIB_NAME}")])
            .args(["-o", "yannong-checks"]),
    )
    .map_err(|e| format!("compiling the YannongChecks program failed; {e}"))?;
    cmd::run_tests(
        chroot
            .command(STAGE, "./yannong-checks")
            .env("LD_LIBRARY_PATH", format!("{STAGE}/lib"))
            .env("YANNONG_TEST_PACK", format!("{STAGE}/{TEST_PACK}"))
            .env("YANNONG_TEST_PACK_KEY", &pack.public_key),
    )
}

/// A working chroot, locked for this process, with /proc and /dev mounted. Dropping it
/// unmounts first, then releases the lock (field order).
#[derive(Debug)]
struct Chroot {
    dir: PathBuf,
    _mounts: Mounts,
    _lock: File,
}

impl Chroot {
    /// Reuses `dir` if Swift works there, otherwise (re)builds it.
    fn ready(dir: &Path) -> Result<Self> {
        let lock = lock(dir)?;
        if dir.exists() {
            // No mount points: certainly not a finished chroot (e.g. debootstrap interrupted).
            if dir.join("proc").is_dir() && dir.join("dev").is_dir() {
                let mounts = Mounts::mount(dir)?;
                if swift_works(dir) {
                    return Ok(Self {
                        dir: dir.to_path_buf(),
                        _mounts: mounts,
                        _lock: lock,
                    });
                }
            }
            println!("{}: no working `swift` in there, rebuilding", dir.display());
            remove(dir)?;
        }
        build(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            _mounts: Mounts::mount(dir)?,
            _lock: lock,
        })
    }

    /// `program` run inside the chroot with `workdir` as its current directory.
    fn command(&self, workdir: &str, program: &str) -> Command {
        in_chroot(&self.dir, workdir, program)
    }
}

/// One user of the chroot at a time: mounts and the staged inputs are shared (flock, released
/// when the file is closed).
fn lock(dir: &Path) -> Result<File> {
    let path = PathBuf::from(format!("{}.lock", dir.display()));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).context(format!("creating {}", parent.display()))?;
    }
    let file = File::create(&path).context(format!("opening {}", path.display()))?;
    if file.try_lock().is_err() {
        println!(
            "waiting for {} (another Swift check is running)",
            path.display()
        );
        file.lock().context(format!("locking {}", path.display()))?;
    }
    Ok(file)
}

/// A clean environment inside: the host's (cargo's LD_LIBRARY_PATH, tool paths) means
/// nothing in the chroot.
fn in_chroot(dir: &Path, workdir: &str, program: &str) -> Command {
    let mut cmd = cmd::command("chroot");
    cmd.env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("HOME", "/root")
        .env("LANG", "C.UTF-8")
        .arg(dir)
        .args(["/usr/bin/env", "-C", workdir, program]);
    cmd
}

fn swift_works(dir: &Path) -> bool {
    cmd::run(in_chroot(dir, "/", "swift").arg("--version")).is_ok()
}

/// /proc and /dev mounted into a chroot; unmounted when dropped (also on errors and panics),
/// because a leftover bind mount of /dev makes the directory dangerous to delete.
#[derive(Debug)]
struct Mounts(Vec<PathBuf>);

impl Mounts {
    /// Call with the chroot lock held: anything already mounted inside is then a leftover of
    /// an interrupted run (drop never ran) and is unmounted first.
    fn mount(dir: &Path) -> Result<Self> {
        unmount_all_under(dir)?;
        let mut mounts = Self(Vec::new());
        let table: [(&str, &[&str]); 2] = [
            ("proc", &["-t", "proc", "proc"]),
            ("dev", &["--bind", "/dev"]),
        ];
        for (point, options) in table {
            let target = dir.join(point);
            cmd::run(cmd::command("mount").args(options).arg(&target)).map_err(|e| {
                format!("{e}: the Swift check needs root and permission to mount (pass --skip-swift to skip it)")
            })?;
            mounts.0.push(target);
        }
        Ok(mounts)
    }
}

impl Drop for Mounts {
    fn drop(&mut self) {
        for point in self.0.drain(..).rev() {
            if cmd::run(cmd::command("umount").arg(&point)).is_err() {
                // Busy (a process still running inside): detach it instead of leaving it.
                let lazy = cmd::run(cmd::command("umount").arg("-l").arg(&point));
                if let Err(e) = lazy {
                    eprintln!("warning: could not unmount {}: {e}", point.display());
                }
            }
        }
    }
}

/// debootstrap + `swiftlang`, built under `<dir>.partial` and renamed when it works, so an
/// interrupted build is never mistaken for a usable chroot.
fn build(dir: &Path) -> Result {
    tools::ensure_apt(&["debootstrap"])?;
    let partial = PathBuf::from(format!("{}.partial", dir.display()));
    if partial.exists() {
        remove(&partial)?;
    }
    println!(
        "creating the Swift chroot {} (~1 min, ~3.3 GB)",
        dir.display()
    );
    cmd::run(
        cmd::command("debootstrap")
            .args(["--variant=minbase", "trixie"])
            .arg(&partial),
    )
    .map_err(|e| {
        format!("{e}: creating the Swift chroot needs root and deb.debian.org (pass --skip-swift to skip it)")
    })?;
    // Name resolution inside the chroot as on the host; the chroot's own file may be a
    // symlink into a /run that is empty here, so replace it rather than write through it.
    let resolv = partial.join("etc/resolv.conf");
    if resolv.symlink_metadata().is_ok() {
        std::fs::remove_file(&resolv).context(format!("removing {}", resolv.display()))?;
    }
    cmd::copy(Path::new("/etc/resolv.conf"), &resolv)?;
    {
        let _mounts = Mounts::mount(&partial)?;
        cmd::run(in_chroot(&partial, "/", "apt-get").args(["update", "-qq"]))?;
        cmd::run(
            in_chroot(&partial, "/", "apt-get")
                .env("DEBIAN_FRONTEND", "noninteractive")
                .args(["install", "-y", "-qq", "swiftlang"]),
        )?;
        // The downloaded .debs are ~0.6 GB the chroot never needs again (CI disks are small).
        cmd::run(in_chroot(&partial, "/", "apt-get").arg("clean"))?;
        if !swift_works(&partial) {
            return Err(format!(
                "installed swiftlang in {}, but `swift --version` fails there",
                partial.display()
            ));
        }
    } // unmounted before the rename
    std::fs::rename(&partial, dir).context(format!(
        "renaming {} to {}",
        partial.display(),
        dir.display()
    ))
}

/// Deletes a chroot, but only once nothing is mounted inside it: deleting through a bind
/// mount of /dev would delete the host's device nodes.
fn remove(dir: &Path) -> Result {
    unmount_all_under(dir)?;
    let still = mounts_under(dir)?;
    if !still.is_empty() {
        let still: Vec<String> = still.iter().map(|p| p.display().to_string()).collect();
        return Err(format!(
            "refusing to delete {}: still mounted: {}",
            dir.display(),
            still.join(", ")
        ));
    }
    std::fs::remove_dir_all(dir).context(format!("removing {}", dir.display()))
}

fn unmount_all_under(dir: &Path) -> Result {
    for point in mounts_under(dir)? {
        println!("unmounting leftover {}", point.display());
        if cmd::run(cmd::command("umount").arg(&point)).is_err() {
            cmd::run(cmd::command("umount").arg("-l").arg(&point))?;
        }
    }
    Ok(())
}

/// Mount points at or below `dir`, deepest first (the order to unmount them in).
fn mounts_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let table =
        std::fs::read_to_string("/proc/self/mounts").context("reading /proc/self/mounts")?;
    Ok(mount_points_under(&table, dir))
}

fn mount_points_under(table: &str, dir: &Path) -> Vec<PathBuf> {
    let mut points: Vec<PathBuf> = table
        .lines()
        .filter_map(|line| line.split(' ').nth(1))
        .map(|field| PathBuf::from(unescape_mount_field(field)))
        .filter(|point| point.starts_with(dir))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    points.dedup();
    points
}

/// /proc/self/mounts writes space, tab, newline and backslash as `\040`-style octal escapes.
fn unescape_mount_field(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).and_then(|digits| {
            let text = std::str::from_utf8(digits).ok()?;
            u8::from_str_radix(text, 8).ok()
        });
        match (bytes[i], octal) {
            (b'\\', Some(byte)) => {
                out.push(byte);
                i += 4;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
/dev/vda / ext4 rw,relatime 0 0
proc /var/tmp/yannong-swift-trixie/proc proc rw 0 0
udev /var/tmp/yannong-swift-trixie/dev devtmpfs rw 0 0
devpts /var/tmp/yannong-swift-trixie/dev/pts devpts rw 0 0
proc /var/tmp/yannong-swift-trixie.partial/proc proc rw 0 0
tmpfs /mnt/with\\040space tmpfs rw 0 0
";

    #[test]
    fn finds_mounts_inside_the_chroot_deepest_first() {
        let points = mount_points_under(TABLE, Path::new("/var/tmp/yannong-swift-trixie"));
        assert_eq!(
            points,
            [
                "/var/tmp/yannong-swift-trixie/dev/pts",
                "/var/tmp/yannong-swift-trixie/proc",
                "/var/tmp/yannong-swift-trixie/dev",
            ]
            .map(PathBuf::from)
        );
    }

    #[test]
    fn a_sibling_with_a_longer_name_is_not_inside() {
        let points = mount_points_under(TABLE, Path::new("/var/tmp/yannong-swift-trixie.partial"));
        assert_eq!(
            points,
            [PathBuf::from("/var/tmp/yannong-swift-trixie.partial/proc")]
        );
    }

    #[test]
    fn unescapes_octal_mount_fields() {
        assert_eq!(
            unescape_mount_field("/mnt/with\\040space"),
            "/mnt/with space"
        );
        assert_eq!(unescape_mount_field("/plain"), "/plain");
        assert_eq!(unescape_mount_field("trailing\\"), "trailing\\");
        assert_eq!(
            mount_points_under(TABLE, Path::new("/mnt/with space")),
            [PathBuf::from("/mnt/with space")]
        );
    }
}
