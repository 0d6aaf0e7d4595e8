//! Lesson packs from the platform on the FFI: what it offers, a download with progress
//! events (resumed where an earlier one stopped), and syncing reading progress.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use yannong_core::barn::ClientConfig;
use yannong_core::cancel::Cancel;
use yannong_core::lessons::download::{self as core, DownloadError, DownloadOptions};
use yannong_core::lessons::{InstallOutcome, LibraryError};
use yannong_core::text::Locale;

use crate::YannongError;
use crate::barns::{BarnPlatformConfig, Barns};
use crate::lessons::{InstalledPack, Lessons, installed, map};
use crate::runtime::on_runtime;
use crate::types::LocalizedText;

/// A pack the platform offers, beside what this phone has.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OfferedPack {
    pub id: String,
    pub version: u32,
    pub title: LocalizedText,
    pub lessons: u32,
    /// Bytes of the whole version; a download of an update fetches only the changed files.
    pub required_bytes: u64,
    pub installed_version: Option<u32>,
}

/// An optional file (audio, video) of an installed pack.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LessonMedia {
    pub path: String,
    pub bytes: u64,
    pub downloaded: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DownloadPhase {
    Checking,
    Downloading,
    /// The connection dropped; the next try starts after `wait`.
    Retrying {
        attempt: u32,
        wait: Duration,
    },
    Installing,
    Done,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DownloadProgress {
    pub pack_id: String,
    pub version: u32,
    pub phase: DownloadPhase,
    /// Of the bytes this version needs from the network, those on the phone (an earlier,
    /// interrupted download's included).
    pub bytes_done: u64,
    pub bytes_total: u64,
    /// 0–100.
    pub percent: f64,
    pub bytes_per_second: u64,
    /// `None` while the speed is unknown.
    pub seconds_left: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DownloadResult {
    pub pack: InstalledPack,
    /// False when that version was installed already (nothing was fetched).
    pub installed_now: bool,
    pub fetched_bytes: u64,
    /// Bytes kept from an earlier, interrupted download.
    pub resumed_bytes: u64,
    pub fetched_files: u32,
    /// Files taken unchanged from the installed version.
    pub reused_files: u32,
}

/// Receives a download's progress, on a core thread, a few times a second at most.
#[uniffi::export(with_foreign)]
pub trait DownloadListener: Send + Sync {
    fn on_progress(&self, progress: DownloadProgress);
}

/// Downloads lesson packs from one platform into one library.
#[derive(Debug, uniffi::Object)]
pub struct PackDownloader {
    downloader: Arc<core::PackDownloader>,
    lessons: Arc<Lessons>,
    /// The cancel flag of the running download of each pack, for [`PackDownloader::cancel`]
    /// (Swift's generated code does not drop a Rust future when its task is cancelled).
    running: Mutex<HashMap<String, Arc<Cancel>>>,
}

#[uniffi::export]
impl Lessons {
    /// Downloads from the platform at `config` (no login needed: packs are public, and
    /// verified against this library's trusted keys before anything is installed).
    pub fn downloads(
        self: Arc<Self>,
        config: BarnPlatformConfig,
    ) -> Result<Arc<PackDownloader>, YannongError> {
        let downloader = core::PackDownloader::new(
            &ClientConfig {
                base_url: config.base_url,
                extra_roots_pem: config.extra_roots_pem,
            },
            DownloadOptions::default(),
        )?;
        Ok(Arc::new(PackDownloader {
            downloader: Arc::new(downloader),
            lessons: self,
            running: Mutex::default(),
        }))
    }

    /// The optional files (audio, video) of the installed version of `pack_id`.
    pub async fn media(&self, pack_id: String) -> Result<Vec<LessonMedia>, YannongError> {
        let media = self.run(move |lib, _| lib.media(&pack_id)).await?;
        Ok(media
            .into_iter()
            .map(|m| LessonMedia {
                path: m.path,
                bytes: m.size,
                downloaded: m.downloaded,
            })
            .collect())
    }

    /// The path of a downloaded optional file, for a media player.
    pub async fn media_path(&self, pack_id: String, path: String) -> Result<String, YannongError> {
        let p = self
            .run(move |lib, _| lib.media_path(&pack_id, &path))
            .await?;
        Ok(p.display().to_string())
    }

    /// Deletes a downloaded optional file to free space.
    pub async fn remove_media(&self, pack_id: String, path: String) -> Result<(), YannongError> {
        self.run(move |lib, _| lib.remove_media(&pack_id, &path))
            .await
    }

    /// Deletes what interrupted downloads of `pack_id` left (they will not be resumed).
    pub async fn discard_downloads(&self, pack_id: String) -> Result<(), YannongError> {
        self.run(move |lib, _| lib.discard_downloads(&pack_id))
            .await
    }
}

#[uniffi::export]
impl PackDownloader {
    /// The packs the platform offers, with the version installed here.
    pub async fn offered(&self) -> Result<Vec<OfferedPack>, YannongError> {
        let (downloader, library, locale) = self.parts();
        on_runtime(async move {
            let catalogue = downloader.catalogue().await.map_err(|e| error(e, locale))?;
            let installed = library.installed().map_err(|e| map(e, locale))?;
            Ok(catalogue
                .packs
                .into_iter()
                .map(|p| OfferedPack {
                    title: LocalizedText::new(&p.title, locale),
                    installed_version: installed.iter().find(|i| i.id == p.id).map(|i| i.version),
                    id: p.id,
                    version: p.version,
                    lessons: p.lessons,
                    required_bytes: p.required_bytes,
                })
                .collect())
        })
        .await
    }

    /// Brings `pack_id` to the version the platform offers: fetches only what is missing,
    /// resuming an interrupted download, checks free space first and every file and the
    /// signature before installing atomically. Cancelling the call (dropping its future, or
    /// [`PackDownloader::cancel`]) keeps what arrived for the next download.
    pub async fn download(
        &self,
        pack_id: String,
        listener: Arc<dyn DownloadListener>,
    ) -> Result<DownloadResult, YannongError> {
        let (downloader, library, locale) = self.parts();
        let running = self.register(pack_id.clone());
        let cancel = Arc::clone(&running.flag);
        on_runtime(async move {
            let mut on_progress = |p: &core::DownloadProgress| listener.on_progress(progress(p));
            let report = downloader
                .download(&library, &pack_id, &mut on_progress, &cancel)
                .await
                .map_err(|e| error(e, locale))?;
            let (id, installed_now) = match report.outcome {
                InstallOutcome::Installed { id, .. } => (id, true),
                InstallOutcome::AlreadyInstalled { id, .. } => (id, false),
            };
            let pack = installed(&library, locale)
                .map_err(|e| map(e, locale))?
                .into_iter()
                .find(|p| p.id == id)
                .ok_or_else(|| map(LibraryError::NotInstalled(id), locale))?;
            Ok(DownloadResult {
                pack,
                installed_now,
                fetched_bytes: report.fetched_bytes,
                resumed_bytes: report.resumed_bytes,
                fetched_files: report.fetched_files,
                reused_files: report.reused_files,
            })
        })
        .await
    }

    /// Fetches optional file `path` (audio, video; see [`Lessons::media`]) of the installed
    /// version of `pack_id`, resuming a partial fetch; returns the file's path for a player
    /// once its SHA-256 checked out. [`PackDownloader::cancel`] with `pack_id/path` stops it.
    pub async fn download_media(
        &self,
        pack_id: String,
        path: String,
        listener: Arc<dyn DownloadListener>,
    ) -> Result<String, YannongError> {
        let (downloader, library, locale) = self.parts();
        let running = self.register(format!("{pack_id}/{path}"));
        let cancel = Arc::clone(&running.flag);
        on_runtime(async move {
            let mut on_progress = |p: &core::DownloadProgress| listener.on_progress(progress(p));
            let placed = downloader
                .download_media(&library, &pack_id, &path, &mut on_progress, &cancel)
                .await
                .map_err(|e| error(e, locale))?;
            Ok(placed.display().to_string())
        })
        .await
    }

    /// Stops the running download of `pack_id` (or of media `pack_id/path`), if any; it ends
    /// with `Cancelled` and what arrived is kept.
    pub fn cancel(&self, pack_id: String) {
        if let Some(flag) = lock(&self.running).remove(&pack_id) {
            flag.store(true, Ordering::Relaxed);
        }
    }
}

/// A download's entry in [`PackDownloader::running`], removed when the call ends however
/// it ends (unless a newer download of the same key replaced it).
struct Running<'a> {
    map: &'a Mutex<HashMap<String, Arc<Cancel>>>,
    key: String,
    flag: Arc<Cancel>,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let mut map = lock(self.map);
        if map
            .get(&self.key)
            .is_some_and(|f| Arc::ptr_eq(f, &self.flag))
        {
            map.remove(&self.key);
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl PackDownloader {
    fn register(&self, key: String) -> Running<'_> {
        let flag = Arc::new(Cancel::new(false));
        lock(&self.running).insert(key.clone(), Arc::clone(&flag));
        Running {
            map: &self.running,
            key,
            flag,
        }
    }

    fn parts(
        &self,
    ) -> (
        Arc<core::PackDownloader>,
        Arc<yannong_core::lessons::LessonLibrary>,
        Locale,
    ) {
        (
            Arc::clone(&self.downloader),
            Arc::clone(&self.lessons.library),
            self.lessons.locale,
        )
    }
}

#[uniffi::export]
impl Barns {
    /// Sends this phone's reading progress to the account and merges the account's back
    /// (another phone's reading included); returns how many local rows it wrote. Offline it
    /// fails and the progress waits for the next call.
    pub async fn sync_reading(&self, lessons: Arc<Lessons>) -> Result<u32, YannongError> {
        let inner = Arc::clone(&self.inner);
        let library = Arc::clone(&lessons.library);
        on_runtime(async move {
            let n = inner.sync_reading(&library).await?;
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
        .await
    }
}

fn progress(p: &core::DownloadProgress) -> DownloadProgress {
    DownloadProgress {
        pack_id: p.pack_id.clone(),
        version: p.version,
        phase: match p.phase {
            core::DownloadPhase::Checking => DownloadPhase::Checking,
            core::DownloadPhase::Downloading => DownloadPhase::Downloading,
            core::DownloadPhase::Retrying { attempt, wait } => {
                DownloadPhase::Retrying { attempt, wait }
            }
            core::DownloadPhase::Installing => DownloadPhase::Installing,
            core::DownloadPhase::Done => DownloadPhase::Done,
        },
        bytes_done: p.bytes_done,
        bytes_total: p.bytes_total,
        percent: p.percent(),
        bytes_per_second: p.bytes_per_second,
        seconds_left: p.seconds_left,
    }
}

fn error(e: DownloadError, locale: Locale) -> YannongError {
    match e {
        DownloadError::NotOffered(_) => YannongError::NotFound {
            detail: match locale {
                Locale::Zh => format!("平台上没有这个课程包：{e}"),
                Locale::En => e.to_string(),
            },
        },
        DownloadError::NoSpace { needed, available } => YannongError::Storage {
            detail: match locale {
                Locale::Zh => format!(
                    "手机空间不足：需要 {} MB，只剩 {} MB",
                    needed.div_ceil(1 << 20),
                    available >> 20
                ),
                Locale::En => format!(
                    "not enough space: needs {} MB, {} MB free",
                    needed.div_ceil(1 << 20),
                    available >> 20
                ),
            },
            disk_full: true,
        },
        DownloadError::Platform(b) => b.into(),
        DownloadError::Library(l) => map(l, locale),
        DownloadError::Cancelled => YannongError::Cancelled,
    }
}
