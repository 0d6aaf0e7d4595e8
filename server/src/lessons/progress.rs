//! What a phone may send as reading progress. The merge itself is the store's
//! (`store/lessons.rs`), in one transaction.

use yannong_core::Timestamp;
use yannong_core::barn::api::{EARLIEST, MAX_PROGRESS_BATCH, ProgressBatch};

use super::shelf::is_pack_id;

/// How far ahead of the platform a phone's clock may be. Phones' clocks drift more than
/// controllers'; a time far ahead would win every later merge, so it is refused.
pub const MAX_CLOCK_AHEAD_MS: i64 = 24 * 60 * 60 * 1000;

/// Checks a batch before it is merged; the message says which entry is wrong.
pub fn validate_progress(batch: &ProgressBatch, now: Timestamp) -> Result<(), String> {
    if batch.entries.len() > MAX_PROGRESS_BATCH {
        return Err(format!(
            "a batch holds at most {MAX_PROGRESS_BATCH} entries, this one {}",
            batch.entries.len()
        ));
    }
    let latest = now.0.saturating_add(MAX_CLOCK_AHEAD_MS);
    let sane = |t: Timestamp| (EARLIEST.0..=latest).contains(&t.0);
    for (i, e) in batch.entries.iter().enumerate() {
        let problem = if !is_pack_id(&e.pack_id) {
            "pack_id must be 1–64 of a-z 0-9 -"
        } else if !is_pack_id(&e.lesson_id) {
            "lesson_id must be 1–64 of a-z 0-9 -"
        } else if !(e.position.is_finite() && (0.0..=1.0).contains(&e.position)) {
            "position must be a number from 0 to 1"
        } else if !sane(e.updated_at) {
            "updated_at is before 2020 or in the future"
        } else if e.completed_at.is_some_and(|t| !sane(t)) {
            "completed_at is before 2020 or in the future"
        } else {
            continue;
        };
        return Err(format!("entry {i}: {problem}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use yannong_core::barn::api::LessonProgress;

    use super::*;

    fn entry() -> LessonProgress {
        LessonProgress {
            pack_id: "yannong-default".into(),
            lesson_id: "yellowing-stage".into(),
            position: 0.5,
            completed_at: None,
            updated_at: Timestamp(1_770_000_000_000),
        }
    }

    fn check(f: impl FnOnce(&mut LessonProgress)) -> Result<(), String> {
        let mut e = entry();
        f(&mut e);
        validate_progress(
            &ProgressBatch { entries: vec![e] },
            Timestamp(1_770_000_000_000),
        )
    }

    #[test]
    fn good_entries_pass_and_bad_ones_are_named() {
        assert_eq!(check(|_| {}), Ok(()));
        assert_eq!(check(|e| e.position = 1.0), Ok(()));
        assert!(check(|e| e.pack_id = "Yannong".into()).is_err());
        assert!(check(|e| e.lesson_id = String::new()).is_err());
        assert!(check(|e| e.lesson_id = "a".repeat(65)).is_err());
        assert!(check(|e| e.position = f64::NAN).is_err());
        assert!(check(|e| e.position = 1.01).is_err());
        assert!(check(|e| e.position = -0.1).is_err());
        assert!(check(|e| e.updated_at = Timestamp(0)).is_err());
        assert!(check(|e| e.updated_at.0 += MAX_CLOCK_AHEAD_MS + 1).is_err());
        let err = check(|e| e.completed_at = Some(Timestamp(-5))).unwrap_err();
        assert!(err.starts_with("entry 0: completed_at"), "{err}");
    }

    #[test]
    fn batches_are_capped() {
        let batch = ProgressBatch {
            entries: vec![entry(); MAX_PROGRESS_BATCH + 1],
        };
        assert!(validate_progress(&batch, Timestamp(1_770_000_000_000)).is_err());
    }
}
