//! The phone's copy of the platform: what the screens read, with or without network.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::BarnError;
use super::api::{Barn, BarnId, ChangesPage, Curing, ImageId, ImageMeta, Reading, Session, User};
use super::rows;
use crate::Timestamp;

/// Who is logged in, where, and how far sync got.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalSession {
    pub platform: String,
    pub user: User,
    pub expires_at: Timestamp,
    pub cursor: String,
    /// When the last sync finished on this device's clock; `None` before the first.
    pub synced_at: Option<Timestamp>,
    /// The platform's clock at the last sync.
    pub server_time: Option<Timestamp>,
}

fn decode<T: serde::de::DeserializeOwned>(json: &str, what: &str) -> Result<T, BarnError> {
    serde_json::from_str(json).map_err(|e| {
        BarnError::Store(crate::store::StoreError::Corrupt(format!(
            "stored {what}: {e}"
        )))
    })
}

fn encode<T: serde::Serialize>(v: &T) -> Result<String, BarnError> {
    serde_json::to_string(v).map_err(|e| BarnError::Decode(e.to_string()))
}

pub(super) fn session(c: &Connection) -> Result<Option<LocalSession>, BarnError> {
    let row = c
        .query_row(
            "SELECT platform, user, expires_at, cursor, synced_at, server_time FROM barn_sync",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                ))
            },
        )
        .optional()?;
    row.map(|(platform, user, expires, cursor, synced, server)| {
        Ok(LocalSession {
            platform,
            user: decode(&user, "user")?,
            expires_at: Timestamp(expires),
            cursor,
            synced_at: synced.map(Timestamp),
            server_time: server.map(Timestamp),
        })
    })
    .transpose()
}

/// Drops every barn row this device holds.
pub(super) fn wipe(tx: &Transaction<'_>) -> Result<(), BarnError> {
    tx.execute_batch(
        "DELETE FROM barns; DELETE FROM curings; DELETE FROM readings; DELETE FROM barn_images;",
    )?;
    Ok(())
}

