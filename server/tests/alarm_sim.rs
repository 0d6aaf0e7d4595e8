//! The alarm rules against the physical barn simulator: a clean cure of every recipe raises
//! nothing but the info events a normal cure's record calls for, and each injected fault
//! raises exactly its own alarm within its rule's time.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use yannong_core::Timestamp;
use yannong_core::barn::api::{BarnId, Curing, CuringId, Severity};
use yannong_core::curing::{LeafPosition, Maturity, WaterContent, builtin_recipe};
use yannong_server::alarm::{BarnAlarms, Change, Cure, RuleSet, Transition, cure_events};
use yannong_server::sim::{BarnParams, Fault, SimBarn};

const MINUTE: Duration = Duration::from_secs(60);
const START: Timestamp = Timestamp(1_719_964_800_000);

struct Watched {
    sim: SimBarn,
    recipe: yannong_core::curing::Recipe,
    position: LeafPosition,
    alarms: BarnAlarms,
    rules: RuleSet,
    /// Minutes since START and what happened.
    log: Vec<(i64, Transition)>,
}

impl Watched {
    fn new(recipe: &str, position: LeafPosition, seed: u64) -> Watched {
        let recipe = builtin_recipe(recipe).unwrap();
        Watched {
            sim: SimBarn::new(BarnParams::for_leaf(position), recipe.clone(), START, seed),
            recipe,
            position,
            alarms: BarnAlarms::default(),
            rules: RuleSet::builtin(),
            log: Vec::new(),
        }
    }

    /// The cure as the platform records it from the simulated operator's advances.
    fn curing(&self) -> Curing {
        Curing {
            id: CuringId(1),
            barn_id: BarnId(1),
            recipe: yannong_core::barn::api::WireRecipe(self.recipe.clone()),
            position: self.position,
            maturity: Maturity::Ripe,
            water: WaterContent::Normal,
            started_at: self.sim.start(),
            ambient_c: (self.sim.ambient_start_c() * 10.0).round() / 10.0,
            current_step: self.sim.current_step() as u32,
            advances: self.sim.advances().to_vec(),
            finished_at: (self.sim.advances().last())
                .filter(|_| self.sim.finished())
                .map(|a| a.at),
            updated_at: self.sim.now(),
        }
    }

    /// One simulated minute: a reading when the controller reports, the clock otherwise.
    fn minute(&mut self) {
        self.sim.advance(MINUTE);
        let now = self.sim.now();
        let cure = Cure::running(&self.curing(), now);
        let out = match self.sim.reading() {
            Some(r) => self.alarms.observe(&self.rules, cure.as_ref(), &r),
            None => self.alarms.tick(&self.rules, cure.as_ref(), now),
        };
        let m = (now.0 - START.0) / 60_000;
        self.log.extend(out.into_iter().map(|t| (m, t)));
    }

    fn run_until_step(&mut self, step: usize, then_h: f64) {
        while self.sim.current_step() < step {
            self.minute();
        }
        for _ in 0..(then_h * 60.0) as usize {
            self.minute();
        }
    }

    fn raised(&self) -> Vec<(i64, &str, Severity)> {
        self.log
            .iter()
            .filter(|(_, t)| t.change == Change::Raised)
            .map(|(m, t)| (*m, t.rule.as_str(), t.severity))
            .collect()
    }
}

#[test]
fn clean_cures_of_every_recipe_raise_no_alarm() {
    for (i, (recipe, position)) in [
        ("lower", LeafPosition::Lower),
        ("middle", LeafPosition::Middle),
        ("upper", LeafPosition::Upper),
    ]
    .into_iter()
    .enumerate()
    {
        let mut w = Watched::new(recipe, position, 20 + i as u64);
        while !w.sim.finished() {
            w.minute();
        }
        assert!(w.log.is_empty(), "{recipe}: {:?}", w.raised());
        // The cure record's own events are info, logged without a push: the A20 "cool,
        // 回潮 and unload" when the operator confirms 干筋, and A15 only for a step ended
        // without a leaf-state note (the simulated operator always writes one, so none).
        let curing = w.curing();
        let events = cure_events(&w.rules, std::slice::from_ref(&curing));
        let (last, ended) = curing.advances.split_last().unwrap();
        let unconfirmed: Vec<_> = ended.iter().filter(|a| a.leaf_state.is_none()).collect();
        let a15 = events.iter().filter(|o| o.rule == "A15").count();
        assert_eq!(a15, unconfirmed.len(), "{recipe}: {events:?}");
        let a20: Vec<_> = events.iter().filter(|o| o.rule == "A20").collect();
        assert_eq!(a20.len(), 1, "{recipe}: {events:?}");
        assert_eq!(
            (a20[0].severity, a20[0].raised_at),
            (Severity::Info, last.at)
        );
        assert_eq!(events.len(), 1 + unconfirmed.len(), "{recipe}: {events:?}");
        assert!(events.iter().all(|o| o.severity == Severity::Info));
    }
}

