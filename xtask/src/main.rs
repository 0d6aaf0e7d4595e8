//! `cargo xtask <command>`: Yannong's build and test automation, in Rust so it runs the same
//! on every machine with cargo (the matrix-rust-sdk habit). See `cargo xtask help`.

// A CLI reports on stdout.
#![allow(clippy::print_stdout)]

mod android;
mod bindings;
mod cmd;
mod fuzz;
mod ios;
mod kotlin;
mod mobile;
mod pipeline;
mod pytest;
mod swift;
mod testpack;
mod tools;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [flags]

commands:
  test [--skip-models] [--skip-shells] [--skip-fuzz] [--skip-kotlin] [--skip-swift]
       [--skip-mobile] [--only=STEP]
             fmt, clippy, cargo test, the model-training pytest (models/train, in
             .venv-train), the syntax of the Android app and iOS samples (tests/shells, in
             .venv-shells), fuzz targets, Kotlin/JVM tests, Swift checks (Linux chroot),
             Android/iOS cross-checks; runs every step, prints a summary, fails if any
             failed; STEP is one of fmt clippy test models shells fuzz kotlin swift mobile
  fuzz [TARGET] [--seconds N] [--asan]
             run one fuzz target (or each) for N seconds (default 300) on stable, with
             AddressSanitizer if asked; see docs/fuzzing.md
  bindings [--release]
             build yannong-ffi and generate Kotlin and Swift into build/bindings/
  android    per-ABI .so files into android/core/src/main/jniLibs (needs cargo-ndk + NDK)
  ios        ios/YannongFFIFFI.xcframework (needs macOS with Xcode)
  bench      criterion benches of yannong-core, then the Kotlin FFI benchmark (release)
  help       this text";

#[derive(Debug, PartialEq, Eq)]
enum Task {
    Test(pipeline::Flags),
    Bindings {
        release: bool,
    },
    Fuzz {
        target: Option<String>,
        seconds: u32,
        asan: bool,
    },
    Android,
    Ios,
    Bench,
    Help,
}

