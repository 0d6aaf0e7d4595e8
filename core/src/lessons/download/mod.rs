//! Downloading a pack version from the platform, file by file (a few at once) with byte
//! ranges: only the files the live version lacks, resumed where an earlier try stopped (a
//! dropped connection, a killed app), with progress and cancellation; free space is checked
//! before the first file, and the signed manifest and every file's SHA-256 before anything is
//! installed.
//!
//! What is fetched waits in `<library>/.downloads/<id>-v<version>/` (`manifest.json`,
//! `manifest.sig`, `files/…`): the next try continues from there, and the library sweeps it
//! once that version (or a newer one) is live.

pub(crate) mod fetch;
pub(crate) mod progress;
pub(crate) mod space;

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use progress::{DownloadPhase, DownloadProgress};

use super::archive::VerifiedPack;
use super::error::PackError;
use super::fetched::FILES;
use super::library::{InstallOutcome, LessonLibrary, LibraryError};
use super::manifest::{FileEntry, MANIFEST_PATH, SIGNATURE_PATH};
use crate::barn::api::{OfferedPack, PackCatalogue, paths};
use crate::barn::client::PlatformClient;
use crate::barn::{BarnError, ClientConfig};
use crate::cancel::{Cancel, cancelled};
use crate::fsutil::write_synced;
use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use progress::{Meter, SharedMeter};

#[derive(Debug, Clone)]
pub struct DownloadOptions {
    /// Bytes to leave free on the phone beyond what the pack needs (photos, the system).
    pub keep_free: u64,
    /// Tries per file after the connection drops with nothing received, before giving up
    /// (what arrived is kept; the next download resumes from it).
    pub attempts: u32,
    /// First wait before a retry; it doubles (with jitter) up to 5 minutes.
    pub first_retry: Duration,
    /// Files fetched at once (at least 1). Most lesson files are a few kilobytes, so on a
    /// rural link the round trips, not the bytes, make a download slow.
    pub parallel: usize,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions {
            keep_free: 32 * 1024 * 1024,
            attempts: 8,
            first_retry: Duration::from_secs(1),
            parallel: 4,
        }
    }
}

/// Why a download stopped. What was fetched is kept for the next try unless said otherwise;
/// the installed packs are unchanged.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("the platform offers no lesson pack `{0}`")]
    NotOffered(String),
    #[error("not enough space: the pack needs {needed} bytes, {available} are free")]
    NoSpace { needed: u64, available: u64 },
    /// Network, TLS, or the platform refused (after the retries).
    #[error(transparent)]
    Platform(#[from] BarnError),
    /// The signature, a file's size or SHA-256, or the install failed. A fetched file that
    /// failed its check was deleted.
    #[error(transparent)]
    Library(#[from] LibraryError),
    #[error("cancelled")]
    Cancelled,
}

impl From<PackError> for DownloadError {
    fn from(e: PackError) -> Self {
        DownloadError::Library(e.into())
    }
}

/// What a finished download did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadReport {
    pub outcome: InstallOutcome,
    /// Bytes that came over the network in this call.
    pub fetched_bytes: u64,
    /// Bytes an earlier, interrupted download had left and this one kept.
    pub resumed_bytes: u64,
    /// Files fetched (wholly or partly) in this call.
    pub fetched_files: u32,
    /// Files taken unchanged from the live version instead of the network.
    pub reused_files: u32,
}

#[derive(Debug, Clone)]
pub struct PackDownloader {
    client: PlatformClient,
    options: DownloadOptions,
}

impl PackDownloader {
    pub fn new(config: &ClientConfig, options: DownloadOptions) -> Result<Self, BarnError> {
        Ok(PackDownloader {
            client: PlatformClient::new(config)?,
            options,
        })
    }

    pub async fn catalogue(&self) -> Result<PackCatalogue, DownloadError> {
        Ok(self.client.lesson_catalogue().await?)
    }

