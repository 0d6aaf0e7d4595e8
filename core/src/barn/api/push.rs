//! Push registration: a phone tells the platform where its alarm events can be pushed.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Vendors' tokens are opaque strings of up to a few hundred bytes; anything longer is not one.
pub const MAX_PUSH_TOKEN: usize = 4096;

/// `POST /api/v1/devices`: register (or move to this account) a push token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RegisterDevice {
    /// "fcm", "hms", "honor", "mipush", "oppo", "vivo" or "apns" (`PushChannel` names).
    pub channel: String,
    /// The vendor's token / registration id for this app on this phone.
    pub token: String,
}

/// A registered device as its owner sees it. The token is never echoed whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PushDevice {
    pub id: i64,
    pub channel: String,
    /// Last 6 characters of the token, to tell devices apart.
    pub token_tail: String,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub registered_at: Timestamp,
    /// Highest feed sequence number a vendor accepted for this device.
    pub delivered_seq: u64,
    /// Why the last attempt failed, while it is being retried.
    pub last_error: Option<String>,
    /// Set when the vendor said the token is no longer valid; register again.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub disabled_at: Option<Timestamp>,
}
