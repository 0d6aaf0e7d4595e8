//! Push dispatch: each person's signed alarm feed goes to every device they registered,
//! through that device's vendor (FCM, Huawei, Honor, Xiaomi, OPPO, vivo, APNs), each in its
//! documented request format, to configurable endpoints. The self-hosted channel is the SSE
//! stream in `api/stream.rs`.

pub mod config;
mod dispatch;
pub mod message;
pub mod request;
pub mod standin;
pub mod vendors;

pub use config::{PushConfig, Secret};
pub use dispatch::{Dispatcher, RoundReport, retry_delay};
pub use vendors::Vendors;
