//! Leaf check before the model: turn a camera frame or gallery photo into a small upright RGB
//! working image of the centre square, judge whether the photo is good enough (blur, exposure,
//! glare, leaf coverage), describe the leaf's colour (CIE L*a*b*, yellow share, veins) and give
//! a colour-rule maturity estimate. The model input tensor is produced separately and on demand
//! ([`Prepared::write_tensor`], [`frame_to_tensor`]) so the gate costs nothing extra.
//!
//! Thresholds and measurements: docs/leaf-quality-gate.md.

mod answer;
mod checker;
mod colour;
mod convert;
mod decode;
mod error;
mod frame;
mod gate;
pub mod history;
mod json;
mod maturity;
pub mod model;
mod quality;
mod resample;
mod rgb;
mod segment;
mod tensor;

#[cfg(test)]
mod convert_tests;

pub use answer::{
    Advice, LessonTopic, MaturityAnswer, MaturitySource, Verdict, disease_topic, maturity_topic,
};
pub use checker::{CheckError, CheckOptions, LeafAnswer, LeafChecker, ModelId, Problem};
pub use colour::{
    ColourFeatures, VeinContrast, YELLOW_GREEN_HUE, YELLOW_HUE, features, hue_angle, srgb_to_lab,
};
pub use convert::render;
pub use error::{LeafError, MAX_SIDE};
pub use frame::{Frame, Pixels, Plane, Rotation, YuvRange};
pub use gate::{Check, Failure, QualityReport, QualityThresholds};
pub use json::{answer_json, check_key};
pub use maturity::{MaturityEstimate, MaturityRule, maturity_name};
pub use quality::{QualityMetrics, directional_min, is_glare, laplacian_variance, measure};
pub use rgb::RgbImage;
pub use segment::{LeafMask, SegmentRule, segment};
pub use tensor::{TensorSpec, frame_to_tensor, write_tensor};

/// Side of the working image the gate and colour features run on. The gate's thresholds are
/// calibrated at this size, so it is fixed rather than an option.
pub const WORKING_SIDE: u32 = 256;

/// How to prepare a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct PrepareOptions {
    /// Side of the centre square to check, as a fraction of the frame's shorter side (0.05–1);
    /// match the guide square the camera screen draws.
    pub roi_fraction: f32,
    pub thresholds: QualityThresholds,
    pub segment: SegmentRule,
    pub maturity: MaturityRule,
}

impl Default for PrepareOptions {
    fn default() -> PrepareOptions {
        PrepareOptions {
            roi_fraction: 0.8,
            thresholds: QualityThresholds::default(),
            segment: SegmentRule::default(),
            maturity: MaturityRule::default(),
        }
    }
}

/// Everything the leaf check knows before the model runs.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The upright `WORKING_SIDE`² image of the centre square.
    pub image: RgbImage,
    pub quality: QualityReport,
    /// `None` when no leaf pixel was found.
    pub colour: Option<ColourFeatures>,
    /// `None` when there is no leaf colour to judge or the photo failed the gate.
    pub maturity: Option<MaturityEstimate>,
}

impl Prepared {
    /// The model input from the working image; see [`write_tensor`].
    pub fn write_tensor(&self, spec: &TensorSpec, out: &mut [f32]) -> Result<(), LeafError> {
        write_tensor(&self.image, spec, out)
    }
}

/// Runs the whole pre-model check on one frame.
pub fn prepare(frame: &Frame<'_>, opts: &PrepareOptions) -> Result<Prepared, LeafError> {
    let image = render(frame, opts.roi_fraction, WORKING_SIDE)?;
    Ok(assess(image, opts))
}

/// The checks on an already rendered working image (any size; thresholds assume
/// `WORKING_SIDE`).
pub fn assess(image: RgbImage, opts: &PrepareOptions) -> Prepared {
    let mask = segment(&image, &opts.segment);
    let quality = opts.thresholds.judge(&measure(&image, &mask));
    let colour = features(&image, &mask);
    let maturity = colour
        .as_ref()
        .filter(|_| quality.passed())
        .map(|c| opts.maturity.estimate(c));
    Prepared {
        image,
        quality,
        colour,
        maturity,
    }
}
