//! The alarm inbox on the FFI: push receivers hand raw payloads to `on_push`, the app catches
//! up on start and wake-up, and the inbox screen reads the stored list.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::SystemTime;

use yannong_core::Timestamp;
use yannong_core::alarm::notify;
use yannong_core::alarm::{
    Inbox, PlanContext, PushChannel as CoreChannel, PushError, Pushed, QuietHours, Received,
};
use yannong_core::barn::api::{self as api, AlarmEventKind as CoreKind, Severity};
use yannong_core::barn::local;
use yannong_core::keys::public_key_from_hex;
use yannong_core::store::Store;
use yannong_core::text::Locale;

use crate::alarm_plan::{NotificationPlan, QuietHoursSetting, plan};
use crate::runtime::{blocking, on_runtime};
use crate::{Barns, LocalizedText, YannongError};

/// Quiet hours are judged in China's time zone until the shell gives the device's.
const CHINA_UTC_OFFSET: i32 = 480;

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
    /// New: carry out `notification`. `gap`: earlier events are missing, call `catchUp()`.
    New {
        kind: AlarmEventKind,
        alarm: AlarmInfo,
        gap: bool,
        notification: NotificationPlan,
    },
    /// Already here through another channel: nothing to show.
    Duplicate,
    /// The channel could only say that news exists up to `seq` (the event did not fit the
    /// vendor's limits): call `catchUp()`.
    CatchUpNeeded { seq: u64 },
}

/// Where a payload came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PushChannel {
    /// Firebase: `RemoteMessage.data` as a JSON object.
    Fcm,
    /// Huawei: `RemoteMessage.data` (the string).
    Hms,
    /// Honor: `HonorPushDataMsg.data`.
    Honor,
    /// Xiaomi: `MiPushMessage.content`.
    MiPush,
    /// OPPO: the tapped notification's extras as a JSON object.
    Oppo,
    /// vivo: `UPSNotificationMessage.params` as a JSON object.
    Vivo,
    /// APNs: the notification's `userInfo` as JSON.
    Apns,
    /// The platform's own alarm stream.
    Stream,
}

impl From<PushChannel> for CoreChannel {
    fn from(c: PushChannel) -> CoreChannel {
        match c {
            PushChannel::Fcm => CoreChannel::Fcm,
            PushChannel::Hms => CoreChannel::Hms,
            PushChannel::Honor => CoreChannel::Honor,
            PushChannel::MiPush => CoreChannel::MiPush,
            PushChannel::Oppo => CoreChannel::Oppo,
            PushChannel::Vivo => CoreChannel::Vivo,
            PushChannel::Apns => CoreChannel::Apns,
            PushChannel::Stream => CoreChannel::Stream,
        }
    }
}

#[derive(Debug, uniffi::Object)]
pub struct AlarmInbox {
    pub(crate) barns: Arc<yannong_core::barn::Barns>,
    pub(crate) store: Arc<Store>,
    pub(crate) inbox: Inbox,
    pub(crate) locale: Locale,
    /// The phone's UTC offset for quiet hours; China's until the shell says otherwise.
    utc_offset_minutes: AtomicI32,
}

impl AlarmInbox {
    pub(crate) fn context(&self) -> Result<PlanContext, YannongError> {
        Ok(PlanContext::load(
            &self.store,
            Timestamp::now(),
            self.utc_offset_minutes.load(Ordering::Relaxed),
            self.locale,
        )?)
    }

    /// Turns what the inbox made of a payload into what the shell does with it.
    pub(crate) fn outcome(&self, got: Pushed) -> Result<PushOutcome, YannongError> {
        Ok(match got {
            Pushed::CatchUp { seq } => PushOutcome::CatchUpNeeded { seq },
            Pushed::Received(Received::Duplicate) => PushOutcome::Duplicate,
            Pushed::Received(Received::New { event, gap }) => {
                let barn = self
                    .store
                    .read(|c| local::barn(c, event.alarm.barn_id))
                    .ok()
                    .flatten();
                let ctx = self.context()?;
                PushOutcome::New {
                    kind: kind(event.kind),
                    alarm: info(&event.alarm, self.locale),
                    gap,
                    notification: plan(&notify::plan(
                        &event,
                        barn.as_ref().map(|b| b.name.as_str()),
                        &ctx,
                    )),
                }
            }
        })
    }
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
            store: self.store.clone(),
            inbox: Inbox::new(self.store.clone(), keys),
            locale: self.locale,
            utc_offset_minutes: AtomicI32::new(CHINA_UTC_OFFSET),
        }))
    }
}

