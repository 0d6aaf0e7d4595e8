use crate::Text;

/// Why a lesson pack was refused. Every variant means nothing was installed.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("pack archive is malformed: {0}")]
    Malformed(String),
    #[error("unsafe pack entry `{path}`: {reason}")]
    UnsafeEntry { path: String, reason: &'static str },
    #[error("pack entry `{0}` appears twice")]
    Duplicate(String),
    #[error("pack is too large: {what} is {actual}, the limit is {limit}")]
    TooLarge {
        what: &'static str,
        actual: u64,
        limit: u64,
    },
    #[error("manifest is invalid: {}", .0.en)]
    Manifest(Text),
    #[error("the manifest signature does not verify (key {key_id})")]
    BadSignature { key_id: String },
    #[error("the pack is signed by key {0}, which this app does not trust")]
    UnknownKey(String),
    #[error("file `{path}` does not match the manifest: {reason}")]
    Mismatch { path: String, reason: String },
    #[error("file `{0}` is listed in the manifest but missing from the archive")]
    Missing(String),
    #[error("file `{0}` is in the archive but not in the manifest")]
    Unlisted(String),
    #[error("i/o error on {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("content folder: {0}")]
    Content(String),
}

impl PackError {
    pub(crate) fn manifest(zh: impl Into<String>, en: impl Into<String>) -> Self {
        PackError::Manifest(Text::new(zh, en))
    }

    pub(crate) fn io(path: impl std::fmt::Display, source: std::io::Error) -> Self {
        PackError::Io {
            path: path.to_string(),
            source,
        }
    }
}