    /// Packs the platform offers that are not installed or newer than the installed version.
    pub async fn updates(&self, lib: &LessonLibrary) -> Result<Vec<OfferedPack>, DownloadError> {
        let mut out = Vec::new();
        for p in self.catalogue().await?.packs {
            if lib.live_version(&p.id)?.is_none_or(|v| v < p.version) {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// Brings pack `pack_id` to the version the platform offers and installs it. Progress
    /// goes to `progress`; raising `cancel` stops at the next chunk (kept for resuming).
    pub async fn download(
        &self,
        lib: &Arc<LessonLibrary>,
        pack_id: &str,
        progress: &mut (dyn FnMut(&DownloadProgress) + Send),
        cancel: &Cancel,
    ) -> Result<DownloadReport, DownloadError> {
        let mut meter = Meter::new(pack_id, 0, progress);
        meter.phase(DownloadPhase::Checking);
        let catalogue = self.catalogue().await?;
        let offered = catalogue
            .packs
            .iter()
            .find(|p| p.id == pack_id)
            .ok_or_else(|| DownloadError::NotOffered(pack_id.to_owned()))?;
        let version = offered.version;
        if let Some(live) = lib.live_version(pack_id)?.filter(|v| *v >= version) {
            meter.phase(DownloadPhase::Done);
            return Ok(DownloadReport {
                outcome: InstallOutcome::AlreadyInstalled {
                    id: pack_id.to_owned(),
                    version: live,
                },
                fetched_bytes: 0,
                resumed_bytes: 0,
                fetched_files: 0,
                reused_files: 0,
            });
        }
        let dir = lib.download_dir(pack_id, version);
        let pack = self.signed_manifest(lib, &dir, pack_id, version).await?;

        // Files the live version was to lend but has damaged on disk: fetched instead.
        let mut damaged = HashSet::new();
        let mut fetched_bytes = 0;
        let mut resumed_bytes = None;
        let (outcome, plan) = loop {
            let plan = Plan::new(lib, &pack, &dir, &damaged)?;
            // What an earlier call left, not what this one fetched before a re-plan.
            resumed_bytes.get_or_insert(plan.present);
            self.check_space(&dir, &plan)?;
            meter.start(version, plan.present, plan.fetch_bytes);
            // Lesson files are small: one at a time, a slow link spends most of the download
            // waiting for round trips. The first failure stops the rest; what arrived stays.
            let shared = &SharedMeter::new(&mut meter);
            // Built up front (futures do nothing until polled): a stream mapping borrowed
            // entries through a closure trips the compiler's Send check on the caller's side.
            let fetches: Vec<_> = plan
                .fetch
                .iter()
                .map(|f| {
                    let url = paths::lesson_pack_file(pack_id, version, &f.path);
                    let to = dir.join(FILES).join(&f.path);
                    async move {
                        let (client, options) = (&self.client, &self.options);
                        fetch::file(client, options, &url, &to, f, shared, cancel).await
                    }
                })
                .collect();
            fetched_bytes += stream::iter(fetches)
                .buffer_unordered(self.options.parallel.max(1))
                .try_fold(0, |sum, got| async move { Ok(sum + got) })
                .await?;
            if cancelled(cancel) {
                return Err(DownloadError::Cancelled);
            }
            meter.phase(DownloadPhase::Installing);
            let (lib2, dir2) = (Arc::clone(lib), dir.clone());
            let installed = tokio::task::spawn_blocking(move || lib2.install_fetched(&dir2))
                .await
                .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
            match installed {
                Err(LibraryError::Damaged(old)) => {
                    let sha = lib
                        .live_manifest(pack_id)?
                        .file(&old)
                        .map(|f| f.sha256.clone());
                    // Once per file: a second failure is not the live copy's.
                    if !sha.is_some_and(|sha| damaged.insert(sha)) {
                        return Err(LibraryError::Damaged(old).into());
                    }
                    tracing::warn!(pack = pack_id, file = %old,
                        "installed copy damaged: fetching it instead of reusing it");
                }
                other => break (other?, plan),
            }
        };
        meter.phase(DownloadPhase::Done);
        Ok(DownloadReport {
            outcome,
            fetched_bytes,
            resumed_bytes: resumed_bytes.unwrap_or(0),
            fetched_files: plan.fetch.len() as u32,
            reused_files: plan.reused,
        })
    }

    /// Fetches optional file `path` (audio, video) of the installed version of `pack_id`,
    /// resuming a partial fetch, and returns where it lies once its SHA-256 checked out.
    pub async fn download_media(
        &self,
        lib: &Arc<LessonLibrary>,
        pack_id: &str,
        path: &str,
        progress: &mut (dyn FnMut(&DownloadProgress) + Send),
        cancel: &Cancel,
    ) -> Result<PathBuf, DownloadError> {
        let (version, f, part) = lib.media_target(pack_id, path)?;
        let mut meter = Meter::new(pack_id, version, progress);
        let have = fs::metadata(&part).map_or(0, |m| m.len()).min(f.size);
        let available = space::available(lib.download_root());
        let needed = (f.size - have).saturating_add(self.options.keep_free);
        if let Some(available) = available.filter(|a| *a < needed) {
            return Err(DownloadError::NoSpace { needed, available });
        }
        meter.start(version, have, f.size);
        let url = paths::lesson_pack_file(pack_id, version, &f.path);
        fetch::file(
            &self.client,
            &self.options,
            &url,
            &part,
            &f,
            &SharedMeter::new(&mut meter),
            cancel,
        )
        .await?;
        let (lib2, f2, part2, id) = (Arc::clone(lib), f.clone(), part.clone(), pack_id.to_owned());
        let placed = tokio::task::spawn_blocking(move || lib2.add_media(&id, version, &f2, &part2))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
        meter.phase(DownloadPhase::Done);
        Ok(placed)
    }

    /// The version's manifest and signature, from the download folder when an earlier try
    /// fetched them, else from the platform; verified either way, and checked to be the
    /// pack and version asked for.
    async fn signed_manifest(
        &self,
        lib: &LessonLibrary,
        dir: &Path,
        pack_id: &str,
        version: u32,
    ) -> Result<VerifiedPack, DownloadError> {
        let (m, s) = (dir.join(MANIFEST_PATH), dir.join(SIGNATURE_PATH));
        if let (Ok(mb), Ok(sb)) = (fs::read(&m), fs::read(&s)) {
            match lib.verify_signed(mb, sb) {
                Ok(p) if p.manifest.id == pack_id && p.manifest.version == version => {
                    return Ok(p);
                }
                // Damaged or not this version's: fetch both again, and nothing fetched
                // under the old ones is trusted either.
                _ => fs::remove_dir_all(dir).map_err(|e| PackError::io(dir.display(), e))?,
            }
        }
        let mb = self
            .client
            .lesson_bytes(&paths::lesson_pack_manifest(pack_id, version))
            .await?;
        let sb = self
            .client
            .lesson_bytes(&paths::lesson_pack_signature(pack_id, version))
            .await?;
        let pack = lib.verify_signed(mb, sb)?;
        if pack.manifest.id != pack_id || pack.manifest.version != version {
            return Err(PackError::manifest(
                "平台发来的课程包与所选不符",
                format!(
                    "asked for {pack_id} v{version}, the platform sent {} v{}",
                    pack.manifest.id, pack.manifest.version
                ),
            )
            .into());
        }
        let write =
            |p: &Path, b: &[u8]| write_synced(p, b).map_err(|e| PackError::io(p.display(), e));
        write(&m, &pack.manifest_bytes)?;
        write(&s, &pack.signature)?;
        Ok(pack)
    }

    fn check_space(&self, dir: &Path, plan: &Plan) -> Result<(), DownloadError> {
        // Fetched files are linked into place; unchanged ones are copied from the live version.
        let needed = (plan.fetch_bytes - plan.present)
            .saturating_add(plan.reused_bytes)
            .saturating_add(self.options.keep_free);
        match space::available(dir) {
            Some(available) if available < needed => {
                Err(DownloadError::NoSpace { needed, available })
            }
            _ => Ok(()),
        }
    }
}

/// Which files of the new version come over the network and which from the live version.
struct Plan {
    fetch: Vec<FileEntry>,
    fetch_bytes: u64,
    /// Of `fetch_bytes`, what is in the download folder already.
    present: u64,
    reused: u32,
    reused_bytes: u64,
}

impl Plan {
    /// `damaged`: SHA-256s not to take from the live version.
    fn new(
        lib: &LessonLibrary,
        pack: &VerifiedPack,
        dir: &Path,
        damaged: &HashSet<String>,
    ) -> Result<Plan, DownloadError> {
        let id = &pack.manifest.id;
        let live: HashSet<String> = match lib.live_version(id)? {
            Some(_) => lib
                .live_manifest(id)?
                .files
                .into_iter()
                .filter(|f| !f.optional && !damaged.contains(&f.sha256))
                .map(|f| f.sha256)
                .collect(),
            None => HashSet::new(),
        };
        let mut plan = Plan {
            fetch: Vec::new(),
            fetch_bytes: 0,
            present: 0,
            reused: 0,
            reused_bytes: 0,
        };
        for f in pack.manifest.files.iter().filter(|f| !f.optional) {
            if live.contains(&f.sha256) {
                plan.reused += 1;
                plan.reused_bytes += f.size;
                continue;
            }
            let have = fs::metadata(dir.join(FILES).join(&f.path)).map_or(0, |m| m.len());
            plan.present += have.min(f.size);
            plan.fetch_bytes += f.size;
            plan.fetch.push(f.clone());
        }
        Ok(plan)
    }
}
