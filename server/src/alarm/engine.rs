//! The per-barn rule engine: feeds each new reading (and the clock) through every rule and
//! says when an alarm is raised, escalates or clears. An alarm is raised once per condition:
//! a level must hold for its minimum duration, and the alarm clears only after every level
//! has been false (at half its threshold, for deviations) for the rule set's clear time.

use std::collections::VecDeque;

use yannong_core::Timestamp;
use yannong_core::barn::api::{Curing, Reading, Severity};
use yannong_core::curing::{ExpectedCurve, Stage};

use super::measure::{self, Ctx, Step};
use super::rules::RuleSet;

/// Readings kept per barn: the longest window (60 min) and the frozen-sensor count (60
/// samples) with room to spare.
const HISTORY_MIN: f64 = 180.0;
const HISTORY_MAX: usize = 240;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Raised,
    /// Got worse while active; an alarm never downgrades until it clears.
    Escalated {
        from: Severity,
    },
    Cleared,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub rule: String,
    pub severity: Severity,
    pub at: Timestamp,
    pub change: Change,
}

#[derive(Debug, Clone, Default)]
struct RuleState {
    /// Since when each level has held without a break.
    since: Vec<Option<Timestamp>>,
    active: Option<Severity>,
    /// Since when nothing has held, while active.
    calm_since: Option<Timestamp>,
}

/// The cure a barn is running, as the rules need it. Built once per batch (or clock tick):
/// where the cure stands is then worked out for each reading's own time.
#[derive(Debug, Clone)]
pub struct Cure {
    curve: ExpectedCurve,
    code: String,
    stage: Stage,
    started_at: Timestamp,
    step_start: Timestamp,
    /// Ramp plus maximum hold of the current step, hours.
    longest_h: f64,
    /// The `now` it was built for: later times are judged as of then.
    built_at: Timestamp,
}

impl Cure {
    /// `None` for a finished cure or one whose recipe cannot be laid out.
    pub fn running(curing: &Curing, now: Timestamp) -> Option<Cure> {
        if curing.finished_at.is_some() {
            return None;
        }
        let recipe = &curing.recipe.0;
        let advances: Vec<Timestamp> = curing.advances.iter().map(|a| a.at).collect();
        // Stretched to `now`, the curve gives the same set point at any earlier time too.
        let curve =
            ExpectedCurve::as_of(recipe, curing.started_at, curing.ambient_c, &advances, now)
                .ok()?;
        // The longest the current step may take comes from the plan, not from `now`.
        let plan =
            ExpectedCurve::new(recipe, curing.started_at, curing.ambient_c, &advances).ok()?;
        let i = (curing.current_step as usize).min(recipe.steps.len() - 1);
        let window = &plan.steps[i];
        Some(Cure {
            code: recipe.steps[i].code.clone(),
            stage: recipe.steps[i].stage,
            started_at: curing.started_at,
            step_start: window.start,
            longest_h: window.end_latest.hours_since(window.start).max(1e-6),
            built_at: now,
            curve,
        })
    }

    /// Where the cure stands at `t`.
    fn step_at(&self, t: Timestamp) -> Step {
        let t = t.min(self.built_at);
        Step {
            code: self.code.clone(),
            stage: self.stage,
            ratio_of_max: t.hours_since(self.step_start) / self.longest_h,
            cure_h: t.hours_since(self.started_at),
        }
    }

    /// The set points at `r`: the controller's own when it reports them (it knows its ramp),
    /// else the recipe's ramped curve.
    fn set_at(&self, r: &Reading) -> Option<(f64, f64)> {
        match (r.dry_bulb_set_c, r.wet_bulb_set_c) {
            (Some(d), Some(w)) => Some((d, w)),
            _ => self
                .curve
                .setpoint_at(r.at)
                .map(|p| (p.dry_bulb_c, p.wet_bulb_c)),
        }
    }
}

/// One barn's rule state.
#[derive(Debug, Clone, Default)]
pub struct BarnAlarms {
    history: VecDeque<Reading>,
    rules: Vec<RuleState>,
}

impl BarnAlarms {
    /// Picks up after a restart: the alarms the store still has active, and the recent
    /// readings as history, without judging those again.
    pub fn restore(
        set: &RuleSet,
        active: &[(String, Severity)],
        history: impl IntoIterator<Item = Reading>,
    ) -> BarnAlarms {
        let rules = set
            .rules
            .iter()
            .map(|r| RuleState {
                since: vec![None; r.levels.len()],
                active: active.iter().find(|(id, _)| *id == r.id).map(|(_, s)| *s),
                calm_since: None,
            })
            .collect();
        let mut history: VecDeque<Reading> = history.into_iter().collect();
        while history.len() > HISTORY_MAX {
            history.pop_front();
        }
        BarnAlarms { history, rules }
    }

