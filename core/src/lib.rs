//! Yannong core: the whole app logic in pure Rust. No FFI attributes live here; `yannong-ffi`
//! wraps these types for Kotlin and Swift.

#![forbid(unsafe_code)]

pub mod alarm;
pub mod barn;
pub mod cancel;
pub mod curing;
mod fsutil;
pub mod keys;
pub mod leaf;
pub mod lessons;
pub mod store;
pub mod text;
pub mod time;

pub use text::Text;
pub use time::Timestamp;
