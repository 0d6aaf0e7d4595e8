//! Readings as SQLite rows, shared by the platform's store and the phone's: temperatures in
//! tenths of a degree, the on/off states packed in one byte. About 40 bytes a reading.

use rusqlite::{Row, Statement, ToSql};

use super::api::{Reading, pack_flags, unpack_flags};
use crate::Timestamp;

/// The reading columns in the order [`insert`] binds and [`from_row`] reads them.
pub const COLUMNS: &str = "at, dry, wet, dry_low, dry_set, wet_set, step, heating, fan_current, \
     vent, vent_cmd, flags";

/// `?n` placeholders for [`COLUMNS`], starting at `?first`.
pub fn placeholders(first: usize) -> String {
    (first..first + 12)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn deci(v: f64) -> i64 {
    (v * 10.0).round() as i64
}

fn from_deci(v: i64) -> f64 {
    v as f64 / 10.0
}

/// Runs `stmt` (an INSERT whose parameters are `head` followed by [`COLUMNS`]) for `r`.
/// Binds in place: syncing a phone inserts hundreds of thousands of rows, and per-row
/// allocations showed in the profile.
pub fn insert(
    stmt: &mut Statement<'_>,
    head: &[&dyn ToSql],
    r: &Reading,
) -> rusqlite::Result<usize> {
    let mut i = 0;
    let mut bind = |v: &dyn ToSql| {
        i += 1;
        stmt.raw_bind_parameter(i, v)
    };
    for h in head {
        bind(*h)?;
    }
    bind(&r.at.0)?;
    bind(&deci(r.dry_bulb_c))?;
    bind(&deci(r.wet_bulb_c))?;
    bind(&r.dry_bulb_low_c.map(deci))?;
    bind(&r.dry_bulb_set_c.map(deci))?;
    bind(&r.wet_bulb_set_c.map(deci))?;
    bind(&r.step)?;
    bind(&r.heating_pct)?;
    bind(&r.fan_current_pct)?;
    bind(&r.vent_pct)?;
    bind(&r.vent_cmd_pct)?;
    bind(&pack_flags(r))?;
    stmt.raw_execute()
}

/// Reads [`COLUMNS`] starting at column `offset`. Unknown flag bits are a typed error.
pub fn from_row(row: &Row<'_>, offset: usize) -> rusqlite::Result<Reading> {
    let col = |i: usize| offset + i;
    let flags: u8 = row.get(col(11))?;
    let (fan, heat_pump, mains_power, door_open) = unpack_flags(flags).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            col(11),
            rusqlite::types::Type::Integer,
            format!("unknown reading flags {flags:#04x}").into(),
        )
    })?;
    Ok(Reading {
        at: Timestamp(row.get(col(0))?),
        dry_bulb_c: from_deci(row.get(col(1))?),
        wet_bulb_c: from_deci(row.get(col(2))?),
        dry_bulb_low_c: row.get::<_, Option<i64>>(col(3))?.map(from_deci),
        dry_bulb_set_c: row.get::<_, Option<i64>>(col(4))?.map(from_deci),
        wet_bulb_set_c: row.get::<_, Option<i64>>(col(5))?.map(from_deci),
        step: row.get(col(6))?,
        heat_pump,
        heating_pct: row.get(col(7))?,
        fan,
        fan_current_pct: row.get(col(8))?,
        vent_pct: row.get(col(9))?,
        vent_cmd_pct: row.get(col(10))?,
        mains_power,
        door_open,
    })
}