    /// Alarms active now, by rule id.
    pub fn active<'s>(&self, set: &'s RuleSet) -> Vec<(&'s str, Severity)> {
        set.rules
            .iter()
            .zip(&self.rules)
            .filter_map(|(r, s)| Some((r.id.as_str(), s.active?)))
            .collect()
    }

    /// Judges a new reading. Readings older than the newest seen (late arrivals) are history
    /// already judged without them and change nothing.
    pub fn observe(&mut self, set: &RuleSet, cure: Option<&Cure>, r: &Reading) -> Vec<Transition> {
        if self.history.back().is_some_and(|last| r.at <= last.at) {
            return Vec::new();
        }
        self.history.push_back(r.clone());
        while self.history.len() > HISTORY_MAX
            || self
                .history
                .front()
                .is_some_and(|f| r.at.hours_since(f.at) * 60.0 > HISTORY_MIN)
        {
            self.history.pop_front();
        }
        self.evaluate(set, cure, r.at, false)
    }

    /// Judges the clock-only rules (silence, overruns) at `now`, between readings.
    pub fn tick(&mut self, set: &RuleSet, cure: Option<&Cure>, now: Timestamp) -> Vec<Transition> {
        self.evaluate(set, cure, now, true)
    }

    fn evaluate(
        &mut self,
        set: &RuleSet,
        cure: Option<&Cure>,
        now: Timestamp,
        clock_only: bool,
    ) -> Vec<Transition> {
        self.rules.resize_with(set.rules.len(), RuleState::default);
        let standing = cure.map(|c| c.step_at(now));
        let ctx = Ctx {
            now,
            set: self.history.back().and_then(|r| cure?.set_at(r)),
            history: &self.history,
            step: standing.as_ref(),
            plausible_c: set.plausible_c,
        };
        let mut out = Vec::new();
        for (i, rule) in set.rules.iter().enumerate() {
            // Between readings only the clock rules can change; the rest wait for data. Event
            // rules follow the cure record instead (`measure::cure_events`).
            if rule.on_event() || (clock_only && !rule.on_clock()) {
                continue;
            }
            let suppressed = rule.suppressed_by.iter().any(|id| {
                set.rules
                    .iter()
                    .position(|r| &r.id == id)
                    .is_some_and(|j| self.rules[j].active.is_some())
            });
            let state = &mut self.rules[i];
            state.since.resize(rule.levels.len(), None);
            let mut firing: Option<Severity> = None;
            let mut any_relaxed = false;
            for (level, since) in rule.levels.iter().zip(state.since.iter_mut()) {
                let raise = !suppressed && measure::holds(level, &ctx, 1.0);
                *since = match (raise, *since) {
                    (true, Some(s)) => Some(s),
                    (true, None) => Some(now),
                    (false, _) => None,
                };
                if since.is_some_and(|s| now.hours_since(s) * 60.0 >= level.for_min) {
                    firing = firing.max(Some(level.severity));
                }
                any_relaxed |= state.active.is_some() && measure::holds(level, &ctx, 0.5);
            }
            out.extend(step(
                state,
                &rule.id,
                firing,
                any_relaxed,
                now,
                set.clear_after_min,
            ));
        }
        out
    }
}

/// Moves one rule's lifecycle on.
fn step(
    state: &mut RuleState,
    rule: &str,
    firing: Option<Severity>,
    relaxed_holds: bool,
    now: Timestamp,
    clear_after_min: f64,
) -> Option<Transition> {
    let t = |severity, change| Transition {
        rule: rule.to_owned(),
        severity,
        at: now,
        change,
    };
    match (state.active, firing) {
        (None, None) => None,
        (None, Some(s)) => {
            state.active = Some(s);
            state.calm_since = None;
            Some(t(s, Change::Raised))
        }
        (Some(cur), Some(s)) if s > cur => {
            state.active = Some(s);
            state.calm_since = None;
            Some(t(s, Change::Escalated { from: cur }))
        }
        (Some(cur), _) => {
            if firing.is_some() || relaxed_holds {
                state.calm_since = None;
                return None;
            }
            let calm = *state.calm_since.get_or_insert(now);
            if now.hours_since(calm) * 60.0 >= clear_after_min {
                state.active = None;
                state.calm_since = None;
                return Some(t(cur, Change::Cleared));
            }
            None
        }
    }
}

#[cfg(test)]
mod tests;
