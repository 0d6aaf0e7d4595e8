//! The leaf check (慧眼识烟) on the FFI: load the model once, hand over a camera frame or a
//! gallery photo, get the verdict, maturity, disease, advice and lesson links back; keep the
//! answers the farmer wants in the check history.
//!
//! Frames cross without a copy on the Kotlin/Swift side (`&[u8]` from a direct `ByteBuffer` or
//! `Data`) into a [`LeafFrame`], which copies them once on the Rust side during the synchronous
//! call: borrowed foreign memory is only valid for that call, while the check itself runs later
//! on the blocking pool. The camera's buffer can be given back as soon as the frame exists.

mod convert;
mod engine;
mod frame;
mod saved;
#[cfg(test)]
mod tests;

use convert::{answer, check_error, leaf_maturity, model_error, result};
pub use engine::LeafCheckEngine;
pub use frame::LeafFrame;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use yannong_core::cancel::Cancel;
use yannong_core::curing::Maturity;
use yannong_core::leaf::history::{self, HistoryEntry};
use yannong_core::leaf::model::{HeadAnswer, HeadKind, LabelProbability, LeafModel, ModelError};
use yannong_core::leaf::{
    Advice, Check, CheckError, CheckOptions, ColourFeatures, Failure, Frame, LeafAnswer,
    LeafChecker, LeafError, LessonTopic, MaturityAnswer, MaturitySource, ModelId, Pixels, Plane,
    PrepareOptions, Problem, QualityMetrics, QualityReport, Rotation, VeinContrast, Verdict,
    YuvRange, answer_json, maturity_topic,
};
use yannong_core::text::Locale;
use yannong_core::{Text, Timestamp};

use crate::lessons::{Lesson, LessonLinkKind, Lessons};
use crate::runtime::blocking;
use crate::types::{LeafMaturity, LeafPosition, LocalizedText};
use crate::{Yannong, YannongError};

// ---------------------------------------------------------------------------------------------
// Records and enums

/// How to check a leaf.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct LeafCheckOptions {
    /// Side of the centre square to check, as a fraction of the frame's shorter side
    /// (0.05–1); match the guide square the camera screen draws. Gallery photos that are
    /// already framed: 1.
    #[uniffi(default = 0.8)]
    pub roi_fraction: f64,
    /// Where on the stalk the leaf grows; the harvest advice and recipe depend on it.
    pub position: LeafPosition,
    /// A disease is listed under `problems` from this calibrated probability on (0–1).
    #[uniffi(default = 0.3)]
    pub problem_min: f64,
}

impl Default for LeafCheckOptions {
    fn default() -> LeafCheckOptions {
        LeafCheckOptions {
            roi_fraction: 0.8,
            position: LeafPosition::Middle,
            problem_min: 0.3,
        }
    }
}

/// The headline of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LeafVerdict {
    /// Judged: maturity, problems and advice are answers.
    Ok,
    /// The photo is not good enough; `hints` say how to retake it.
    Retake,
    /// A leaf was seen but the model does not know; nothing below is an answer.
    NotSure,
    /// No (or too little) leaf in the picture.
    NoLeaf,
}

/// Where a maturity class came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LeafMaturitySource {
    /// A maturity head of the model, calibrated.
    Model,
    /// The transparent colour rule (an estimate).
    Colour,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LeafMaturityAnswer {
    pub class: LeafMaturity,
    pub name: LocalizedText,
    pub source: LeafMaturitySource,
    /// Calibrated probability of a model answer; `None` for the colour rule.
    pub probability: Option<f64>,
    /// False when the source itself is unsure (near a class boundary, low probability).
    pub sure: bool,
    /// What was seen, e.g. "约6成黄，叶色黄绿，主脉发白".
    pub explanation: LocalizedText,
}

/// One label's calibrated probability.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LeafLabelProbability {
    /// The model's label id, e.g. `alternaria`, `healthy`.
    pub id: String,
    pub name: LocalizedText,
    pub probability: f64,
}

/// The disease head's answer (also when not sure, so the probabilities can be shown).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LeafDisease {
    /// The most probable label.
    pub id: String,
    pub name: LocalizedText,
    pub probability: f64,
    /// False when the top label is only a hint (below the model's "not sure" thresholds).
    pub confident: bool,
    /// Every label, in the model's order; they sum to 1.
    pub probabilities: Vec<LeafLabelProbability>,
}

/// A problem seen on the leaf.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LeafProblem {
    pub id: String,
    pub name: LocalizedText,
    pub probability: f64,
}

