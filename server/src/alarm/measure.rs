//! Whether one level's condition holds now: the evaluator behind each rule `kind`.

use std::collections::VecDeque;

use yannong_core::Timestamp;
use yannong_core::barn::api::{Curing, CuringId, Fan, HeatPump, Reading, Severity};
use yannong_core::curing::Stage;

use super::rules::{Kind, Level, RuleSet};

/// Where the cure stands, for the step filters and the time-based kinds.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub code: String,
    pub stage: Stage,
    /// Time in the current step over the longest the recipe allows (ramp + maximum hold).
    pub ratio_of_max: f64,
    pub cure_h: f64,
}

/// What a level is judged on.
#[derive(Debug)]
pub struct Ctx<'a> {
    pub now: Timestamp,
    /// Newest last; the newest is the reading being judged.
    pub history: &'a VecDeque<Reading>,
    /// Dry and wet bulb set points at the newest reading.
    pub set: Option<(f64, f64)>,
    /// `None` when no cure runs: only sensor and equipment rules apply then.
    pub step: Option<&'a Step>,
    pub plausible_c: [f64; 2],
}

impl Kind {
    /// Judged on the clock alone, also between readings.
    pub fn on_clock(self) -> bool {
        matches!(self, Kind::Silent | Kind::StepOverrun | Kind::CureOverrun)
    }

    /// Judged on the cure record: [`cure_events`].
    pub fn on_event(self) -> bool {
        matches!(self, Kind::StepUnconfirmed | Kind::CureComplete)
    }

    /// Uses the measured temperatures, so an implausible sensor value must not feed it.
    fn reads_temperature(self) -> bool {
        !matches!(
            self,
            Kind::MainsLost
                | Kind::FanStopped
                | Kind::SensorImplausible
                | Kind::SensorFrozen
                | Kind::SensorJump
                | Kind::WetOverDry
                | Kind::Silent
                | Kind::StepOverrun
                | Kind::CureOverrun
                | Kind::DoorOpen
                | Kind::HeatPumpFault
                | Kind::HeatPumpDefrost
                | Kind::VentMismatch
                | Kind::StepUnconfirmed
                | Kind::CureComplete
        )
    }
}

/// Whether `level` holds, with its threshold scaled by `scale` (1 to raise, ½ to stay raised
/// for the deviation kinds).
pub fn holds(level: &Level, ctx: &Ctx<'_>, scale: f64) -> bool {
    let Some(r) = ctx.history.back() else {
        return false;
    };
    if !applies(level, ctx, r) {
        return false;
    }
    let db = r.dry_bulb_c;
    let plausible = |v: f64| v >= ctx.plausible_c[0] && v <= ctx.plausible_c[1];
    if level.kind.reads_temperature() && !(plausible(db) && plausible(r.wet_bulb_c)) {
        return false;
    }
    let t = level.threshold.unwrap_or(0.0) * if level.kind.relaxes() { scale } else { 1.0 };
    let window_min = level.window_min.unwrap_or(0.0);
    // A dry wick reads the dry bulb: humidity rules would see saturated air (A12's case).
    let wick_suspect = db >= 40.0 && db - r.wet_bulb_c < 1.0;
    let set = ctx.set;
    match level.kind {
        Kind::DryOverSet => set.is_some_and(|(d, _)| db - d > t),
        Kind::DryUnderSet => set.is_some_and(|(d, _)| d - db > t),
        Kind::DryRiseRate => rising_beyond_plan(ctx, window_min, t),
        Kind::DryRiseHeatingOff => r.heating_pct == 0 && rising_beyond_plan(ctx, window_min, t),
        Kind::DryFall => fall_c(ctx, window_min).is_some_and(|f| f >= t),
        Kind::DryAbove => db > t,
        Kind::WetUnderSet => set.is_some_and(|(_, w)| w - r.wet_bulb_c > t),
        Kind::WetOverSet => !wick_suspect && set.is_some_and(|(_, w)| r.wet_bulb_c - w > t),
        Kind::WetBelow => r.wet_bulb_c < t,
        Kind::WetAbove => !wick_suspect && r.wet_bulb_c > t,
        Kind::WetOverDry => r.wet_bulb_c - db > t,
        Kind::DepressionAbove => db - r.wet_bulb_c > t,
        Kind::DepressionBelow => match level.window_min {
            // A drying wick wavers around the threshold (0.2–0.6 °C); its mean does not.
            Some(w) if w > 0.0 => window(ctx, w).is_some_and(|rs| {
                let sum: f64 = rs.iter().map(|r| r.dry_bulb_c - r.wet_bulb_c).sum();
                sum / (rs.len() as f64) < t
            }),
            _ => db - r.wet_bulb_c < t,
        },
        Kind::MainsLost => !r.mains_power,
        // With leaf loaded: only while a cure runs.
        Kind::FanStopped => {
            ctx.step.is_some() && (r.fan == Fan::Off || f64::from(r.fan_current_pct) < t)
        }
        Kind::SensorImplausible => !plausible(db) || !plausible(r.wet_bulb_c),
        Kind::SensorFrozen => frozen_samples(ctx.history) as f64 >= t,
        Kind::SensorJump => jumped(ctx.history, t),
        // A barn between cures may switch its controller off.
        Kind::Silent => ctx.step.is_some() && ctx.now.hours_since(r.at) * 60.0 > t,
        Kind::StepOverrun => ctx.step.is_some_and(|s| s.ratio_of_max > t),
        Kind::CureOverrun => ctx.step.is_some_and(|s| s.cure_h > t),
        Kind::DoorOpen => r.door_open,
        Kind::HeatPumpFault => r.heat_pump == HeatPump::Fault,
        Kind::HeatPumpDefrost => r.heat_pump == HeatPump::Defrost,
        Kind::HeatingSaturated => {
            r.heating_pct >= 100
                && set.is_some_and(|(d, _)| db < d - level.below_set_c.unwrap_or(0.0))
                && window(ctx, window_min)
                    .and_then(|w| slope_c_per_h(&w, |r| Some(r.dry_bulb_c)))
                    .is_some_and(|s| s < t)
        }
        Kind::VentMismatch => f64::from(r.vent_pct.abs_diff(r.vent_cmd_pct)) > t,
        Kind::TierDifference => r.dry_bulb_low_c.is_some_and(|low| (db - low).abs() > t),
        Kind::StepUnconfirmed | Kind::CureComplete => false,
    }
}

