//! The expected set-point curve of a cure (§2.2 of the domain doc).
//!
//! Set points are piecewise linear: each step ramps from where the previous one ended to its
//! targets, then holds. Holds are event-driven, so the curve is elastic: steps the operator has
//! already advanced end at the real time, later steps are projected with nominal holds, and the
//! `fastest`/`slowest` curves (minimum/maximum holds) bound the projection.

use super::error::RecipeError;
use super::recipe::{Recipe, Stage};
use crate::{Text, Timestamp};

/// A vertex of the piecewise-linear set-point curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Knot {
    pub t: Timestamp,
    pub dry_bulb_c: f64,
    pub wet_bulb_c: f64,
}

/// A set point sampled from the curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurvePoint {
    pub t: Timestamp,
    pub dry_bulb_c: f64,
    pub wet_bulb_c: f64,
    /// Index of the recipe step active at `t`.
    pub step: usize,
}

/// When a step runs on the nominal curve.
#[derive(Debug, Clone, PartialEq)]
pub struct StepWindow {
    pub index: usize,
    pub code: String,
    pub stage: Stage,
    pub start: Timestamp,
    /// When the ramp reaches the targets (equals `end` if the step was cut short).
    pub ramp_end: Timestamp,
    pub end: Timestamp,
    /// Earliest and latest end allowed by the holds (equal to `end` once advanced).
    pub end_earliest: Timestamp,
    pub end_latest: Timestamp,
    /// True when the operator really advanced this step (its end is a fact, not a projection).
    pub advanced: bool,
}

/// Expected set points of one cure.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedCurve {
    pub start: Timestamp,
    pub nominal: Vec<Knot>,
    pub fastest: Vec<Knot>,
    pub slowest: Vec<Knot>,
    pub steps: Vec<StepWindow>,
}

use crate::cancel::{Cancel, cancelled};

#[derive(Clone, Copy)]
enum Holds {
    Nominal,
    Min,
    Max,
}

struct Timeline {
    knots: Vec<Knot>,
    /// (start, ramp end, end) per step.
    windows: Vec<(Timestamp, Timestamp, Timestamp)>,
}

impl ExpectedCurve {
    /// Builds the curve for `recipe` started at `start` from `ambient_c`. `advances[i]` is when
    /// the operator actually moved from step `i` to step `i + 1` (fewer entries than steps means
    /// the cure is still running; one entry per step means it is finished).
    pub fn new(
        recipe: &Recipe,
        start: Timestamp,
        ambient_c: f64,
        advances: &[Timestamp],
    ) -> Result<ExpectedCurve, RecipeError> {
        Self::build(recipe, start, ambient_c, advances, None)
    }

    /// Like [`ExpectedCurve::new`] for a cure still running at `now`: the current step (the
    /// one after the last advance) has evidently not ended yet, so its end is projected no
    /// earlier than `now`. Without this, a step that overran its hold would be judged
    /// against the next step's set points.
    pub fn as_of(
        recipe: &Recipe,
        start: Timestamp,
        ambient_c: f64,
        advances: &[Timestamp],
        now: Timestamp,
    ) -> Result<ExpectedCurve, RecipeError> {
        Self::build(recipe, start, ambient_c, advances, Some(now))
    }

