//! Acknowledgements pressed on the phone (in the app or from the notification action), kept
//! in an outbox until the platform has them. The press is stored together with the inbox
//! showing the alarm acknowledged, in one transaction, so it is visible at once offline and
//! survives the app being killed. Rows leave only after the platform answered; sending one
//! twice is harmless because the platform acknowledges idempotently.

use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::Timestamp;
use crate::barn::api::{Alarm, AlarmId, UserId};
use crate::store::{Store, StoreError};

/// First retry after this; doubles per failed attempt up to [`RETRY_CAP`].
const RETRY_FIRST: Duration = Duration::from_secs(2);
/// Critical alarms keep escalating until acknowledged: never wait longer than this.
const RETRY_CAP: Duration = Duration::from_secs(5 * 60);

/// Why a press could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum AckError {
    /// Only alarms this account's inbox holds can be acknowledged from the phone.
    #[error("alarm {0} is not in this account's inbox")]
    NotInInbox(AlarmId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for AckError {
    fn from(e: rusqlite::Error) -> AckError {
        AckError::Store(e.into())
    }
}

/// One acknowledgement waiting for the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAck {
    pub alarm_id: AlarmId,
    pub recipient: UserId,
    /// When the person pressed it (the first press).
    pub acked_at: Timestamp,
    /// Failed sends so far.
    pub attempts: u32,
    pub last_error: Option<String>,
    pub next_try_at: Timestamp,
}

/// What a press did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pressed {
    /// First press: in the outbox, and the inbox shows the alarm acknowledged.
    Queued(PendingAck),
    /// Pressed before and not delivered yet: the first press and its time stay.
    AlreadyQueued(PendingAck),
    /// The inbox already has it acknowledged (delivered earlier, or someone else acknowledged
    /// it on the platform): nothing to send.
    AlreadyAcknowledged { at: Timestamp, by: Option<UserId> },
}

/// What pressing "acknowledge" came to (`Barns::acknowledge_alarm`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckOutcome {
    /// The platform has it.
    Delivered,
    /// Saved and shown acknowledged; `Barns::flush_acks` sends it once the platform answers.
    Queued { reason: String },
    /// Acknowledged before (from here, or by someone else on the platform): nothing sent.
    AlreadyAcknowledged { at: Timestamp, by: Option<UserId> },
}

/// What one `Barns::flush_acks` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlushReport {
    /// Delivered and removed.
    pub sent: u32,
    /// Removed unsent: the platform has no such alarm for this account (404).
    pub dropped: u32,
    /// Sends that failed this time (offline, 5xx, 429); those rows wait for their next try.
    pub failed: u32,
    /// Rows still waiting, due now or later.
    pub left: u32,
    /// When the earliest of them is due: a good time for the next flush.
    pub next_try_at: Option<Timestamp>,
}

const COLUMNS: &str = "alarm_id, recipient, acked_at, attempts, last_error, next_try_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PendingAck> {
    Ok(PendingAck {
        alarm_id: AlarmId(r.get(0)?),
        recipient: UserId(r.get(1)?),
        acked_at: Timestamp(r.get(2)?),
        attempts: r.get(3)?,
        last_error: r.get(4)?,
        next_try_at: Timestamp(r.get(5)?),
    })
}

fn find(c: &Connection, me: UserId, alarm: AlarmId) -> Result<Option<PendingAck>, AckError> {
    let sql =
        format!("SELECT {COLUMNS} FROM alarm_ack_outbox WHERE recipient = ?1 AND alarm_id = ?2");
    Ok(c.query_row(&sql, params![me.0, alarm.0], row).optional()?)
}

