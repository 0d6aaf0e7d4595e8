//! Lesson endpoints of the platform: the pack catalogue and a pack version's files (public),
//! and the account's reading progress.

use reqwest::header::{ACCEPT_ENCODING, CONTENT_RANGE, RANGE};
use reqwest::{Method, Response, StatusCode};

use super::{PlatformClient, REQUEST_TIMEOUT, read_capped, refusal};
use crate::barn::BarnError;
use crate::barn::api::{ModelCatalogue, PackCatalogue, ProgressBatch, paths};

/// A file's body as the platform sent it: from the asked offset, or whole when it ignored
/// the range (then the caller starts over).
#[derive(Debug)]
pub struct FileBody {
    pub response: Response,
    /// Where the body starts in the file.
    pub offset: u64,
}

impl PlatformClient {
    pub async fn lesson_catalogue(&self) -> Result<PackCatalogue, BarnError> {
        self.json(Method::GET, paths::LESSON_PACKS, None, None)
            .await
    }

    /// The leaf-check model on offer (files through [`Self::lesson_bytes`] and
    /// [`Self::lesson_file_from`], which serve any public content file).
    pub async fn leaf_models(&self) -> Result<ModelCatalogue, BarnError> {
        self.json(Method::GET, paths::LEAF_MODELS, None, None).await
    }

    /// A small file (manifest, signature), whole.
    pub async fn lesson_bytes(&self, path: &str) -> Result<Vec<u8>, BarnError> {
        let res = self
            .send(Method::GET, path, None, None, Some(REQUEST_TIMEOUT))
            .await?;
        read_capped(res).await
    }

    /// A file from byte `from` on. No overall timeout (a big file on 2G takes long); the
    /// client's read timeout catches a stalled transfer. `identity`: a compressed answer's
    /// byte offsets would not be the file's.
    pub async fn lesson_file_from(&self, path: &str, from: u64) -> Result<FileBody, BarnError> {
        let mut req = self
            .http
            .request(Method::GET, self.url(path)?)
            .header(ACCEPT_ENCODING, "identity");
        if from > 0 {
            req = req.header(RANGE, format!("bytes={from}-"));
        }
        let res = req.send().await?;
        match res.status() {
            StatusCode::OK => Ok(FileBody {
                response: res,
                offset: 0,
            }),
            StatusCode::PARTIAL_CONTENT => {
                let start = res
                    .headers()
                    .get(CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(content_range_start);
                match start {
                    Some(offset) if offset == from => Ok(FileBody {
                        response: res,
                        offset,
                    }),
                    _ => Err(BarnError::Decode(format!(
                        "asked for {path} from byte {from}, got range {start:?}"
                    ))),
                }
            }
            _ => Err(refusal(res).await),
        }
    }

    /// The account's reading progress as the platform has it.
    pub async fn lesson_progress(&self, token: &str) -> Result<ProgressBatch, BarnError> {
        self.json(Method::GET, paths::LESSON_PROGRESS, Some(token), None)
            .await
    }

    /// Merges `batch` into the account's progress; answers the merged whole.
    pub async fn put_lesson_progress(
        &self,
        token: &str,
        batch: &ProgressBatch,
    ) -> Result<ProgressBatch, BarnError> {
        let body = Self::body(batch)?;
        self.json(Method::PUT, paths::LESSON_PROGRESS, Some(token), Some(body))
            .await
    }
}

/// `bytes 100-199/1000` → 100.
fn content_range_start(v: &str) -> Option<u64> {
    let range = v.trim().strip_prefix("bytes ")?;
    range.split_once('-')?.0.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::content_range_start;

    #[test]
    fn content_range_start_is_read() {
        assert_eq!(content_range_start("bytes 100-199/1000"), Some(100));
        assert_eq!(content_range_start("bytes 0-0/*"), Some(0));
        assert_eq!(content_range_start("bytes */1000"), None);
        assert_eq!(content_range_start("items 1-2/3"), None);
    }
}
