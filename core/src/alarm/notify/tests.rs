#![allow(clippy::unwrap_used)]

use super::*;
use crate::barn::api::{Alarm, UserId};

/// 2026-06-01 00:00 UTC; in China (UTC+8) that is 08:00.
const MIDNIGHT_UTC: i64 = 1_780_272_000_000;
const MIN: i64 = 60_000;
const CHINA: i32 = 480;

fn alarm(severity: Severity) -> Alarm {
    Alarm {
        id: AlarmId(42),
        barn_id: BarnId(3),
        curing_id: None,
        rule: "A10".into(),
        rules_version: 1,
        severity,
        title: Text::new("循环风机停转", "Circulation fan stopped"),
        action: Text::new("循环风机停转，立即检修", "Circulation fan stopped"),
        raised_at: Timestamp(MIDNIGHT_UTC - 5 * MIN),
        updated_at: Timestamp(MIDNIGHT_UTC - 5 * MIN),
        cleared_at: None,
        acked_at: None,
        acked_by: None,
    }
}

fn event(kind: AlarmEventKind, alarm: Alarm) -> AlarmEvent {
    AlarmEvent {
        recipient: UserId(1),
        seq: 9,
        kind,
        alarm,
        issued_at: Timestamp(MIDNIGHT_UTC),
    }
}

/// Local time `hh:mm` in China, with quiet hours 22:00–06:00.
fn ctx_at(hh: i64, mm: i64) -> PlanContext {
    PlanContext {
        now: Timestamp(MIDNIGHT_UTC + ((hh - 8) * 60 + mm) * MIN),
        utc_offset_minutes: CHINA,
        quiet_hours: Some(QuietHours::new(22 * 60, 6 * 60).unwrap()),
        locale: Locale::Zh,
    }
}

/// Raised just now (as a push brings it).
fn raised(severity: Severity, ctx: &PlanContext) -> NotificationPlan {
    let mut e = event(AlarmEventKind::Raised, alarm(severity));
    e.issued_at = ctx.now;
    plan(&e, Some("3号烤房"), ctx)
}

#[test]
fn late_events_are_shown_quietly_unless_critical() {
    let ctx = ctx_at(14, 0);
    let late = |severity| {
        let mut e = event(AlarmEventKind::Raised, alarm(severity));
        e.issued_at = Timestamp(ctx.now.0 - LATE_AFTER_MS - MIN);
        plan(&e, Some("3号烤房"), &ctx)
    };
    let major = late(Severity::Major);
    assert_eq!(major.action, NotifyAction::Show);
    assert_eq!(
        (major.alert, major.sound, major.interruption),
        (false, Sound::None, InterruptionLevel::Passive)
    );
    assert!(major.vibration.is_empty());
    let critical = late(Severity::Critical);
    assert!(critical.alert && critical.breaks_quiet_hours);
    assert!(raised(Severity::Major, &ctx).alert);
}

#[test]
fn every_severity_has_its_channel_and_importance() {
    use InterruptionLevel as L;
    let plans: Vec<_> = [
        Severity::Critical,
        Severity::Major,
        Severity::Minor,
        Severity::Info,
    ]
    .map(|s| raised(s, &ctx_at(14, 0)))
    .to_vec();
    let ids: Vec<_> = plans.iter().map(|p| p.channel_id).collect();
    assert_eq!(
        ids,
        ["alarm_critical", "alarm_major", "alarm_minor", "alarm_info"]
    );
    let importance: Vec<_> = plans.iter().map(|p| p.importance).collect();
    use Importance as I;
    assert_eq!(importance, [I::Max, I::High, I::Default, I::Low]);
    let ios: Vec<_> = plans.iter().map(|p| p.interruption).collect();
    assert_eq!(ios, [L::Critical, L::TimeSensitive, L::Active, L::Passive]);
    let sounds: Vec<_> = plans.iter().map(|p| (p.alert, p.sound)).collect();
    assert_eq!(
        sounds,
        [
            (true, Sound::Alarm),
            (true, Sound::Default),
            (true, Sound::Default),
            (false, Sound::None)
        ]
    );
}

