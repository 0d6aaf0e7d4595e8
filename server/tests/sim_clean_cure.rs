//! A clean simulated cure tracks its recipe: set points as the expected curve, dry bulb within
//! ±2 °C, wet bulb near its set point, leaves end dry and yellow, no alarm signatures.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use yannong_core::Timestamp;
use yannong_core::barn::api::Reading;
use yannong_core::curing::{ExpectedCurve, LeafPosition, Stage, builtin_recipe};
use yannong_server::sim::{BarnParams, LeafState, SimBarn};

const MINUTE: Duration = Duration::from_secs(60);
/// 2024-07-03 08:00 Beijing time.
const START: Timestamp = Timestamp(1_719_964_800_000);

struct Run {
    barn: SimBarn,
    readings: Vec<Reading>,
    hours: f64,
}

fn cure(recipe_id: &str, position: LeafPosition, seed: u64) -> Run {
    let recipe = builtin_recipe(recipe_id).unwrap();
    let mut barn = SimBarn::new(BarnParams::for_leaf(position), recipe, START, seed);
    let mut readings = Vec::new();
    for _ in 0..(260 * 60) {
        barn.advance(MINUTE);
        readings.push(barn.reading().unwrap());
        if barn.finished() {
            break;
        }
    }
    let hours = barn.now().hours_since(START);
    Run {
        barn,
        readings,
        hours,
    }
}

/// Longest run of consecutive one-minute readings (with set points) meeting `bad`.
fn longest(readings: &[Reading], bad: impl Fn(&Reading, f64, f64) -> bool) -> usize {
    let (mut best, mut cur) = (0, 0);
    for r in readings {
        let (Some(db), Some(wb)) = (r.dry_bulb_set_c, r.wet_bulb_set_c) else {
            continue;
        };
        cur = if bad(r, db, wb) { cur + 1 } else { 0 };
        best = best.max(cur);
    }
    best
}

fn share(readings: &[Reading], good: impl Fn(&Reading, f64, f64) -> bool) -> f64 {
    let with_sp: Vec<_> = readings
        .iter()
        .filter(|r| r.dry_bulb_set_c.is_some())
        .collect();
    let n = with_sp
        .iter()
        .filter(|r| good(r, r.dry_bulb_set_c.unwrap(), r.wet_bulb_set_c.unwrap()))
        .count();
    n as f64 / with_sp.len() as f64
}

fn check_clean(id: &str, position: LeafPosition, hours: std::ops::Range<f64>) {
    let run = cure(id, position, 7);
    let r = &run.readings;
    let recipe = builtin_recipe(id).unwrap();
    let db_ok = share(r, |x, db, _| (x.dry_bulb_c - db).abs() <= 2.0);
    let wb_ok = share(r, |x, _, wb| (x.wet_bulb_c - wb).abs() <= 1.5);
    let tier = r
        .iter()
        .filter_map(|x| Some((x.dry_bulb_c - x.dry_bulb_low_c?).abs()))
        .fold(0.0, f64::max);
    let leaf: LeafState = run.barn.leaf();
    eprintln!(
        "{id}: {:.1} h, DB within ±2 °C {:.1} %, WB within ±1.5 °C {:.1} %, max tier diff {tier:.1} °C, \
         leaf {:?} yellow {:.2} lamina water {:.2} stem water {:.2} scald {:.3} green {:.3}",
        run.hours,
        db_ok * 100.0,
        wb_ok * 100.0,
        leaf.milestone.zh,
        leaf.yellowing,
        leaf.lamina_water_fraction,
        leaf.stem_water_fraction,
        leaf.scald,
        leaf.green_fixed
    );
    for a in run.barn.advances() {
        eprintln!(
            "  step {} ended at {:.1} h: {}",
            a.step,
            a.at.hours_since(START),
            a.leaf_state.as_deref().unwrap_or("")
        );
    }
    assert!(
        run.barn.finished(),
        "{id} did not finish in {:.0} h",
        run.hours
    );
    assert!(hours.contains(&run.hours), "{id} took {:.1} h", run.hours);
    assert!(db_ok >= 0.95, "{id}: DB within ±2 °C only {db_ok:.3}");
    assert!(wb_ok >= 0.90, "{id}: WB within ±1.5 °C only {wb_ok:.3}");
    // No A01 (DB > sp + 2 for 20 min) or A02 (DB < sp − 2 for 30 min) signature.
    assert!(
        longest(r, |x, db, _| x.dry_bulb_c - db > 2.0) < 20,
        "{id}: A01 signature"
    );
    assert!(
        longest(r, |x, db, _| db - x.dry_bulb_c > 2.0) < 30,
        "{id}: A02 signature"
    );
    // No A06 (WB > sp + 1.5 for 60 min) and no A19 (tiers > 3 °C apart for 60 min).
    assert!(
        longest(r, |x, _, wb| x.wet_bulb_c - wb > 1.5) < 60,
        "{id}: A06 signature"
    );
    assert!(
        longest(r, |x, _, _| (x.dry_bulb_c - x.dry_bulb_low_c.unwrap())
            .abs()
            > 3.0)
            < 60,
        "{id}: A19 signature"
    );
    // No A04: at most 44 °C while yellowing.
    let yellowing_steps = recipe
        .steps
        .iter()
        .filter(|s| s.stage == Stage::Yellowing)
        .count() as u32;
    assert!(
        r.iter()
            .filter(|x| x.step.unwrap() < yellowing_steps)
            .all(|x| x.dry_bulb_c <= 44.0),
        "{id}: A04 signature"
    );
    // Every step ended, most of them on the leaf state rather than the maximum hold.
    let advances = run.barn.advances();
    assert_eq!(advances.len(), recipe.steps.len());
    let overrun = advances
        .iter()
        .filter(|a| a.leaf_state.as_deref().unwrap().starts_with("已到最长"))
        .count();
    assert!(
        overrun <= 1,
        "{id}: {overrun} steps ran to their maximum hold"
    );
    // Dry, yellow, undamaged leaf.
    assert_eq!(leaf.milestone.zh, "干筋");
    assert!(leaf.yellowing >= 0.95, "{id}: yellowing {}", leaf.yellowing);
    assert!(leaf.lamina_water_fraction <= 0.2 && leaf.stem_water_fraction <= 0.2);
    assert!(leaf.scald < 0.02, "{id}: scald {}", leaf.scald);
    assert!(leaf.green_fixed < 0.05, "{id}: green {}", leaf.green_fixed);
}

