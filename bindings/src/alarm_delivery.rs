//! Getting alarms to and from the phone on the FFI: push registration, the platform's own
//! alarm stream, acknowledging through the outbox, and the phone's watchdog.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use yannong_core::alarm::{AckOutcome, Pushed, watchdog};
use yannong_core::barn::AlarmWatchEvent as CoreWatch;
use yannong_core::barn::api::AlarmId;
use yannong_core::cancel::Cancel;

use crate::alarm_plan::{LocalAlarmInfo, local_alarm};
use crate::alarms::{AlarmInbox, PushChannel, PushOutcome};
use crate::runtime::{blocking, on_runtime, runtime};
use crate::{Barns, YannongError};

/// What pressing "acknowledge" came to.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum AckResult {
    /// The platform has it: escalation stops everywhere.
    Delivered,
    /// Kept in the outbox (offline, platform busy); sent by `flushAcks()`. The inbox already
    /// shows the alarm acknowledged.
    Queued { reason: String },
    /// Someone had acknowledged it already.
    AlreadyAcknowledged { at: SystemTime },
}

/// What one pass over the acknowledgement outbox did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AckFlush {
    pub sent: u32,
    /// Refused for good (the alarm is gone or not this account's).
    pub dropped: u32,
    pub failed: u32,
    /// Still waiting.
    pub left: u32,
    /// When to call again (a WorkManager / BGTask deadline); `None` when nothing waits.
    pub next_try_at: Option<SystemTime>,
}

/// What the alarm stream reports.
// Crosses the FFI by value (UniFFI has no boxes); one per event, the size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum AlarmWatchEvent {
    /// Connected after catching up.
    Live,
    /// An event arrived on the stream: carry out its notification when new.
    Received { outcome: PushOutcome },
    Offline {
        retry_in: std::time::Duration,
        reason: String,
    },
    /// Stopped for good: by the app (`reason` is `None`) or the account is no longer valid.
    Ended {
        reason: Option<String>,
        needs_login: bool,
    },
}

/// Receives the alarm stream's events, on a core thread.
#[uniffi::export(with_foreign)]
pub trait AlarmWatchListener: Send + Sync {
    fn on_event(&self, event: AlarmWatchEvent);
}

/// Stops the alarm stream when stopped or released.
#[derive(Debug, uniffi::Object)]
pub struct AlarmWatch {
    cancel: Arc<Cancel>,
}

#[uniffi::export]
impl AlarmWatch {
    pub fn stop(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

impl Drop for AlarmWatch {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

#[uniffi::export]
impl Barns {
    /// Registers this phone's token of `channel` with the platform for the logged-in
    /// account; returns the device id (for `unregisterPush`). Call after login and whenever
    /// the vendor SDK hands out a new token. `Stream` is not registered (InvalidInput).
    pub async fn register_push(
        &self,
        channel: PushChannel,
        token: String,
    ) -> Result<i64, YannongError> {
        if channel == PushChannel::Stream {
            return Err(YannongError::InvalidInput {
                detail: "the alarm stream needs no registration: use AlarmInbox.watch".into(),
                field: Some("channel".to_owned()),
                step: None,
            });
        }
        let inner = self.inner.clone();
        on_runtime(async move { Ok(inner.register_push(channel.into(), &token).await?.id) }).await
    }

    pub async fn unregister_push(&self, device_id: i64) -> Result<(), YannongError> {
        let inner = self.inner.clone();
        on_runtime(async move { Ok(inner.unregister_push(device_id).await?) }).await
    }
}

#[uniffi::export]
impl AlarmInbox {
    /// Acknowledges alarm `alarm_id` (also from a notification action): saved first, shown
    /// at once, sent now if possible, else kept until `flushAcks()` gets it through.
    pub async fn acknowledge(&self, alarm_id: i64) -> Result<AckResult, YannongError> {
        let barns = self.barns.clone();
        on_runtime(async move {
            Ok(match barns.acknowledge_alarm(AlarmId(alarm_id)).await? {
                AckOutcome::Delivered => AckResult::Delivered,
                AckOutcome::Queued { reason } => AckResult::Queued { reason },
                AckOutcome::AlreadyAcknowledged { at, .. } => {
                    AckResult::AlreadyAcknowledged { at: at.into() }
                }
            })
        })
        .await
    }

    /// Sends acknowledgements still waiting. Call on app start, on wake-up and when the
    /// network returns.
    pub async fn flush_acks(&self) -> Result<AckFlush, YannongError> {
        let barns = self.barns.clone();
        on_runtime(async move {
            let r = barns.flush_acks().await?;
            Ok(AckFlush {
                sent: r.sent,
                dropped: r.dropped,
                failed: r.failed,
                left: r.left,
                next_try_at: r.next_try_at.map(Into::into),
            })
        })
        .await
    }

    /// The phone's own alarms: a barn with a running cure or the platform silent for too
    /// long (the case where every push channel is dead). Returns only changes since the last
    /// call (raised, worse, cleared), each with its notification. Call on every wake-up.
    pub async fn watchdog(self: Arc<Self>) -> Result<Vec<LocalAlarmInfo>, YannongError> {
        blocking(move |_| {
            let ctx = self.context()?;
            let changes = watchdog::check(&self.store, &ctx)?;
            Ok(changes
                .iter()
                .map(|a| local_alarm(a, self.locale))
                .collect())
        })
        .await
    }

    /// Holds the platform's alarm stream open (while the app or its foreground service
    /// runs), catching up first and after every drop. Events go to `listener` until the
    /// handle is stopped or released.
    pub fn watch(self: Arc<Self>, listener: Arc<dyn AlarmWatchListener>) -> Arc<AlarmWatch> {
        let cancel = Arc::new(Cancel::new(false));
        let flag = cancel.clone();
        runtime().spawn(async move {
            let (l, me) = (listener.clone(), self.clone());
            let result = self
                .barns
                .watch_alarms(&self.inbox, &flag, move |ev| {
                    l.on_event(match ev {
                        CoreWatch::Live => AlarmWatchEvent::Live,
                        CoreWatch::Offline { retry_in, reason } => {
                            AlarmWatchEvent::Offline { retry_in, reason }
                        }
                        CoreWatch::Received(r) => match me.outcome(Pushed::Received(r)) {
                            Ok(outcome) => AlarmWatchEvent::Received { outcome },
                            Err(e) => AlarmWatchEvent::Offline {
                                retry_in: std::time::Duration::ZERO,
                                reason: e.to_string(),
                            },
                        },
                    });
                })
                .await;
            let error = result.err().map(YannongError::from);
            listener.on_event(AlarmWatchEvent::Ended {
                needs_login: matches!(error, Some(YannongError::Unauthorized { .. })),
                reason: error.map(|e| e.to_string()),
            });
        });
        Arc::new(AlarmWatch { cancel })
    }
}
