#![allow(clippy::unwrap_used)]

use yannong_core::barn::api::{BarnId, CuringId, Fan, HeatPump, WireRecipe};
use yannong_core::curing::{LeafPosition, Maturity, WaterContent, builtin_recipe};

use super::*;
use crate::alarm::rules::RulesError;

const START: Timestamp = Timestamp(1_790_000_000_000);

fn at_min(m: i64) -> Timestamp {
    Timestamp(START.0 + m * 60_000)
}

/// A middle cure running since START, now in step `step` (advanced every 10 h before it).
fn curing(step: u32) -> Curing {
    let recipe = builtin_recipe("middle").unwrap();
    Curing {
        id: CuringId(1),
        barn_id: BarnId(1),
        recipe: WireRecipe(recipe),
        position: LeafPosition::Middle,
        maturity: Maturity::Ripe,
        water: WaterContent::Normal,
        started_at: START,
        ambient_c: 25.0,
        current_step: step,
        advances: (0..step)
            .map(|i| yannong_core::barn::api::StepAdvance {
                step: i,
                at: START.add_hours(10.0 * f64::from(i + 1)),
                leaf_state: None,
            })
            .collect(),
        finished_at: None,
        updated_at: START,
    }
}

/// A healthy reading at minute `m` on set points 38/35.5 (Y1), heating half, fan on.
fn ok(m: i64) -> Reading {
    Reading {
        at: at_min(m),
        dry_bulb_c: 38.0 + 0.1 * ((m % 3) as f64 - 1.0),
        wet_bulb_c: 35.5,
        dry_bulb_low_c: None,
        dry_bulb_set_c: Some(38.0),
        wet_bulb_set_c: Some(35.5),
        step: Some(1),
        heat_pump: HeatPump::Heating,
        heating_pct: 50,
        fan: Fan::High,
        fan_current_pct: 95,
        vent_pct: 20,
        vent_cmd_pct: 20,
        mains_power: true,
        door_open: false,
    }
}

struct Run {
    set: RuleSet,
    barn: BarnAlarms,
    cure: Option<Cure>,
    log: Vec<(i64, Transition)>,
}

impl Run {
    fn new(step: u32) -> Run {
        Run {
            set: RuleSet::builtin(),
            barn: BarnAlarms::default(),
            cure: Cure::running(&curing(step), START.add_hours(10.0 * f64::from(step) + 1.0)),
            log: Vec::new(),
        }
    }

    /// Feeds minutes `from..to`, each reading shaped by `f`.
    fn feed(&mut self, from: i64, to: i64, f: impl Fn(&mut Reading)) {
        for m in from..to {
            let mut r = ok(m);
            f(&mut r);
            let out = self.barn.observe(&self.set, self.cure.as_ref(), &r);
            self.log.extend(out.into_iter().map(|t| (m, t)));
        }
    }

    fn tick(&mut self, m: i64) {
        let out = self.barn.tick(&self.set, self.cure.as_ref(), at_min(m));
        self.log.extend(out.into_iter().map(|t| (m, t)));
    }

    /// (minute, rule, severity, change) of everything that happened.
    fn events(&self) -> Vec<(i64, &str, Severity, &Change)> {
        self.log
            .iter()
            .map(|(m, t)| (*m, t.rule.as_str(), t.severity, &t.change))
            .collect()
    }
}

#[test]
fn the_shipped_rules_cover_every_reading_and_clock_rule() {
    let set = RuleSet::builtin();
    let ids: Vec<&str> = set.rules.iter().map(|r| r.id.as_str()).collect();
    let want: Vec<String> = (1..=20).map(|n| format!("A{n:02}")).collect();
    assert_eq!(ids, want);
    assert!(set.version >= 1);
}

