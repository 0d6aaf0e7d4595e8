//! What the barn screens show, all read from the local store (offline): the all-barns list by
//! urgency, one barn's chart against its recipe, the process analysis of a cure, and the
//! barn camera's pictures (downloaded once, then cached).

use std::time::{Duration, SystemTime};

use yannong_core::barn::api::{self as api, BarnId, ImageId};
use yannong_core::barn::{analysis, curve_view, local, overview};
use yannong_core::text::Locale;
use yannong_core::{Text, Timestamp};

use crate::runtime::{blocking, on_runtime};
use crate::{
    BarnReading, BarnSummary, Barns, CuringStage, ExpectedCurve, LeafPosition, LocalizedText,
    YannongError,
};

/// One line of the technician's all-barns list.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BarnStatus {
    pub barn: BarnSummary,
    /// Step code and stage of the running cure, e.g. "F1 定色期"; `None` when no cure runs.
    pub step: Option<LocalizedText>,
    /// Dry bulb minus its set point at the newest reading, °C.
    pub deviation_c: Option<f64>,
    /// Time since the newest reading.
    pub silent_for: Option<Duration>,
    /// Higher is more urgent; 0 is on track. The list comes sorted by it.
    pub urgency: u32,
    /// Why the barn is where it is in the list ("为什么排在前面"), most serious first.
    pub reasons: Vec<LocalizedText>,
}

/// A barn's cure, as the chart's caption needs it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BarnCuring {
    pub id: i64,
    pub recipe_id: String,
    pub recipe_name: LocalizedText,
    pub position: LeafPosition,
    pub started_at: SystemTime,
    /// Index of the step running now (the last step once finished).
    pub current_step: u32,
    pub finished_at: Option<SystemTime>,
}

/// A measured point kept for the chart.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct BarnChartPoint {
    pub time: SystemTime,
    pub dry_bulb_c: f64,
    pub wet_bulb_c: f64,
    /// Measured minus expected, °C; `None` outside the expected curve.
    pub dry_delta_c: Option<f64>,
    pub wet_delta_c: Option<f64>,
    pub step: Option<u32>,
    pub within_tolerance: bool,
}

/// A stretch off the expected curve, found on every reading (never lost by downsampling).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BarnExcursion {
    pub from: SystemTime,
    pub to: SystemTime,
    pub step: u32,
    pub step_code: String,
    /// Largest deviations in the stretch, signed (positive = too hot / too humid), °C.
    pub worst_dry_c: f64,
    pub worst_wet_c: f64,
}

/// One barn's chart (烘烤曲线): measured against expected, ready to draw.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BarnCurve {
    pub curing: BarnCuring,
    /// Knots of the nominal curve and its fastest/slowest band, and the step windows
    /// (`points` is empty: draw the knots, they are exact).
    pub expected: ExpectedCurve,
    /// At most the requested number of points, in time order.
    pub measured: Vec<BarnChartPoint>,
    /// Readings of the cure in the store before downsampling.
    pub readings: u32,
    pub excursions: Vec<BarnExcursion>,
    pub dry_tolerance_c: f64,
    pub wet_tolerance_c: f64,
}

/// One step in the process analysis.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct StepAnalysis {
    pub index: u32,
    pub code: String,
    pub stage: CuringStage,
    /// Hours the step really took (so far, for the running step); `None` if not reached.
    pub actual_h: Option<f64>,
    /// Ramp plus nominal / minimum / maximum hold, hours.
    pub nominal_h: f64,
    pub min_h: f64,
    pub max_h: f64,
    pub dry_out_of_tolerance_min: f64,
    pub dry_worst_c: Option<f64>,
}

