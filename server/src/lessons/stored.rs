//! One published pack version as it lies on disk, and what its URLs serve.
//!
//! `<shelf>/<id>/<version>/` holds `manifest.json` and `manifest.sig` (the exact signed
//! bytes), `pack.ynpack` (the archive as published), `pack.sha256` (its hash, the archive's
//! ETag without reading 500 MB at every start) and `files/<path>` for every file it carried
//! or that was added later (optional media); `.partial-*` files are additions in progress.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock};

use sha2::{Digest, Sha256};
use yannong_core::barn::api::OfferedPack;
use yannong_core::lessons::{Manifest, TrustedKeys};

use super::ShelfError;

pub(super) const MANIFEST: &str = "manifest.json";
pub(super) const SIGNATURE: &str = "manifest.sig";
pub(super) const ARCHIVE: &str = "pack.ynpack";
pub(super) const ARCHIVE_SHA: &str = "pack.sha256";
pub(super) const FILES: &str = "files";

/// A verified, immutable pack version.
#[derive(Debug)]
pub struct StoredVersion {
    pub manifest: Manifest,
    /// The signed bytes: a second publish of the version must bring exactly these.
    pub(super) manifest_bytes: Vec<u8>,
    dir: PathBuf,
    manifest_etag: String,
    signature_etag: String,
    archive_etag: String,
    archive_bytes: u64,
    /// Optional files (media) that came in the archive or were added since
    /// (`Shelf::add_optional`); the others are not served. The one thing that changes.
    optional_present: RwLock<HashSet<String>>,
}

/// What a version URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item<'a> {
    Manifest,
    Signature,
    Archive,
    /// A file as the manifest lists it (`images/x.svg`).
    File(&'a str),
}

/// A file on disk ready to be served, with its strong validator.
#[derive(Debug, Clone)]
pub struct Served {
    pub path: PathBuf,
    /// Quoted SHA-256 of the bytes: the same on every platform node and after restarts.
    pub etag: String,
    /// `None`: guess from the file name.
    pub content_type: Option<&'static str>,
}

fn etag(sha256_hex: &str) -> String {
    format!("\"{sha256_hex}\"")
}

impl StoredVersion {
    /// The parts a publish just verified and wrote to `dir`.
    pub(super) fn new(
        dir: PathBuf,
        manifest: Manifest,
        manifest_bytes: Vec<u8>,
        signature: &[u8],
        archive_sha256: &str,
        archive_bytes: u64,
        optional_present: HashSet<String>,
    ) -> StoredVersion {
        StoredVersion {
            manifest_etag: etag(&hex::encode(Sha256::digest(&manifest_bytes))),
            signature_etag: etag(&hex::encode(Sha256::digest(signature))),
            archive_etag: etag(archive_sha256),
            dir,
            manifest,
            manifest_bytes,
            archive_bytes,
            optional_present: RwLock::new(optional_present),
        }
    }

    /// The version's folder.
    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether optional `path` is on disk and served.
    pub(super) fn has_optional(&self, path: &str) -> bool {
        self.optional_present
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(path)
    }

    /// Serves optional `path` from now on; it must be whole in `files/` already.
    pub(super) fn mark_optional(&self, path: &str) {
        self.optional_present
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(path.to_owned());
    }

    /// Loads a stored version and checks it again: the signature with today's trusted keys,
    /// that it sits in the folder its manifest names, and that every file is there with its
    /// size (hashing every file at each start would be too slow for large shelves).
    pub(super) fn load(
        dir: &Path,
        id: &str,
        version: u32,
        keys: &TrustedKeys,
    ) -> Result<StoredVersion, ShelfError> {
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map_err(|e| ShelfError::damaged(dir.join(name), e))
        };
        let manifest_bytes = read(MANIFEST)?;
        let signature = read(SIGNATURE)?;
        keys.verify(&manifest_bytes, &signature)
            .map_err(|e| ShelfError::damaged(dir, e))?;
        let manifest =
            Manifest::from_json(&manifest_bytes).map_err(|e| ShelfError::damaged(dir, e))?;
        if manifest.id != id || manifest.version != version {
            return Err(ShelfError::damaged(
                dir,
                format!(
                    "the manifest says {} version {}",
                    manifest.id, manifest.version
                ),
            ));
        }
        let size = |path: &Path| {
            std::fs::metadata(path)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len())
        };
        let mut optional_present = HashSet::new();
        for f in &manifest.files {
            let path = dir.join(FILES).join(&f.path);
            match size(&path) {
                Some(n) if n == f.size => {
                    if f.optional {
                        optional_present.insert(f.path.clone());
                    }
                }
                None if f.optional => {}
                _ => return Err(ShelfError::damaged(&path, "missing or of the wrong size")),
            }
        }
        let archive_bytes = size(&dir.join(ARCHIVE))
            .ok_or_else(|| ShelfError::damaged(dir.join(ARCHIVE), "missing"))?;
        let archive_sha = String::from_utf8(read(ARCHIVE_SHA)?).unwrap_or_default();
        let archive_sha = archive_sha.trim();
        if archive_sha.len() != 64 || !archive_sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ShelfError::damaged(dir.join(ARCHIVE_SHA), "not a SHA-256"));
        }
        Ok(StoredVersion::new(
            dir.to_owned(),
            manifest,
            manifest_bytes,
            &signature,
            &archive_sha.to_ascii_lowercase(),
            archive_bytes,
            optional_present,
        ))
    }

    /// The catalogue line of this version.
    pub fn offer(&self) -> OfferedPack {
        OfferedPack {
            id: self.manifest.id.clone(),
            version: self.manifest.version,
            title: self.manifest.title.clone(),
            lessons: self.manifest.lessons.len() as u32,
            required_bytes: self.manifest.required_bytes(),
            archive_bytes: self.archive_bytes,
        }
    }

    /// Where `item` lies on disk; `None` for a path the manifest does not list (or an
    /// optional file that was not published). Only manifest paths reach the file system, and
    /// those were checked to be plain relative paths when the manifest was verified.
    pub fn item(&self, item: Item<'_>) -> Option<Served> {
        let fixed = |name: &str, etag: &str, content_type| Served {
            path: self.dir.join(name),
            etag: etag.to_owned(),
            content_type: Some(content_type),
        };
        Some(match item {
            Item::Manifest => fixed(MANIFEST, &self.manifest_etag, "application/json"),
            Item::Signature => fixed(SIGNATURE, &self.signature_etag, "application/json"),
            Item::Archive => fixed(ARCHIVE, &self.archive_etag, "application/octet-stream"),
            Item::File(path) => {
                let entry = self.manifest.file(path)?;
                if entry.optional && !self.has_optional(path) {
                    return None;
                }
                Served {
                    path: self.dir.join(FILES).join(&entry.path),
                    etag: etag(&entry.sha256),
                    content_type: None,
                }
            }
        })
    }
}
