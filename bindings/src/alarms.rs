//! The alarm inbox on the FFI: push receivers hand raw payloads to `on_push`, the app catches
//! up on start and wake-up, and the inbox screen reads the stored list.

use std::sync::Arc;
use std::time::SystemTime;

use yannong_core::Timestamp;
use yannong_core::alarm::{Inbox, PushError, Received};
use yannong_core::barn::api::{self as api, AlarmEventKind as CoreKind, Severity};
use yannong_core::keys::public_key_from_hex;
use yannong_core::text::Locale;

use crate::runtime::{blocking, on_runtime};
use crate::{Barns, LocalizedText, YannongError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AlarmSeverity {
    Info,
    Minor,
    Major,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AlarmEventKind {
    Raised,
    Escalated,
    Cleared,
    Acknowledged,
    /// Still not acknowledged: notify again.
    Reminder,
}

/// An alarm as the inbox holds it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AlarmInfo {
    pub id: i64,
    pub barn_id: i64,
    /// "A01"–"A20" (lessons link to them: `lessonsFor(ALARM, rule)`).
    pub rule: String,
    pub severity: AlarmSeverity,
    pub title: LocalizedText,
    /// What to do.
    pub action: LocalizedText,
    pub raised_at: SystemTime,
    pub cleared_at: Option<SystemTime>,
    pub acknowledged_at: Option<SystemTime>,
}

/// What a push (or catch-up) brought.
// Crosses the FFI by value (UniFFI has no boxes); one per push, the size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum PushOutcome {
    /// New: show or update its notification. `gap`: earlier events are missing, call
    /// `catchUp()`.
    New {
        kind: AlarmEventKind,
        alarm: AlarmInfo,
        gap: bool,
    },
    /// Already here through another channel: nothing to show.
    Duplicate,
}

#[derive(Debug, uniffi::Object)]
pub struct AlarmInbox {
    barns: Arc<yannong_core::barn::Barns>,
    inbox: Inbox,
    locale: Locale,
}

#[uniffi::export]
impl Barns {
    /// The alarm inbox of the logged-in account, accepting events signed by one of
    /// `trusted_keys` (the platform's Ed25519 public keys, 64 hex digits each, shipped with
    /// the app).
    pub fn alarm_inbox(&self, trusted_keys: Vec<String>) -> Result<Arc<AlarmInbox>, YannongError> {
        let keys = trusted_keys
            .iter()
            .map(|k| {
                public_key_from_hex(k).ok_or_else(|| YannongError::InvalidInput {
                    detail: "a trusted alarm key must be 64 hex digits of an Ed25519 key"
                        .to_owned(),
                    field: Some("trusted_keys".to_owned()),
                    step: None,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(YannongError::InvalidInput {
                detail: "at least one trusted alarm key is needed".to_owned(),
                field: Some("trusted_keys".to_owned()),
                step: None,
            });
        }
        Ok(Arc::new(AlarmInbox {
            barns: self.inner.clone(),
            inbox: Inbox::new(self.store.clone(), keys),
            locale: self.locale,
        }))
    }
}

#[uniffi::export]
impl AlarmInbox {
    /// A push receiver's payload (the signed event's JSON, as every channel carries it) from
    /// `channel` ("fcm", "hms", "mipush", "apns"…). Forged, foreign or unreadable payloads
    /// are refused (`Integrity` / `InvalidInput`) and change nothing.
    pub async fn on_push(
        &self,
        payload: Vec<u8>,
        channel: String,
    ) -> Result<PushOutcome, YannongError> {
        let (barns, inbox, locale) = (self.barns.clone(), self.inbox.clone(), self.locale);
        blocking(move |_| {
            let me = barns
                .session()?
                .ok_or_else(|| YannongError::Unauthorized {
                    detail: "not logged in".to_owned(),
                })?
                .user
                .id;
            let got = inbox
                .receive_bytes(&payload, &channel, me, Timestamp::now())
                .map_err(refused)?;
            Ok(match got {
                Received::Duplicate => PushOutcome::Duplicate,
                Received::New { event, gap } => PushOutcome::New {
                    kind: kind(event.kind),
                    alarm: info(&event.alarm, locale),
                    gap,
                },
            })
        })
        .await
    }

    /// Fetches whatever the push channels lost; returns how many events were new. Call on
    /// app start, on periodic wake-up and when the network returns.
    pub async fn catch_up(&self) -> Result<u32, YannongError> {
        let (barns, inbox) = (self.barns.clone(), self.inbox.clone());
        on_runtime(async move { Ok(barns.catch_up_alarms(&inbox).await?) }).await
    }

    /// The inbox: each alarm once with its newest state, newest raised first. Offline.
    pub async fn alarms(&self) -> Result<Vec<AlarmInfo>, YannongError> {
        let (barns, inbox, locale) = (self.barns.clone(), self.inbox.clone(), self.locale);
        blocking(move |_| {
            let Some(session) = barns.session()? else {
                return Ok(Vec::new());
            };
            let alarms = inbox.alarms(session.user.id).map_err(refused)?;
            Ok(alarms.iter().map(|a| info(a, locale)).collect())
        })
        .await
    }
}

fn refused(e: PushError) -> YannongError {
    match e {
        PushError::Store(e) => e.into(),
        PushError::Unreadable(_) => YannongError::InvalidInput {
            detail: e.to_string(),
            field: Some("payload".to_owned()),
            step: None,
        },
        PushError::Forged(_) | PushError::WrongRecipient | PushError::Stale { .. } => {
            YannongError::Integrity {
                detail: e.to_string(),
            }
        }
    }
}

fn kind(k: CoreKind) -> AlarmEventKind {
    match k {
        CoreKind::Raised => AlarmEventKind::Raised,
        CoreKind::Escalated => AlarmEventKind::Escalated,
        CoreKind::Cleared => AlarmEventKind::Cleared,
        CoreKind::Acknowledged => AlarmEventKind::Acknowledged,
        CoreKind::Reminder => AlarmEventKind::Reminder,
    }
}

fn info(a: &api::Alarm, locale: Locale) -> AlarmInfo {
    AlarmInfo {
        id: a.id.0,
        barn_id: a.barn_id.0,
        rule: a.rule.clone(),
        severity: match a.severity {
            Severity::Info => AlarmSeverity::Info,
            Severity::Minor => AlarmSeverity::Minor,
            Severity::Major => AlarmSeverity::Major,
            Severity::Critical => AlarmSeverity::Critical,
        },
        title: LocalizedText::new(&a.title, locale),
        action: LocalizedText::new(&a.action, locale),
        raised_at: a.raised_at.into(),
        cleared_at: a.cleared_at.map(Into::into),
        acknowledged_at: a.acked_at.map(Into::into),
    }
}
