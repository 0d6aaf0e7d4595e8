//! Offline lessons on the FFI: install a signed pack file, list, search, read as HTML,
//! lessons for a diagnosis or an alarm, reading progress.

use std::path::PathBuf;
use std::sync::Arc;

use yannong_core::lessons::{self as core, LessonLibrary, LibraryError, TrustedKeys};
use yannong_core::text::Locale;

use crate::runtime::blocking;
use crate::types::LocalizedText;
use crate::{Yannong, YannongError};

#[derive(Debug, uniffi::Object)]
pub struct Lessons {
    pub(crate) library: Arc<LessonLibrary>,
    pub(crate) locale: Locale,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct InstalledPack {
    pub id: String,
    pub version: u32,
    /// The version [`Lessons::rollback_pack`] would go back to.
    pub previous_version: Option<u32>,
    pub title: LocalizedText,
    pub lessons: u32,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LessonProgress {
    /// How far the reader got, 0–1.
    pub position: f64,
    pub completed: bool,
    pub updated_at: std::time::SystemTime,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Lesson {
    pub pack_id: String,
    pub lesson_id: String,
    pub title: LocalizedText,
    pub minutes: u32,
    pub progress: Option<LessonProgress>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LessonSearchHit {
    pub pack_id: String,
    pub lesson_id: String,
    pub title: String,
    /// HTML-escaped title and excerpt with matches in `<mark>`.
    pub title_html: String,
    pub snippet_html: String,
    pub score: f64,
}

/// What a "学一学" link starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LessonLinkKind {
    LeafClass,
    Disease,
    Alarm,
}

#[uniffi::export]
impl Yannong {
    /// The lesson library in `<data dir>/lessons`, accepting packs signed by one of
    /// `trusted_keys` (Ed25519 public keys, 64 hex digits each). Cleans up after an install
    /// that was interrupted.
    pub async fn lessons(&self, trusted_keys: Vec<String>) -> Result<Arc<Lessons>, YannongError> {
        let (store, locale) = (Arc::clone(&self.store), self.locale);
        let root = self
            .store
            .path()
            .parent()
            .map_or_else(|| PathBuf::from("lessons"), |d| d.join("lessons"));
        if trusted_keys.is_empty() {
            // Every install would fail its signature check; say so now, where the bug is.
            return Err(YannongError::InvalidInput {
                detail: "at least one trusted lesson-pack key is needed".to_owned(),
                field: Some("trusted_keys".to_owned()),
                step: None,
            });
        }
        blocking(move |_| {
            let keys = TrustedKeys::from_hex(trusted_keys.iter().map(String::as_str))
                .map_err(|e| map(e.into(), locale))?;
            let library = LessonLibrary::open(store, root, keys).map_err(|e| map(e, locale))?;
            Ok(Arc::new(Lessons {
                library: Arc::new(library),
                locale,
            }))
        })
        .await
    }
}

impl Lessons {
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, YannongError>
    where
        T: Send + 'static,
        F: FnOnce(&LessonLibrary, &yannong_core::cancel::Cancel) -> Result<T, LibraryError>
            + Send
            + 'static,
    {
        let (library, locale) = (Arc::clone(&self.library), self.locale);
        blocking(move |cancel| f(&library, cancel).map_err(|e| map(e, locale))).await
    }

    fn lesson(&self, l: core::LessonSummary) -> Lesson {
        Lesson {
            title: LocalizedText::new(&l.title, self.locale),
            pack_id: l.pack_id,
            lesson_id: l.lesson_id,
            minutes: l.minutes,
            progress: l.progress.map(|p| LessonProgress {
                position: p.position,
                completed: p.completed,
                updated_at: p.updated_at.into(),
            }),
        }
    }
}

#[uniffi::export]
impl Lessons {
    /// Verifies the pack file at `path` (signature, every file) and installs it atomically.
    /// Returns the pack's id and version; installing the live version again changes nothing.
    pub async fn install_pack_file(&self, path: String) -> Result<InstalledPack, YannongError> {
        let locale = self.locale;
        let file = std::fs::File::open(&path).map_err(|e| YannongError::InvalidInput {
            detail: format!("cannot open the pack file {path}: {e}"),
            field: Some("path".to_owned()),
            step: None,
        })?;
        self.run(move |lib, cancel| {
            let outcome = lib.install(std::io::BufReader::new(file), cancel)?;
            let id = match outcome {
                core::InstallOutcome::Installed { id, .. }
                | core::InstallOutcome::AlreadyInstalled { id, .. } => id,
            };
            installed(lib, locale)?
                .into_iter()
                .find(|p| p.id == id)
                .ok_or(LibraryError::NotInstalled(id))
        })
        .await
    }

    pub async fn installed_packs(&self) -> Result<Vec<InstalledPack>, YannongError> {
        let locale = self.locale;
        self.run(move |lib, _| installed(lib, locale)).await
    }

    /// Every installed lesson with its reading progress.
    pub async fn list(&self) -> Result<Vec<Lesson>, YannongError> {
        let lessons = self.run(|lib, _| lib.lessons()).await?;
        Ok(lessons.into_iter().map(|l| self.lesson(l)).collect())
    }

    /// Lessons that teach what to do about a leaf-check class (`over_ripe`), a disease
    /// (`brown_spot`) or an alarm rule (`A09`).
    pub async fn lessons_for(
        &self,
        kind: LessonLinkKind,
        key: String,
    ) -> Result<Vec<Lesson>, YannongError> {
        let kind = match kind {
            LessonLinkKind::LeafClass => core::LinkKind::LeafClass,
            LessonLinkKind::Disease => core::LinkKind::Disease,
            LessonLinkKind::Alarm => core::LinkKind::Alarm,
        };
        let lessons = self.run(move |lib, _| lib.lessons_for(kind, &key)).await?;
        Ok(lessons.into_iter().map(|l| self.lesson(l)).collect())
    }

    /// Chinese, pinyin ("hongkao") or initials ("hk") search, best first.
    pub async fn search(
        &self,
        query: String,
        limit: u32,
    ) -> Result<Vec<LessonSearchHit>, YannongError> {
        let hits = self
            .run(move |lib, _| lib.search(&query, limit as usize))
            .await?;
        Ok(hits
            .into_iter()
            .map(|h| LessonSearchHit {
                pack_id: h.pack_id,
                lesson_id: h.lesson_id,
                title: h.title,
                title_html: h.title_html,
                snippet_html: h.snippet_html,
                score: h.score,
            })
            .collect())
    }

    /// The lesson as a complete, script-free HTML page with its pictures embedded.
    pub async fn lesson_html(
        &self,
        pack_id: String,
        lesson_id: String,
    ) -> Result<String, YannongError> {
        self.run(move |lib, _| lib.lesson_page(&pack_id, &lesson_id))
            .await
    }

    /// Records how far a lesson was read (0–1); `completed` sticks once set.
    pub async fn record_progress(
        &self,
        pack_id: String,
        lesson_id: String,
        position: f64,
        completed: bool,
    ) -> Result<(), YannongError> {
        self.run(move |lib, _| lib.record_progress(&pack_id, &lesson_id, position, completed))
            .await
    }

    /// The lesson to offer under "continue where I left off", if any.
    pub async fn continue_reading(&self) -> Result<Option<Lesson>, YannongError> {
        let next = self.run(|lib, _| lib.continue_reading()).await?;
        Ok(next.map(|l| self.lesson(l)))
    }

    /// Goes back to the previously installed version of a pack; returns that version.
    pub async fn rollback_pack(&self, pack_id: String) -> Result<u32, YannongError> {
        self.run(move |lib, _| lib.rollback(&pack_id)).await
    }

    /// Uninstalls a pack and frees its space (reading progress is kept).
    pub async fn remove_pack(&self, pack_id: String) -> Result<(), YannongError> {
        self.run(move |lib, _| lib.remove(&pack_id)).await
    }
}

pub(crate) fn installed(
    lib: &LessonLibrary,
    locale: Locale,
) -> Result<Vec<InstalledPack>, LibraryError> {
    Ok(lib
        .installed()?
        .into_iter()
        .map(|p| InstalledPack {
            title: LocalizedText::new(&p.title, locale),
            id: p.id,
            version: p.version,
            previous_version: p.previous_version,
            lessons: u32::try_from(p.lessons).unwrap_or(u32::MAX),
            bytes: p.bytes,
        })
        .collect())
}

pub(crate) fn map(e: LibraryError, locale: Locale) -> YannongError {
    YannongError::from_library(e, locale)
}
