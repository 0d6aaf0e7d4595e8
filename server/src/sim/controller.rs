//! The barn controller (温湿度自控仪): follows the recipe's ramped set points with a PI loop on
//! the heat pump and a PI loop on the dehumidifying vent, runs the circulation fan by stage
//! (§2 fan note), and moves to the next step when the leaves show the state that ends the
//! current one (the operator's confirmation, simulated) or its maximum hold runs out.

use yannong_core::Timestamp;
use yannong_core::barn::api::{Fan, StepAdvance};
use yannong_core::curing::{LeafPosition, Recipe, Stage};

use super::leaf::{Facts, LAMINA_DRY_W, SOFT_LOST, STEM_DRY_W, WILTED_LOST, yellow_lamina};

/// Heating demand per °C below the set point (ENG: 15 kW/K with a 50 kW heat pump).
const KP_HEAT: f64 = 0.3;
/// Integral action, demand per °C·h (integral time 1 h: the barn's leaves and structure react
/// over hours).
const KI_HEAT: f64 = 0.3;
/// Vent opening per °C of wet bulb above its set point.
const KP_VENT: f64 = 0.25;
const KI_VENT: f64 = 0.5;
/// The fan runs high this long after the start (§2: 2–4 h).
const FAN_HIGH_START_H: f64 = 3.0;
/// Readings outside this range are a broken sensor: stop heating (safe state).
const SENSOR_VALID: std::ops::RangeInclusive<f64> = -20.0..=100.0;

/// One leaf-state condition parsed from a step's `ends_when`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cond {
    Yellow(f64),
    Lost(f64),
    Dried(f64),
    LaminaDry,
    StemDry,
    /// Midrib water fraction at or below this (主脉开始变干).
    StemBelow(f64),
    /// Text not understood: end at the nominal hold.
    Nominal,
}

impl Cond {
    fn met(self, f: &Facts) -> bool {
        match self {
            Cond::Yellow(y) => f.yellow >= y,
            Cond::Lost(l) => f.lost >= l,
            Cond::Dried(d) => f.dried >= d,
            Cond::LaminaDry => f.lamina_w <= LAMINA_DRY_W,
            Cond::StemDry => f.stem_w <= STEM_DRY_W,
            Cond::StemBelow(w) => f.stem_w <= w,
            Cond::Nominal => false,
        }
    }
}

/// Chinese numerals one to ten.
fn numeral(c: char) -> Option<f64> {
    "一二三四五六七八九十"
        .chars()
        .position(|n| n == c)
        .map(|i| (i + 1) as f64)
}

/// Reads the §1 milestone words in `zh` as conditions; all must hold.
fn parse_conditions(zh: &str, position: LeafPosition) -> Vec<Cond> {
    let mut out = Vec::new();
    if let Some(i) = zh.find("成黄") {
        // "七至八成黄" → 0.75, "九成黄" → 0.9.
        let before: Vec<char> = zh[..i].chars().collect();
        let n = before.len();
        let last = n.checked_sub(1).and_then(|k| numeral(before[k]));
        let range_low = (n >= 3 && before[n - 2] == '至')
            .then(|| numeral(before[n - 3]))
            .flatten();
        if let Some(hi) = last {
            let tenths = range_low.map_or(hi, |lo| (lo + hi) / 2.0);
            out.push(Cond::Yellow((tenths / 10.0).min(0.95)));
        }
    }
    let words: [(&str, Cond); 13] = [
        ("叶尖变黄", Cond::Yellow(0.12)),
        ("黄片青筋", Cond::Yellow(yellow_lamina(position))),
        ("黄片黄筋", Cond::Yellow(0.96)),
        ("发软", Cond::Lost(SOFT_LOST)),
        ("变软", Cond::Lost(SOFT_LOST)),
        ("凋萎", Cond::Lost(WILTED_LOST)),
        ("塌架", Cond::Lost(WILTED_LOST)),
        ("勾尖卷边", Cond::Dried(0.4)),
        ("软卷筒", Cond::Dried(0.5)),
        ("小卷筒", Cond::Dried(0.62)),
        ("大部分干燥", Cond::Dried(0.85)),
        ("大卷筒", Cond::LaminaDry),
        ("干筋", Cond::StemDry),
    ];
    for (word, cond) in words {
        if zh.contains(word) && !out.contains(&cond) {
            out.push(cond);
        }
    }
    if zh.contains("全干") || zh.contains("叶片干燥") {
        out.push(Cond::LaminaDry);
    }
    if zh.contains("主脉开始变干") {
        out.push(Cond::StemBelow(0.85));
    }
    if out.is_empty() {
        out.push(Cond::Nominal);
    }
    out
}

