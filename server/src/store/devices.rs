//! Push devices: where each person's alarm feed is pushed, and how far each device got.

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use yannong_core::Timestamp;
use yannong_core::barn::api::{PushDevice, SignedAlarmEvent, UserId};

use super::codec::collect;
use super::{StoreError, StoreResult};

/// A device as the dispatcher needs it (with the whole token, which the API never shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushTarget {
    pub id: i64,
    pub user: UserId,
    pub channel: String,
    pub token: String,
    pub delivered_seq: u64,
    pub failures: u32,
}

/// An undelivered event of a device's feed, with what a notification needs to say.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingEvent {
    pub seq: u64,
    pub signed: SignedAlarmEvent,
    pub barn_name: String,
}

const COLUMNS: &str =
    "id, channel, token, registered_at, delivered_seq, last_error, disabled_at, user_id, failures";

fn device_from_row(r: &Row<'_>) -> StoreResult<PushDevice> {
    let token: String = r.get(2)?;
    let tail = token.chars().rev().take(6).collect::<Vec<_>>();
    Ok(PushDevice {
        id: r.get(0)?,
        channel: r.get(1)?,
        token_tail: tail.into_iter().rev().collect(),
        registered_at: Timestamp(r.get(3)?),
        delivered_seq: r.get::<_, i64>(4)? as u64,
        last_error: r.get(5)?,
        disabled_at: r.get::<_, Option<i64>>(6)?.map(Timestamp),
    })
}

fn target_from_row(r: &Row<'_>) -> StoreResult<PushTarget> {
    Ok(PushTarget {
        id: r.get(0)?,
        channel: r.get(1)?,
        token: r.get(2)?,
        delivered_seq: r.get::<_, i64>(4)? as u64,
        user: UserId(r.get(7)?),
        failures: r.get(8)?,
    })
}

fn newest_seq(c: &Connection, user: UserId) -> StoreResult<i64> {
    Ok(c.query_row(
        "SELECT COALESCE(MAX(seq), 0) FROM alarm_events WHERE recipient = ?1",
        [user.0],
        |r| r.get(0),
    )?)
}

/// Registers `token` for `user`. A token already known moves to `user` (a phone that
/// changed hands) and is enabled again. Pushes start with the next event: older ones are
/// the phone's catch-up, not a burst of stale notifications.
pub(super) fn register(
    tx: &Transaction<'_>,
    user: UserId,
    channel: &str,
    token: &str,
    now: Timestamp,
) -> StoreResult<PushDevice> {
    let from = newest_seq(tx, user)?;
    tx.execute(
        "INSERT INTO push_devices (user_id, channel, token, registered_at, delivered_seq) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (channel, token) DO UPDATE SET \
         delivered_seq = CASE WHEN user_id = excluded.user_id AND disabled_at IS NULL \
             THEN delivered_seq ELSE excluded.delivered_seq END, \
         user_id = excluded.user_id, registered_at = excluded.registered_at, \
         failures = 0, next_try_at = 0, last_error = NULL, disabled_at = NULL",
        params![user.0, channel, token, now.0, from],
    )?;
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM push_devices WHERE channel = ?1 AND token = ?2"
    ))?;
    let mut rows = stmt.query(params![channel, token])?;
    rows.next()?
        .map(device_from_row)
        .transpose()?
        .ok_or_else(|| StoreError::NotFound("registered device".into()))
}

/// Forgets a device of `user`; `false` when it is not theirs.
pub(super) fn unregister(tx: &Transaction<'_>, user: UserId, id: i64) -> StoreResult<bool> {
    Ok(tx.execute(
        "DELETE FROM push_devices WHERE id = ?1 AND user_id = ?2",
        params![id, user.0],
    )? > 0)
}

pub(super) fn list(c: &Connection, user: UserId) -> StoreResult<Vec<PushDevice>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM push_devices WHERE user_id = ?1 ORDER BY id"
    ))?;
    collect(stmt.query([user.0])?, device_from_row)
}

/// Enabled devices whose feed has events they lack and whose retry time has come.
pub(super) fn due(c: &Connection, now: Timestamp, limit: usize) -> StoreResult<Vec<PushTarget>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM push_devices d WHERE d.disabled_at IS NULL \
         AND d.next_try_at <= ?1 AND EXISTS (SELECT 1 FROM alarm_events e \
         WHERE e.recipient = d.user_id AND e.seq > d.delivered_seq) ORDER BY d.next_try_at, d.id \
         LIMIT ?2"
    ))?;
    collect(stmt.query(params![now.0, limit as i64])?, target_from_row)
}

/// The events `device` lacks, oldest first.
pub(super) fn pending(
    c: &Connection,
    device: &PushTarget,
    limit: usize,
) -> StoreResult<Vec<PendingEvent>> {
    let mut stmt = c.prepare_cached(
        "SELECT e.seq, e.signed, b.name FROM alarm_events e JOIN alarms a ON a.id = e.alarm_id \
         JOIN barns b ON b.id = a.barn_id WHERE e.recipient = ?1 AND e.seq > ?2 \
         ORDER BY e.seq LIMIT ?3",
    )?;
    collect(
        stmt.query(params![
            device.user.0,
            device.delivered_seq as i64,
            limit as i64
        ])?,
        |r| {
            Ok(PendingEvent {
                seq: r.get::<_, i64>(0)? as u64,
                signed: serde_json::from_str(&r.get::<_, String>(1)?)
                    .map_err(|e| StoreError::Corrupt(format!("stored alarm event: {e}")))?,
                barn_name: r.get(2)?,
            })
        },
    )
}

/// A vendor accepted (or permanently refused) everything up to `seq`.
pub(super) fn delivered(tx: &Transaction<'_>, id: i64, seq: u64) -> StoreResult<()> {
    tx.execute(
        "UPDATE push_devices SET delivered_seq = MAX(delivered_seq, ?2), failures = 0, \
         next_try_at = 0, last_error = NULL WHERE id = ?1",
        params![id, seq as i64],
    )?;
    Ok(())
}

/// A send failed for a reason that may pass: try again at `retry_at`.
pub(super) fn failed(
    tx: &Transaction<'_>,
    id: i64,
    retry_at: Timestamp,
    error: &str,
) -> StoreResult<()> {
    tx.execute(
        "UPDATE push_devices SET failures = failures + 1, next_try_at = ?2, last_error = ?3 \
         WHERE id = ?1",
        params![id, retry_at.0, error],
    )?;
    Ok(())
}

/// The vendor says the token is gone: stop until the phone registers again.
pub(super) fn disable(
    tx: &Transaction<'_>,
    id: i64,
    reason: &str,
    now: Timestamp,
) -> StoreResult<()> {
    tx.execute(
        "UPDATE push_devices SET disabled_at = ?2, last_error = ?3 WHERE id = ?1",
        params![id, now.0, reason],
    )?;
    Ok(())
}

/// The newest sequence number of `user`'s feed (the SSE stream starts after what the phone has).
pub(super) fn feed_head(c: &Connection, user: UserId) -> StoreResult<u64> {
    Ok(newest_seq(c, user)? as u64)
}

/// One device by id (tests and the admin view).
pub(super) fn target(c: &Connection, id: i64) -> StoreResult<Option<PushTarget>> {
    let mut stmt =
        c.prepare_cached(&format!("SELECT {COLUMNS} FROM push_devices WHERE id = ?1"))?;
    stmt.query_row([id], |r| Ok(target_from_row(r)))
        .optional()?
        .transpose()
}
