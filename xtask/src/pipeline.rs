//! `cargo xtask test`: every check, in order. A failing step does not stop the others (one
//! CI run shows every problem); the summary table at the end decides the exit code.

use std::time::{Duration, Instant};

use crate::cmd::{self, Counts, Result};
use crate::{fuzz, kotlin, mobile, pytest, swift};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    pub skip_models: bool,
    pub skip_shells: bool,
    pub skip_fuzz: bool,
    pub skip_kotlin: bool,
    pub skip_swift: bool,
    pub skip_mobile: bool,
    /// Run just this step (`--only=kotlin`), for working on one language.
    pub only: Option<&'static str>,
}

/// Step names, in order; `--only=` takes one of them.
pub const STEPS: [&str; 9] = [
    "fmt", "clippy", "test", "models", "shells", "fuzz", "kotlin", "swift", "mobile",
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Status {
    Ok,
    Failed,
    Skipped,
}

#[derive(Debug)]
struct StepReport {
    name: &'static str,
    status: Status,
    elapsed: Duration,
    /// Test counts, why it failed, or why it was skipped.
    note: String,
}

/// What a step reports when it did not fail.
enum Done {
    Ok(String),
    Skipped(String),
}

type Step = fn() -> Result<Done>;

/// Runs every step and returns whether all of them passed (skips count as passed).
pub fn test(flags: Flags) -> bool {
    let skipped_by_flag = |skip: bool, flag: &'static str| skip.then_some(flag);
    let steps: [(&'static str, Option<&'static str>, Step); 9] = [
        ("fmt", None, fmt),
        ("clippy", None, clippy),
        ("test", None, cargo_test),
        (
            "models",
            skipped_by_flag(flags.skip_models, "--skip-models"),
            models,
        ),
        (
            "shells",
            skipped_by_flag(flags.skip_shells, "--skip-shells"),
            shells,
        ),
        (
            "fuzz",
            skipped_by_flag(flags.skip_fuzz, "--skip-fuzz"),
            fuzz,
        ),
        (
            "kotlin",
            skipped_by_flag(flags.skip_kotlin, "--skip-kotlin"),
            kotlin,
        ),
        (
            "swift",
            skipped_by_flag(flags.skip_swift, "--skip-swift"),
            swift,
        ),
        (
            "mobile",
            skipped_by_flag(flags.skip_mobile, "--skip-mobile"),
            mobile,
        ),
    ];
    let mut reports = Vec::new();
    for (name, skip_flag, step) in steps {
        let skip_flag = skip_flag.or(flags.only.filter(|only| *only != name).map(|_| "--only"));
        match skip_flag {
            Some(flag) => println!("\n===== {name}: skipped ({flag}) ====="),
            None => println!("\n===== {name} ====="),
        }
        let start = Instant::now();
        let (status, note) = match skip_flag {
            Some(flag) => (Status::Skipped, flag.to_owned()),
            None => match step() {
                Ok(Done::Ok(note)) => (Status::Ok, note),
                Ok(Done::Skipped(why)) => (Status::Skipped, why),
                Err(e) => {
                    eprintln!("{name} FAILED: {e}");
                    (Status::Failed, e)
                }
            },
        };
        reports.push(StepReport {
            name,
            status,
            elapsed: start.elapsed(),
            note,
        });
    }
    println!("\n{}", summary(&reports));
    reports.iter().all(|r| r.status != Status::Failed)
}

fn fmt() -> Result<Done> {
    cmd::run(cmd::cargo().args(["fmt", "--all", "--", "--check"]))?;
    // The fuzz crate is a workspace of its own (see fuzz/Cargo.toml).
    cmd::run(cmd::cargo().args(["fmt", "--manifest-path", "fuzz/Cargo.toml", "--", "--check"]))?;
    Ok(Done::Ok(String::new()))
}

fn clippy() -> Result<Done> {
    cmd::run(cmd::cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    Ok(Done::Ok(String::new()))
}

fn cargo_test() -> Result<Done> {
    Ok(Done::Ok(
        // --no-fail-fast: one run reports every failing test binary, not just the first.
        cmd::run_tests(cmd::cargo().args(["test", "--workspace", "--no-fail-fast"]))?.to_string(),
    ))
}

fn models() -> Result<Done> {
    Ok(Done::Ok(pytest::test(&pytest::MODELS)?))
}

fn shells() -> Result<Done> {
    Ok(Done::Ok(pytest::test(&pytest::SHELLS)?))
}

fn fuzz() -> Result<Done> {
    Ok(Done::Ok(fuzz::ci()?))
}

fn kotlin() -> Result<Done> {
    Ok(Done::Ok(kotlin::test()?.to_string()))
}

fn swift() -> Result<Done> {
    Ok(Done::Ok(swift::test()?.to_string()))
}

fn mobile() -> Result<Done> {
    Ok(match mobile::check()? {
        mobile::Checked::All => Done::Ok("aarch64-linux-android, aarch64-apple-ios".into()),
        mobile::Checked::Skipped(why) => Done::Skipped(why),
    })
}

fn summary(reports: &[StepReport]) -> String {
    let mut out = format!("{:<8} {:<8} {:>7}  note\n", "step", "result", "seconds");
    for r in reports {
        let status = match r.status {
            Status::Ok => "ok",
            Status::Failed => "FAILED",
            Status::Skipped => "skipped",
        };
        // Failure messages are printed in full above; keep the table to one short line each.
        let note = one_line(&r.note, 90);
        let line = format!(
            "{:<8} {:<8} {:>7.1}  {note}",
            r.name,
            status,
            r.elapsed.as_secs_f64()
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let failed: Vec<&str> = reports
        .iter()
        .filter(|r| r.status == Status::Failed)
        .map(|r| r.name)
        .collect();
    if failed.is_empty() {
        out.push_str("all steps passed");
    } else {
        out.push_str(&format!("FAILED: {}", failed.join(", ")));
    }
    // Last, one line for every test run by the steps that finished (Rust, Python, Kotlin,
    // Swift). A note may add to its counts after a `;` (the models step: `; 1 skipped`).
    let counts = |note: &str| Counts::parse(note.split(';').next().unwrap_or_default());
    let total = reports.iter().filter_map(|r| counts(&r.note)).fold(
        Counts {
            passed: 0,
            failed: 0,
        },
        |sum, c| sum + c,
    );
    out.push_str(&format!("\ntotal: {total}"));
    out
}

/// The first line of `text`, cut to at most `max` characters with an ellipsis.
fn one_line(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() <= max {
        return line.to_owned();
    }
    let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(name: &'static str, status: Status, secs: f64, note: &str) -> StepReport {
        StepReport {
            name,
            status,
            elapsed: Duration::from_secs_f64(secs),
            note: note.into(),
        }
    }

    #[test]
    fn summary_is_a_table_with_a_verdict() {
        let table = summary(&[
            report("fmt", Status::Ok, 0.42, ""),
            report("models", Status::Ok, 9.25, "10 passed, 0 failed; 1 skipped"),
            report("kotlin", Status::Ok, 31.0, "12 passed, 0 failed"),
            report(
                "swift",
                Status::Failed,
                120.04,
                "`swiftc` failed\nsecond line",
            ),
            report("mobile", Status::Skipped, 0.0, "--skip-mobile"),
        ]);
        assert_eq!(
            table,
            "\
step     result   seconds  note
fmt      ok           0.4
models   ok           9.2  10 passed, 0 failed; 1 skipped
kotlin   ok          31.0  12 passed, 0 failed
swift    FAILED     120.0  `swiftc` failed
mobile   skipped      0.0  --skip-mobile
FAILED: swift
total: 22 passed, 0 failed"
        );
    }

    #[test]
    fn long_notes_are_cut() {
        assert_eq!(one_line("short\nmore", 10), "short");
        assert_eq!(one_line("0123456789abc", 10), "012345678…");
        assert_eq!(one_line("0123456789", 10), "0123456789");
    }

    #[test]
    fn skips_do_not_fail_the_run() {
        let table = summary(&[
            report("fmt", Status::Ok, 1.0, ""),
            report(
                "mobile",
                Status::Skipped,
                5.0,
                "skipped: could not install rust targets",
            ),
        ]);
        assert!(
            table.ends_with("all steps passed\ntotal: 0 passed, 0 failed"),
            "{table}"
        );
    }
}
