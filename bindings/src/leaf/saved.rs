//! The check history on the app's store, and lessons for an answer.

use super::*;

#[uniffi::export]
impl Yannong {
    /// Keeps a check in the history (the answer as JSON and its thumbnail), stamped now;
    /// returns its id. Saves what `result` says, so pass it unchanged.
    pub async fn save_leaf_check(&self, result: LeafResult) -> Result<i64, YannongError> {
        let store = Arc::clone(&self.store);
        let locale = self.locale;
        blocking(move |_| {
            let answer = answer(&result, locale)?;
            Ok(history::save(
                &store,
                &answer,
                &result.thumbnail,
                Timestamp::now(),
            )?)
        })
        .await
    }

    /// Saved checks, newest first, at most `limit`; pass the last id seen as `before` for the
    /// next page.
    pub async fn leaf_checks(
        &self,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<LeafHistoryEntry>, YannongError> {
        let store = Arc::clone(&self.store);
        let entries = blocking(move |_| Ok(history::list(&store, limit as usize, before)?)).await?;
        entries.into_iter().map(history_entry).collect()
    }

    /// A saved check's answer (JSON) and thumbnail; `None` if there is no such check.
    pub async fn leaf_check_detail(
        &self,
        id: i64,
    ) -> Result<Option<LeafHistoryDetail>, YannongError> {
        let store = Arc::clone(&self.store);
        let detail = blocking(move |_| Ok(history::detail(&store, id)?)).await?;
        Ok(detail.map(|(json, thumbnail)| LeafHistoryDetail {
            id,
            json,
            thumbnail,
        }))
    }

    /// Sets the farmer's note on a saved check (e.g. which field); false if there is none.
    pub async fn set_leaf_check_note(&self, id: i64, note: String) -> Result<bool, YannongError> {
        let store = Arc::clone(&self.store);
        blocking(move |_| Ok(history::set_note(&store, id, &note)?)).await
    }

    /// Deletes a saved check; false if there was none.
    pub async fn remove_leaf_check(&self, id: i64) -> Result<bool, YannongError> {
        let store = Arc::clone(&self.store);
        blocking(move |_| Ok(history::remove(&store, id)?)).await
    }
}

#[uniffi::export]
impl Lessons {
    /// The lessons a check's advice points at, most relevant topic first, each lesson once.
    /// Empty when the check gave no advice or no installed pack links the topics.
    pub async fn lessons_for_leaf_check(
        &self,
        result: LeafResult,
    ) -> Result<Vec<Lesson>, YannongError> {
        let topics = result.advice.map(|a| a.lessons).unwrap_or_default();
        let mut lessons: Vec<Lesson> = Vec::new();
        for topic in topics {
            for lesson in self.lessons_for(topic.kind, topic.key).await? {
                if !lessons
                    .iter()
                    .any(|l| l.pack_id == lesson.pack_id && l.lesson_id == lesson.lesson_id)
                {
                    lessons.push(lesson);
                }
            }
        }
        Ok(lessons)
    }
}

pub(super) fn history_entry(e: HistoryEntry) -> Result<LeafHistoryEntry, YannongError> {
    let damaged = |what: &str, value: &str| YannongError::Integrity {
        detail: format!("saved leaf check {}: unknown {what} {value:?}", e.id),
    };
    let verdict = match e.verdict.as_str() {
        "ok" => LeafVerdict::Ok,
        "retake" => LeafVerdict::Retake,
        "not_sure" => LeafVerdict::NotSure,
        "no_leaf" => LeafVerdict::NoLeaf,
        other => return Err(damaged("verdict", other)),
    };
    let maturity = match e.maturity.as_deref() {
        None => None,
        Some(key) => Some(
            [
                Maturity::Unripe,
                Maturity::UnderRipe,
                Maturity::Ripe,
                Maturity::OverRipe,
            ]
            .into_iter()
            .find(|m| maturity_topic(*m) == key)
            .map(leaf_maturity)
            .ok_or_else(|| damaged("maturity", key))?,
        ),
    };
    Ok(LeafHistoryEntry {
        id: e.id,
        checked_at: e.checked_at.into(),
        verdict,
        maturity,
        disease: e.disease,
        confidence: e.confidence,
        model_name: e.model_name,
        model_version: e.model_version,
        note: e.note,
    })
}