fn main() -> ExitCode {
    // Started by cc-rs as the stand-in iOS C compiler (see mobile.rs), not by a user.
    if let Some(real_compiler) = std::env::var_os(mobile::SHIM_ENV) {
        return ExitCode::from(u8::try_from(mobile::cc_shim(real_compiler)).unwrap_or(1));
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = match parse(&args) {
        Ok(task) => task,
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match task {
        Task::Test(flags) => {
            return if pipeline::test(flags) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
        }
        Task::Bindings { release } => bindings::generate(release).map(drop),
        Task::Fuzz {
            target,
            seconds,
            asan,
        } => fuzz::fuzz(target.as_deref(), seconds, asan).map(|note| println!("\nfuzz: {note}")),
        Task::Android => android::build(),
        Task::Ios => ios::build(),
        Task::Bench => bench(),
        Task::Help => {
            println!("{USAGE}");
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench() -> cmd::Result {
    cmd::run(cmd::cargo().args([
        "bench",
        "-p",
        "yannong-core",
        "-p",
        "yannong-server",
        "-p",
        "yannong-e2e",
    ]))?;
    kotlin::bench()
}

fn parse(args: &[String]) -> Result<Task, String> {
    let Some((command, rest)) = args.split_first() else {
        return Ok(Task::Help);
    };
    if command == "fuzz" {
        return parse_fuzz(rest);
    }
    let mut flags: Vec<&str> = rest.iter().map(String::as_str).collect();
    // `take` removes `flag` if given; whatever remains afterwards is an error.
    let only = match flags.iter().position(|f| f.starts_with("--only=")) {
        Some(i) => {
            let name = &flags.remove(i)["--only=".len()..];
            match pipeline::STEPS.iter().find(|s| **s == name) {
                Some(step) => Some(*step),
                None => {
                    return Err(format!(
                        "--only= takes one of {}",
                        pipeline::STEPS.join(", ")
                    ));
                }
            }
        }
        None => None,
    };
    let mut take = |flag: &str| {
        let before = flags.len();
        flags.retain(|f| *f != flag);
        flags.len() != before
    };
    let task = match command.as_str() {
        "test" => Task::Test(pipeline::Flags {
            only,
            skip_models: take("--skip-models"),
            skip_shells: take("--skip-shells"),
            skip_fuzz: take("--skip-fuzz"),
            skip_kotlin: take("--skip-kotlin"),
            skip_swift: take("--skip-swift"),
            skip_mobile: take("--skip-mobile"),
        }),
        "bindings" => Task::Bindings {
            release: take("--release"),
        },
        "android" => Task::Android,
        "ios" => Task::Ios,
        "bench" => Task::Bench,
        "help" | "--help" | "-h" => Task::Help,
        other => return Err(format!("unknown command `{other}`")),
    };
    match flags.as_slice() {
        [] => Ok(task),
        rest => Err(format!("unexpected for `{command}`: {}", rest.join(" "))),
    }
}

/// `fuzz [TARGET] [--seconds N] [--asan]`.
fn parse_fuzz(args: &[String]) -> Result<Task, String> {
    let mut target = None;
    let mut seconds = fuzz::DEFAULT_SECONDS;
    let mut asan = false;
    let mut args = args.iter().map(String::as_str);
    while let Some(arg) = args.next() {
        if arg == "--asan" {
            asan = true;
            continue;
        }
        let value = match arg.strip_prefix("--seconds") {
            Some("") => args.next(),
            Some(rest) => rest.strip_prefix('='),
            None => {
                if target.is_some() || arg.starts_with('-') {
                    return Err(format!("unexpected for `fuzz`: {arg}"));
                }
                if !fuzz::TARGETS.contains(&arg) {
                    return Err(format!(
                        "no fuzz target `{arg}`; there are {}",
                        fuzz::TARGETS.join(", ")
                    ));
                }
                target = Some(arg.to_owned());
                continue;
            }
        };
        seconds = value
            .and_then(|v| v.parse().ok())
            .filter(|s| *s > 0)
            .ok_or("--seconds takes a whole number of seconds")?;
    }
    Ok(Task::Fuzz {
        target,
        seconds,
        asan,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(line: &str) -> Result<Task, String> {
        let args: Vec<String> = line.split_whitespace().map(String::from).collect();
        parse(&args)
    }

    #[test]
    fn parses_test_flags_in_any_order() {
        assert_eq!(
            parsed("test --skip-mobile --skip-swift"),
            Ok(Task::Test(pipeline::Flags {
                skip_models: false,
                skip_shells: false,
                skip_fuzz: false,
                skip_kotlin: false,
                skip_swift: true,
                skip_mobile: true,
                only: None,
            }))
        );
        assert_eq!(parsed("test"), Ok(Task::Test(pipeline::Flags::default())));
        assert_eq!(
            parsed("test --only=kotlin"),
            Ok(Task::Test(pipeline::Flags {
                only: Some("kotlin"),
                ..Default::default()
            }))
        );
        assert_eq!(
            parsed("test --skip-models"),
            Ok(Task::Test(pipeline::Flags {
                skip_models: true,
                ..Default::default()
            }))
        );
        assert_eq!(
            parsed("test --only=models"),
            Ok(Task::Test(pipeline::Flags {
                only: Some("models"),
                ..Default::default()
            }))
        );
        assert!(parsed("test --only=cobol").is_err());
        assert_eq!(
            parsed("test --skip-fuzz --only=fuzz"),
            Ok(Task::Test(pipeline::Flags {
                skip_fuzz: true,
                only: Some("fuzz"),
                ..Default::default()
            }))
        );
    }

    #[test]
    fn parses_fuzz_runs() {
        let fuzz = |target: Option<&str>, seconds, asan| Task::Fuzz {
            target: target.map(String::from),
            seconds,
            asan,
        };
        assert_eq!(parsed("fuzz"), Ok(fuzz(None, fuzz::DEFAULT_SECONDS, false)));
        assert_eq!(
            parsed("fuzz lesson_pack --seconds 60"),
            Ok(fuzz(Some("lesson_pack"), 60, false))
        );
        assert_eq!(
            parsed("fuzz --asan --seconds=5 push_payload"),
            Ok(fuzz(Some("push_payload"), 5, true))
        );
        for bad in [
            "fuzz nothing",
            "fuzz --seconds",
            "fuzz --seconds 0",
            "fuzz --seconds x",
            "fuzz lesson_pack push_payload",
            "fuzz --jobs 2",
        ] {
            assert!(parsed(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_other_commands() {
        assert_eq!(
            parsed("bindings --release"),
            Ok(Task::Bindings { release: true })
        );
        assert_eq!(parsed("bindings"), Ok(Task::Bindings { release: false }));
        assert_eq!(parsed("android"), Ok(Task::Android));
        assert_eq!(parsed(""), Ok(Task::Help));
    }

    #[test]
    fn rejects_unknown_commands_and_flags() {
        assert!(parsed("deploy").is_err());
        let err = parsed("test --skip-everything").unwrap_err();
        assert!(err.contains("--skip-everything"), "{err}");
        assert!(parsed("android --release").is_err());
    }
}
