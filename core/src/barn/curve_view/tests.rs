#![allow(clippy::unwrap_used)]

use super::*;
use crate::barn::api::{
    Barn, BarnKind, ChangesPage, CuringId, Fan, HeatPump, StepAdvance, UserId, WireRecipe,
};
use crate::cancel::Cancel;
use crate::curing::{LeafPosition, Maturity, WaterContent, builtin_recipe};

const START: Timestamp = Timestamp(1_790_000_000_000);
const BARN: BarnId = BarnId(7);
const MIN: i64 = 60_000;

fn reading(at: Timestamp, dry: f64, wet: f64) -> Reading {
    Reading {
        at,
        dry_bulb_c: dry,
        wet_bulb_c: wet,
        dry_bulb_low_c: None,
        dry_bulb_set_c: None,
        wet_bulb_set_c: None,
        step: None,
        heat_pump: HeatPump::Heating,
        heating_pct: 50,
        fan: Fan::High,
        fan_current_pct: 98,
        vent_pct: 10,
        vent_cmd_pct: 10,
        mains_power: true,
        door_open: false,
    }
}

/// A finished middle cure on its nominal curve, one reading a minute (~9 500), passed through
/// `edit` to add excursions.
fn finished_cure(edit: impl Fn(Timestamp, &mut Reading)) -> (Curing, Vec<Reading>) {
    let recipe = builtin_recipe("middle").unwrap();
    let nominal = ExpectedCurve::new(&recipe, START, 25.0, &[]).unwrap();
    let advances = nominal
        .steps
        .iter()
        .map(|w| StepAdvance {
            step: w.index as u32,
            at: w.end,
            leaf_state: None,
        })
        .collect::<Vec<_>>();
    let readings = nominal
        .sample(MIN, &Cancel::new(false))
        .unwrap()
        .iter()
        .map(|p| {
            let mut r = reading(p.t, p.dry_bulb_c, p.wet_bulb_c);
            edit(p.t, &mut r);
            r
        })
        .collect();
    let curing = Curing {
        id: CuringId(3),
        barn_id: BARN,
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

fn store_with(curing: Option<&Curing>, readings: &[Reading]) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in_dir(dir.path()).unwrap();
    let page = ChangesPage {
        cursor: "c".into(),
        more: false,
        reset: false,
        server_time: START,
        barns: vec![Barn {
            id: BARN,
            name: "7号烤房".into(),
            village: "石桥村".into(),
            owner: UserId(1),
            owner_name: "李".into(),
            technician: None,
            kind: BarnKind::HeatPump,
            capacity_kg: 4000,
            updated_at: START,
        }],
        curings: curing.into_iter().cloned().collect(),
        readings: Vec::new(),
        images: Vec::new(),
    };
    store
        .write(|tx| local::apply(tx, &page, &[(BARN, readings.to_vec())], START))
        .unwrap();
    (dir, store)
}

fn minutes(a: Timestamp, b: Timestamp) -> i64 {
    (b.0 - a.0) / MIN
}

#[test]
fn a_barn_without_a_cure_has_no_chart() {
    let (_d, store) = store_with(None, &[]);
    assert_eq!(curve_view(&store, BARN, 500, START).unwrap(), None);
    assert_eq!(curve_view(&store, BarnId(99), 500, START).unwrap(), None);
}

#[test]
fn chart_is_downsampled_and_every_excursion_is_marked() {
    // A 20-minute dry-bulb spike (+4 °C) in F1, and a 30-minute wet-bulb dip (−3 °C) in Y2
    // that the dry-bulb series cannot see.
    let nominal = ExpectedCurve::new(&builtin_recipe("middle").unwrap(), START, 25.0, &[]).unwrap();
    let starts = |code: &str| {
        nominal
            .steps
            .iter()
            .find(|w| w.code == code)
            .unwrap()
            .ramp_end
    };
    let spike = starts("F1").add_hours(2.0);
    let dip = starts("Y2").add_hours(1.0);
    let (curing, readings) = finished_cure(|t, r| {
        if t >= spike && t.0 < spike.0 + 20 * MIN {
            r.dry_bulb_c += 4.0;
        }
        if t >= dip && t.0 < dip.0 + 30 * MIN {
            r.wet_bulb_c -= 3.0;
        }
    });
    let (_d, store) = store_with(Some(&curing), &readings);
    let now = curing.finished_at.unwrap().add_hours(24.0);
    let view = curve_view(&store, BARN, 500, now).unwrap().unwrap();

    assert_eq!(view.readings, readings.len());
    assert!(view.readings > 9_000);
    assert!(
        view.measured.len() <= 500 && view.measured.len() >= 400,
        "{}",
        view.measured.len()
    );
    assert!(view.measured.windows(2).all(|w| w[0].at < w[1].at));
    assert_eq!(view.measured.first().unwrap().at, readings[0].at);
    assert_eq!(
        view.measured.last().unwrap().at,
        readings.last().unwrap().at
    );
    // Both features survive downsampling: the wet dip only through the wet-bulb half.
    assert!(view.measured.iter().any(|p| p.dry_delta_c.unwrap() > 3.9));
    assert!(view.measured.iter().any(|p| p.wet_delta_c.unwrap() < -2.9));

    assert_eq!(view.excursions.len(), 2, "{:?}", view.excursions);
    let (wet, dry) = (view.excursions[0], view.excursions[1]);
    assert_eq!((wet.from, minutes(wet.from, wet.to)), (dip, 29));
    assert!((wet.worst_wet_c + 3.0).abs() < 1e-9 && wet.worst_dry_c.abs() < 1e-9);
    assert_eq!((dry.from, minutes(dry.from, dry.to)), (spike, 19));
    assert!((dry.worst_dry_c - 4.0).abs() < 1e-9);
    let code = |s: usize| curing.recipe.0.steps[s].code.as_str();
    assert_eq!((code(wet.step), code(dry.step)), ("Y2", "F1"));
}

#[test]
fn point_requests_are_clamped() {
    let (curing, readings) = finished_cure(|_, _| {});
    let (_d, store) = store_with(Some(&curing), &readings);
    let tiny = curve_view(&store, BARN, 0, START).unwrap().unwrap();
    assert!(tiny.measured.len() <= MIN_POINTS && tiny.measured.len() >= 2);
    let huge = curve_view(&store, BARN, usize::MAX, START)
        .unwrap()
        .unwrap();
    assert!(huge.measured.len() <= MAX_POINTS);
    assert!(huge.excursions.is_empty());
}

#[test]
fn a_short_series_is_shown_whole() {
    let (curing, readings) = finished_cure(|_, _| {});
    let (_d, store) = store_with(Some(&curing), &readings[..100]);
    let view = curve_view(&store, BARN, 500, START).unwrap().unwrap();
    assert_eq!(view.measured.len(), 100);
    assert!(view.measured.iter().all(|p| p.within_tolerance));
}

#[test]
fn a_running_step_past_its_hold_is_on_its_own_curve() {
    let (mut curing, readings) = finished_cure(|_, _| {});
    // Still in Y1 for eight hours past its nominal end, holding its targets.
    let y1_end = curing.advances[1].at;
    curing.advances.truncate(1);
    curing.current_step = 1;
    curing.finished_at = None;
    let mut rs: Vec<Reading> = readings.into_iter().filter(|r| r.at < y1_end).collect();
    let hold = rs.last().unwrap().clone();
    rs.extend((0..480).map(|m| Reading {
        at: Timestamp(y1_end.0 + m * MIN),
        ..hold.clone()
    }));
    let now = Timestamp(y1_end.0 + 480 * MIN);
    let (_d, store) = store_with(Some(&curing), &rs);
    let view = curve_view(&store, BARN, 500, now).unwrap().unwrap();
    assert!(view.excursions.is_empty(), "{:?}", view.excursions);
    assert_eq!(view.measured.last().unwrap().step, Some(1));
    assert!(view.expected.steps[1].end >= now);
}
