//! Maturity and water adjustments (§2.1 of the domain doc), applied to a base recipe as deltas.
//! They are data (`data/adjustments.json`), so the technical center can tune them without code.

use std::sync::LazyLock;

use serde::Deserialize;

use super::recipe::{Maturity, Recipe, Stage, Step, WaterContent};
use crate::Text;

/// A named set of changes for loads of a given maturity or water content.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    pub id: String,
    pub name: Text,
    pub notes: Text,
    applies_to: AppliesTo,
    changes: Vec<Change>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppliesTo {
    #[serde(default)]
    maturity: Vec<Maturity>,
    #[serde(default)]
    water: Vec<WaterContent>,
}

/// Which steps of a stage a change touches.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Which {
    All,
    First,
    Last,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Change {
    stage: Stage,
    which: Which,
    /// Only steps whose dry-bulb target (as left by earlier changes) is at most this.
    #[serde(default)]
    dry_bulb_at_most_c: Option<f64>,
    #[serde(default)]
    dry_bulb_delta_c: f64,
    #[serde(default)]
    wet_bulb_delta_c: f64,
    #[serde(default)]
    wet_bulb_max_c: Option<f64>,
    #[serde(default)]
    ramp_factor: Option<f64>,
    #[serde(default)]
    ramp_max_c_per_h: Option<f64>,
    #[serde(default)]
    hold_factor: Option<f64>,
}

/// Wet bulb is kept at least this far below dry bulb after a change (a 0 °C depression means
/// saturated air, which no recipe asks for).
const MIN_DEPRESSION_C: f64 = 0.5;

static ADJUSTMENTS: LazyLock<Vec<Adjustment>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("data/adjustments.json"))
        .unwrap_or_else(|e| panic!("data/adjustments.json is invalid: {e}"))
});

/// All shipped adjustments.
pub fn adjustments() -> &'static [Adjustment] {
    &ADJUSTMENTS
}

impl Adjustment {
    pub fn applies_to_maturity(&self, m: Maturity) -> bool {
        self.applies_to.maturity.contains(&m)
    }

    pub fn applies_to_water(&self, w: WaterContent) -> bool {
        self.applies_to.water.contains(&w)
    }

    /// Applies the changes to `recipe` in place. The result is validated by the caller.
    pub fn apply(&self, recipe: &mut Recipe) {
        for change in &self.changes {
            let in_stage: Vec<usize> = (0..recipe.steps.len())
                .filter(|&i| recipe.steps[i].stage == change.stage)
                .collect();
            let chosen: &[usize] = match change.which {
                Which::All => &in_stage,
                Which::First => in_stage.first().map(std::slice::from_ref).unwrap_or(&[]),
                Which::Last => in_stage.last().map(std::slice::from_ref).unwrap_or(&[]),
            };
            for &i in chosen {
                let step = &mut recipe.steps[i];
                if change
                    .dry_bulb_at_most_c
                    .is_none_or(|cap| step.dry_bulb_c <= cap)
                {
                    change.apply_to(step);
                }
            }
        }
    }
}

impl Change {
    fn apply_to(&self, step: &mut Step) {
        step.dry_bulb_c += self.dry_bulb_delta_c;
        step.wet_bulb_c += self.wet_bulb_delta_c;
        if let Some(max) = self.wet_bulb_max_c {
            step.wet_bulb_c = step.wet_bulb_c.min(max);
        }
        step.wet_bulb_c = step.wet_bulb_c.min(step.dry_bulb_c - MIN_DEPRESSION_C);
        if let Some(f) = self.ramp_factor {
            step.ramp_c_per_h *= f;
        }
        if let Some(max) = self.ramp_max_c_per_h {
            step.ramp_c_per_h = step.ramp_c_per_h.min(max);
        }
        if let Some(f) = self.hold_factor {
            step.hold_min_h *= f;
            step.hold_nominal_h *= f;
            step.hold_max_h *= f;
        }
        // Keep the numbers a technician reads tidy: 0.1 °C, 0.01 °C/h, 0.5 h.
        step.dry_bulb_c = round_to(step.dry_bulb_c, 0.1);
        step.wet_bulb_c = round_to(step.wet_bulb_c, 0.1);
        step.ramp_c_per_h = round_to(step.ramp_c_per_h, 0.01);
        step.hold_min_h = round_to(step.hold_min_h, 0.5);
        step.hold_nominal_h = round_to(step.hold_nominal_h, 0.5);
        step.hold_max_h = round_to(step.hold_max_h, 0.5);
    }
}

fn round_to(v: f64, unit: f64) -> f64 {
    (v / unit).round() * unit
}
