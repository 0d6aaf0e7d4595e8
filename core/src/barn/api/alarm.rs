//! Alarm wire types shared by the platform's rule engine and the phone.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// How bad an alarm is (curing-domain.md §3). Ordered: `Info < Minor < Major < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Logged only.
    Info,
    /// Needs attention.
    Minor,
    /// Quality loss likely: push.
    Major,
    /// Load or safety at risk within minutes to hours: push, SMS or call, repeated until
    /// acknowledged.
    Critical,
}
