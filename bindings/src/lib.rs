//! Yannong's FFI seam: thin UniFFI wrappers over `yannong-core`, the one tokio runtime and the
//! one public error type. Kotlin and Swift see only the types declared here.

uniffi::setup_scaffolding!();

mod alarm_delivery;
mod alarm_plan;
mod alarms;
mod barn_views;
mod barns;
mod curing;
mod diagnostics;
mod error;
mod leaf;
mod lesson_download;
mod lessons;
mod logging;
mod runtime;
mod types;
mod yannong;

pub use alarm_delivery::*;
pub use alarm_plan::*;
pub use alarms::*;
pub use barn_views::*;
pub use barns::*;
pub use curing::*;
pub use diagnostics::*;
pub use error::YannongError;
pub use leaf::*;
pub use lessons::*;
pub use logging::{LogLevel, LogRecord, LogSink, clear_log_sink, set_log_sink};
pub use types::*;
pub use yannong::{Yannong, YannongConfig};

/// Version of the Rust core the app is running, for "about" screens and bug reports.
#[uniffi::export]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
