//! The technician's all-barns list, most urgent first, from the local store (works offline).
//!
//! Urgency is a sum of points per finding, after the alarm rules of the domain doc (§3):
//! critical findings 100 (power lost A09, fan stopped A10, dry bulb > 5 °C off its set point
//! A01/A02), major 30–60 (off by > 3 °C: 60, > 2 °C: 30; heat-pump fault A17; door open A16;
//! no data for 30/60 min A13), minor 10 (no data for 10 min). Each finding comes with its
//! reason, so the screen can say why a barn is on top ("为什么排在前面").

use super::BarnError;
use super::api::{Barn, Curing, Fan, HeatPump, Reading};
use super::local;
use crate::curing::ExpectedCurve;
use crate::store::Store;
use crate::{Text, Timestamp};

/// One barn's line on the overview.
#[derive(Debug, Clone, PartialEq)]
pub struct BarnStatus {
    pub barn: Barn,
    /// The running cure (or the last one), if any.
    pub curing: Option<Curing>,
    pub latest: Option<Reading>,
    /// Step code and stage of the running cure, e.g. "F1 定色期".
    pub step: Option<Text>,
    /// Dry bulb minus its set point at the latest reading, °C.
    pub deviation_c: Option<f64>,
    /// Minutes since the latest reading, by `now`.
    pub silent_min: Option<f64>,
    pub urgency: u32,
    pub reasons: Vec<Text>,
}

/// Every barn in the store with its urgency, most urgent first (ties by name).
pub fn overview(store: &Store, now: Timestamp) -> Result<Vec<BarnStatus>, BarnError> {
    let mut rows = store.read(|c| {
        local::barns(c)?
            .into_iter()
            .map(|barn| {
                let curing = local::curings(c, barn.id)?.pop();
                let latest = local::latest_reading(c, barn.id)?;
                Ok(assess(barn, curing, latest, now))
            })
            .collect::<Result<Vec<_>, BarnError>>()
    })?;
    rows.sort_by(|a, b| {
        b.urgency
            .cmp(&a.urgency)
            .then_with(|| a.barn.name.cmp(&b.barn.name))
    });
    Ok(rows)
}

/// The expected curve of a cure from its recipe and the real step advances; while the cure
/// runs, its current step is taken to last at least until `now`.
pub fn expected_curve(curing: &Curing, now: Timestamp) -> Option<ExpectedCurve> {
    let advances: Vec<Timestamp> = curing.advances.iter().map(|a| a.at).collect();
    let (recipe, start, ambient) = (&curing.recipe.0, curing.started_at, curing.ambient_c);
    match curing.finished_at {
        Some(_) => ExpectedCurve::new(recipe, start, ambient, &advances),
        None => ExpectedCurve::as_of(recipe, start, ambient, &advances, now),
    }
    .ok()
}

