//! Adding an optional file (media) to a published version: the archive does not carry it,
//! so it arrives alone and is checked against its manifest entry before it is served.
//! It is written to a `.partial-*` file in the version folder and renamed into `files/`
//! only once whole and verified, so a crash leaves the file absent, never half there
//! (leftover partials are swept on open).

use std::fs::File;
use std::io::{BufWriter, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use yannong_core::lessons::FileEntry;

use super::ShelfError;
use super::stage::{random_name, sync_dir};
use super::stored::FILES;

pub(super) const PARTIAL_PREFIX: &str = ".partial-";

/// Streams `data` into the version folder `dir` while hashing it and moves it to
/// `files/<path>` if it is exactly `entry`'s bytes; otherwise leaves nothing behind.
pub(super) fn store_optional(
    dir: &Path,
    entry: &FileEntry,
    data: impl Read,
) -> Result<(), ShelfError> {
    let partial = random_name(dir, PARTIAL_PREFIX)?;
    let mut guard = Partial(Some(partial.clone()));
    let file = File::create(&partial).map_err(|e| ShelfError::io(&partial, e))?;
    let mut out = BufWriter::new(file);
    let mut hasher = Sha256::new();
    // One byte past the size is enough to know it is too long: the rest is never read.
    let mut data = data.take(entry.size.saturating_add(1));
    let mut buf = vec![0u8; 64 * 1024];
    let mut len = 0u64;
    loop {
        let n = match data.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(ShelfError::io(&entry.path, e)),
        };
        len += n as u64;
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(|e| ShelfError::io(&partial, e))?;
    }
    if len != entry.size {
        return Err(ShelfError::WrongSize {
            path: entry.path.clone(),
            expected: entry.size,
        });
    }
    if hex::encode(hasher.finalize()) != entry.sha256 {
        return Err(ShelfError::WrongSha256 {
            path: entry.path.clone(),
        });
    }
    out.into_inner()
        .map_err(|e| ShelfError::io(&partial, e.into_error()))?
        .sync_all()
        .map_err(|e| ShelfError::io(&partial, e))?;

    let target = dir.join(FILES).join(&entry.path);
    let parent = target.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent).map_err(|e| ShelfError::io(parent, e))?;
    std::fs::rename(&partial, &target).map_err(|e| ShelfError::io(&target, e))?;
    guard.0 = None;
    // The rename and any folders it needed, up to the version folder, made durable.
    for d in parent.ancestors().take_while(|d| d.starts_with(dir)) {
        sync_dir(d)?;
    }
    Ok(())
}

/// Removes the `.partial-*` files an interrupted addition left in version folder `dir`.
pub(super) fn sweep_partials(dir: &Path) -> Result<(), ShelfError> {
    for entry in std::fs::read_dir(dir).map_err(|e| ShelfError::io(dir, e))? {
        let entry = entry.map_err(|e| ShelfError::io(dir, e))?;
        if entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(PARTIAL_PREFIX))
        {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(|e| ShelfError::io(&path, e))?;
        }
    }
    Ok(())
}

/// Deletes a partial file that was not moved into place.
struct Partial(Option<PathBuf>);

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(path) = &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}
