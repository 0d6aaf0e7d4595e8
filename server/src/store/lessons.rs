//! Reading progress per person and lesson, merged from all of a person's phones: the newest
//! position wins (a tie keeps what is stored, so a replayed batch changes nothing) and a
//! lesson counts as finished from its earliest completion on.

use rusqlite::{Connection, Row, Transaction, params};
use yannong_core::Timestamp;
use yannong_core::barn::api::{LessonProgress, UserId};

use super::StoreResult;
use super::codec::collect;

pub(super) fn merge(
    tx: &Transaction<'_>,
    user: UserId,
    entries: &[LessonProgress],
) -> StoreResult<Vec<LessonProgress>> {
    // SET expressions all see the row as it was before this update.
    let mut stmt = tx.prepare_cached(
        "INSERT INTO lesson_progress (user_id, pack_id, lesson_id, position, completed_at, \
         updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (user_id, pack_id, lesson_id) DO UPDATE SET \
         position = CASE WHEN excluded.updated_at > updated_at \
             THEN excluded.position ELSE position END, \
         updated_at = MAX(updated_at, excluded.updated_at), \
         completed_at = COALESCE(MIN(completed_at, excluded.completed_at), completed_at, \
             excluded.completed_at)",
    )?;
    for e in entries {
        stmt.execute(params![
            user.0,
            e.pack_id,
            e.lesson_id,
            e.position,
            e.completed_at.map(|t| t.0),
            e.updated_at.0
        ])?;
    }
    all(tx, user)
}

pub(super) fn all(c: &Connection, user: UserId) -> StoreResult<Vec<LessonProgress>> {
    let mut stmt = c.prepare_cached(
        "SELECT pack_id, lesson_id, position, completed_at, updated_at FROM lesson_progress \
         WHERE user_id = ?1 ORDER BY pack_id, lesson_id",
    )?;
    collect(stmt.query([user.0])?, from_row)
}

fn from_row(r: &Row<'_>) -> StoreResult<LessonProgress> {
    Ok(LessonProgress {
        pack_id: r.get(0)?,
        lesson_id: r.get(1)?,
        position: r.get(2)?,
        completed_at: r.get::<_, Option<i64>>(3)?.map(Timestamp),
        updated_at: Timestamp(r.get(4)?),
    })
}
