//! The optional files of a built pack, written beside its archive as `<archive>.media/`,
//! laid out by manifest path: they are not in the archive, and the platform publishes them
//! from there (`yannong-server --publish FILE.ynpack` also reads `FILE.ynpack.media/`).

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use yannong_core::lessons::Manifest;

use crate::Result;

/// The media folder that belongs to the archive at `archive`.
pub fn media_dir(archive: &Path) -> PathBuf {
    let mut name = archive.as_os_str().to_owned();
    name.push(".media");
    PathBuf::from(name)
}

/// Writes `<archive>.media/` with the pack's optional files copied from `content_dir`, or
/// removes a stale one when the pack has none. A reader never sees a half-written folder:
/// it is filled under another name and renamed into place. Returns the folder, its file
/// count and bytes, or `None` when the pack has no optional files.
pub fn write_media(
    archive: &Path,
    manifest: &Manifest,
    content_dir: &Path,
) -> Result<Option<(PathBuf, usize, u64)>> {
    let target = media_dir(archive);
    let sources = manifest.optional_sources(content_dir);
    if sources.is_empty() {
        // An old folder would be published along with a pack that has no such files.
        remove_if_present(&target)?;
        return Ok(None);
    }
    let partial = sibling(&target, "partial")?;
    let mut guard = Removed(Some(partial.clone()));
    let mut bytes = 0;
    for (entry, source) in &sources {
        let dest = partial.join(&entry.path);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        let (size, sha256) = copy_hashed(source, &dest)?;
        // The folder may have changed since the manifest was signed: such a copy would be
        // refused by the platform, so refuse it here, where it can be fixed.
        if size != entry.size || sha256 != entry.sha256 {
            return Err(format!(
                "{} changed while the pack was built; build again",
                source.display()
            )
            .into());
        }
        bytes += size;
    }
    // Directory renames do not replace a non-empty folder: move the old one aside first.
    if target.exists() {
        let old = sibling(&target, "old")?;
        std::fs::rename(&target, &old)
            .map_err(|e| format!("cannot move {} aside: {e}", target.display()))?;
        std::fs::rename(&partial, &target)
            .map_err(|e| format!("cannot create {}: {e}", target.display()))?;
        remove_if_present(&old)?;
    } else {
        std::fs::rename(&partial, &target)
            .map_err(|e| format!("cannot create {}: {e}", target.display()))?;
    }
    guard.0 = None;
    Ok(Some((target, sources.len(), bytes)))
}

/// Copies `from` to `to` (synced), returning its size and SHA-256 as hex.
fn copy_hashed(from: &Path, to: &Path) -> Result<(u64, String)> {
    let mut input = File::open(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    let out = File::create(to).map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    let mut tee = HashingWriter {
        out: io::BufWriter::new(out),
        hasher: Sha256::new(),
    };
    let size = io::copy(&mut input, &mut tee)
        .map_err(|e| format!("cannot copy {}: {e}", from.display()))?;
    let out = tee
        .out
        .into_inner()
        .map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    out.sync_all()
        .map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    Ok((size, hex::encode(tee.hasher.finalize())))
}

struct HashingWriter {
    out: io::BufWriter<File>,
    hasher: Sha256,
}

impl Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// `<target>.<what>-<random>`: beside the target (same file system, so renames work) and
/// never taken for it.
fn sibling(target: &Path, what: &str) -> Result<PathBuf> {
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).map_err(|e| format!("no randomness: {e}"))?;
    let mut name = target.as_os_str().to_owned();
    name.push(format!(".{what}-{}", hex::encode(suffix)));
    Ok(PathBuf::from(name))
}

fn remove_if_present(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            Err(format!("cannot remove {}: {e}", dir.display()).into())
        }
        _ => Ok(()),
    }
}

/// Removes a folder left half-written by a failed build.
struct Removed(Option<PathBuf>);

impl Drop for Removed {
    fn drop(&mut self) {
        if let Some(dir) = &self.0 {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