/// A lesson worth reading: pass `kind` and `key` to the lesson library.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LeafLessonTopic {
    pub kind: LessonLinkKind,
    /// E.g. `over_ripe` for a leaf class, `brown_spot` for a disease.
    pub key: String,
}

/// What to do now.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LeafAdvice {
    /// Harvest decision for the maturity seen.
    pub harvest: LocalizedText,
    /// The built-in recipe that suits such a load, e.g. `middle+under-ripe`.
    pub recipe_id: Option<String>,
    pub recipe_name: Option<LocalizedText>,
    /// Extra notes, e.g. on a disease seen.
    pub notes: Vec<LocalizedText>,
    /// Lessons worth reading, most relevant first.
    pub lessons: Vec<LeafLessonTopic>,
}

/// One check of the photo-quality gate, most important first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LeafQualityCheck {
    TooDark,
    TooBright,
    Blurry,
    NoLeaf,
    Glare,
}

/// One failed quality check: what was measured and the limit it broke.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LeafQualityFailure {
    pub check: LeafQualityCheck,
    /// The metric that broke the limit, e.g. `mean_luma`.
    pub metric: String,
    pub measured: f64,
    pub threshold: f64,
    /// What the farmer should do.
    pub hint: LocalizedText,
}

/// What the gate measured on the checked square (see docs/leaf-quality-gate.md).
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct LeafQualityMetrics {
    pub blur_laplacian_var: f64,
    pub blur_directional_min: f64,
    /// 0–255.
    pub mean_luma: f64,
    pub dark_fraction: f64,
    pub bright_fraction: f64,
    pub glare_fraction: f64,
    /// Share of the square that is leaf, 0–1.
    pub leaf_coverage: f64,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LeafQuality {
    pub passed: bool,
    /// Every failed check, most important first.
    pub failures: Vec<LeafQualityFailure>,
    pub metrics: LeafQualityMetrics,
}

/// Veins against the lamina, when thin bright structures were found.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct LeafVeinContrast {
    pub share: f64,
    pub delta_l: f64,
    /// < 1: veins paler (whiter) than the lamina.
    pub chroma_ratio: f64,
}

/// The leaf's colour (CIE L*a*b* over the leaf pixels).
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct LeafColour {
    pub leaf_pixels: u32,
    pub lab_l: f64,
    pub lab_a: f64,
    pub lab_b: f64,
    pub chroma: f64,
    pub hue_deg: f64,
    pub yellow_fraction: f64,
    pub yellow_green_fraction: f64,
    pub green_fraction: f64,
    /// Yellowed share of the leaf (落黄, "N成黄"), 0–1.
    pub yellowing: f64,
    pub vein: Option<LeafVeinContrast>,
}

/// Which model answered.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LeafModelInfo {
    pub name: String,
    pub version: u32,
}

/// Everything one check found.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LeafResult {
    pub verdict: LeafVerdict,
    /// What to do about the verdict (retake hints, "not sure"); empty for `Ok`.
    pub hints: Vec<LocalizedText>,
    /// Only for `Ok`.
    pub maturity: Option<LeafMaturityAnswer>,
    /// Whenever the model ran.
    pub disease: Option<LeafDisease>,
    /// Only for `Ok`.
    pub problems: Vec<LeafProblem>,
    /// Only for `Ok`.
    pub advice: Option<LeafAdvice>,
    pub quality: LeafQuality,
    pub colour: Option<LeafColour>,
    /// `None` for a colour-only checker.
    pub model: Option<LeafModelInfo>,
    /// The model's closeness to its training pictures, when it ran.
    pub similarity: Option<f64>,
    /// A small JPEG of the checked square (96 px), for lists and the history.
    pub thumbnail: Vec<u8>,
    /// The answer as the core's JSON (same as `yannong leaf check --json`), to log or forward.
    pub json: String,
}

/// One saved check as the history list shows it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LeafHistoryEntry {
    pub id: i64,
    pub checked_at: SystemTime,
    pub verdict: LeafVerdict,
    /// When judged.
    pub maturity: Option<LeafMaturity>,
    /// The disease head's top label when the model ran.
    pub disease: Option<String>,
    pub confidence: Option<f64>,
    pub model_name: Option<String>,
    pub model_version: Option<u32>,
    pub note: String,
}

/// A saved check in full: the answer's JSON (as in [`LeafResult::json`]) and its thumbnail.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LeafHistoryDetail {
    pub id: i64,
    pub json: String,
    pub thumbnail: Vec<u8>,
}
