//! Notification plans: what the Android and iOS shells show for an alarm event, decided here
//! once so both platforms behave alike. A shell only maps a plan onto its notification API.

mod channels;
mod quiet;
#[cfg(test)]
mod tests;

pub use channels::{Channel, Importance, Sound, channel, channels};
pub use quiet::{QuietHours, QuietHoursError, load_quiet_hours, save_quiet_hours};

use crate::barn::api::{AlarmEvent, AlarmEventKind, AlarmId, BarnId, Severity};
use crate::store::{Store, StoreError};
use crate::{Text, Timestamp, text::Locale};

/// What the shell does with the notification of a plan's `tag`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotifyAction {
    /// Post it, replacing one with the same tag; alerts as `alert` says.
    Show,
    /// Replace the one with the same tag without alerting (post it quietly if it was swiped).
    Update,
    /// Remove the one with the same tag; only `tag` and `group_key` matter.
    Dismiss,
}

/// iOS `UNNotificationInterruptionLevel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InterruptionLevel {
    Passive,
    Active,
    TimeSensitive,
    /// Needs Apple's critical-alert entitlement; sounds through Focus and the mute switch.
    Critical,
}

/// When and for whom a plan is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanContext {
    pub now: Timestamp,
    /// The phone's offset from UTC now, minutes east (China: 480).
    pub utc_offset_minutes: i32,
    /// `None`: off.
    pub quiet_hours: Option<QuietHours>,
    pub locale: Locale,
}

impl PlanContext {
    /// A context with the user's saved quiet hours.
    pub fn load(
        store: &Store,
        now: Timestamp,
        utc_offset_minutes: i32,
        locale: Locale,
    ) -> Result<PlanContext, StoreError> {
        Ok(PlanContext {
            now,
            utc_offset_minutes,
            quiet_hours: load_quiet_hours(store)?,
            locale,
        })
    }

    /// Minute of the phone's local day, 0–1439.
    pub fn local_minute(&self) -> u16 {
        let minutes = self.now.0.div_euclid(60_000) + i64::from(self.utc_offset_minutes);
        minutes.rem_euclid(1440) as u16
    }

    pub fn in_quiet_hours(&self) -> bool {
        self.quiet_hours
            .is_some_and(|q| q.contains(self.local_minute()))
    }
}

/// One notification change for the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationPlan {
    pub action: NotifyAction,
    /// Stable per alarm ("alarm-<id>"; "watchdog-…" for the phone's own): Android's
    /// notification tag, iOS's request identifier. Later events of the alarm reuse it.
    pub tag: String,
    /// For the acknowledge button; `None` for the phone's own alarms.
    pub alarm_id: Option<AlarmId>,
    pub severity: Severity,
    pub channel_id: &'static str,
    /// "barn-<id>" (or "platform"): Android group, iOS thread identifier.
    pub group_key: String,
    pub title: String,
    pub body: String,
    /// When the alarm was raised: the time the shade shows, not when the event arrived.
    pub when: Timestamp,
    pub importance: Importance,
    pub interruption: InterruptionLevel,
    /// Sound, vibrate and pop up now. Off for updates, notices and, below critical, inside
    /// quiet hours: shown silently there, never dropped.
    pub alert: bool,
    /// What to play and buzz when alerting (`None` and empty otherwise).
    pub sound: Sound,
    pub vibration: &'static [u64],
    /// Alerts through the user's quiet hours and the system's Do Not Disturb: critical only.
    pub breaks_quiet_hours: bool,
    /// Offer an "acknowledge" button: the alarm is not acknowledged yet.
    pub acknowledge_action: bool,
}

/// The plan for `event`, whose barn is called `barn_name` on this phone.
pub fn plan(event: &AlarmEvent, barn_name: Option<&str>, ctx: &PlanContext) -> NotificationPlan {
    let a = &event.alarm;
    let place = match barn_name.map(str::trim) {
        Some(n) if !n.is_empty() => n.to_owned(),
        _ => barn_label(a.barn_id, ctx.locale),
    };
    let mut plan = plan_subject(
        &Subject {
            tag: alarm_tag(a.id),
            alarm_id: Some(a.id),
            group_key: barn_group(a.barn_id),
            place: Some(place),
            severity: a.severity,
            headline: &a.title,
            action: &a.action,
            when: a.raised_at,
            kind: event.kind,
            cleared: a.cleared_at.is_some(),
            acked: Some(a.acked_at.is_some()),
        },
        ctx,
    );
    // An event that arrives late (catch-up after hours offline) is shown quietly: its alarm
    // may well have ended since. A critical one still sounds: better loud than missed.
    if ctx.now.0 - event.issued_at.0 > LATE_AFTER_MS && a.severity < Severity::Critical {
        plan.alert = false;
        plan.sound = Sound::None;
        plan.vibration = &[];
        plan.interruption = InterruptionLevel::Passive;
    }
    plan
}

