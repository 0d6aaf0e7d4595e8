//! Running external programs: echo the command, stream its output, turn failures into messages.

use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Errors are plain messages: xtask prints them and exits, nobody matches on them.
pub type Result<T = ()> = std::result::Result<T, String>;

/// Adds "what we were doing" to low-level errors (mostly `io::Error`).
pub trait Context<T> {
    fn context(self, what: impl fmt::Display) -> Result<T>;
}

impl<T, E: fmt::Display> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl fmt::Display) -> Result<T> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

/// The workspace root (xtask lives in `<root>/xtask`). Every command runs from here, which
/// also satisfies uniffi-bindgen's need to find the workspace through `cargo metadata`.
pub fn root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// `cargo`, preferring the exact binary that started xtask (`cargo run` sets `$CARGO`).
pub fn cargo() -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(program);
    cmd.current_dir(root());
    // A CI run builds once from cold: incremental caches would only double the target folder.
    if std::env::var_os("CI").is_some() && std::env::var_os("CARGO_INCREMENTAL").is_none() {
        cmd.env("CARGO_INCREMENTAL", "0");
    }
    cmd
}

/// A command running from the workspace root.
pub fn command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(root());
    cmd
}

/// Shell-like one-line rendering, for logs and error messages.
pub fn display(cmd: &Command) -> String {
    let mut line = Path::new(cmd.get_program())
        .file_name()
        .unwrap_or(cmd.get_program())
        .to_string_lossy()
        .into_owned();
    for arg in cmd.get_args() {
        let arg = arg.to_string_lossy();
        line.push(' ');
        if arg.is_empty() || arg.contains(char::is_whitespace) {
            line.push_str(&format!("'{arg}'"));
        } else {
            line.push_str(&arg);
        }
    }
    line
}

/// Runs to completion with inherited output; a non-zero exit is an error.
pub fn run(cmd: &mut Command) -> Result {
    let line = display(cmd);
    println!("$ {line}");
    // CI has no stdin; nothing we run should wait for input anyway.
    let status = cmd
        .stdin(Stdio::null())
        .status()
        .map_err(|e| spawn_error(&line, &e))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{line}` failed ({status})"))
    }
}

/// Runs to completion like [`run`], but captures stdout (echoed afterwards) and returns it.
/// stderr is inherited, so build progress and errors still show as they happen.
pub fn stdout(cmd: &mut Command) -> Result<String> {
    let line = display(cmd);
    println!("$ {line}");
    let output = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| spawn_error(&line, &e))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    print!("{text}");
    if output.status.success() {
        Ok(text)
    } else {
        Err(format!("`{line}` failed ({})", output.status))
    }
}

/// True if the command runs and exits 0; output is discarded. For probes.
pub fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs a test program, streaming its output, and returns the counts from its closing
/// `N passed, N failed` line (or the sum of cargo's `test result:` lines). Fails on a non-zero exit and when that line is missing, so a
/// runner that silently ran nothing cannot pass.
pub fn run_tests(cmd: &mut Command) -> Result<Counts> {
    let line = display(cmd);
    println!("$ {line}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(&line, &e))?;
    // Summed: cargo prints one result line per test binary, the JVM and Swift runners one.
    let mut last: Option<Counts> = None;
    if let Some(stdout) = child.stdout.take() {
        for out in BufReader::new(stdout).lines() {
            let out = out.context("reading test output")?;
            println!("{out}");
            if let Some(counts) = Counts::parse(&out).or_else(|| Counts::parse_cargo(&out)) {
                last = Some(last.map_or(counts, |sum| sum + counts));
            }
        }
    }
    let status = child.wait().context("waiting for the tests")?;
    match (status.success(), last) {
        (true, Some(counts)) => Ok(counts),
        (true, None) => Err("tests exited 0 but printed no `N passed, N failed` line".into()),
        (
            false,
            Some(Counts {
                passed: 0,
                failed: 0,
            }),
        ) => Err(format!("no tests ran ({status})")),
        (false, Some(counts)) => Err(format!("tests failed: {counts} ({status})")),
        (false, None) => Err(format!("tests failed before reporting counts ({status})")),
    }
}

fn spawn_error(line: &str, e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::NotFound {
        format!("`{line}`: program not found on PATH")
    } else {
        format!("`{line}`: could not start: {e}")
    }
}

/// The closing line both test runners (Kotlin and Swift) print: `N passed, N failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub passed: u32,
    pub failed: u32,
}

impl std::ops::Add for Counts {
    type Output = Counts;

