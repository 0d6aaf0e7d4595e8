//! Publishing one archive: verify it while copying it into a staging folder inside the
//! shelf, so that moving the finished version into place is one rename and a crash at any
//! moment leaves the version whole or absent (leftover staging folders are swept on open).

use std::collections::{BTreeSet, HashSet};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use yannong_core::lessons::{FileEntry, PackError, PackReader, TrustedKeys, VerifiedPack};

use super::ShelfError;
use super::stored::{ARCHIVE, ARCHIVE_SHA, FILES, MANIFEST, SIGNATURE};

pub(super) const STAGING_PREFIX: &str = ".staging-";
/// The largest archive accepted: a pack's files (512 MiB at most by the format) plus its
/// manifest and the tar headers of up to 5 000 files.
pub(super) const MAX_ARCHIVE_BYTES: u64 = 530 * 1024 * 1024;

/// A staging folder, deleted when dropped unless it was moved into place.
#[derive(Debug)]
pub(super) struct Staging {
    pub dir: PathBuf,
    pub verified: VerifiedPack,
    pub archive_sha256: String,
    pub archive_bytes: u64,
    pub optional_present: HashSet<String>,
    pub moved: bool,
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.moved {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Deletes a staging folder that never got verified.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.0.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Verifies `archive` completely and writes the version's folder under `shelf`.
pub(super) fn stage(
    shelf: &Path,
    keys: &TrustedKeys,
    archive: impl Read,
) -> Result<Staging, ShelfError> {
    let dir = random_name(shelf, STAGING_PREFIX)?;
    std::fs::create_dir(&dir).map_err(|e| ShelfError::io(&dir, e))?;
    let mut scratch = Scratch(dir.clone());

    let archive_path = dir.join(ARCHIVE);
    let out = File::create(&archive_path).map_err(|e| ShelfError::io(&archive_path, e))?;
    let mut tee = Tee {
        inner: archive,
        out: io::BufWriter::new(out),
        hasher: Sha256::new(),
        len: 0,
        failure: None,
        path: archive_path.clone(),
    };
    let files_dir = dir.join(FILES);
    std::fs::create_dir(&files_dir).map_err(|e| ShelfError::io(&files_dir, e))?;
    let mut dirs = BTreeSet::from([dir.clone(), files_dir.clone()]);
    let mut optional_present = HashSet::new();
    let mut sink_failure = None;
    let read = PackReader::new(keys).read(&mut tee, |entry: &FileEntry, data: &[u8]| {
        let path = files_dir.join(&entry.path);
        match write_synced(&path, data, &mut dirs) {
            Ok(()) => {
                if entry.optional {
                    optional_present.insert(entry.path.clone());
                }
                Ok(())
            }
            Err(e) => {
                sink_failure = Some(e);
                // Stops the reader; the real cause is reported below.
                Err(PackError::Malformed("could not store a file".into()))
            }
        }
    });
    // Our own disk or the size cap, not the pack, is to blame for these.
    if let Some(e) = sink_failure.or(tee.failure.take()) {
        return Err(e);
    }
    let verified = read?;
    // The tar reader stops at the end-of-archive blocks; the stored copy is the whole input.
    let drained = io::copy(&mut tee, &mut io::sink());
    if let Some(e) = tee.failure.take() {
        return Err(e);
    }
    drained.map_err(|e| ShelfError::io(&archive_path, e))?;
    let Tee {
        out, hasher, len, ..
    } = tee;
    let out = out
        .into_inner()
        .map_err(|e| ShelfError::io(&archive_path, e.into_error()))?;
    out.sync_all()
        .map_err(|e| ShelfError::io(&archive_path, e))?;
    let archive_sha256 = hex::encode(hasher.finalize());

    write_synced(&dir.join(MANIFEST), &verified.manifest_bytes, &mut dirs)?;
    write_synced(&dir.join(SIGNATURE), &verified.signature, &mut dirs)?;
    write_synced(&dir.join(ARCHIVE_SHA), archive_sha256.as_bytes(), &mut dirs)?;
    for d in dirs.iter().rev() {
        sync_dir(d)?;
    }
    scratch.0 = PathBuf::new();
    Ok(Staging {
        dir,
        verified,
        archive_sha256,
        archive_bytes: len,
        optional_present,
        moved: false,
    })
}

/// `<dir>/<prefix><16 random hex digits>`: a name no one else is using.
pub(super) fn random_name(dir: &Path, prefix: &str) -> Result<PathBuf, ShelfError> {
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix)
        .map_err(|e| ShelfError::io(dir, io::Error::other(e.to_string())))?;
    Ok(dir.join(format!("{prefix}{}", hex::encode(suffix))))
}

/// Writes and fsyncs a file, creating its folders (remembered in `dirs` to fsync them too).
fn write_synced(path: &Path, data: &[u8], dirs: &mut BTreeSet<PathBuf>) -> Result<(), ShelfError> {
    if let Some(parent) = path.parent()
        && !dirs.contains(parent)
    {
        std::fs::create_dir_all(parent).map_err(|e| ShelfError::io(parent, e))?;
        for a in parent.ancestors() {
            if !dirs.insert(a.to_owned()) {
                break;
            }
        }
    }
    let mut f = File::create(path).map_err(|e| ShelfError::io(path, e))?;
    f.write_all(data).map_err(|e| ShelfError::io(path, e))?;
    f.sync_all().map_err(|e| ShelfError::io(path, e))
}

/// Makes a folder's entries (new files, a rename) durable.
pub(super) fn sync_dir(dir: &Path) -> Result<(), ShelfError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| ShelfError::io(dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Copies what the pack reader reads into the stored archive, hashing and counting it.
struct Tee<R> {
    inner: R,
    out: io::BufWriter<File>,
    hasher: Sha256,
    len: u64,
    /// Why reading was stopped, when it was not the archive's fault.
    failure: Option<ShelfError>,
    path: PathBuf,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.len += n as u64;
        if self.len > MAX_ARCHIVE_BYTES {
            self.failure = Some(ShelfError::TooLarge {
                limit: MAX_ARCHIVE_BYTES,
            });
            return Err(io::Error::other("archive too large"));
        }
        self.hasher.update(&buf[..n]);
        if let Err(e) = self.out.write_all(&buf[..n]) {
            let kind = e.kind();
            self.failure = Some(ShelfError::io(&self.path, e));
            return Err(io::Error::new(kind, "could not store the archive"));
        }
        Ok(n)
    }
}