/// The level's step, stage, dry-bulb and vent filters.
fn applies(level: &Level, ctx: &Ctx<'_>, r: &Reading) -> bool {
    let step_ok = match (&level.steps, &level.stages) {
        (None, None) => true,
        _ => ctx.step.is_some_and(|s| {
            level
                .steps
                .as_ref()
                .is_none_or(|codes| codes.contains(&s.code))
                && level.stages.as_ref().is_none_or(|st| st.contains(&s.stage))
        }),
    };
    step_ok
        && level
            .dry_range
            .is_none_or(|[lo, hi]| r.dry_bulb_c >= lo && r.dry_bulb_c < hi)
        && level.vent_min_pct.is_none_or(|v| r.vent_pct >= v)
}

/// Readings within the last `window_min` minutes before the newest, if they span at least
/// 80 % of it (a trend over a short gap-ridden stretch would be guesswork).
fn window<'a>(ctx: &Ctx<'a>, window_min: f64) -> Option<Vec<&'a Reading>> {
    let newest = ctx.history.back()?;
    let from = newest.at.0 - (window_min * 60_000.0) as i64;
    let w: Vec<&Reading> = ctx.history.iter().filter(|r| r.at.0 >= from).collect();
    let span_min = newest.at.hours_since(w.first()?.at) * 60.0;
    (w.len() >= 3 && span_min >= 0.8 * window_min).then_some(w)
}

/// How much faster than its own set point the dry bulb may rise before it counts as heating
/// too fast, °C/h: a recipe's ramp is never an alarm (domain doc §3), sensor noise is not.
const RAMP_MARGIN_C_PER_H: f64 = 0.5;

/// The dry bulb rose faster than `t` °C/h over the window and faster than its set point did.
fn rising_beyond_plan(ctx: &Ctx<'_>, window_min: f64, t: f64) -> bool {
    let Some(w) = window(ctx, window_min) else {
        return false;
    };
    let Some(dry) = slope_c_per_h(&w, |r| Some(r.dry_bulb_c)) else {
        return false;
    };
    let planned = slope_c_per_h(&w, |r| r.dry_bulb_set_c).unwrap_or(0.0);
    dry > t && dry > planned + RAMP_MARGIN_C_PER_H
}

