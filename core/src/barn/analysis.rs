//! Process analysis of a cure (过程分析): each step's real duration against the recipe, time
//! the dry bulb spent outside tolerance, an energy proxy and a short summary a technician can
//! read. Works on a finished cure or on the run so far.

use super::api::{Curing, Reading};
use crate::curing::{self, ExpectedCurve, Stage, Tolerance};
use crate::{Text, Timestamp};

/// The longest gap a single reading is taken to stand for: a silent controller's outage is not
/// counted as time in or out of tolerance.
const MAX_READING_SPAN_MIN: f64 = 5.0;
/// Below these, a step's overrun or an excursion is not worth a line in the summary.
const NOTABLE_OVERRUN_H: f64 = 2.0;
const NOTABLE_EXCURSION_MIN: f64 = 10.0;

#[derive(Debug, Clone, PartialEq)]
pub struct StepAnalysis {
    pub index: usize,
    pub code: String,
    pub stage: Stage,
    /// Hours the step really took (so far, for the running step); `None` if not reached.
    pub actual_h: Option<f64>,
    /// Ramp plus nominal / minimum / maximum hold, hours.
    pub nominal_h: f64,
    pub min_h: f64,
    pub max_h: f64,
    /// Minutes the dry bulb was more than the tolerance off its set point.
    pub dry_out_of_tolerance_min: f64,
    /// Largest dry-bulb deviation, °C (signed: positive = too hot).
    pub dry_worst_c: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CureAnalysis {
    pub steps: Vec<StepAnalysis>,
    /// Hours from start to the end (or to `now` while running).
    pub total_h: f64,
    pub nominal_total_h: f64,
    pub finished: bool,
    pub dry_out_of_tolerance_min: f64,
    /// Heating energy proxy: Σ heating demand × rated heat-pump input × time, kWh. A proxy:
    /// controllers report demand, not metered power.
    pub heating_kwh: f64,
    pub summary: Text,
}

/// Analyses `curing` from its readings (time order). `rated_kw` is the heat pump's rated
/// electrical input for the energy proxy. `None` for an unusable recipe or start. While a cure
/// runs, its current step is judged against its own targets up to `now`, even past its hold.
pub fn analyse(
    curing: &Curing,
    readings: &[Reading],
    now: Timestamp,
    rated_kw: f64,
) -> Option<CureAnalysis> {
    let recipe = &curing.recipe.0;
    let actual = super::overview::expected_curve(curing, now)?;
    let planned = ExpectedCurve::new(recipe, curing.started_at, curing.ambient_c, &[]).ok()?;
    let end = curing.finished_at.unwrap_or(now);

    let points: Vec<curing::Reading> = readings
        .iter()
        .map(|r| curing::Reading {
            t: r.at,
            dry_bulb_c: r.dry_bulb_c,
            wet_bulb_c: r.wet_bulb_c,
        })
        .collect();
    let report = curing::deviations(&actual, &points, Tolerance::default());
    // Minutes each reading stands for: up to the next one, capped.
    let span = |i: usize| -> f64 {
        readings
            .get(i + 1)
            .map_or(1.0, |n| n.at.hours_since(readings[i].at) * 60.0)
            .clamp(0.0, MAX_READING_SPAN_MIN)
    };
    let tol = Tolerance::default().dry_bulb_c;
    let mut out_min = vec![0.0; recipe.steps.len()];
    let mut worst: Vec<Option<f64>> = vec![None; recipe.steps.len()];
    let mut j = 0;
    for d in &report.readings {
        while j < readings.len() && readings[j].at < d.t {
            j += 1;
        }
        if d.dry_bulb_delta_c.abs() > tol {
            out_min[d.step] += span(j);
        }
        let w = &mut worst[d.step];
        if w.is_none_or(|w| d.dry_bulb_delta_c.abs() > w.abs()) {
            *w = Some(d.dry_bulb_delta_c);
        }
    }
    let heating_kwh = readings
        .iter()
        .enumerate()
        .map(|(i, r)| f64::from(r.heating_pct) / 100.0 * rated_kw * span(i) / 60.0)
        .sum();

    let reached = curing.advances.len() + 1;
    let steps: Vec<StepAnalysis> = recipe
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let p = &planned.steps[i];
            let ramp_h = p.ramp_end.hours_since(p.start);
            let a = &actual.steps[i];
            let actual_h = (i < reached.min(recipe.steps.len())).then(|| {
                let stop = if a.advanced { a.end } else { end };
                stop.hours_since(a.start).max(0.0)
            });
            StepAnalysis {
                index: i,
                code: s.code.clone(),
                stage: s.stage,
                actual_h,
                nominal_h: p.end.hours_since(p.start),
                min_h: ramp_h + s.hold_min_h,
                max_h: ramp_h + s.hold_max_h,
                dry_out_of_tolerance_min: out_min[i],
                dry_worst_c: worst[i],
            }
        })
        .collect();
    let total_h = end.hours_since(curing.started_at);
    let nominal_total_h = planned.end().hours_since(planned.start);
    let dry_out_of_tolerance_min = out_min.iter().sum();
    let summary = summary(
        &steps,
        total_h,
        nominal_total_h,
        curing.finished_at.is_some(),
    );
    Some(CureAnalysis {
        steps,
        total_h,
        nominal_total_h,
        finished: curing.finished_at.is_some(),
        dry_out_of_tolerance_min,
        heating_kwh,
        summary,
    })
}

