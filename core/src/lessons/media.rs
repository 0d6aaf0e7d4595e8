//! Optional media (audio, video) of an installed pack: not in the archive, fetched on request
//! into the live version's folder, checked against the signed manifest, kept across updates
//! that did not change it, and removable to free space.
//!
//! A fetch in progress is `<path>~part` beside where the file goes (`~` never appears in a
//! pack path, so it cannot collide); it is renamed into place once its SHA-256 matches.

use std::fs;
use std::path::{Path, PathBuf};

use super::error::PackError;
use super::library::{LessonLibrary, LibraryError, io};
use super::manifest::{FileEntry, MANIFEST_PATH, Manifest};
use crate::fsutil::sync_dir;

/// An optional file of an installed pack, and whether it is on the phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    pub path: String,
    pub size: u64,
    pub downloaded: bool,
}

impl LessonLibrary {
    /// The optional files of the live version of `pack_id`.
    pub fn media(&self, pack_id: &str) -> Result<Vec<MediaFile>, LibraryError> {
        let m = self.live_manifest(pack_id)?;
        let dir = self.version_dir(pack_id, m.version);
        Ok(m.files
            .iter()
            .filter(|f| f.optional)
            .map(|f| MediaFile {
                downloaded: present(&dir.join(&f.path), f),
                path: f.path.clone(),
                size: f.size,
            })
            .collect())
    }

    /// Where a downloaded optional file lies, for a media player (which streams it from
    /// disk; its SHA-256 was checked when it arrived, its size is checked now).
    pub fn media_path(&self, pack_id: &str, path: &str) -> Result<PathBuf, LibraryError> {
        let m = self.live_manifest(pack_id)?;
        let f = optional_entry(&m, path)?;
        let full = self.version_dir(pack_id, m.version).join(&f.path);
        if !present(&full, f) {
            return Err(LibraryError::NotInstalled(format!("{pack_id}/{path}")));
        }
        Ok(full)
    }

    /// Deletes a downloaded optional file (and any partial fetch of it) to free space: from
    /// the version kept for rollback too, which shares its bytes after an update (optional
    /// files can be fetched again after a rollback).
    pub fn remove_media(&self, pack_id: &str, path: &str) -> Result<(), LibraryError> {
        let _changing = self.changing();
        let m = self.live_manifest(pack_id)?;
        optional_entry(&m, path)?;
        let full = self.version_dir(pack_id, m.version).join(path);
        let previous = self.versions(pack_id)?.and_then(|(_, p)| p);
        // Only where that version lists it as optional too: a required file stays.
        let kept = previous
            .map(|p| self.version_dir(pack_id, p))
            .filter(|dir| {
                fs::read(dir.join(MANIFEST_PATH))
                    .ok()
                    .and_then(|b| Manifest::from_json(&b).ok())
                    .is_some_and(|old| optional_entry(&old, path).is_ok())
            })
            .map(|dir| dir.join(path));
        for p in [Some(full.clone()), Some(partial(&full)), kept]
            .into_iter()
            .flatten()
        {
            match fs::remove_file(&p) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&p)(e)),
                _ => {}
            }
        }
        Ok(())
    }

    /// The live version, the manifest entry and where a fetch of optional `path` appends.
    pub(super) fn media_target(
        &self,
        pack_id: &str,
        path: &str,
    ) -> Result<(u32, FileEntry, PathBuf), LibraryError> {
        let m = self.live_manifest(pack_id)?;
        let f = optional_entry(&m, path)?.clone();
        let full = self.version_dir(pack_id, m.version).join(&f.path);
        Ok((m.version, f, partial(&full)))
    }

    /// Moves a complete fetch, whose SHA-256 the download checked, into place if `version`
    /// is still live (an update may have replaced it meanwhile: then it is dropped).
    pub(super) fn add_media(
        &self,
        pack_id: &str,
        version: u32,
        f: &FileEntry,
        fetched: &Path,
    ) -> Result<PathBuf, LibraryError> {
        let _changing = self.changing();
        if self.live_version(pack_id)? != Some(version) {
            let _ = fs::remove_file(fetched);
            return Err(LibraryError::NotInstalled(format!("{pack_id} v{version}")));
        }
        if !present(fetched, f) {
            let _ = fs::remove_file(fetched);
            return Err(PackError::Mismatch {
                path: f.path.clone(),
                reason: "not the size the signed manifest gives".into(),
            }
            .into());
        }
        let to = self.version_dir(pack_id, version).join(&f.path);
        fs::rename(fetched, &to).map_err(io(&to))?;
        if let Some(parent) = to.parent() {
            sync_dir(parent);
        }
        Ok(to)
    }

    /// Copies into `staging` the optional files of `new` that the live version has on the
    /// phone with the same bytes, so an update does not make the farmer fetch a video again.
    pub(super) fn carry_media(&self, new: &Manifest, staging: &Path) -> Result<(), LibraryError> {
        let Some(live) = self.live_version(&new.id)? else {
            return Ok(());
        };
        let old = self.live_manifest(&new.id)?;
        let old_dir = self.version_dir(&new.id, live);
        for f in new.files.iter().filter(|f| f.optional) {
            let Some(had) = old
                .files
                .iter()
                .find(|o| o.optional && o.sha256 == f.sha256)
            else {
                continue;
            };
            let from = old_dir.join(&had.path);
            if !present(&from, had) {
                continue;
            }
            let to = staging.join(&f.path);
            if let Some(parent) = to.parent() {
                fs::create_dir_all(parent).map_err(io(parent))?;
            }
            // A link: the old version's folder goes at the next update, the bytes stay.
            if fs::hard_link(&from, &to).is_err() {
                fs::copy(&from, &to).map_err(io(&to))?;
            }
        }
        Ok(())
    }
}

fn optional_entry<'m>(m: &'m Manifest, path: &str) -> Result<&'m FileEntry, LibraryError> {
    m.files
        .iter()
        .find(|f| f.optional && f.path == path)
        .ok_or_else(|| LibraryError::NoLesson {
            pack: m.id.clone(),
            lesson: path.to_owned(),
        })
}

fn present(full: &Path, f: &FileEntry) -> bool {
    fs::metadata(full).is_ok_and(|m| m.len() == f.size)
}

fn partial(full: &Path) -> PathBuf {
    let mut name = full.as_os_str().to_owned();
    name.push("~part");
    PathBuf::from(name)
}
