//! Each injected fault shows the physical signature its alarm rule (curing-domain.md §3) looks
//! for within a bounded simulated time, and the barn recovers when the fault clears.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use yannong_core::Timestamp;
use yannong_core::barn::api::{Fan, HeatPump, Reading};
use yannong_core::curing::builtin_recipe;
use yannong_server::sim::{BarnParams, Fault, FaultKind, SimBarn};

const MINUTE: Duration = Duration::from_secs(60);
const START: Timestamp = Timestamp(1_719_964_800_000);
/// Middle recipe step indices.
const Y1: usize = 1;
const F1: usize = 3;
const F2: usize = 4;

/// A clean middle-leaf barn run until `hours` into step `step`.
fn barn_in(step: usize, hours: u64) -> SimBarn {
    let mut b = SimBarn::new(
        BarnParams::default(),
        builtin_recipe("middle").unwrap(),
        START,
        11,
    );
    while b.current_step() < step {
        b.advance(MINUTE);
    }
    b.advance(Duration::from_secs(hours * 3600));
    b
}

/// Minutes (one reading a minute) until `signature` holds, at most `limit`.
fn minutes_until(b: &mut SimBarn, limit: u32, signature: impl Fn(&Reading) -> bool) -> Option<u32> {
    for m in 1..=limit {
        b.advance(MINUTE);
        if b.reading().is_some_and(|r| signature(&r)) {
            return Some(m);
        }
    }
    None
}

fn sp(r: &Reading) -> f64 {
    r.dry_bulb_set_c.unwrap()
}

#[test]
fn power_loss_in_fixing_drops_the_dry_bulb_and_recovers() {
    let mut b = barn_in(F1, 4);
    b.inject(Fault::PowerLoss);
    let r = {
        b.advance(MINUTE);
        b.reading().unwrap()
    };
    assert!(
        !r.mains_power
            && r.heat_pump == HeatPump::Off
            && r.fan == Fan::Off
            && r.fan_current_pct == 0
    );
    assert_eq!(r.heating_pct, 0);
    let t = minutes_until(&mut b, 60, |r| r.dry_bulb_c <= sp(r) - 3.0);
    eprintln!("power loss in F1: DB 3 °C below set point after {t:?} min");
    assert!(t.is_some_and(|t| t >= 5));
    b.clear(FaultKind::PowerLoss);
    let t = minutes_until(&mut b, 240, |r| {
        r.mains_power && (r.dry_bulb_c - sp(r)).abs() < 1.0
    });
    eprintln!("power back: DB within 1 °C after {t:?} min");
    assert!(t.is_some());
}

#[test]
fn fan_stop_cuts_the_current_and_splits_the_tiers() {
    let mut b = barn_in(F1, 4);
    let before = b.reading().unwrap();
    let split = |r: &Reading| r.dry_bulb_c - r.dry_bulb_low_c.unwrap();
    b.inject(Fault::FanStop);
    b.advance(MINUTE);
    let r = b.reading().unwrap();
    assert_eq!(r.fan_current_pct, 0);
    assert_eq!(r.fan, Fan::High, "the controller still commands the fan");
    assert!(r.mains_power);
    let grow = split(&before) + 2.0;
    let t = minutes_until(&mut b, 60, |r| split(r) > grow && r.fan_current_pct == 0);
    eprintln!(
        "fan stop: tier difference {:.1} → > {grow:.1} °C after {t:?} min",
        split(&before)
    );
    assert!(t.is_some());
    b.advance(Duration::from_secs(3600));
    let r = b.reading().unwrap();
    eprintln!(
        "fan stop, 2 h: tiers {:.1}/{:.1} °C",
        r.dry_bulb_c,
        r.dry_bulb_low_c.unwrap()
    );
    b.clear(FaultKind::FanStop);
    let t = minutes_until(&mut b, 90, |r| {
        r.fan_current_pct > 80 && split(r).abs() < 3.0
    });
    eprintln!("fan back: tiers within 3 °C after {t:?} min");
    assert!(t.is_some());
}

#[test]
fn stuck_sensor_freezes_the_reading_while_the_barn_drifts() {
    let mut b = barn_in(F1, 4);
    let at = b.reading().unwrap().dry_bulb_c - 4.0;
    b.inject(Fault::SensorStuck { at_c: at });
    let mut frozen = 0;
    for _ in 0..90 {
        b.advance(MINUTE);
        let r = b.reading().unwrap();
        assert_eq!(r.dry_bulb_c, (at * 10.0).round() / 10.0);
        frozen += 1;
    }
    assert!(frozen >= 60, "A11: ≥ 60 identical samples");
    // The controller believes the barn is cold and heats: the real air runs above set point.
    let (air, _) = b.air_truth();
    let r = b.reading().unwrap();
    eprintln!(
        "stuck sensor: real mean air {air:.1} °C vs set point {:.1}",
        sp(&r)
    );
    assert!(r.heating_pct >= 90);
    assert!(air > sp(&r) + 1.0);
    b.clear(FaultKind::SensorStuck);
    let t = minutes_until(&mut b, 240, |r| (r.dry_bulb_c - sp(r)).abs() < 1.5);
    assert!(t.is_some());
}

#[test]
fn open_and_short_sensors_read_at_the_rails_and_stop_heating() {
    for (fault, rail) in [(Fault::SensorOpen, -40.0), (Fault::SensorShort, 120.0)] {
        let mut b = barn_in(F1, 4);
        b.inject(fault);
        b.advance(Duration::from_secs(10 * 60));
        let r = b.reading().unwrap();
        assert_eq!(r.dry_bulb_c, rail);
        assert_eq!(r.heating_pct, 0, "{fault:?}: safe state");
        b.clear(fault.kind());
        b.advance(MINUTE);
        let r = b.reading().unwrap();
        assert!((r.dry_bulb_c - sp(&r)).abs() < 5.0, "{r:?}");
    }
}

