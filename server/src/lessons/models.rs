//! Leaf-check models the platform offers phones: signed model folders (`manifest.json`,
//! `manifest.sig`, the model file) verified at publish and again at start, each version kept
//! in `<dir>/v<N>/` and served like a lesson pack's files (immutable URLs, byte ranges).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use sha2::{Digest, Sha256};
use yannong_core::barn::api::{ModelCatalogue, OfferedModel};
use yannong_core::leaf::model::{MANIFEST_FILE, ModelManifest, SIGNATURE_FILE};
use yannong_core::lessons::{PackError, TrustedKeys};

use super::stage::sync_dir;
use super::{Served, ShelfError};

/// One published version.
#[derive(Debug)]
struct Published {
    dir: PathBuf,
    manifest: ModelManifest,
    manifest_etag: String,
    signature_etag: String,
}

/// Every published model version, newest offered.
#[derive(Debug, Default)]
pub struct PublishedModels {
    dir: Option<PathBuf>,
    keys: TrustedKeys,
    versions: RwLock<BTreeMap<u32, Arc<Published>>>,
    writing: Mutex<()>,
}

fn etag(bytes: &[u8]) -> String {
    format!("\"{}\"", hex::encode(Sha256::digest(bytes)))
}

/// Reads and verifies a model folder: trusted signature, valid manifest, and (when `hash`)
/// the model file's size and SHA-256; at start only the size, as the lesson shelf does.
fn read_folder(
    dir: &Path,
    keys: &TrustedKeys,
    hash: bool,
) -> Result<(ModelManifest, Vec<u8>, Vec<u8>), ShelfError> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| ShelfError::io(&path, e))
    };
    let (manifest_bytes, signature) = (read(MANIFEST_FILE)?, read(SIGNATURE_FILE)?);
    keys.verify(&manifest_bytes, &signature)?;
    let manifest = ModelManifest::from_json(&manifest_bytes)
        .map_err(|e| PackError::Malformed(e.to_string()))?;
    let model = dir.join(&manifest.model_file);
    let len = std::fs::metadata(&model)
        .map_err(|e| ShelfError::io(&model, e))?
        .len();
    if len != manifest.size {
        return Err(ShelfError::WrongSize {
            path: manifest.model_file.clone(),
            expected: manifest.size,
        });
    }
    if hash && hex::encode(Sha256::digest(read(&manifest.model_file)?)) != manifest.sha256 {
        return Err(ShelfError::WrongSha256 {
            path: manifest.model_file.clone(),
        });
    }
    Ok((manifest, manifest_bytes, signature))
}

impl PublishedModels {
    /// No models, no folder (a platform that offers none).
    pub fn empty() -> PublishedModels {
        PublishedModels::default()
    }

    /// Opens (creating) `dir`; every stored version must still verify.
    pub fn open(dir: &Path, keys: TrustedKeys) -> Result<PublishedModels, ShelfError> {
        std::fs::create_dir_all(dir).map_err(|e| ShelfError::io(dir, e))?;
        let mut versions = BTreeMap::new();
        for entry in std::fs::read_dir(dir).map_err(|e| ShelfError::io(dir, e))? {
            let path = entry.map_err(|e| ShelfError::io(dir, e))?.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            if name.as_deref().is_some_and(|n| n.starts_with(".staging")) {
                std::fs::remove_dir_all(&path).map_err(|e| ShelfError::io(&path, e))?;
                continue;
            }
            let Some(version) = name
                .as_deref()
                .and_then(|n| n.strip_prefix('v'))
                .and_then(|v| v.parse::<u32>().ok())
            else {
                continue;
            };
            let (manifest, m, s) =
                read_folder(&path, &keys, false).map_err(|e| ShelfError::damaged(&path, e))?;
            if manifest.version != version {
                return Err(ShelfError::damaged(
                    &path,
                    "folder and manifest versions differ",
                ));
            }
            versions.insert(version, Arc::new(published(path, manifest, &m, &s)));
        }
        Ok(PublishedModels {
            dir: Some(dir.to_owned()),
            keys,
            versions: RwLock::new(versions),
            writing: Mutex::new(()),
        })
    }

    /// Verifies a signed model folder completely and stores its version. Publishing the same
    /// manifest again is a no-op; another manifest under a published version is refused.
    pub fn publish(&self, from: &Path) -> Result<u32, ShelfError> {
        let dir = self.dir.as_deref().ok_or(ShelfError::NoFolder)?;
        let (manifest, m, s) = read_folder(from, &self.keys, true)?;
        let _write = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let version = manifest.version;
        if let Some(existing) = self.versions().get(&version) {
            return if existing.manifest_etag == etag(&m) {
                Ok(version)
            } else {
                Err(ShelfError::Conflict {
                    id: manifest.name,
                    version,
                })
            };
        }
        let staging = dir.join(format!(".staging-v{version}"));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging).map_err(|e| ShelfError::io(&staging, e))?;
        for name in [MANIFEST_FILE, SIGNATURE_FILE, manifest.model_file.as_str()] {
            let to = staging.join(name);
            std::fs::copy(from.join(name), &to).map_err(|e| ShelfError::io(&to, e))?;
            std::fs::File::open(&to)
                .and_then(|f| f.sync_all())
                .map_err(|e| ShelfError::io(&to, e))?;
        }
        let target = dir.join(format!("v{version}"));
        std::fs::rename(&staging, &target).map_err(|e| ShelfError::io(&target, e))?;
        sync_dir(dir)?;
        self.versions
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(version, Arc::new(published(target, manifest, &m, &s)));
        Ok(version)
    }

    fn versions(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<u32, Arc<Published>>> {
        self.versions.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The newest version.
    pub fn catalogue(&self) -> ModelCatalogue {
        let models = self
            .versions()
            .values()
            .next_back()
            .map(|p| OfferedModel {
                name: p.manifest.name.clone(),
                version: p.manifest.version,
                size: p.manifest.size,
                sha256: p.manifest.sha256.clone(),
            })
            .into_iter()
            .collect();
        ModelCatalogue { models }
    }

    /// A file of a version: `manifest.json`, `manifest.sig` or `model`.
    pub fn served(&self, version: u32, file: &str) -> Option<Served> {
        let p = self.versions().get(&version)?.clone();
        let (name, etag, kind) = match file {
            MANIFEST_FILE => (MANIFEST_FILE, p.manifest_etag.clone(), "application/json"),
            SIGNATURE_FILE => (SIGNATURE_FILE, p.signature_etag.clone(), "application/json"),
            "model" => (
                p.manifest.model_file.as_str(),
                format!("\"{}\"", p.manifest.sha256),
                "application/octet-stream",
            ),
            _ => return None,
        };
        Some(Served {
            path: p.dir.join(name),
            etag,
            content_type: Some(kind),
        })
    }
}

fn published(dir: PathBuf, manifest: ModelManifest, m: &[u8], s: &[u8]) -> Published {
    Published {
        dir,
        manifest,
        manifest_etag: etag(m),
        signature_etag: etag(s),
    }
}
