//! Plain-text tables for the terminal.

use std::fmt::Write as _;

use yannong_core::curing::{ExpectedCurve, Recipe, adjustments, builtin_recipes};

pub fn recipes_table() -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{:<8} {:>5} {:>9}  name", "id", "steps", "nominal");
    for r in builtin_recipes() {
        let h = r.nominal_hours(25.0);
        let _ = writeln!(
            s,
            "{:<8} {:>5} {:>5.0} h   {} / {}",
            r.id,
            r.steps.len(),
            h,
            r.name.zh,
            r.name.en
        );
    }
    let _ = writeln!(
        s,
        "\nadjustments (append to an id with +, e.g. middle+under-ripe):"
    );
    for a in adjustments() {
        let _ = writeln!(s, "  +{:<11} {} / {}", a.id, a.name.zh, a.name.en);
    }
    s
}

pub fn curve_table(recipe: &Recipe, curve: &ExpectedCurve) -> String {
    let mut s = String::new();
    let hours = |t: yannong_core::Timestamp| t.hours_since(curve.start);
    let _ = writeln!(s, "{} — {} / {}", recipe.id, recipe.name.zh, recipe.name.en);
    let _ = writeln!(
        s,
        "{:<4} {:<13} {:>6} {:>6} {:>7} {:>8} {:>8} {:>13}  ends when",
        "step", "stage", "DB °C", "WB °C", "°C/h", "start h", "end h", "end range h"
    );
    for (step, w) in recipe.steps.iter().zip(&curve.steps) {
        let _ = writeln!(
            s,
            "{:<4} {:<13} {:>6.1} {:>6.1} {:>7.2} {:>8.1} {:>8.1} {:>6.1}–{:<6.1}  {}",
            step.code,
            step.stage.key(),
            step.dry_bulb_c,
            step.wet_bulb_c,
            step.ramp_c_per_h,
            hours(w.start),
            hours(w.end),
            hours(w.end_earliest),
            hours(w.end_latest),
            step.ends_when.zh
        );
    }
    let total = hours(curve.end());
    let _ = writeln!(
        s,
        "total: {:.0} h nominal ({:.1} days), {:.0}–{:.0} h by the holds",
        total,
        total / 24.0,
        hours(curve.steps.last().map_or(curve.start, |w| w.end_earliest)),
        hours(curve.steps.last().map_or(curve.start, |w| w.end_latest)),
    );
    s
}