#[test]
fn dry_wick_reads_saturated_and_over_vents() {
    let mut b = barn_in(F1, 6);
    let dry_air = b.air_truth().1;
    b.inject(Fault::DryWick);
    let t = minutes_until(&mut b, 60, |r| r.dry_bulb_c - r.wet_bulb_c < 0.5);
    eprintln!("dry wick: ΔT < 0.5 after {t:?} min");
    assert!(t.is_some());
    let t = minutes_until(&mut b, 60, |r| r.vent_cmd_pct >= 90);
    assert!(
        t.is_some(),
        "the controller opens the vents on the false humidity"
    );
    b.advance(Duration::from_secs(3600));
    assert!(
        b.air_truth().1 < dry_air * 0.85,
        "real humidity falls: over-venting"
    );
    b.clear(FaultKind::DryWick);
    let t = minutes_until(&mut b, 30, |r| r.dry_bulb_c - r.wet_bulb_c > 3.0);
    assert!(t.is_some());
}

#[test]
fn heat_pump_fault_in_fixing_lets_the_dry_bulb_fall() {
    let mut b = barn_in(F1, 4);
    b.inject(Fault::HeatPumpFault);
    b.advance(MINUTE);
    assert_eq!(b.reading().unwrap().heat_pump, HeatPump::Fault);
    let t = minutes_until(&mut b, 120, |r| {
        r.dry_bulb_c < sp(r) - 2.0 && r.heating_pct == 100
    });
    eprintln!("heat pump fault in F1: DB 2 °C below set point with demand 100 % after {t:?} min");
    assert!(t.is_some());
    b.clear(FaultKind::HeatPumpFault);
    let t = minutes_until(&mut b, 240, |r| {
        r.heat_pump == HeatPump::Heating && (r.dry_bulb_c - sp(r)).abs() < 1.0
    });
    assert!(t.is_some());
}

#[test]
fn stuck_vent_differs_from_its_command_and_humidity_builds() {
    let mut b = barn_in(F2, 2);
    b.inject(Fault::VentStuck { at_pct: 0 });
    let t = minutes_until(&mut b, 10, |r| r.vent_pct == 0 && r.vent_cmd_pct >= 20);
    assert!(t.is_some(), "A18: position ≠ command");
    let t = minutes_until(&mut b, 180, |r| {
        r.wet_bulb_c > r.wet_bulb_set_c.unwrap() + 1.5
    });
    eprintln!("vent stuck shut in F2: WB 1.5 °C over set point after {t:?} min");
    assert!(t.is_some());
    b.clear(FaultKind::VentStuck);
    let t = minutes_until(&mut b, 180, |r| {
        r.wet_bulb_c < r.wet_bulb_set_c.unwrap() + 0.5
    });
    assert!(t.is_some());
}

#[test]
fn open_door_in_yellowing_dries_the_air() {
    let mut b = barn_in(Y1, 8);
    let before = b.reading().unwrap();
    b.inject(Fault::DoorOpen);
    b.advance(MINUTE);
    assert!(b.reading().unwrap().door_open);
    let t = minutes_until(&mut b, 30, |r| r.wet_bulb_c < before.wet_bulb_c - 1.0);
    eprintln!("door open in Y1: WB down 1 °C after {t:?} min");
    assert!(t.is_some());
    b.clear(FaultKind::DoorOpen);
    let t = minutes_until(&mut b, 240, |r| {
        !r.door_open && (r.wet_bulb_c - r.wet_bulb_set_c.unwrap()).abs() < 0.5
    });
    assert!(t.is_some());
}

#[test]
fn silent_controller_reports_nothing_but_the_barn_cures_on() {
    let mut b = barn_in(Y1, 2);
    let leaf = b.leaf();
    b.inject(Fault::ControllerSilent);
    b.advance(Duration::from_secs(3 * 3600));
    assert!(b.reading().is_none());
    assert!(b.leaf().yellowing > leaf.yellowing);
    b.clear(FaultKind::ControllerSilent);
    assert!(b.reading().is_some());
}

#[test]
fn heating_turgid_leaves_in_shut_humid_air_scalds_them() {
    // A sensor stuck low in yellowing makes the controller heat flat out; with the vent jammed
    // shut the air stays humid and the turgid leaves steam (蒸片/烫片).
    let mut b = barn_in(Y1, 4);
    assert!(b.leaf().scald < 1e-6);
    b.inject(Fault::SensorStuck { at_c: 30.0 });
    b.inject(Fault::VentStuck { at_pct: 0 });
    b.advance(Duration::from_secs(6 * 3600));
    let leaf = b.leaf();
    let (air, _) = b.air_truth();
    eprintln!(
        "sensor stuck at 30 °C and vent shut in Y1 for 6 h: air {air:.1} °C, leaf {:.1} °C, scald {:.3}",
        leaf.temperature_c, leaf.scald
    );
    assert!(leaf.scald > 0.05);
}

#[test]
fn faults_replace_and_clear_by_kind() {
    let mut b = barn_in(0, 0);
    b.inject(Fault::VentStuck { at_pct: 10 });
    b.inject(Fault::VentStuck { at_pct: 60 });
    b.inject(Fault::DoorOpen);
    assert_eq!(
        b.faults(),
        vec![Fault::VentStuck { at_pct: 60 }, Fault::DoorOpen]
    );
    b.clear(FaultKind::VentStuck);
    assert_eq!(b.faults(), vec![Fault::DoorOpen]);
    b.clear(FaultKind::DoorOpen);
    assert!(b.faults().is_empty());
}