/// What the controller asks of the barn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Commands {
    /// Heating demand 0..1.
    pub heat: f64,
    /// Vent opening 0..1.
    pub vent: f64,
    pub fan: Fan,
}

#[derive(Debug, Clone)]
pub(crate) struct Controller {
    recipe: Recipe,
    start: Timestamp,
    conditions: Vec<Vec<Cond>>,
    step: usize,
    step_start: Timestamp,
    /// Set point the current step ramps from.
    from: (f64, f64),
    ramp_end: Timestamp,
    advances: Vec<StepAdvance>,
    finished: bool,
    heat_i: f64,
    vent_i: f64,
    pub cmd: Commands,
}

impl Controller {
    pub fn new(
        recipe: Recipe,
        position: LeafPosition,
        start: Timestamp,
        ambient_c: f64,
    ) -> Controller {
        let conditions = recipe
            .steps
            .iter()
            .map(|s| parse_conditions(&s.ends_when.zh, position))
            .collect();
        // Same start as ExpectedCurve: from ambient, wet bulb at the first step's depression.
        let from = match recipe.steps.first() {
            Some(s) => (
                ambient_c,
                (ambient_c - (s.dry_bulb_c - s.wet_bulb_c)).min(ambient_c),
            ),
            None => (ambient_c, ambient_c),
        };
        let mut c = Controller {
            recipe,
            start,
            conditions,
            step: 0,
            step_start: start,
            from,
            ramp_end: start,
            advances: Vec::new(),
            finished: false,
            heat_i: 0.0,
            vent_i: 0.0,
            cmd: Commands {
                heat: 0.0,
                vent: 0.0,
                fan: Fan::High,
            },
        };
        c.finished = c.recipe.steps.is_empty();
        c.enter_step(0, start, from);
        c
    }

    fn enter_step(&mut self, index: usize, at: Timestamp, from: (f64, f64)) {
        self.step = index;
        self.step_start = at;
        self.from = from;
        self.ramp_end = match self.recipe.steps.get(index) {
            Some(s) => at.add_hours(s.ramp_hours_from(from.0, from.1)),
            None => at,
        };
    }

    pub fn step(&self) -> usize {
        self.step
    }

    pub fn advances(&self) -> &[StepAdvance] {
        &self.advances
    }

    pub fn finished(&self) -> bool {
        self.finished
    }

    /// The ramped (dry, wet) set points at `t`, mirroring `ExpectedCurve`'s interpolation.
    pub fn setpoint(&self, t: Timestamp) -> Option<(f64, f64)> {
        if self.finished {
            return None;
        }
        let s = self.recipe.steps.get(self.step)?;
        let span = (self.ramp_end.millis() - self.step_start.millis()) as f64;
        if span <= 0.0 || t >= self.ramp_end {
            return Some((s.dry_bulb_c, s.wet_bulb_c));
        }
        let f = ((t.millis() - self.step_start.millis()) as f64 / span).clamp(0.0, 1.0);
        Some((
            self.from.0 + (s.dry_bulb_c - self.from.0) * f,
            self.from.1 + (s.wet_bulb_c - self.from.1) * f,
        ))
    }

