//! The rule engine at work on the platform: every barn's readings as they are ingested, the
//! clock for silent barns and overrunning steps, and the cure record for the event rules (A15,
//! A20); what changes is written to the store.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Mutex;

use ed25519_dalek::{SigningKey, VerifyingKey};
use yannong_core::Timestamp;
use yannong_core::barn::api::{
    Alarm, AlarmEvent, BarnId, Curing, CuringId, Reading, Severity, SignedAlarmEvent,
};

use super::engine::{BarnAlarms, Change, Cure, Transition};
use super::measure::{Occurrence, cure_events};
use super::rules::RuleSet;
use crate::store::{AlarmChange, AlarmChangeKind, PlatformStore, StoreResult};

/// Readings re-read as history when a barn's engine starts (after a platform restart).
const RESTORE_HOURS: f64 = 3.0;

pub struct AlarmService {
    rules: RuleSet,
    /// Signs every alarm event; phones ship the public half.
    key: SigningKey,
    barns: Mutex<HashMap<BarnId, Watch>>,
}

/// One barn as the service follows it.
#[derive(Debug)]
struct Watch {
    engine: BarnAlarms,
    /// The cure record the event rules last judged, and when one of their alarms ends next:
    /// they are judged again only when either has moved.
    judged: Option<(CureMark, Option<Timestamp>)>,
}

