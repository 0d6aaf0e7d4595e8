//! The platform service behind the HTTP API and the simulator: storage, the clock and the live
//! feed, so readings arriving over HTTP and from simulated barns take the same path.

use std::sync::Arc;

use tokio::sync::broadcast;
use yannong_core::barn::api::{
    Alarm, BarnId, Curing, CuringId, IngestBatch, IngestReport, MAX_BATCH, Reading, Rejected,
    validate_reading,
};

use ed25519_dalek::SigningKey;

use crate::alarm::{AlarmService, EscalationPolicy, LogNotifier, Notifier, RuleSet, escalate};
use crate::clock::Clock;
use crate::lessons::{PublishedModels, Shelf};
use crate::store::{PlatformStore, StoreError, StoreResult};

/// Live readings buffered for slow stream subscribers; a subscriber that falls further behind
/// skips ahead (and its phone catches up through sync).
const LIVE_BUFFER: usize = 4096;

#[derive(Debug, Clone)]
pub struct Platform {
    pub store: Arc<dyn PlatformStore>,
    pub clock: Clock,
    pub alarms: Arc<AlarmService>,
    /// The lesson packs served to phones (none unless [`Platform::with_lessons`]).
    pub lessons: Arc<Shelf>,
    /// The leaf-check models served to phones (none unless [`Platform::with_models`]).
    pub models: Arc<PublishedModels>,
    live: broadcast::Sender<(BarnId, Reading)>,
    /// Escalation of critical alarms: its schedule and the SMS/voice gateway it goes through.
    escalation: Arc<EscalationPolicy>,
    notifier: Arc<dyn Notifier>,
}

impl Platform {
    /// A platform that signs alarm events with a fresh key (demos and tests); a deployed
    /// platform keeps its key: [`Platform::with_alarm_key`].
    pub fn new(store: Arc<dyn PlatformStore>, clock: Clock) -> Platform {
        let mut seed = [0u8; 32];
        // The OS random source failing leaves nothing safe to do.
        #[allow(clippy::expect_used)]
        getrandom::fill(&mut seed).expect("the OS random source works");
        Platform::with_alarm_key(store, clock, SigningKey::from_bytes(&seed))
    }

    pub fn with_alarm_key(
        store: Arc<dyn PlatformStore>,
        clock: Clock,
        key: SigningKey,
    ) -> Platform {
        Platform {
            store,
            clock,
            alarms: Arc::new(AlarmService::new(RuleSet::builtin(), key)),
            lessons: Arc::new(Shelf::empty()),
            models: Arc::new(PublishedModels::empty()),
            live: broadcast::channel(LIVE_BUFFER).0,
            escalation: Arc::new(EscalationPolicy::builtin()),
            notifier: Arc::new(LogNotifier),
        }
    }

    /// Sends escalation texts and calls through `notifier` (the default only logs them).
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> Platform {
        self.notifier = notifier;
        self
    }

    /// Serves the lesson packs of `shelf`.
    pub fn with_models(mut self, models: Arc<PublishedModels>) -> Platform {
        self.models = models;
        self
    }

    pub fn with_lessons(mut self, shelf: Arc<Shelf>) -> Platform {
        self.lessons = shelf;
        self
    }

    /// Escalates on `policy` instead of the shipped schedule.
    pub fn with_escalation(mut self, policy: EscalationPolicy) -> Platform {
        self.escalation = Arc::new(policy);
        self
    }

    /// Judges the clock-only alarm rules (silent barns, overrunning steps) now. The simulator
    /// calls it after each tick, [`Platform::run_alarm_clock`] otherwise.
    pub fn check_alarm_clock(&self) -> StoreResult<Vec<Alarm>> {
        let now = self.clock.now();
        let changed = self.alarms.on_clock(self.store.as_ref(), now)?;
        // After the clock's judgement, so each alarm escalates as it now stands.
        let seal = |e: &_| self.alarms.seal(e);
        escalate::run(
            &self.escalation,
            self.store.as_ref(),
            self.notifier.as_ref(),
            &seal,
            now,
        )?;
        Ok(changed)
    }

    /// Moves a cure on (see [`PlatformStore::advance_curing`]) and judges the event rules
    /// (A15, A20) at once; a cure advanced through the store directly is judged on the next
    /// alarm clock check instead.
    pub fn advance_curing(
        &self,
        curing: CuringId,
        from_step: u32,
        leaf_state: Option<String>,
    ) -> StoreResult<Curing> {
        let now = self.clock.now();
        let c = self
            .store
            .advance_curing(curing, from_step, leaf_state, now)?;
        if let Err(e) = self.alarms.on_curing(self.store.as_ref(), c.barn_id, now) {
            tracing::error!(curing = c.id.0, error = %e, "alarm rules could not judge an advance");
        }
        Ok(c)
    }

    /// Checks the clock rules every `every` until the task is dropped.
    pub async fn run_alarm_clock(self, every: std::time::Duration) {
        loop {
            tokio::time::sleep(every).await;
            let p = self.clone();
            match tokio::task::spawn_blocking(move || p.check_alarm_clock()).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "alarm clock check failed"),
                Err(e) => tracing::error!(error = %e, "alarm clock check panicked"),
            }
        }
    }

    /// Checks each reading, stores the valid ones once and publishes them live. Blocking: call
    /// from a blocking thread.
    pub fn ingest(&self, barn: BarnId, batch: IngestBatch) -> StoreResult<IngestReport> {
        if batch.readings.len() > MAX_BATCH {
            return Err(StoreError::Invalid(format!(
                "a batch holds at most {MAX_BATCH} readings, this one {}",
                batch.readings.len()
            )));
        }
        if batch.batch_id.is_empty() || batch.batch_id.len() > 128 {
            return Err(StoreError::Invalid("batch_id must be 1–128 bytes".into()));
        }
        let now = self.clock.now();
        let mut valid = Vec::with_capacity(batch.readings.len());
        let mut rejected = Vec::new();
        for (i, r) in batch.readings.into_iter().enumerate() {
            match validate_reading(&r, now) {
                Ok(()) => valid.push(r.quantised()),
                Err(reason) => rejected.push(Rejected {
                    index: i as u32,
                    reason,
                }),
            }
        }
        let report = self
            .store
            .ingest(barn, &batch.batch_id, &valid, rejected, now)?;
        if !report.replayed && report.accepted > 0 {
            // Stored first: an alarm never refers to a reading the platform could lose. The
            // readings are safe either way, so a failure here must not make the controller
            // resend (a replayed batch is not judged again): it is logged loudly instead.
            if let Err(e) = self
                .alarms
                .on_readings(self.store.as_ref(), barn, &valid, now)
            {
                tracing::error!(barn = barn.0, error = %e, "alarm rules could not judge a batch");
            }
            for r in valid {
                // No subscribers is normal.
                let _ = self.live.send((barn, r));
            }
        }
        Ok(report)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<(BarnId, Reading)> {
        self.live.subscribe()
    }
}
