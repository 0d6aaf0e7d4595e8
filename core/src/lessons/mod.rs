//! Offline lesson packs (烟叶生产技术小课堂): the signed pack format, reading and verifying a
//! pack archive, and (with the `builder` feature) building one from a content folder.
//! The format is documented in `docs/lesson-pack-format.md`.

mod archive;
#[cfg(feature = "builder")]
mod build;
pub mod download;
mod error;
mod fetched;
mod library;
mod manifest;
mod media;
mod progress_sync;
mod reading;
mod render;
pub mod search;
mod sign;

pub use archive::{PackReader, VerifiedPack, write_archive};
#[cfg(feature = "builder")]
pub use build::build_pack;
pub use error::PackError;
pub use library::{InstallOutcome, InstalledPack, LessonLibrary, LibraryError};
pub use manifest::{FileEntry, LessonEntry, LessonLinks, Manifest};
pub use media::MediaFile;
pub use reading::{LessonSummary, LinkKind, Progress};
pub use render::{render_html, render_page};
pub use sign::{PackSigner, TrustedKeys, key_id};