/// The newest cure, how many advances it has and whether it is finished.
type CureMark = Option<(CuringId, usize, bool)>;

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
        let curings = store.curings(barn)?;
        let curing = running(&curings);
        let cure = curing.and_then(|c| Cure::running(c, now));
        let mut barns = self.lock();
        let watch = self.watch(&mut barns, store, barn, first.at)?;
        let mut transitions = Vec::new();
        // Each reading is judged as of its own time (the engine asks the cure where it stood
        // then): a controller catching up after hours offline must not look like a step
        // overrunning by those hours.
        for r in sorted {
            transitions.extend(watch.engine.observe(&self.rules, cure.as_ref(), r));
        }
        // Recorded under the lock: two batches of one barn must reach the store in the order
        // the engine judged them (a clear must not overtake its raise).
        let mut changed = self.record(store, barn, curing.map(|c| c.id), transitions)?;
        changed.extend(self.judge_events(store, barn, &curings, watch, now)?);
        drop(barns);
        Ok(changed)
    }

    /// Judges the event rules of `barn` now, e.g. right after an operator advanced its cure
    /// (the clock would otherwise pick the advance up on its next check).
    pub fn on_curing(
        &self,
        store: &dyn PlatformStore,
        barn: BarnId,
        now: Timestamp,
    ) -> StoreResult<Vec<Alarm>> {
        let curings = store.curings(barn)?;
        let mut barns = self.lock();
        let watch = self.watch(&mut barns, store, barn, now)?;
        self.judge_events(store, barn, &curings, watch, now)
    }

    /// Judges the clock rules of every barn seen since start-up at `now`.
    pub fn on_clock(&self, store: &dyn PlatformStore, now: Timestamp) -> StoreResult<Vec<Alarm>> {
        let ids: Vec<BarnId> = self.lock().keys().copied().collect();
        let mut changed = Vec::new();
        for barn in ids {
            let curings = store.curings(barn)?;
            let curing = running(&curings);
            let cure = curing.and_then(|c| Cure::running(c, now));
            let mut barns = self.lock();
            let Some(watch) = barns.get_mut(&barn) else {
                continue;
            };
            let transitions = watch.engine.tick(&self.rules, cure.as_ref(), now);
            changed.extend(self.record(store, barn, curing.map(|c| c.id), transitions)?);
            changed.extend(self.judge_events(store, barn, &curings, watch, now)?);
        }
        Ok(changed)
    }

    /// The barn's watch; the first time, the engine picks up the store's active alarms and
    /// the readings before `before` as history.
    fn watch<'m>(
        &self,
        barns: &'m mut HashMap<BarnId, Watch>,
        store: &dyn PlatformStore,
        barn: BarnId,
        before: Timestamp,
    ) -> StoreResult<&'m mut Watch> {
        Ok(match barns.entry(barn) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let active: Vec<_> = (store.active_alarms(barn)?.into_iter())
                    .map(|a| (a.rule, a.severity))
                    .collect();
                let history =
                    store.readings(barn, before.add_hours(-RESTORE_HOURS), before, 1_000)?;
                let engine = BarnAlarms::restore(&self.rules, &active, history);
                e.insert(Watch {
                    engine,
                    judged: None,
                })
            }
        })
    }

    fn record(
        &self,
        store: &dyn PlatformStore,
        barn: BarnId,
        curing: Option<CuringId>,
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

    /// Brings the event alarms (A15, A20) of `barn` in line with its cure record. Idempotent:
    /// an alarm the store has (same rule, cure and raise time) is not raised again, so a
    /// restart replays nothing and an advance seen late is still logged at its own time.
    fn judge_events(
        &self,
        store: &dyn PlatformStore,
        barn: BarnId,
        curings: &[Curing],
        watch: &mut Watch,
        now: Timestamp,
    ) -> StoreResult<Vec<Alarm>> {
        let found = cure_events(&self.rules, curings);
        let record = curings
            .last()
            .map(|c| (c.id, c.advances.len(), c.finished_at.is_some()));
        let next_end = found
            .iter()
            .filter_map(|o| o.cleared_at)
            .filter(|t| *t > now)
            .min();
        if watch
            .judged
            .is_some_and(|(r, end)| r == record && end.is_none_or(|e| e > now))
        {
            return Ok(Vec::new());
        }
        let same =
            |a: &Alarm, o: &Occurrence| a.curing_id == Some(o.curing) && a.raised_at == o.raised_at;
        let mut changed = Vec::new();
        for rule in self.rules.rules.iter().filter(|r| r.on_event()) {
            let id = rule.id.as_str();
            let mut last = store.last_alarm(barn, id)?;
            for o in found.iter().filter(|o| o.rule == id) {
                if last.as_ref().is_some_and(|a| a.raised_at > o.raised_at) {
                    continue;
                }
                let mut steps = Vec::new();
                if !last.as_ref().is_some_and(|a| same(a, o)) {
                    // A newer event makes the one still open moot.
                    if let Some(a) = last.as_ref().filter(|a| a.cleared_at.is_none()) {
                        steps.push(event(id, a.severity, o.raised_at, Change::Cleared));
                    }
                    steps.push(event(id, o.severity, o.raised_at, Change::Raised));
                }
                // Clearing what is already cleared changes nothing (the store ignores it).
                if let Some(t) = o.cleared_at.filter(|t| *t <= now) {
                    steps.push(event(id, o.severity, t, Change::Cleared));
                }
                let done = self.record(store, barn, Some(o.curing), steps)?;
                last = done.last().cloned().or(last);
                changed.extend(done);
            }
            // One no cure record calls for any more (its cure is long past) ends now.
            if let Some(a) =
                last.filter(|a| a.cleared_at.is_none() && !found.iter().any(|o| same(a, o)))
            {
                let t = event(id, a.severity, now, Change::Cleared);
                changed.extend(self.record(store, barn, a.curing_id, vec![t])?);
            }
        }
        watch.judged = Some((record, next_end));
        Ok(changed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<BarnId, Watch>> {
        // A panic while judging leaves state that is at worst one reading stale.
        self.barns.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn running(curings: &[Curing]) -> Option<&Curing> {
    curings.iter().rfind(|c| c.finished_at.is_none())
}

/// A change of an event rule's alarm.
fn event(rule: &str, severity: Severity, at: Timestamp, change: Change) -> Transition {
    let rule = rule.to_owned();
    Transition {
        rule,
        severity,
        at,
        change,
    }
}
