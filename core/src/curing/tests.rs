//! Tests of the curing module: built-ins and adjustments, the exchange format and its validation,
//! the expected curve, deviations and the recipe book. Numbers come from the shipped data
//! (`data/*.json`) and the domain doc §2; property tests live in `core/tests/curing_props.rs`.

use std::sync::Arc;

use serde_json::{Value, json};
use tempfile::TempDir;

use super::json::{FORMAT_VERSION, MAX_HOLD_H, MAX_JSON_BYTES};
use super::*;
use crate::cancel::Cancel;
use crate::store::{Store, StoreError};
use crate::{Text, Timestamp};

// ---------------------------------------------------------------------------------------------
// Helpers

const H_MS: i64 = 3_600_000;

fn t0() -> Timestamp {
    Timestamp::from_secs(1_750_000_000)
}

fn at_h(h: f64) -> Timestamp {
    t0().add_hours(h)
}

fn middle() -> Recipe {
    builtin_recipe("middle").unwrap()
}

fn middle_curve(advances: &[Timestamp]) -> ExpectedCurve {
    ExpectedCurve::new(&middle(), t0(), 25.0, advances).unwrap()
}

#[track_caller]
fn approx(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "expected {expected}, got {actual}"
    );
}

/// The middle recipe in the exchange format, under a non-built-in id, as a JSON value to break.
fn base_json() -> Value {
    let mut v: Value = serde_json::from_str(&middle().to_json()).unwrap();
    v["id"] = json!("test");
    v
}

fn parse(v: &Value) -> Result<Recipe, RecipeError> {
    Recipe::from_json(&v.to_string())
}

#[track_caller]
fn assert_step_err(v: &Value, want_index: usize, want_field: &str) -> RecipeError {
    match parse(v) {
        Err(e @ RecipeError::Step { index, field, .. }) => {
            assert_eq!(
                (index, field),
                (want_index, want_field),
                "wrong step/field in: {e}"
            );
            e
        }
        other => panic!("expected step {want_index} field {want_field}, got {other:?}"),
    }
}

#[track_caller]
fn assert_field_err(v: &Value, want_field: &str) -> RecipeError {
    match parse(v) {
        Err(e @ RecipeError::Field { field, .. }) => {
            assert_eq!(field, want_field, "wrong field in: {e}");
            e
        }
        other => panic!("expected field {want_field}, got {other:?}"),
    }
}

#[track_caller]
fn assert_json_err(json: &str) -> (usize, usize, String) {
    match Recipe::from_json(json) {
        Err(RecipeError::Json {
            line,
            column,
            message,
        }) => (line, column, message),
        other => panic!("expected a JSON error, got {other:?}"),
    }
}

const POSITIONS: [LeafPosition; 3] = [
    LeafPosition::Lower,
    LeafPosition::Middle,
    LeafPosition::Upper,
];
const MATURITIES: [Maturity; 4] = [
    Maturity::Unripe,
    Maturity::UnderRipe,
    Maturity::Ripe,
    Maturity::OverRipe,
];
const WATERS: [WaterContent; 3] = [WaterContent::Normal, WaterContent::High, WaterContent::Low];

fn step<'a>(r: &'a Recipe, code: &str) -> &'a Step {
    r.steps.iter().find(|s| s.code == code).unwrap()
}

// ---------------------------------------------------------------------------------------------
// 1. Built-ins and adjustments

#[test]
fn builtins_are_lower_middle_upper_and_valid() {
    let ids: Vec<&str> = builtin_recipes().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["lower", "middle", "upper"]);
    for (r, pos) in builtin_recipes().iter().zip(POSITIONS) {
        r.validate().unwrap();
        assert_eq!(r.position, Some(pos));
        assert_eq!(builtin_recipe(&r.id).as_ref(), Some(r));
        // Exactly what the JSON in data/ says, re-parsed.
        assert_eq!(&Recipe::from_json(&r.to_json()).unwrap(), r);
    }
}

#[test]
fn middle_recipe_matches_the_domain_table() {
    let r = middle();
    let codes: Vec<&str> = r.steps.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(codes, ["Y0", "Y1", "Y2", "F1", "F2", "D1", "D2"]);
    let targets: Vec<(f64, f64)> = r
        .steps
        .iter()
        .map(|s| (s.dry_bulb_c, s.wet_bulb_c))
        .collect();
    assert_eq!(
        targets,
        [
            (35.0, 33.5),
            (38.0, 35.5),
            (42.0, 36.5),
            (47.0, 37.5),
            (54.0, 38.5),
            (60.0, 39.5),
            (67.0, 42.0)
        ]
    );
    assert_eq!(r.first_step_of(Stage::Yellowing), Some(0));
    assert_eq!(r.first_step_of(Stage::ColourFixing), Some(3));
    assert_eq!(r.first_step_of(Stage::StemDrying), Some(5));
    // Sourced hard rules (§2): DB ≤ 50 until the small roll, WB ≤ 43 in stem drying.
    for s in &r.steps {
        if s.stage == Stage::StemDrying {
            assert!(s.wet_bulb_c <= 43.0, "{}", s.code);
        }
    }
    assert!(step(&r, "F1").dry_bulb_c <= 50.0);
}

#[test]
fn nominal_durations_from_25_degrees() {
    // Middle: ramps 10 + 6 + 8 + 12.5 + 10 + 6 + 7 = 59.5 h, holds 8+24+16+12+12+6+20 = 98 h.
    let middle = middle().nominal_hours(25.0);
    approx(middle, 157.5);
    assert!((middle - 158.0).abs() <= 1.0, "domain doc: nominal ≈ 158 h");
    // Lower: ramps 10+7+7+5+5+6+6+4 = 50 h, holds 6+12+8+8+6+6+4+10 = 60 h.
    let lower = builtin_recipe("lower").unwrap().nominal_hours(25.0);
    approx(lower, 110.0);
    // Upper: ramps 11+6+2+5/0.33+3/0.33+4+6+4+5+7, holds 15+28+8+6+6+8+5+5+6+12.
    let upper = builtin_recipe("upper").unwrap().nominal_hours(25.0);
    approx(upper, 45.0 + 8.0 / 0.33 + 99.0);
    assert!(lower < middle - 24.0, "lower cures are clearly shorter");
    assert!(upper > lower && upper > middle);
    // A warmer start shortens only the first ramp: 1 °C/h, so 5 °C warmer = 5 h less.
    approx(
        middle - builtin_recipe("middle").unwrap().nominal_hours(30.0),
        5.0,
    );
}

#[test]
fn nominal_duration_bounds_from_holds() {
    // Domain doc: min ≈ 112 h, max ≈ 214 h for the middle recipe.
    let c = middle_curve(&[]);
    let hours = |t: Timestamp| t.hours_since(t0());
    approx(hours(c.steps[6].end_earliest), 59.5 + 52.0);
    approx(hours(c.steps[6].end_latest), 59.5 + 154.0);
}

#[test]
fn adjustments_are_the_shipped_four() {
    let ids: Vec<&str> = adjustments().iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["under-ripe", "over-ripe", "high-water", "low-water"]);
    let by_id = |id: &str| adjustments().iter().find(|a| a.id == id).unwrap();
    let under = by_id("under-ripe");
    assert!(under.applies_to_maturity(Maturity::Unripe));
    assert!(under.applies_to_maturity(Maturity::UnderRipe));
    assert!(!under.applies_to_maturity(Maturity::Ripe));
    assert!(!under.applies_to_water(WaterContent::High));
    assert!(by_id("over-ripe").applies_to_maturity(Maturity::OverRipe));
    assert!(by_id("high-water").applies_to_water(WaterContent::High));
    assert!(by_id("low-water").applies_to_water(WaterContent::Low));
    for a in adjustments() {
        assert!(!a.applies_to_maturity(Maturity::Ripe), "{}", a.id);
        assert!(!a.applies_to_water(WaterContent::Normal), "{}", a.id);
        assert!(!a.name.en.is_empty() && !a.notes.zh.is_empty());
    }
}