#[test]
fn broken_rule_sets_are_refused() {
    let base: serde_json::Value = serde_json::from_str(BUILTIN_JSON).unwrap();
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = base.clone();
        f(&mut v);
        RuleSet::from_json(&v.to_string())
    };
    let err = |r: Result<RuleSet, RulesError>| r.unwrap_err().0;
    assert!(err(edit(&|v| v["rules"][1]["id"] = "A01".into())).contains("duplicate"));
    assert!(err(edit(&|v| v["rules"][0]["suppressed_by"][0] = "A99".into())).contains("A99"));
    assert!(
        err(edit(&|v| {
            v["rules"][0]["levels"][0]
                .as_object_mut()
                .unwrap()
                .remove("threshold");
        }))
        .contains("incomplete")
    );
    assert!(
        err(edit(
            &|v| v["rules"][0]["levels"][0]["kind"] = "made_up".into()
        ))
        .contains("made_up")
    );
    assert!(err(edit(&|v| v["rules"][0]["colour"] = "red".into())).contains("colour"));
    assert!(RuleSet::from_json("{").is_err());
}

const BUILTIN_JSON: &str = crate::alarm::rules::BUILTIN;

#[test]
fn a_healthy_barn_and_single_noisy_readings_raise_nothing() {
    let mut run = Run::new(1);
    run.feed(0, 120, |_| {});
    // One wild reading: a spike, not a sustained deviation or a broken sensor.
    run.feed(120, 121, |r| r.dry_bulb_c = 49.0);
    run.feed(121, 240, |_| {});
    assert_eq!(run.events(), []);
}

#[test]
fn dry_bulb_high_raises_then_escalates_and_clears_with_hysteresis() {
    let mut run = Run::new(1);
    run.feed(0, 10, |_| {});
    // The controller's set point moves under a steady dry bulb (a rise would be A03's).
    run.feed(10, 40, |r| r.dry_bulb_set_c = Some(35.5)); // +2.5 °C: major after 20 min
    run.feed(40, 52, |r| r.dry_bulb_set_c = Some(34.5)); // +3.5 °C: critical after 10 min
    run.feed(52, 80, |r| r.dry_bulb_set_c = Some(36.5)); // +1.5: above half the threshold
    run.feed(80, 100, |_| {}); // back on set: clears 10 min later
    assert_eq!(
        run.events(),
        [
            (30, "A01", Severity::Major, &Change::Raised),
            (
                50,
                "A01",
                Severity::Critical,
                &Change::Escalated {
                    from: Severity::Major
                }
            ),
            (90, "A01", Severity::Critical, &Change::Cleared),
        ]
    );
}

#[test]
fn power_loss_is_one_critical_alarm_not_a_cascade() {
    let mut run = Run::new(1);
    run.feed(0, 5, |_| {});
    run.feed(5, 90, |r| {
        r.mains_power = false;
        r.fan = Fan::Off;
        r.fan_current_pct = 0;
        r.heat_pump = HeatPump::Off;
        r.heating_pct = 0;
        r.dry_bulb_c = 38.0 - (r.at.0 - START.0) as f64 / 60_000.0 * 0.05; // cooling
        r.wet_bulb_c = r.dry_bulb_c - 2.5;
    });
    assert_eq!(
        run.events(),
        [(6, "A09", Severity::Critical, &Change::Raised)]
    );
}

#[test]
fn silence_is_judged_by_the_clock_and_clears_when_data_returns() {
    let mut run = Run::new(1);
    run.feed(0, 10, |_| {});
    for m in (10..60).step_by(5) {
        run.tick(m);
    }
    run.feed(60, 80, |_| {});
    assert_eq!(
        run.events(),
        [
            (20, "A13", Severity::Minor, &Change::Raised),
            (
                40,
                "A13",
                Severity::Major,
                &Change::Escalated {
                    from: Severity::Minor
                }
            ),
            (70, "A13", Severity::Major, &Change::Cleared),
        ]
    );
}

