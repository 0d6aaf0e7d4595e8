//! Measured readings against the expected curve: per reading and per step.

use super::curve::ExpectedCurve;
use crate::Timestamp;

/// A dry/wet-bulb reading from a barn controller.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub t: Timestamp,
    pub dry_bulb_c: f64,
    pub wet_bulb_c: f64,
}

/// How far from the set point still counts as on track. Defaults follow the first thresholds
/// of alarm rules A01/A02 (dry bulb ±2 °C) and A05/A06 (wet bulb ±1.5 °C).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    pub dry_bulb_c: f64,
    pub wet_bulb_c: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            dry_bulb_c: 2.0,
            wet_bulb_c: 1.5,
        }
    }
}

/// One reading compared with the set point at its time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReadingDeviation {
    pub t: Timestamp,
    pub step: usize,
    pub expected_dry_bulb_c: f64,
    pub expected_wet_bulb_c: f64,
    /// Measured minus expected, °C (positive = too hot / too humid).
    pub dry_bulb_delta_c: f64,
    pub wet_bulb_delta_c: f64,
    pub within_tolerance: bool,
}

/// Summary of the readings that fell in one step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepDeviation {
    pub step: usize,
    pub code: String,
    pub readings: usize,
    /// Mean signed deviation (bias), °C; `None` without readings.
    pub dry_bulb_mean_c: Option<f64>,
    pub wet_bulb_mean_c: Option<f64>,
    /// Largest absolute deviation, °C.
    pub dry_bulb_max_abs_c: Option<f64>,
    pub wet_bulb_max_abs_c: Option<f64>,
    /// Share of readings within tolerance, 0–1.
    pub within_tolerance_share: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeviationReport {
    /// In the order the readings were given, without the skipped ones.
    pub readings: Vec<ReadingDeviation>,
    /// One entry per recipe step.
    pub steps: Vec<StepDeviation>,
    /// Readings outside the cure's time span or with impossible values (NaN, ±∞).
    pub skipped: usize,
}

/// Compares `readings` with `curve`.
pub fn deviations(
    curve: &ExpectedCurve,
    readings: &[Reading],
    tolerance: Tolerance,
) -> DeviationReport {
    let mut out = Vec::with_capacity(readings.len());
    let mut skipped = 0;
    for r in readings {
        let expected = curve.setpoint_at(r.t);
        match expected {
            Some(sp) if r.dry_bulb_c.is_finite() && r.wet_bulb_c.is_finite() => {
                let dry = r.dry_bulb_c - sp.dry_bulb_c;
                let wet = r.wet_bulb_c - sp.wet_bulb_c;
                out.push(ReadingDeviation {
                    t: r.t,
                    step: sp.step,
                    expected_dry_bulb_c: sp.dry_bulb_c,
                    expected_wet_bulb_c: sp.wet_bulb_c,
                    dry_bulb_delta_c: dry,
                    wet_bulb_delta_c: wet,
                    within_tolerance: dry.abs() <= tolerance.dry_bulb_c
                        && wet.abs() <= tolerance.wet_bulb_c,
                });
            }
            _ => skipped += 1,
        }
    }
    let steps = curve
        .steps
        .iter()
        .map(|w| summarise(w.index, &w.code, out.iter().filter(|d| d.step == w.index)))
        .collect();
    DeviationReport {
        readings: out,
        steps,
        skipped,
    }
}

fn summarise<'a>(
    step: usize,
    code: &str,
    devs: impl Iterator<Item = &'a ReadingDeviation>,
) -> StepDeviation {
    let (mut n, mut dry_sum, mut wet_sum, mut dry_max, mut wet_max, mut ok) =
        (0usize, 0.0, 0.0, 0.0f64, 0.0f64, 0usize);
    for d in devs {
        n += 1;
        dry_sum += d.dry_bulb_delta_c;
        wet_sum += d.wet_bulb_delta_c;
        dry_max = dry_max.max(d.dry_bulb_delta_c.abs());
        wet_max = wet_max.max(d.wet_bulb_delta_c.abs());
        ok += usize::from(d.within_tolerance);
    }
    let some = |v: f64| (n > 0).then_some(v);
    StepDeviation {
        step,
        code: code.to_owned(),
        readings: n,
        dry_bulb_mean_c: some(dry_sum / n as f64),
        wet_bulb_mean_c: some(wet_sum / n as f64),
        dry_bulb_max_abs_c: some(dry_max),
        wet_bulb_max_abs_c: some(wet_max),
        within_tolerance_share: some(ok as f64 / n as f64),
    }
}
