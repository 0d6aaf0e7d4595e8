//! Installed lesson packs: atomic install and update, rollback, removal, and reading lessons.
//!
//! On disk: `<root>/<pack id>/v<version>/` holds a version's files plus its signed manifest;
//! `<root>/.staging/` holds an install in progress. The `lesson_packs` row is the switch: a
//! version is live once the transaction naming it commits, and its folder is complete and
//! synced before that. So a kill at any point leaves the old version or the new one, whole;
//! [`LessonLibrary::open`] sweeps what an interrupted install left behind.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::archive::{PackReader, VerifiedPack};
use super::error::PackError;
use super::manifest::{LessonEntry, MANIFEST_PATH, Manifest, SIGNATURE_PATH};
use super::search::{self, IndexedLesson};
use super::sign::TrustedKeys;
use crate::cancel::{Cancel, cancelled};
use crate::fsutil::{sync_dir, write_synced};
use crate::store::{Store, StoreError};
use crate::{Text, Timestamp};

/// Why a library operation failed; the installed packs are unchanged whenever it does.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error(transparent)]
    Pack(#[from] PackError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("i/o error on {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no lesson pack `{0}` is installed")]
    NotInstalled(String),
    #[error("no lesson `{lesson}` in pack `{pack}`")]
    NoLesson { pack: String, lesson: String },
    #[error("pack `{0}` has no previous version to roll back to")]
    NoPrevious(String),
    #[error("pack `{pack}` version {offered} is older than the installed version {installed}")]
    Downgrade {
        pack: String,
        installed: u32,
        offered: u32,
    },
    #[error("installed file is damaged: {0}")]
    Damaged(String),
    #[error("cancelled")]
    Cancelled,
}

impl From<rusqlite::Error> for LibraryError {
    fn from(e: rusqlite::Error) -> Self {
        LibraryError::Store(e.into())
    }
}

pub(super) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LibraryError + '_ {
    move |source| LibraryError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// An installed pack as the lesson list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct InstalledPack {
    pub id: String,
    pub version: u32,
    pub previous_version: Option<u32>,
    pub title: Text,
    pub lessons: usize,
    /// Bytes of the live version's required files.
    pub bytes: u64,
}

/// What an install did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallOutcome {
    Installed {
        id: String,
        version: u32,
    },
    /// The same version was already live; nothing changed.
    AlreadyInstalled {
        id: String,
        version: u32,
    },
}

#[derive(Debug)]
pub struct LessonLibrary {
    pub(super) store: Arc<Store>,
    root: PathBuf,
    keys: TrustedKeys,
    /// Installs, rollbacks, removals and sweeps one at a time: a sweep must never see another
    /// install's folder between its rename and its switch. Shared by every library opened on
    /// the same folder in this process.
    changes: Arc<Mutex<()>>,
}

/// The change lock of each library folder, so two `LessonLibrary` values on one folder (an app
/// that opens the library twice) still take turns.
fn change_lock(root: &Path) -> Arc<Mutex<()>> {
    static LOCKS: LazyLock<Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>> =
        LazyLock::new(Default::default);
    let key = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let mut locks = LOCKS.lock().unwrap_or_else(|p| p.into_inner());
    Arc::clone(locks.entry(key).or_default())
}

const STAGING: &str = ".staging";
/// Downloads in progress, one folder per pack version (see `lessons::download`).
const DOWNLOADS: &str = ".downloads";
static STAGING_SEQ: AtomicU64 = AtomicU64::new(0);

impl LessonLibrary {
    /// Opens the library in `root` (e.g. `<data dir>/lessons`) and removes what an
    /// interrupted install or update left behind.
    pub fn open(store: Arc<Store>, root: PathBuf, keys: TrustedKeys) -> Result<Self, LibraryError> {
        fs::create_dir_all(&root).map_err(io(&root))?;
        let lib = LessonLibrary {
            changes: change_lock(&root),
            store,
            root,
            keys,
        };
        let _changing = lib.changing();
        lib.sweep()?;
        drop(_changing);
        Ok(lib)
    }

