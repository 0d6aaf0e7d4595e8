//! The recipe exchange format: parse untrusted JSON into a validated [`Recipe`], and back.
//!
//! Everything is read loosely (strings and plain numbers) and then checked field by field, so a
//! bad recipe yields an error naming the step and field instead of a serde message.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::error::RecipeError;
use super::recipe::{LeafPosition, Recipe, Stage, Step};
use crate::Text;

/// Current version of the exchange format, written on export.
pub const FORMAT_VERSION: u32 = 1;
/// A real recipe is a few KB; anything far larger is not a recipe.
pub const MAX_JSON_BYTES: usize = 256 * 1024;
const MAX_STEPS: usize = 40;
/// Longest texts accepted, in characters: a name fits a title bar, a leaf state a table cell,
/// a description (with the notes of its adjustments) a screen.
const MAX_NAME_CHARS: usize = 120;
const MAX_STATE_CHARS: usize = 200;
const MAX_DESCRIPTION_CHARS: usize = 2000;
/// Barn controllers work between ambient and ~75 °C; outside that a number is a typo.
pub const TEMP_RANGE_C: (f64, f64) = (25.0, 75.0);
/// Slower than 0.1 °C/h or faster than 5 °C/h is not a curing ramp (domain doc: 0.25–2).
pub const RAMP_RANGE_C_PER_H: (f64, f64) = (0.1, 5.0);
/// No single step holds longer than ten days.
pub const MAX_HOLD_H: f64 = 240.0;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecipe {
    #[serde(default)]
    format: Option<u32>,
    id: String,
    name: Text,
    #[serde(default)]
    position: Option<String>,
    #[serde(default)]
    description: Option<Text>,
    steps: Vec<RawStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    #[serde(default)]
    code: String,
    stage: String,
    dry_bulb_c: f64,
    wet_bulb_c: f64,
    ramp_c_per_h: f64,
    hold_min_h: f64,
    hold_nominal_h: f64,
    hold_max_h: f64,
    ends_when: Text,
}

#[derive(Serialize)]
struct Export<'a> {
    format: u32,
    #[serde(flatten)]
    recipe: &'a Recipe,
}