/// Least-squares slope of `value` over the window's readings, °C per hour; `None` when a
/// reading lacks the value or the window has no spread in time.
fn slope_c_per_h(w: &[&Reading], value: impl Fn(&Reading) -> Option<f64>) -> Option<f64> {
    let t0 = w.first()?.at;
    let points: Vec<(f64, f64)> = w
        .iter()
        .map(|r| Some((r.at.hours_since(t0), value(r)?)))
        .collect::<Option<_>>()?;
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, y) in &points {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
    }
    (sxx > 0.0).then(|| sxy / sxx)
}

/// How far the dry bulb fell from the window's highest reading, when the controller stayed
/// on one step throughout (a planned step change is not a fall).
fn fall_c(ctx: &Ctx<'_>, window_min: f64) -> Option<f64> {
    let w = window(ctx, window_min)?;
    let newest = *w.last()?;
    if w.iter().any(|r| r.step != newest.step) {
        return None;
    }
    let top = w.iter().map(|r| r.dry_bulb_c).fold(f64::MIN, f64::max);
    Some(top - newest.dry_bulb_c)
}

/// Consecutive identical dry-bulb values, counting back from the newest.
fn frozen_samples(history: &VecDeque<Reading>) -> usize {
    let Some(newest) = history.back() else {
        return 0;
    };
    history
        .iter()
        .rev()
        .take_while(|r| r.dry_bulb_c == newest.dry_bulb_c)
        .count()
}

/// A step of more than `t` °C within about a minute from a steady value, that stayed for a
/// second sample: one spike is noise, a new level is a sensor that broke.
fn jumped(history: &VecDeque<Reading>, t: f64) -> bool {
    let n = history.len();
    if n < 4 {
        return false;
    }
    let (z, a, b, c) = (
        &history[n - 4],
        &history[n - 3],
        &history[n - 2],
        &history[n - 1],
    );
    (a.dry_bulb_c - z.dry_bulb_c).abs() <= t
        && b.at.hours_since(a.at) * 60.0 <= 1.5
        && (b.dry_bulb_c - a.dry_bulb_c).abs() > t
        && (c.dry_bulb_c - a.dry_bulb_c).abs() > t
}

/// One alarm an event rule derives from the cure records, with when it ends (which may be
/// later than now: the store clears it once that time has come).
#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    pub rule: String,
    pub severity: Severity,
    pub curing: CuringId,
    pub raised_at: Timestamp,
    pub cleared_at: Option<Timestamp>,
}

/// The event alarms of a barn's last two cures (`curings` oldest first): A15 for each step
/// ended without a leaf-state note, until the next step ends; A20 when the cure is finished,
/// until the barn starts its next cure or the rule's hours have passed. The finishing advance
/// never raises A15: finishing is the operator confirming 干筋, the very state A20 reports.
pub fn cure_events(set: &RuleSet, curings: &[Curing]) -> Vec<Occurrence> {
    let tail = &curings[curings.len().saturating_sub(2)..];
    let mut out = Vec::new();
    for rule in set.rules.iter().filter(|r| r.on_event()) {
        let Some(level) = rule.levels.first() else {
            continue;
        };
        let mut push = |c: &Curing, raised_at, cleared_at| {
            out.push(Occurrence {
                rule: rule.id.clone(),
                severity: level.severity,
                curing: c.id,
                raised_at,
                cleared_at,
            })
        };
        for (k, c) in tail.iter().enumerate() {
            let next_start = tail.get(k + 1).map(|n| n.started_at);
            match level.kind {
                Kind::StepUnconfirmed => {
                    let finishing = c.finished_at.map_or(0, |_| 1);
                    let ended = c.advances.len().saturating_sub(finishing);
                    for (i, a) in c.advances[..ended].iter().enumerate() {
                        if a.leaf_state
                            .as_deref()
                            .is_some_and(|s| !s.trim().is_empty())
                        {
                            continue;
                        }
                        let next = c.advances.get(i + 1).map(|n| n.at).or(next_start);
                        push(c, a.at, next);
                    }
                }
                Kind::CureComplete => {
                    if let Some(f) = c.finished_at {
                        let expiry = f.add_hours(level.threshold.unwrap_or(0.0));
                        let end = next_start.map_or(expiry, |s| s.min(expiry)).max(f);
                        push(c, f, Some(end));
                    }
                }
                _ => {}
            }
        }
    }
    out
}
