//! Whether one level's condition holds now: the evaluator behind each rule `kind`.

use std::collections::VecDeque;

use yannong_core::Timestamp;
use yannong_core::barn::api::{Fan, HeatPump, Reading};
use yannong_core::curing::Stage;

use super::rules::{Kind, Level};

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
    let window = level.window_min.unwrap_or(0.0);
    // A dry wick reads the dry bulb: humidity rules would see saturated air (A12's case).
    let wick_suspect = db >= 40.0 && db - r.wet_bulb_c < 1.0;
    let set = ctx.set;
    match level.kind {
        Kind::DryOverSet => set.is_some_and(|(d, _)| db - d > t),
        Kind::DryUnderSet => set.is_some_and(|(d, _)| d - db > t),
        Kind::DryRiseRate => slope_c_per_h(ctx, window).is_some_and(|s| s > t),
        Kind::DryRiseHeatingOff => {
            r.heating_pct == 0 && slope_c_per_h(ctx, window).is_some_and(|s| s > t)
        }
        Kind::DryFall => fall_c(ctx, window).is_some_and(|f| f >= t),
        Kind::DryAbove => db > t,
        Kind::WetUnderSet => set.is_some_and(|(_, w)| w - r.wet_bulb_c > t),
        Kind::WetOverSet => !wick_suspect && set.is_some_and(|(_, w)| r.wet_bulb_c - w > t),
        Kind::WetBelow => r.wet_bulb_c < t,
        Kind::WetAbove => !wick_suspect && r.wet_bulb_c > t,
        Kind::WetOverDry => r.wet_bulb_c - db > t,
        Kind::DepressionAbove => db - r.wet_bulb_c > t,
        Kind::DepressionBelow => db - r.wet_bulb_c < t,
        Kind::MainsLost => !r.mains_power,
        // With leaf loaded: only while a cure runs.
        Kind::FanStopped => {
            ctx.step.is_some() && (r.fan == Fan::Off || f64::from(r.fan_current_pct) < t)
        }
        Kind::SensorImplausible => !plausible(db) || !plausible(r.wet_bulb_c),
        Kind::SensorFrozen => frozen_samples(ctx.history) as f64 >= t,
        Kind::SensorJump => jumped(ctx.history, t),
        Kind::Silent => ctx.now.hours_since(r.at) * 60.0 > t,
        Kind::StepOverrun => ctx.step.is_some_and(|s| s.ratio_of_max > t),
        Kind::CureOverrun => ctx.step.is_some_and(|s| s.cure_h > t),
        Kind::DoorOpen => r.door_open,
        Kind::HeatPumpFault => r.heat_pump == HeatPump::Fault,
        Kind::HeatPumpDefrost => r.heat_pump == HeatPump::Defrost,
        Kind::HeatingSaturated => {
            r.heating_pct >= 100
                && set.is_some_and(|(d, _)| db < d - level.below_set_c.unwrap_or(0.0))
                && slope_c_per_h(ctx, window).is_some_and(|s| s < t)
        }
        Kind::VentMismatch => f64::from(r.vent_pct.abs_diff(r.vent_cmd_pct)) > t,
        Kind::TierDifference => r.dry_bulb_low_c.is_some_and(|low| (db - low).abs() > t),
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

/// Least-squares slope of the dry bulb over the window, °C per hour.
fn slope_c_per_h(ctx: &Ctx<'_>, window_min: f64) -> Option<f64> {
    let w = window(ctx, window_min)?;
    let t0 = w[0].at;
    let n = w.len() as f64;
    let xs: Vec<f64> = w.iter().map(|r| r.at.hours_since(t0)).collect();
    let (mx, my) = (
        xs.iter().sum::<f64>() / n,
        w.iter().map(|r| r.dry_bulb_c).sum::<f64>() / n,
    );
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, r) in xs.iter().zip(&w) {
        sxy += (x - mx) * (r.dry_bulb_c - my);
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
