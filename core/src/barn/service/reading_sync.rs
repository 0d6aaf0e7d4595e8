//! Syncing lesson reading progress with the account on the platform, so "continue where I
//! left off" follows the farmer to another phone and the station sees who studied what.

use super::Barns;
use crate::barn::BarnError;
use crate::barn::api::{MAX_PROGRESS_BATCH, ProgressBatch};
use crate::lessons::LessonLibrary;

impl Barns {
    /// Sends the progress recorded since the last sync and merges the account's progress
    /// back into `library`; returns how many local rows the platform's answer wrote. Offline
    /// it fails with nothing lost: unsent rows stay unsynced for the next call.
    pub async fn sync_reading(&self, library: &LessonLibrary) -> Result<usize, BarnError> {
        let token = self.live_token().await?;
        let unsent = library.unsynced_progress()?;
        let mut merged = None;
        for chunk in unsent.chunks(MAX_PROGRESS_BATCH) {
            let batch = ProgressBatch {
                entries: chunk.to_vec(),
            };
            let answer = self.client.put_lesson_progress(&token, &batch).await;
            merged = Some(self.forget_refused_token(answer)?);
        }
        let merged = match merged {
            Some(m) => m,
            None => {
                let answer = self.client.lesson_progress(&token).await;
                self.forget_refused_token(answer)?
            }
        };
        Ok(library.merge_progress(&merged.entries)?)
    }
}
