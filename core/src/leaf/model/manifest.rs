//! The model manifest: what a model file is, what it expects and how to read its outputs.
//! Training writes it (models/train), the platform signs it for updates, the runner trusts
//! nothing in it until [`ModelManifest::validate`] passed.

use serde::{Deserialize, Serialize};

use crate::Text;
use crate::curing::Maturity;

use super::ModelError;

/// The only manifest format this core reads: 2, the model file is an NNEF tar. (Format 1 named
/// an ONNX file; this core no longer links tract's ONNX reader, docs/size.md.)
pub const MANIFEST_FORMAT: u32 = 2;
/// A model file larger than this is refused before it is read (the shipped one is ~14 MB).
pub const MAX_MODEL_BYTES: u64 = 256 * 1024 * 1024;

/// `manifest.json` beside the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelManifest {
    pub format: u32,
    pub name: String,
    /// Increases with every release; an update must carry a higher one.
    pub version: u32,
    #[serde(default)]
    pub created: String,
    /// File name of the model (NNEF tar) in the same folder (no path separators).
    pub model_file: String,
    pub size: u64,
    /// Lower-case hex SHA-256 of the model file.
    pub sha256: String,
    pub input: InputSpec,
    pub heads: Vec<HeadSpec>,
    /// How to tell pictures unlike anything the model was trained on.
    #[serde(default)]
    pub in_scope: Option<InScope>,
    /// Free-form provenance (backbone, data, seed, report); shown, never interpreted.
    #[serde(default)]
    pub training: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    pub name: String,
    /// Square input side in pixels.
    pub side: u32,
    pub layout: Layout,
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    Nchw,
}

/// What a head of the model answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HeadKind {
    Maturity,
    Disease,
}

impl HeadKind {
    pub fn key(self) -> &'static str {
        match self {
            HeadKind::Maturity => "maturity",
            HeadKind::Disease => "disease",
        }
    }
}

/// One classification output of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadSpec {
    pub kind: HeadKind,
    /// Name of the model output holding this head's logits (before softmax and temperature).
    pub output: String,
    /// In logit order.
    pub labels: Vec<Label>,
    /// Calibration temperature fitted on validation data: probabilities = softmax(logits / T).
    pub temperature: f32,
    pub not_sure: NotSure,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Label {
    pub id: String,
    pub zh: String,
    pub en: String,
}

impl Label {
    pub fn text(&self) -> Text {
        Text::new(self.zh.clone(), self.en.clone())
    }
}

/// Below either threshold the head answers "not sure" instead of its top label.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NotSure {
    /// Smallest calibrated top probability that is still an answer.
    pub min_probability: f32,
    /// Smallest gap between the top two probabilities that is still an answer.
    pub min_margin: f32,
}

/// An output scoring how close the picture is to the training pictures (cosine similarity to
/// the nearest class centre); below `min_similarity` the whole answer is "not sure".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InScope {
    pub output: String,
    pub min_similarity: f32,
}

/// The maturity class a maturity head's label id stands for (`under_ripe`, `underripe`,
/// `under-ripe` all read the same).
pub fn maturity_of_label(id: &str) -> Option<Maturity> {
    let plain: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    match plain.as_str() {
        "unripe" => Some(Maturity::Unripe),
        "underripe" => Some(Maturity::UnderRipe),
        "ripe" => Some(Maturity::Ripe),
        "overripe" => Some(Maturity::OverRipe),
        _ => None,
    }
}

impl ModelManifest {
    pub fn from_json(bytes: &[u8]) -> Result<ModelManifest, ModelError> {
        let manifest: ModelManifest = serde_json::from_slice(bytes)
            .map_err(|e| ModelError::Manifest(format!("not a model manifest: {e}")))?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// The model outputs the core reads, in the order `LeafModel::run` reads them: each head's
    /// logits, then the in-scope similarity.
    pub fn outputs(&self) -> impl Iterator<Item = &str> {
        self.heads
            .iter()
            .map(|h| h.output.as_str())
            .chain(self.in_scope.iter().map(|s| s.output.as_str()))
    }

    /// The head of a kind, if the model has one.
    pub fn head(&self, kind: HeadKind) -> Option<&HeadSpec> {
        self.heads.iter().find(|h| h.kind == kind)
    }

    /// Checks everything the runner and the answer rely on.
    pub fn validate(&self) -> Result<(), ModelError> {
        let bad = |why: String| Err(ModelError::Manifest(why));
        if self.format != MANIFEST_FORMAT {
            let older = if self.format == 1 {
                ", an ONNX model from an earlier release"
            } else {
                ""
            };
            return bad(format!(
                "format {}{older} (this app reads {MANIFEST_FORMAT}: NNEF)",
                self.format
            ));
        }
        if self.name.trim().is_empty() || self.name.len() > 100 {
            return bad("name must be 1–100 characters".into());
        }
        if !is_plain_file_name(&self.model_file) {
            return bad(format!(
                "model_file {:?} is not a plain file name",
                self.model_file
            ));
        }
        if self.size == 0 || self.size > MAX_MODEL_BYTES {
            return bad(format!("size {} out of range", self.size));
        }
        if self.sha256.len() != 64
            || !self
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return bad("sha256 must be 64 lower-case hex digits".into());
        }
        let i = &self.input;
        if !(32..=1024).contains(&i.side) {
            return bad(format!("input side {} out of 32–1024", i.side));
        }
        if i.mean.iter().any(|m| !m.is_finite())
            || i.std.iter().any(|s| !s.is_finite() || *s <= 0.0)
        {
            return bad("input mean/std must be finite, std positive".into());
        }
        if self.heads.is_empty() {
            return bad("no heads".into());
        }
        for (n, head) in self.heads.iter().enumerate() {
            if self.heads[..n].iter().any(|h| h.kind == head.kind) {
                return bad(format!("two {} heads", head.kind.key()));
            }
            validate_head(head).or_else(|why| bad(format!("{} head: {why}", head.kind.key())))?;
        }
        if let Some(s) = &self.in_scope
            && !(-1.0..=1.0).contains(&s.min_similarity)
        {
            return bad("in_scope.min_similarity must be within −1…1".into());
        }
        let outputs: Vec<&str> = self.outputs().collect();
        for (n, out) in outputs.iter().enumerate() {
            if out.is_empty() || outputs[..n].contains(out) {
                return bad(format!("output name {out:?} empty or used twice"));
            }
        }
        Ok(())
    }
}

