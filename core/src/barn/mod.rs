//! Barn monitoring: the platform's wire types ([`api`], shared with `yannong-server` so the
//! client and the platform cannot drift), the HTTPS client, and [`Barns`], which syncs the
//! platform into the local store that every screen reads.

pub mod analysis;
pub mod api;
pub mod client;
pub mod curve_view;
mod error;
pub mod local;
pub mod lttb;
pub mod overview;
pub mod pictures;
pub mod rows;
pub mod secrets;
mod service;
pub mod sse;

pub use client::ClientConfig;
pub use error::BarnError;
pub use local::LocalSession;
pub use secrets::{MemorySecrets, SecretStore};
pub(crate) use service::Backoff;
pub use service::{AlarmWatchEvent, Barns, SyncReport, WatchEvent};
