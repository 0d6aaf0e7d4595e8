//! `yannong lessons …`: build, sign and verify lesson packs.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use yannong_core::lessons::{PackReader, PackSigner, TrustedKeys, build_pack};

use crate::Result;
use crate::pack_media::write_media;

#[derive(Subcommand)]
pub enum LessonsCommand {
    /// Turn a content folder into a signed pack (same input, same bytes).
    Build {
        /// The content folder (pack.toml, lessons/, images/, media/).
        dir: PathBuf,
        /// File holding the 32-byte Ed25519 signing seed as 64 hex digits.
        #[arg(long)]
        key: PathBuf,
        /// Where to write the pack (default: ./<id>-v<version>.ynpack). Optional files
        /// (media/) are not in it: they go to the folder `<pack>.media/`, by manifest path.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check a pack's signature and every file against its manifest.
    Verify {
        pack: PathBuf,
        /// Trusted public key(s), 64 hex digits each.
        #[arg(long = "public-key", required = true)]
        public_keys: Vec<String>,
    },
    /// Make a new signing key (keep it secret; ship the public key in the app).
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(cmd: LessonsCommand) -> Result<()> {
    match cmd {
        LessonsCommand::Build { dir, key, out } => {
            let seed = std::fs::read_to_string(&key)
                .map_err(|e| format!("cannot read the key {}: {e}", key.display()))?;
            let signer = PackSigner::from_seed_hex(&seed)?;
            let (manifest, archive) = build_pack(&dir, &signer)?;
            let out = out.unwrap_or_else(|| {
                PathBuf::from(format!("{}-v{}.ynpack", manifest.id, manifest.version))
            });
            std::fs::write(&out, &archive)
                .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            println!(
                "{} v{}: {} lessons, {} files, {} bytes → {}",
                manifest.id,
                manifest.version,
                manifest.lessons.len(),
                manifest.files.len(),
                archive.len(),
                out.display()
            );
            // After the archive: a crash in between leaves old media beside the new archive,
            // which `--publish` refuses (the manifest's hashes) rather than serves.
            if let Some((media, count, bytes)) = write_media(&out, &manifest, &dir)? {
                println!(
                    "{count} optional files, {bytes} bytes, not in the archive → {}",
                    media.display()
                );
            }
            println!("signed by public key {}", signer.public_key_hex());
            Ok(())
        }
        LessonsCommand::Verify { pack, public_keys } => {
            let keys = TrustedKeys::from_hex(public_keys.iter().map(String::as_str))?;
            let file = std::fs::File::open(&pack)
                .map_err(|e| format!("cannot open {}: {e}", pack.display()))?;
            let verified =
                PackReader::new(&keys).read(std::io::BufReader::new(file), |_, _| Ok(()))?;
            let m = verified.manifest;
            println!(
                "{} v{} ({}) verified: {}",
                m.id, m.version, m.language, m.title.zh
            );
            for l in &m.lessons {
                println!("  {:<28} {}", l.id, l.title.zh);
            }
            Ok(())
        }
        LessonsCommand::Keygen { out } => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| format!("no randomness: {e}"))?;
            write_secret(&out, &hex::encode(seed))?;
            println!(
                "public key {}",
                PackSigner::from_seed(seed).public_key_hex()
            );
            Ok(())
        }
    }
}

/// Writes a secret readable only by its owner (where the platform has permissions).
fn write_secret(path: &Path, text: &str) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path).map_err(|e| {
        format!(
            "cannot create {} (it must not exist yet): {e}",
            path.display()
        )
    })?;
    std::io::Write::write_all(&mut f, format!("{text}\n").as_bytes())?;
    Ok(())
}
