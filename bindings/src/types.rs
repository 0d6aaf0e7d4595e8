//! Records and enums Kotlin and Swift see, with conversions from the core's types. Times are
//! `SystemTime` (→ `java.time.Instant` / `Date`), spans `Duration` (→ `java.time.Duration` /
//! `TimeInterval`).

use std::time::{Duration, SystemTime};

use yannong_core::curing as core;
use yannong_core::text::Locale;
use yannong_core::{Text, Timestamp};

/// A user-facing string in both languages, plus the one for the app's locale.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LocalizedText {
    pub zh: String,
    pub en: String,
    /// `zh` or `en`, whichever the configured locale reads.
    pub text: String,
}

impl LocalizedText {
    pub(crate) fn new(t: &Text, locale: Locale) -> LocalizedText {
        LocalizedText {
            zh: t.zh.clone(),
            en: t.en.clone(),
            text: t.get(locale).to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CuringStage {
    /// 变黄期
    Yellowing,
    /// 定色期
    ColourFixing,
    /// 干筋期
    StemDrying,
}

impl From<core::Stage> for CuringStage {
    fn from(s: core::Stage) -> Self {
        match s {
            core::Stage::Yellowing => CuringStage::Yellowing,
            core::Stage::ColourFixing => CuringStage::ColourFixing,
            core::Stage::StemDrying => CuringStage::StemDrying,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LeafPosition {
    Lower,
    Middle,
    Upper,
}

impl From<LeafPosition> for core::LeafPosition {
    fn from(p: LeafPosition) -> Self {
        match p {
            LeafPosition::Lower => core::LeafPosition::Lower,
            LeafPosition::Middle => core::LeafPosition::Middle,
            LeafPosition::Upper => core::LeafPosition::Upper,
        }
    }
}

impl From<core::LeafPosition> for LeafPosition {
    fn from(p: core::LeafPosition) -> Self {
        match p {
            core::LeafPosition::Lower => LeafPosition::Lower,
            core::LeafPosition::Middle => LeafPosition::Middle,
            core::LeafPosition::Upper => LeafPosition::Upper,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LeafMaturity {
    Unripe,
    UnderRipe,
    Ripe,
    OverRipe,
}

impl From<LeafMaturity> for core::Maturity {
    fn from(m: LeafMaturity) -> Self {
        match m {
            LeafMaturity::Unripe => core::Maturity::Unripe,
            LeafMaturity::UnderRipe => core::Maturity::UnderRipe,
            LeafMaturity::Ripe => core::Maturity::Ripe,
            LeafMaturity::OverRipe => core::Maturity::OverRipe,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum WaterContent {
    Normal,
    High,
    Low,
}

impl From<WaterContent> for core::WaterContent {
    fn from(w: WaterContent) -> Self {
        match w {
            WaterContent::Normal => core::WaterContent::Normal,
            WaterContent::High => core::WaterContent::High,
            WaterContent::Low => core::WaterContent::Low,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RecipeSource {
    BuiltIn,
    Custom,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RecipeStep {
    pub code: String,
    pub stage: CuringStage,
    pub stage_name: LocalizedText,
    pub dry_bulb_c: f64,
    pub wet_bulb_c: f64,
    pub ramp_c_per_h: f64,
    pub hold_min: Duration,
    pub hold_nominal: Duration,
    pub hold_max: Duration,
    /// The leaf state that ends the step (the operator confirms it).
    pub ends_when: LocalizedText,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Recipe {
    pub id: String,
    pub name: LocalizedText,
    pub description: LocalizedText,
    pub position: Option<LeafPosition>,
    pub source: RecipeSource,
    pub steps: Vec<RecipeStep>,
    /// Nominal length of the cure when started from 25 °C.
    pub nominal_duration: Duration,
}

/// Ambient temperature assumed when the caller gives none.
pub(crate) const DEFAULT_AMBIENT_C: f64 = 25.0;

pub(crate) fn hours(h: f64) -> Duration {
    Duration::from_secs_f64(h.max(0.0) * 3600.0)
}

impl Recipe {
    pub(crate) fn new(entry: core::RecipeEntry, locale: Locale) -> Recipe {
        let r = entry.recipe;
        Recipe {
            nominal_duration: hours(r.nominal_hours(DEFAULT_AMBIENT_C)),
            id: r.id,
            name: LocalizedText::new(&r.name, locale),
            description: LocalizedText::new(&r.description, locale),
            position: r.position.map(Into::into),
            source: match entry.source {
                core::RecipeSource::BuiltIn => RecipeSource::BuiltIn,
                core::RecipeSource::Custom => RecipeSource::Custom,
            },
            steps: r
                .steps
                .iter()
                .map(|s| RecipeStep {
                    code: s.code.clone(),
                    stage: s.stage.into(),
                    stage_name: LocalizedText::new(&s.stage.name(), locale),
                    dry_bulb_c: s.dry_bulb_c,
                    wet_bulb_c: s.wet_bulb_c,
                    ramp_c_per_h: s.ramp_c_per_h,
                    hold_min: hours(s.hold_min_h),
                    hold_nominal: hours(s.hold_nominal_h),
                    hold_max: hours(s.hold_max_h),
                    ends_when: LocalizedText::new(&s.ends_when, locale),
                })
                .collect(),
        }
    }
}

/// One cure: which recipe, when it started, and when the operator advanced each step so far.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CureTimeline {
    pub recipe_id: String,
    pub start: SystemTime,
    /// Outside temperature at the start, °C; the first ramp starts from it (25 °C if unknown).
    pub ambient_c: Option<f64>,
    /// `step_advances[i]` is when step `i` ended and step `i + 1` began.
    pub step_advances: Vec<SystemTime>,
}

/// A vertex of a set-point curve.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct CurveKnot {
    pub time: SystemTime,
    pub dry_bulb_c: f64,
    pub wet_bulb_c: f64,
}

impl From<&core::Knot> for CurveKnot {
    fn from(k: &core::Knot) -> Self {
        CurveKnot {
            time: k.t.into(),
            dry_bulb_c: k.dry_bulb_c,
            wet_bulb_c: k.wet_bulb_c,
        }
    }
}

/// A sampled set point and the step it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct CurvePoint {
    pub time: SystemTime,
    pub dry_bulb_c: f64,
    pub wet_bulb_c: f64,
    pub step: u32,
}

impl From<&core::CurvePoint> for CurvePoint {
    fn from(p: &core::CurvePoint) -> Self {
        CurvePoint {
            time: p.t.into(),
            dry_bulb_c: p.dry_bulb_c,
            wet_bulb_c: p.wet_bulb_c,
            step: index(p.step),
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct StepWindow {
    pub index: u32,
    pub code: String,
    pub stage: CuringStage,
    pub start: SystemTime,
    pub ramp_end: SystemTime,
    pub end: SystemTime,
    /// Earliest and latest end the step's holds allow (equal to `end` once advanced).
    pub end_earliest: SystemTime,
    pub end_latest: SystemTime,
    /// True when the operator really advanced this step.
    pub advanced: bool,
}

impl From<&core::StepWindow> for StepWindow {
    fn from(w: &core::StepWindow) -> Self {
        StepWindow {
            index: index(w.index),
            code: w.code.clone(),
            stage: w.stage.into(),
            start: w.start.into(),
            ramp_end: w.ramp_end.into(),
            end: w.end.into(),
            end_earliest: w.end_earliest.into(),
            end_latest: w.end_latest.into(),
            advanced: w.advanced,
        }
    }
}

/// The recipe's expected set points for one cure, ready to draw.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ExpectedCurve {
    pub recipe_id: String,
    pub start: SystemTime,
    pub end: SystemTime,
    /// The nominal curve sampled at the requested resolution.
    pub points: Vec<CurvePoint>,
    /// Vertices of the nominal, fastest (minimum holds) and slowest (maximum holds) curves.
    pub nominal: Vec<CurveKnot>,
    pub fastest: Vec<CurveKnot>,
    pub slowest: Vec<CurveKnot>,
    pub steps: Vec<StepWindow>,
}

impl ExpectedCurve {
    pub(crate) fn new(
        recipe_id: String,
        c: &core::ExpectedCurve,
        points: &[core::CurvePoint],
    ) -> Self {
        let knots = |ks: &[core::Knot]| ks.iter().map(CurveKnot::from).collect();
        ExpectedCurve {
            recipe_id,
            start: c.start.into(),
            end: c.end().into(),
            points: points.iter().map(CurvePoint::from).collect(),
            nominal: knots(&c.nominal),
            fastest: knots(&c.fastest),
            slowest: knots(&c.slowest),
            steps: c.steps.iter().map(StepWindow::from).collect(),
        }
    }
}

/// A dry/wet-bulb reading from a barn.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct Reading {
    pub time: SystemTime,
    pub dry_bulb_c: f64,
    pub wet_bulb_c: f64,
}

impl From<&Reading> for core::Reading {
    fn from(r: &Reading) -> Self {
        core::Reading {
            t: Timestamp::from(r.time),
            dry_bulb_c: r.dry_bulb_c,
            wet_bulb_c: r.wet_bulb_c,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct ReadingDeviation {
    pub time: SystemTime,
    pub step: u32,
    pub expected_dry_bulb_c: f64,
    pub expected_wet_bulb_c: f64,
    /// Measured minus expected, °C (positive = too hot / too humid).
    pub dry_bulb_delta_c: f64,
    pub wet_bulb_delta_c: f64,
    pub within_tolerance: bool,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct StepDeviation {
    pub step: u32,
    pub code: String,
    pub readings: u32,
    pub dry_bulb_mean_c: Option<f64>,
    pub wet_bulb_mean_c: Option<f64>,
    pub dry_bulb_max_abs_c: Option<f64>,
    pub wet_bulb_max_abs_c: Option<f64>,
    /// Share of readings within ±2 °C dry bulb and ±1.5 °C wet bulb, 0–1.
    pub within_tolerance_share: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DeviationReport {
    pub readings: Vec<ReadingDeviation>,
    pub steps: Vec<StepDeviation>,
    /// Readings outside the cure or with impossible values.
    pub skipped: u32,
}

impl From<core::DeviationReport> for DeviationReport {
    fn from(r: core::DeviationReport) -> Self {
        DeviationReport {
            readings: r
                .readings
                .iter()
                .map(|d| ReadingDeviation {
                    time: d.t.into(),
                    step: index(d.step),
                    expected_dry_bulb_c: d.expected_dry_bulb_c,
                    expected_wet_bulb_c: d.expected_wet_bulb_c,
                    dry_bulb_delta_c: d.dry_bulb_delta_c,
                    wet_bulb_delta_c: d.wet_bulb_delta_c,
                    within_tolerance: d.within_tolerance,
                })
                .collect(),
            steps: r
                .steps
                .into_iter()
                .map(|s| StepDeviation {
                    step: index(s.step),
                    code: s.code,
                    readings: index(s.readings),
                    dry_bulb_mean_c: s.dry_bulb_mean_c,
                    wet_bulb_mean_c: s.wet_bulb_mean_c,
                    dry_bulb_max_abs_c: s.dry_bulb_max_abs_c,
                    wet_bulb_max_abs_c: s.wet_bulb_max_abs_c,
                    within_tolerance_share: s.within_tolerance_share,
                })
                .collect(),
            skipped: index(r.skipped),
        }
    }
}

/// Counts and indexes are small; saturate rather than wrap if one ever is not.
fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}
