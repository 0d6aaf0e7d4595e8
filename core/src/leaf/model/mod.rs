//! The leaf model: manifest, tract runner and calibration. Which heads exist (maturity,
//! disease) is read from the manifest, so a retrained model with other heads needs no code.
//! Format and training: models/train/README.md, docs/leaf-model.md.

mod calibrate;
mod manifest;
mod nnef;
mod runner;
mod shelf;
mod update;

pub use calibrate::{HeadAnswer, LabelProbability, read_head, softmax};
pub use manifest::{
    HeadKind, HeadSpec, InScope, InputSpec, Label, Layout, MANIFEST_FORMAT, MAX_MODEL_BYTES,
    ModelManifest, NotSure, maturity_of_label,
};
pub use runner::{LeafModel, MANIFEST_FILE, ModelOutput};
pub use shelf::{ActiveModel, ModelShelf, ModelSource, SIGNATURE_FILE};
pub use update::{ModelUpdater, UpdateError};

use thiserror::Error;

/// Why a model could not be loaded or run.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ModelError {
    #[error("model manifest: {0}")]
    Manifest(String),
    #[error("model file: {0}")]
    Integrity(String),
    #[error("model: {0}")]
    Model(String),
    #[error("model output: {0}")]
    Output(String),
    #[error("model storage: {0}")]
    Io(String),
}