/// Records a login. Another account or platform than before starts from an empty copy, so one
/// farmer's barns never show under another's login on a shared phone.
pub(super) fn begin(tx: &Transaction<'_>, platform: &str, s: &Session) -> Result<(), BarnError> {
    let same: bool = tx
        .query_row(
            "SELECT platform = ?1 AND user_id = ?2 FROM barn_sync",
            params![platform, s.user.id.0],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(false);
    if !same {
        wipe(tx)?;
        forget_alarms(tx)?;
        tx.execute("DELETE FROM barn_sync", [])?;
    }
    tx.execute(
        "INSERT INTO barn_sync (id, platform, user_id, user, expires_at, cursor) \
         VALUES (1, ?1, ?2, ?3, ?4, '') \
         ON CONFLICT (id) DO UPDATE SET user = excluded.user, expires_at = excluded.expires_at",
        params![platform, s.user.id.0, encode(&s.user)?, s.expires_at.0],
    )?;
    Ok(())
}

pub(super) fn end(tx: &Transaction<'_>) -> Result<(), BarnError> {
    wipe(tx)?;
    forget_alarms(tx)?;
    tx.execute("DELETE FROM barn_sync", [])?;
    Ok(())
}

/// The alarm inbox goes with the account, like its barns.
fn forget_alarms(tx: &Transaction<'_>) -> Result<(), BarnError> {
    tx.execute_batch(
        "DELETE FROM alarm_feed; DELETE FROM alarm_feed_head; DELETE FROM alarm_inbox;",
    )?;
    Ok(())
}

/// Applies one page and moves the cursor, in the caller's transaction: a page is in or out.
pub(super) fn apply(
    tx: &Transaction<'_>,
    page: &ChangesPage,
    readings: &[(BarnId, Vec<Reading>)],
    now: Timestamp,
) -> Result<(), BarnError> {
    if page.reset {
        wipe(tx)?;
    }
    for b in &page.barns {
        tx.execute(
            "INSERT OR REPLACE INTO barns (id, json) VALUES (?1, ?2)",
            params![b.id.0, encode(b)?],
        )?;
    }
    for c in &page.curings {
        tx.execute(
            "INSERT OR REPLACE INTO curings (id, barn_id, started_at, json) VALUES (?1, ?2, ?3, ?4)",
            params![c.id.0, c.barn_id.0, c.started_at.0, encode(c)?],
        )?;
    }
    for (barn, rs) in readings {
        insert_readings(tx, *barn, rs)?;
    }
    for i in &page.images {
        tx.execute(
            "INSERT OR IGNORE INTO barn_images (id, barn_id, at, bytes, sha256, simulated) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![i.id.0, i.barn_id.0, i.at.0, i.bytes, i.sha256, i.simulated],
        )?;
    }
    tx.execute(
        "UPDATE barn_sync SET cursor = ?1, synced_at = ?2, server_time = ?3",
        params![page.cursor, now.0, page.server_time.0],
    )?;
    Ok(())
}

/// Stores live readings (from the stream) so every screen reads one source.
pub(super) fn put_readings(
    tx: &Transaction<'_>,
    barn: BarnId,
    rs: &[Reading],
) -> Result<(), BarnError> {
    insert_readings(tx, barn, rs)
}

fn insert_readings(tx: &Transaction<'_>, barn: BarnId, rs: &[Reading]) -> Result<(), BarnError> {
    let mut insert = tx.prepare_cached(&format!(
        "INSERT OR REPLACE INTO readings (barn_id, {}) VALUES (?1, {})",
        rows::COLUMNS,
        rows::placeholders(2)
    ))?;
    for r in rs {
        rows::insert(&mut insert, &[&barn.0], r)?;
    }
    Ok(())
}

pub fn barns(c: &Connection) -> Result<Vec<Barn>, BarnError> {
    let mut stmt = c.prepare_cached("SELECT json FROM barns ORDER BY id")?;
    let jsons = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    jsons.iter().map(|j| decode(j, "barn")).collect()
}

pub fn barn(c: &Connection, id: BarnId) -> Result<Option<Barn>, BarnError> {
    let json: Option<String> = c
        .query_row("SELECT json FROM barns WHERE id = ?1", [id.0], |r| r.get(0))
        .optional()?;
    json.map(|j| decode(&j, "barn")).transpose()
}

/// Cures of a barn, oldest first.
pub fn curings(c: &Connection, barn: BarnId) -> Result<Vec<Curing>, BarnError> {
    let mut stmt =
        c.prepare_cached("SELECT json FROM curings WHERE barn_id = ?1 ORDER BY started_at")?;
    let jsons = stmt
        .query_map([barn.0], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    jsons.iter().map(|j| decode(j, "curing")).collect()
}

/// Readings of a barn in [from, to), in time order.
pub fn readings(
    c: &Connection,
    barn: BarnId,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Reading>, BarnError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {} FROM readings WHERE barn_id = ?1 AND at >= ?2 AND at < ?3 ORDER BY at",
        rows::COLUMNS
    ))?;
    let out = stmt
        .query_map(params![barn.0, from.0, to.0], |r| rows::from_row(r, 0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(out)
}

/// A barn's latest cure with its readings (through `now`, or an hour past a finished cure's
/// end, whichever is later).
pub fn latest_cure(
    c: &Connection,
    barn: BarnId,
    now: Timestamp,
) -> Result<Option<(Curing, Vec<Reading>)>, BarnError> {
    let Some(curing) = curings(c, barn)?.pop() else {
        return Ok(None);
    };
    let end = curing
        .finished_at
        .map_or(now, |t| t.max(now))
        .add_hours(1.0);
    let readings = readings(c, barn, curing.started_at, end)?;
    Ok(Some((curing, readings)))
}

pub fn latest_reading(c: &Connection, barn: BarnId) -> Result<Option<Reading>, BarnError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {} FROM readings WHERE barn_id = ?1 ORDER BY at DESC LIMIT 1",
        rows::COLUMNS
    ))?;
    Ok(stmt
        .query_row([barn.0], |r| rows::from_row(r, 0))
        .optional()?)
}

const IMAGE_COLUMNS: &str = "id, barn_id, at, bytes, sha256, simulated";

fn image_meta(r: &rusqlite::Row<'_>) -> rusqlite::Result<ImageMeta> {
    Ok(ImageMeta {
        id: ImageId(r.get(0)?),
        barn_id: BarnId(r.get(1)?),
        at: Timestamp(r.get(2)?),
        bytes: r.get(3)?,
        sha256: r.get(4)?,
        simulated: r.get(5)?,
    })
}

/// Picture metadata of a barn, newest first.
pub fn images(c: &Connection, barn: BarnId, limit: usize) -> Result<Vec<ImageMeta>, BarnError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {IMAGE_COLUMNS} FROM barn_images WHERE barn_id = ?1 ORDER BY at DESC LIMIT ?2"
    ))?;
    let out = stmt
        .query_map(params![barn.0, limit as i64], image_meta)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(out)
}

/// One picture's metadata, if this account's copy has it.
pub fn image(c: &Connection, id: ImageId) -> Result<Option<ImageMeta>, BarnError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {IMAGE_COLUMNS} FROM barn_images WHERE id = ?1"
    ))?;
    Ok(stmt.query_row([id.0], image_meta).optional()?)
}
