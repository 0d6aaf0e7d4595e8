//! Installing a version that was downloaded file by file (`lessons::download`): the files it
//! fetched plus the unchanged ones of the live version, verified again and switched in the
//! same way as an archive.

use std::fs;
use std::io;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::archive::VerifiedPack;
use super::error::PackError;
use super::library::{InstallOutcome, LessonLibrary, LibraryError, io};
use super::manifest::{FileEntry, MANIFEST_PATH, SIGNATURE_PATH};
use crate::fsutil::write_synced;

/// Inside a download folder: the fetched files, by manifest path.
pub(super) const FILES: &str = "files";

impl LessonLibrary {
    /// Installs the version in download folder `dir` (`manifest.json`, `manifest.sig`,
    /// `files/<path>`). A file not fetched is taken from the live version when that has the
    /// same bytes. Everything is re-checked against the signed manifest first; a fetched file
    /// that fails is deleted (so the next download fetches it again) and nothing changes.
    /// On success the download folder is gone (swept as superseded).
    pub(super) fn install_fetched(&self, dir: &Path) -> Result<InstallOutcome, LibraryError> {
        let _changing = self.changing();
        let read = |name: &str| {
            let p = dir.join(name);
            fs::read(&p).map_err(io(&p))
        };
        let pack = self.verify_signed(read(MANIFEST_PATH)?, read(SIGNATURE_PATH)?)?;
        let staging = self.new_staging();
        let result = self
            .stage_fetched(&pack, dir, &staging)
            .and_then(|()| self.commit(pack, &staging));
        let _ = fs::remove_dir_all(&staging);
        // On success the sweep after the switch removed the download folder already.
        result
    }

    fn stage_fetched(
        &self,
        pack: &VerifiedPack,
        dir: &Path,
        staging: &Path,
    ) -> Result<(), LibraryError> {
        let live = match self.live_version(&pack.manifest.id)? {
            Some(_) => Some(self.live_manifest(&pack.manifest.id)?),
            None => None,
        };
        for f in pack.manifest.files.iter().filter(|f| !f.optional) {
            let to = staging.join(&f.path);
            let fetched = dir.join(FILES).join(&f.path);
            if fetched.exists() {
                if let Err(e) = check_file(&fetched, f) {
                    let _ = fs::remove_file(&fetched);
                    return Err(e);
                }
                link_or_copy(&fetched, &to).map_err(io(&to))?;
                continue;
            }
            // Unchanged since the live version (same bytes, maybe renamed): read and check it
            // there, so a file damaged on the phone is not carried into the new version.
            let same = live
                .as_ref()
                .and_then(|m| m.files.iter().find(|l| l.sha256 == f.sha256 && !l.optional));
            let (Some(m), Some(old)) = (live.as_ref(), same) else {
                return Err(PackError::Missing(f.path.clone()).into());
            };
            // Missing counts as damaged: either way the downloader fetches it instead.
            let bytes = self
                .read_verified(&m.id, m, &old.path)
                .map_err(|e| match e {
                    LibraryError::Io { .. } => LibraryError::Damaged(old.path.clone()),
                    e => e,
                })?;
            write_synced(&to, &bytes).map_err(io(&to))?;
        }
        Ok(())
    }
}

/// A fetched file is whole and the manifest's: size first (cheap), then SHA-256.
fn check_file(path: &Path, f: &FileEntry) -> Result<(), LibraryError> {
    let bytes = fs::read(path).map_err(io(path))?;
    let mismatch = |reason: String| PackError::Mismatch {
        path: f.path.clone(),
        reason,
    };
    if bytes.len() as u64 != f.size {
        return Err(mismatch(format!("{} bytes, manifest says {}", bytes.len(), f.size)).into());
    }
    if hex::encode(Sha256::digest(&bytes)) != f.sha256 {
        return Err(mismatch("SHA-256 differs".into()).into());
    }
    Ok(())
}

/// A hard link costs no space and keeps the download intact until the switch; where links
/// are not possible the bytes are copied. Either way the staged file is synced.
fn link_or_copy(from: &Path, to: &Path) -> io::Result<()> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)?;
    }
    if fs::hard_link(from, to).is_err() {
        fs::copy(from, to)?;
    }
    fs::File::open(to)?.sync_all()
}
