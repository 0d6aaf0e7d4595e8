//! Model updates on the phone: signed versions installed beside the model the app ships,
//! switched by rewriting one small pointer file, and rolled back the same way.
//!
//! ```text
//! <root>/current            {"version": 3, "previous": 2}   (atomic replace)
//! <root>/v3/manifest.json   manifest.sig   leaf.nnef.tar   (complete before `current` names it)
//! <root>/.staging-v4/       an install in progress (swept on open)
//! ```
//! Nothing is trusted before the signature over `manifest.json` verified with a key the app
//! ships, the file matched the manifest's size and SHA-256, and tract prepared it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::ModelError;
use super::manifest::ModelManifest;
use super::runner::{LeafModel, MANIFEST_FILE};
use crate::fsutil::{sync_dir, write_atomic, write_synced};
use crate::lessons::TrustedKeys;

/// The detached signature beside an installed manifest (the lesson packs' format).
pub const SIGNATURE_FILE: &str = "manifest.sig";
const POINTER_FILE: &str = "current";
const STAGING_PREFIX: &str = ".staging-v";
const DOWNLOAD_PREFIX: &str = ".download-v";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Pointer {
    version: u32,
    previous: Option<u32>,
}

/// Where the model in use comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// Shipped inside the app.
    Bundled,
    /// A signed update from the platform.
    Installed,
}

/// The model to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveModel {
    pub dir: PathBuf,
    pub version: u32,
    pub source: ModelSource,
}

/// Installed model versions in one folder, with the app's bundled model as the floor.
#[derive(Debug)]
pub struct ModelShelf {
    root: PathBuf,
    keys: TrustedKeys,
    bundled: Option<PathBuf>,
    /// One install or rollback at a time; readers need no lock (the pointer is replaced whole).
    change: Mutex<()>,
}

fn io(what: &Path) -> impl Fn(std::io::Error) -> ModelError + '_ {
    move |e| ModelError::Io(format!("{}: {e}", what.display()))
}

impl ModelShelf {
    /// Opens (creating) the shelf and sweeps what an interrupted install left behind.
    pub fn open(
        root: &Path,
        keys: TrustedKeys,
        bundled: Option<PathBuf>,
    ) -> Result<ModelShelf, ModelError> {
        std::fs::create_dir_all(root).map_err(io(root))?;
        let shelf = ModelShelf {
            root: root.to_path_buf(),
            keys,
            bundled,
            change: Mutex::new(()),
        };
        shelf.sweep()?;
        Ok(shelf)
    }

    /// Where an update's model file is downloaded to (kept across restarts to resume).
    pub fn download_path(&self, version: u32) -> PathBuf {
        self.root.join(format!("{DOWNLOAD_PREFIX}{version}"))
    }

    /// The folder the shelf lives in (free-space checks).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Checks an offered manifest before its model is fetched: trusted signature, valid,
    /// newer than the model in use.
    pub fn verify(&self, manifest: &[u8], signature: &[u8]) -> Result<ModelManifest, ModelError> {
        self.keys
            .verify(manifest, signature)
            .map_err(|e| ModelError::Integrity(format!("model update signature: {e}")))?;
        let parsed = ModelManifest::from_json(manifest)?;
        if let Some(active) = self.active()
            && parsed.version <= active.version
        {
            return Err(ModelError::Manifest(format!(
                "version {} is not newer than the model in use (v{})",
                parsed.version, active.version
            )));
        }
        Ok(parsed)
    }

    fn version_dir(&self, version: u32) -> PathBuf {
        self.root.join(format!("v{version}"))
    }

