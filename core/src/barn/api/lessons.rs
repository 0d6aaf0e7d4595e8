//! Lesson packs on the platform: what it offers, and reading progress kept per account.
//!
//! Packs are public content (no login needed): `GET /api/v1/lesson-packs` lists the newest
//! version of each, and every file of a version is its own URL with byte-range support, so a
//! phone fetches only the files it lacks and resumes a dropped transfer where it stopped.
//! A version's URLs never change content (versions are immutable), and nothing fetched is
//! trusted before the signed manifest and the file's SHA-256 check out.

use serde::{Deserialize, Serialize};

use crate::{Text, Timestamp};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Most progress entries in one `PUT /api/v1/lesson-progress`.
pub const MAX_PROGRESS_BATCH: usize = 1000;

/// The newest version of one pack the platform serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OfferedPack {
    pub id: String,
    pub version: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub title: Text,
    pub lessons: u32,
    /// Bytes of the files a phone must have (optional media excluded).
    pub required_bytes: u64,
    /// Bytes of the whole `.ynpack` archive (for sideloading).
    pub archive_bytes: u64,
}

/// `GET /api/v1/lesson-packs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PackCatalogue {
    pub packs: Vec<OfferedPack>,
}

/// How far one lesson was read, as the phone recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LessonProgress {
    pub pack_id: String,
    pub lesson_id: String,
    /// 0–1, how far the reader scrolled.
    pub position: f64,
    /// When it was first finished; sticks once set.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub completed_at: Option<Timestamp>,
    /// When the reader last moved (the phone's clock): the newest position wins.
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub updated_at: Timestamp,
}

/// Body of `PUT /api/v1/lesson-progress` and answer of `GET`: the caller's whole progress
/// after merging (newest position per lesson, earliest completion).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ProgressBatch {
    pub entries: Vec<LessonProgress>,
}