    /// Verifies the pack archive in `input` completely (signature, every file's size and hash)
    /// into a staging folder, then makes it the live version in one transaction. The previous
    /// version is kept for [`rollback`](Self::rollback).
    pub fn install(
        &self,
        input: impl Read,
        cancel: &Cancel,
    ) -> Result<InstallOutcome, LibraryError> {
        let _changing = self.changing();
        let staging = self.new_staging();
        let result = self.stage_and_switch(input, &staging, cancel);
        // On success the folder was renamed away; on failure nothing of it may remain.
        let _ = fs::remove_dir_all(&staging);
        result
    }

    /// A staging folder no other install uses; callers hold the change lock and remove it.
    pub(super) fn new_staging(&self) -> PathBuf {
        self.root.join(STAGING).join(format!(
            "{}-{}",
            std::process::id(),
            STAGING_SEQ.fetch_add(1, Ordering::Relaxed)
        ))
    }

    fn stage_and_switch(
        &self,
        input: impl Read,
        staging: &Path,
        cancel: &Cancel,
    ) -> Result<InstallOutcome, LibraryError> {
        fs::create_dir_all(staging).map_err(io(staging))?;
        let pack = PackReader::new(&self.keys).read(input, |entry, data| {
            if cancelled(cancel) {
                return Err(PackError::Malformed("cancelled".into()));
            }
            write_synced(&staging.join(&entry.path), data)
                .map_err(|e| PackError::io(&entry.path, e))
        });
        if cancelled(cancel) {
            return Err(LibraryError::Cancelled);
        }
        let pack = pack?;
        self.commit(pack, staging)
    }

    /// Makes the verified `pack`, whose files are complete in `staging`, the live version:
    /// unless that version (or a newer one) already is.
    pub(super) fn commit(
        &self,
        pack: VerifiedPack,
        staging: &Path,
    ) -> Result<InstallOutcome, LibraryError> {
        let (id, version) = (pack.manifest.id.clone(), pack.manifest.version);
        let installed = self.live_version(&id)?;
        match installed {
            Some(v) if v == version => {
                return Ok(InstallOutcome::AlreadyInstalled { id, version });
            }
            Some(v) if v > version => {
                return Err(LibraryError::Downgrade {
                    pack: id,
                    installed: v,
                    offered: version,
                });
            }
            _ => {}
        }
        self.carry_media(&pack.manifest, staging)?;
        write_synced(&staging.join(MANIFEST_PATH), &pack.manifest_bytes).map_err(io(staging))?;
        write_synced(&staging.join(SIGNATURE_PATH), &pack.signature).map_err(io(staging))?;
        sync_dir_tree(staging)?;

        let pack_dir = self.root.join(&id);
        fs::create_dir_all(&pack_dir).map_err(io(&pack_dir))?;
        let target = pack_dir.join(format!("v{version}"));
        if target.exists() {
            // Left by an install killed before its switch: never live, safe to replace.
            fs::remove_dir_all(&target).map_err(io(&target))?;
        }
        fs::rename(staging, &target).map_err(io(&target))?;
        sync_dir(&pack_dir);

        if let Err(e) = self.switch(&pack, &target, installed) {
            // The switch is one transaction, so this version never went live: leave nothing
            // of it (a lesson that is not UTF-8 in a signed pack got this far; found by fuzzing).
            let _ = fs::remove_dir_all(&target);
            // Only succeeds when empty: a first install leaves no pack folder either.
            let _ = fs::remove_dir(&pack_dir);
            return Err(e);
        }
        tracing::info!(pack = %id, version, previous = ?installed, "lesson pack installed");
        self.sweep()?;
        Ok(InstallOutcome::Installed { id, version })
    }

