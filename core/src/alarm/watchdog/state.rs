//! What the watchdog reads and keeps in the store.

use std::collections::{BTreeMap, HashSet};

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::LocalAlarmKind;
use crate::Timestamp;
use crate::barn::api::{BarnId, Severity};
use crate::store::StoreError;

/// Where sync stands; `None` when nobody is logged in.
#[derive(Debug, Clone, Copy)]
pub(super) struct SyncState {
    /// Device clock: the last sync page applied.
    pub synced_at: Option<Timestamp>,
    /// Platform clock at that sync.
    pub server_time: Option<Timestamp>,
    /// Device clock: the platform last answered outside a sync page.
    pub last_contact: Option<Timestamp>,
}

pub(super) fn sync_state(c: &Connection) -> Result<Option<SyncState>, StoreError> {
    let row = c
        .query_row(
            "SELECT synced_at, server_time, last_contact_at FROM barn_sync",
            [],
            |r| {
                Ok(SyncState {
                    synced_at: r.get::<_, Option<i64>>(0)?.map(Timestamp),
                    server_time: r.get::<_, Option<i64>>(1)?.map(Timestamp),
                    last_contact: r.get::<_, Option<i64>>(2)?.map(Timestamp),
                })
            },
        )
        .optional()?;
    Ok(row)
}

/// Records that the platform answered (the live stream is up and talking) at `now`.
pub fn record_contact(tx: &Transaction<'_>, now: Timestamp) -> Result<(), StoreError> {
    tx.execute("UPDATE barn_sync SET last_contact_at = ?1", [now.0])?;
    Ok(())
}

/// Barns with an active A13 ("barn offline") alarm from the platform: the user was told.
pub(super) fn told_by_platform(c: &Connection) -> Result<HashSet<BarnId>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT DISTINCT json_extract(json, '$.barn_id') FROM alarm_inbox \
         WHERE json_extract(json, '$.rule') = 'A13' \
         AND json_extract(json, '$.cleared_at') IS NULL",
    )?;
    let ids = stmt
        .query_map([], |r| r.get::<_, i64>(0).map(BarnId))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// When the barn's latest cure started, if it is still running. Reads only what it needs:
/// decoding the whole cure would validate its recipe on every wake-up.
pub(super) fn running_since(c: &Connection, barn: BarnId) -> Result<Option<Timestamp>, StoreError> {
    let row: Option<(i64, Option<i64>)> = c
        .query_row(
            "SELECT started_at, json_extract(json, '$.finished_at') FROM curings \
             WHERE barn_id = ?1 ORDER BY started_at DESC LIMIT 1",
            [barn.0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(row.and_then(|(start, finished)| finished.is_none().then_some(Timestamp(start))))
}

pub(super) fn newest_reading(
    c: &Connection,
    barn: BarnId,
) -> Result<Option<Timestamp>, StoreError> {
    let at: Option<i64> = c.query_row(
        "SELECT MAX(at) FROM readings WHERE barn_id = ?1",
        [barn.0],
        |r| r.get(0),
    )?;
    Ok(at.map(Timestamp))
}

/// A local alarm raised and not yet cleared.
#[derive(Debug, Clone, Copy)]
pub(super) struct Active {
    pub severity: Severity,
    pub raised_at: Timestamp,
}

pub(super) fn active(c: &Connection) -> Result<BTreeMap<LocalAlarmKind, Active>, StoreError> {
    let mut stmt = c.prepare_cached("SELECT barn_id, severity, raised_at FROM watchdog_alarms")?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, Option<i64>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(barn, severity, raised_at)| {
            let kind = barn.map_or(LocalAlarmKind::PlatformSilent, |id| {
                LocalAlarmKind::BarnSilent {
                    barn_id: BarnId(id),
                }
            });
            let severity = parse_severity(&severity)
                .ok_or_else(|| StoreError::Corrupt(format!("watchdog severity {severity:?}")))?;
            let raised_at = Timestamp(raised_at);
            Ok((
                kind,
                Active {
                    severity,
                    raised_at,
                },
            ))
        })
        .collect()
}

/// Raises or escalates `kind`.
pub(super) fn put(tx: &Transaction<'_>, kind: LocalAlarmKind, a: Active) -> Result<(), StoreError> {
    let barn = match kind {
        LocalAlarmKind::PlatformSilent => None,
        LocalAlarmKind::BarnSilent { barn_id } => Some(barn_id.0),
    };
    tx.execute(
        "INSERT INTO watchdog_alarms (key, barn_id, severity, raised_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (key) DO UPDATE SET severity = excluded.severity",
        params![kind.tag(), barn, severity_key(a.severity), a.raised_at.0],
    )?;
    Ok(())
}

pub(super) fn remove(tx: &Transaction<'_>, kind: LocalAlarmKind) -> Result<(), StoreError> {
    tx.execute("DELETE FROM watchdog_alarms WHERE key = ?1", [kind.tag()])?;
    Ok(())
}

/// The serde names, as the platform's tables store severities.
fn severity_key(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Minor => "minor",
        Severity::Major => "major",
        Severity::Critical => "critical",
    }
}

fn parse_severity(s: &str) -> Option<Severity> {
    [
        Severity::Info,
        Severity::Minor,
        Severity::Major,
        Severity::Critical,
    ]
    .into_iter()
    .find(|v| severity_key(*v) == s)
}