impl Recipe {
    /// Parses and validates a recipe in the exchange format.
    pub fn from_json(json: &str) -> Result<Recipe, RecipeError> {
        if json.len() > MAX_JSON_BYTES {
            return Err(RecipeError::TooLarge {
                bytes: json.len(),
                limit: MAX_JSON_BYTES,
            });
        }
        let raw: RawRecipe = serde_json::from_str(json).map_err(|e| RecipeError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        if let Some(f) = raw.format
            && f != FORMAT_VERSION
        {
            return Err(RecipeError::field(
                "format",
                format!("不支持的配方格式版本 {f}"),
                format!("unsupported recipe format version {f}"),
            ));
        }
        let position = raw
            .position
            .as_deref()
            .map(|p| {
                serde_json::from_value::<LeafPosition>(serde_json::Value::String(p.to_owned()))
                    .map_err(|_| {
                        RecipeError::field(
                            "position",
                            format!("未知部位 “{p}”，应为 lower、middle 或 upper"),
                            format!("unknown leaf position `{p}`; use lower, middle or upper"),
                        )
                    })
            })
            .transpose()?;
        let steps = raw
            .steps
            .into_iter()
            .enumerate()
            .map(|(i, s)| s.into_step(i))
            .collect::<Result<Vec<_>, _>>()?;
        let recipe = Recipe {
            id: raw.id,
            name: raw.name,
            position,
            description: raw.description.unwrap_or_else(|| Text::new("", "")),
            steps,
        };
        recipe.validate()?;
        Ok(recipe)
    }

    /// The recipe in the exchange format (pretty, stable field order).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&Export {
            format: FORMAT_VERSION,
            recipe: self,
        })
        .unwrap_or_else(|e| unreachable!("recipes always serialise: {e}"))
    }

    /// Checks every rule a recipe must follow; see the constants above for the limits.
    pub fn validate(&self) -> Result<(), RecipeError> {
        validate_id(&self.id)?;
        validate_text("name", &self.name, true, MAX_NAME_CHARS)?;
        validate_text(
            "description",
            &self.description,
            false,
            MAX_DESCRIPTION_CHARS,
        )?;
        if self.steps.is_empty() || self.steps.len() > MAX_STEPS {
            return Err(RecipeError::field(
                "steps",
                format!("步骤数应为 1–{MAX_STEPS}，实际 {}", self.steps.len()),
                format!(
                    "a recipe needs 1–{MAX_STEPS} steps, this one has {}",
                    self.steps.len()
                ),
            ));
        }
        let mut codes = HashSet::new();
        for (i, step) in self.steps.iter().enumerate() {
            validate_step(i, step)?;
            if !codes.insert(step.code.as_str()) {
                return Err(step_err(
                    i,
                    step,
                    "code",
                    format!("步骤代号 {} 重复", step.code),
                    format!("step code {} is used twice", step.code),
                ));
            }
            if let Some(prev) = i.checked_sub(1).map(|p| &self.steps[p])
                && step.stage < prev.stage
            {
                return Err(step_err(
                    i,
                    step,
                    "stage",
                    format!(
                        "阶段顺序错误：{} 不能排在 {} 之后",
                        step.stage.name().zh,
                        prev.stage.name().zh
                    ),
                    format!(
                        "stages must run yellowing → colour fixing → stem drying; {} cannot follow {}",
                        step.stage.key(),
                        prev.stage.key()
                    ),
                ));
            }
        }
        for stage in Stage::ALL {
            if self.first_step_of(stage).is_none() {
                return Err(RecipeError::field(
                    "steps",
                    format!("缺少{}", stage.name().zh),
                    format!("the recipe has no {} step", stage.key()),
                ));
            }
        }
        Ok(())
    }
}

impl RawStep {
    fn into_step(self, index: usize) -> Result<Step, RecipeError> {
        let stage = Stage::from_key(&self.stage).ok_or_else(|| RecipeError::Step {
            index,
            code: self.code.clone(),
            field: "stage",
            reason: Text::new(
                format!(
                    "未知阶段 “{}”，应为 yellowing、colour_fixing 或 stem_drying",
                    self.stage
                ),
                format!(
                    "unknown stage `{}`; use yellowing, colour_fixing or stem_drying",
                    self.stage
                ),
            ),
        })?;
        Ok(Step {
            code: self.code,
            stage,
            dry_bulb_c: self.dry_bulb_c,
            wet_bulb_c: self.wet_bulb_c,
            ramp_c_per_h: self.ramp_c_per_h,
            hold_min_h: self.hold_min_h,
            hold_nominal_h: self.hold_nominal_h,
            hold_max_h: self.hold_max_h,
            ends_when: self.ends_when,
        })
    }
}

fn step_err(index: usize, step: &Step, field: &'static str, zh: String, en: String) -> RecipeError {
    RecipeError::Step {
        index,
        code: step.code.clone(),
        field,
        reason: Text::new(zh, en),
    }
}

fn validate_id(id: &str) -> Result<(), RecipeError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.+".contains(&b))
        && id.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(RecipeError::field(
            "id",
            format!("配方编号 “{id}” 无效：1–64 个小写字母、数字或 - _ .，以字母或数字开头"),
            format!(
                "invalid recipe id `{id}`: 1–64 lowercase letters, digits, - _ . starting with a letter or digit"
            ),
        ))
    }
}