    fn pointer(&self) -> Option<Pointer> {
        let bytes = std::fs::read(self.root.join(POINTER_FILE)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    fn bundled_version(&self) -> Option<u32> {
        let dir = self.bundled.as_ref()?;
        let bytes = std::fs::read(dir.join(MANIFEST_FILE)).ok()?;
        ModelManifest::from_json(&bytes).ok().map(|m| m.version)
    }

    /// The model the app should use: the installed version if any, else the bundled one.
    /// A bundled model newer than every installed one (the app was updated) wins.
    pub fn active(&self) -> Option<ActiveModel> {
        let installed = self.pointer().map(|p| ActiveModel {
            dir: self.version_dir(p.version),
            version: p.version,
            source: ModelSource::Installed,
        });
        let bundled = self.bundled.as_ref().and_then(|dir| {
            self.bundled_version().map(|version| ActiveModel {
                dir: dir.clone(),
                version,
                source: ModelSource::Bundled,
            })
        });
        match (installed, bundled) {
            (Some(i), Some(b)) if b.version > i.version => Some(b),
            (Some(i), _) => Some(i),
            (None, b) => b,
        }
    }

    /// Loads the active model. An installed version that no longer loads (damaged on disk) is
    /// passed over for the previous one, then the bundled one: the farmer keeps a working check.
    pub fn load(&self) -> Result<(LeafModel, ActiveModel), ModelError> {
        let mut candidates: Vec<ActiveModel> = self.active().into_iter().collect();
        if let Some(prev) = self.pointer().and_then(|p| p.previous) {
            candidates.push(ActiveModel {
                dir: self.version_dir(prev),
                version: prev,
                source: ModelSource::Installed,
            });
        }
        if let (Some(dir), Some(version)) = (&self.bundled, self.bundled_version()) {
            candidates.push(ActiveModel {
                dir: dir.clone(),
                version,
                source: ModelSource::Bundled,
            });
        }
        let mut last = ModelError::Io("no model installed and none bundled".into());
        for c in candidates {
            match LeafModel::load(&c.dir) {
                Ok(m) => return Ok((m, c)),
                Err(e) => {
                    tracing::warn!(dir = %c.dir.display(), error = %e, "leaf model unusable");
                    last = e;
                }
            }
        }
        Err(last)
    }

    /// Verifies and installs a version: `manifest` and `signature` as the platform served
    /// them, `model_file` the downloaded model file (copied in, then deleted). The version must
    /// be newer than the active one. Returns the version.
    pub fn install(
        &self,
        manifest: &[u8],
        signature: &[u8],
        model_file: &Path,
    ) -> Result<u32, ModelError> {
        let _guard = self.change.lock().unwrap_or_else(|p| p.into_inner());
        let parsed = self.verify(manifest, signature)?;
        let model = std::fs::read(model_file).map_err(io(model_file))?;
        // Checks size, SHA-256 and that tract can prepare it, before anything is switched.
        LeafModel::from_parts(parsed.clone(), &model)?;
        let staging = self
            .root
            .join(format!("{STAGING_PREFIX}{}", parsed.version));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging).map_err(io(&staging))?;
        for (name, bytes) in [
            (MANIFEST_FILE, manifest),
            (SIGNATURE_FILE, signature),
            (parsed.model_file.as_str(), &model[..]),
        ] {
            let path = staging.join(name);
            write_synced(&path, bytes).map_err(io(&path))?;
        }
        sync_dir(&staging);
        let target = self.version_dir(parsed.version);
        let _ = std::fs::remove_dir_all(&target);
        std::fs::rename(&staging, &target).map_err(io(&target))?;
        sync_dir(&self.root);
        let previous = self.pointer().map(|p| p.version);
        self.write_pointer(Pointer {
            version: parsed.version,
            previous,
        })?;
        let _ = std::fs::remove_file(model_file);
        self.sweep()?;
        tracing::info!(version = parsed.version, "leaf model installed");
        Ok(parsed.version)
    }

    /// Goes back to the version before the last install (or to the bundled model when there
    /// was none). The version rolled back from is deleted. Returns the version now active.
    pub fn rollback(&self) -> Result<u32, ModelError> {
        let _guard = self.change.lock().unwrap_or_else(|p| p.into_inner());
        let Some(p) = self.pointer() else {
            return Err(ModelError::Manifest(
                "no installed model update to roll back".into(),
            ));
        };
        match p.previous {
            Some(prev) => {
                // The previous copy must still be whole before the app depends on it.
                LeafModel::load(&self.version_dir(prev))?;
                self.write_pointer(Pointer {
                    version: prev,
                    previous: None,
                })?;
            }
            None => {
                let path = self.root.join(POINTER_FILE);
                std::fs::remove_file(&path).map_err(io(&path))?;
                sync_dir(&self.root);
            }
        }
        self.sweep()?;
        self.active()
            .map(|a| a.version)
            .ok_or_else(|| ModelError::Io("no model left after rollback".into()))
    }

    fn write_pointer(&self, p: Pointer) -> Result<(), ModelError> {
        let path = self.root.join(POINTER_FILE);
        let bytes = serde_json::to_vec(&p).map_err(|e| ModelError::Io(e.to_string()))?;
        write_atomic(&path, &bytes).map_err(io(&path))
    }

    /// Deletes staging folders, versions the pointer no longer names, and downloads of
    /// versions that are no longer newer than the model in use.
    fn sweep(&self) -> Result<(), ModelError> {
        let active = self.active().map_or(0, |a| a.version);
        let keep: Vec<String> = self
            .pointer()
            .map(|p| [Some(p.version), p.previous])
            .into_iter()
            .flatten()
            .flatten()
            .map(|v| format!("v{v}"))
            .collect();
        for entry in std::fs::read_dir(&self.root).map_err(io(&self.root))? {
            let entry = entry.map_err(io(&self.root))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let stale_download = name
                .strip_prefix(DOWNLOAD_PREFIX)
                .is_some_and(|v| v.parse::<u32>().map_or(true, |v| v <= active));
            if stale_download {
                let _ = std::fs::remove_file(entry.path());
                continue;
            }
            let ours = name.starts_with(STAGING_PREFIX)
                || (name.starts_with('v') && name[1..].parse::<u32>().is_ok());
            if ours && !keep.contains(&name) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        Ok(())
    }
}
