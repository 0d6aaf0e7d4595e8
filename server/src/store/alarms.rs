//! Alarms: raised, escalated and cleared by the rule engine, acknowledged by people.

use rusqlite::{Connection, OptionalExtension, Row, Transaction, named_params, params};
use yannong_core::barn::api::{
    Alarm, AlarmEvent, AlarmEventKind, AlarmId, BarnId, CuringId, Severity, SignedAlarmEvent, User,
    UserId,
};
use yannong_core::{Text, Timestamp};

use super::codec::{VISIBLE, collect, from_key, key, role_key};
use super::{Sealer, StoreError, StoreResult};

const COLUMNS: &str = "a.id, a.barn_id, a.curing_id, a.rule, a.rules_version, a.severity, \
     a.title, a.action, a.raised_at, a.updated_at, a.cleared_at, a.acked_at, a.acked_by";

/// What the rule engine decided for one rule on one barn.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmChange {
    pub barn: BarnId,
    pub curing: Option<CuringId>,
    pub rule: String,
    pub rules_version: u32,
    pub severity: Severity,
    pub title: Text,
    pub action: Text,
    pub at: Timestamp,
    pub kind: AlarmChangeKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmChangeKind {
    Raised,
    Escalated,
    Cleared,
}

fn text(json: String) -> StoreResult<Text> {
    serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("alarm text: {e}")))
}

fn from_row(r: &Row<'_>) -> StoreResult<Alarm> {
    Ok(Alarm {
        id: AlarmId(r.get(0)?),
        barn_id: BarnId(r.get(1)?),
        curing_id: r.get::<_, Option<i64>>(2)?.map(CuringId),
        rule: r.get(3)?,
        rules_version: r.get(4)?,
        severity: from_key(r.get(5)?)?,
        title: text(r.get(6)?)?,
        action: text(r.get(7)?)?,
        raised_at: Timestamp(r.get(8)?),
        updated_at: Timestamp(r.get(9)?),
        cleared_at: r.get::<_, Option<i64>>(10)?.map(Timestamp),
        acked_at: r.get::<_, Option<i64>>(11)?.map(Timestamp),
        acked_by: r.get::<_, Option<i64>>(12)?.map(UserId),
    })
}

fn active_for(c: &Connection, barn: BarnId, rule: &str) -> StoreResult<Option<Alarm>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM alarms a WHERE a.barn_id = ?1 AND a.rule = ?2 AND a.cleared_at IS NULL"
    ))?;
    let mut rows = stmt.query(params![barn.0, rule])?;
    rows.next()?.map(from_row).transpose()
}

/// Applies a change. Raising a rule that is already active (an engine restarted, a change
/// replayed) escalates it at most; escalating or clearing one that is not active does
/// nothing. Returns the alarm as it now stands, or `None` when nothing was active.
pub(super) fn apply(
    tx: &Transaction<'_>,
    c: &AlarmChange,
    seal: Sealer<'_>,
) -> StoreResult<Option<Alarm>> {
    let before = active_for(tx, c.barn, &c.rule)?;
    let after = change(tx, c, before.clone())?;
    // An event only for a real change: a replayed raise or a stray clear tells nobody anything.
    if let Some(a) = &after
        && before.as_ref() != Some(a)
    {
        let kind = match c.kind {
            AlarmChangeKind::Raised if before.is_none() => AlarmEventKind::Raised,
            AlarmChangeKind::Cleared => AlarmEventKind::Cleared,
            _ => AlarmEventKind::Escalated,
        };
        emit(tx, a, kind, c.at, seal)?;
    }
    Ok(after)
}

fn change(
    tx: &Transaction<'_>,
    c: &AlarmChange,
    current: Option<Alarm>,
) -> StoreResult<Option<Alarm>> {
    match (c.kind, current) {
        (AlarmChangeKind::Raised, None) => {
            let encode = |t: &Text| serde_json::to_string(t).unwrap_or_default();
            tx.execute(
                "INSERT INTO alarms (barn_id, curing_id, rule, rules_version, severity, title, \
                 action, raised_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                params![
                    c.barn.0,
                    c.curing.map(|i| i.0),
                    c.rule,
                    c.rules_version,
                    key(&c.severity)?,
                    encode(&c.title),
                    encode(&c.action),
                    c.at.0
                ],
            )?;
            active_for(tx, c.barn, &c.rule)
        }
        (AlarmChangeKind::Raised | AlarmChangeKind::Escalated, Some(a)) => {
            if c.severity > a.severity {
                tx.execute(
                    "UPDATE alarms SET severity = ?2, updated_at = ?3 WHERE id = ?1",
                    params![a.id.0, key(&c.severity)?, c.at.0],
                )?;
            }
            active_for(tx, c.barn, &c.rule)
        }
        (AlarmChangeKind::Cleared, Some(a)) => {
            tx.execute(
                "UPDATE alarms SET cleared_at = ?2, updated_at = ?2 WHERE id = ?1",
                params![a.id.0, c.at.0],
            )?;
            get(tx, a.id)
        }
        (AlarmChangeKind::Escalated | AlarmChangeKind::Cleared, None) => Ok(None),
    }
}

pub(super) fn get(c: &Connection, id: AlarmId) -> StoreResult<Option<Alarm>> {
    let mut stmt = c.prepare_cached(&format!("SELECT {COLUMNS} FROM alarms a WHERE a.id = ?1"))?;
    let mut rows = stmt.query([id.0])?;
    rows.next()?.map(from_row).transpose()
}