    fn build(
        recipe: &Recipe,
        start: Timestamp,
        ambient_c: f64,
        advances: &[Timestamp],
        now: Option<Timestamp>,
    ) -> Result<ExpectedCurve, RecipeError> {
        check_inputs(recipe, start, ambient_c, advances)?;
        let line = |holds| timeline(recipe, start, ambient_c, advances, holds, now);
        let (nominal, fastest, slowest) =
            (line(Holds::Nominal), line(Holds::Min), line(Holds::Max));
        let steps = recipe
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| StepWindow {
                index: i,
                code: s.code.clone(),
                stage: s.stage,
                start: nominal.windows[i].0,
                ramp_end: nominal.windows[i].1,
                end: nominal.windows[i].2,
                end_earliest: fastest.windows[i].2,
                end_latest: slowest.windows[i].2,
                advanced: i < advances.len(),
            })
            .collect();
        Ok(ExpectedCurve {
            start,
            nominal: nominal.knots,
            fastest: fastest.knots,
            slowest: slowest.knots,
            steps,
        })
    }

    /// End of the nominal curve.
    pub fn end(&self) -> Timestamp {
        self.nominal.last().map_or(self.start, |k| k.t)
    }

    /// The step active at `t` on the nominal curve (the last step after the end).
    pub fn step_at(&self, t: Timestamp) -> Option<usize> {
        if t < self.start {
            return None;
        }
        let i = self.steps.partition_point(|w| w.end <= t);
        Some(i.min(self.steps.len() - 1))
    }

    /// Nominal set point at `t`, or `None` outside the cure.
    pub fn setpoint_at(&self, t: Timestamp) -> Option<CurvePoint> {
        let (dry_bulb_c, wet_bulb_c) = interpolate(&self.nominal, t)?;
        Some(CurvePoint {
            t,
            dry_bulb_c,
            wet_bulb_c,
            step: self.step_at(t)?,
        })
    }

    /// The nominal curve sampled every `every_ms` from start to end (both included). Checks
    /// `cancel` as it goes so a screen that went away does not keep a core busy.
    pub fn sample(&self, every_ms: i64, cancel: &Cancel) -> Result<Vec<CurvePoint>, RecipeError> {
        if every_ms <= 0 {
            return Err(RecipeError::field(
                "resolution",
                "采样间隔必须大于 0",
                "the sampling interval must be positive",
            ));
        }
        let (start, end) = (self.start.millis(), self.end().millis());
        let n = usize::try_from((end - start) / every_ms + 2).unwrap_or(usize::MAX);
        const MAX_POINTS: usize = 2_000_000;
        if n > MAX_POINTS {
            return Err(RecipeError::field(
                "resolution",
                "采样间隔太小",
                format!("the sampling interval is too fine ({n} points; at most {MAX_POINTS})"),
            ));
        }
        let mut out = Vec::with_capacity(n);
        let (mut seg, mut step) = (0usize, 0usize);
        let mut t = start;
        loop {
            if out.len() % 4096 == 0 && cancelled(cancel) {
                return Err(RecipeError::Cancelled);
            }
            let at = Timestamp(t.min(end));
            // Walk forward instead of searching: samples are in time order.
            while seg + 2 < self.nominal.len() && self.nominal[seg + 1].t <= at {
                seg += 1;
            }
            while step + 1 < self.steps.len() && self.steps[step].end <= at {
                step += 1;
            }
            let (dry_bulb_c, wet_bulb_c) = lerp(&self.nominal[seg], &self.nominal[seg + 1], at);
            out.push(CurvePoint {
                t: at,
                dry_bulb_c,
                wet_bulb_c,
                step,
            });
            if t >= end {
                return Ok(out);
            }
            t += every_ms;
        }
    }
}

fn check_inputs(
    recipe: &Recipe,
    start: Timestamp,
    ambient_c: f64,
    advances: &[Timestamp],
) -> Result<(), RecipeError> {
    // Recipe fields are public, so a caller may hand over one that never passed validation.
    recipe.validate()?;
    if !(-20.0..=50.0).contains(&ambient_c) {
        return Err(RecipeError::field(
            "ambient_c",
            format!("环境温度 {ambient_c} ℃ 不合理"),
            format!("ambient temperature {ambient_c} °C is not plausible (−20–50 °C)"),
        ));
    }
    if advances.len() > recipe.steps.len() {
        return Err(RecipeError::Advances(Text::new(
            format!(
                "转步记录 {} 次，但配方只有 {} 步",
                advances.len(),
                recipe.steps.len()
            ),
            format!(
                "{} step advances for a recipe of {} steps",
                advances.len(),
                recipe.steps.len()
            ),
        )));
    }
    let mut prev = start;
    for (i, &t) in advances.iter().enumerate() {
        if t < prev {
            return Err(RecipeError::Advances(Text::new(
                format!("第 {} 次转步时间早于开始或上一次转步", i + 1),
                format!(
                    "advance {} is earlier than the start or the previous advance",
                    i + 1
                ),
            )));
        }
        prev = t;
    }
    Ok(())
}

