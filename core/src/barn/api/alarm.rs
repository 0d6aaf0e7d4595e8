//! Alarm wire types shared by the platform's rule engine and the phone.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::{AlarmId, BarnId, CuringId, UserId};
use crate::keys::key_id;
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

/// What happened to an alarm, as one event in a person's alarm feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlarmEventKind {
    Raised,
    /// Severity went up.
    Escalated,
    Cleared,
    Acknowledged,
    /// A critical alarm is still not acknowledged: tell again (and, for someone new to it
    /// such as the station on escalation, tell for the first time).
    Reminder,
}

/// One event of a recipient's alarm feed. `seq` counts 1, 2, 3… per recipient with no gaps,
/// so a phone that holds 1..=n knows exactly what it is missing (ntfy's catch-up by id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AlarmEvent {
    pub recipient: UserId,
    pub seq: u64,
    pub kind: AlarmEventKind,
    pub alarm: Alarm,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub issued_at: Timestamp,
}

/// An [`AlarmEvent`] as it travels through push channels and the catch-up endpoint: the
/// exact JSON bytes that were signed (base64) and their Ed25519 signature. A phone trusts
/// nothing in it before [`SignedAlarmEvent::open`] succeeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SignedAlarmEvent {
    /// First 8 bytes of SHA-256 of the public key, hex.
    pub key_id: String,
    pub payload: String,
    pub ed25519: String,
}

/// Why a signed event was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("signed by an unknown key {0}")]
    UnknownKey(String),
    #[error("not base64 or not a signature")]
    Malformed,
    #[error("signature does not match the payload")]
    BadSignature,
    #[error("signed payload is not an alarm event: {0}")]
    Payload(String),
}

impl SignedAlarmEvent {
    /// Signs `event` (the platform side).
    pub fn seal(event: &AlarmEvent, key: &SigningKey) -> SignedAlarmEvent {
        let bytes = serde_json::to_vec(event)
            .unwrap_or_else(|e| unreachable!("alarm events always serialise: {e}"));
        SignedAlarmEvent {
            key_id: key_id(&key.verifying_key()),
            ed25519: B64.encode(key.sign(&bytes).to_bytes()),
            payload: B64.encode(bytes),
        }
    }

    /// Verifies the signature with one of `trusted` (strictly: no malleable signatures) and
    /// only then decodes the event.
    pub fn open(&self, trusted: &[VerifyingKey]) -> Result<AlarmEvent, EventError> {
        let key = trusted
            .iter()
            .find(|k| key_id(k) == self.key_id)
            .ok_or_else(|| EventError::UnknownKey(self.key_id.chars().take(16).collect()))?;
        let bytes = B64
            .decode(&self.payload)
            .map_err(|_| EventError::Malformed)?;
        let sig: [u8; 64] = B64
            .decode(&self.ed25519)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or(EventError::Malformed)?;
        key.verify_strict(&bytes, &Signature::from_bytes(&sig))
            .map_err(|_| EventError::BadSignature)?;
        serde_json::from_slice(&bytes).map_err(|e| EventError::Payload(e.to_string()))
    }
}
