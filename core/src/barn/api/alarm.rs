//! Alarm wire types shared by the platform's rule engine and the phone.

use serde::{Deserialize, Serialize};

use super::{AlarmId, BarnId, CuringId, UserId};
use crate::{Text, Timestamp};

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

/// An alarm as the platform keeps it (ThingsBoard's lifecycle: active or cleared, and
/// acknowledged or not, independently). A critical alarm is done only when it is both
/// cleared and acknowledged; until it is acknowledged its escalation goes on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Alarm {
    pub id: AlarmId,
    pub barn_id: BarnId,
    /// The cure running when it was raised.
    pub curing_id: Option<CuringId>,
    /// Rule id, "A01"–"A20" (curing-domain.md §3).
    pub rule: String,
    /// Version of the rule set that raised it.
    pub rules_version: u32,
    /// The worst it got; it never goes down while active.
    pub severity: Severity,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub title: Text,
    /// What to do.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub action: Text,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub raised_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub updated_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub cleared_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub acked_at: Option<Timestamp>,
    pub acked_by: Option<UserId>,
}