/// Stores `me` pressing "acknowledge" on `alarm` at `now`: the outbox row and the inbox's
/// alarm shown acknowledged, in one transaction. Pressing again keeps the first time.
///
/// The inbox row keeps its sequence number, so any later event the platform sends (higher
/// seq) replaces the local mark with the platform's state.
pub fn acknowledge(
    store: &Store,
    me: UserId,
    alarm: AlarmId,
    now: Timestamp,
) -> Result<Pressed, AckError> {
    store.write(|tx| {
        let json: Option<String> = tx
            .query_row(
                "SELECT json FROM alarm_inbox WHERE alarm_id = ?1 AND recipient = ?2",
                params![alarm.0, me.0],
                |r| r.get(0),
            )
            .optional()?;
        let json = json.ok_or(AckError::NotInInbox(alarm))?;
        let mut shown: Alarm = serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("inbox alarm {alarm}: {e}")))?;
        let (pressed, at) = match find(tx, me, alarm)? {
            Some(p) => {
                let at = p.acked_at;
                (Pressed::AlreadyQueued(p), at)
            }
            None => {
                if let Some(at) = shown.acked_at {
                    let by = shown.acked_by;
                    return Ok(Pressed::AlreadyAcknowledged { at, by });
                }
                tx.execute(
                    "INSERT INTO alarm_ack_outbox (recipient, alarm_id, acked_at, next_try_at) \
                     VALUES (?1, ?2, ?3, ?3)",
                    params![me.0, alarm.0, now.0],
                )?;
                let p = PendingAck {
                    alarm_id: alarm,
                    recipient: me,
                    acked_at: now,
                    attempts: 0,
                    last_error: None,
                    next_try_at: now,
                };
                (Pressed::Queued(p), now)
            }
        };
        // Shown acknowledged at once; again after a newer platform event un-marked it.
        if shown.acked_at.is_none() {
            shown.acked_at = Some(at);
            shown.acked_by = Some(me);
            let json = serde_json::to_string(&shown)
                .map_err(|e| StoreError::Corrupt(format!("inbox alarm {alarm}: {e}")))?;
            tx.execute(
                "UPDATE alarm_inbox SET json = ?2 WHERE alarm_id = ?1",
                params![alarm.0, json],
            )?;
        }
        Ok(pressed)
    })
}

/// The rows of `me` due at `now`, oldest press first (`Timestamp(i64::MAX)`: all of them).
pub fn pending(store: &Store, me: UserId, now: Timestamp) -> Result<Vec<PendingAck>, AckError> {
    store.read(|c| {
        let sql = format!(
            "SELECT {COLUMNS} FROM alarm_ack_outbox WHERE recipient = ?1 AND next_try_at <= ?2 \
             ORDER BY acked_at, alarm_id"
        );
        let mut stmt = c.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![me.0, now.0], row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
}

/// The platform has it (or answered that the alarm is not ours): the row goes. False when it
/// was already gone (sent twice concurrently, or logged out meanwhile).
pub fn remove(store: &Store, me: UserId, alarm: AlarmId) -> Result<bool, AckError> {
    let n = store.write(|tx| {
        tx.execute(
            "DELETE FROM alarm_ack_outbox WHERE recipient = ?1 AND alarm_id = ?2",
            params![me.0, alarm.0],
        )
        .map_err(AckError::from)
    })?;
    Ok(n > 0)
}

/// A send failed with `error`: the row stays and is due again after the backoff for its
/// attempts, or after `at_least` when the platform asked for that (429 Retry-After). Returns
/// the next try, `None` when the row is gone.
pub fn retry_later(
    store: &Store,
    me: UserId,
    alarm: AlarmId,
    error: &str,
    now: Timestamp,
    at_least: Duration,
) -> Result<Option<Timestamp>, AckError> {
    store.write(|tx| {
        let Some(p) = find(tx, me, alarm)? else {
            return Ok(None);
        };
        let attempts = p.attempts.saturating_add(1);
        let wait = retry_delay(attempts, (alarm.0 ^ now.0) as u64).max(at_least);
        let next = Timestamp(now.0.saturating_add(wait.as_millis() as i64));
        tx.execute(
            "UPDATE alarm_ack_outbox SET attempts = ?3, last_error = ?4, next_try_at = ?5 \
             WHERE recipient = ?1 AND alarm_id = ?2",
            params![me.0, alarm.0, attempts, error, next.0],
        )?;
        Ok(Some(next))
    })
}

/// Drops every row, in the caller's transaction: on logout or when another account logs in,
/// as the inbox they belong to is forgotten then too. Returns how many were dropped.
pub fn forget(tx: &Transaction<'_>) -> Result<usize, StoreError> {
    Ok(tx.execute("DELETE FROM alarm_ack_outbox", [])?)
}

/// Wait before try `attempts + 1`: exponential from [`RETRY_FIRST`] to [`RETRY_CAP`], ±25 %
/// jitter from `seed` so phones that lost the same tower do not all come back at once.
pub fn retry_delay(attempts: u32, seed: u64) -> Duration {
    let first = RETRY_FIRST.as_millis() as u64;
    let base = first
        .saturating_mul(1 << attempts.saturating_sub(1).min(16))
        .min(RETRY_CAP.as_millis() as u64);
    // xorshift: jitter needs no cryptographic randomness.
    let mut x = seed | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    let jitter = (x % 501) as i64 - 250; // thousandths
    let ms = base as i64 + base as i64 * jitter / 1000;
    Duration::from_millis(ms.max(100) as u64)
}

#[cfg(test)]
mod tests;