fn validate_text(
    field: &'static str,
    text: &Text,
    required: bool,
    max_chars: usize,
) -> Result<(), RecipeError> {
    if required && text.zh.trim().is_empty() && text.en.trim().is_empty() {
        return Err(RecipeError::field(field, "不能为空", "must not be empty"));
    }
    if text.zh.chars().count() > max_chars || text.en.chars().count() > max_chars {
        return Err(RecipeError::field(
            field,
            format!("太长（最多 {max_chars} 字）"),
            format!("too long (at most {max_chars} characters)"),
        ));
    }
    Ok(())
}

fn validate_step(i: usize, s: &Step) -> Result<(), RecipeError> {
    let err = |field, zh: String, en: String| Err(step_err(i, s, field, zh, en));
    if s.code.trim().is_empty() || s.code.chars().count() > 8 {
        return err(
            "code",
            "步骤代号应为 1–8 个字符".into(),
            "step code must be 1–8 characters".into(),
        );
    }
    let (lo, hi) = TEMP_RANGE_C;
    for (field, v, zh, en) in [
        ("dry_bulb_c", s.dry_bulb_c, "干球", "dry bulb"),
        ("wet_bulb_c", s.wet_bulb_c, "湿球", "wet bulb"),
    ] {
        if !(lo..=hi).contains(&v) {
            return err(
                field,
                format!("{zh}温度 {v} ℃ 超出 {lo}–{hi} ℃"),
                format!("{en} {v} °C is outside {lo}–{hi} °C"),
            );
        }
    }
    if s.wet_bulb_c > s.dry_bulb_c {
        return err(
            "wet_bulb_c",
            format!(
                "湿球 {} ℃ 高于干球 {} ℃，不可能",
                s.wet_bulb_c, s.dry_bulb_c
            ),
            format!(
                "wet bulb {} °C is above dry bulb {} °C, which cannot happen",
                s.wet_bulb_c, s.dry_bulb_c
            ),
        );
    }
    let (rlo, rhi) = RAMP_RANGE_C_PER_H;
    if !(rlo..=rhi).contains(&s.ramp_c_per_h) {
        return err(
            "ramp_c_per_h",
            format!("升温速度 {} ℃/h 不合理（{rlo}–{rhi}）", s.ramp_c_per_h),
            format!(
                "ramp rate {} °C/h is not plausible (allowed {rlo}–{rhi})",
                s.ramp_c_per_h
            ),
        );
    }
    for (field, v) in [
        ("hold_min_h", s.hold_min_h),
        ("hold_nominal_h", s.hold_nominal_h),
        ("hold_max_h", s.hold_max_h),
    ] {
        if !(0.0..=MAX_HOLD_H).contains(&v) {
            return err(
                field,
                format!("保持时间 {v} 小时应在 0–{MAX_HOLD_H} 之间"),
                format!("hold of {v} h must be within 0–{MAX_HOLD_H} h"),
            );
        }
    }
    if s.hold_min_h > s.hold_nominal_h {
        return err(
            "hold_min_h",
            "最短保持时间大于常规保持时间".into(),
            format!(
                "minimum hold {} h is longer than the nominal {} h",
                s.hold_min_h, s.hold_nominal_h
            ),
        );
    }
    if s.hold_nominal_h > s.hold_max_h {
        return err(
            "hold_max_h",
            "最长保持时间小于常规保持时间".into(),
            format!(
                "maximum hold {} h is shorter than the nominal {} h",
                s.hold_max_h, s.hold_nominal_h
            ),
        );
    }
    if s.ends_when.zh.trim().is_empty() && s.ends_when.en.trim().is_empty() {
        return err(
            "ends_when",
            "请写明结束本步的烟叶状态".into(),
            "say which leaf state ends the step".into(),
        );
    }
    if s.ends_when.zh.chars().count() > MAX_STATE_CHARS
        || s.ends_when.en.chars().count() > MAX_STATE_CHARS
    {
        return err(
            "ends_when",
            format!("烟叶状态太长（最多 {MAX_STATE_CHARS} 字）"),
            format!("leaf state is too long (at most {MAX_STATE_CHARS} characters)"),
        );
    }
    Ok(())
}