/// Events older than this when they reach the phone do not sound (below critical).
pub const LATE_AFTER_MS: i64 = 30 * 60_000;

/// The notification tag of a platform alarm.
pub fn alarm_tag(id: AlarmId) -> String {
    format!("alarm-{id}")
}

/// The group of a barn's notifications.
pub fn barn_group(id: BarnId) -> String {
    format!("barn-{id}")
}

/// How a barn is named when this phone has no name for it.
pub(crate) fn barn_label(id: BarnId, locale: Locale) -> String {
    match locale {
        Locale::Zh => format!("烤房{id}"),
        Locale::En => format!("Barn {id}"),
    }
}

/// What a notification is about: a platform alarm or one the phone raised itself.
#[derive(Debug)]
pub(crate) struct Subject<'a> {
    pub tag: String,
    pub alarm_id: Option<AlarmId>,
    pub group_key: String,
    /// Shown before the headline (the barn's name).
    pub place: Option<String>,
    pub severity: Severity,
    pub headline: &'a Text,
    pub action: &'a Text,
    pub when: Timestamp,
    pub kind: AlarmEventKind,
    pub cleared: bool,
    /// `None`: nobody acknowledges it (the phone's own alarms).
    pub acked: Option<bool>,
}

pub(crate) fn plan_subject(s: &Subject<'_>, ctx: &PlanContext) -> NotificationPlan {
    use AlarmEventKind as K;
    let critical = s.severity == Severity::Critical;
    let needs_ack = s.acked == Some(false);
    let acked = s.acked == Some(true);
    // A critical alarm is done only when cleared and acknowledged (curing-domain §3): it
    // stays in the shade until both. Others go when they clear.
    let recovered = s.cleared && needs_ack && critical;
    let action = match s.kind {
        _ if s.cleared && !recovered => NotifyAction::Dismiss,
        K::Raised | K::Escalated | K::Reminder => NotifyAction::Show,
        K::Cleared | K::Acknowledged => NotifyAction::Update,
    };
    let alert = action == NotifyAction::Show
        && s.severity > Severity::Info
        && (critical || !ctx.in_quiet_hours());
    let ch = channel(s.severity);
    let zh = ctx.locale == Locale::Zh;
    let pick = |zh_text: &'static str, en_text: &'static str| if zh { zh_text } else { en_text };
    let label = if recovered {
        pick("已恢复", "Recovered")
    } else {
        severity_label(s.severity, ctx.locale)
    };
    let headline = s.headline.get(ctx.locale);
    let title = match (&s.place, zh) {
        (Some(p), true) => format!("【{label}】{p}：{headline}"),
        (Some(p), false) => format!("[{label}] {p}: {headline}"),
        (None, true) => format!("【{label}】{headline}"),
        (None, false) => format!("[{label}] {headline}"),
    };
    let todo = s.action.get(ctx.locale);
    let body = if recovered {
        pick("已恢复，请确认", "Back to normal, please acknowledge").to_owned()
    } else if acked {
        format!("{}{todo}", pick("已确认 · ", "Acknowledged · "))
    } else if s.kind == K::Reminder {
        format!("{}{todo}", pick("仍未确认：", "Still not acknowledged: "))
    } else {
        todo.to_owned()
    };
    NotificationPlan {
        action,
        tag: s.tag.clone(),
        alarm_id: s.alarm_id,
        severity: s.severity,
        channel_id: ch.id,
        group_key: s.group_key.clone(),
        title,
        body,
        when: s.when,
        importance: ch.importance,
        interruption: if alert {
            interruption(s.severity)
        } else {
            InterruptionLevel::Passive
        },
        alert,
        sound: if alert { ch.sound } else { Sound::None },
        vibration: if alert { ch.vibration } else { &[] },
        breaks_quiet_hours: alert && critical,
        acknowledge_action: needs_ack && action != NotifyAction::Dismiss,
    }
}

fn interruption(severity: Severity) -> InterruptionLevel {
    match severity {
        Severity::Critical => InterruptionLevel::Critical,
        Severity::Major => InterruptionLevel::TimeSensitive,
        Severity::Minor => InterruptionLevel::Active,
        Severity::Info => InterruptionLevel::Passive,
    }
}

/// The severity as the title's bracketed label.
pub fn severity_label(severity: Severity, locale: Locale) -> &'static str {
    let (zh, en) = match severity {
        Severity::Critical => ("严重", "Critical"),
        Severity::Major => ("重要", "Major"),
        Severity::Minor => ("一般", "Minor"),
        Severity::Info => ("提示", "Info"),
    };
    if locale == Locale::Zh { zh } else { en }
}