#[test]
fn channels_describe_every_severity_once() {
    let all = channels();
    let ids: Vec<_> = all.iter().map(|c| c.id).collect();
    assert_eq!(
        ids,
        ["alarm_critical", "alarm_major", "alarm_minor", "alarm_info"]
    );
    let bypass: Vec<_> = all.iter().map(|c| c.bypass_dnd).collect();
    assert_eq!(bypass, [true, false, false, false]);
    assert_eq!(all[0].name.zh, "严重报警");
    assert_eq!(all[0].vibration, &[0, 800, 400, 800, 400, 800]);
    assert!(all[3].vibration.is_empty());
    for c in &all {
        assert_eq!(channel(c.severity), *c);
    }
}

#[test]
fn title_and_body_in_chinese_with_the_barn_and_grouped_per_barn() {
    let p = raised(Severity::Critical, &ctx_at(14, 0));
    assert_eq!(p.action, NotifyAction::Show);
    assert_eq!(p.title, "【严重】3号烤房：循环风机停转");
    assert_eq!(p.body, "循环风机停转，立即检修");
    assert_eq!(p.tag, "alarm-42");
    assert_eq!(p.group_key, "barn-3");
    assert_eq!(p.alarm_id, Some(AlarmId(42)));
    assert_eq!(p.when, Timestamp(MIDNIGHT_UTC - 5 * MIN));
    assert!(p.acknowledge_action);
}

#[test]
fn english_locale_and_a_barn_without_a_name() {
    let mut ctx = ctx_at(14, 0);
    ctx.locale = Locale::En;
    let p = plan(
        &event(AlarmEventKind::Raised, alarm(Severity::Major)),
        Some(" "),
        &ctx,
    );
    assert_eq!(p.title, "[Major] Barn 3: Circulation fan stopped");
    assert_eq!(p.body, "Circulation fan stopped");
    ctx.locale = Locale::Zh;
    let p = plan(
        &event(AlarmEventKind::Raised, alarm(Severity::Minor)),
        None,
        &ctx,
    );
    assert_eq!(p.title, "【一般】烤房3：循环风机停转");
}

#[test]
fn local_minute_follows_the_utc_offset() {
    assert_eq!(ctx_at(21, 59).local_minute(), 1319);
    assert!(!ctx_at(21, 59).in_quiet_hours());
    assert!(ctx_at(22, 0).in_quiet_hours());
    assert!(ctx_at(5, 59).in_quiet_hours());
    assert!(!ctx_at(6, 0).in_quiet_hours());
    let west = PlanContext {
        now: Timestamp(MIDNIGHT_UTC),
        utc_offset_minutes: -300,
        ..ctx_at(0, 0)
    };
    assert_eq!(west.local_minute(), 1440 - 300);
    let before_1970 = PlanContext {
        now: Timestamp(-MIN),
        ..west
    };
    assert_eq!(before_1970.local_minute(), 1440 - 300 - 1);
}

#[test]
fn critical_breaks_quiet_hours_and_minor_is_shown_silently_inside_them() {
    let night = ctx_at(2, 30);
    let c = raised(Severity::Critical, &night);
    assert_eq!(
        (c.alert, c.breaks_quiet_hours, c.sound),
        (true, true, Sound::Alarm)
    );
    assert_eq!(c.interruption, InterruptionLevel::Critical);
    for s in [Severity::Major, Severity::Minor] {
        let p = raised(s, &night);
        assert_eq!(p.action, NotifyAction::Show, "{s:?} must not be dropped");
        assert_eq!(
            (p.alert, p.breaks_quiet_hours, p.sound),
            (false, false, Sound::None)
        );
        assert!(p.vibration.is_empty());
        assert_eq!(p.interruption, InterruptionLevel::Passive);
    }
    let morning = raised(Severity::Minor, &ctx_at(6, 0));
    assert_eq!((morning.alert, morning.breaks_quiet_hours), (true, false));
    let mut off = night;
    off.quiet_hours = None;
    assert!(raised(Severity::Minor, &off).alert);
}

