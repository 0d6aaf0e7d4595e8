//! Fuzzing: the cargo-fuzz (libFuzzer) targets in `fuzz/` (docs/fuzzing.md), for
//! `cargo xtask fuzz` and the `fuzz` step of `cargo xtask test`, on the stable toolchain.
//!
//! Without a sanitizer (the default, and CI) cargo-fuzz passes only stable flags: coverage
//! instrumentation, `--cfg fuzzing`, debug assertions. yannong-core forbids `unsafe`, so what
//! the targets look for are panics and broken properties, which need no sanitizer. `--asan`
//! builds with `-Zsanitizer=address`, a nightly-only flag that `RUSTC_BOOTSTRAP=1` lets the
//! stable compiler take (stable ships the AddressSanitizer runtime): about 1.5x the build
//! and a third of the speed, for memory errors in dependencies' unsafe code.
//!
//! Builds go to `target/fuzz/<sanitizer>`, away from the main build; the corpus the fuzzer
//! grows is kept in `target/fuzz/corpus/<target>`; the committed seeds in
//! `fuzz/corpus/<target>` are only read.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cmd::{self, Context, Result};

/// The fuzz targets (`fuzz/fuzz_targets/<name>.rs`), in the order they run.
pub const TARGETS: [&str; 4] = [
    "push_payload",
    "lesson_manifest",
    "lesson_pack",
    "leaf_frame",
];

/// Pinned so a new cargo-fuzz (and its flags) arrives deliberately.
pub const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// Seconds each target runs in `cargo xtask test`.
pub const CI_SECONDS: u32 = 30;
/// Seconds each target runs in `cargo xtask fuzz` unless `--seconds` says otherwise.
pub const DEFAULT_SECONDS: u32 = 300;

const FUZZ_DIR: &str = "fuzz";
/// Corpora, scratch folders and (one per sanitizer) cargo target folders.
const WORK_DIR: &str = "target/fuzz";
/// libFuzzer's limits: a process over this is an out-of-memory crash; one input running
/// longer than TIMEOUT seconds is a hang (also reported as a crash).
const RSS_LIMIT_MB: u32 = 2048;
const TIMEOUT: u32 = 20;

/// The `fuzz` step of `cargo xtask test`: every target for [`CI_SECONDS`]. A crash in one
/// target does not stop the others; the step fails if any crashed.
pub fn ci() -> Result<String> {
    fuzz(None, CI_SECONDS, false)
}

/// Builds the targets, then runs `only` (or every target) for `seconds` each; with
/// AddressSanitizer if `asan`.
pub fn fuzz(only: Option<&str>, seconds: u32, asan: bool) -> Result<String> {
    let cargo_fuzz = ensure_cargo_fuzz()?;
    let build = Build { cargo_fuzz, asan };
    cmd::run(&mut build.command("build"))?;
    let mut runs = 0u64;
    let mut crashed = Vec::new();
    let targets: Vec<&str> = TARGETS
        .into_iter()
        .filter(|t| only.is_none_or(|o| o == *t))
        .collect();
    for target in &targets {
        match run(&build, target, seconds) {
            Ok(n) => runs += n,
            Err(e) => {
                eprintln!("fuzz target {target} FAILED: {e}");
                crashed.push(format!("{target}: {e}"));
            }
        }
    }
    if crashed.is_empty() {
        Ok(format!(
            "{} target(s) × {seconds} s, {runs} inputs, no crash",
            targets.len()
        ))
    } else {
        Err(crashed.join("; "))
    }
}

