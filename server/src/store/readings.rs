//! Readings: idempotent batch ingest and time-range reads.

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use yannong_core::Timestamp;
use yannong_core::barn::api::{BarnId, IngestReport, Reading, Rejected, pack_flags, unpack_flags};

use super::codec::{collect, next_seq};
use super::{StoreError, StoreResult};

pub(super) const COLUMNS: &str = "at, dry, wet, dry_low, dry_set, wet_set, step, heating, \
     fan_current, vent, vent_cmd, flags";

fn deci(v: f64) -> i64 {
    (v * 10.0).round() as i64
}

fn from_deci(v: i64) -> f64 {
    v as f64 / 10.0
}

pub(super) fn from_row(row: &Row<'_>) -> StoreResult<Reading> {
    let flags: u8 = row.get(11)?;
    let (fan, heat_pump, mains_power, door_open) =
        unpack_flags(flags).ok_or_else(|| StoreError::Corrupt(format!("reading flags {flags}")))?;
    Ok(Reading {
        at: Timestamp(row.get(0)?),
        dry_bulb_c: from_deci(row.get(1)?),
        wet_bulb_c: from_deci(row.get(2)?),
        dry_bulb_low_c: row.get::<_, Option<i64>>(3)?.map(from_deci),
        dry_bulb_set_c: row.get::<_, Option<i64>>(4)?.map(from_deci),
        wet_bulb_set_c: row.get::<_, Option<i64>>(5)?.map(from_deci),
        step: row.get(6)?,
        heat_pump,
        heating_pct: row.get(7)?,
        fan,
        fan_current_pct: row.get(8)?,
        vent_pct: row.get(9)?,
        vent_cmd_pct: row.get(10)?,
        mains_power,
        door_open,
    })
}

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
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO readings (barn_id, at, seq, dry, wet, dry_low, dry_set, wet_set, \
         step, heating, fan_current, vent, vent_cmd, flags) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    let mut accepted = 0u32;
    for (i, r) in readings.iter().enumerate() {
        accepted += insert.execute(params![
            barn.0,
            r.at.0,
            first + i as i64,
            deci(r.dry_bulb_c),
            deci(r.wet_bulb_c),
            r.dry_bulb_low_c.map(deci),
            r.dry_bulb_set_c.map(deci),
            r.wet_bulb_set_c.map(deci),
            r.step,
            r.heating_pct,
            r.fan_current_pct,
            r.vent_pct,
            r.vent_cmd_pct,
            pack_flags(r),
        ])? as u32;
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

pub(super) fn range(
    c: &Connection,
    barn: BarnId,
    from: Timestamp,
    to: Timestamp,
    limit: usize,
) -> StoreResult<Vec<Reading>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM readings WHERE barn_id = ?1 AND at >= ?2 AND at < ?3 \
         ORDER BY at LIMIT ?4"
    ))?;
    collect(
        stmt.query(params![barn.0, from.0, to.0, limit as i64])?,
        from_row,
    )
}

/// Readings of `barn` changed in (after, upto], in time order.
pub(super) fn changed(
    c: &Connection,
    barn: BarnId,
    after: i64,
    upto: i64,
) -> StoreResult<Vec<Reading>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM readings WHERE barn_id = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY at"
    ))?;
    collect(stmt.query(params![barn.0, after, upto])?, from_row)
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