#[test]
fn middle_leaves_cure_cleanly() {
    check_clean("middle", LeafPosition::Middle, 130.0..200.0);
}

#[test]
fn lower_leaves_cure_cleanly_in_about_four_days() {
    check_clean("lower", LeafPosition::Lower, 85.0..130.0);
}

#[test]
fn upper_leaves_cure_cleanly() {
    check_clean("upper", LeafPosition::Upper, 140.0..215.0);
}

#[test]
fn yellowing_loses_a_fifth_to_a_third_of_the_water() {
    let recipe = builtin_recipe("middle").unwrap();
    let first_fixing = recipe.first_step_of(Stage::ColourFixing).unwrap();
    let mut barn = SimBarn::new(BarnParams::default(), recipe, START, 1);
    while barn.current_step() < first_fixing {
        barn.advance(MINUTE);
    }
    let leaf = barn.leaf();
    assert!(
        (0.2..=0.35).contains(&leaf.water_lost),
        "{}",
        leaf.water_lost
    );
    assert!(leaf.yellowing >= 0.88, "{}", leaf.yellowing);
}

#[test]
fn set_points_follow_the_expected_curve() {
    let run = cure("middle", LeafPosition::Middle, 3);
    let recipe = builtin_recipe("middle").unwrap();
    let advances: Vec<Timestamp> = run.barn.advances().iter().map(|a| a.at).collect();
    let curve = ExpectedCurve::new(&recipe, START, run.barn.ambient_start_c(), &advances).unwrap();
    let mut compared = 0;
    for r in &run.readings {
        let (Some(db), Some(wb)) = (r.dry_bulb_set_c, r.wet_bulb_set_c) else {
            continue;
        };
        let p = curve.setpoint_at(r.at).unwrap();
        assert!(
            (p.dry_bulb_c - db).abs() <= 0.06 && (p.wet_bulb_c - wb).abs() <= 0.06,
            "{r:?} vs {p:?}"
        );
        assert_eq!(r.step, Some(p.step as u32), "{r:?}");
        compared += 1;
    }
    assert!(compared > 6000);
}

#[test]
fn same_seed_same_readings_whatever_the_chunking() {
    let recipe = builtin_recipe("middle").unwrap();
    let mut a = SimBarn::new(BarnParams::default(), recipe.clone(), START, 42);
    let mut b = SimBarn::new(BarnParams::default(), recipe.clone(), START, 42);
    let mut c = SimBarn::new(BarnParams::default(), recipe, START, 43);
    let mut differs = false;
    for _ in 0..24 {
        for _ in 0..60 {
            a.advance(MINUTE);
        }
        b.advance(Duration::from_secs(3600));
        c.advance(Duration::from_secs(3600));
        assert_eq!(a.reading(), b.reading());
        differs |= a.reading() != c.reading();
    }
    assert!(differs, "another seed gives other sensor noise");
    assert_eq!(a.leaf(), b.leaf());
}

#[test]
fn a_barn_can_move_between_threads() {
    fn send<T: Send + std::fmt::Debug>() {}
    send::<SimBarn>();
}

#[test]
fn every_recommended_recipe_finishes_on_track() {
    use yannong_core::curing::{Maturity, WaterContent, recipe_for_leaf};
    for position in [
        LeafPosition::Lower,
        LeafPosition::Middle,
        LeafPosition::Upper,
    ] {
        for maturity in [
            Maturity::Unripe,
            Maturity::UnderRipe,
            Maturity::Ripe,
            Maturity::OverRipe,
        ] {
            for water in [WaterContent::Normal, WaterContent::High, WaterContent::Low] {
                let recipe = recipe_for_leaf(position, maturity, water).unwrap();
                let id = recipe.id.clone();
                let mut barn = SimBarn::new(BarnParams::for_leaf(position), recipe, START, 9);
                let mut readings = Vec::new();
                while !barn.finished() && barn.now().hours_since(START) < 300.0 {
                    barn.advance(MINUTE);
                    readings.push(barn.reading().unwrap());
                }
                let hours = barn.now().hours_since(START);
                let db_ok = share(&readings, |x, db, _| (x.dry_bulb_c - db).abs() <= 2.0);
                let overrun = barn
                    .advances()
                    .iter()
                    .filter(|a| a.leaf_state.as_deref().unwrap().starts_with("已到最长"))
                    .count();
                eprintln!(
                    "{id}: {hours:.1} h, DB within ±2 °C {:.1} %, {overrun} steps at max hold",
                    db_ok * 100.0
                );
                assert!(barn.finished() && hours < 230.0, "{id}: {hours:.1} h");
                assert!(db_ok >= 0.95, "{id}: {db_ok}");
                assert!(barn.leaf().yellowing >= 0.9, "{id}");
            }
        }
    }
}