#[test]
fn recipe_for_ripe_normal_load_is_the_base_recipe() {
    for (pos, id) in POSITIONS.into_iter().zip(["lower", "middle", "upper"]) {
        let r = recipe_for_leaf(pos, Maturity::Ripe, WaterContent::Normal).unwrap();
        assert_eq!(r, builtin_recipe(id).unwrap());
    }
}

#[test]
fn recipe_for_leaf_ids_name_the_adjustments() {
    let id = |p, m, w| recipe_for_leaf(p, m, w).unwrap().id;
    use LeafPosition::*;
    assert_eq!(
        id(Middle, Maturity::UnderRipe, WaterContent::High),
        "middle+under-ripe+high-water"
    );
    assert_eq!(
        id(Middle, Maturity::Unripe, WaterContent::High),
        "middle+under-ripe+high-water"
    );
    assert_eq!(
        id(Lower, Maturity::OverRipe, WaterContent::Low),
        "lower+over-ripe+low-water"
    );
    assert_eq!(
        id(Upper, Maturity::Ripe, WaterContent::Low),
        "upper+low-water"
    );
    assert_eq!(
        id(Upper, Maturity::UnderRipe, WaterContent::Normal),
        "upper+under-ripe"
    );
}

/// Checks one `recipe_for_leaf` result: valid, built from the right base, named by its adjustments.
fn check_leaf_recipe(pos: LeafPosition, m: Maturity, w: WaterContent) -> Result<(), String> {
    let r = recipe_for_leaf(pos, m, w).map_err(|e| format!("{pos:?} {m:?} {w:?}: {e}"))?;
    r.validate()
        .map_err(|e| format!("{pos:?} {m:?} {w:?}: {e}"))?;
    assert_eq!(r.position, Some(pos));
    assert!(r.id.starts_with(pos.key()));
    assert_eq!(builtin_recipe(&r.id).as_ref(), Some(&r));
    let base = builtin_recipe(pos.key()).unwrap();
    assert_eq!(r.steps.len(), base.steps.len());
    // The curve of every recommended recipe can be drawn and sampled.
    let c = ExpectedCurve::new(&r, t0(), 20.0, &[]).unwrap();
    let samples = c.sample(600_000, &Cancel::new(false)).unwrap();
    assert_eq!(samples.last().map(|p| p.t), Some(c.end()));
    Ok(())
}

