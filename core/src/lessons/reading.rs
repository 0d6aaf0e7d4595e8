//! Reading a pack: lessons linked from a diagnosis or an alarm ("学一学"), reading progress
//! and "continue where I left off". Progress is kept per lesson id, so it survives updates.

use rusqlite::{OptionalExtension, params};

use base64::Engine as _;

use super::library::{LessonLibrary, LibraryError};
use super::render::{render_html, render_page};
use super::search::{self, SearchHit};
use crate::{Text, Timestamp};

/// What a link points from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// A leaf-check result class, e.g. `over_ripe`.
    LeafClass,
    /// A disease, e.g. `brown_spot`.
    Disease,
    /// An alarm rule, e.g. `A09`.
    Alarm,
}

impl LinkKind {
    fn key(self) -> &'static str {
        match self {
            LinkKind::LeafClass => "leaf_class",
            LinkKind::Disease => "disease",
            LinkKind::Alarm => "alarm",
        }
    }
}

/// A lesson as lists show it.
#[derive(Debug, Clone, PartialEq)]
pub struct LessonSummary {
    pub pack_id: String,
    pub lesson_id: String,
    pub title: Text,
    pub minutes: u32,
    pub progress: Option<Progress>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// How far the reader scrolled, 0–1.
    pub position: f64,
    pub completed: bool,
    pub updated_at: Timestamp,
}

const SUMMARY_SELECT: &str = "SELECT l.pack_id, l.lesson_id, l.title_zh, l.title_en, l.minutes,
        p.position, p.completed_at, p.updated_at
    FROM lessons l LEFT JOIN lesson_progress p
      ON p.pack_id = l.pack_id AND p.lesson_id = l.lesson_id";

fn summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<LessonSummary> {
    let position: Option<f64> = r.get(5)?;
    let completed: Option<i64> = r.get(6)?;
    let updated: Option<i64> = r.get(7)?;
    Ok(LessonSummary {
        pack_id: r.get(0)?,
        lesson_id: r.get(1)?,
        title: Text::new(r.get::<_, String>(2)?, r.get::<_, String>(3)?),
        minutes: r.get(4)?,
        progress: position.zip(updated).map(|(position, updated)| Progress {
            position,
            completed: completed.is_some(),
            updated_at: Timestamp(updated),
        }),
    })
}

impl LessonLibrary {
    /// A lesson as a complete HTML page for a web view. Its pictures are embedded as `data:`
    /// URLs of their verified bytes, so the web view needs no file access and loads nothing.
    pub fn lesson_page(&self, pack_id: &str, lesson_id: &str) -> Result<String, LibraryError> {
        // One manifest for the lesson and all its pictures.
        let manifest = self.live_manifest(pack_id)?;
        let (lesson, markdown) = self.lesson_source(pack_id, &manifest, lesson_id)?;
        let body = render_html(&markdown, |path| {
            let mime = image_mime(path)?;
            // A damaged picture must not cost the farmer the whole lesson: show its
            // description instead, and say so in the log.
            let bytes = self
                .read_verified(pack_id, &manifest, path)
                .inspect_err(|e| tracing::warn!(pack = pack_id, path, error = %e, "lesson picture not shown"))
                .ok()?;
            Some(format!(
                "data:{mime};base64,{}",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            ))
        });
        Ok(render_page(&lesson.title.zh, &body))
    }

    /// Full-text search over every installed lesson, best first (works offline).
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>, LibraryError> {
        Ok(self.store.read(|c| search::search(c, query, limit))?)
    }

    /// Every installed lesson, pack by pack in pack order, with its progress.
    pub fn lessons(&self) -> Result<Vec<LessonSummary>, LibraryError> {
        Ok(self.store.read(|c| {
            let mut stmt = c.prepare(&format!("{SUMMARY_SELECT} ORDER BY l.pack_id, l.ord"))?;
            let rows = stmt.query_map([], summary)?;
            rows.collect::<Result<_, _>>()
        })?)
    }

    /// Lessons that teach what to do about a leaf-check class, a disease or an alarm.
    pub fn lessons_for(
        &self,
        kind: LinkKind,
        key: &str,
    ) -> Result<Vec<LessonSummary>, LibraryError> {
        Ok(self.store.read(|c| {
            let mut stmt = c.prepare(&format!(
                "{SUMMARY_SELECT} JOIN lesson_links k
                   ON k.pack_id = l.pack_id AND k.lesson_id = l.lesson_id
                 WHERE k.kind = ?1 AND k.key = ?2 ORDER BY l.pack_id, l.ord"
            ))?;
            let rows = stmt.query_map(params![kind.key(), key], summary)?;
            rows.collect::<Result<_, _>>()
        })?)
    }

    /// Records how far a lesson was read (`position` 0–1, clamped); `completed` sticks once set.
    pub fn record_progress(
        &self,
        pack_id: &str,
        lesson_id: &str,
        position: f64,
        completed: bool,
    ) -> Result<(), LibraryError> {
        let position = if position.is_finite() {
            position.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let now = Timestamp::now().millis();
        self.store.write(|tx| -> Result<(), LibraryError> {
            let known: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM lessons WHERE pack_id = ?1 AND lesson_id = ?2",
                    params![pack_id, lesson_id],
                    |r| r.get(0),
                )
                .optional()?;
            if known.is_none() {
                return Err(LibraryError::NoLesson {
                    pack: pack_id.to_owned(),
                    lesson: lesson_id.to_owned(),
                });
            }
            tx.execute(
                "INSERT INTO lesson_progress (pack_id, lesson_id, position, completed_at, updated_at, synced)
                 VALUES (?1, ?2, ?3, CASE WHEN ?4 THEN ?5 END, ?5, 0)
                 ON CONFLICT (pack_id, lesson_id) DO UPDATE SET position = excluded.position,
                   completed_at = COALESCE(lesson_progress.completed_at, excluded.completed_at),
                   updated_at = excluded.updated_at, synced = 0",
                params![pack_id, lesson_id, position, completed, now],
            )?;
            Ok(())
        })
    }

    /// The lesson read most recently and not finished: "continue where I left off".
    pub fn continue_reading(&self) -> Result<Option<LessonSummary>, LibraryError> {
        Ok(self.store.read(|c| {
            c.query_row(
                &format!(
                    "{SUMMARY_SELECT} WHERE p.completed_at IS NULL AND p.updated_at IS NOT NULL
                     ORDER BY p.updated_at DESC, l.ord LIMIT 1"
                ),
                [],
                summary,
            )
            .optional()
        })?)
    }
}

/// Picture types a web view shows; anything else in an image position is dropped.
fn image_mime(path: &str) -> Option<&'static str> {
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        _ => return None,
    })
}
