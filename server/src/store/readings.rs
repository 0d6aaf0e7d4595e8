//! Readings: idempotent batch ingest and time-range reads.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use yannong_core::Timestamp;
use yannong_core::barn::api::{BarnId, IngestReport, Reading, Rejected};
use yannong_core::barn::rows;

use super::codec::next_seq;
use super::{StoreError, StoreResult};

pub(super) fn ingest(
    tx: &Transaction<'_>,
    barn: BarnId,
    batch_id: &str,
    readings: &[Reading],
    rejected: Vec<Rejected>,
    now: Timestamp,
) -> StoreResult<IngestReport> {
    let seen: Option<String> = tx
        .query_row(
            "SELECT report FROM ingest_batches WHERE barn_id = ?1 AND batch_id = ?2",
            params![barn.0, batch_id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(json) = seen {
        let mut report: IngestReport = serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("stored ingest report: {e}")))?;
        report.replayed = true;
        return Ok(report);
    }
    let first = next_seq(tx, readings.len() as i64)?;
    let mut insert = tx.prepare_cached(&format!(
        "INSERT OR IGNORE INTO readings (barn_id, seq, {}) VALUES (?1, ?2, {})",
        rows::COLUMNS,
        rows::placeholders(3)
    ))?;
    let mut accepted = 0u32;
    for (i, r) in readings.iter().enumerate() {
        accepted += rows::insert(&mut insert, &[&barn.0, &(first + i as i64)], r)? as u32;
    }
    let report = IngestReport {
        batch_id: batch_id.to_owned(),
        accepted,
        duplicates: readings.len() as u32 - accepted,
        rejected,
        replayed: false,
    };
    let json = serde_json::to_string(&report).map_err(|e| StoreError::Invalid(e.to_string()))?;
    tx.execute(
        "INSERT INTO ingest_batches (barn_id, batch_id, report, at) VALUES (?1, ?2, ?3, ?4)",
        params![barn.0, batch_id, json, now.0],
    )?;
    Ok(report)
}

fn query(c: &Connection, sql: &str, args: impl rusqlite::Params) -> StoreResult<Vec<Reading>> {
    let mut stmt = c.prepare_cached(sql)?;
    let out = stmt
        .query_map(args, |row| rows::from_row(row, 0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(out)
}

pub(super) fn range(
    c: &Connection,
    barn: BarnId,
    from: Timestamp,
    to: Timestamp,
    limit: usize,
) -> StoreResult<Vec<Reading>> {
    let sql = format!(
        "SELECT {} FROM readings WHERE barn_id = ?1 AND at >= ?2 AND at < ?3 ORDER BY at LIMIT ?4",
        rows::COLUMNS
    );
    query(c, &sql, params![barn.0, from.0, to.0, limit as i64])
}

/// Readings of `barn` changed in (after, upto], in time order.
pub(super) fn changed(
    c: &Connection,
    barn: BarnId,
    after: i64,
    upto: i64,
) -> StoreResult<Vec<Reading>> {
    let sql = format!(
        "SELECT {} FROM readings WHERE barn_id = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY at",
        rows::COLUMNS
    );
    query(c, &sql, params![barn.0, after, upto])
}

/// The `n`-th (1-based) change number after `after` among readings of barns `user` may see,
/// walking the change-number index: cheap when most rows scanned are visible (technicians,
/// admins).
pub(super) fn nth_visible_seq(
    c: &Connection,
    user: &yannong_core::barn::api::User,
    after: i64,
    n: usize,
) -> StoreResult<Option<i64>> {
    // CROSS JOIN keeps readings as the outer loop, in change-number order, so the scan stops
    // at the n-th visible row instead of sorting everything after the cursor.
    let mut stmt = c.prepare_cached(&format!(
        "SELECT r.seq FROM readings r CROSS JOIN barns b ON b.id = r.barn_id \
         WHERE r.seq > :after AND ({}) ORDER BY r.seq LIMIT 1 OFFSET :skip",
        super::codec::VISIBLE
    ))?;
    let seq = stmt
        .query_row(
            rusqlite::named_params! {
                ":after": after,
                ":skip": n as i64 - 1,
                ":role": super::codec::role_key(user.role),
                ":uid": user.id.0,
            },
            |r| r.get(0),
        )
        .optional()?;
    Ok(seq)
}

/// The first `limit` change numbers of `barn`'s readings after `after`.
pub(super) fn seqs_after(
    c: &Connection,
    barn: BarnId,
    after: i64,
    limit: usize,
) -> StoreResult<Vec<i64>> {
    let mut stmt = c.prepare_cached(
        "SELECT seq FROM readings WHERE barn_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let seqs = stmt
        .query_map(params![barn.0, after, limit as i64], |r| r.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(seqs)
}