#[test]
fn every_leaf_combination_has_a_valid_recipe() {
    let mut failures = Vec::new();
    for pos in POSITIONS {
        for m in MATURITIES {
            for w in WATERS {
                if let Err(e) = check_leaf_recipe(pos, m, w) {
                    failures.push(e);
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn under_ripe_lowers_and_lengthens_yellowing() {
    let base = middle();
    let r = builtin_recipe("middle+under-ripe").unwrap();
    for (b, s) in base.steps.iter().zip(&r.steps) {
        if s.stage == Stage::Yellowing {
            approx(s.dry_bulb_c, b.dry_bulb_c - 1.0);
            approx(s.wet_bulb_c, b.wet_bulb_c - 0.5);
            assert!(s.hold_min_h > b.hold_min_h, "{}", s.code);
            assert!(s.hold_nominal_h > b.hold_nominal_h, "{}", s.code);
            assert!(s.hold_max_h > b.hold_max_h, "{}", s.code);
        }
    }
    // ×1.3, rounded to 0.5 h.
    let y0 = step(&r, "Y0");
    assert_eq!(
        (y0.hold_min_h, y0.hold_nominal_h, y0.hold_max_h),
        (5.0, 10.5, 21.0)
    );
    let y1 = step(&r, "Y1");
    assert_eq!(
        (y1.hold_min_h, y1.hold_nominal_h, y1.hold_max_h),
        (15.5, 31.0, 47.0)
    );
    let y2 = step(&r, "Y2");
    assert_eq!(
        (y2.hold_min_h, y2.hold_nominal_h, y2.hold_max_h),
        (10.5, 21.0, 31.0)
    );
    // Slow ramps through 42–48 °C: F1 (47 °C) capped at 0.3 °C/h, F2 (54 °C) untouched.
    approx(step(&r, "F1").ramp_c_per_h, 0.3);
    assert_eq!(step(&r, "F2"), step(&base, "F2"));
    for code in ["D1", "D2"] {
        assert_eq!(step(&r, code), step(&base, code));
    }
    assert!(r.nominal_hours(25.0) > base.nominal_hours(25.0));
    assert!(r.name.en.contains("under-ripe") && r.name.zh.contains("未熟"));
}

#[test]
fn over_ripe_shortens_yellowing_and_widens_depression() {
    let base = middle();
    let r = builtin_recipe("middle+over-ripe").unwrap();
    let y0 = step(&r, "Y0");
    approx(y0.dry_bulb_c, 35.0);
    approx(y0.wet_bulb_c, 32.5);
    approx(y0.ramp_c_per_h, 1.5);
    // ×0.7, rounded to 0.5 h: 2.8 → 3, 5.6 → 5.5, 11.2 → 11.
    assert_eq!(
        (y0.hold_min_h, y0.hold_nominal_h, y0.hold_max_h),
        (3.0, 5.5, 11.0)
    );
    // Colour fixing: ramps ×1.3 (0.4 → 0.52), holds ×0.8 (12 → 9.5 after rounding 9.6).
    let f1 = step(&r, "F1");
    approx(f1.ramp_c_per_h, 0.52);
    assert_eq!(f1.hold_nominal_h, 9.5);
    assert!(r.nominal_hours(25.0) < base.nominal_hours(25.0));
}

#[test]
fn high_water_keeps_wet_bulb_at_most_37_late_in_yellowing() {
    for pos in POSITIONS {
        let base = builtin_recipe(pos.key()).unwrap();
        let r = builtin_recipe(&format!("{}+high-water", pos.key())).unwrap();
        let last_y = r.first_step_of(Stage::ColourFixing).unwrap() - 1;
        assert!(r.steps[last_y].wet_bulb_c <= 37.0, "{pos:?}");
        assert!(r.steps[last_y].ramp_c_per_h <= 0.25, "{pos:?}");
        assert!(
            r.steps[last_y + 1].wet_bulb_c <= 37.0,
            "{pos:?} first fixing step"
        );
        // Starts lower, ramps faster to the first step.
        approx(r.steps[0].dry_bulb_c, base.steps[0].dry_bulb_c - 2.5);
        approx(r.steps[0].ramp_c_per_h, base.steps[0].ramp_c_per_h * 2.0);
        for s in &r.steps {
            assert!(s.wet_bulb_c <= s.dry_bulb_c - 0.5, "{pos:?} {}", s.code);
        }
    }
    let r = builtin_recipe("middle+high-water").unwrap();
    approx(step(&r, "Y0").dry_bulb_c, 32.5);
    approx(step(&r, "Y0").wet_bulb_c, 31.5);
    approx(step(&r, "Y2").wet_bulb_c, 36.5);
    approx(step(&r, "Y2").ramp_c_per_h, 0.25);
    approx(step(&r, "F1").wet_bulb_c, 37.0);
}

#[test]
fn low_water_adds_humidity_below_40() {
    let r = builtin_recipe("middle+low-water").unwrap();
    approx(step(&r, "Y0").wet_bulb_c, 34.0);
    approx(step(&r, "Y1").wet_bulb_c, 36.0);
    // Y2 targets 42 °C: above the 40 °C cap, untouched.
    approx(step(&r, "Y2").wet_bulb_c, 36.5);
}

#[test]
fn stacked_adjustments_apply_in_order() {
    let r = builtin_recipe("middle+under-ripe+high-water").unwrap();
    assert_eq!(r.id, "middle+under-ripe+high-water");
    r.validate().unwrap();
    let y0 = step(&r, "Y0");
    // 35 − 1 − 2.5 = 31.5; wet 33.5 − 0.5 − 2 = 31, kept ≥ 0.5 below dry.
    approx(y0.dry_bulb_c, 31.5);
    approx(y0.wet_bulb_c, 31.0);
    approx(y0.ramp_c_per_h, 2.0);
    assert!(step(&r, "Y2").wet_bulb_c <= 37.0);
    assert!(r.name.en.contains("under-ripe") && r.name.en.contains("wet leaves"));
}

#[test]
fn unknown_or_repeated_adjustments_give_none() {
    for id in [
        "",
        "bogus",
        "Middle",
        "middle+bogus",
        "middle+",
        "+middle",
        "middle++under-ripe",
        "middle+under-ripe+under-ripe",
        "middle+high-water+under-ripe+high-water",
        "under-ripe",
        "middle under-ripe",
    ] {
        assert_eq!(builtin_recipe(id), None, "{id:?}");
    }
    assert!(builtin_recipe("middle+high-water+under-ripe").is_some());
}

// ---------------------------------------------------------------------------------------------
// 2. Validation through the exchange format

#[test]
fn base_json_is_valid() {
    let r = parse(&base_json()).unwrap();
    assert_eq!(r.id, "test");
    assert_eq!(r.steps, middle().steps);
}

#[test]
fn wet_bulb_above_dry_bulb() {
    let mut v = base_json();
    v["steps"][1]["wet_bulb_c"] = json!(38.5);
    let e = assert_step_err(&v, 1, "wet_bulb_c");
    let RecipeError::Step { code, .. } = &e else {
        unreachable!()
    };
    assert_eq!(code, "Y1");
    let msg = e.to_string();
    assert!(msg.starts_with("step 2 (Y1), field `wet_bulb_c`:"), "{msg}");
    assert!(
        msg.contains("38.5") && msg.contains("above dry bulb 38"),
        "{msg}"
    );
    assert!(!e.reason().unwrap().zh.is_empty());
    // Equal bulbs (saturated air) are allowed by validation.
    v["steps"][1]["wet_bulb_c"] = json!(38.0);
    parse(&v).unwrap();
}

#[test]
fn temperatures_outside_25_to_75() {
    let cases = [
        (2, "dry_bulb_c", 24.9),
        (2, "dry_bulb_c", 75.1),
        (2, "dry_bulb_c", -40.0),
        (2, "dry_bulb_c", 1e308),
        (0, "wet_bulb_c", 24.9),
        (6, "wet_bulb_c", -1e308),
    ];
    for (i, field, value) in cases {
        let mut v = base_json();
        v["steps"][i][field] = json!(value);
        let e = assert_step_err(&v, i, field);
        assert!(e.to_string().contains("outside 25–75 °C"), "{e}");
    }
    // Wet bulb above 75 with dry bulb in range: the range check names the wet bulb.
    let mut v = base_json();
    v["steps"][6]["wet_bulb_c"] = json!(76.0);
    assert_step_err(&v, 6, "wet_bulb_c");
    // The bounds themselves are allowed.
    let mut v = base_json();
    v["steps"][0]["wet_bulb_c"] = json!(25.0);
    v["steps"][6]["dry_bulb_c"] = json!(75.0);
    parse(&v).unwrap();
}

#[test]
fn numbers_json_cannot_hold_are_json_errors() {
    // serde_json refuses numbers that overflow f64 instead of reading them as ±∞.
    let json = base_json().to_string().replacen("35.0", "1e309", 1);
    let (_, _, msg) = assert_json_err(&json);
    assert!(msg.contains("number out of range"), "{msg}");
    let json = base_json().to_string().replacen("33.5", "-1e309", 1);
    assert_json_err(&json);
    // NaN and Infinity are not JSON.
    for bad in ["NaN", "Infinity", "-Infinity"] {
        let json = base_json().to_string().replacen("35.0", bad, 1);
        assert_json_err(&json);
    }
    // Strings are not numbers.
    let mut v = base_json();
    v["steps"][0]["dry_bulb_c"] = json!("35");
    assert_json_err(&v.to_string());
}

#[test]
fn negative_and_too_long_holds() {
    for (field, value) in [
        ("hold_min_h", -1.0),
        ("hold_nominal_h", -0.5),
        ("hold_max_h", MAX_HOLD_H + 0.5),
    ] {
        let mut v = base_json();
        v["steps"][3][field] = json!(value);
        assert_step_err(&v, 3, field);
    }
    let mut v = base_json();
    v["steps"][3]["hold_min_h"] = json!(0.0);
    v["steps"][3]["hold_max_h"] = json!(MAX_HOLD_H);
    parse(&v).unwrap();
}

#[test]
fn inverted_holds() {
    // Y0 holds are 4 / 8 / 16.
    let mut v = base_json();
    v["steps"][0]["hold_min_h"] = json!(9.0);
    let e = assert_step_err(&v, 0, "hold_min_h");
    assert!(e.to_string().contains("minimum hold 9 h"), "{e}");
    let mut v = base_json();
    v["steps"][0]["hold_nominal_h"] = json!(17.0);
    assert_step_err(&v, 0, "hold_max_h");
    let mut v = base_json();
    v["steps"][0]["hold_max_h"] = json!(7.5);
    assert_step_err(&v, 0, "hold_max_h");
    // min = nominal = max is fine (a fixed-length step).
    let mut v = base_json();
    for f in ["hold_min_h", "hold_nominal_h", "hold_max_h"] {
        v["steps"][0][f] = json!(8.0);
    }
    parse(&v).unwrap();
}

#[test]
fn unknown_stage() {
    for bad in ["drying", "Yellowing", "", "colour-fixing"] {
        let mut v = base_json();
        v["steps"][3]["stage"] = json!(bad);
        let e = assert_step_err(&v, 3, "stage");
        assert!(
            e.to_string().starts_with("step 4 (F1), field `stage`"),
            "{e}"
        );
    }
}

#[test]
fn stages_out_of_order() {
    let mut v = base_json();
    v["steps"][4]["stage"] = json!("yellowing");
    let e = assert_step_err(&v, 4, "stage");
    assert!(
        e.to_string()
            .contains("yellowing cannot follow colour_fixing"),
        "{e}"
    );
    let mut v = base_json();
    v["steps"][0]["stage"] = json!("stem_drying");
    assert_step_err(&v, 1, "stage");
    let mut v = base_json();
    v["steps"][6]["stage"] = json!("colour_fixing");
    assert_step_err(&v, 6, "stage");
    // Moving the stage boundary keeps the order: still valid.
    let mut v = base_json();
    v["steps"][5]["stage"] = json!("colour_fixing");
    parse(&v).unwrap();
}

#[test]
fn missing_stage() {
    let mut v = base_json();
    v["steps"][3]["stage"] = json!("yellowing");
    v["steps"][4]["stage"] = json!("yellowing");
    let e = assert_field_err(&v, "steps");
    assert!(e.to_string().contains("no colour_fixing step"), "{e}");
    let mut v = base_json();
    v["steps"].as_array_mut().unwrap().truncate(5);
    let e = assert_field_err(&v, "steps");
    assert!(e.to_string().contains("no stem_drying step"), "{e}");
    let mut v = base_json();
    v["steps"].as_array_mut().unwrap().drain(0..3);
    assert_field_err(&v, "steps");
}

#[test]
fn implausible_ramp_rates() {
    for bad in [0.0, -1.0, 50.0, 0.09, 5.01] {
        let mut v = base_json();
        v["steps"][2]["ramp_c_per_h"] = json!(bad);
        let e = assert_step_err(&v, 2, "ramp_c_per_h");
        assert!(e.to_string().contains("allowed 0.1–5"), "{e}");
    }
    for ok in [0.1, 5.0] {
        let mut v = base_json();
        v["steps"][2]["ramp_c_per_h"] = json!(ok);
        parse(&v).unwrap();
    }
}

#[test]
fn step_codes() {
    let mut v = base_json();
    v["steps"][2]["code"] = json!("Y1");
    let e = assert_step_err(&v, 2, "code");
    assert!(e.to_string().contains("used twice"), "{e}");
    for bad in ["", "   ", "ABCDEFGHI"] {
        let mut v = base_json();
        v["steps"][2]["code"] = json!(bad);
        assert_step_err(&v, 2, "code");
    }
    // A missing code reads as empty and is refused, not defaulted.
    let mut v = base_json();
    v["steps"][2].as_object_mut().unwrap().remove("code");
    assert_step_err(&v, 2, "code");
    let mut v = base_json();
    v["steps"][2]["code"] = json!("烘烤变黄第三步八");
    parse(&v).unwrap();
}

#[test]
fn step_count_limits() {
    let mut v = base_json();
    v["steps"] = json!([]);
    let e = assert_field_err(&v, "steps");
    assert!(e.to_string().contains("has 0"), "{e}");
    let mut v = base_json();
    let one = v["steps"][3].clone();
    v["steps"] = Value::Array(
        (0..41)
            .map(|i| {
                let mut s = one.clone();
                s["code"] = json!(format!("S{i}"));
                s
            })
            .collect(),
    );
    assert_field_err(&v, "steps");
}

#[test]
fn recipe_ids() {
    for bad in [
        "Middle-2",
        "my recipe",
        "",
        &"a".repeat(65),
        "-abc",
        "+x",
        "é",
        "a/b",
    ] {
        let mut v = base_json();
        v["id"] = json!(bad);
        let e = assert_field_err(&v, "id");
        assert!(e.to_string().starts_with("recipe field `id`"), "{e}");
    }
    for good in ["a", "2025-henan.v2_b", "x+y", &"a".repeat(64)] {
        let mut v = base_json();
        v["id"] = json!(good);
        assert_eq!(parse(&v).unwrap().id, good);
    }
}

#[test]
fn texts_required_and_bounded() {
    let mut v = base_json();
    v["name"] = json!({"zh": " ", "en": ""});
    assert_field_err(&v, "name");
    let mut v = base_json();
    v["name"] = json!({"zh": "", "en": "x".repeat(121)});
    assert_field_err(&v, "name");
    let mut v = base_json();
    v["description"] = json!({"zh": "长".repeat(2001), "en": ""});
    assert_field_err(&v, "description");
    // 2000 characters (6000 bytes of Chinese) is fine.
    let mut v = base_json();
    v["description"] = json!({"zh": "长".repeat(2000), "en": ""});
    parse(&v).unwrap();
    let mut v = base_json();
    v["steps"][1]["ends_when"] = json!({"zh": "长".repeat(201), "en": ""});
    assert_step_err(&v, 1, "ends_when");
    let mut v = base_json();
    v["name"] = json!({"zh": "", "en": "x".repeat(120)});
    parse(&v).unwrap();
    let mut v = base_json();
    v["steps"][5]["ends_when"] = json!({"zh": "", "en": "  "});
    assert_step_err(&v, 5, "ends_when");
    // Optional fields may be left out.
    let mut v = base_json();
    let obj = v.as_object_mut().unwrap();
    obj.remove("description");
    obj.remove("position");
    obj.remove("format");
    let r = parse(&v).unwrap();
    assert_eq!(r.position, None);
    assert_eq!(r.description, Text::new("", ""));
}

#[test]
fn positions() {
    let mut v = base_json();
    v["position"] = json!("side");
    assert_field_err(&v, "position");
    v["position"] = json!("upper");
    assert_eq!(parse(&v).unwrap().position, Some(LeafPosition::Upper));
    v["position"] = Value::Null;
    assert_eq!(parse(&v).unwrap().position, None);
}

#[test]
fn unknown_fields_are_rejected() {
    let mut v = base_json();
    v["colour"] = json!("yellow");
    let (_, _, msg) = assert_json_err(&v.to_string());
    assert!(msg.contains("unknown field `colour`"), "{msg}");
    let mut v = base_json();
    v["steps"][2]["humidity"] = json!(80);
    let (_, _, msg) = assert_json_err(&v.to_string());
    assert!(msg.contains("unknown field `humidity`"), "{msg}");
    // A typo in a required field name is a missing field.
    let mut v = base_json();
    let s = v["steps"][2].as_object_mut().unwrap();
    let x = s.remove("hold_max_h").unwrap();
    s.insert("hold_maxh".into(), x);
    assert_json_err(&v.to_string());
}

#[test]
fn unknown_fields_in_texts_are_rejected() {
    let mut v = base_json();
    v["name"]["fr"] = json!("Feuilles du milieu");
    assert_json_err(&v.to_string());
}

#[test]
fn malformed_json_reports_line_and_column() {
    let (line, column, msg) = assert_json_err("{\n  \"id\": \"x\",\n  \"name\": \n}");
    assert_eq!((line, column), (4, 1), "{msg}");
    let (line, column, _) = assert_json_err("{\"id\": \"x\"");
    assert_eq!((line, column), (1, 10));
    let (line, _, _) = assert_json_err("");
    assert_eq!(line, 1);
    assert_json_err("[]");
    assert_json_err("null");
    let e = Recipe::from_json("{\n\n  oops").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("recipe JSON is malformed at line 3, column 3:"),
        "{e}"
    );
}

#[test]
fn too_large_input() {
    let json = base_json().to_string();
    let padded = format!("{json}{}", " ".repeat(MAX_JSON_BYTES - json.len()));
    assert_eq!(padded.len(), MAX_JSON_BYTES);
    parse(&base_json()).unwrap();
    Recipe::from_json(&padded).unwrap();
    let over = format!("{padded} ");
    match Recipe::from_json(&over) {
        Err(RecipeError::TooLarge { bytes, limit }) => {
            assert_eq!((bytes, limit), (MAX_JSON_BYTES + 1, MAX_JSON_BYTES));
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    // Not even parsed: garbage that large is TooLarge too.
    assert!(matches!(
        Recipe::from_json(&"{".repeat(MAX_JSON_BYTES + 1)),
        Err(RecipeError::TooLarge { .. })
    ));
}

#[test]
fn format_version() {
    assert_eq!(FORMAT_VERSION, 1);
    let mut v = base_json();
    assert_eq!(v["format"], json!(1));
    v["format"] = json!(2);
    let e = assert_field_err(&v, "format");
    assert!(e.to_string().contains("version 2"), "{e}");
    v["format"] = json!(0);
    assert_field_err(&v, "format");
    v["format"] = json!("1");
    assert_json_err(&v.to_string());
    v["format"] = json!(-1);
    assert_json_err(&v.to_string());
}

#[test]
fn export_import_round_trip() {
    let mut recipes: Vec<Recipe> = builtin_recipes().to_vec();
    for pos in POSITIONS {
        for m in MATURITIES {
            for w in WATERS {
                recipes.push(recipe_for_leaf(pos, m, w).unwrap());
            }
        }
    }
    assert_eq!(recipes.len(), 3 + 36);
    for r in &recipes {
        let json = r.to_json();
        assert!(
            json.starts_with("{\n  \"format\": 1,\n  \"id\": "),
            "{json}"
        );
        let back = Recipe::from_json(&json).unwrap();
        assert_eq!(&back, r, "{}", r.id);
        assert_eq!(back.to_json(), json);
    }
}

#[test]
fn export_import_is_exact_for_full_precision_numbers() {
    let mut r = middle();
    r.steps[3].ramp_c_per_h = 0.475_621_117_447_797_56;
    r.validate().unwrap();
    let json = r.to_json();
    assert!(json.contains("0.47562111744779756"), "{json}");
    assert_eq!(
        Recipe::from_json(&json).unwrap().steps[3].ramp_c_per_h,
        r.steps[3].ramp_c_per_h
    );
}

#[test]
fn display_names_step_and_field() {
    let mut v = base_json();
    v["steps"][6]["hold_nominal_h"] = json!(31.0);
    let e = assert_step_err(&v, 6, "hold_max_h");
    assert_eq!(
        e.to_string(),
        "step 7 (D2), field `hold_max_h`: maximum hold 30 h is shorter than the nominal 31 h"
    );
    let mut v = base_json();
    v["id"] = json!("");
    let e = assert_field_err(&v, "id");
    assert!(
        e.to_string()
            .starts_with("recipe field `id`: invalid recipe id ``")
    );
    assert_eq!(
        RecipeError::NotFound("x".into()).to_string(),
        "no recipe with id `x`"
    );
    assert!(RecipeError::Cancelled.reason().is_none());
}

// ---------------------------------------------------------------------------------------------
// 3. The expected curve

#[test]
fn running_curve_stretches_the_overrunning_step_to_now() {
    let r = middle();
    let advances = [at_h(20.0)];
    let projected = middle_curve(&advances);
    let y1 = &projected.steps[1];
    // Before Y1's projected end, `as_of` changes nothing.
    let early = ExpectedCurve::as_of(&r, t0(), 25.0, &advances, y1.ramp_end).unwrap();
    assert_eq!(early, projected);
    // Ten hours past it, Y1 still holds its targets and every later step moves by ten hours.
    let now = y1.end.add_hours(10.0);
    let late = ExpectedCurve::as_of(&r, t0(), 25.0, &advances, now).unwrap();
    assert_eq!(late.steps[1].end, now);
    assert_eq!(late.step_at(now.add_hours(-0.1)), Some(1));
    let sp = late.setpoint_at(now.add_hours(-0.1)).unwrap();
    approx(sp.dry_bulb_c, r.steps[1].dry_bulb_c);
    approx(sp.wet_bulb_c, r.steps[1].wet_bulb_c);
    assert_eq!(late.end(), projected.end().add_hours(10.0));
    // The bounds stretch too, and advanced steps stay facts.
    assert!(late.steps[1].end_earliest >= now && late.steps[1].end_latest >= now);
    assert_eq!(late.steps[0], projected.steps[0]);
    // A finished cure has no current step: `as_of` equals `new`.
    let all: Vec<Timestamp> = (1..=r.steps.len()).map(|i| at_h(i as f64 * 20.0)).collect();
    let done = ExpectedCurve::as_of(&r, t0(), 25.0, &all, at_h(900.0)).unwrap();
    assert_eq!(done, middle_curve(&all));
}

#[test]
fn middle_curve_knots() {
    let c = middle_curve(&[]);
    assert_eq!(c.start, t0());
    let expected = [
        (0.0, 25.0, 23.5),
        (10.0, 35.0, 33.5),
        (18.0, 35.0, 33.5),
        (24.0, 38.0, 35.5),
        (48.0, 38.0, 35.5),
        (56.0, 42.0, 36.5),
        (72.0, 42.0, 36.5),
        (84.5, 47.0, 37.5),
        (96.5, 47.0, 37.5),
        (106.5, 54.0, 38.5),
        (118.5, 54.0, 38.5),
        (124.5, 60.0, 39.5),
        (130.5, 60.0, 39.5),
        (137.5, 67.0, 42.0),
        (157.5, 67.0, 42.0),
    ];
    assert_eq!(c.nominal.len(), expected.len(), "{:#?}", c.nominal);
    for (k, (h, dry, wet)) in c.nominal.iter().zip(expected) {
        assert_eq!(k.t, at_h(h), "knot at {h} h");
        approx(k.dry_bulb_c, dry);
        approx(k.wet_bulb_c, wet);
    }
    assert_eq!(c.end(), at_h(157.5));
    assert_eq!(
        c.end().millis() - t0().millis(),
        (middle().nominal_hours(25.0) * H_MS as f64).round() as i64
    );
}

#[test]
fn first_ramp_and_holds() {
    let c = middle_curve(&[]);
    let w = &c.steps[0];
    assert_eq!(
        (w.index, w.code.as_str(), w.stage),
        (0, "Y0", Stage::Yellowing)
    );
    assert_eq!(w.start, t0());
    // (35 − 25) / 1 °C/h = 10 h.
    assert_eq!(w.ramp_end, at_h(10.0));
    let p = c.setpoint_at(w.ramp_end).unwrap();
    approx(p.dry_bulb_c, 35.0);
    approx(p.wet_bulb_c, 33.5);
    // Nominal holds.
    let r = middle();
    for (w, s) in c.steps.iter().zip(&r.steps) {
        assert_eq!(
            w.end.millis() - w.ramp_end.millis(),
            (s.hold_nominal_h * H_MS as f64) as i64
        );
        assert!(!w.advanced);
    }
    let starts: Vec<f64> = c.steps.iter().map(|w| w.start.hours_since(t0())).collect();
    assert_eq!(starts, [0.0, 18.0, 48.0, 72.0, 96.5, 118.5, 130.5]);
    for pair in c.steps.windows(2) {
        assert_eq!(pair[0].end, pair[1].start);
    }
}

#[test]
fn fastest_nominal_slowest_order() {
    let c = middle_curve(&[]);
    for w in &c.steps {
        assert!(
            w.end_earliest <= w.end && w.end <= w.end_latest,
            "{}",
            w.code
        );
    }
    let last = |k: &[Knot]| k.last().unwrap().t;
    assert!(last(&c.fastest) < last(&c.nominal) && last(&c.nominal) < last(&c.slowest));
    assert_eq!(last(&c.fastest), at_h(111.5));
    assert_eq!(last(&c.slowest), at_h(213.5));
    assert_eq!(c.steps[0].end_earliest, at_h(14.0));
    assert_eq!(c.steps[0].end_latest, at_h(26.0));
    // Same shape, same temperatures.
    for k in [&c.fastest, &c.slowest] {
        assert_eq!(k.len(), c.nominal.len());
        for (a, b) in k.iter().zip(&c.nominal) {
            approx(a.dry_bulb_c, b.dry_bulb_c);
            approx(a.wet_bulb_c, b.wet_bulb_c);
        }
    }
}

#[test]
fn advance_mid_ramp_ramps_on_from_the_interpolated_value() {
    // Y0 advanced after 4 h, 6 h before its ramp would have reached 35 °C.
    let c = middle_curve(&[at_h(4.0)]);
    let w0 = &c.steps[0];
    assert!(w0.advanced);
    assert_eq!((w0.ramp_end, w0.end), (at_h(4.0), at_h(4.0)));
    assert_eq!((w0.end_earliest, w0.end_latest), (at_h(4.0), at_h(4.0)));
    let k = c.nominal[1];
    assert_eq!(k.t, at_h(4.0));
    approx(k.dry_bulb_c, 29.0);
    approx(k.wet_bulb_c, 27.5);
    // Y1 ramps from (29, 27.5) to (38, 35.5): 9 °C at 0.5 °C/h = 18 h.
    let w1 = &c.steps[1];
    assert!(!w1.advanced);
    assert_eq!(w1.start, at_h(4.0));
    assert_eq!(w1.ramp_end, at_h(22.0));
    assert_eq!(w1.end, at_h(46.0));
    let p = c.setpoint_at(at_h(13.0)).unwrap();
    approx(p.dry_bulb_c, 33.5);
    approx(p.wet_bulb_c, 27.5 + 8.0 * 0.5);
    assert_eq!(p.step, 1);
    // Everything after is the original timeline shifted by 46 − 48 = −2 h.
    assert_eq!(c.end(), at_h(155.5));
    // The same advance applies to the bounding curves.
    assert_eq!(c.fastest[1], c.nominal[1]);
    assert_eq!(c.slowest[1], c.nominal[1]);
}

#[test]
fn advances_reanchor_later_steps() {
    // Y0 held 10 h instead of 8, Y1 ended at 50 h (2 h late).
    let c = middle_curve(&[at_h(20.0), at_h(52.0)]);
    assert_eq!(c.steps[1].start, at_h(20.0));
    assert_eq!(c.steps[1].ramp_end, at_h(26.0));
    assert_eq!(c.steps[1].end, at_h(52.0));
    assert!(c.steps[1].advanced && !c.steps[2].advanced);
    assert_eq!(c.steps[2].start, at_h(52.0));
    assert_eq!(c.steps[2].ramp_end, at_h(60.0));
    assert_eq!(c.end(), at_h(157.5 + 4.0));
    // Projected steps keep their bands, anchored at the real time.
    assert_eq!(c.steps[2].end_earliest, at_h(52.0 + 8.0 + 8.0));
    assert_eq!(c.steps[2].end_latest, at_h(52.0 + 8.0 + 24.0));
    // A finished cure: every step advanced.
    let advances: Vec<Timestamp> = (1..=7).map(|i| at_h(20.0 * i as f64)).collect();
    let c = middle_curve(&advances);
    assert_eq!(c.end(), at_h(140.0));
    assert!(c.steps.iter().all(|w| w.advanced));
    assert_eq!(c.fastest, c.nominal);
    assert_eq!(c.slowest, c.nominal);
    // Every step confirmed the moment the cure started: a curve of one instant.
    let c = middle_curve(&[t0(); 7]);
    assert_eq!(c.end(), t0());
    assert_eq!(c.step_at(t0()), Some(6));
    let p = c.setpoint_at(t0()).unwrap();
    approx(p.dry_bulb_c, 25.0);
    approx(p.wet_bulb_c, 23.5);
    let s = c.sample(60_000, &Cancel::new(false)).unwrap();
    assert_eq!(s, [p]);
    // Advancing at the very start: zero-length step, the next one starts right away.
    let c = middle_curve(&[t0()]);
    assert_eq!(c.steps[0].end, t0());
    assert_eq!(c.step_at(t0()), Some(1));
    assert_eq!(c.nominal[0].t, t0());
    assert!(c.nominal[1].t > t0());
}

#[test]
fn bad_advances_are_refused() {
    let r = middle();
    let check = |advances: &[Timestamp]| {
        assert!(
            matches!(
                ExpectedCurve::new(&r, t0(), 25.0, advances),
                Err(RecipeError::Advances(_))
            ),
            "{advances:?}"
        );
    };
    check(&[Timestamp(t0().millis() - 1)]);
    check(&[at_h(5.0), at_h(3.0)]);
    check(&[at_h(5.0), at_h(6.0), Timestamp(0)]);
    let eight: Vec<Timestamp> = (1..=8).map(|i| at_h(i as f64)).collect();
    check(&eight);
    let e = ExpectedCurve::new(&r, t0(), 25.0, &eight).unwrap_err();
    assert!(
        e.to_string()
            .contains("8 step advances for a recipe of 7 steps"),
        "{e}"
    );
    // Equal advances are fine (two steps confirmed at once).
    ExpectedCurve::new(&r, t0(), 25.0, &[at_h(5.0), at_h(5.0)]).unwrap();
}

#[test]
fn implausible_ambient_is_refused() {
    let r = middle();
    for bad in [f64::NAN, 60.0, -30.0, f64::INFINITY] {
        assert!(matches!(
            ExpectedCurve::new(&r, t0(), bad, &[]),
            Err(RecipeError::Field {
                field: "ambient_c",
                ..
            })
        ));
    }
    // Ambient above the first target: the curve ramps down to it.
    let c = ExpectedCurve::new(&r, t0(), 40.0, &[]).unwrap();
    assert_eq!(c.steps[0].ramp_end, at_h(5.0));
    approx(c.nominal[0].wet_bulb_c, 38.5);
}

#[test]
fn curve_of_an_unvalidated_recipe_is_an_error_not_a_panic() {
    let mut no_steps = middle();
    no_steps.steps.clear();
    let built =
        std::panic::catch_unwind(|| ExpectedCurve::new(&no_steps, t0(), 25.0, &[]).is_err());
    assert_eq!(built.ok(), Some(true), "no steps: must be Err, not a panic");
    let mut backwards = middle();
    backwards.steps[1].ramp_c_per_h = -0.5;
    assert!(ExpectedCurve::new(&backwards, t0(), 25.0, &[]).is_err());
}

#[test]
fn setpoint_and_step_lookup() {
    let c = middle_curve(&[]);
    let before = Timestamp(t0().millis() - 1);
    let after = Timestamp(c.end().millis() + 1);
    assert_eq!(c.setpoint_at(before), None);
    assert_eq!(c.setpoint_at(after), None);
    assert_eq!(c.step_at(before), None);
    assert_eq!(c.step_at(after), Some(6), "the last step after the end");
    let p = c.setpoint_at(t0()).unwrap();
    assert_eq!((p.t, p.step), (t0(), 0));
    approx(p.dry_bulb_c, 25.0);
    approx(p.wet_bulb_c, 23.5);
    let p = c.setpoint_at(at_h(5.0)).unwrap();
    approx(p.dry_bulb_c, 30.0);
    approx(p.wet_bulb_c, 28.5);
    let p = c.setpoint_at(c.end()).unwrap();
    assert_eq!(p.step, 6);
    approx(p.dry_bulb_c, 67.0);
    approx(p.wet_bulb_c, 42.0);
    // Mid-ramp of F1 (72 → 84.5 h, 42 → 47 °C): at 78.25 h, half way.
    let p = c.setpoint_at(at_h(78.25)).unwrap();
    assert_eq!(p.step, 3);
    approx(p.dry_bulb_c, 44.5);
    approx(p.wet_bulb_c, 37.0);
    // Step boundaries belong to the next step.
    assert_eq!(c.step_at(Timestamp(at_h(18.0).millis() - 1)), Some(0));
    assert_eq!(c.step_at(at_h(18.0)), Some(1));
    assert_eq!(c.step_at(at_h(130.5)), Some(6));
    for (i, w) in c.steps.iter().enumerate() {
        assert_eq!(c.step_at(w.start), Some(i));
        assert_eq!(c.setpoint_at(w.ramp_end).unwrap().step, i);
    }
}

#[test]
fn sampling() {
    let c = middle_curve(&[]);
    let cancel = Cancel::new(false);
    let s = c.sample(H_MS, &cancel).unwrap();
    // 0, 1, …, 157 h and the end at 157.5 h.
    assert_eq!(s.len(), 159);
    assert_eq!(s[0].t, t0());
    assert_eq!(s.last().unwrap().t, c.end());
    for pair in s[..158].windows(2) {
        assert_eq!(pair[1].t.millis() - pair[0].t.millis(), H_MS);
    }
    assert_eq!(s[158].t.millis() - s[157].t.millis(), H_MS / 2);
    for p in &s {
        assert_eq!(Some(*p), c.setpoint_at(p.t), "sample at {:?}", p.t);
    }
    approx(s[5].dry_bulb_c, 30.0);
    assert_eq!(s[18].step, 1);
    // An interval that divides the cure exactly ends on the end, once.
    let s = c.sample(H_MS / 2, &cancel).unwrap();
    assert_eq!(s.len(), 316);
    assert_eq!(s[314].t, at_h(157.0));
    assert_eq!(s[315].t, c.end());
    // Longer than the cure: start and end only.
    let s = c.sample(1000 * H_MS, &cancel).unwrap();
    assert_eq!(s.iter().map(|p| p.t).collect::<Vec<_>>(), [t0(), c.end()]);
}

#[test]
fn sampling_errors() {
    let c = middle_curve(&[]);
    let cancelled = Cancel::new(true);
    assert!(matches!(
        c.sample(60_000, &cancelled),
        Err(RecipeError::Cancelled)
    ));
    let cancel = Cancel::new(false);
    for bad in [0, -1, i64::MIN] {
        assert!(matches!(
            c.sample(bad, &cancel),
            Err(RecipeError::Field {
                field: "resolution",
                ..
            })
        ));
    }
    // 1 ms over 157.5 h would be 567 million points.
    assert!(matches!(
        c.sample(1, &cancel),
        Err(RecipeError::Field {
            field: "resolution",
            ..
        })
    ));
    // One minute is what charts ask for.
    assert_eq!(c.sample(60_000, &cancel).unwrap().len(), 157 * 60 + 30 + 1);
}

// ---------------------------------------------------------------------------------------------
// 4. Deviations

fn reading(t: Timestamp, dry: f64, wet: f64) -> Reading {
    Reading {
        t,
        dry_bulb_c: dry,
        wet_bulb_c: wet,
    }
}

#[test]
fn readings_on_the_curve_have_no_deviation() {
    let c = middle_curve(&[]);
    let readings: Vec<Reading> = c
        .sample(30 * 60_000, &Cancel::new(false))
        .unwrap()
        .iter()
        .map(|p| reading(p.t, p.dry_bulb_c, p.wet_bulb_c))
        .collect();
    let report = deviations(&c, &readings, Tolerance::default());
    assert_eq!(report.skipped, 0);
    assert_eq!(report.readings.len(), readings.len());
    for d in &report.readings {
        assert_eq!((d.dry_bulb_delta_c, d.wet_bulb_delta_c), (0.0, 0.0));
        assert!(d.within_tolerance);
    }
    assert_eq!(report.steps.len(), 7);
    let total: usize = report.steps.iter().map(|s| s.readings).sum();
    assert_eq!(total, readings.len());
    for s in &report.steps {
        assert!(s.readings > 0, "{}", s.code);
        assert_eq!(s.within_tolerance_share, Some(1.0));
        assert_eq!(s.dry_bulb_mean_c, Some(0.0));
        assert_eq!(s.wet_bulb_max_abs_c, Some(0.0));
    }
    // Y0: 0 … 17.5 h every half hour = 36 readings.
    assert_eq!(report.steps[0].readings, 36);
}

#[test]
fn off_curve_reading_shows_in_its_step() {
    let c = middle_curve(&[]);
    // Y1 runs 18–48 h and holds at 38/35.5 from 24 h.
    let readings = [
        reading(at_h(30.0), 41.0, 35.5),
        reading(at_h(36.0), 37.0, 36.0),
        reading(at_h(40.0), 38.0, 35.5),
    ];
    let report = deviations(&c, &readings, Tolerance::default());
    assert_eq!(report.skipped, 0);
    let d = report.readings[0];
    assert_eq!(d.step, 1);
    approx(d.expected_dry_bulb_c, 38.0);
    approx(d.expected_wet_bulb_c, 35.5);
    approx(d.dry_bulb_delta_c, 3.0);
    approx(d.wet_bulb_delta_c, 0.0);
    assert!(!d.within_tolerance, "+3 °C dry bulb is outside ±2 °C");
    assert!(report.readings[1].within_tolerance);
    let y1 = &report.steps[1];
    assert_eq!((y1.step, y1.code.as_str(), y1.readings), (1, "Y1", 3));
    approx(y1.dry_bulb_mean_c.unwrap(), (3.0 - 1.0 + 0.0) / 3.0);
    approx(y1.wet_bulb_mean_c.unwrap(), 0.5 / 3.0);
    approx(y1.dry_bulb_max_abs_c.unwrap(), 3.0);
    approx(y1.wet_bulb_max_abs_c.unwrap(), 0.5);
    approx(y1.within_tolerance_share.unwrap(), 2.0 / 3.0);
    // Tolerance bounds are inclusive.
    let exact = deviations(&c, &[reading(at_h(30.0), 40.0, 37.0)], Tolerance::default());
    assert!(exact.readings[0].within_tolerance);
    let tight = deviations(
        &c,
        &[reading(at_h(30.0), 38.0, 35.6)],
        Tolerance {
            dry_bulb_c: 2.0,
            wet_bulb_c: 0.05,
        },
    );
    assert!(!tight.readings[0].within_tolerance);
}

#[test]
fn skipped_readings_and_empty_steps() {
    let c = middle_curve(&[]);
    let readings = [
        reading(Timestamp(t0().millis() - 1), 25.0, 23.0),
        reading(at_h(30.0), f64::NAN, 35.0),
        reading(at_h(30.0), 38.0, f64::INFINITY),
        reading(Timestamp(c.end().millis() + 60_000), 67.0, 42.0),
        reading(at_h(100.0), 54.5, 38.0),
    ];
    let report = deviations(&c, &readings, Tolerance::default());
    assert_eq!(report.skipped, 4);
    assert_eq!(report.readings.len(), 1);
    assert_eq!(report.readings[0].step, 4);
    for s in &report.steps {
        if s.step == 4 {
            assert_eq!(s.readings, 1);
            assert!(s.dry_bulb_mean_c.is_some());
        } else {
            assert_eq!(s.readings, 0, "{}", s.code);
            assert_eq!(s.dry_bulb_mean_c, None);
            assert_eq!(s.wet_bulb_mean_c, None);
            assert_eq!(s.dry_bulb_max_abs_c, None);
            assert_eq!(s.wet_bulb_max_abs_c, None);
            assert_eq!(s.within_tolerance_share, None);
        }
    }
    let empty = deviations(&c, &[], Tolerance::default());
    assert_eq!(empty.skipped, 0);
    assert!(empty.readings.is_empty());
    assert!(empty.steps.iter().all(|s| s.readings == 0));
}

// ---------------------------------------------------------------------------------------------
// 5. The recipe book

fn open_book(dir: &TempDir) -> (Arc<Store>, RecipeBook) {
    let store = Arc::new(Store::open_in_dir(dir.path()).unwrap());
    (store.clone(), RecipeBook::new(store))
}

fn custom_json(id: &str, y0_hold_nominal: f64) -> String {
    let mut v = base_json();
    v["id"] = json!(id);
    v["name"] = json!({"zh": "我的配方", "en": "My recipe"});
    v["steps"][0]["hold_nominal_h"] = json!(y0_hold_nominal);
    v.to_string()
}

#[test]
fn book_import_list_get_export() {
    let dir = TempDir::new().unwrap();
    let (_store, book) = open_book(&dir);
    let list = book.list().unwrap();
    assert_eq!(list.len(), 3);
    assert!(list.iter().all(|e| e.source == RecipeSource::BuiltIn));

    let imported = book.import_json(&custom_json("henan-2025", 9.0)).unwrap();
    assert_eq!(imported.id, "henan-2025");
    assert_eq!(imported.steps[0].hold_nominal_h, 9.0);

    let list = book.list().unwrap();
    let ids: Vec<(&str, RecipeSource)> = list
        .iter()
        .map(|e| (e.recipe.id.as_str(), e.source))
        .collect();
    assert_eq!(
        ids,
        [
            ("lower", RecipeSource::BuiltIn),
            ("middle", RecipeSource::BuiltIn),
            ("upper", RecipeSource::BuiltIn),
            ("henan-2025", RecipeSource::Custom),
        ]
    );
    assert_eq!(list[3].recipe, imported);

    let got = book.get("henan-2025").unwrap();
    assert_eq!(got.source, RecipeSource::Custom);
    assert_eq!(got.recipe, imported);
    let b = book.get("upper+high-water").unwrap();
    assert_eq!(b.source, RecipeSource::BuiltIn);
    assert_eq!(b.recipe.id, "upper+high-water");
    assert!(matches!(book.get("nope"), Err(RecipeError::NotFound(id)) if id == "nope"));

    // Export → import round trip.
    let exported = book.export_json("henan-2025").unwrap();
    assert_eq!(exported, imported.to_json());
    assert_eq!(book.import_json(&exported).unwrap(), imported);
    assert_eq!(book.list().unwrap().len(), 4);
    // Built-ins export too, and import under a new id.
    let middle_json = book.export_json("middle+under-ripe").unwrap();
    let mut v: Value = serde_json::from_str(&middle_json).unwrap();
    v["id"] = json!("middle-under-ripe-copy");
    book.import_json(&v.to_string()).unwrap();
    assert_eq!(
        book.get("middle-under-ripe-copy").unwrap().recipe.steps,
        builtin_recipe("middle+under-ripe").unwrap().steps
    );
    assert!(matches!(
        book.export_json("nope"),
        Err(RecipeError::NotFound(_))
    ));
}

#[test]
fn book_custom_recipes_are_listed_by_id() {
    let dir = TempDir::new().unwrap();
    let (_store, book) = open_book(&dir);
    for id in ["zz", "aa", "mm"] {
        book.import_json(&custom_json(id, 8.0)).unwrap();
    }
    let ids: Vec<String> = book
        .list()
        .unwrap()
        .into_iter()
        .skip(3)
        .map(|e| e.recipe.id)
        .collect();
    assert_eq!(ids, ["aa", "mm", "zz"]);
}

#[test]
fn book_reimport_updates() {
    let dir = TempDir::new().unwrap();
    let (store, book) = open_book(&dir);
    book.import_json(&custom_json("mine", 9.0)).unwrap();
    let created: i64 = store
        .read(|c| {
            c.query_row(
                "SELECT created_at FROM custom_recipes WHERE id = 'mine'",
                [],
                |r| r.get(0),
            )
        })
        .unwrap();
    book.import_json(&custom_json("mine", 12.0)).unwrap();
    assert_eq!(
        book.get("mine").unwrap().recipe.steps[0].hold_nominal_h,
        12.0
    );
    assert_eq!(book.list().unwrap().len(), 4);
    let (created_after, updated): (i64, i64) = store
        .read(|c| {
            c.query_row(
                "SELECT created_at, updated_at FROM custom_recipes WHERE id = 'mine'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .unwrap();
    assert_eq!(created_after, created);
    assert!(updated >= created);
}

#[test]
fn book_refuses_builtin_and_derived_ids() {
    let dir = TempDir::new().unwrap();
    let (_store, book) = open_book(&dir);
    for id in ["middle", "lower", "upper"] {
        assert!(
            matches!(book.import_json(&custom_json(id, 8.0)), Err(RecipeError::BuiltIn(ref got)) if got == id),
            "{id}"
        );
    }
    for id in ["middle+under-ripe", "mine+x"] {
        assert!(
            matches!(
                book.import_json(&custom_json(id, 8.0)),
                Err(RecipeError::Field { field: "id", .. })
            ),
            "{id}"
        );
    }
    // Invalid recipes are refused with their validation error and nothing is stored.
    let mut v = base_json();
    v["steps"][1]["wet_bulb_c"] = json!(39.0);
    assert!(matches!(
        book.import_json(&v.to_string()),
        Err(RecipeError::Step {
            index: 1,
            field: "wet_bulb_c",
            ..
        })
    ));
    assert!(matches!(
        book.import_json("{"),
        Err(RecipeError::Json { .. })
    ));
    assert_eq!(book.list().unwrap().len(), 3);
}

#[test]
fn book_delete() {
    let dir = TempDir::new().unwrap();
    let (_store, book) = open_book(&dir);
    book.import_json(&custom_json("mine", 8.0)).unwrap();
    book.import_json(&custom_json("other", 8.0)).unwrap();
    book.delete("mine").unwrap();
    assert!(matches!(book.get("mine"), Err(RecipeError::NotFound(_))));
    assert!(matches!(book.delete("mine"), Err(RecipeError::NotFound(ref id)) if id == "mine"));
    assert_eq!(book.list().unwrap().len(), 4);
    book.get("other").unwrap();
    for id in ["middle", "upper+high-water"] {
        assert!(matches!(book.delete(id), Err(RecipeError::BuiltIn(ref got)) if got == id));
    }
    assert!(matches!(
        book.delete("never"),
        Err(RecipeError::NotFound(_))
    ));
    assert_eq!(builtin_recipes().len(), 3);
}

#[test]
fn book_persists_across_reopen() {
    let dir = TempDir::new().unwrap();
    let imported = {
        let (_store, book) = open_book(&dir);
        let r = book.import_json(&custom_json("kept", 10.0)).unwrap();
        book.import_json(&custom_json("gone", 10.0)).unwrap();
        book.delete("gone").unwrap();
        r
    };
    let (_store, book) = open_book(&dir);
    let list = book.list().unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(list[3].recipe, imported);
    assert_eq!(list[3].source, RecipeSource::Custom);
    assert!(matches!(book.get("gone"), Err(RecipeError::NotFound(_))));
}

#[test]
fn book_corrupt_rows_are_errors_not_panics() {
    let dir = TempDir::new().unwrap();
    let (store, book) = open_book(&dir);
    book.import_json(&custom_json("good", 8.0)).unwrap();
    {
        let conn = rusqlite::Connection::open(store.path()).unwrap();
        conn.execute(
            "INSERT INTO custom_recipes (id, json, created_at, updated_at) VALUES (?1, ?2, 0, 0)",
            ["broken", "{not json"],
        )
        .unwrap();
        // Valid JSON, invalid recipe (wet bulb above dry bulb): damaged as well.
        let mut v = base_json();
        v["id"] = json!("tampered");
        v["steps"][0]["wet_bulb_c"] = json!(40.0);
        conn.execute(
            "INSERT INTO custom_recipes (id, json, created_at, updated_at) VALUES (?1, ?2, 0, 0)",
            ["tampered", v.to_string().as_str()],
        )
        .unwrap();
    }
    for id in ["broken", "tampered"] {
        let e = book.get(id).unwrap_err();
        assert!(
            matches!(e, RecipeError::Store(StoreError::Corrupt(ref m)) if m.contains(id)),
            "{e:?}"
        );
        assert!(e.to_string().contains("corrupt"), "{e}");
        assert!(book.export_json(id).is_err());
    }
    let e = book.list().unwrap_err();
    assert!(e.to_string().contains("corrupt"), "{e}");
    // The good recipe is still readable on its own, and a corrupt row can be deleted.
    book.get("good").unwrap();
    book.delete("broken").unwrap();
    book.delete("tampered").unwrap();
    assert_eq!(book.list().unwrap().len(), 4);
}
