use std::path::PathBuf;

use yannong_core::lessons::PackError;

/// Why the shelf could not open, publish or add an optional file. Anything refused leaves
/// nothing behind.
#[derive(Debug, thiserror::Error)]
pub enum ShelfError {
    /// The archive failed verification (signature, a file, the manifest, …).
    #[error("the pack was refused: {0}")]
    Refused(#[from] PackError),
    #[error("the archive is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    /// Versions are immutable: phones may hold half of the published one.
    #[error("{id} version {version} is already published with a different manifest")]
    Conflict { id: String, version: u32 },
    /// A stored version no longer verifies (key removed from the trusted set, files damaged).
    #[error("stored pack version {path} is unusable: {reason}")]
    Damaged { path: PathBuf, reason: String },
    #[error("i/o error on {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("this shelf has no folder: nothing can be published to it")]
    NoFolder,
    /// An optional file was offered for a version that is not on the shelf.
    #[error("{id} version {version} is not published")]
    NotPublished { id: String, version: u32 },
    /// Only the files a manifest marks optional travel outside the archive.
    #[error("`{path}` is not an optional file of {id} version {version}")]
    NotOptional {
        id: String,
        version: u32,
        path: String,
    },
    /// An optional file was refused: not the size the manifest says (reading stops just
    /// past it, so a huge upload costs little).
    #[error("`{path}` is not {expected} bytes long as the manifest says")]
    WrongSize { path: String, expected: u64 },
    #[error("`{path}` does not match the SHA-256 in the manifest")]
    WrongSha256 { path: String },
}

impl ShelfError {
    pub(super) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> ShelfError {
        ShelfError::Io {
            path: path.into(),
            source,
        }
    }

    pub(super) fn damaged(path: impl Into<PathBuf>, reason: impl std::fmt::Display) -> ShelfError {
        ShelfError::Damaged {
            path: path.into(),
            reason: reason.to_string(),
        }
    }
}
