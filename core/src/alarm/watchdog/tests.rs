#![allow(clippy::unwrap_used)]

mod phone;

use rusqlite::params;

use super::*;
use crate::alarm::notify::{InterruptionLevel, NotifyAction, QuietHours};
use crate::barn::api::{Alarm, AlarmId, CuringId};
use phone::{B3, BARN, Phone, at, ctx, summary};

#[test]
fn a_silent_barn_raises_escalates_and_clears_once_each() {
    let phone = Phone::new();
    phone.reading(100);
    phone.synced(129, 129);
    assert_eq!(phone.check(129), []);
    phone.synced(130, 130);
    let raised = phone.check(130);
    assert_eq!(
        summary(&raised),
        [(B3, AlarmEventKind::Raised, Severity::Major, 30)]
    );
    let a = &raised[0];
    assert_eq!(
        a.title,
        Text::new("3号烤房已 30 分钟无数据", "3号烤房: no data for 30 min")
    );
    assert_eq!(a.body.zh, "烤房通讯中断，请到现场查看");
    let n = &a.notification;
    assert_eq!(n.action, NotifyAction::Show);
    assert_eq!(n.title, "【重要】3号烤房：已 30 分钟无数据");
    assert_eq!(
        (n.tag.as_str(), n.group_key.as_str()),
        ("watchdog-barn-3", "barn-3")
    );
    assert_eq!(
        (n.channel_id, n.alert, n.alarm_id),
        ("alarm_major", true, None)
    );
    assert!(!n.acknowledge_action);
    assert_eq!(n.when, at(130));
    // The same state, and more silence below the next level: nothing new.
    assert_eq!(phone.check(130), []);
    phone.synced(159, 159);
    assert_eq!(phone.check(159), []);

    phone.synced(160, 160);
    let escalated = phone.check(160);
    assert_eq!(
        summary(&escalated),
        [(B3, AlarmEventKind::Escalated, Severity::Critical, 60)]
    );
    let n = &escalated[0].notification;
    assert_eq!(
        (n.action, n.tag.as_str()),
        (NotifyAction::Show, "watchdog-barn-3")
    );
    assert_eq!(
        (n.channel_id, n.breaks_quiet_hours),
        ("alarm_critical", true)
    );
    assert_eq!(n.when, at(130), "still the time it was raised");
    assert_eq!(phone.check(161), []);

    phone.reading(170);
    phone.synced(172, 172);
    let cleared = phone.check(172);
    assert_eq!(
        summary(&cleared),
        [(B3, AlarmEventKind::Cleared, Severity::Critical, 2)]
    );
    let n = &cleared[0].notification;
    assert_eq!(
        (n.action, n.tag.as_str(), n.alert),
        (NotifyAction::Dismiss, "watchdog-barn-3", false)
    );
    assert_eq!(phone.check(172), []);
}

#[test]
fn partly_resumed_data_keeps_the_alarm_until_it_is_fresh() {
    let phone = Phone::new();
    phone.synced(45, 45);
    // No reading at all: silent since the cure started.
    assert_eq!(
        summary(&phone.check(45)),
        [(B3, AlarmEventKind::Raised, Severity::Major, 45)]
    );
    phone.reading(30);
    phone.synced(50, 50);
    assert_eq!(
        phone.check(50),
        [],
        "20 min silent: neither raised again nor cleared"
    );
    phone.reading(41);
    phone.synced(50, 50);
    assert_eq!(
        summary(&phone.check(50)),
        [(B3, AlarmEventKind::Cleared, Severity::Major, 9)]
    );
}

#[test]
fn a_finished_cure_raises_nothing_and_clears_what_was_raised() {
    let phone = Phone::new();
    phone.cure(Some(at(10)));
    phone.synced(200, 200);
    assert_eq!(phone.check(200), []);
    phone.cure(None);
    assert_eq!(summary(&phone.check(200))[0].1, AlarmEventKind::Raised);
    phone.cure(Some(at(190)));
    assert_eq!(
        summary(&phone.check(201)),
        [(B3, AlarmEventKind::Cleared, Severity::Critical, 0)]
    );
    assert_eq!(phone.check(202), []);
}