/// Process analysis of a cure (过程分析), finished or so far.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CureAnalysis {
    pub steps: Vec<StepAnalysis>,
    pub total_h: f64,
    pub nominal_total_h: f64,
    pub finished: bool,
    pub dry_out_of_tolerance_min: f64,
    /// Heating energy estimated from the controller's heating demand and the heat pump's
    /// rated input: a proxy, not a meter reading.
    pub heating_kwh: f64,
    pub summary: LocalizedText,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BarnPictureInfo {
    pub id: i64,
    pub barn_id: i64,
    pub taken_at: SystemTime,
    pub bytes: u32,
    /// Drawn by the platform's barn simulator, not taken by a camera: say so on screen.
    pub simulated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BarnPicture {
    pub info: BarnPictureInfo,
    pub jpeg: Vec<u8>,
}

#[uniffi::export]
impl Barns {
    /// Every barn, most urgent first (ties by name), with the reasons. Works offline; pair it
    /// with the session's "last updated".
    pub async fn overview(&self) -> Result<Vec<BarnStatus>, YannongError> {
        let (store, locale) = (self.store.clone(), self.locale);
        blocking(move |_| {
            let now = Timestamp::now();
            let rows = overview::overview(&store, now)?;
            Ok(rows.into_iter().map(|r| status(r, now, locale)).collect())
        })
        .await
    }

    /// The chart of `barn_id`'s latest cure with at most `points` measured points (clamped to
    /// 8–4000; ask for about the chart's width in pixels). `None` when the barn has no cure.
    pub async fn curve(
        &self,
        barn_id: i64,
        points: u32,
    ) -> Result<Option<BarnCurve>, YannongError> {
        let (store, locale) = (self.store.clone(), self.locale);
        blocking(move |_| {
            let view =
                curve_view::curve_view(&store, BarnId(barn_id), points as usize, Timestamp::now())?;
            Ok(view.map(|v| chart(v, locale)))
        })
        .await
    }

    /// Process analysis of `barn_id`'s latest cure, finished or so far. `heat_pump_input_kw`
    /// is the heat pump's rated electrical input (nameplate), for the energy estimate.
    pub async fn analysis(
        &self,
        barn_id: i64,
        heat_pump_input_kw: f64,
    ) -> Result<Option<CureAnalysis>, YannongError> {
        if !(heat_pump_input_kw.is_finite() && (0.0..=500.0).contains(&heat_pump_input_kw)) {
            return Err(YannongError::InvalidInput {
                detail: format!("heat-pump input {heat_pump_input_kw} kW is not plausible"),
                field: Some("heat_pump_input_kw".to_owned()),
                step: None,
            });
        }
        let (store, locale) = (self.store.clone(), self.locale);
        blocking(move |_| {
            let now = Timestamp::now();
            let cure = store.read(|c| local::latest_cure(c, BarnId(barn_id), now))?;
            Ok(cure
                .and_then(|(c, rs)| analysis::analyse(&c, &rs, now, heat_pump_input_kw))
                .map(|a| cure_analysis(a, locale)))
        })
        .await
    }

    /// The barn camera's pictures the store knows of, newest first (metadata only).
    pub async fn pictures(
        &self,
        barn_id: i64,
        limit: u32,
    ) -> Result<Vec<BarnPictureInfo>, YannongError> {
        let store = self.store.clone();
        blocking(move |_| {
            let metas = store.read(|c| local::images(c, BarnId(barn_id), limit as usize))?;
            Ok(metas.into_iter().map(picture_info).collect())
        })
        .await
    }

    /// A picture's JPEG: from the cache, else downloaded once (checked against its SHA-256)
    /// and cached under a size cap. Offline, only pictures viewed before are there.
    pub async fn picture(&self, image_id: i64) -> Result<BarnPicture, YannongError> {
        let inner = self.inner.clone();
        on_runtime(async move {
            let (meta, jpeg) = inner.picture(ImageId(image_id)).await?;
            Ok(BarnPicture {
                info: picture_info(meta),
                jpeg,
            })
        })
        .await
    }
}

pub(crate) fn summary(barn: api::Barn, latest: Option<api::Reading>) -> BarnSummary {
    BarnSummary {
        latest: latest.map(BarnReading::from),
        id: barn.id.0,
        name: barn.name,
        village: barn.village,
        owner_name: barn.owner_name,
        capacity_kg: barn.capacity_kg,
    }
}

fn text(t: &Text, locale: Locale) -> LocalizedText {
    LocalizedText::new(t, locale)
}

fn status(r: overview::BarnStatus, now: Timestamp, locale: Locale) -> BarnStatus {
    let silent_for = r
        .latest
        .as_ref()
        .map(|l| Duration::from_millis(u64::try_from(now.0 - l.at.0).unwrap_or(0)));
    BarnStatus {
        step: r.step.as_ref().map(|t| text(t, locale)),
        deviation_c: r.deviation_c,
        silent_for,
        urgency: r.urgency,
        reasons: r.reasons.iter().map(|t| text(t, locale)).collect(),
        barn: summary(r.barn, r.latest),
    }
}

fn chart(v: curve_view::CurveView, locale: Locale) -> BarnCurve {
    let steps = &v.curing.recipe.0.steps;
    BarnCurve {
        expected: ExpectedCurve::new(v.curing.recipe.0.id.clone(), &v.expected, &[]),
        measured: v
            .measured
            .iter()
            .map(|p| BarnChartPoint {
                time: p.at.into(),
                dry_bulb_c: p.dry_bulb_c,
                wet_bulb_c: p.wet_bulb_c,
                dry_delta_c: p.dry_delta_c,
                wet_delta_c: p.wet_delta_c,
                step: p.step.map(|s| s as u32),
                within_tolerance: p.within_tolerance,
            })
            .collect(),
        readings: u32::try_from(v.readings).unwrap_or(u32::MAX),
        excursions: v
            .excursions
            .iter()
            .map(|e| BarnExcursion {
                from: e.from.into(),
                to: e.to.into(),
                step: e.step as u32,
                step_code: steps
                    .get(e.step)
                    .map_or_else(String::new, |s| s.code.clone()),
                worst_dry_c: e.worst_dry_c,
                worst_wet_c: e.worst_wet_c,
            })
            .collect(),
        dry_tolerance_c: v.tolerance.dry_bulb_c,
        wet_tolerance_c: v.tolerance.wet_bulb_c,
        curing: BarnCuring {
            id: v.curing.id.0,
            recipe_id: v.curing.recipe.0.id.clone(),
            recipe_name: text(&v.curing.recipe.0.name, locale),
            position: v.curing.position.into(),
            started_at: v.curing.started_at.into(),
            current_step: v.curing.current_step,
            finished_at: v.curing.finished_at.map(Into::into),
        },
    }
}

fn cure_analysis(a: analysis::CureAnalysis, locale: Locale) -> CureAnalysis {
    CureAnalysis {
        steps: a
            .steps
            .into_iter()
            .map(|s| StepAnalysis {
                index: s.index as u32,
                code: s.code,
                stage: s.stage.into(),
                actual_h: s.actual_h,
                nominal_h: s.nominal_h,
                min_h: s.min_h,
                max_h: s.max_h,
                dry_out_of_tolerance_min: s.dry_out_of_tolerance_min,
                dry_worst_c: s.dry_worst_c,
            })
            .collect(),
        total_h: a.total_h,
        nominal_total_h: a.nominal_total_h,
        finished: a.finished,
        dry_out_of_tolerance_min: a.dry_out_of_tolerance_min,
        heating_kwh: a.heating_kwh,
        summary: text(&a.summary, locale),
    }
}

fn picture_info(m: api::ImageMeta) -> BarnPictureInfo {
    BarnPictureInfo {
        id: m.id.0,
        barn_id: m.barn_id.0,
        taken_at: m.at.into(),
        bytes: m.bytes,
        simulated: m.simulated,
    }
}
