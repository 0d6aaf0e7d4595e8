//! The signed lesson pack the Kotlin and Swift tests install: `content/default` built with a
//! throw-away signing key into `build/test-pack/`, by the real CLI (`yannong lessons …`).
//!
//! The key is made once and kept (`keygen` refuses to overwrite it); the pack is rebuilt on
//! every run, which is fast and gives the same bytes for the same content and key. The CLI
//! comes from `bindings::generate`'s build (a `cargo run` here would resolve features for
//! the CLI alone and rebuild the core).

use std::path::{Path, PathBuf};

use crate::cmd::{self, Context, Result};

const DIR: &str = "build/test-pack";
const CONTENT: &str = "content/default";

/// A built pack and the public key that verifies it.
#[derive(Debug)]
pub struct TestPack {
    /// Absolute path of the `.ynpack` file.
    pub pack: PathBuf,
    /// The Ed25519 public key, 64 hex digits.
    pub public_key: String,
}

/// Makes the signing key if missing, rebuilds the pack with the CLI binary `cli_bin`, and
/// returns both.
pub fn build(cli_bin: &Path) -> Result<TestPack> {
    let cli = || cmd::command(cli_bin);
    let root = cmd::root();
    let dir = root.join(DIR);
    std::fs::create_dir_all(&dir).context(format!("creating {}", dir.display()))?;
    let key = dir.join("signing.key");
    let public_file = dir.join("public.key");
    let pack = dir.join("default.ynpack");

    if !key.exists() {
        let made = cmd::stdout(cli().args(["lessons", "keygen", "--out"]).arg(&key));
        match made {
            Ok(out) => {
                let public = public_key_in(&out, "public key ")
                    .ok_or_else(|| format!("`lessons keygen` printed no public key: {out:?}"))?;
                write_public_key(&public_file, &public)?;
            }
            // Another run made the key between the check and keygen (create_new refused).
            Err(_) if key.exists() => {}
            Err(e) => return Err(e),
        }
    }

    // Written next to the pack and renamed, so a concurrent run never reads half a file.
    let partial = dir.join(format!("default.ynpack.{}.partial", std::process::id()));
    let built = cmd::stdout(
        cli()
            .args(["lessons", "build", CONTENT, "--key"])
            .arg(&key)
            .arg("--out")
            .arg(&partial),
    );
    let out = built.inspect_err(|_| {
        let _ = std::fs::remove_file(&partial);
    })?;
    std::fs::rename(&partial, &pack).context(format!(
        "renaming {} to {}",
        partial.display(),
        pack.display()
    ))?;
    // The build names its signer: the one source of truth for the key the tests must trust,
    // even if public.key went missing or a keygen was interrupted.
    let public_key = public_key_in(&out, "signed by public key ")
        .ok_or_else(|| format!("`lessons build` did not name its public key: {out:?}"))?;
    let recorded = std::fs::read_to_string(&public_file).unwrap_or_default();
    if recorded.trim() != public_key {
        write_public_key(&public_file, &public_key)?;
    }
    println!("test pack: {} (public key {public_key})", pack.display());
    Ok(TestPack { pack, public_key })
}

fn write_public_key(path: &Path, key: &str) -> Result {
    std::fs::write(path, format!("{key}\n")).context(format!("writing {}", path.display()))
}

/// The 64 hex digits after `prefix` at the start of one of `output`'s lines.
fn public_key_in(output: &str, prefix: &str) -> Option<String> {
    output.lines().find_map(|line| {
        let key = line.trim().strip_prefix(prefix)?.trim();
        (key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit())).then(|| key.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "9f2c6b0e6a4f1d3c8b7a6e5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a291";

    #[test]
    fn finds_the_public_key_in_keygen_and_build_output() {
        assert_eq!(
            public_key_in(&format!("public key {KEY}\n"), "public key "),
            Some(KEY.to_owned())
        );
        let build = format!(
            "yannong-default v1: 25 lessons, 40 files, 123 bytes → x.ynpack\nsigned by public key {KEY}\n"
        );
        assert_eq!(
            public_key_in(&build, "signed by public key "),
            Some(KEY.to_owned())
        );
    }

    #[test]
    fn rejects_anything_but_64_hex_digits() {
        for out in [
            "",
            "public key abc",
            &format!("public key {KEY}0"),
            &format!("public key {}", KEY.replace('9', "g")),
            &format!("the public key {KEY}"),
        ] {
            assert_eq!(public_key_in(out, "public key "), None, "{out:?}");
        }
    }
}