pub fn assess(
    barn: Barn,
    curing: Option<Curing>,
    latest: Option<Reading>,
    now: Timestamp,
) -> BarnStatus {
    let mut urgency = 0;
    let mut reasons = Vec::new();
    let mut add = |points: u32, zh: String, en: String| {
        urgency += points;
        reasons.push(Text::new(zh, en));
    };
    let running = curing.as_ref().filter(|c| c.finished_at.is_none());
    let step = running.and_then(|c| {
        let s = c.recipe.0.steps.get(c.current_step as usize)?;
        let stage = s.stage.name();
        Some(Text::new(
            format!("{} {}", s.code, stage.zh),
            format!("{} {}", s.code, stage.en),
        ))
    });
    let silent_min = latest.as_ref().map(|r| now.hours_since(r.at) * 60.0);
    let mut deviation_c = None;
    match (&latest, running) {
        (None, Some(_)) => add(
            20,
            "烘烤中但尚无数据".into(),
            "curing but no data yet".into(),
        ),
        (Some(r), Some(c)) => {
            let minutes = silent_min.unwrap_or(0.0);
            let points = if minutes > 60.0 {
                60
            } else if minutes > 30.0 {
                30
            } else if minutes > 10.0 {
                10
            } else {
                0
            };
            if points > 0 {
                add(
                    points,
                    format!("已 {minutes:.0} 分钟无数据"),
                    format!("no data for {minutes:.0} min"),
                );
            }
            if !r.mains_power {
                add(100, "停电".into(), "mains power lost".into());
            }
            // A10: off, or commanded on while drawing almost no current (motor stopped).
            if r.fan == Fan::Off || r.fan_current_pct < 20 {
                add(100, "循环风机停转".into(), "circulation fan stopped".into());
            }
            if r.heat_pump == HeatPump::Fault {
                add(30, "热泵故障".into(), "heat-pump fault".into());
            }
            if r.door_open {
                add(30, "烤房门未关".into(), "barn door open".into());
            }
            // The controller's own set point when it reports one, else the recipe's (§2.2).
            let set = r.dry_bulb_set_c.or_else(|| {
                expected_curve(c, now)
                    .and_then(|e| e.setpoint_at(r.at))
                    .map(|p| p.dry_bulb_c)
            });
            if let Some(set) = set {
                let d = r.dry_bulb_c - set;
                deviation_c = Some(d);
                let points = match d.abs() {
                    x if x > 5.0 => 100,
                    x if x > 3.0 => 60,
                    x if x > 2.0 => 30,
                    _ => 0,
                };
                if points > 0 {
                    let (zh, en) = if d > 0.0 {
                        ("偏高", "high")
                    } else {
                        ("偏低", "low")
                    };
                    add(
                        points,
                        format!("干球温度{zh} {:.1}℃", d.abs()),
                        format!("dry bulb {en} by {:.1} °C", d.abs()),
                    );
                }
            }
        }
        _ => {}
    }
    BarnStatus {
        barn,
        curing,
        latest,
        step,
        deviation_c,
        silent_min,
        urgency,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::barn::api::{BarnId, BarnKind, CuringId, UserId, WireRecipe};
    use crate::curing::{LeafPosition, Maturity, WaterContent, builtin_recipe};

    const NOW: Timestamp = Timestamp(1_790_000_000_000);

    fn barn(name: &str) -> Barn {
        Barn {
            id: BarnId(1),
            name: name.into(),
            village: "v".into(),
            owner: UserId(1),
            owner_name: "o".into(),
            technician: None,
            kind: BarnKind::HeatPump,
            capacity_kg: 4500,
            updated_at: NOW,
        }
    }

    fn curing() -> Curing {
        Curing {
            id: CuringId(1),
            barn_id: BarnId(1),
            recipe: WireRecipe(builtin_recipe("middle").unwrap()),
            position: LeafPosition::Middle,
            maturity: Maturity::Ripe,
            water: WaterContent::Normal,
            started_at: NOW.add_hours(-30.0),
            ambient_c: 25.0,
            current_step: 1,
            advances: vec![],
            finished_at: None,
            updated_at: NOW,
        }
    }

    fn reading(dry: f64) -> Reading {
        Reading {
            at: NOW.add_hours(-0.05),
            dry_bulb_c: dry,
            wet_bulb_c: 36.0,
            dry_bulb_low_c: None,
            dry_bulb_set_c: Some(38.0),
            wet_bulb_set_c: Some(36.0),
            step: Some(1),
            heat_pump: HeatPump::Heating,
            heating_pct: 30,
            fan: Fan::Low,
            fan_current_pct: 95,
            vent_pct: 0,
            vent_cmd_pct: 0,
            mains_power: true,
            door_open: false,
        }
    }

    #[test]
    fn a_healthy_barn_has_no_urgency() {
        let s = assess(barn("a"), Some(curing()), Some(reading(38.3)), NOW);
        assert_eq!((s.urgency, s.reasons.len()), (0, 0));
        assert_eq!(s.step.unwrap().zh, "Y1 变黄期");
    }

    #[test]
    fn findings_add_up_with_reasons() {
        let mut r = reading(34.0);
        r.mains_power = false;
        r.fan_current_pct = 0;
        let s = assess(barn("a"), Some(curing()), Some(r), NOW);
        assert_eq!(s.urgency, 100 + 100 + 60);
        assert!(s.reasons.iter().any(|t| t.zh == "停电"));
        assert!(s.reasons.iter().any(|t| t.zh.contains("偏低 4.0")));
        let mut stale = reading(38.0);
        stale.at = NOW.add_hours(-2.0);
        assert_eq!(
            assess(barn("b"), Some(curing()), Some(stale), NOW).urgency,
            60
        );
    }

    #[test]
    fn without_a_controller_set_point_the_recipe_decides() {
        let mut r = reading(45.0);
        r.dry_bulb_set_c = None;
        let s = assess(barn("a"), Some(curing()), Some(r), NOW);
        // 30 h into the middle recipe the nominal set point is ~38 °C.
        assert!(s.deviation_c.unwrap() > 5.0, "{:?}", s.deviation_c);
    }
}