#[uniffi::export]
impl AlarmInbox {
    /// A push receiver's payload exactly as it arrived on `channel` (see [`PushChannel`] for
    /// what each receiver hands over). Forged, foreign or stale payloads are refused
    /// (`Integrity`), unreadable ones too (`InvalidInput`); neither changes anything.
    pub async fn on_push(
        self: Arc<Self>,
        payload: Vec<u8>,
        channel: PushChannel,
    ) -> Result<PushOutcome, YannongError> {
        blocking(move |_| {
            let me = self
                .barns
                .session()?
                .ok_or_else(|| YannongError::Unauthorized {
                    detail: "not logged in".to_owned(),
                })?
                .user
                .id;
            let got = self
                .inbox
                .on_push(channel.into(), &payload, me, Timestamp::now())
                .map_err(refused)?;
            self.outcome(got)
        })
        .await
    }

    /// The phone's offset from UTC in minutes (east positive), for quiet hours. Shells set
    /// it from the device's time zone; it starts as China's (+480).
    pub fn set_utc_offset_minutes(&self, minutes: i32) {
        self.utc_offset_minutes
            .store(minutes.clamp(-14 * 60, 14 * 60), Ordering::Relaxed);
    }

    /// Sets (or with `None` turns off) the user's quiet hours: below critical, alarms arriving
    /// then are shown without sound. Kept across restarts.
    pub async fn set_quiet_hours(
        &self,
        setting: Option<QuietHoursSetting>,
    ) -> Result<(), YannongError> {
        let q = setting
            .map(|q| QuietHours::new(q.start_minute, q.end_minute))
            .transpose()
            .map_err(|e| YannongError::InvalidInput {
                detail: e.to_string(),
                field: Some("quiet_hours".to_owned()),
                step: None,
            })?;
        let store = self.store.clone();
        blocking(move |_| Ok(notify::save_quiet_hours(&store, q)?)).await
    }

    pub async fn quiet_hours(&self) -> Result<Option<QuietHoursSetting>, YannongError> {
        let store = self.store.clone();
        blocking(move |_| {
            Ok(
                notify::load_quiet_hours(&store)?.map(|q| QuietHoursSetting {
                    start_minute: q.start_minute(),
                    end_minute: q.end_minute(),
                }),
            )
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

pub(crate) fn refused(e: PushError) -> YannongError {
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

pub(crate) fn kind(k: CoreKind) -> AlarmEventKind {
    match k {
        CoreKind::Raised => AlarmEventKind::Raised,
        CoreKind::Escalated => AlarmEventKind::Escalated,
        CoreKind::Cleared => AlarmEventKind::Cleared,
        CoreKind::Acknowledged => AlarmEventKind::Acknowledged,
        CoreKind::Reminder => AlarmEventKind::Reminder,
    }
}

pub(crate) fn severity(s: Severity) -> AlarmSeverity {
    match s {
        Severity::Info => AlarmSeverity::Info,
        Severity::Minor => AlarmSeverity::Minor,
        Severity::Major => AlarmSeverity::Major,
        Severity::Critical => AlarmSeverity::Critical,
    }
}

pub(crate) fn info(a: &api::Alarm, locale: Locale) -> AlarmInfo {
    AlarmInfo {
        id: a.id.0,
        barn_id: a.barn_id.0,
        rule: a.rule.clone(),
        severity: severity(a.severity),
        title: LocalizedText::new(&a.title, locale),
        action: LocalizedText::new(&a.action, locale),
        raised_at: a.raised_at.into(),
        cleared_at: a.cleared_at.map(Into::into),
        acknowledged_at: a.acked_at.map(Into::into),
    }
}
