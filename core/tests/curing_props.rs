//! Property tests of the curing module through its public API: random valid recipes, ambient
//! temperatures and operator advances; the expected curve must stay ordered, continuous, within
//! the ramp rates and holds, and the exchange format must round-trip and never panic.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::AtomicBool;

use proptest::collection::vec;
use proptest::prelude::*;
use yannong_core::curing::*;
use yannong_core::{Text, Timestamp};

const H_MS: f64 = 3_600_000.0;
/// Rounding every ramp and hold end to the millisecond moves a window by at most this much.
const ROUNDING_MS: i64 = 2;
const EPS: f64 = 1e-6;

fn start() -> Timestamp {
    Timestamp::from_secs(1_750_000_000)
}

fn hold() -> impl Strategy<Value = f64> {
    prop_oneof![4 => 0.0..=100.0f64, 1 => Just(0.0)]
}

/// One step's numbers: dry bulb 30–70, wet bulb 25 … dry − 0.5, ramp 0.1–5, holds 0–100 sorted.
/// Now and then the targets are a fixed 40/35 and holds are 0, so consecutive steps without a
/// ramp and zero-length windows occur too.
fn step_numbers() -> impl Strategy<Value = (f64, f64, f64, [f64; 3])> {
    (
        prop_oneof![4 => 30.0..=70.0f64, 1 => Just(40.0)],
        prop_oneof![4 => 0.0..=1.0f64, 1 => Just(10.0 / 14.5)],
        0.1..=5.0f64,
        [hold(), hold(), hold()],
    )
        .prop_map(|(dry, frac, ramp, mut holds)| {
            let wet = 25.0 + frac * (dry - 0.5 - 25.0);
            holds.sort_by(f64::total_cmp);
            (dry, wet, ramp, holds)
        })
}

fn text() -> impl Strategy<Value = Text> {
    (
        "[a-z\u{4e00}-\u{4e20}][a-z \u{4e00}-\u{9fa5}\"\\\\/\n]{0,30}",
        "[ -~]{0,30}",
    )
        .prop_map(|(zh, en)| Text::new(zh, en))
}

/// A random valid recipe: 3–12 steps whose stages run yellowing → colour fixing → stem drying,
/// each stage present.
fn recipe() -> impl Strategy<Value = Recipe> {
    (3usize..=12)
        .prop_flat_map(|n| {
            let cuts = (1..n - 1).prop_flat_map(move |a| (Just(a), a + 1..n));
            (
                cuts,
                vec(step_numbers(), n),
                "[a-z0-9][a-z0-9_.+-]{0,20}",
                text(),
                proptest::option::of(prop_oneof![
                    Just(LeafPosition::Lower),
                    Just(LeafPosition::Middle),
                    Just(LeafPosition::Upper)
                ]),
                text(),
                vec(text(), n),
            )
        })
        .prop_map(|((a, b), numbers, id, name, position, description, ends)| {
            let steps = numbers
                .into_iter()
                .zip(ends)
                .enumerate()
                .map(|(i, ((dry, wet, ramp, holds), ends_when))| Step {
                    code: format!("S{i}"),
                    stage: if i < a {
                        Stage::Yellowing
                    } else if i < b {
                        Stage::ColourFixing
                    } else {
                        Stage::StemDrying
                    },
                    dry_bulb_c: dry,
                    wet_bulb_c: wet,
                    ramp_c_per_h: ramp,
                    hold_min_h: holds[0],
                    hold_nominal_h: holds[1],
                    hold_max_h: holds[2],
                    ends_when: Text::new(format!("{}状态", ends_when.zh), ends_when.en),
                })
                .collect();
            Recipe {
                id,
                name: Text::new(format!("配方{}", name.zh), name.en),
                position,
                description,
                steps,
            }
        })
}

/// Operator advances: up to one per step, each 0–120 h after the previous one (so some land
/// mid-ramp, some on time, some long after the projected end).
fn advances(n: usize) -> impl Strategy<Value = Vec<Timestamp>> {
    vec(prop_oneof![4 => 0.0..=120.0f64, 1 => Just(0.0)], 0..=n).prop_map(|gaps| {
        let mut t = start();
        gaps.into_iter()
            .map(|g| {
                t = t.add_hours(g);
                t
            })
            .collect()
    })
}

fn case() -> impl Strategy<Value = (Recipe, f64, Vec<Timestamp>)> {
    recipe().prop_flat_map(|r| {
        let n = r.steps.len();
        (Just(r), 5.0..=35.0f64, advances(n))
    })
}