    /// Ends the step when its leaf state is reached after the minimum hold, or at the maximum.
    pub fn maybe_advance(&mut self, t: Timestamp, leaf: &Facts, milestone: &str) {
        let Some(s) = self.recipe.steps.get(self.step) else {
            return;
        };
        if self.finished || t < self.ramp_end {
            return;
        }
        let held = t.hours_since(self.ramp_end);
        let conds = &self.conditions[self.step];
        let nominal = conds.contains(&Cond::Nominal) && held >= s.hold_nominal_h;
        let reached = conds.iter().all(|c| c.met(leaf));
        let leaf_state = if (reached && held >= s.hold_min_h) || nominal {
            s.ends_when.zh.clone()
        } else if held >= s.hold_max_h {
            format!("已到最长保持时间；烟叶状态：{milestone}")
        } else {
            return;
        };
        self.advances.push(StepAdvance {
            step: self.step as u32,
            at: t,
            leaf_state: Some(leaf_state),
        });
        let target = (s.dry_bulb_c, s.wet_bulb_c);
        if self.step + 1 >= self.recipe.steps.len() {
            self.finished = true;
        } else {
            self.enter_step(self.step + 1, t, target);
        }
    }

    /// One control period of `dt_s` seconds at `t` with the sensors reading `dry`/`wet`.
    pub fn update(&mut self, t: Timestamp, dt_s: f64, dry: f64, wet: f64) {
        let Some((sp_dry, sp_wet)) = self.setpoint(t) else {
            // Cure done (D2 advanced): heat off, vents shut, fan low while the barn cools.
            self.cmd = Commands {
                heat: 0.0,
                vent: 0.0,
                fan: Fan::Low,
            };
            return;
        };
        let h = dt_s / 3600.0;
        let heat = if SENSOR_VALID.contains(&dry) {
            let e = sp_dry - dry;
            // Conditional integration: the integrator only moves while the output is not
            // saturated in the same direction (anti-windup).
            let out = KP_HEAT * e + self.heat_i;
            if !((out >= 1.0 && e > 0.0) || (out <= 0.0 && e < 0.0)) {
                self.heat_i = (self.heat_i + KI_HEAT * e * h).clamp(0.0, 1.0);
            }
            (KP_HEAT * e + self.heat_i).clamp(0.0, 1.0)
        } else {
            self.heat_i = 0.0;
            0.0
        };
        let e = wet - sp_wet;
        let out = KP_VENT * e + self.vent_i;
        if !((out >= 1.0 && e > 0.0) || (out <= 0.0 && e < 0.0)) {
            self.vent_i = (self.vent_i + KI_VENT * e * h).clamp(0.0, 1.0);
        }
        let vent = (KP_VENT * e + self.vent_i).clamp(0.0, 1.0);
        let stage = self.recipe.steps[self.step].stage;
        let fan = if t.hours_since(self.start) < FAN_HIGH_START_H {
            Fan::High
        } else {
            match stage {
                Stage::Yellowing | Stage::StemDrying => Fan::Low,
                Stage::ColourFixing => Fan::High,
            }
        };
        self.cmd = Commands { heat, vent, fan };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yannong_core::curing::builtin_recipes;

    #[test]
    fn every_builtin_step_has_a_leaf_condition() {
        for r in builtin_recipes() {
            for s in &r.steps {
                let c = parse_conditions(&s.ends_when.zh, LeafPosition::Middle);
                assert!(
                    !c.contains(&Cond::Nominal),
                    "{} {}: {}",
                    r.id,
                    s.code,
                    s.ends_when.zh
                );
            }
        }
    }

    #[test]
    fn yellowing_degree_is_read_from_numerals() {
        let m = LeafPosition::Middle;
        assert_eq!(
            parse_conditions("七至八成黄，叶片发软", m),
            vec![Cond::Yellow(0.75), Cond::Lost(SOFT_LOST)]
        );
        assert_eq!(parse_conditions("三成黄", m), vec![Cond::Yellow(0.3)]);
        assert_eq!(parse_conditions("全炉干筋", m), vec![Cond::StemDry]);
        assert_eq!(parse_conditions("随便", m), vec![Cond::Nominal]);
    }
}
