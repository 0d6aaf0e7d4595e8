//! Recipe types. Construct them through [`Recipe::from_json`] or the built-ins so every recipe
//! in the program has passed validation.

use serde::{Deserialize, Serialize};

use crate::Text;

/// The three stages of flue-curing, in the order a cure goes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 变黄期: leaf still alive, chlorophyll breaks down.
    Yellowing,
    /// 定色期: kill and dry the lamina to lock the yellow colour.
    ColourFixing,
    /// 干筋期: dry the midribs.
    StemDrying,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Yellowing, Stage::ColourFixing, Stage::StemDrying];

    pub fn name(self) -> Text {
        match self {
            Stage::Yellowing => Text::new("变黄期", "Yellowing"),
            Stage::ColourFixing => Text::new("定色期", "Colour fixing"),
            Stage::StemDrying => Text::new("干筋期", "Stem drying"),
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Stage::Yellowing => "yellowing",
            Stage::ColourFixing => "colour_fixing",
            Stage::StemDrying => "stem_drying",
        }
    }

    pub fn from_key(key: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// Where on the stalk the leaves were picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeafPosition {
    /// 下部叶
    Lower,
    /// 中部叶
    Middle,
    /// 上部叶
    Upper,
}

impl LeafPosition {
    pub fn key(self) -> &'static str {
        match self {
            LeafPosition::Lower => "lower",
            LeafPosition::Middle => "middle",
            LeafPosition::Upper => "upper",
        }
    }
}

/// Field maturity of the load (鲜烟叶成熟度).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Maturity {
    /// 未熟
    Unripe,
    /// 尚熟
    UnderRipe,
    /// 成熟
    Ripe,
    /// 过熟
    OverRipe,
}

/// Water content of the load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaterContent {
    Normal,
    /// 水分大 (rain-wet, dew, lush leaves)
    High,
    /// 水分少 (drought, thick upper leaves)
    Low,
}

/// One step: ramp to the targets at the given rate, then hold until the leaf state is reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Short label shown on charts, e.g. "Y1", "F2".
    pub code: String,
    pub stage: Stage,
    /// Dry-bulb target, °C.
    pub dry_bulb_c: f64,
    /// Wet-bulb target, °C.
    pub wet_bulb_c: f64,
    /// How fast to move to the targets, °C per hour.
    pub ramp_c_per_h: f64,
    pub hold_min_h: f64,
    pub hold_nominal_h: f64,
    pub hold_max_h: f64,
    /// The leaf state that ends the step (operator confirms).
    pub ends_when: Text,
}

impl Step {
    /// Hours needed to ramp from (`dry`, `wet`) to this step's targets. Whichever bulb has further
    /// to go sets the pace, so the wet bulb never jumps when the dry bulb stays put.
    pub fn ramp_hours_from(&self, dry: f64, wet: f64) -> f64 {
        let distance = (self.dry_bulb_c - dry)
            .abs()
            .max((self.wet_bulb_c - wet).abs());
        distance / self.ramp_c_per_h
    }
}

/// A validated curing recipe.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recipe {
    pub id: String,
    pub name: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<LeafPosition>,
    pub description: Text,
    pub steps: Vec<Step>,
}

impl Recipe {
    /// Nominal duration of the whole cure in hours, ramping from `ambient_c`.
    pub fn nominal_hours(&self, ambient_c: f64) -> f64 {
        let Some(first) = self.steps.first() else {
            return 0.0;
        };
        let (mut dry, mut wet) = (ambient_c, ambient_c - (first.dry_bulb_c - first.wet_bulb_c));
        let mut total = 0.0;
        for step in &self.steps {
            total += step.ramp_hours_from(dry, wet) + step.hold_nominal_h;
            (dry, wet) = (step.dry_bulb_c, step.wet_bulb_c);
        }
        total
    }

    /// Index of the first step of `stage`, if the recipe has one.
    pub fn first_step_of(&self, stage: Stage) -> Option<usize> {
        self.steps.iter().position(|s| s.stage == stage)
    }
}
