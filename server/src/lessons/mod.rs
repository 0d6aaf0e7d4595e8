//! Lesson packs on the platform: the shelf of published pack versions the phones download
//! file by file, and the rules for the reading progress they sync.

mod error;
mod models;
mod optional;
mod progress;
mod shelf;
mod stage;
mod stored;

pub use error::ShelfError;
pub use models::PublishedModels;
pub use progress::{MAX_CLOCK_AHEAD_MS, validate_progress};
pub use shelf::Shelf;
pub(crate) use shelf::parse_version;
pub use stored::{Item, Served, StoredVersion};