#[test]
fn a_barn_the_platform_already_alarmed_about_is_left_to_the_platform() {
    let phone = Phone::new();
    let a13 = Alarm {
        id: AlarmId(9),
        barn_id: BARN,
        curing_id: Some(CuringId(1)),
        rule: "A13".into(),
        rules_version: 1,
        severity: Severity::Major,
        title: Text::new("烤房通讯中断", "Barn offline"),
        action: Text::new("烤房通讯中断，请到现场查看", "Barn offline, check on site"),
        raised_at: at(10),
        updated_at: at(30),
        cleared_at: None,
        acked_at: None,
        acked_by: None,
    };
    let json = serde_json::to_string(&a13).unwrap();
    phone.sql(
        "INSERT INTO alarm_inbox (alarm_id, recipient, seq, json) VALUES (9, 1, 1, ?1)",
        [&json],
    );
    phone.synced(40, 40);
    assert_eq!(phone.check(40), []);
    phone.sql("DELETE FROM alarm_inbox", params![]);
    assert_eq!(summary(&phone.check(40))[0].1, AlarmEventKind::Raised);
}

#[test]
fn an_unreachable_platform_raises_one_alarm_not_one_per_barn() {
    let phone = Phone::new();
    phone.reading(0);
    assert_eq!(phone.check(29), []);
    let raised = phone.check(30);
    let platform = LocalAlarmKind::PlatformSilent;
    assert_eq!(
        summary(&raised),
        [(platform, AlarmEventKind::Raised, Severity::Major, 30)]
    );
    let a = &raised[0];
    assert_eq!(a.title.zh, "已 30 分钟未连上平台，报警可能收不到");
    assert_eq!(
        a.notification.title,
        "【重要】已 30 分钟未连上平台，报警可能收不到"
    );
    assert_eq!(
        (
            a.notification.tag.as_str(),
            a.notification.group_key.as_str()
        ),
        ("watchdog-platform", "platform")
    );
    assert_eq!(
        phone.check(90),
        [],
        "major only, and barns are judged as of the last sync"
    );
    // The live stream answering counts as contact.
    phone.store.write(|tx| record_contact(tx, at(91))).unwrap();
    let cleared = phone.check(92);
    assert_eq!(
        summary(&cleared),
        [(platform, AlarmEventKind::Cleared, Severity::Major, 1)]
    );
    assert_eq!(cleared[0].notification.action, NotifyAction::Dismiss);
}

#[test]
fn quiet_hours_and_english_shape_the_local_notification() {
    let phone = Phone::new();
    phone.synced(30, 30);
    // 08:30 local: inside 06:00–10:00 quiet hours.
    let ctx = PlanContext {
        quiet_hours: Some(QuietHours::new(360, 600).unwrap()),
        locale: Locale::En,
        ..ctx(30)
    };
    let raised = check(&phone.store, &ctx).unwrap();
    let n = &raised[0].notification;
    assert_eq!(n.title, "[Major] 3号烤房: no data for 30 min");
    assert_eq!(n.body, "Barn offline, check on site");
    assert_eq!(
        (n.action, n.alert, n.interruption),
        (NotifyAction::Show, false, InterruptionLevel::Passive)
    );
    phone.synced(60, 60);
    let escalated = check(&phone.store, &PlanContext { now: at(60), ..ctx }).unwrap();
    let n = &escalated[0].notification;
    assert_eq!(
        (n.alert, n.breaks_quiet_hours, n.interruption),
        (true, true, InterruptionLevel::Critical)
    );
}

#[test]
fn logging_out_clears_everything_and_never_contacted_raises_nothing() {
    let phone = Phone::new();
    phone.synced(45, 45);
    assert_eq!(phone.check(80).len(), 2); // platform silent 35 min and barn silent 45
    phone.sql("DELETE FROM barn_sync", params![]);
    phone.sql("DELETE FROM barns", params![]);
    let cleared = phone.check(81);
    let changes: Vec<_> = cleared.iter().map(|a| (a.kind, a.change)).collect();
    assert_eq!(
        changes,
        [
            (LocalAlarmKind::PlatformSilent, AlarmEventKind::Cleared),
            (B3, AlarmEventKind::Cleared)
        ]
    );
    assert_eq!(cleared[1].title.zh, "烤房3数据已恢复");
    phone.sql(
        "INSERT INTO barn_sync (id, platform, user_id, user, expires_at, cursor) \
         VALUES (1, 'https://p', 2, '{}', 0, '')",
        params![],
    );
    assert_eq!(phone.check(500), []);
}
