//! Delivering the alarm acknowledgement outbox ([`crate::alarm::outbox`]) to the platform. A
//! row is removed only after the platform answered, so a kill between send and remove means
//! one more send, which the platform's idempotent acknowledgement absorbs.

use std::time::Duration;

use rusqlite::Transaction;

use crate::Timestamp;
use crate::alarm::outbox::{self, AckError, AckOutcome, FlushReport, PendingAck};
use crate::barn::api::{AlarmId, Session, UserId};
use crate::barn::client::PlatformClient;
use crate::barn::{BarnError, local};
use crate::store::Store;

impl From<AckError> for BarnError {
    fn from(e: AckError) -> BarnError {
        match e {
            AckError::NotInInbox(_) => BarnError::NotFound(e.to_string()),
            AckError::Store(e) => BarnError::Store(e),
        }
    }
}

/// How one send ended. Unauthorized comes back as `Err`, the row untouched for after login.
#[derive(Debug)]
pub(super) enum Sent {
    Delivered,
    /// 404: the alarm is gone or not this account's; the row was dropped.
    Dropped(String),
    /// Kept for a later try; `stop`: the next rows would fail the same way.
    Kept {
        reason: String,
        stop: bool,
    },
}

pub(super) async fn send(
    client: &PlatformClient,
    store: &Store,
    token: &str,
    row: &PendingAck,
) -> Result<Sent, BarnError> {
    let (me, id) = (row.recipient, row.alarm_id);
    let e = match client.acknowledge_alarm(token, id).await {
        Ok(_) => {
            outbox::remove(store, me, id)?;
            return Ok(Sent::Delivered);
        }
        Err(BarnError::NotFound(why)) => {
            tracing::warn!(alarm = %id, reason = %why,
                "acknowledgement dropped: the platform has no such alarm for this account");
            outbox::remove(store, me, id)?;
            return Ok(Sent::Dropped(why));
        }
        Err(e @ (BarnError::Unauthorized(_) | BarnError::NotLoggedIn)) => return Err(e),
        Err(e) => e,
    };
    let (stop, at_least) = match &e {
        BarnError::Network(_) => (true, Duration::ZERO),
        BarnError::RateLimited { retry_after_s } => {
            (true, Duration::from_secs(u64::from(*retry_after_s)))
        }
        // 5xx, or an answer that is not the alarm (a captive portal's page): not delivered.
        _ => (false, Duration::ZERO),
    };
    let reason = e.to_string();
    outbox::retry_later(store, me, id, &reason, Timestamp::now(), at_least)?;
    tracing::info!(alarm = %id, error = %reason, "acknowledgement kept for a later try");
    Ok(Sent::Kept { reason, stop })
}

/// Sends `due` in order; stops early when offline or rate-limited.
pub(super) async fn flush(
    client: &PlatformClient,
    store: &Store,
    token: &str,
    me: UserId,
    due: &[PendingAck],
) -> Result<FlushReport, BarnError> {
    let mut report = FlushReport::default();
    for row in due {
        match send(client, store, token, row).await? {
            Sent::Delivered => report.sent += 1,
            Sent::Dropped(_) => report.dropped += 1,
            Sent::Kept { stop, .. } => {
                report.failed += 1;
                if stop {
                    break;
                }
            }
        }
    }
    waiting(store, me, report)
}

/// Fills in what is left in the outbox of `me`.
pub(super) fn waiting(
    store: &Store,
    me: UserId,
    mut report: FlushReport,
) -> Result<FlushReport, BarnError> {
    let left = outbox::pending(store, me, Timestamp(i64::MAX))?;
    report.left = left.len() as u32;
    report.next_try_at = left.iter().map(|p| p.next_try_at).min();
    Ok(report)
}

/// The press's outcome from its immediate send. A token that could not be had for network
/// reasons leaves the press queued like a failed send.
pub(super) fn outcome(id: AlarmId, sent: Result<Sent, BarnError>) -> Result<AckOutcome, BarnError> {
    match sent {
        Ok(Sent::Delivered) => Ok(AckOutcome::Delivered),
        Ok(Sent::Dropped(why)) => Err(BarnError::NotFound(format!("alarm {id}: {why}"))),
        Ok(Sent::Kept { reason, .. }) => Ok(AckOutcome::Queued { reason }),
        Err(
            e @ (BarnError::Network(_)
            | BarnError::RateLimited { .. }
            | BarnError::Rejected { .. }
            | BarnError::Decode(_)),
        ) => Ok(AckOutcome::Queued {
            reason: e.to_string(),
        }),
        Err(e) => Err(e),
    }
}

/// On login: presses of another account or platform go, as its inbox does (`local::begin`).
pub(super) fn on_login(tx: &Transaction<'_>, platform: &str, s: &Session) -> Result<(), BarnError> {
    let same =
        local::session(tx)?.is_some_and(|l| l.platform == platform && l.user.id == s.user.id);
    if !same {
        let n = outbox::forget(tx)?;
        if n > 0 {
            tracing::warn!(
                dropped = n,
                "another account: its undelivered acknowledgements go"
            );
        }
    }
    Ok(())
}
