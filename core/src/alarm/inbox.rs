//! The phone's alarm inbox: signed events from any push channel or from catch-up are
//! verified, deduplicated by their per-person sequence number and stored with the alarm's
//! newest state in one transaction. Whichever mix of channels delivers, each event counts
//! once and the inbox ends up as the platform's list.

use std::sync::Arc;

use ed25519_dalek::VerifyingKey;
use rusqlite::params;

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
    #[error(transparent)]
    Store(#[from] StoreError),
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
        let (first_gap, has_first): (Option<i64>, bool) = self.store.read(|c| {
            // The lowest seq whose successor is missing: everything up to it is there when
            // seq 1 is.
            let gap = c.query_row(
                "SELECT MIN(f.seq) FROM alarm_feed f WHERE f.recipient = ?1 AND NOT EXISTS \
                 (SELECT 1 FROM alarm_feed g WHERE g.recipient = f.recipient AND g.seq = f.seq + 1)",
                [me.0],
                |r| r.get(0),
            )?;
            let first = c.query_row(
                "SELECT EXISTS (SELECT 1 FROM alarm_feed WHERE recipient = ?1 AND seq = 1)",
                [me.0],
                |r| r.get(0),
            )?;
            Ok::<_, PushError>((gap, first))
        })?;
        let n = first_gap;
        Ok(if has_first { n.unwrap_or(0) as u64 } else { 0 })
    }

    /// The inbox of `me`: each alarm once, newest raised first.
    pub fn alarms(&self, me: UserId) -> Result<Vec<Alarm>, PushError> {
        let jsons: Vec<String> = self.store.read(|c| {
            let mut stmt = c.prepare_cached("SELECT json FROM alarm_inbox WHERE recipient = ?1")?;
            let rows = stmt.query_map([me.0], |r| r.get(0))?;
            Ok::<_, PushError>(rows.collect::<Result<Vec<_>, _>>()?)
        })?;
        let mut out: Vec<Alarm> = jsons
            .iter()
            .map(|j| serde_json::from_str(j).map_err(|e| PushError::Unreadable(e.to_string())))
            .collect::<Result<_, _>>()?;
        out.sort_by(|a, b| b.raised_at.cmp(&a.raised_at).then(b.id.cmp(&a.id)));
        Ok(out)
    }
}