fn validate_head(head: &HeadSpec) -> Result<(), String> {
    if !(2..=64).contains(&head.labels.len()) {
        return Err(format!("{} labels (2–64 allowed)", head.labels.len()));
    }
    for (n, l) in head.labels.iter().enumerate() {
        if l.id.is_empty() || head.labels[..n].iter().any(|o| o.id == l.id) {
            return Err(format!("label id {:?} empty or repeated", l.id));
        }
        if head.kind == HeadKind::Maturity && maturity_of_label(&l.id).is_none() {
            return Err(format!(
                "label {:?} is not a maturity class (unripe, under_ripe, ripe, over_ripe)",
                l.id
            ));
        }
    }
    if !head.temperature.is_finite() || head.temperature <= 0.0 {
        return Err("temperature must be positive".into());
    }
    let t = head.not_sure;
    if !(0.0..=1.0).contains(&t.min_probability) || !(0.0..=1.0).contains(&t.min_margin) {
        return Err("not_sure thresholds must be within 0…1".into());
    }
    Ok(())
}

fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> serde_json::Value {
        serde_json::json!({
            "format": 2, "name": "t", "version": 3, "model_file": "m.nnef.tar", "size": 10,
            "sha256": "0".repeat(64),
            "input": {"name": "image", "side": 224, "layout": "nchw",
                      "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
            "heads": [{"kind": "disease", "output": "disease_logits",
                       "labels": [{"id": "a", "zh": "甲", "en": "A"}, {"id": "b", "zh": "乙", "en": "B"}],
                       "temperature": 1.5, "not_sure": {"min_probability": 0.6, "min_margin": 0.2}}],
            "in_scope": {"output": "similarity", "min_similarity": 0.4}
        })
    }

    fn parse(v: &serde_json::Value) -> Result<ModelManifest, ModelError> {
        ModelManifest::from_json(&serde_json::to_vec(v).expect("json"))
    }

    #[test]
    fn sample_parses_and_finds_its_head() {
        let m = parse(&sample()).expect("valid");
        assert_eq!(m.head(HeadKind::Disease).map(|h| h.labels.len()), Some(2));
        assert!(m.head(HeadKind::Maturity).is_none());
    }

    #[test]
    fn each_broken_field_is_refused_with_its_reason() {
        let cases: &[(&str, serde_json::Value, &str)] = &[
            ("/format", 1.into(), "format 1"),
            ("/model_file", "../m.nnef.tar".into(), "plain file name"),
            ("/model_file", "sub/m.nnef.tar".into(), "plain file name"),
            ("/sha256", "ABC".into(), "sha256"),
            ("/size", 0.into(), "size"),
            ("/input/side", 8.into(), "side"),
            ("/input/std", serde_json::json!([0.2, 0.0, 0.2]), "std"),
            ("/heads/0/temperature", 0.into(), "temperature"),
            ("/heads/0/not_sure/min_margin", 1.5.into(), "thresholds"),
            ("/heads/0/labels/1/id", "a".into(), "repeated"),
            ("/heads/0/kind", "maturity".into(), "maturity class"),
            ("/in_scope/output", "disease_logits".into(), "used twice"),
            ("/in_scope/min_similarity", 3.into(), "min_similarity"),
        ];
        for (pointer, value, why) in cases {
            let mut v = sample();
            *v.pointer_mut(pointer).expect(pointer) = value.clone();
            let err = parse(&v).expect_err(pointer).to_string();
            assert!(err.contains(why), "{pointer}: {err}");
        }
        assert!(parse(&serde_json::json!({"format": 1})).is_err());
        assert!(ModelManifest::from_json(b"\xff garbage").is_err());
    }

    #[test]
    fn maturity_labels_read_in_any_spelling() {
        assert_eq!(maturity_of_label("under_ripe"), Some(Maturity::UnderRipe));
        assert_eq!(maturity_of_label("Over-Ripe"), Some(Maturity::OverRipe));
        assert_eq!(maturity_of_label("overripe"), Some(Maturity::OverRipe));
        assert_eq!(maturity_of_label("healthy"), None);
    }
}
