//! The Python test suites of `cargo xtask test`, each pytest in a venv of its own in the
//! checkout (git-ignored), made with Python 3.11, the version the requirements pin their
//! wheels for:
//!
//! - `models`: the leaf-model training pipeline, `models/train` (every `test_*.py`; none needs
//!   the photo set in `../shared/data/leaf`), in `.venv-train`, the venv
//!   models/train/README.md sets up;
//! - `shells`: what of the Android app and the iOS samples cannot be compiled here (no Android
//!   SDK, no Apple SDKs): Kotlin and Swift parsed with tree-sitter, manifests and property
//!   lists read as XML, `tests/shells`, in `.venv-shells`.
//!
//! A venv is created when missing or not 3.11, and `pip install -r <install>` runs only when
//! the requirements files differ from the copy stored in the venv after the last successful
//! install.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cmd::{self, Context, Counts, Result};
use crate::tools;

/// The Python the pinned wheels are chosen for (models/train/requirements.txt).
const PYTHON: &str = "python3.11";
/// Where Debian's `python3.11` lives, if a PATH shim (pyenv) in front of it does not work.
const SYSTEM_PYTHON: &str = "/usr/bin/python3.11";
/// Debian packages providing it; `-venv` brings ensurepip, without which `-m venv` fails.
const APT_PACKAGES: &[&str] = &["python3.11", "python3.11-venv"];
/// Inside a venv: the requirements as of the last successful `pip install`.
const STAMP: &str = "xtask-requirements.txt";

/// One pytest suite and where it runs; paths are relative to the workspace root.
pub struct Suite {
    /// The venv (git-ignored).
    venv: &'static str,
    /// Every requirements file the install reads; a change to any of them reinstalls.
    requirements: &'static [&'static str],
    /// The one given to `pip install -r` (it includes the others).
    install: &'static str,
    /// Every `test_*.py` in it (pytest discovery), so a new test file runs without a change here.
    tests: &'static str,
    /// The `cargo xtask test` flag that skips the suite, for error messages.
    skip_flag: &'static str,
}

pub const MODELS: Suite = Suite {
    venv: ".venv-train",
    requirements: &[
        "models/train/requirements.txt",
        "models/train/requirements-dev.txt",
    ],
    install: "models/train/requirements-dev.txt",
    tests: "models/train",
    skip_flag: "--skip-models",
};

pub const SHELLS: Suite = Suite {
    venv: ".venv-shells",
    requirements: &["tests/shells/requirements.txt"],
    install: "tests/shells/requirements.txt",
    tests: "tests/shells",
    skip_flag: "--skip-shells",
};

/// Runs the suite: returns `N passed, N failed` (and `; N skipped`).
pub fn test(suite: &Suite) -> Result<String> {
    let root = cmd::root();
    let venv = root.join(suite.venv);
    let python = ensure_venv(&venv, suite)?;
    ensure_requirements(&venv, &python, suite)?;
    let counts = run_pytest(
        cmd::command(&python)
            .args(["-m", "pytest", "-q", "-rfEs", "--color=no", "-p"])
            // No .pytest_cache in the checkout.
            .arg("no:cacheprovider")
            .arg(suite.tests),
    )?;
    let mut note = Counts {
        passed: counts.passed,
        failed: counts.failed,
    }
    .to_string();
    if counts.skipped > 0 {
        note.push_str(&format!("; {} skipped", counts.skipped));
    }
    Ok(note)
}

/// A Python 3.11 that can make venvs: `python3.11` on PATH, else Debian's, installed with
/// apt if missing.
fn system_python(suite: &Suite) -> Result<PathBuf> {
    let works = |python: &str| {
        cmd::succeeds(cmd::command(python).args(["-c", "import ensurepip, venv"]))
            .then(|| PathBuf::from(python))
    };
    if let Some(python) = works(PYTHON).or_else(|| works(SYSTEM_PYTHON)) {
        return Ok(python);
    }
    tools::ensure_apt(APT_PACKAGES)?;
    works(PYTHON)
        .or_else(|| works(SYSTEM_PYTHON))
        .ok_or_else(|| {
            format!(
                "no {PYTHON} with the venv module (Debian: apt-get install {}); \
             or pass {}",
                APT_PACKAGES.join(" "),
                suite.skip_flag
            )
        })
}

/// Reuses `venv` if its Python is 3.11 and runs, else makes it afresh; returns its python.
fn ensure_venv(venv: &Path, suite: &Suite) -> Result<PathBuf> {
    let python = venv.join("bin/python");
    let is_311 = "import sys; sys.exit(sys.version_info[:2] != (3, 11))";
    if cmd::succeeds(cmd::command(&python).args(["-c", is_311])) {
        return Ok(python);
    }
    if venv.exists() {
        println!(
            "{}: not a working Python 3.11 venv, making it afresh",
            venv.display()
        );
        std::fs::remove_dir_all(venv).context(format!("removing {}", venv.display()))?;
    }
    cmd::run(
        cmd::command(system_python(suite)?)
            .args(["-m", "venv"])
            .arg(venv),
    )?;
    Ok(python)
}

