//! The whole leaf check: frame → quality gate → model (only when the gate passed) → answer.

use std::sync::Arc;

use thiserror::Error;

use crate::Text;
use crate::cancel::{Cancel, cancelled};
use crate::curing::LeafPosition;

use super::answer::{Advice, MaturityAnswer, Verdict, advise, maturity_answer, problems, verdict};
use super::colour::ColourFeatures;
use super::error::LeafError;
use super::frame::Frame;
use super::gate::{Check, QualityReport};
use super::model::{HeadAnswer, HeadKind, LeafModel, ModelError};
use super::{PrepareOptions, prepare};

/// How to check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOptions {
    pub prepare: PrepareOptions,
    /// Where on the stalk the leaf grows; the harvest advice and recipe depend on it.
    pub position: LeafPosition,
    /// A disease is listed as a problem from this calibrated probability on.
    pub problem_min: f32,
}

impl Default for CheckOptions {
    fn default() -> CheckOptions {
        CheckOptions {
            prepare: PrepareOptions::default(),
            position: LeafPosition::Middle,
            problem_min: 0.3,
        }
    }
}

/// A problem seen on the leaf.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The model's label id, e.g. `alternaria`.
    pub id: String,
    pub name: Text,
    pub probability: f32,
}

/// Which model answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelId {
    pub name: String,
    pub version: u32,
}

/// Everything a check found.
#[derive(Debug, Clone, PartialEq)]
pub struct LeafAnswer {
    pub verdict: Verdict,
    /// What to do about the verdict (retake hints, "not sure"), Chinese first.
    pub hints: Vec<Text>,
    pub quality: QualityReport,
    pub colour: Option<ColourFeatures>,
    /// Only for [`Verdict::Ok`].
    pub maturity: Option<MaturityAnswer>,
    /// The disease head's calibrated answer whenever the model ran (also when not sure, so
    /// the probabilities can be shown).
    pub disease: Option<HeadAnswer>,
    /// Only for [`Verdict::Ok`].
    pub problems: Vec<Problem>,
    /// Only for [`Verdict::Ok`].
    pub advice: Option<Advice>,
    pub model: Option<ModelId>,
    /// The model's closeness to its training pictures, when it ran.
    pub similarity: Option<f32>,
    /// A small JPEG of the checked square, for the history ([`super::history::save`]).
    pub thumbnail: Vec<u8>,
}

/// Why a check could not run at all (a bad photo is an answer, not an error).
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum CheckError {
    #[error(transparent)]
    Frame(#[from] LeafError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("leaf check cancelled")]
    Cancelled,
}

/// Checks leaves with one loaded model (or the colour rule alone when there is none).
/// `Send + Sync`; checks may run concurrently.
#[derive(Debug, Clone, Default)]
pub struct LeafChecker {
    model: Option<Arc<LeafModel>>,
}

impl LeafChecker {
    pub fn new(model: Option<Arc<LeafModel>>) -> LeafChecker {
        LeafChecker { model }
    }

    pub fn model(&self) -> Option<&Arc<LeafModel>> {
        self.model.as_ref()
    }

    /// Runs one check; blocking, CPU-bound: call it off the UI thread (`spawn_blocking`).
    /// `cancel` is looked at between the stages.
    pub fn check(
        &self,
        frame: &Frame<'_>,
        opts: &CheckOptions,
        cancel: &Cancel,
    ) -> Result<LeafAnswer, CheckError> {
        let prepared = prepare(frame, &opts.prepare)?;
        if cancelled(cancel) {
            return Err(CheckError::Cancelled);
        }
        let gate = verdict(&prepared.quality, None);
        let output = match (&self.model, gate) {
            (Some(model), Verdict::Ok) => {
                let spec = model.tensor_spec();
                let mut input = vec![0f32; spec.len()];
                prepared.write_tensor(&spec, &mut input)?;
                Some(model.run(&input)?)
            }
            _ => None,
        };
        if cancelled(cancel) {
            return Err(CheckError::Cancelled);
        }
        let mut v = verdict(&prepared.quality, output.as_ref());
        let maturity = maturity_answer(output.as_ref(), prepared.maturity.as_ref());
        if v == Verdict::Ok && self.model.is_none() && !maturity.as_ref().is_some_and(|m| m.sure) {
            v = Verdict::NotSure;
        }
        let disease = output.as_ref().and_then(|o| {
            o.heads
                .iter()
                .find(|h| h.kind == HeadKind::Disease)
                .cloned()
        });
        let ok = v == Verdict::Ok;
        let problems = if ok {
            problems(disease.as_ref(), opts.problem_min)
                .into_iter()
                .map(|(id, name, probability)| Problem {
                    id,
                    name,
                    probability,
                })
                .collect()
        } else {
            Vec::new()
        };
        let maturity = maturity.filter(|_| ok);
        let advice = ok.then(|| advise(maturity.as_ref(), disease.as_ref(), opts.position));
        let thumbnail = super::history::thumbnail(&prepared.image)?;
        Ok(LeafAnswer {
            verdict: v,
            thumbnail,
            hints: hints(v, &prepared.quality),
            quality: prepared.quality,
            colour: prepared.colour,
            maturity,
            disease,
            problems,
            advice,
            model: self.model.as_ref().map(|m| ModelId {
                name: m.manifest().name.clone(),
                version: m.manifest().version,
            }),
            similarity: output.as_ref().and_then(|o| o.similarity),
        })
    }
}

fn hints(v: Verdict, quality: &QualityReport) -> Vec<Text> {
    match v {
        Verdict::Ok => Vec::new(),
        Verdict::Retake => quality.failures.iter().map(|f| f.hint.clone()).collect(),
        // The reason for the verdict first, then whatever else would also help.
        Verdict::NoLeaf => {
            let (first, rest): (Vec<_>, Vec<_>) = quality
                .failures
                .iter()
                .partition(|f| f.check == Check::NoLeaf);
            first.iter().chain(&rest).map(|f| f.hint.clone()).collect()
        }
        Verdict::NotSure => vec![Text::new(
            "看不准：请只拍一片烟叶、正面朝上、占满取景框后再试；仍看不准请请教技术员",
            "Not sure: photograph a single leaf, face up, filling the frame, and try again; if still unsure, ask a technician",
        )],
    }
}
