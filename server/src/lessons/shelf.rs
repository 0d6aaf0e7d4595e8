//! The shelf: every published version of every pack, kept so a phone halfway through
//! downloading one version can finish it after a newer one is published.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use yannong_core::barn::api::PackCatalogue;
use yannong_core::lessons::TrustedKeys;

use super::ShelfError;
use super::optional::{store_optional, sweep_partials};
use super::stage::{STAGING_PREFIX, stage, sync_dir};
use super::stored::StoredVersion;

type Versions = BTreeMap<String, BTreeMap<u32, Arc<StoredVersion>>>;

#[derive(Debug, Default)]
pub struct Shelf {
    /// `None`: an empty shelf in memory (a platform that serves no packs).
    dir: Option<PathBuf>,
    keys: TrustedKeys,
    versions: RwLock<Versions>,
    /// One write at a time: two publishes of one version must not both move into place,
    /// nor two additions of one optional file both be written.
    writing: Mutex<()>,
}

impl Shelf {
    /// A shelf with no packs and no folder; publishing to it fails with
    /// [`ShelfError::NoFolder`].
    pub fn empty() -> Shelf {
        Shelf::default()
    }

    /// Opens (creating) the shelf kept in `dir`, accepting packs signed by `keys`. Every
    /// stored version is verified again (signature, files present), so a key dropped from
    /// `keys` stops its packs from being served; an unusable version fails the open rather
    /// than silently vanishing from the catalogue.
    pub fn open(dir: &Path, keys: TrustedKeys) -> Result<Shelf, ShelfError> {
        std::fs::create_dir_all(dir).map_err(|e| ShelfError::io(dir, e))?;
        let mut versions = Versions::new();
        for (name, path) in subdirs(dir)? {
            if name.starts_with(STAGING_PREFIX) {
                // A publish that never finished.
                std::fs::remove_dir_all(&path).map_err(|e| ShelfError::io(&path, e))?;
                continue;
            }
            if !is_pack_id(&name) {
                tracing::warn!(path = %path.display(), "not a pack folder, ignored");
                continue;
            }
            for (v, vpath) in subdirs(&path)? {
                let Some(version) = parse_version(&v) else {
                    tracing::warn!(path = %vpath.display(), "not a version folder, ignored");
                    continue;
                };
                sweep_partials(&vpath)?;
                let stored = StoredVersion::load(&vpath, &name, version, &keys)?;
                versions
                    .entry(name.clone())
                    .or_default()
                    .insert(version, Arc::new(stored));
            }
        }
        Ok(Shelf {
            dir: Some(dir.to_owned()),
            keys,
            versions: RwLock::new(versions),
            writing: Mutex::new(()),
        })
    }

    /// Verifies a `.ynpack` completely (signature, then every file against the manifest)
    /// and stores the version for serving. Publishing a version again with the same
    /// manifest is a no-op; another manifest under a published `(id, version)` is refused.
    /// Blocking: large archives take a while.
    pub fn publish(&self, archive: impl Read) -> Result<(String, u32), ShelfError> {
        let dir = self.dir.as_deref().ok_or(ShelfError::NoFolder)?;
        let _one_at_a_time = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let mut staged = stage(dir, &self.keys, archive)?;
        let manifest = &staged.verified.manifest;
        let (id, version) = (manifest.id.clone(), manifest.version);
        if let Some(existing) = self.version(&id, version) {
            return if existing.manifest_bytes == staged.verified.manifest_bytes {
                Ok((id, version))
            } else {
                Err(ShelfError::Conflict { id, version })
            };
        }
        let pack_dir = dir.join(&id);
        let target = pack_dir.join(version.to_string());
        std::fs::create_dir_all(&pack_dir).map_err(|e| ShelfError::io(&pack_dir, e))?;
        std::fs::rename(&staged.dir, &target).map_err(|e| ShelfError::io(&target, e))?;
        staged.moved = true;
        let stored = StoredVersion::new(
            target,
            staged.verified.manifest.clone(),
            std::mem::take(&mut staged.verified.manifest_bytes),
            &staged.verified.signature,
            &staged.archive_sha256,
            staged.archive_bytes,
            std::mem::take(&mut staged.optional_present),
        );
        self.versions
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(id.clone())
            .or_default()
            .insert(version, Arc::new(stored));
        // Served from now on (it is whole on disk); these make the rename itself durable.
        sync_dir(&pack_dir)?;
        sync_dir(dir)?;
        tracing::info!(pack = %id, version, "lesson pack published");
        Ok((id, version))
    }

