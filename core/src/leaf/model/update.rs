//! Fetching a newer leaf model from the platform: signed manifest first, then the model file
//! with byte ranges (a dropped transfer resumes, also after the app was killed), then the
//! shelf's verified install. The lesson downloader's file fetch does the transfer.

use std::sync::Arc;

use thiserror::Error;

use super::{ModelError, ModelShelf};
use crate::barn::api::{OfferedModel, paths};
use crate::barn::client::PlatformClient;
use crate::barn::{BarnError, ClientConfig};
use crate::cancel::{Cancel, cancelled};
use crate::lessons::FileEntry;
use crate::lessons::download::fetch;
use crate::lessons::download::progress::{Meter, SharedMeter};
use crate::lessons::download::space::available;
use crate::lessons::download::{DownloadError, DownloadOptions, DownloadPhase, DownloadProgress};

/// Why an update did not happen; the model in use is unchanged.
#[derive(Debug, Error)]
pub enum UpdateError {
    #[error(transparent)]
    Download(#[from] DownloadError),
    #[error(transparent)]
    Model(#[from] ModelError),
}

impl From<BarnError> for UpdateError {
    fn from(e: BarnError) -> Self {
        UpdateError::Download(e.into())
    }
}

/// Checks the platform for a newer model and installs it on a [`ModelShelf`].
#[derive(Debug)]
pub struct ModelUpdater {
    client: PlatformClient,
    options: DownloadOptions,
}

impl ModelUpdater {
    pub fn new(config: &ClientConfig, options: DownloadOptions) -> Result<Self, BarnError> {
        Ok(ModelUpdater {
            client: PlatformClient::new(config)?,
            options,
        })
    }

    /// The newest model the platform offers, if any.
    pub async fn offered(&self) -> Result<Option<OfferedModel>, UpdateError> {
        let catalogue = self.client.leaf_models().await?;
        Ok(catalogue.models.into_iter().max_by_key(|m| m.version))
    }

    /// Installs the offered model when it is newer than the one in use; returns its version,
    /// or `None` when there was nothing newer. Load the model again afterwards.
    pub async fn update(
        &self,
        shelf: &Arc<ModelShelf>,
        progress: &mut (dyn FnMut(&DownloadProgress) + Send),
        cancel: &Cancel,
    ) -> Result<Option<u32>, UpdateError> {
        let Some(offer) = self.offered().await? else {
            return Ok(None);
        };
        if shelf.active().is_some_and(|a| a.version >= offer.version) {
            return Ok(None);
        }
        let file = |name| paths::leaf_model_file(offer.version, name);
        let manifest = self.client.lesson_bytes(&file("manifest.json")).await?;
        let signature = self.client.lesson_bytes(&file("manifest.sig")).await?;
        let parsed = shelf.verify(&manifest, &signature)?;
        if parsed.version != offer.version {
            return Err(ModelError::Manifest(format!(
                "offered v{} but its manifest says v{}",
                offer.version, parsed.version
            ))
            .into());
        }
        let to = shelf.download_path(parsed.version);
        let have = std::fs::metadata(&to).map_or(0, |m| m.len());
        // The install copies the file beside its download before deleting it.
        let needed = (parsed.size - have.min(parsed.size)) + parsed.size + self.options.keep_free;
        if let Some(free) = available(shelf.root())
            && free < needed
        {
            return Err(DownloadError::NoSpace {
                needed,
                available: free,
            }
            .into());
        }
        let mut meter = Meter::new(&parsed.name, parsed.version, progress);
        meter.start(parsed.version, have, parsed.size);
        let entry = FileEntry {
            path: parsed.model_file.clone(),
            size: parsed.size,
            sha256: parsed.sha256.clone(),
            optional: false,
        };
        let url = file("model");
        fetch::file(
            &self.client,
            &self.options,
            &url,
            &to,
            &entry,
            &SharedMeter::new(&mut meter),
            cancel,
        )
        .await?;
        if cancelled(cancel) {
            return Err(DownloadError::Cancelled.into());
        }
        meter.phase(DownloadPhase::Installing);
        let (shelf, to2) = (Arc::clone(shelf), to.clone());
        let installed =
            tokio::task::spawn_blocking(move || shelf.install(&manifest, &signature, &to2))
                .await
                .map_err(|e| ModelError::Io(format!("install task: {e}")))??;
        meter.phase(DownloadPhase::Done);
        Ok(Some(installed))
    }
}
