//! The rule engine at work on the platform: every barn's readings as they are ingested, and
//! the clock for silent barns and overrunning steps; what changes is written to the store.

use std::collections::HashMap;
use std::sync::Mutex;

use ed25519_dalek::{SigningKey, VerifyingKey};
use yannong_core::Timestamp;
use yannong_core::barn::api::{Alarm, AlarmEvent, BarnId, Reading, SignedAlarmEvent};

use super::engine::{BarnAlarms, Change, Cure, Transition};
use super::rules::RuleSet;
use crate::store::{AlarmChange, AlarmChangeKind, PlatformStore, StoreResult};

/// Readings re-read as history when a barn's engine starts (after a platform restart).
const RESTORE_HOURS: f64 = 3.0;

pub struct AlarmService {
    rules: RuleSet,
    /// Signs every alarm event; phones ship the public half.
    key: SigningKey,
    barns: Mutex<HashMap<BarnId, BarnAlarms>>,
}

impl std::fmt::Debug for AlarmService {
    // Never print the signing key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AlarmService(rules v{}, key {})",
            self.rules.version,
            self.key_id()
        )
    }
}

impl AlarmService {
    pub fn new(rules: RuleSet, key: SigningKey) -> AlarmService {
        AlarmService {
            rules,
            key,
            barns: Mutex::new(HashMap::new()),
        }
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The public key phones verify alarm events with.
    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    pub fn key_id(&self) -> String {
        yannong_core::keys::key_id(&self.key.verifying_key())
    }

    /// Signs an event of someone's alarm feed.
    pub fn seal(&self, event: &AlarmEvent) -> SignedAlarmEvent {
        SignedAlarmEvent::seal(event, &self.key)
    }

    /// Judges newly stored readings of `barn` (any order; the engine takes them by time).
    /// Returns the alarms that changed.
    pub fn on_readings(
        &self,
        store: &dyn PlatformStore,
        barn: BarnId,
        readings: &[Reading],
        now: Timestamp,
    ) -> StoreResult<Vec<Alarm>> {
        let mut sorted: Vec<&Reading> = readings.iter().collect();
        sorted.sort_by_key(|r| r.at);
        let Some(first) = sorted.first() else {
            return Ok(Vec::new());
        };
        let curing = running(store, barn)?;
        let cure = curing.as_ref().and_then(|c| Cure::running(c, now));
        let mut barns = self.lock();
        let engine = match barns.entry(barn) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(self.restore(store, barn, first.at)?)
            }
        };
        let mut transitions = Vec::new();
        // Each reading is judged as of its own time (the engine asks the cure where it stood
        // then): a controller catching up after hours offline must not look like a step
        // overrunning by those hours.
        for r in sorted {
            transitions.extend(engine.observe(&self.rules, cure.as_ref(), r));
        }
        // Recorded under the lock: two batches of one barn must reach the store in the order
        // the engine judged them (a clear must not overtake its raise).
        let changed = self.record(store, barn, curing.map(|c| c.id), transitions);
        drop(barns);
        changed
    }

    /// Judges the clock rules of every barn seen since start-up at `now`.
    pub fn on_clock(&self, store: &dyn PlatformStore, now: Timestamp) -> StoreResult<Vec<Alarm>> {
        let ids: Vec<BarnId> = self.lock().keys().copied().collect();
        let mut changed = Vec::new();
        for barn in ids {
            let curing = running(store, barn)?;
            let cure = curing.as_ref().and_then(|c| Cure::running(c, now));
            let mut barns = self.lock();
            let Some(engine) = barns.get_mut(&barn) else {
                continue;
            };
            let transitions = engine.tick(&self.rules, cure.as_ref(), now);
            changed.extend(self.record(store, barn, curing.map(|c| c.id), transitions)?);
        }
        Ok(changed)
    }

    fn restore(
        &self,
        store: &dyn PlatformStore,
        barn: BarnId,
        before: Timestamp,
    ) -> StoreResult<BarnAlarms> {
        let active: Vec<_> = store
            .active_alarms(barn)?
            .into_iter()
            .map(|a| (a.rule, a.severity))
            .collect();
        let history = store.readings(barn, before.add_hours(-RESTORE_HOURS), before, 1_000)?;
        Ok(BarnAlarms::restore(&self.rules, &active, history))
    }

    fn record(
        &self,
        store: &dyn PlatformStore,
        barn: BarnId,
        curing: Option<yannong_core::barn::api::CuringId>,
        transitions: Vec<Transition>,
    ) -> StoreResult<Vec<Alarm>> {
        let mut changed = Vec::new();
        for t in transitions {
            let Some(rule) = self.rules.rule(&t.rule) else {
                continue;
            };
            let kind = match t.change {
                Change::Raised => AlarmChangeKind::Raised,
                Change::Escalated { .. } => AlarmChangeKind::Escalated,
                Change::Cleared => AlarmChangeKind::Cleared,
            };
            tracing::info!(barn = barn.0, rule = %t.rule, severity = ?t.severity, change = ?kind, "alarm");
            let change = AlarmChange {
                barn,
                curing,
                rule: t.rule,
                rules_version: self.rules.version,
                severity: t.severity,
                title: rule.title.clone(),
                action: rule.action.clone(),
                at: t.at,
                kind,
            };
            changed.extend(store.apply_alarm(&change, &|e| self.seal(e))?);
        }
        Ok(changed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<BarnId, BarnAlarms>> {
        // A panic while judging leaves state that is at worst one reading stale.
        self.barns.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn running(
    store: &dyn PlatformStore,
    barn: BarnId,
) -> StoreResult<Option<yannong_core::barn::api::Curing>> {
    Ok(store
        .curings(barn)?
        .into_iter()
        .rfind(|c| c.finished_at.is_none()))
}