fn summary(steps: &[StepAnalysis], total_h: f64, nominal_h: f64, finished: bool) -> Text {
    let (mut zh, mut en) = (Vec::new(), Vec::new());
    let verb = if finished {
        ("共烤", "took")
    } else {
        ("已烤", "has run")
    };
    zh.push(format!(
        "{}{total_h:.0}小时（推荐约{nominal_h:.0}小时）",
        verb.0
    ));
    en.push(format!(
        "the cure {} {total_h:.0} h (recipe about {nominal_h:.0} h)",
        verb.1
    ));
    for s in steps {
        let stage = s.stage.name();
        if let Some(a) = s.actual_h {
            let over = a - s.nominal_h;
            if over.abs() >= NOTABLE_OVERRUN_H && (finished || over > 0.0) {
                let (word_zh, word_en) = if over > 0.0 {
                    ("长", "longer")
                } else {
                    ("短", "shorter")
                };
                zh.push(format!(
                    "{}{}比推荐{word_zh}{:.0}小时",
                    stage.zh,
                    s.code,
                    over.abs()
                ));
                en.push(format!(
                    "{} {} ran {:.0} h {word_en} than the recipe",
                    stage.en,
                    s.code,
                    over.abs()
                ));
            }
        }
        if s.dry_out_of_tolerance_min >= NOTABLE_EXCURSION_MIN {
            let (zh_dir, en_dir) = match s.dry_worst_c {
                Some(w) if w > 0.0 => ("偏高", "high"),
                _ => ("偏低", "low"),
            };
            zh.push(format!(
                "{}{}有{:.0}分钟温度{zh_dir}超过2℃",
                stage.zh, s.code, s.dry_out_of_tolerance_min
            ));
            en.push(format!(
                "{} {}: {:.0} min with the dry bulb more than 2 °C {en_dir}",
                stage.en, s.code, s.dry_out_of_tolerance_min
            ));
        }
    }
    if zh.len() == 1 {
        zh.push("温度一直跟住了推荐曲线".into());
        en.push("the dry bulb followed the recipe throughout".into());
    }
    Text::new(zh.join("；"), en.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::barn::api::{BarnId, CuringId, Fan, HeatPump, StepAdvance, WireRecipe};
    use crate::cancel::Cancel;
    use crate::curing::{LeafPosition, Maturity, WaterContent, builtin_recipe};

    const START: Timestamp = Timestamp(1_790_000_000_000);

    /// A finished middle cure whose readings follow the nominal curve, with the dry bulb 4 °C
    /// low for `dip_min` minutes in F1.
    fn cure(dip_min: i64) -> (Curing, Vec<Reading>) {
        let recipe = builtin_recipe("middle").unwrap();
        let nominal = ExpectedCurve::new(&recipe, START, 25.0, &[]).unwrap();
        let advances: Vec<StepAdvance> = nominal
            .steps
            .iter()
            .map(|w| StepAdvance {
                step: w.index as u32,
                at: w.end,
                leaf_state: None,
            })
            .collect();
        let f1 = nominal.steps.iter().find(|w| w.code == "F1").unwrap().start;
        let points = nominal.sample(60_000, &Cancel::new(false)).unwrap();
        let readings = points
            .iter()
            .map(|p| {
                let dip = p.t >= f1 && p.t.0 < f1.0 + dip_min * 60_000;
                Reading {
                    at: p.t,
                    dry_bulb_c: p.dry_bulb_c - if dip { 4.0 } else { 0.0 },
                    wet_bulb_c: p.wet_bulb_c,
                    dry_bulb_low_c: None,
                    dry_bulb_set_c: Some(p.dry_bulb_c),
                    wet_bulb_set_c: Some(p.wet_bulb_c),
                    step: Some(p.step as u32),
                    heat_pump: HeatPump::Heating,
                    heating_pct: 50,
                    fan: Fan::High,
                    fan_current_pct: 98,
                    vent_pct: 10,
                    vent_cmd_pct: 10,
                    mains_power: true,
                    door_open: false,
                }
            })
            .collect();
        let curing = Curing {
            id: CuringId(1),
            barn_id: BarnId(1),
            recipe: WireRecipe(recipe),
            position: LeafPosition::Middle,
            maturity: Maturity::Ripe,
            water: WaterContent::Normal,
            started_at: START,
            ambient_c: 25.0,
            current_step: advances.len() as u32 - 1,
            finished_at: Some(nominal.end()),
            advances,
            updated_at: nominal.end(),
        };
        (curing, readings)
    }

    #[test]
    fn a_cure_on_the_recipe_says_so() {
        let (c, rs) = cure(0);
        let a = analyse(&c, &rs, c.finished_at.unwrap(), 20.0).unwrap();
        assert!(a.finished);
        assert!(
            (a.total_h - a.nominal_total_h).abs() < 0.01,
            "{} vs {}",
            a.total_h,
            a.nominal_total_h
        );
        assert_eq!(a.dry_out_of_tolerance_min, 0.0);
        assert!(
            a.summary.zh.contains("温度一直跟住了推荐曲线"),
            "{}",
            a.summary.zh
        );
        // 50 % of 20 kW for ~158 h.
        assert!(
            (a.heating_kwh - 0.5 * 20.0 * a.total_h).abs() < 2.0,
            "{}",
            a.heating_kwh
        );
        for s in &a.steps {
            assert!((s.actual_h.unwrap() - s.nominal_h).abs() < 0.01, "{s:?}");
            assert!(s.min_h <= s.nominal_h && s.nominal_h <= s.max_h, "{s:?}");
        }
    }

    #[test]
    fn a_running_step_past_its_hold_is_judged_against_its_own_targets() {
        let (mut c, mut rs) = cure(0);
        let y1 = c.advances[1].at;
        // Still in Y1 ten hours after its nominal end, holding Y1's targets all along.
        let now = y1.add_hours(10.0);
        c.advances.truncate(1);
        c.current_step = 1;
        c.finished_at = None;
        rs.retain(|r| r.at < y1);
        let hold = rs.last().unwrap().clone();
        rs.extend((1..=600).map(|m| Reading {
            at: Timestamp(y1.0 + (m - 1) * 60_000),
            ..hold.clone()
        }));
        let a = analyse(&c, &rs, now, 20.0).unwrap();
        assert!(!a.finished);
        assert_eq!(a.dry_out_of_tolerance_min, 0.0, "{:?}", a.steps[1]);
        assert_eq!(a.steps[2].dry_worst_c, None, "no reading belongs to Y2 yet");
        assert!((a.steps[1].actual_h.unwrap() - a.steps[1].nominal_h - 10.0).abs() < 0.01);
    }

    #[test]
    fn a_two_hour_dip_in_colour_fixing_is_counted_and_named() {
        let (c, rs) = cure(120);
        let a = analyse(&c, &rs, c.finished_at.unwrap(), 20.0).unwrap();
        let f1 = a.steps.iter().find(|s| s.code == "F1").unwrap();
        assert!((f1.dry_out_of_tolerance_min - 120.0).abs() <= 1.0, "{f1:?}");
        assert!((f1.dry_worst_c.unwrap() + 4.0).abs() < 1e-6);
        assert!(
            a.summary.zh.contains("定色期F1有120分钟温度偏低超过2℃"),
            "{}",
            a.summary.zh
        );
        assert!(
            a.summary
                .en
                .contains("120 min with the dry bulb more than 2 °C low"),
            "{}",
            a.summary.en
        );
    }
}
