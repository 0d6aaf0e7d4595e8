//! Notification plans and channels on the FFI: what the shells show for an alarm, decided by
//! the core so Android and iOS behave alike.

use std::time::{Duration, SystemTime};

use yannong_core::alarm::notify::{self, Importance, InterruptionLevel as CoreLevel, Sound};
use yannong_core::alarm::{LocalAlarm, LocalAlarmKind, NotifyAction as CoreAction};
use yannong_core::text::Locale;

use crate::LocalizedText;
use crate::alarms::{AlarmEventKind, AlarmSeverity, kind, severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NotifyAction {
    /// Post it (replacing one with the same tag); alert as `alert` says.
    Show,
    /// Replace the one with the same tag quietly.
    Update,
    /// Remove the one with the same tag.
    Dismiss,
}

/// Android `NotificationManager.IMPORTANCE_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NotificationImportance {
    Low,
    Default,
    High,
    Max,
}

/// iOS `UNNotificationInterruptionLevel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum InterruptionLevel {
    Passive,
    Active,
    TimeSensitive,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NotificationSound {
    None,
    Default,
    /// Loud alarm sound (Android `USAGE_ALARM`, iOS `defaultCritical`).
    Alarm,
}

/// One notification change for the shell.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NotificationPlan {
    pub action: NotifyAction,
    /// Stable per alarm: Android notification tag, iOS request identifier.
    pub tag: String,
    /// For the acknowledge action; `None` for the phone's own (watchdog) alarms.
    pub alarm_id: Option<i64>,
    pub severity: AlarmSeverity,
    /// The Android channel (see `notificationChannels()`).
    pub channel_id: String,
    /// Android group / iOS thread identifier: one per barn.
    pub group_key: String,
    pub title: String,
    pub body: String,
    /// When the alarm was raised (the time the shade shows).
    pub when: SystemTime,
    pub importance: NotificationImportance,
    pub interruption: InterruptionLevel,
    /// Sound, vibrate and pop up now.
    pub alert: bool,
    pub sound: NotificationSound,
    /// Android vibration pattern in ms (wait, buzz, wait…); empty for none.
    pub vibration_ms: Vec<u64>,
    /// May sound through quiet hours and Do Not Disturb (critical alarms only).
    pub breaks_quiet_hours: bool,
    /// Offer an "acknowledge" action button.
    pub acknowledge_action: bool,
}

/// An Android notification channel to create at start-up (ids are stable).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NotificationChannel {
    pub id: String,
    pub severity: AlarmSeverity,
    pub name: LocalizedText,
    pub description: LocalizedText,
    pub importance: NotificationImportance,
    pub sound: NotificationSound,
    pub vibration_ms: Vec<u64>,
    /// Sounds through Do Not Disturb (needs the user's "override Do Not Disturb" grant).
    pub bypass_dnd: bool,
}

/// Every alarm notification channel, most urgent first, named in `zh` or `en`.
#[uniffi::export]
pub fn notification_channels(locale: String) -> Vec<NotificationChannel> {
    let locale = Locale::from_tag(&locale);
    notify::channels()
        .into_iter()
        .map(|c| NotificationChannel {
            id: c.id.to_owned(),
            severity: severity(c.severity),
            name: LocalizedText::new(&c.name, locale),
            description: LocalizedText::new(&c.description, locale),
            importance: importance(c.importance),
            sound: sound(c.sound),
            vibration_ms: c.vibration.to_vec(),
            bypass_dnd: c.bypass_dnd,
        })
        .collect()
}

/// A user's quiet hours: minutes of the local day, `start` inclusive to `end` exclusive,
/// wrapping midnight when `end < start` (22:00–06:00 is 1320–360).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct QuietHoursSetting {
    pub start_minute: u16,
    pub end_minute: u16,
}

/// Which local alarm the phone raised by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LocalAlarmSubject {
    /// The platform has not been reached: pushes may not be arriving either.
    PlatformSilent,
    /// A barn with a running cure has sent nothing.
    BarnSilent { barn_id: i64 },
}

/// A change of one of the phone's own alarms (the watchdog's).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LocalAlarmInfo {
    pub subject: LocalAlarmSubject,
    /// `Raised`, `Escalated` or `Cleared`.
    pub change: AlarmEventKind,
    pub severity: AlarmSeverity,
    pub silent_for: Duration,
    pub title: LocalizedText,
    pub body: LocalizedText,
    pub notification: NotificationPlan,
}

pub(crate) fn local_alarm(a: &LocalAlarm, locale: Locale) -> LocalAlarmInfo {
    LocalAlarmInfo {
        subject: match a.kind {
            LocalAlarmKind::PlatformSilent => LocalAlarmSubject::PlatformSilent,
            LocalAlarmKind::BarnSilent { barn_id } => {
                LocalAlarmSubject::BarnSilent { barn_id: barn_id.0 }
            }
        },
        change: kind(a.change),
        severity: severity(a.severity),
        silent_for: a.silent_for,
        title: LocalizedText::new(&a.title, locale),
        body: LocalizedText::new(&a.body, locale),
        notification: plan(&a.notification),
    }
}

pub(crate) fn plan(p: &notify::NotificationPlan) -> NotificationPlan {
    NotificationPlan {
        action: match p.action {
            CoreAction::Show => NotifyAction::Show,
            CoreAction::Update => NotifyAction::Update,
            CoreAction::Dismiss => NotifyAction::Dismiss,
        },
        tag: p.tag.clone(),
        alarm_id: p.alarm_id.map(|id| id.0),
        severity: severity(p.severity),
        channel_id: p.channel_id.to_owned(),
        group_key: p.group_key.clone(),
        title: p.title.clone(),
        body: p.body.clone(),
        when: p.when.into(),
        importance: importance(p.importance),
        interruption: match p.interruption {
            CoreLevel::Passive => InterruptionLevel::Passive,
            CoreLevel::Active => InterruptionLevel::Active,
            CoreLevel::TimeSensitive => InterruptionLevel::TimeSensitive,
            CoreLevel::Critical => InterruptionLevel::Critical,
        },
        alert: p.alert,
        sound: sound(p.sound),
        vibration_ms: p.vibration.to_vec(),
        breaks_quiet_hours: p.breaks_quiet_hours,
        acknowledge_action: p.acknowledge_action,
    }
}

fn importance(i: Importance) -> NotificationImportance {
    match i {
        Importance::Low => NotificationImportance::Low,
        Importance::Default => NotificationImportance::Default,
        Importance::High => NotificationImportance::High,
        Importance::Max => NotificationImportance::Max,
    }
}

fn sound(s: Sound) -> NotificationSound {
    match s {
        Sound::None => NotificationSound::None,
        Sound::Default => NotificationSound::Default,
        Sound::Alarm => NotificationSound::Alarm,
    }
}
