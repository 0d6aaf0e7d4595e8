//! Barn camera pictures on the phone: each JPEG is downloaded once, checked against the
//! SHA-256 its metadata announced, and kept in a folder beside the store under a size cap,
//! least recently viewed dropped first. `barn_images.cached` says which files are whole; a
//! file without that mark (a crash between write and mark, a wiped account) is swept.

use std::fs;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::BarnError;
use super::api::{ImageId, ImageMeta};
use crate::Timestamp;
use crate::fsutil::write_atomic;
use crate::store::{Store, StoreError};

/// About 600 simulated barn pictures, or a few hundred real ones: a technician's recent views
/// of every barn, small next to what a phone keeps for one chat app.
pub const DEFAULT_CAP_BYTES: u64 = 32 * 1024 * 1024;
const FOLDER: &str = "barn-pictures";
/// A temporary file younger than this may belong to a download still running.
const TMP_GRACE: std::time::Duration = std::time::Duration::from_secs(120);

#[derive(Debug, Clone)]
pub struct PictureCache {
    dir: PathBuf,
    cap_bytes: u64,
}

impl PictureCache {
    /// The cache of `store`, in a folder beside its database file.
    pub fn beside(store: &Store, cap_bytes: u64) -> PictureCache {
        let parent = store.path().parent().unwrap_or(Path::new("."));
        PictureCache {
            dir: parent.join(FOLDER),
            cap_bytes,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file(&self, id: ImageId) -> PathBuf {
        self.dir.join(format!("{}.jpg", id.0))
    }

    /// The cached JPEG of `meta`, if whole; marks it as just viewed. A damaged or missing file
    /// is forgotten, so the caller downloads it again.
    pub fn get(
        &self,
        store: &Store,
        meta: &ImageMeta,
        now: Timestamp,
    ) -> Result<Option<Vec<u8>>, BarnError> {
        if !store.read(|c| is_cached(c, meta.id))? {
            return Ok(None);
        }
        match fs::read(self.file(meta.id)) {
            Ok(bytes) if matches(meta, &bytes) => {
                store.write(|tx| {
                    tx.execute(
                        "UPDATE barn_images SET last_used = ?2 WHERE id = ?1",
                        params![meta.id.0, now.0],
                    )?;
                    Ok::<_, BarnError>(())
                })?;
                Ok(Some(bytes))
            }
            _ => {
                tracing::warn!(
                    image = meta.id.0,
                    "cached barn picture damaged; fetching again"
                );
                store.write(|tx| uncache(tx, &[meta.id]))?;
                let _ = fs::remove_file(self.file(meta.id));
                Ok(None)
            }
        }
    }

    /// Keeps freshly downloaded `bytes` of `meta` after checking them, then trims the cache to
    /// its cap (never dropping this picture).
    pub fn put(
        &self,
        store: &Store,
        meta: &ImageMeta,
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<(), BarnError> {
        if !matches(meta, bytes) {
            return Err(BarnError::Integrity(format!(
                "picture {} does not match its announced size and SHA-256",
                meta.id
            )));
        }
        if bytes.len() as u64 > self.cap_bytes {
            return Ok(()); // Shown once, not kept: it would push everything else out.
        }
        let path = self.file(meta.id);
        write_atomic(&path, bytes)
            .map_err(|source| BarnError::Store(StoreError::Io { path, source }))?;
        let marked = store.write(|tx| {
            Ok::<_, BarnError>(tx.execute(
                "UPDATE barn_images SET cached = 1, last_used = ?2 WHERE id = ?1",
                params![meta.id.0, now.0],
            )?)
        })?;
        if marked == 0 {
            // The barn left this account's view while downloading.
            let _ = fs::remove_file(self.file(meta.id));
        }
        self.trim(store)
    }

    /// Drops the least recently viewed pictures until the cache fits its cap, and files the
    /// store does not mark as cached.
    pub fn trim(&self, store: &Store) -> Result<(), BarnError> {
        let cached: Vec<(i64, u64)> = store.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, bytes FROM barn_images WHERE cached = 1 ORDER BY last_used DESC, id DESC",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, u32>(1)?.into())))?;
            Ok::<_, BarnError>(rows.collect::<Result<Vec<_>, _>>()?)
        })?;
        let mut total = 0u64;
        let mut drop = Vec::new();
        for &(id, bytes) in &cached {
            total += bytes;
            if total > self.cap_bytes {
                drop.push(ImageId(id));
            }
        }
        if !drop.is_empty() {
            store.write(|tx| uncache(tx, &drop))?;
        }
        let keep: std::collections::HashSet<String> = cached
            .iter()
            .filter(|(id, _)| !drop.contains(&ImageId(*id)))
            .map(|(id, _)| format!("{id}.jpg"))
            .collect();
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Ok(()); // No folder yet: nothing cached.
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // Another download may be writing its temporary file right now.
            let in_flight = name.ends_with(".tmp")
                && entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t.elapsed().is_ok_and(|age| age < TMP_GRACE));
            if !keep.contains(name.as_ref()) && !in_flight {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(())
    }

    /// Bytes the cache holds on disk.
    pub fn size(&self) -> u64 {
        fs::read_dir(&self.dir).map_or(0, |entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
    }
}

fn matches(meta: &ImageMeta, bytes: &[u8]) -> bool {
    bytes.len() as u64 == u64::from(meta.bytes)
        && hex::encode(Sha256::digest(bytes)).eq_ignore_ascii_case(&meta.sha256)
}

fn is_cached(c: &Connection, id: ImageId) -> Result<bool, BarnError> {
    Ok(c.query_row(
        "SELECT cached FROM barn_images WHERE id = ?1",
        [id.0],
        |r| r.get::<_, bool>(0),
    )
    .optional()?
    .unwrap_or(false))
}

fn uncache(c: &Connection, ids: &[ImageId]) -> Result<(), BarnError> {
    let mut stmt = c.prepare_cached("UPDATE barn_images SET cached = 0 WHERE id = ?1")?;
    for id in ids {
        stmt.execute([id.0])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
