//! Loads a model once with tract (checked against its manifest, graph optimised) and runs it on
//! one input tensor. Models are NNEF archives (a plain tar of `graph.nnef` and `.dat` weights),
//! converted from ONNX at training time (models/train/to_nnef.py) so that the app links tract's
//! NNEF reader and not its ONNX front end (docs/size.md), and read with a fixed operator set
//! (`nnef.rs`, `operators.txt`).

use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tract_nnef::prelude::*;

use super::ModelError;
use super::calibrate::{HeadAnswer, read_head};
use super::manifest::{MAX_MODEL_BYTES, ModelManifest};
use crate::leaf::TensorSpec;

/// The manifest's file name inside a model folder.
pub const MANIFEST_FILE: &str = "manifest.json";

type Plan = Arc<TypedRunnableModel>;

/// A loaded, optimised model. Cheap to share: runs take `&self` and may overlap.
pub struct LeafModel {
    manifest: ModelManifest,
    plan: Plan,
}

impl std::fmt::Debug for LeafModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeafModel")
            .field("name", &self.manifest.name)
            .field("version", &self.manifest.version)
            .finish_non_exhaustive()
    }
}

/// What one run of the model says.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelOutput {
    /// One per manifest head, in manifest order.
    pub heads: Vec<HeadAnswer>,
    /// Closeness to the training pictures, when the model reports it.
    pub similarity: Option<f32>,
    /// False when `similarity` is below the manifest's `in_scope.min_similarity`.
    pub in_scope: bool,
}

impl LeafModel {
    /// Loads `<dir>/manifest.json` and the model file it names; the file's size and SHA-256
    /// must match the manifest before tract sees a byte of it.
    pub fn load(dir: &Path) -> Result<LeafModel, ModelError> {
        let manifest = ModelManifest::from_json(&read_bounded(&dir.join(MANIFEST_FILE), 1 << 20)?)?;
        let model = read_bounded(&dir.join(&manifest.model_file), MAX_MODEL_BYTES)?;
        LeafModel::from_parts(manifest, &model)
    }

    /// Builds from a validated manifest and the model bytes (NNEF tar) it describes.
    pub fn from_parts(manifest: ModelManifest, model: &[u8]) -> Result<LeafModel, ModelError> {
        manifest.validate()?;
        check_bytes(&manifest, model)?;
        let plan = optimise(&manifest, model)?;
        Ok(LeafModel { manifest, plan })
    }

    pub fn manifest(&self) -> &ModelManifest {
        &self.manifest
    }

    /// How to build this model's input tensor.
    pub fn tensor_spec(&self) -> TensorSpec {
        TensorSpec {
            side: self.manifest.input.side,
            mean: self.manifest.input.mean,
            std: self.manifest.input.std,
        }
    }

    /// Runs the model on one NCHW tensor of [`TensorSpec::len`] floats.
    pub fn run(&self, input: &[f32]) -> Result<ModelOutput, ModelError> {
        let side = self.manifest.input.side as usize;
        if input.len() != 3 * side * side {
            return Err(ModelError::Output(format!(
                "input holds {} floats, the model takes {}",
                input.len(),
                3 * side * side
            )));
        }
        let tensor = Tensor::from_shape(&[1, 3, side, side], input).map_err(tract_err)?;
        let outputs = self.plan.run(tvec!(tensor.into())).map_err(tract_err)?;
        let mut values = outputs.iter().map(|o| {
            o.try_as_plain_ram()
                .and_then(|v| v.as_slice::<f32>().map(<[f32]>::to_vec))
                .map_err(tract_err)
        });
        let mut heads = Vec::with_capacity(self.manifest.heads.len());
        for head in &self.manifest.heads {
            let logits = values
                .next()
                .ok_or_else(|| ModelError::Output("missing output".into()))??;
            heads.push(read_head(head, &logits)?);
        }
        let (similarity, in_scope) = match &self.manifest.in_scope {
            None => (None, true),
            Some(scope) => {
                let v = values
                    .next()
                    .ok_or_else(|| ModelError::Output("missing similarity".into()))??;
                match v.as_slice() {
                    [s] if s.is_finite() => (Some(*s), *s >= scope.min_similarity),
                    other => {
                        return Err(ModelError::Output(format!(
                            "similarity must be one finite value, got {other:?}"
                        )));
                    }
                }
            }
        };
        Ok(ModelOutput {
            heads,
            similarity,
            in_scope,
        })
    }
}

fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, ModelError> {
    let io = |e: std::io::Error| ModelError::Io(format!("{}: {e}", path.display()));
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > max {
        return Err(ModelError::Manifest(format!(
            "{} is {len} bytes, more than {max}",
            path.display()
        )));
    }
    std::fs::read(path).map_err(io)
}

fn check_bytes(manifest: &ModelManifest, bytes: &[u8]) -> Result<(), ModelError> {
    if bytes.len() as u64 != manifest.size {
        return Err(ModelError::Integrity(format!(
            "{} is {} bytes, the manifest says {}",
            manifest.model_file,
            bytes.len(),
            manifest.size
        )));
    }
    let got = hex::encode(Sha256::digest(bytes));
    if got != manifest.sha256 {
        return Err(ModelError::Integrity(format!(
            "{} does not match its manifest's SHA-256",
            manifest.model_file
        )));
    }
    Ok(())
}

/// [`prepare`], with a panic inside tract turned into an error: tract 0.23 panics on some
/// malformed graphs (an undefined name in a fragment, for one), and a bad model file must never
/// take the app down. Nothing is shared with the closure, so nothing is left half-changed.
fn optimise(manifest: &ModelManifest, bytes: &[u8]) -> Result<Plan, ModelError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| prepare(manifest, bytes)))
        .unwrap_or_else(|_| Err(ModelError::Model("tract failed on this model file".into())))
}

/// Parses, checks the input against the manifest, keeps only the outputs the manifest reads (in
/// its order), and optimises: tract's kernel selection for this CPU.
fn prepare(manifest: &ModelManifest, bytes: &[u8]) -> Result<Plan, ModelError> {
    let mut model = super::nnef::reader()
        .model_for_read(&mut &bytes[..])
        .map_err(|e| ModelError::Model(format!("not a readable NNEF model: {e:#}")))?;
    let inputs = model.input_outlets().map_err(tract_err)?.to_vec();
    let [input] = inputs.as_slice() else {
        return Err(ModelError::Model(format!(
            "model has {} inputs, expected one",
            inputs.len()
        )));
    };
    let input_name = &model.node(input.node).name;
    if *input_name != manifest.input.name {
        return Err(ModelError::Model(format!(
            "model input is {input_name:?}, the manifest says {:?}",
            manifest.input.name
        )));
    }
    let side = manifest.input.side as usize;
    let expected = f32::fact([1, 3, side, side]);
    let fact = model.input_fact(0).map_err(tract_err)?;
    if *fact != expected {
        return Err(ModelError::Model(format!(
            "model input is {fact:?}, the manifest says {expected:?}"
        )));
    }
    let mut outlets = Vec::new();
    for name in manifest.outputs() {
        outlets.push(
            model
                .find_outlet_label(name)
                .ok_or_else(|| ModelError::Model(format!("model has no output named {name:?}")))?,
        );
    }
    model.select_output_outlets(&outlets).map_err(tract_err)?;
    model
        .into_optimized()
        .and_then(|m| m.into_runnable())
        .map_err(|e| ModelError::Model(format!("model could not be prepared: {e:#}")))
}

fn tract_err(e: impl std::fmt::Display) -> ModelError {
    ModelError::Model(e.to_string())
}