    /// Adds optional file `path` (media, which the archive does not carry) to a published
    /// version and serves it from then on. The bytes are streamed to disk while hashed and
    /// kept only if they are the manifest entry's size and SHA-256; anything refused leaves
    /// nothing behind. Adding a file that is already there is a no-op (`data` is not read).
    /// Blocking: videos take a while.
    pub fn add_optional(
        &self,
        id: &str,
        version: u32,
        path: &str,
        data: impl Read,
    ) -> Result<(), ShelfError> {
        if self.dir.is_none() {
            return Err(ShelfError::NoFolder);
        }
        let stored = self
            .version(id, version)
            .ok_or_else(|| ShelfError::NotPublished {
                id: id.to_owned(),
                version,
            })?;
        let entry = stored
            .manifest
            .file(path)
            .filter(|e| e.optional)
            .ok_or_else(|| ShelfError::NotOptional {
                id: id.to_owned(),
                version,
                path: path.to_owned(),
            })?;
        let _one_at_a_time = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        if stored.has_optional(&entry.path) {
            return Ok(());
        }
        store_optional(stored.dir(), entry, data)?;
        stored.mark_optional(&entry.path);
        tracing::info!(pack = %id, version, path, "optional lesson file added");
        Ok(())
    }

    /// The newest version of each pack, by id.
    pub fn catalogue(&self) -> PackCatalogue {
        let versions = self.versions.read().unwrap_or_else(PoisonError::into_inner);
        PackCatalogue {
            packs: versions
                .values()
                .filter_map(|v| v.last_key_value())
                .map(|(_, stored)| stored.offer())
                .collect(),
        }
    }

    /// A published version, old or new.
    pub fn version(&self, id: &str, version: u32) -> Option<Arc<StoredVersion>> {
        let versions = self.versions.read().unwrap_or_else(PoisonError::into_inner);
        versions.get(id)?.get(&version).cloned()
    }

    pub fn is_empty(&self) -> bool {
        self.versions
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }
}

/// The folders in `dir`, by name (other entries are ignored).
fn subdirs(dir: &Path) -> Result<Vec<(String, PathBuf)>, ShelfError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| ShelfError::io(dir, e))? {
        let entry = entry.map_err(|e| ShelfError::io(dir, e))?;
        let path = entry.path();
        let is_dir = entry
            .file_type()
            .map_err(|e| ShelfError::io(&path, e))?
            .is_dir();
        match entry.file_name().into_string() {
            Ok(name) if is_dir => out.push((name, path)),
            _ => tracing::warn!(path = %path.display(), "not a pack folder, ignored"),
        }
    }
    out.sort();
    Ok(out)
}

/// Pack ids as the format allows them (1–64 of `a-z 0-9 -`).
pub(crate) fn is_pack_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A version as written in folder names and URLs: canonical decimal, at least 1.
pub(crate) fn parse_version(s: &str) -> Option<u32> {
    let v: u32 = s.parse().ok()?;
    (v >= 1 && v.to_string() == s).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_are_read_strictly() {
        assert!(is_pack_id("yannong-default"));
        assert!(!is_pack_id(""));
        assert!(!is_pack_id(".staging-00"));
        assert!(!is_pack_id("Pack"));
        assert!(!is_pack_id(&"a".repeat(65)));
        assert_eq!(parse_version("3"), Some(3));
        for bad in ["0", "03", "+3", "-1", "", "3 ", "4294967296"] {
            assert_eq!(parse_version(bad), None, "{bad:?}");
        }
    }
}