#[test]
fn a_broken_sensor_is_a_sensor_alarm_only() {
    let mut run = Run::new(3); // F1: a low reading would otherwise be critical A02
    run.feed(0, 10, |_| {});
    run.feed(10, 60, |r| r.dry_bulb_c = -40.0);
    let events = run.events();
    // The jump shows first (two samples), the impossible value after its two minutes.
    assert_eq!(events[0], (11, "A11", Severity::Major, &Change::Raised));
    assert_eq!(
        events[1],
        (
            12,
            "A11",
            Severity::Critical,
            &Change::Escalated {
                from: Severity::Major
            }
        )
    );
    assert!(events.iter().all(|e| e.1 == "A11"), "{events:?}");
}

#[test]
fn a_dry_wick_is_not_mistaken_for_humid_air() {
    let mut run = Run::new(3);
    let set = |r: &mut Reading| {
        r.dry_bulb_c += 7.0; // 45 °C with the sensor's noise
        r.dry_bulb_set_c = Some(45.0);
        r.wet_bulb_set_c = Some(37.0);
    };
    run.feed(0, 10, |r| {
        set(r);
        r.wet_bulb_c = 37.0;
    });
    run.feed(10, 100, |r| {
        set(r);
        r.wet_bulb_c = 44.7;
        r.vent_pct = 60;
        r.vent_cmd_pct = 60;
    });
    assert_eq!(
        run.events(),
        [(70, "A12", Severity::Major, &Change::Raised)]
    );
}

#[test]
fn late_readings_change_nothing() {
    let mut run = Run::new(1);
    run.feed(0, 30, |_| {});
    let mut late = ok(5);
    late.dry_bulb_c = 90.0;
    assert!(
        run.barn
            .observe(&run.set, run.cure.as_ref(), &late)
            .is_empty()
    );
    assert!(run.barn.active(&run.set).is_empty());
}

#[test]
fn a_stuck_vent_and_an_open_door_raise_their_own_alarms() {
    let mut run = Run::new(1);
    run.feed(0, 10, |_| {});
    run.feed(10, 20, |r| r.vent_cmd_pct = 80);
    run.feed(20, 40, |_| {});
    run.feed(40, 60, |r| r.door_open = true);
    let events = run.events();
    assert_eq!(events[0], (15, "A18", Severity::Major, &Change::Raised));
    assert!(
        events.contains(&(45, "A16", Severity::Major, &Change::Raised)),
        "{events:?}"
    );
    assert!(
        events.contains(&(
            55,
            "A16",
            Severity::Critical,
            &Change::Escalated {
                from: Severity::Major
            }
        )),
        "{events:?}"
    );
}

#[test]
fn a_recipe_ramp_is_not_heating_too_fast_but_outrunning_it_is() {
    // The set point ramps at 2.4 °C/h (a fast first ramp) and the dry bulb follows it.
    let mut run = Run::new(0);
    let ramp = |m: i64| 30.0 + 2.4 * m as f64 / 60.0;
    run.feed(0, 120, |r| {
        let m = (r.at.0 - START.0) / 60_000;
        r.dry_bulb_set_c = Some(ramp(m));
        r.dry_bulb_c += ramp(m) - 38.0;
        r.wet_bulb_c = r.dry_bulb_c - 1.5;
        r.wet_bulb_set_c = Some(ramp(m) - 1.5);
    });
    assert_eq!(run.events(), []);
    // Holding at 38 °C by plan while the dry bulb climbs 3 °C/h: heating too fast (A03),
    // then over the set point (A01) once it is 2 °C high for 20 min.
    let mut run = Run::new(1);
    run.feed(0, 90, |r| {
        let m = (r.at.0 - START.0) / 60_000;
        r.dry_bulb_c += 3.0 * m as f64 / 60.0;
    });
    let raised: Vec<&str> = run
        .events()
        .iter()
        .filter(|e| *e.3 == Change::Raised)
        .map(|e| e.1)
        .collect();
    assert_eq!(raised.first(), Some(&"A03"), "{:?}", run.events());
    assert!(raised.contains(&"A01"), "{:?}", run.events());
}
