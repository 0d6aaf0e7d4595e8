//! From raw logits to what the farmer is told: temperature-scaled softmax and the "not sure"
//! rule of the manifest.

use crate::Text;

use super::ModelError;
use super::manifest::{HeadKind, HeadSpec};

/// One label's calibrated probability.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelProbability {
    pub id: String,
    pub name: Text,
    pub probability: f32,
}

/// A head's calibrated answer.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadAnswer {
    pub kind: HeadKind,
    /// In the manifest's label order; they sum to 1.
    pub probabilities: Vec<LabelProbability>,
    /// Index of the most probable label.
    pub top: usize,
    /// False when the top probability or its lead over the second is below the manifest's
    /// thresholds: the answer is then "not sure" and `top` only a hint.
    pub confident: bool,
}

impl HeadAnswer {
    pub fn top_label(&self) -> &LabelProbability {
        &self.probabilities[self.top]
    }

    /// The lead of the top probability over the runner-up.
    pub fn margin(&self) -> f32 {
        let top = self.probabilities[self.top].probability;
        let second = self
            .probabilities
            .iter()
            .enumerate()
            .filter(|(n, _)| *n != self.top)
            .map(|(_, p)| p.probability)
            .fold(0.0, f32::max);
        top - second
    }
}

/// softmax(logits / temperature), computed stably.
pub fn softmax(logits: &[f32], temperature: f32) -> Result<Vec<f32>, ModelError> {
    if logits.is_empty() || logits.iter().any(|l| !l.is_finite()) {
        return Err(ModelError::Output(format!(
            "logits must be finite, got {logits:?}"
        )));
    }
    let scaled: Vec<f32> = logits.iter().map(|l| l / temperature).collect();
    let max = scaled.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = scaled.iter().map(|s| (s - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    Ok(exp.into_iter().map(|e| e / sum).collect())
}

/// Calibrates one head's logits and applies its "not sure" thresholds.
pub fn read_head(head: &HeadSpec, logits: &[f32]) -> Result<HeadAnswer, ModelError> {
    if logits.len() != head.labels.len() {
        return Err(ModelError::Output(format!(
            "{} head gave {} values for {} labels",
            head.kind.key(),
            logits.len(),
            head.labels.len()
        )));
    }
    let probs = softmax(logits, head.temperature)?;
    let probabilities: Vec<LabelProbability> = head
        .labels
        .iter()
        .zip(&probs)
        .map(|(l, p)| LabelProbability {
            id: l.id.clone(),
            name: l.text(),
            probability: *p,
        })
        .collect();
    let top = probs
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(n, _)| n);
    let mut answer = HeadAnswer {
        kind: head.kind,
        probabilities,
        top,
        confident: false,
    };
    answer.confident =
        probs[top] >= head.not_sure.min_probability && answer.margin() >= head.not_sure.min_margin;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leaf::model::manifest::{Label, NotSure};

    fn head(temperature: f32) -> HeadSpec {
        HeadSpec {
            kind: HeadKind::Disease,
            output: "o".into(),
            labels: ["a", "b", "c"]
                .iter()
                .map(|id| Label {
                    id: (*id).into(),
                    zh: (*id).into(),
                    en: (*id).into(),
                })
                .collect(),
            temperature,
            not_sure: NotSure {
                min_probability: 0.6,
                min_margin: 0.2,
            },
        }
    }

    #[test]
    fn softmax_is_stable_and_temperature_flattens() {
        let p = softmax(&[1000.0, 999.0, 0.0], 1.0).expect("finite");
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(p[0] > p[1] && p[2] < 1e-30);
        let hot = softmax(&[2.0, 0.0, 0.0], 1.0).expect("finite");
        let warm = softmax(&[2.0, 0.0, 0.0], 2.0).expect("finite");
        assert!(warm[0] < hot[0] && warm[0] > 1.0 / 3.0);
        assert!(softmax(&[f32::NAN, 0.0], 1.0).is_err());
        assert!(softmax(&[], 1.0).is_err());
    }

    #[test]
    fn not_sure_when_top_is_low_or_close() {
        let sure = read_head(&head(1.0), &[4.0, 0.0, 0.0]).expect("ok");
        assert!(sure.confident && sure.top == 0 && sure.top_label().id == "a");
        // Same logits, high temperature: the calibrated top falls below 0.6.
        assert!(
            !read_head(&head(4.0), &[4.0, 0.0, 0.0])
                .expect("ok")
                .confident
        );
        // Two close leaders: probability may pass but the margin does not.
        let close = read_head(&head(1.0), &[3.0, 2.9, -5.0]).expect("ok");
        assert!(!close.confident && close.margin() < 0.2);
        assert!(read_head(&head(1.0), &[1.0, 2.0]).is_err());
    }
}
