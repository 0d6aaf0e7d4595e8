//! Leaf-check models on the platform: the newest signed model it offers (public, like lesson
//! packs). A version's files are immutable URLs below [`super::paths::leaf_model_file`]:
//! `manifest.json`, `manifest.sig` (Ed25519 over the manifest bytes) and `model` (the model
//! file, with byte ranges). The phone trusts nothing before the signature and SHA-256 check.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// One model version on offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OfferedModel {
    pub name: String,
    pub version: u32,
    /// Bytes of the model file (NNEF tar).
    pub size: u64,
    pub sha256: String,
}

/// `GET /api/v1/leaf-models`: the newest version (empty when the platform offers none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ModelCatalogue {
    pub models: Vec<OfferedModel>,
}