#[test]
fn a_cleared_critical_not_yet_acknowledged_stays_with_updated_text() {
    let mut a = alarm(Severity::Critical);
    a.cleared_at = Some(Timestamp(MIDNIGHT_UTC));
    let p = plan(
        &event(AlarmEventKind::Cleared, a.clone()),
        Some("3号烤房"),
        &ctx_at(14, 0),
    );
    assert_eq!(p.action, NotifyAction::Update);
    assert_eq!(p.tag, "alarm-42");
    assert_eq!(p.title, "【已恢复】3号烤房：循环风机停转");
    assert_eq!(p.body, "已恢复，请确认");
    assert_eq!((p.alert, p.acknowledge_action), (false, true));
    // Acknowledged afterwards: gone.
    a.acked_at = Some(Timestamp(MIDNIGHT_UTC + MIN));
    let p = plan(
        &event(AlarmEventKind::Acknowledged, a),
        Some("3号烤房"),
        &ctx_at(14, 0),
    );
    assert_eq!(
        (p.action, p.tag.as_str()),
        (NotifyAction::Dismiss, "alarm-42")
    );
    assert!(!p.acknowledge_action);
}

#[test]
fn a_cleared_major_is_dismissed() {
    let mut a = alarm(Severity::Major);
    a.cleared_at = Some(Timestamp(MIDNIGHT_UTC));
    let p = plan(&event(AlarmEventKind::Cleared, a), None, &ctx_at(14, 0));
    assert_eq!(
        (p.action, p.tag.as_str(), p.group_key.as_str()),
        (NotifyAction::Dismiss, "alarm-42", "barn-3")
    );
    assert!(!p.alert);
}

#[test]
fn acknowledging_an_active_alarm_updates_it_quietly_without_the_button() {
    let mut a = alarm(Severity::Critical);
    a.acked_at = Some(Timestamp(MIDNIGHT_UTC));
    let p = plan(
        &event(AlarmEventKind::Acknowledged, a),
        Some("3号烤房"),
        &ctx_at(14, 0),
    );
    assert_eq!(p.action, NotifyAction::Update);
    assert_eq!(p.title, "【严重】3号烤房：循环风机停转");
    assert_eq!(p.body, "已确认 · 循环风机停转，立即检修");
    assert_eq!(
        (p.alert, p.breaks_quiet_hours, p.acknowledge_action),
        (false, false, false)
    );
}

#[test]
fn escalation_and_reminders_alert_again_on_the_same_notification() {
    let e = plan(
        &event(AlarmEventKind::Escalated, alarm(Severity::Critical)),
        Some("3号烤房"),
        &ctx_at(3, 0),
    );
    assert_eq!(
        (e.action, e.tag.as_str(), e.alert),
        (NotifyAction::Show, "alarm-42", true)
    );
    assert_eq!(e.title, "【严重】3号烤房：循环风机停转");
    let r = plan(
        &event(AlarmEventKind::Reminder, alarm(Severity::Critical)),
        Some("3号烤房"),
        &ctx_at(3, 0),
    );
    assert_eq!(r.body, "仍未确认：循环风机停转，立即检修");
    assert!(r.alert && r.acknowledge_action);
    // Reminded after it cleared: still asks for the acknowledgement.
    let mut a = alarm(Severity::Critical);
    a.cleared_at = Some(Timestamp(MIDNIGHT_UTC));
    let r = plan(
        &event(AlarmEventKind::Reminder, a),
        Some("3号烤房"),
        &ctx_at(14, 0),
    );
    assert_eq!(
        (r.action, r.body.as_str()),
        (NotifyAction::Show, "已恢复，请确认")
    );
}

#[test]
fn the_context_carries_the_saved_quiet_hours() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in_dir(dir.path()).unwrap();
    let q = QuietHours::new(1350, 330).unwrap();
    save_quiet_hours(&store, Some(q)).unwrap();
    let ctx = PlanContext::load(&store, Timestamp(MIDNIGHT_UTC), CHINA, Locale::En).unwrap();
    assert_eq!((ctx.quiet_hours, ctx.local_minute()), (Some(q), 480));
}
