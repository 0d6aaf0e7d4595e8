//! The phone's alarm inbox: signed events from any push channel or from catch-up are
//! verified, deduplicated by their per-person sequence number and stored with the alarm's
//! newest state in one transaction. Whichever mix of channels delivers, each event counts
//! once and the inbox ends up as the platform's list.

use std::sync::Arc;

use ed25519_dalek::VerifyingKey;
use rusqlite::{OptionalExtension, params};

use super::channel::{self, Carried, PushChannel};
use crate::Timestamp;
use crate::barn::api::{Alarm, AlarmEvent, EventError, SignedAlarmEvent, UserId};
use crate::store::{Store, StoreError};

/// Why a pushed payload was refused. Nothing of a refused payload is stored or shown.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("not a Yannong alarm payload: {0}")]
    Unreadable(String),
    #[error("refused: {0}")]
    Forged(#[from] EventError),
    /// Signed for another account (a shared phone that changed hands).
    #[error("meant for another account")]
    WrongRecipient,
    /// Issued longer ago than a push may take ([`MAX_PUSH_AGE_HOURS`]): a vendor held it
    /// while the phone was off. Catch-up delivers it quietly instead of a loud late alarm.
    #[error("issued {hours} h ago: too old for a push, catch up instead")]
    Stale { hours: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Oldest event a push channel may bring; vendors keep undelivered messages up to days.
pub const MAX_PUSH_AGE_HOURS: i64 = 24;

/// What a push brought.
#[derive(Debug, Clone, PartialEq)]
pub enum Pushed {
    Received(Received),
    /// The channel could only say that the feed has news up to `seq`: catch up.
    CatchUp {
        seq: u64,
    },
}

impl From<rusqlite::Error> for PushError {
    fn from(e: rusqlite::Error) -> PushError {
        PushError::Store(e.into())
    }
}

/// What became of a verified event.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    /// First time here. `gap` when events before it are missing: catch up.
    New { event: Box<AlarmEvent>, gap: bool },
    /// Already received through another channel or an earlier catch-up.
    Duplicate,
}

#[derive(Debug, Clone)]
pub struct Inbox {
    store: Arc<Store>,
    trusted: Vec<VerifyingKey>,
}

impl Inbox {
    /// An inbox accepting events signed by `trusted` (the platform keys the app ships).
    pub fn new(store: Arc<Store>, trusted: Vec<VerifyingKey>) -> Inbox {
        Inbox { store, trusted }
    }

    /// Takes a payload exactly as `channel`'s receiver got it: finds the signed event in the
    /// vendor's shape, refuses stale ones, then [`Inbox::receive`]s it.
    pub fn on_push(
        &self,
        channel: PushChannel,
        raw: &[u8],
        me: UserId,
        now: Timestamp,
    ) -> Result<Pushed, PushError> {
        let signed = match channel::unwrap(channel, raw) {
            Ok(Carried::Event(signed)) => signed,
            Ok(Carried::CatchUp { seq }) => return Ok(Pushed::CatchUp { seq }),
            Err(e) => return Err(PushError::Unreadable(e.to_string())),
        };
        // Verified before its age is believed.
        let event = signed.open(&self.trusted)?;
        let hours = (now.0 - event.issued_at.0) / 3_600_000;
        if hours >= MAX_PUSH_AGE_HOURS {
            return Err(PushError::Stale { hours });
        }
        self.store_event(event, channel.as_str(), me, now)
            .map(Pushed::Received)
    }

    /// Takes a signed event as JSON bytes from `channel` (a name for the record: "fcm",
    /// "hms", "catch-up"…) for the account `me`.
    pub fn receive_bytes(
        &self,
        raw: &[u8],
        channel: &str,
        me: UserId,
        now: Timestamp,
    ) -> Result<Received, PushError> {
        let signed: SignedAlarmEvent =
            serde_json::from_slice(raw).map_err(|e| PushError::Unreadable(e.to_string()))?;
        self.receive(&signed, channel, me, now)
    }

    pub fn receive(
        &self,
        signed: &SignedAlarmEvent,
        channel: &str,
        me: UserId,
        now: Timestamp,
    ) -> Result<Received, PushError> {
        let event = signed.open(&self.trusted)?;
        self.store_event(event, channel, me, now)
    }

    fn store_event(
        &self,
        event: AlarmEvent,
        channel: &str,
        me: UserId,
        now: Timestamp,
    ) -> Result<Received, PushError> {
        if event.recipient != me {
            return Err(PushError::WrongRecipient);
        }
        let json = serde_json::to_string(&event.alarm)
            .map_err(|e| PushError::Unreadable(e.to_string()))?;
        let fresh = self.store.write(|tx| {
            let inserted = tx.execute(
                "INSERT OR IGNORE INTO alarm_feed (recipient, seq, kind, alarm_id, channel, \
                 received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    me.0,
                    event.seq as i64,
                    format!("{:?}", event.kind),
                    event.alarm.id.0,
                    channel,
                    now.0
                ],
            )?;
            if inserted == 0 {
                return Ok::<_, PushError>(false);
            }
            advance_head(tx, me, event.seq)?;
            // Events may arrive out of order across channels: the highest sequence number
            // carries the newest state (the platform numbers them in commit order).
            tx.execute(
                "INSERT INTO alarm_inbox (alarm_id, recipient, seq, json) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (alarm_id) DO UPDATE SET \
                 seq = excluded.seq, json = excluded.json WHERE excluded.seq > alarm_inbox.seq",
                params![event.alarm.id.0, me.0, event.seq as i64, json],
            )?;
            Ok(true)
        })?;
        if !fresh {
            return Ok(Received::Duplicate);
        }
        let gap = self.contiguous(me)? < event.seq;
        Ok(Received::New {
            event: Box::new(event),
            gap,
        })
    }

    /// The highest sequence number `me` holds with every earlier one: catch up after it.
    pub fn contiguous(&self, me: UserId) -> Result<u64, PushError> {
        let head: Option<i64> = self.store.read(|c| {
            Ok::<_, PushError>(
                c.query_row(
                    "SELECT contiguous FROM alarm_feed_head WHERE recipient = ?1",
                    [me.0],
                    |r| r.get(0),
                )
                .optional()?,
            )
        })?;
        Ok(head.unwrap_or(0) as u64)
    }

    /// The inbox of `me`: each alarm once, newest raised first. An acknowledgement still
    /// waiting in the outbox shows as given, even when a newer event arrived since.
    pub fn alarms(&self, me: UserId) -> Result<Vec<Alarm>, PushError> {
        let rows: Vec<(String, Option<i64>)> = self.store.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT i.json, o.acked_at FROM alarm_inbox i LEFT JOIN alarm_ack_outbox o \
                 ON o.recipient = i.recipient AND o.alarm_id = i.alarm_id WHERE i.recipient = ?1",
            )?;
            let rows = stmt.query_map([me.0], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok::<_, PushError>(rows.collect::<Result<Vec<_>, _>>()?)
        })?;
        let mut out = Vec::with_capacity(rows.len());
        for (json, pressed) in rows {
            let mut a: Alarm =
                serde_json::from_str(&json).map_err(|e| PushError::Unreadable(e.to_string()))?;
            if let (None, Some(at)) = (a.acked_at, pressed) {
                a.acked_at = Some(Timestamp(at));
                a.acked_by = Some(me);
            }
            out.push(a);
        }
        out.sort_by(|a, b| b.raised_at.cmp(&a.raised_at).then(b.id.cmp(&a.id)));
        Ok(out)
    }
}

/// Moves `me`'s unbroken head on after `seq` was stored: past it if it closes the gap, and
/// past any later events that arrived early. Each event is stepped over once: O(1) amortised.
fn advance_head(tx: &rusqlite::Transaction<'_>, me: UserId, seq: u64) -> rusqlite::Result<()> {
    let head: i64 = tx
        .query_row(
            "SELECT contiguous FROM alarm_feed_head WHERE recipient = ?1",
            [me.0],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    if seq as i64 != head + 1 {
        return Ok(());
    }
    let mut next = head + 1;
    let mut held = tx.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM alarm_feed WHERE recipient = ?1 AND seq = ?2)",
    )?;
    while held.query_row(params![me.0, next + 1], |r| r.get::<_, bool>(0))? {
        next += 1;
    }
    tx.execute(
        "INSERT INTO alarm_feed_head (recipient, contiguous) VALUES (?1, ?2) \
         ON CONFLICT (recipient) DO UPDATE SET contiguous = excluded.contiguous",
        params![me.0, next],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
