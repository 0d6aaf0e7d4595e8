//! The check history: answers the farmer kept, with a thumbnail, browsable offline.

use rusqlite::{OptionalExtension, params};

use crate::Timestamp;
use crate::store::{Store, StoreError};

use super::checker::LeafAnswer;
use super::error::LeafError;
use super::json::answer_json;
use super::resample::{Rect, resize_packed};
use super::rgb::RgbImage;

/// Thumbnail side in pixels: enough for a list row on a high-density screen.
pub const THUMBNAIL_SIDE: u32 = 96;
const THUMBNAIL_QUALITY: u8 = 80;

/// One saved check as a list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub id: i64,
    pub checked_at: Timestamp,
    /// `ok`, `retake`, `not_sure`, `no_leaf`.
    pub verdict: String,
    /// Maturity key (`ripe` …) when judged.
    pub maturity: Option<String>,
    /// The disease head's top label when the model ran.
    pub disease: Option<String>,
    pub confidence: Option<f64>,
    pub model_name: Option<String>,
    pub model_version: Option<u32>,
    pub note: String,
}

/// A JPEG thumbnail of an upright image (the check's working image).
pub fn thumbnail(image: &RgbImage) -> Result<Vec<u8>, LeafError> {
    let whole = Rect {
        x: 0.0,
        y: 0.0,
        w: f64::from(image.width()),
        h: f64::from(image.height()),
    };
    let side = THUMBNAIL_SIDE;
    let small = resize_packed(
        &mut fast_image_resize::Resizer::new(),
        image.data(),
        (image.width(), image.height()),
        3,
        whole,
        (side, side),
    )?;
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, THUMBNAIL_QUALITY)
        .encode(&small, side, side, image::ExtendedColorType::Rgb8)
        .map_err(|e| LeafError::Decode(format!("thumbnail: {e}")))?;
    Ok(jpeg)
}

/// Saves a check; returns its id.
pub fn save(
    store: &Store,
    answer: &LeafAnswer,
    thumbnail: &[u8],
    at: Timestamp,
) -> Result<i64, StoreError> {
    let json = answer_json(answer);
    let disease = answer.disease.as_ref();
    store.write(|tx| {
        tx.execute(
            "INSERT INTO leaf_checks (checked_at, verdict, maturity, disease, confidence,
                 model_name, model_version, answer, thumbnail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                at.millis(),
                answer.verdict.key(),
                answer
                    .maturity
                    .as_ref()
                    .map(|m| super::maturity_topic(m.class)),
                disease.map(|h| h.top_label().id.clone()),
                disease.map(|h| f64::from(h.top_label().probability)),
                answer.model.as_ref().map(|m| m.name.clone()),
                answer.model.as_ref().map(|m| m.version),
                json.to_string(),
                thumbnail,
            ],
        )?;
        Ok(tx.last_insert_rowid())
    })
}

/// Newest first; `before` (an id) pages back.
pub fn list(
    store: &Store,
    limit: usize,
    before: Option<i64>,
) -> Result<Vec<HistoryEntry>, StoreError> {
    store.read(|c| {
        let mut stmt = c.prepare(
            "SELECT id, checked_at, verdict, maturity, disease, confidence, model_name,
                    model_version, note
             FROM leaf_checks WHERE id < ?1 ORDER BY checked_at DESC, id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(
            params![before.unwrap_or(i64::MAX), limit.min(10_000) as i64],
            |r| {
                Ok(HistoryEntry {
                    id: r.get(0)?,
                    checked_at: Timestamp(r.get(1)?),
                    verdict: r.get(2)?,
                    maturity: r.get(3)?,
                    disease: r.get(4)?,
                    confidence: r.get(5)?,
                    model_name: r.get(6)?,
                    model_version: r.get(7)?,
                    note: r.get(8)?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    })
}

/// The saved answer (the JSON of [`answer_json`]) and thumbnail of one check.
pub fn detail(store: &Store, id: i64) -> Result<Option<(String, Vec<u8>)>, StoreError> {
    store.read(|c| {
        Ok(c.query_row(
            "SELECT answer, thumbnail FROM leaf_checks WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
    })
}

/// Sets the farmer's note on a check (e.g. which field); false when there is no such check.
pub fn set_note(store: &Store, id: i64, note: &str) -> Result<bool, StoreError> {
    store.write(|tx| {
        Ok(tx.execute(
            "UPDATE leaf_checks SET note = ?2 WHERE id = ?1",
            params![id, note],
        )? == 1)
    })
}

/// Deletes a check; false when there was none.
pub fn remove(store: &Store, id: i64) -> Result<bool, StoreError> {
    store.write(|tx| Ok(tx.execute("DELETE FROM leaf_checks WHERE id = ?1", [id])? == 1))
}
