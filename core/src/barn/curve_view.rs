//! One barn's chart (烘烤曲线): the measured dry and wet bulb against the cure's expected curve,
//! downsampled for a phone screen, with the spans off the curve marked. From the local store,
//! so it works offline.

use super::api::{BarnId, Curing, Reading};
use super::{BarnError, local, lttb, overview};
use crate::Timestamp;
use crate::curing::{ExpectedCurve, Tolerance};
use crate::store::Store;

/// Requests are clamped to this range: LTTB keeps each curve's first and last point and needs
/// a few between to keep its shape; no phone screen has more pixels across than the maximum.
pub const MIN_POINTS: usize = 8;
pub const MAX_POINTS: usize = 4_000;

/// A measured point kept for the chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChartPoint {
    pub at: Timestamp,
    pub dry_bulb_c: f64,
    pub wet_bulb_c: f64,
    /// Measured minus expected, °C; `None` outside the expected curve.
    pub dry_delta_c: Option<f64>,
    pub wet_delta_c: Option<f64>,
    /// Recipe step of the expected curve at `at`.
    pub step: Option<usize>,
    pub within_tolerance: bool,
}

/// A stretch of consecutive readings off the expected curve. Found on every reading, not on
/// the downsampled ones, so a short excursion is never lost by downsampling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Excursion {
    pub from: Timestamp,
    pub to: Timestamp,
    /// Recipe step of the excursion's first reading.
    pub step: usize,
    /// Largest deviations in the span, signed (positive = too hot / too humid), °C.
    pub worst_dry_c: f64,
    pub worst_wet_c: f64,
}

/// What a barn's chart screen draws.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveView {
    pub curing: Curing,
    /// Nominal curve and the fastest/slowest band, with step windows.
    pub expected: ExpectedCurve,
    /// At most the requested number of points, in time order.
    pub measured: Vec<ChartPoint>,
    /// Readings of the cure in the store, before downsampling.
    pub readings: usize,
    pub excursions: Vec<Excursion>,
    pub tolerance: Tolerance,
}

/// The chart of `barn`'s latest cure with at most `points` measured points (clamped to
/// [`MIN_POINTS`]–[`MAX_POINTS`]). `None` when the store has no cure of the barn (or its
/// recipe is unusable).
pub fn curve_view(
    store: &Store,
    barn: BarnId,
    points: usize,
    now: Timestamp,
) -> Result<Option<CurveView>, BarnError> {
    let points = points.clamp(MIN_POINTS, MAX_POINTS);
    let Some((curing, readings)) = store.read(|c| local::latest_cure(c, barn, now))? else {
        return Ok(None);
    };
    let Some(expected) = overview::expected_curve(&curing, now) else {
        return Ok(None);
    };
    Ok(Some(build(curing, expected, &readings, points)))
}

fn build(
    curing: Curing,
    expected: ExpectedCurve,
    readings: &[Reading],
    points: usize,
) -> CurveView {
    let tolerance = Tolerance::default();
    let judged: Vec<ChartPoint> = readings
        .iter()
        .map(|r| judge(&expected, r, tolerance))
        .collect();
    CurveView {
        measured: downsample(&judged, points)
            .into_iter()
            .map(|i| judged[i])
            .collect(),
        excursions: excursions(&judged),
        readings: readings.len(),
        expected,
        curing,
        tolerance,
    }
}

fn judge(expected: &ExpectedCurve, r: &Reading, tol: Tolerance) -> ChartPoint {
    let sp = expected.setpoint_at(r.at);
    let dry = sp.map(|s| r.dry_bulb_c - s.dry_bulb_c);
    let wet = sp.map(|s| r.wet_bulb_c - s.wet_bulb_c);
    ChartPoint {
        at: r.at,
        dry_bulb_c: r.dry_bulb_c,
        wet_bulb_c: r.wet_bulb_c,
        dry_delta_c: dry,
        wet_delta_c: wet,
        step: sp.map(|s| s.step),
        // Same rule as `curing::deviations`: both bulbs within their tolerance.
        within_tolerance: dry.is_none_or(|d| d.abs() <= tol.dry_bulb_c)
            && wet.is_none_or(|w| w.abs() <= tol.wet_bulb_c),
    }
}

/// Indices to keep: LTTB of the dry bulb and of the wet bulb, merged, so both curves keep their
/// shape (a wet-bulb dip is invisible in the dry-bulb series). The two pick many of the same
/// points, so the per-curve budgets grow while the merge still fits in `points`.
fn downsample(judged: &[ChartPoint], points: usize) -> Vec<usize> {
    if judged.len() <= points {
        return (0..judged.len()).collect();
    }
    let series = |f: fn(&ChartPoint) -> f64| -> Vec<(f64, f64)> {
        judged.iter().map(|p| (p.at.0 as f64, f(p))).collect()
    };
    let (dry, wet) = (series(|p| p.dry_bulb_c), series(|p| p.wet_bulb_c));
    let merged = |n_dry: usize, n_wet: usize| {
        let mut keep = lttb::lttb(&dry, n_dry);
        keep.extend(lttb::lttb(&wet, n_wet));
        keep.sort_unstable();
        keep.dedup();
        keep
    };
    let with_extra = |extra: usize| merged(points.div_ceil(2) + extra / 2, points / 2 + extra / 2);
    // Bisect the extra budget: the largest merge that still fits.
    let mut best = with_extra(0);
    let (mut lo, mut hi) = (0, points);
    while hi - lo > points / 50 + 1 {
        let mid = (lo + hi) / 2;
        let next = with_extra(mid);
        if next.len() <= points {
            best = next;
            lo = mid;
        } else {
            hi = mid;
        }
    }
    best
}

fn excursions(judged: &[ChartPoint]) -> Vec<Excursion> {
    let mut out: Vec<Excursion> = Vec::new();
    let mut open = false;
    for p in judged {
        let (Some(dry), Some(wet)) = (p.dry_delta_c, p.wet_delta_c) else {
            open = false;
            continue;
        };
        if p.within_tolerance {
            open = false;
            continue;
        }
        let worse = |old: f64, new: f64| if new.abs() > old.abs() { new } else { old };
        match out.last_mut() {
            Some(e) if open => {
                e.to = p.at;
                e.worst_dry_c = worse(e.worst_dry_c, dry);
                e.worst_wet_c = worse(e.worst_wet_c, wet);
            }
            _ => out.push(Excursion {
                from: p.at,
                to: p.at,
                step: p.step.unwrap_or(0),
                worst_dry_c: dry,
                worst_wet_c: wet,
            }),
        }
        open = true;
    }
    out
}

#[cfg(test)]
mod tests;