/// `r` with every step number rounded to 0.001, as typed in an editor.
fn quantised(mut r: Recipe) -> Recipe {
    let q = |v: &mut f64| *v = (*v * 1000.0).round() / 1000.0;
    for s in &mut r.steps {
        for v in [
            &mut s.dry_bulb_c,
            &mut s.wet_bulb_c,
            &mut s.ramp_c_per_h,
            &mut s.hold_min_h,
            &mut s.hold_nominal_h,
            &mut s.hold_max_h,
        ] {
            q(v);
        }
    }
    r
}

fn max_ramp(r: &Recipe) -> f64 {
    r.steps.iter().map(|s| s.ramp_c_per_h).fold(0.0, f64::max)
}

fn ms(a: Timestamp, b: Timestamp) -> i64 {
    b.millis() - a.millis()
}

fn check_knots(name: &str, knots: &[Knot], max_rate: f64) -> Result<(), TestCaseError> {
    prop_assert!(knots.len() >= 2, "{name}: {} knots", knots.len());
    prop_assert_eq!(knots[0].t, start());
    for (i, pair) in knots.windows(2).enumerate() {
        let (a, b) = (&pair[0], &pair[1]);
        prop_assert!(a.t <= b.t, "{name}: knot {i} at {:?} after {:?}", a.t, b.t);
        let dt_h = ms(a.t, b.t) as f64 / H_MS;
        let (d_dry, d_wet) = (
            (b.dry_bulb_c - a.dry_bulb_c).abs(),
            (b.wet_bulb_c - a.wet_bulb_c).abs(),
        );
        if dt_h == 0.0 {
            prop_assert!(
                d_dry <= EPS && d_wet <= EPS,
                "{name}: jump at knot {i}: {a:?} → {b:?}"
            );
        } else {
            // Rounding the segment ends to 1 ms may steepen it by up to 1 ms worth of ramp.
            let allowed = max_rate * (dt_h + 1.0 / H_MS) + EPS;
            prop_assert!(
                d_dry <= allowed && d_wet <= allowed,
                "{name}: segment {i} too steep: {a:?} → {b:?}"
            );
        }
    }
    for k in knots {
        prop_assert!(
            k.wet_bulb_c <= k.dry_bulb_c + EPS,
            "{name}: wet above dry at {k:?}"
        );
    }
    Ok(())
}