fn timeline(
    recipe: &Recipe,
    start: Timestamp,
    ambient_c: f64,
    advances: &[Timestamp],
    holds: Holds,
    now: Option<Timestamp>,
) -> Timeline {
    let first = &recipe.steps[0];
    let mut at = Knot {
        t: start,
        dry_bulb_c: ambient_c,
        // Start from the first step's depression so the wet bulb ramps alongside the dry bulb.
        wet_bulb_c: (ambient_c - (first.dry_bulb_c - first.wet_bulb_c)).min(ambient_c),
    };
    let mut knots = vec![at];
    let mut windows = Vec::with_capacity(recipe.steps.len());
    for (i, step) in recipe.steps.iter().enumerate() {
        let step_start = at.t;
        let ramp_h = step.ramp_hours_from(at.dry_bulb_c, at.wet_bulb_c);
        let ramp_done = Knot {
            t: step_start.add_hours(ramp_h),
            dry_bulb_c: step.dry_bulb_c,
            wet_bulb_c: step.wet_bulb_c,
        };
        let hold_h = match holds {
            Holds::Nominal => step.hold_nominal_h,
            Holds::Min => step.hold_min_h,
            Holds::Max => step.hold_max_h,
        };
        let end_t = advances.get(i).copied().unwrap_or_else(|| {
            let projected = ramp_done.t.add_hours(hold_h);
            match now {
                Some(now) if i == advances.len() => projected.max(now),
                _ => projected,
            }
        });
        let end = if end_t < ramp_done.t {
            // Advanced mid-ramp: the next step ramps on from wherever the set point was.
            let (dry_bulb_c, wet_bulb_c) = lerp(&at, &ramp_done, end_t);
            Knot {
                t: end_t,
                dry_bulb_c,
                wet_bulb_c,
            }
        } else {
            if ramp_done.t > step_start {
                knots.push(ramp_done);
            }
            Knot {
                t: end_t,
                ..ramp_done
            }
        };
        if end.t > knots.last().map_or(start, |k| k.t) {
            knots.push(end);
        }
        windows.push((step_start, ramp_done.t.min(end.t), end.t));
        at = end;
    }
    if knots.len() == 1 {
        // A cure that ended the moment it started still needs a segment to sample.
        knots.push(knots[0]);
    }
    Timeline { knots, windows }
}

/// Linear interpolation between two knots at `t` (clamped to the segment).
fn lerp(a: &Knot, b: &Knot, t: Timestamp) -> (f64, f64) {
    let span = (b.t.millis() - a.t.millis()) as f64;
    if span <= 0.0 {
        return (b.dry_bulb_c, b.wet_bulb_c);
    }
    let f = ((t.millis() - a.t.millis()) as f64 / span).clamp(0.0, 1.0);
    (
        a.dry_bulb_c + (b.dry_bulb_c - a.dry_bulb_c) * f,
        a.wet_bulb_c + (b.wet_bulb_c - a.wet_bulb_c) * f,
    )
}

/// Value of a knot polyline at `t`, `None` outside it.
fn interpolate(knots: &[Knot], t: Timestamp) -> Option<(f64, f64)> {
    let (first, last) = (knots.first()?, knots.last()?);
    if t < first.t || t > last.t {
        return None;
    }
    let i = knots.partition_point(|k| k.t <= t);
    if i >= knots.len() {
        return Some((last.dry_bulb_c, last.wet_bulb_c));
    }
    Some(lerp(&knots[i - 1], &knots[i], t))
}