/// `pip install -r <install>` unless the venv's stamp holds the same requirements.
fn ensure_requirements(venv: &Path, python: &Path, suite: &Suite) -> Result {
    let root = cmd::root();
    let mut wanted = String::new();
    for file in suite.requirements {
        let text = std::fs::read_to_string(root.join(file)).context(format!("reading {file}"))?;
        wanted.push_str(&format!("# {file}\n{text}\n"));
    }
    let stamp = venv.join(STAMP);
    if std::fs::read_to_string(&stamp).is_ok_and(|installed| installed == wanted) {
        println!(
            "{}: requirements unchanged since the last install",
            suite.venv
        );
        return Ok(());
    }
    // A failed install leaves no stamp, so the next run tries again.
    if stamp.exists() {
        std::fs::remove_file(&stamp).context(format!("removing {}", stamp.display()))?;
    }
    cmd::run(
        cmd::command(python)
            .args(["-m", "pip", "install", "--disable-pip-version-check", "-r"])
            .arg(suite.install),
    )
    .map_err(|e| format!("{e}; are wheels of every pinned version published for Python 3.11?"))?;
    std::fs::write(&stamp, wanted).context(format!("writing {}", stamp.display()))
}

/// Runs pytest, streaming its output, and returns the counts of its closing line. Fails on a
/// non-zero exit, on any failed test or error, and when nothing passed.
fn run_pytest(cmd: &mut Command) -> Result<PytestCounts> {
    let line = cmd::display(cmd);
    println!("$ {line}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .context(format!("`{line}`: could not start"))?;
    let mut last = None;
    if let Some(stdout) = child.stdout.take() {
        for out in BufReader::new(stdout).lines() {
            let out = out.context("reading pytest output")?;
            println!("{out}");
            if let Some(counts) = PytestCounts::parse(&out) {
                last = Some(counts);
            }
        }
    }
    let status = child.wait().context("waiting for pytest")?;
    match last {
        None => Err(format!("pytest printed no summary line ({status})")),
        Some(c) if !status.success() || c.failed > 0 || c.errors > 0 => {
            Err(format!("pytest: {c} ({status})"))
        }
        Some(c) if c.passed == 0 => Err(format!("pytest: no test passed: {c}")),
        Some(c) => Ok(c),
    }
}

/// pytest's closing line, e.g. `1 failed, 9 passed, 1 skipped, 2 warnings in 7.12s`
/// (`-q`), or the same between `=` signs (default verbosity).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct PytestCounts {
    passed: u32,
    failed: u32,
    skipped: u32,
    /// Errors in collection, fixtures or teardown: never a pass.
    errors: u32,
}

impl PytestCounts {
    fn parse(line: &str) -> Option<Self> {
        let line = line.trim().trim_matches('=').trim();
        let (counts, time) = line.rsplit_once(" in ")?;
        // `7.12s`, or `75.10s (0:01:15)` for long runs.
        let seconds = time.split(' ').next()?.strip_suffix('s')?;
        seconds.parse::<f64>().ok()?;
        let mut parsed = Self::default();
        if counts == "no tests ran" {
            return Some(parsed);
        }
        for part in counts.split(", ") {
            let (n, what) = part.split_once(' ')?;
            let n: u32 = n.parse().ok()?;
            match what {
                "passed" => parsed.passed += n,
                "failed" => parsed.failed += n,
                "skipped" => parsed.skipped += n,
                "error" | "errors" => parsed.errors += n,
                // Expected failures either way, warnings, tests filtered out, flaky reruns.
                "xfailed" | "xpassed" | "warning" | "warnings" | "deselected" | "rerun" => {}
                _ => return None,
            }
        }
        Some(parsed)
    }
}

impl std::fmt::Display for PytestCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} skipped, {} errors",
            self.passed, self.failed, self.skipped, self.errors
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(passed: u32, failed: u32, skipped: u32, errors: u32) -> Option<PytestCounts> {
        Some(PytestCounts {
            passed,
            failed,
            skipped,
            errors,
        })
    }

    #[test]
    fn parses_pytest_summary_lines() {
        assert_eq!(
            PytestCounts::parse("11 passed in 7.12s"),
            counts(11, 0, 0, 0)
        );
        assert_eq!(
            PytestCounts::parse("1 failed, 9 passed, 1 skipped, 2 warnings in 8.00s\r"),
            counts(9, 1, 1, 0)
        );
        assert_eq!(
            PytestCounts::parse("========= 10 passed, 1 error in 75.10s (0:01:15) =========="),
            counts(10, 0, 0, 1)
        );
        assert_eq!(PytestCounts::parse("2 errors in 0.31s"), counts(0, 0, 0, 2));
        assert_eq!(
            PytestCounts::parse("3 passed, 1 xfailed, 1 deselected in 0.02s"),
            counts(3, 0, 0, 0)
        );
        assert_eq!(
            PytestCounts::parse("no tests ran in 0.01s"),
            counts(0, 0, 0, 0)
        );
    }

    #[test]
    fn ignores_other_lines() {
        for line in [
            "",
            "...........                                                  [100%]",
            "FAILED models/train/test_train.py::test_x - assert 1 == 2",
            "11 passed",
            "11 passed in a hurry",
            "eleven passed in 7.12s",
            "11 passed; 0 failed in 7.12s",
            "11 exploded in 7.12s",
            "test result: ok. 1 passed; 0 failed; 0 ignored; finished in 0.03s",
        ] {
            assert_eq!(PytestCounts::parse(line), None, "{line:?}");
        }
    }
}