proptest! {
    // 256 cases (or PROPTEST_CASES). Failures are not persisted to a regressions file next to
    // this one; the shrunk failing input is printed instead.
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_recipes_are_valid(r in recipe()) {
        prop_assert!(r.validate().is_ok(), "{:?}", r.validate());
    }

    #[test]
    fn curves_are_ordered_continuous_and_respect_ramps((r, ambient, adv) in case()) {
        let c = ExpectedCurve::new(&r, start(), ambient, &adv).unwrap();
        let rate = max_ramp(&r);
        check_knots("nominal", &c.nominal, rate)?;
        check_knots("fastest", &c.fastest, rate)?;
        check_knots("slowest", &c.slowest, rate)?;
        prop_assert_eq!(c.steps.len(), r.steps.len());
        prop_assert_eq!(c.end(), c.nominal.last().unwrap().t);
        prop_assert!(c.fastest.last().unwrap().t <= c.end());
        prop_assert!(c.end() <= c.slowest.last().unwrap().t);
        prop_assert_eq!(c.steps[0].start, start());
        for (i, w) in c.steps.iter().enumerate() {
            prop_assert_eq!(w.index, i);
            prop_assert_eq!(w.advanced, i < adv.len());
            prop_assert!(w.start <= w.ramp_end && w.ramp_end <= w.end, "{w:?}");
            prop_assert!(w.end_earliest <= w.end && w.end <= w.end_latest, "{w:?}");
            if let Some(&t) = adv.get(i) {
                prop_assert_eq!((w.end, w.end_earliest, w.end_latest), (t, t, t));
            }
            if i + 1 < c.steps.len() {
                prop_assert_eq!(w.end, c.steps[i + 1].start);
            }
        }
        prop_assert_eq!(c.steps.last().unwrap().end, c.end());
    }

    #[test]
    fn sampled_curve_moves_no_faster_than_the_ramps((r, ambient, adv) in case()) {
        let c = ExpectedCurve::new(&r, start(), ambient, &adv).unwrap();
        let every = 60_000;
        let samples = c.sample(every, &AtomicBool::new(false)).unwrap();
        prop_assert_eq!(samples[0].t, start());
        prop_assert_eq!(samples.last().unwrap().t, c.end());
        let allowed = max_ramp(&r) / 60.0 + EPS;
        for pair in samples.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let dt = ms(a.t, b.t);
            prop_assert!(dt > 0 && dt <= every, "spacing {dt} ms");
            if b.t != c.end() {
                prop_assert_eq!(dt, every);
            }
            prop_assert!(a.step <= b.step, "steps go back: {a:?} → {b:?}");
            prop_assert!(
                (b.dry_bulb_c - a.dry_bulb_c).abs() <= allowed
                    && (b.wet_bulb_c - a.wet_bulb_c).abs() <= allowed,
                "jump between samples {a:?} → {b:?} (max ramp {} °C/h)",
                max_ramp(&r)
            );
        }
        for p in &samples {
            prop_assert!(p.wet_bulb_c <= p.dry_bulb_c + EPS, "wet above dry: {p:?}");
            prop_assert_eq!(Some(p.step), c.step_at(p.t));
            let q = c.setpoint_at(p.t).unwrap();
            prop_assert!(
                (q.dry_bulb_c - p.dry_bulb_c).abs() <= EPS
                    && (q.wet_bulb_c - p.wet_bulb_c).abs() <= EPS,
                "sample {p:?} vs setpoint_at {q:?}"
            );
        }
    }

    #[test]
    fn holds_sit_on_the_targets((r, ambient, adv) in case()) {
        let c = ExpectedCurve::new(&r, start(), ambient, &adv).unwrap();
        for (w, s) in c.steps.iter().zip(&r.steps) {
            let cut = w.advanced && w.ramp_end == w.end;
            if cut {
                continue;
            }
            let mid = Timestamp((w.ramp_end.millis() + w.end.millis()) / 2);
            for t in [w.ramp_end, mid, w.end] {
                let p = c.setpoint_at(t).unwrap();
                prop_assert!(
                    (p.dry_bulb_c - s.dry_bulb_c).abs() <= EPS
                        && (p.wet_bulb_c - s.wet_bulb_c).abs() <= EPS,
                    "step {} at {:?}: set point {p:?}, target {}/{} ({w:?})",
                    s.code, t, s.dry_bulb_c, s.wet_bulb_c
                );
            }
        }
    }

    #[test]
    fn windows_last_ramp_plus_hold((r, ambient, adv) in case()) {
        let c = ExpectedCurve::new(&r, start(), ambient, &adv).unwrap();
        for (i, (w, s)) in c.steps.iter().zip(&r.steps).enumerate() {
            if w.advanced {
                continue;
            }
            // Where this step ramps from: the curve at its start (a target, or wherever an
            // advance cut the previous ramp).
            let from = c.setpoint_at(w.start).unwrap();
            let ramp_h = s.ramp_hours_from(from.dry_bulb_c, from.wet_bulb_c);
            let ramp_ms = ramp_h * H_MS;
            let close = |actual: i64, expected_h: f64| {
                (actual as f64 - expected_h * H_MS).abs() <= ROUNDING_MS as f64
            };
            prop_assert!(close(ms(w.start, w.ramp_end), ramp_h), "ramp of {}: {w:?}", s.code);
            let len = ms(w.start, w.end) as f64;
            prop_assert!(
                len >= ramp_ms + s.hold_min_h * H_MS - ROUNDING_MS as f64
                    && len <= ramp_ms + s.hold_max_h * H_MS + ROUNDING_MS as f64,
                "window of {} lasts {len} ms: ramp {ramp_h} h, holds {}–{} h",
                s.code, s.hold_min_h, s.hold_max_h
            );
            prop_assert!(close(ms(w.start, w.end), ramp_h + s.hold_nominal_h));
            // The bounding curves: each projected step adds its ramp and its min/max hold.
            let (prev_early, prev_late) = match i.checked_sub(1).map(|p| &c.steps[p]) {
                Some(p) => (p.end_earliest, p.end_latest),
                None => (start(), start()),
            };
            prop_assert!(close(ms(prev_early, w.end_earliest), ramp_h + s.hold_min_h));
            prop_assert!(close(ms(prev_late, w.end_latest), ramp_h + s.hold_max_h));
        }
    }

    #[test]
    fn nominal_hours_match_the_curve((r, ambient) in (recipe(), 5.0..=35.0f64)) {
        let c = ExpectedCurve::new(&r, start(), ambient, &[]).unwrap();
        let hours = c.end().hours_since(start());
        let rounding_h = (2 * r.steps.len()) as f64 / H_MS;
        prop_assert!((hours - r.nominal_hours(ambient)).abs() <= rounding_h);
    }

    #[test]
    fn deviations_of_the_curve_itself_are_zero((r, ambient, adv) in case()) {
        let c = ExpectedCurve::new(&r, start(), ambient, &adv).unwrap();
        let readings: Vec<Reading> = c
            .sample(3_600_000, &AtomicBool::new(false))
            .unwrap()
            .into_iter()
            .map(|p| Reading { t: p.t, dry_bulb_c: p.dry_bulb_c, wet_bulb_c: p.wet_bulb_c })
            .collect();
        let report = deviations(&c, &readings, Tolerance::default());
        prop_assert_eq!(report.skipped, 0);
        prop_assert_eq!(report.readings.len(), readings.len());
        prop_assert_eq!(report.steps.iter().map(|s| s.readings).sum::<usize>(), readings.len());
        for s in &report.steps {
            prop_assert_eq!(s.within_tolerance_share.is_some(), s.readings > 0);
            if let Some(share) = s.within_tolerance_share {
                prop_assert_eq!(share, 1.0);
            }
        }
    }

    /// Numbers as a technician types them (up to three decimals) come back bit for bit.
    #[test]
    fn json_round_trips_typed_numbers_exactly(r in recipe()) {
        let r = quantised(r);
        prop_assert!(r.validate().is_ok(), "{:?}", r.validate());
        let json = r.to_json();
        let back = Recipe::from_json(&json);
        prop_assert!(back.is_ok(), "{:?}\n{json}", back);
        let back = back.unwrap();
        prop_assert_eq!(back.to_json(), json);
        prop_assert_eq!(back, r);
    }

    #[test]
    fn json_round_trips_exactly(r in recipe()) {
        let json = r.to_json();
        let back = Recipe::from_json(&json);
        prop_assert!(back.is_ok(), "{:?}\n{json}", back);
        prop_assert_eq!(back.unwrap(), r);
    }

    #[test]
    fn from_json_never_panics_on_arbitrary_strings(s in any::<String>()) {
        let _ = Recipe::from_json(&s);
    }

    #[test]
    fn from_json_never_panics_on_damaged_recipes(
        r in recipe(),
        cut in any::<prop::sample::Index>(),
        insert in "[\\[\\]{}\",:0-9eE.+-]{0,3}",
        remove in 0usize..4,
    ) {
        let json = r.to_json();
        let chars: Vec<char> = json.chars().collect();
        let at = cut.index(chars.len());
        let end = (at + remove).min(chars.len());
        let damaged: String = chars[..at]
            .iter()
            .copied()
            .chain(insert.chars())
            .chain(chars[end..].iter().copied())
            .collect();
        // Whatever comes out, an accepted recipe is valid and draws a curve.
        if let Ok(recipe) = Recipe::from_json(&damaged) {
            prop_assert!(recipe.validate().is_ok());
            prop_assert!(ExpectedCurve::new(&recipe, start(), 20.0, &[]).is_ok());
        }
    }

    #[test]
    fn from_json_never_panics_on_any_numbers(
        r in recipe(),
        field in prop::sample::select(vec![
            "dry_bulb_c", "wet_bulb_c", "ramp_c_per_h", "hold_min_h", "hold_nominal_h",
            "hold_max_h",
        ]),
        which in any::<prop::sample::Index>(),
        value in prop_oneof![
            any::<f64>().prop_filter("finite", |v| v.is_finite()),
            Just(0.0), Just(-0.0), Just(f64::MAX), Just(f64::MIN), Just(f64::MIN_POSITIVE),
            Just(75.0), Just(25.0), Just(240.0), Just(5.0), Just(0.1),
        ],
    ) {
        let mut v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        let i = which.index(r.steps.len());
        v["steps"][i][field] = serde_json::json!(value);
        match Recipe::from_json(&v.to_string()) {
            Ok(recipe) => {
                let c = ExpectedCurve::new(&recipe, start(), -20.0, &[]).unwrap();
                let samples = c.sample(3_600_000, &AtomicBool::new(false)).unwrap();
                prop_assert_eq!(samples.last().unwrap().t, c.end());
            }
            Err(RecipeError::Step { index, .. }) => prop_assert_eq!(index, i),
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}
