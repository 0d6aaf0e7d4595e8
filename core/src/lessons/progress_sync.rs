//! Reading progress as the platform keeps it per account: the rows changed since the last
//! sync go up, the account's merged rows come back (another phone's reading included).
//! Merge rule, the same on both sides: the newest position wins, the earliest completion
//! sticks.

use rusqlite::params;

use super::library::LessonLibrary;
use crate::Timestamp;
use crate::barn::api::LessonProgress;
use crate::store::StoreError;

impl LessonLibrary {
    /// Progress recorded on this phone and not yet confirmed by the platform.
    pub fn unsynced_progress(&self) -> Result<Vec<LessonProgress>, StoreError> {
        self.store.read(|c| {
            let mut stmt = c.prepare(
                "SELECT pack_id, lesson_id, position, completed_at, updated_at
                 FROM lesson_progress WHERE synced = 0 ORDER BY updated_at",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(LessonProgress {
                    pack_id: r.get(0)?,
                    lesson_id: r.get(1)?,
                    position: r.get(2)?,
                    completed_at: r.get::<_, Option<i64>>(3)?.map(Timestamp),
                    updated_at: Timestamp(r.get(4)?),
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// Merges the platform's rows in; returns how many local rows changed. A row the reader
    /// moved again after it was sent stays unsynced (its newer position goes next time).
    /// Rows of packs not installed are kept for when they are.
    pub fn merge_progress(&self, remote: &[LessonProgress]) -> Result<usize, StoreError> {
        self.store.write(|tx| {
            let mut changed = 0;
            for p in remote {
                let position = if p.position.is_finite() {
                    p.position.clamp(0.0, 1.0)
                } else {
                    0.0
                };
                changed += tx.execute(
                    "INSERT INTO lesson_progress (pack_id, lesson_id, position, completed_at, updated_at, synced)
                     VALUES (?1, ?2, ?3, ?4, ?5, 1)
                     ON CONFLICT (pack_id, lesson_id) DO UPDATE SET
                       position = CASE WHEN excluded.updated_at > updated_at
                                  THEN excluded.position ELSE position END,
                       completed_at = CASE WHEN completed_at IS NULL THEN excluded.completed_at
                                      WHEN excluded.completed_at IS NULL THEN completed_at
                                      ELSE min(completed_at, excluded.completed_at) END,
                       synced = CASE WHEN updated_at <= excluded.updated_at THEN 1 ELSE synced END,
                       updated_at = max(updated_at, excluded.updated_at)
                     WHERE position IS NOT excluded.position AND excluded.updated_at > updated_at
                        OR completed_at IS NOT excluded.completed_at
                        OR synced = 0 AND updated_at <= excluded.updated_at",
                    params![
                        p.pack_id,
                        p.lesson_id,
                        position,
                        p.completed_at.map(|t| t.0),
                        p.updated_at.0
                    ],
                )?;
            }
            Ok(changed)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::lessons::{PackSigner, TrustedKeys};
    use crate::store::Store;

    fn row(lesson: &str, position: f64, done: Option<i64>, at: i64) -> LessonProgress {
        LessonProgress {
            pack_id: "p".into(),
            lesson_id: lesson.into(),
            position,
            completed_at: done.map(Timestamp),
            updated_at: Timestamp(at),
        }
    }

    fn library(dir: &std::path::Path) -> LessonLibrary {
        let store = Arc::new(Store::open_in_dir(dir).unwrap());
        let key = PackSigner::from_seed([3; 32]).public_key_hex();
        let keys = TrustedKeys::from_hex([key.as_str()]).unwrap();
        LessonLibrary::open(store, dir.join("lessons"), keys).unwrap()
    }

    #[test]
    fn newest_position_wins_earliest_completion_sticks() {
        let dir = tempfile::tempdir().unwrap();
        let lib = library(dir.path());
        // From another phone: a lesson read halfway, one finished.
        let changed = lib
            .merge_progress(&[row("a", 0.5, None, 100), row("b", 1.0, Some(90), 95)])
            .unwrap();
        assert_eq!(changed, 2);
        assert!(
            lib.unsynced_progress().unwrap().is_empty(),
            "what came from the platform is synced"
        );

        // Older news changes no position; a later completion does not move the first one.
        lib.merge_progress(&[row("a", 0.2, None, 50), row("b", 1.0, Some(200), 210)])
            .unwrap();
        let rows = lib.store.read(|c| {
            let mut s = c.prepare("SELECT lesson_id, position, completed_at, updated_at FROM lesson_progress ORDER BY lesson_id")?;
            let r = s.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?, r.get::<_, Option<i64>>(2)?, r.get::<_, i64>(3)?)))?;
            r.collect::<Result<Vec<_>, _>>()
        }).unwrap();
        assert_eq!(rows[0], ("a".into(), 0.5, None, 100));
        assert_eq!(rows[1], ("b".into(), 1.0, Some(90), 210));
    }

    #[test]
    fn a_row_moved_after_sending_stays_unsynced() {
        let dir = tempfile::tempdir().unwrap();
        let lib = library(dir.path());
        lib.store
            .write(|tx| {
                tx.execute(
                    "INSERT INTO lesson_progress (pack_id, lesson_id, position, updated_at, synced)
                     VALUES ('p', 'a', 0.7, 300, 0), ('p', 'b', 0.4, 100, 0)",
                    [],
                )
                .map_err(StoreError::from)
            })
            .unwrap();
        assert_eq!(lib.unsynced_progress().unwrap().len(), 2);
        // The platform confirms `b` as sent, but only an older `a` (the reader moved on since).
        lib.merge_progress(&[row("a", 0.6, None, 200), row("b", 0.4, None, 100)])
            .unwrap();
        let left = lib.unsynced_progress().unwrap();
        assert_eq!(left, [row("a", 0.7, None, 300)]);
        // Garbage positions from the wire are clamped, never stored as NaN.
        lib.merge_progress(&[row("c", f64::NAN, None, 1), row("d", 7.0, None, 1)])
            .unwrap();
        let c = lib
            .store
            .read(|c| {
                c.query_row(
                    "SELECT sum(position) FROM lesson_progress WHERE lesson_id IN ('c','d')",
                    [],
                    |r| r.get::<_, f64>(0),
                )
            })
            .unwrap();
        assert_eq!(c, 1.0);
    }
}