    /// Makes `pack` (whose files are complete in `dir`) the live version, in one transaction.
    fn switch(
        &self,
        pack: &VerifiedPack,
        dir: &Path,
        previous: Option<u32>,
    ) -> Result<(), LibraryError> {
        let m = &pack.manifest;
        let mut bodies = Vec::with_capacity(m.lessons.len());
        for l in &m.lessons {
            let path = dir.join(&l.file);
            bodies.push(fs::read_to_string(&path).map_err(io(&path))?);
        }
        self.store.write(|tx| -> Result<(), LibraryError> {
            tx.execute(
                "INSERT INTO lesson_packs (pack_id, version, previous_version, manifest, signature, installed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (pack_id) DO UPDATE SET version = excluded.version,
                   previous_version = excluded.previous_version, manifest = excluded.manifest,
                   signature = excluded.signature, installed_at = excluded.installed_at",
                params![m.id, m.version, previous, pack.manifest_bytes, pack.signature, Timestamp::now().millis()],
            )?;
            tx.execute("DELETE FROM lessons WHERE pack_id = ?1", [&m.id])?;
            for (ord, l) in m.lessons.iter().enumerate() {
                tx.execute(
                    "INSERT INTO lessons (pack_id, lesson_id, ord, title_zh, title_en, file, tags, minutes)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![m.id, l.id, ord as i64, l.title.zh, l.title.en, l.file,
                        serde_json::to_string(&l.tags).unwrap_or_default(), l.minutes],
                )?;
                let links = l.links.leaf_classes.iter().map(|k| ("leaf_class", k))
                    .chain(l.links.diseases.iter().map(|k| ("disease", k)))
                    .chain(l.links.alarms.iter().map(|k| ("alarm", k)));
                for (kind, key) in links {
                    tx.execute(
                        "INSERT OR IGNORE INTO lesson_links (pack_id, lesson_id, kind, key) VALUES (?1, ?2, ?3, ?4)",
                        params![m.id, l.id, kind, key],
                    )?;
                }
            }
            let indexed: Vec<IndexedLesson<'_>> = m
                .lessons
                .iter()
                .zip(&bodies)
                .map(|(l, body)| IndexedLesson {
                    lesson_id: &l.id,
                    title: &l.title,
                    tags: &l.tags,
                    markdown: body,
                })
                .collect();
            search::index_pack(tx, &m.id, &indexed)?;
            Ok(())
        })
    }

    /// Goes back to the version that was live before the last update. The rolled-back
    /// version's folder is re-verified first (signature and every file) so a damaged old
    /// version is never switched to.
    pub fn rollback(&self, pack_id: &str) -> Result<u32, LibraryError> {
        let _changing = self.changing();
        let (version, previous) = self
            .versions(pack_id)?
            .ok_or_else(|| LibraryError::NotInstalled(pack_id.to_owned()))?;
        let previous = previous.ok_or_else(|| LibraryError::NoPrevious(pack_id.to_owned()))?;
        let dir = self.version_dir(pack_id, previous);
        let pack = self.verify_dir(&dir)?;
        self.switch(&pack, &dir, None)?;
        tracing::info!(
            pack = pack_id,
            from = version,
            to = previous,
            "lesson pack rolled back"
        );
        self.sweep()?;
        Ok(previous)
    }

    /// Uninstalls a pack and frees its space. Reading progress is kept.
    pub fn remove(&self, pack_id: &str) -> Result<(), LibraryError> {
        let _changing = self.changing();
        let removed = self.store.write(|tx| -> Result<usize, LibraryError> {
            search::remove_pack(tx, pack_id)?;
            Ok(tx.execute("DELETE FROM lesson_packs WHERE pack_id = ?1", [pack_id])?)
        })?;
        if removed == 0 {
            return Err(LibraryError::NotInstalled(pack_id.to_owned()));
        }
        let dir = self.root.join(pack_id);
        fs::remove_dir_all(&dir).map_err(io(&dir))?;
        tracing::info!(pack = pack_id, "lesson pack removed");
        Ok(())
    }

    pub fn installed(&self) -> Result<Vec<InstalledPack>, LibraryError> {
        let rows: Vec<(Vec<u8>, Option<u32>)> = self.store.read(|c| {
            let mut stmt =
                c.prepare("SELECT manifest, previous_version FROM lesson_packs ORDER BY pack_id")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()
        })?;
        rows.into_iter()
            .map(|(bytes, previous_version)| {
                let m =
                    Manifest::from_json(&bytes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(InstalledPack {
                    bytes: m.required_bytes(),
                    lessons: m.lessons.len(),
                    id: m.id,
                    version: m.version,
                    previous_version,
                    title: m.title,
                })
            })
            .collect()
    }

    /// A lesson's Markdown from the live version, checked against the signed manifest so a
    /// file damaged on disk is reported, not shown.
    pub fn lesson_markdown(&self, pack_id: &str, lesson_id: &str) -> Result<String, LibraryError> {
        let manifest = self.live_manifest(pack_id)?;
        Ok(self.lesson_source(pack_id, &manifest, lesson_id)?.1)
    }

    /// The lesson's manifest entry and verified Markdown, from an already loaded manifest.
    pub(super) fn lesson_source<'m>(
        &self,
        pack_id: &str,
        manifest: &'m Manifest,
        lesson_id: &str,
    ) -> Result<(&'m LessonEntry, String), LibraryError> {
        let lesson = manifest
            .lessons
            .iter()
            .find(|l| l.id == lesson_id)
            .ok_or_else(|| LibraryError::NoLesson {
                pack: pack_id.to_owned(),
                lesson: lesson_id.to_owned(),
            })?;
        let bytes = self.read_verified(pack_id, manifest, &lesson.file)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| LibraryError::Damaged(format!("{} is not UTF-8", lesson.file)))?;
        Ok((lesson, text))
    }

    /// A file of the live version (e.g. an image a lesson shows), checked like a lesson.
    pub fn file(&self, pack_id: &str, path: &str) -> Result<Vec<u8>, LibraryError> {
        let manifest = self.live_manifest(pack_id)?;
        self.read_verified(pack_id, &manifest, path)
    }

    pub(super) fn read_verified(
        &self,
        pack_id: &str,
        m: &Manifest,
        path: &str,
    ) -> Result<Vec<u8>, LibraryError> {
        let entry = m.file(path).ok_or_else(|| LibraryError::NoLesson {
            pack: pack_id.to_owned(),
            lesson: path.to_owned(),
        })?;
        let full = self.version_dir(pack_id, m.version).join(&entry.path);
        let bytes = fs::read(&full).map_err(io(&full))?;
        if hex::encode(Sha256::digest(&bytes)) != entry.sha256 {
            return Err(LibraryError::Damaged(path.to_owned()));
        }
        Ok(bytes)
    }

    pub(super) fn live_manifest(&self, pack_id: &str) -> Result<Manifest, LibraryError> {
        let bytes: Vec<u8> = self
            .store
            .read(|c| {
                c.query_row(
                    "SELECT manifest FROM lesson_packs WHERE pack_id = ?1",
                    [pack_id],
                    |r| r.get(0),
                )
                .optional()
            })?
            .ok_or_else(|| LibraryError::NotInstalled(pack_id.to_owned()))?;
        Ok(Manifest::from_json(&bytes).map_err(|e| StoreError::Corrupt(e.to_string()))?)
    }

    pub(super) fn live_version(&self, pack_id: &str) -> Result<Option<u32>, LibraryError> {
        Ok(self.versions(pack_id)?.map(|(v, _)| v))
    }

    pub(super) fn versions(
        &self,
        pack_id: &str,
    ) -> Result<Option<(u32, Option<u32>)>, LibraryError> {
        Ok(self.store.read(|c| {
            c.query_row(
                "SELECT version, previous_version FROM lesson_packs WHERE pack_id = ?1",
                [pack_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })?)
    }

    pub(super) fn changing(&self) -> MutexGuard<'_, ()> {
        self.changes.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn version_dir(&self, pack_id: &str, version: u32) -> PathBuf {
        self.root.join(pack_id).join(format!("v{version}"))
    }

    /// Re-reads a version folder as if it were an archive: signature, then every file.
    fn verify_dir(&self, dir: &Path) -> Result<VerifiedPack, LibraryError> {
        let read = |name: &str| {
            let p = dir.join(name);
            fs::read(&p).map_err(io(&p))
        };
        let pack = self.verify_signed(read(MANIFEST_PATH)?, read(SIGNATURE_PATH)?)?;
        for f in pack.manifest.files.iter().filter(|f| !f.optional) {
            let bytes = read(&f.path)?;
            if hex::encode(Sha256::digest(&bytes)) != f.sha256 {
                return Err(LibraryError::Damaged(f.path.clone()));
            }
        }
        Ok(pack)
    }

    /// Deletes staging leftovers and every version folder that is neither live nor the one
    /// kept for rollback.
    fn sweep(&self) -> Result<(), LibraryError> {
        let staging = self.root.join(STAGING);
        if staging.exists() {
            // Callers hold the change lock and sweep only after their own staging folder was
            // renamed into place, so whatever is here is left over.
            for entry in fs::read_dir(&staging).map_err(io(&staging))?.flatten() {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
        let live: Vec<(String, u32, Option<u32>)> = self.store.read(|c| {
            let mut stmt =
                c.prepare("SELECT pack_id, version, previous_version FROM lesson_packs")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<Result<_, _>>()
        })?;
        for entry in fs::read_dir(&self.root).map_err(io(&self.root))?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == STAGING || name == DOWNLOADS || !entry.path().is_dir() {
                continue;
            }
            let keep: Vec<String> = live
                .iter()
                .filter(|(id, _, _)| *id == name)
                .flat_map(|(_, v, p)| [Some(*v), *p])
                .flatten()
                .map(|v| format!("v{v}"))
                .collect();
            if keep.is_empty() {
                // A pack folder with no row: removed, or never switched to.
                let _ = fs::remove_dir_all(entry.path());
                continue;
            }
            for version in fs::read_dir(entry.path())
                .map_err(io(&entry.path()))?
                .flatten()
            {
                let v = version.file_name().to_string_lossy().into_owned();
                if !keep.contains(&v) {
                    let _ = fs::remove_dir_all(version.path());
                }
            }
        }
        self.sweep_downloads(&live)
    }

    /// A download of a version that is live already, or older than the live one, is done
    /// with; one of a newer version is kept for resuming.
    fn sweep_downloads(&self, live: &[(String, u32, Option<u32>)]) -> Result<(), LibraryError> {
        let downloads = self.root.join(DOWNLOADS);
        let Ok(entries) = fs::read_dir(&downloads) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let superseded = download_of(&name)
                .is_none_or(|(id, v)| live.iter().any(|(l, lv, _)| l == id && *lv >= v));
            if superseded {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
        Ok(())
    }

    /// The library folder (for the free-space check).
    pub(super) fn download_root(&self) -> &Path {
        &self.root
    }

    /// Where the download of `pack_id` version `version` keeps its files until installed.
    pub(super) fn download_dir(&self, pack_id: &str, version: u32) -> PathBuf {
        self.root
            .join(DOWNLOADS)
            .join(format!("{pack_id}-v{version}"))
    }

    /// Throws away what downloads of `pack_id` left (a download that will not be resumed).
    pub fn discard_downloads(&self, pack_id: &str) -> Result<(), LibraryError> {
        let _changing = self.changing();
        let downloads = self.root.join(DOWNLOADS);
        let Ok(entries) = fs::read_dir(&downloads) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if download_of(&name).is_some_and(|(id, _)| id == pack_id) {
                fs::remove_dir_all(entry.path()).map_err(io(&entry.path()))?;
            }
        }
        Ok(())
    }

    /// Checks a manifest and its signature as an archive's would be checked.
    pub(super) fn verify_signed(
        &self,
        manifest_bytes: Vec<u8>,
        signature: Vec<u8>,
    ) -> Result<VerifiedPack, PackError> {
        self.keys.verify(&manifest_bytes, &signature)?;
        let manifest = Manifest::from_json(&manifest_bytes)?;
        Ok(VerifiedPack {
            manifest,
            manifest_bytes,
            signature,
        })
    }
}

/// The pack id and version a download folder is for (named by
/// [`LessonLibrary::download_dir`]).
fn download_of(name: &str) -> Option<(&str, u32)> {
    let (id, version) = name.rsplit_once("-v")?;
    Some((id, version.parse().ok()?))
}

pub(super) fn sync_dir_tree(dir: &Path) -> Result<(), LibraryError> {
    for entry in fs::read_dir(dir).map_err(io(dir))?.flatten() {
        if entry.path().is_dir() {
            sync_dir_tree(&entry.path())?;
        }
    }
    sync_dir(dir);
    Ok(())
}
