//! Pushes every person's new alarm events to each of their registered devices, in order,
//! through that device's vendor. Each device has a cursor in the store: an event counts as
//! delivered only when the vendor accepted it, so a platform restart resends exactly what is
//! outstanding, and a vendor that is down delays only its own devices.

use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::VerifyingKey;
use tokio::task::JoinSet;
use yannong_core::Timestamp;
use yannong_core::alarm::{MAX_PUSH_AGE_HOURS, PushChannel};
use yannong_core::barn::api::Severity;

use super::message::Message;
use super::request::Outcome;
use super::vendors::Vendors;
use crate::clock::Clock;
use crate::store::{PlatformStore, PushTarget, StoreResult};

/// Devices handled per round, and at once.
const DEVICES_PER_ROUND: usize = 256;
const IN_FLIGHT: usize = 16;
/// Events sent to one device per round, oldest first.
const EVENTS_PER_DEVICE: usize = 20;
const FIRST_RETRY: Duration = Duration::from_secs(5);
const MAX_RETRY: Duration = Duration::from_secs(10 * 60);
/// A vendor's Retry-After is honoured up to this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);
/// A channel this platform has no credentials for is looked at again after this.
const UNCONFIGURED_RETRY: Duration = Duration::from_secs(60 * 60);

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RoundReport {
    pub delivered: usize,
    /// Refused for good by the vendor, or too old for a push: catch-up brings them.
    pub skipped: usize,
    /// Devices whose vendor failed for now and will be retried.
    pub retrying: usize,
    /// Devices whose token the vendor declared invalid.
    pub disabled: usize,
}

impl std::ops::AddAssign for RoundReport {
    fn add_assign(&mut self, o: RoundReport) {
        self.delivered += o.delivered;
        self.skipped += o.skipped;
        self.retrying += o.retrying;
        self.disabled += o.disabled;
    }
}

#[derive(Debug)]
pub struct Dispatcher {
    store: Arc<dyn PlatformStore>,
    vendors: Vendors,
    /// The platform's own alarm key: a stored event is decoded only after it verifies.
    key: VerifyingKey,
    clock: Clock,
}

impl Dispatcher {
    pub fn new(
        store: Arc<dyn PlatformStore>,
        vendors: Vendors,
        key: VerifyingKey,
        clock: Clock,
    ) -> Dispatcher {
        Dispatcher {
            store,
            vendors,
            key,
            clock,
        }
    }

    /// Sends what is due now.
    pub async fn round(self: &Arc<Self>) -> StoreResult<RoundReport> {
        let due = self
            .store
            .due_devices(self.clock.now(), DEVICES_PER_ROUND)?;
        let mut report = RoundReport::default();
        let mut tasks = JoinSet::new();
        for device in due {
            if tasks.len() >= IN_FLIGHT
                && let Some(done) = tasks.join_next().await
            {
                report += joined(done)?;
            }
            let me = self.clone();
            tasks.spawn(async move { me.device(device).await });
        }
        while let Some(done) = tasks.join_next().await {
            report += joined(done)?;
        }
        Ok(report)
    }

    /// Rounds until the task is dropped; `every` between rounds that found nothing to do.
    pub async fn run(self: Arc<Self>, every: Duration) {
        loop {
            match self.round().await {
                Ok(r) if r.delivered + r.skipped > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "push round failed"),
            }
            tokio::time::sleep(every).await;
        }
    }

    async fn device(&self, d: PushTarget) -> StoreResult<RoundReport> {
        let mut report = RoundReport::default();
        let now = self.clock.now();
        let Some(ch) = PushChannel::parse(&d.channel).filter(|c| self.vendors.configured(*c))
        else {
            let why = format!("channel {} is not configured on this platform", d.channel);
            self.store
                .device_failed(d.id, later(now, UNCONFIGURED_RETRY), &why)?;
            return Ok(report);
        };
        for pending in self.store.pending_events(&d, EVENTS_PER_DEVICE)? {
            let event = match pending.signed.open(&[self.key]) {
                Ok(e) => e,
                Err(e) => {
                    // Signed by a retired key or damaged: phones would refuse it too.
                    tracing::error!(device = d.id, seq = pending.seq, error = %e, "unpushable event");
                    self.store.device_delivered(d.id, pending.seq)?;
                    report.skipped += 1;
                    continue;
                }
            };
            // Info alarms are log only (curing-domain §3); old ones would be refused as
            // stale. Catch-up brings both, quietly.
            if event.alarm.severity == Severity::Info
                || now.0 - event.issued_at.0 >= MAX_PUSH_AGE_HOURS * 3_600_000
            {
                self.store.device_delivered(d.id, pending.seq)?;
                report.skipped += 1;
                continue;
            }
            let msg = Message::new(event, &pending.signed, &pending.barn_name);
            match self.vendors.deliver(ch, &d.token, &msg).await {
                Outcome::Delivered => {
                    self.store.device_delivered(d.id, pending.seq)?;
                    report.delivered += 1;
                }
                Outcome::Rejected(why) => {
                    tracing::warn!(device = d.id, channel = %ch, seq = pending.seq, %why, "push refused, skipped");
                    self.store.device_delivered(d.id, pending.seq)?;
                    report.skipped += 1;
                }
                Outcome::Retry { after, reason } => {
                    self.failed(&d, ch, now, after, &reason)?;
                    report.retrying += 1;
                    break;
                }
                Outcome::AuthExpired(why) => {
                    self.failed(&d, ch, now, None, &why)?;
                    report.retrying += 1;
                    break;
                }
                Outcome::Unregistered(why) => {
                    tracing::info!(device = d.id, channel = %ch, %why, "push token gone, device disabled");
                    self.store.device_disabled(d.id, &why, now)?;
                    report.disabled += 1;
                    break;
                }
            }
        }
        Ok(report)
    }
}

impl Dispatcher {
    fn failed(
        &self,
        d: &PushTarget,
        ch: PushChannel,
        now: Timestamp,
        after: Option<Duration>,
        why: &str,
    ) -> StoreResult<()> {
        let wait = retry_delay(d.id, d.failures, after);
        tracing::info!(device = d.id, channel = %ch, %why, ?wait, "push failed, will retry");
        self.store.device_failed(d.id, later(now, wait), why)
    }
}

fn later(now: Timestamp, d: Duration) -> Timestamp {
    Timestamp(
        now.0
            .saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
    )
}

fn joined(
    done: Result<StoreResult<RoundReport>, tokio::task::JoinError>,
) -> StoreResult<RoundReport> {
    match done {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "push task panicked");
            Ok(RoundReport::default())
        }
    }
}

/// Exponential backoff from 5 s to 10 min with ±20 % spread (so devices that failed
/// together do not retry together), or the vendor's Retry-After when it gave one.
pub fn retry_delay(device: i64, failures: u32, vendor_says: Option<Duration>) -> Duration {
    if let Some(d) = vendor_says {
        return d.min(MAX_RETRY_AFTER);
    }
    let base = FIRST_RETRY
        .saturating_mul(1 << failures.min(10))
        .min(MAX_RETRY);
    // A fixed spread per device and attempt: deterministic, so tests can check it.
    let spread = ((device as u64).wrapping_mul(2_654_435_761) ^ u64::from(failures)) % 41;
    base.mul_f64(0.8 + spread as f64 / 100.0)
}