    fn add(self, other: Counts) -> Counts {
        Counts {
            passed: self.passed + other.passed,
            failed: self.failed + other.failed,
        }
    }
}

impl Counts {
    /// cargo test's `test result: ok. 12 passed; 0 failed; 0 ignored; …` line.
    pub fn parse_cargo(line: &str) -> Option<Self> {
        let rest = line.trim().strip_prefix("test result: ")?;
        let (_, counts) = rest.split_once(". ")?;
        let mut parts = counts.split("; ");
        Some(Self {
            passed: parts.next()?.strip_suffix(" passed")?.parse().ok()?,
            failed: parts.next()?.strip_suffix(" failed")?.parse().ok()?,
        })
    }

    pub fn parse(line: &str) -> Option<Self> {
        let (passed, failed) = line.trim().split_once(", ")?;
        Some(Self {
            passed: passed.strip_suffix(" passed")?.parse().ok()?,
            failed: failed.strip_suffix(" failed")?.parse().ok()?,
        })
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)
    }
}

/// Every file under `dir` (recursively) whose name ends with `suffix`, sorted; empty if `dir`
/// does not exist.
pub fn files_with_suffix(dir: &Path, suffix: &str) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    if !dir.exists() {
        return Ok(found);
    }
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).context(format!("listing {}", dir.display()))? {
            let path = entry.context(format!("listing {}", dir.display()))?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.to_string_lossy().ends_with(suffix) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Copies one file, creating the destination's parent directories.
pub fn copy(from: &Path, to: &Path) -> Result {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).context(format!("creating {}", parent.display()))?;
    }
    std::fs::copy(from, to).map(drop).context(format!(
        "copying {} to {}",
        from.display(),
        to.display()
    ))
}

/// Removes a directory tree if present and recreates it empty, so no stale output survives.
pub fn fresh_dir(dir: &Path) -> Result {
    if dir.exists() {
        std::fs::remove_dir_all(dir).context(format!("removing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).context(format!("creating {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_counts_line() {
        assert_eq!(
            Counts::parse("12 passed, 0 failed"),
            Some(Counts {
                passed: 12,
                failed: 0
            })
        );
        assert_eq!(
            Counts::parse("  3 passed, 2 failed\r"),
            Some(Counts {
                passed: 3,
                failed: 2
            })
        );
    }

    #[test]
    fn parses_cargo_result_lines() {
        assert_eq!(
            Counts::parse_cargo(
                "test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.03s"
            ),
            Some(Counts {
                passed: 12,
                failed: 0
            })
        );
        assert_eq!(
            Counts::parse_cargo("test result: FAILED. 11 passed; 1 failed; 0 ignored"),
            Some(Counts {
                passed: 11,
                failed: 1
            })
        );
        assert_eq!(Counts::parse_cargo("test foo ... ok"), None);
        assert_eq!(
            Counts {
                passed: 1,
                failed: 2
            } + Counts {
                passed: 3,
                failed: 4
            },
            Counts {
                passed: 4,
                failed: 6
            }
        );
    }

    #[test]
    fn rejects_other_lines() {
        for line in [
            "",
            "OK (12 tests)",
            "12 passed",
            "x passed, 0 failed",
            "1 passed, -1 failed",
            "1 passed; 0 failed",
            "test result: ok. 1 passed; 0 failed",
        ] {
            assert_eq!(Counts::parse(line), None, "{line:?}");
        }
    }

    #[test]
    fn counts_round_trip_through_display() {
        let counts = Counts {
            passed: 7,
            failed: 1,
        };
        assert_eq!(Counts::parse(&counts.to_string()), Some(counts));
    }

    #[test]
    fn displays_commands_readably() {
        let mut cmd = Command::new("/usr/bin/java");
        cmd.args(["-cp", "a:b", "with space", ""]);
        assert_eq!(display(&cmd), "java -cp a:b 'with space' ''");
    }

    #[test]
    fn finds_files_recursively_and_sorted() {
        let dir = std::env::temp_dir().join(format!("xtask-files-{}", std::process::id()));
        fresh_dir(&dir.join("a/b")).unwrap();
        for f in ["a/b/Z.kt", "a/Y.kt", "a/notes.txt"] {
            std::fs::write(dir.join(f), "").unwrap();
        }
        let found = files_with_suffix(&dir, ".kt").unwrap();
        assert_eq!(found, vec![dir.join("a/Y.kt"), dir.join("a/b/Z.kt")]);
        assert!(
            files_with_suffix(&dir.join("missing"), ".kt")
                .unwrap()
                .is_empty()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