/// Injects `fault` `hours` into step `step` of a middle cure and runs three more hours: the
/// only alarm raised is `rule`, within `within_min` of the injection.
#[track_caller]
fn fault_raises(fault: Fault, step: usize, hours: f64, rule: &str, within_min: i64) {
    fault_raises_with_seed(fault, step, hours, rule, within_min, 11);
}

#[track_caller]
fn fault_raises_with_seed(
    fault: Fault,
    step: usize,
    hours: f64,
    rule: &str,
    within_min: i64,
    seed: u64,
) {
    let mut w = Watched::new("middle", LeafPosition::Middle, seed);
    w.run_until_step(step, hours);
    assert!(
        w.log.is_empty(),
        "alarms before the fault: {:?}",
        w.raised()
    );
    let injected = (w.sim.now().0 - START.0) / 60_000;
    w.sim.inject(fault);
    for _ in 0..180 {
        w.minute();
    }
    let raised = w.raised();
    let first = raised
        .first()
        .unwrap_or_else(|| panic!("{fault:?}: no alarm"));
    assert_eq!(first.1, rule, "{fault:?}: {raised:?}");
    assert!(
        first.0 - injected <= within_min,
        "{fault:?}: {rule} after {} min, rule allows {within_min}",
        first.0 - injected
    );
    assert!(
        raised.iter().all(|r| r.1 == rule),
        "{fault:?} raised others too: {raised:?}"
    );
}

const Y1: usize = 1;
const F1: usize = 3;

#[test]
fn power_loss_raises_a09() {
    fault_raises(Fault::PowerLoss, F1, 2.0, "A09", 2);
}

#[test]
fn fan_stop_raises_a10() {
    fault_raises(Fault::FanStop, Y1, 5.0, "A10", 3);
}

#[test]
fn heat_pump_fault_raises_a17() {
    fault_raises(Fault::HeatPumpFault, F1, 2.0, "A17", 2);
}

#[test]
fn broken_sensors_raise_a11() {
    fault_raises(Fault::SensorOpen, Y1, 5.0, "A11", 3);
    fault_raises(Fault::SensorShort, F1, 2.0, "A11", 3);
}

#[test]
fn a_frozen_sensor_raises_a11_after_an_hour_of_identical_samples() {
    let mut w = Watched::new("middle", LeafPosition::Middle, 11);
    w.run_until_step(Y1, 5.0);
    let at = w.sim.reading().unwrap().dry_bulb_c;
    drop(w);
    fault_raises(Fault::SensorStuck { at_c: at }, Y1, 5.0, "A11", 61);
}

#[test]
fn a_dry_wick_raises_a12_whatever_the_noise() {
    // The wick takes about 1½ h to dry out in the model before the rule's hour starts. A
    // drying wick's depression wavers around A12's 0.5 °C; with most seeds an unbroken hour
    // below it never came (found by the soak test), so A12 judges the 30-minute mean.
    for seed in [1, 3, 7, 11] {
        fault_raises_with_seed(Fault::DryWick, F1, 2.0, "A12", 180, seed);
    }
}

#[test]
fn a_stuck_vent_raises_a18() {
    fault_raises(Fault::VentStuck { at_pct: 100 }, Y1, 5.0, "A18", 6);
}

#[test]
fn an_open_door_raises_a16() {
    fault_raises(Fault::DoorOpen, Y1, 5.0, "A16", 6);
}

#[test]
fn a_silent_controller_raises_a13() {
    fault_raises(Fault::ControllerSilent, Y1, 5.0, "A13", 11);
}
