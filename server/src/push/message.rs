//! What is pushed for one event of someone's alarm feed, whatever the vendor.

use yannong_core::alarm::channel::{AFTER_KEY, EVENT_KEY};
use yannong_core::barn::api::{AlarmEvent, AlarmEventKind, Severity, SignedAlarmEvent};

/// One event ready for the vendors: the signed JSON the phone verifies, and the Chinese text
/// vendors that draw the notification themselves (OPPO, vivo, APNs, MiPush notifications)
/// show before the app runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub event: AlarmEvent,
    /// The [`SignedAlarmEvent`] as compact JSON.
    pub signed_json: String,
    pub title: String,
    pub body: String,
}

impl Message {
    pub fn new(event: AlarmEvent, signed: &SignedAlarmEvent, barn_name: &str) -> Message {
        let a = &event.alarm;
        let tag = match (event.kind, a.severity) {
            (AlarmEventKind::Cleared, _) => "已恢复",
            (AlarmEventKind::Acknowledged, _) => "已确认",
            (AlarmEventKind::Reminder, _) => "仍未确认",
            (_, Severity::Critical) => "严重",
            (_, Severity::Major) => "重要",
            (_, Severity::Minor) => "提醒",
            (_, Severity::Info) => "信息",
        };
        Message {
            title: format!("【{tag}】{barn_name}：{}", a.title.zh),
            body: a.action.zh.clone(),
            signed_json: serde_json::to_string(signed)
                .unwrap_or_else(|e| unreachable!("signed events always serialise: {e}")),
            event,
        }
    }

    /// Whether the phone must wake and sound now (vendors' high-priority flags): a critical
    /// or major alarm raised, worsened or still unacknowledged.
    pub fn urgent(&self) -> bool {
        self.event.alarm.severity >= Severity::Major
            && matches!(
                self.event.kind,
                AlarmEventKind::Raised | AlarmEventKind::Escalated | AlarmEventKind::Reminder
            )
    }

    pub fn critical(&self) -> bool {
        self.urgent() && self.event.alarm.severity == Severity::Critical
    }

    /// The data entry: the signed event when it fits `limit` bytes, else the catch-up hint.
    pub fn data_entry(&self, limit: usize) -> (&'static str, String) {
        if self.signed_json.len() <= limit {
            (EVENT_KEY, self.signed_json.clone())
        } else {
            (AFTER_KEY, self.event.seq.to_string())
        }
    }

    /// The data entry as a one-entry JSON object, for vendors that carry a data string.
    pub fn data_object(&self, limit: usize) -> serde_json::Value {
        let (k, v) = self.data_entry(limit);
        serde_json::json!({ k: v })
    }

    /// Replaces the notification of the same alarm instead of stacking a new one.
    pub fn collapse_id(&self) -> String {
        format!("alarm-{}", self.event.alarm.id.0)
    }

    pub fn group(&self) -> String {
        format!("barn-{}", self.event.alarm.barn_id.0)
    }

    /// Unique per event and recipient: vendors that dedupe by request id drop our retries.
    pub fn request_id(&self) -> String {
        format!("yn-{}-{}", self.event.recipient.0, self.event.seq)
    }

    /// The Android notification channel the app created for this severity.
    pub fn android_channel(&self) -> &'static str {
        match self.event.alarm.severity {
            Severity::Critical => "alarm_critical",
            Severity::Major => "alarm_major",
            Severity::Minor => "alarm_minor",
            Severity::Info => "alarm_info",
        }
    }
}

/// Cuts `s` to at most `max` characters (vendors count characters, not bytes).
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}