/// The newest alarm of `rule` on `barn`, active or cleared.
pub(super) fn last(c: &Connection, barn: BarnId, rule: &str) -> StoreResult<Option<Alarm>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM alarms a WHERE a.barn_id = ?1 AND a.rule = ?2 \
         ORDER BY a.raised_at DESC, a.id DESC LIMIT 1"
    ))?;
    let mut rows = stmt.query(params![barn.0, rule])?;
    rows.next()?.map(from_row).transpose()
}

/// Active alarms of a barn, to restore the engine after a restart.
pub(super) fn active(c: &Connection, barn: BarnId) -> StoreResult<Vec<Alarm>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM alarms a WHERE a.barn_id = ?1 AND a.cleared_at IS NULL ORDER BY a.id"
    ))?;
    collect(stmt.query([barn.0])?, from_row)
}

/// Alarms of the barns `user` may see, newest first; `open_only` keeps those still active or
/// not yet acknowledged (info entries are a log: nobody acknowledges them, once over they
/// are done).
pub(super) fn visible(
    c: &Connection,
    user: &User,
    open_only: bool,
    limit: usize,
) -> StoreResult<Vec<Alarm>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM alarms a JOIN barns b ON b.id = a.barn_id WHERE ({VISIBLE}) \
         AND (NOT :open OR a.cleared_at IS NULL \
              OR (a.acked_at IS NULL AND a.severity <> 'info')) \
         ORDER BY a.raised_at DESC, a.id DESC LIMIT :limit"
    ))?;
    collect(
        stmt.query(named_params! {
            ":role": role_key(user.role),
            ":uid": user.id.0,
            ":open": open_only,
            ":limit": limit as i64,
        })?,
        from_row,
    )
}

/// Acknowledges an alarm `user` may see. Acknowledging again changes nothing (the first
/// person and time stay). `None` when the alarm is missing or on someone else's barn.
pub(super) fn acknowledge(
    tx: &Transaction<'_>,
    user: &User,
    id: AlarmId,
    at: Timestamp,
    seal: Sealer<'_>,
) -> StoreResult<Option<Alarm>> {
    let visible: Option<i64> = tx
        .query_row(
            &format!("SELECT a.id FROM alarms a JOIN barns b ON b.id = a.barn_id WHERE a.id = :id AND ({VISIBLE})"),
            named_params! {":id": id.0, ":role": role_key(user.role), ":uid": user.id.0},
            |r| r.get(0),
        )
        .optional()?;
    if visible.is_none() {
        return Ok(None);
    }
    let changed = tx.execute(
        "UPDATE alarms SET acked_at = ?2, acked_by = ?3, updated_at = ?2 \
         WHERE id = ?1 AND acked_at IS NULL",
        params![id.0, at.0, user.id.0],
    )?;
    let alarm = get(tx, id)?;
    if changed > 0
        && let Some(a) = &alarm
    {
        emit(tx, a, AlarmEventKind::Acknowledged, at, seal)?;
    }
    Ok(alarm)
}

/// Appends a signed event for `alarm` to the feed of everyone who looks after its barn (the
/// farmer who owns it and the technician assigned to it) and of anyone escalation told of it
/// (`alarm_audience`: the station), so every phone that showed the alarm sees how it ends.
fn emit(
    tx: &Transaction<'_>,
    alarm: &Alarm,
    kind: AlarmEventKind,
    at: Timestamp,
    seal: Sealer<'_>,
) -> StoreResult<()> {
    let (owner, technician): (i64, Option<i64>) = tx.query_row(
        "SELECT owner, technician FROM barns WHERE id = ?1",
        [alarm.barn_id.0],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut stmt = tx.prepare_cached(
        "SELECT user_id FROM alarm_audience WHERE alarm_id = ?1 ORDER BY user_id",
    )?;
    let told: Vec<i64> = collect(stmt.query([alarm.id.0])?, |r| Ok(r.get(0)?))?;
    let mut to: Vec<UserId> = Vec::new();
    for id in std::iter::once(owner).chain(technician).chain(told) {
        if !to.contains(&UserId(id)) {
            to.push(UserId(id));
        }
    }
    emit_to(tx, alarm, kind, at, seal, &to)
}

/// Appends a signed event for `alarm` to the feeds of `recipients` (each numbered on).
pub(super) fn emit_to(
    tx: &Transaction<'_>,
    alarm: &Alarm,
    kind: AlarmEventKind,
    at: Timestamp,
    seal: Sealer<'_>,
    recipients: &[UserId],
) -> StoreResult<()> {
    for &UserId(recipient) in recipients {
        let seq: i64 = tx.query_row(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM alarm_events WHERE recipient = ?1",
            [recipient],
            |r| r.get(0),
        )?;
        let event = AlarmEvent {
            recipient: UserId(recipient),
            seq: seq as u64,
            kind,
            alarm: alarm.clone(),
            issued_at: at,
        };
        let signed = serde_json::to_string(&seal(&event))
            .map_err(|e| StoreError::Invalid(format!("signed event: {e}")))?;
        tx.execute(
            "INSERT INTO alarm_events (recipient, seq, alarm_id, signed) VALUES (?1, ?2, ?3, ?4)",
            params![recipient, seq, alarm.id.0, signed],
        )?;
    }
    Ok(())
}

/// `user`'s feed after `after`, in order.
pub(super) fn events(
    c: &Connection,
    user: &User,
    after: u64,
    limit: usize,
) -> StoreResult<Vec<SignedAlarmEvent>> {
    let mut stmt = c.prepare_cached(
        "SELECT signed FROM alarm_events WHERE recipient = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    collect(
        stmt.query(params![user.id.0, after as i64, limit as i64])?,
        |r| {
            serde_json::from_str(&r.get::<_, String>(0)?)
                .map_err(|e| StoreError::Corrupt(format!("stored alarm event: {e}")))
        },
    )
}
