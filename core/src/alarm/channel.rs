//! Push channels and the shapes their payloads reach the phone in. The platform puts the same
//! signed event under [`EVENT_KEY`] in every vendor's message; each shell hands over what
//! its receiver got, unchanged, and this module finds the event (or, where a vendor could
//! not carry it, the [`AFTER_KEY`] hint that says "catch up after N").

use serde_json::{Map, Value};

use crate::barn::api::SignedAlarmEvent;

/// Key of the signed event (its JSON as a string) in every vendor's data/extras map.
pub const EVENT_KEY: &str = "yn";
/// Key of the catch-up hint: the feed's newest sequence number, sent instead of the event
/// when the event does not fit the vendor's limits. Unsigned: it can only cause a catch-up.
pub const AFTER_KEY: &str = "yn_seq";

/// Where a payload came from. The name is also what the inbox records per event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PushChannel {
    /// Firebase Cloud Messaging (HTTP v1). Shell: the `RemoteMessage.data` map as a JSON object.
    Fcm,
    /// Huawei Push Kit. Shell: `RemoteMessage.data`, the data string as sent.
    Hms,
    /// Honor Push. Shell: `HonorPushDataMsg.data`, the data string as sent.
    Honor,
    /// Xiaomi MiPush pass-through. Shell: `MiPushMessage.content`.
    MiPush,
    /// OPPO Push (notification messages only). Shell: the tapped notification's extras as a
    /// JSON object.
    Oppo,
    /// vivo Push (notification messages only). Shell: `UPSNotificationMessage.params` as a
    /// JSON object.
    Vivo,
    /// Apple Push Notification service. Shell: the notification's `userInfo` as JSON.
    Apns,
    /// The platform's own event stream (SSE), ntfy-style: one signed event per message.
    Stream,
}

impl PushChannel {
    pub const ALL: [PushChannel; 8] = [
        PushChannel::Fcm,
        PushChannel::Hms,
        PushChannel::Honor,
        PushChannel::MiPush,
        PushChannel::Oppo,
        PushChannel::Vivo,
        PushChannel::Apns,
        PushChannel::Stream,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PushChannel::Fcm => "fcm",
            PushChannel::Hms => "hms",
            PushChannel::Honor => "honor",
            PushChannel::MiPush => "mipush",
            PushChannel::Oppo => "oppo",
            PushChannel::Vivo => "vivo",
            PushChannel::Apns => "apns",
            PushChannel::Stream => "stream",
        }
    }

    pub fn parse(name: &str) -> Option<PushChannel> {
        PushChannel::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

impl std::fmt::Display for PushChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a channel's payload carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carried {
    Event(SignedAlarmEvent),
    /// Only "something after `seq` exists": fetch it with catch-up.
    CatchUp {
        seq: u64,
    },
}

/// Why a payload could not be read at all (before any signature is looked at).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{channel} payload: {reason}")]
pub struct Unreadable {
    pub channel: &'static str,
    pub reason: String,
}

/// Biggest payload any shell hands over (vendors cap theirs at 4 KB; SSE lines are ours).
const MAX_RAW: usize = 16 * 1024;

/// Finds the signed event in `raw` as `channel`'s receiver hands it over.
pub fn unwrap(channel: PushChannel, raw: &[u8]) -> Result<Carried, Unreadable> {
    let bad = |reason: String| Unreadable {
        channel: channel.as_str(),
        reason,
    };
    if raw.len() > MAX_RAW {
        return Err(bad(format!(
            "{} bytes, more than any channel carries",
            raw.len()
        )));
    }
    let value: Value = serde_json::from_slice(raw).map_err(|e| bad(format!("not JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(bad("not a JSON object".to_owned()));
    };
    // The stream sends the signed event itself; so may a shell that unpacked it already.
    if map.contains_key("key_id") {
        return signed(Value::Object(map)).map_err(bad);
    }
    if channel == PushChannel::Apns && !map.contains_key("aps") {
        return Err(bad("no \"aps\" dictionary".to_owned()));
    }
    from_map(&map).map_err(bad)
}

fn from_map(map: &Map<String, Value>) -> Result<Carried, String> {
    if let Some(v) = map.get(EVENT_KEY) {
        return match v {
            // Vendors' data maps hold strings only: the event travels as its JSON text.
            Value::String(s) => {
                signed(serde_json::from_str(s).map_err(|e| format!("\"{EVENT_KEY}\": {e}"))?)
            }
            other => signed(other.clone()),
        };
    }
    if let Some(v) = map.get(AFTER_KEY) {
        let seq = match v {
            Value::String(s) => s.parse().ok(),
            Value::Number(n) => n.as_u64(),
            _ => None,
        };
        return seq
            .map(|seq| Carried::CatchUp { seq })
            .ok_or_else(|| format!("\"{AFTER_KEY}\" is not a sequence number"));
    }
    Err(format!("no \"{EVENT_KEY}\" or \"{AFTER_KEY}\" entry"))
}

fn signed(v: Value) -> Result<Carried, String> {
    serde_json::from_value(v)
        .map(Carried::Event)
        .map_err(|e| format!("not a signed alarm event: {e}"))
}

#[cfg(test)]
mod tests;