/// One target for `seconds`; returns how many inputs it ran.
fn run(build: &Build, target: &str, seconds: u32) -> Result<u64> {
    let work = cmd::root().join(WORK_DIR);
    let corpus = work.join("corpus").join(target);
    std::fs::create_dir_all(&corpus).context(format!("creating {}", corpus.display()))?;
    // The targets' stores and lesson libraries live here, gone after the run.
    let tmp = work.join("tmp").join(target);
    cmd::fresh_dir(&tmp)?;
    let mut command = build.command("run");
    command
        .arg(target)
        // New inputs go to the first folder; the committed seeds are only read.
        .arg(&corpus)
        .arg(Path::new(FUZZ_DIR).join("corpus").join(target))
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-rss_limit_mb={RSS_LIMIT_MB}"))
        .arg(format!("-timeout={TIMEOUT}"))
        .arg("-print_final_stats=1")
        .env("TMPDIR", &tmp);
    let result = run_libfuzzer(&mut command);
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

/// Runs libFuzzer through cargo-fuzz with its output streamed, and returns the number of
/// inputs it ran (from `-print_final_stats`). A crash makes cargo-fuzz exit non-zero; the
/// error names the saved input.
fn run_libfuzzer(command: &mut Command) -> Result<u64> {
    let line = cmd::display(command);
    println!("$ {line}");
    let mut child = command
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("`{line}`: could not start: {e}"))?;
    let mut runs = None;
    let mut saved = None;
    if let Some(stderr) = child.stderr.take() {
        for out in BufReader::new(stderr).lines() {
            let out = out.context("reading libFuzzer's output")?;
            eprintln!("{out}");
            if let Some(n) = executed_units(&out) {
                runs = Some(n);
            }
            if let Some(path) = out.split("Test unit written to ").nth(1) {
                saved = Some(path.trim().to_owned());
            }
        }
    }
    let status = child.wait().context("waiting for libFuzzer")?;
    match (status.success(), runs) {
        (true, Some(n)) => Ok(n),
        (true, None) => Err("libFuzzer exited 0 but printed no final stats".into()),
        (false, _) => Err(match saved {
            Some(path) => format!("crashed, input saved to {path}"),
            None => format!("`{line}` failed ({status})"),
        }),
    }
}

/// libFuzzer's `stat::number_of_executed_units: N` line.
fn executed_units(line: &str) -> Option<u64> {
    line.trim()
        .strip_prefix("stat::number_of_executed_units:")?
        .trim()
        .parse()
        .ok()
}

/// How the targets are built.
struct Build {
    cargo_fuzz: PathBuf,
    asan: bool,
}

impl Build {
    /// `cargo-fuzz fuzz <subcommand>` for the project's fuzz crate, on the stable toolchain.
    fn command(&self, subcommand: &str) -> Command {
        let sanitizer = if self.asan { "address" } else { "none" };
        let mut command = cmd::command(&self.cargo_fuzz);
        command
            .args([
                "fuzz",
                subcommand,
                "--fuzz-dir",
                FUZZ_DIR,
                "--sanitizer",
                sanitizer,
            ])
            .arg("--target-dir")
            .arg(Path::new(WORK_DIR).join(sanitizer));
        if self.asan {
            command.env("RUSTC_BOOTSTRAP", "1");
        }
        command
    }
}

/// The pinned cargo-fuzz: one on PATH if it is that version, else `.tools/cargo-fuzz`
/// (git-ignored), installed there from crates.io when missing.
fn ensure_cargo_fuzz() -> Result<PathBuf> {
    let on_path = PathBuf::from("cargo-fuzz");
    if is_pinned(&on_path) {
        return Ok(on_path);
    }
    let prefix = cmd::root().join(".tools/cargo-fuzz");
    let local = prefix.join("bin/cargo-fuzz");
    if !is_pinned(&local) {
        cmd::run(
            cmd::cargo()
                .args(["install", "cargo-fuzz", "--locked", "--version"])
                .arg(CARGO_FUZZ_VERSION)
                .arg("--root")
                .arg(&prefix),
        )?;
    }
    Ok(local)
}

fn is_pinned(program: &Path) -> bool {
    cmd::command(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|out| {
            out.status.success()
                && String::from_utf8_lossy(&out.stdout).trim()
                    == format!("cargo-fuzz {CARGO_FUZZ_VERSION}")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_file_is_listed() {
        let dir = cmd::root().join(FUZZ_DIR).join("fuzz_targets");
        let mut found: Vec<String> = cmd::files_with_suffix(&dir, ".rs")
            .unwrap()
            .iter()
            .filter_map(|p| Some(p.file_stem()?.to_string_lossy().into_owned()))
            .collect();
        found.sort();
        let mut listed = TARGETS.map(String::from).to_vec();
        listed.sort();
        assert_eq!(found, listed);
        for target in TARGETS {
            assert!(
                cmd::root()
                    .join(FUZZ_DIR)
                    .join("corpus")
                    .join(target)
                    .is_dir(),
                "{target} has no seed corpus"
            );
        }
    }

    #[test]
    fn reads_libfuzzer_final_stats() {
        assert_eq!(
            executed_units("stat::number_of_executed_units: 123456"),
            Some(123_456)
        );
        assert_eq!(executed_units("stat::peak_rss_mb: 80"), None);
        assert_eq!(executed_units("#2\tINITED cov: 3"), None);
    }
}
