//! The phone's alarm inbox against the platform's signed feed: a pushed event counts once
//! whichever channels deliver it, a gap is noticed and filled by catch-up, and forged,
//! foreign or garbage payloads are refused and change nothing.
#![allow(clippy::unwrap_used)]

use yannong_core::Timestamp;
use yannong_core::alarm::{Inbox, PushError, Received};
use yannong_core::barn::api::{AlarmEventKind, Fan, SignedAlarmEvent, StartCuringRequest, User};
use yannong_core::curing::{LeafPosition, Maturity, WaterContent, builtin_recipe};
use yannong_e2e::{PASSWORD, TestPlatform, reading};

/// Minutes `from`..`to` ago, one reading a minute, the fan stopped or running.
fn minutes(from: i64, to: i64, fan_stopped: bool) -> Vec<yannong_core::barn::api::Reading> {
    let now = Timestamp::now();
    (to..=from)
        .rev()
        .map(|m| {
            let mut r = reading(Timestamp(now.0 - m * 60_000), 38.0 + 0.1 * (m % 2) as f64);
            if fan_stopped {
                r.fan = Fan::Off;
                r.fan_current_pct = 0;
            }
            r
        })
        .collect()
}

fn feed(p: &TestPlatform, user: &User) -> Vec<SignedAlarmEvent> {
    p.platform.store.alarm_events(user, 0, 100).unwrap()
}

fn bytes(e: &SignedAlarmEvent) -> Vec<u8> {
    serde_json::to_vec(e).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_count_once_gaps_are_caught_up_and_forgeries_change_nothing() {
    let p = TestPlatform::start().await;
    let barn = &p.barns[0];
    let start = StartCuringRequest {
        position: LeafPosition::Middle,
        maturity: Maturity::Ripe,
        water: WaterContent::Normal,
        recipe: None,
        ambient_c: 25.0,
    };
    let recipe = builtin_recipe("middle").unwrap();
    p.platform
        .store
        .start_curing(barn.id, &start, recipe, Timestamp::now())
        .unwrap();
    // The fan stops: A10 is raised (event 1 of each person's feed).
    p.ingest(barn, "1", minutes(40, 30, true));
    let phone = p.phone();
    phone.barns.login(&p.farmer.phone, PASSWORD).await.unwrap();
    let me = p.farmer.id;
    let inbox = Inbox::new(phone.store.clone(), vec![p.platform.alarms.public_key()]);
    let now = Timestamp::now();

    let first = &feed(&p, &p.farmer)[0];
    match inbox.receive_bytes(&bytes(first), "fcm", me, now).unwrap() {
        Received::New { event, gap } => {
            assert_eq!(
                (event.seq, event.kind, gap),
                (1, AlarmEventKind::Raised, false)
            );
            assert_eq!(event.alarm.rule, "A10");
        }
        other => panic!("{other:?}"),
    }
    // The same event through a second channel is a duplicate.
    let again = inbox
        .receive_bytes(&bytes(first), "mipush", me, now)
        .unwrap();
    assert_eq!(again, Received::Duplicate);

    // Acknowledged on the platform (event 2), then cleared (event 3); only 3 is pushed.
    let alarm = inbox.alarms(me).unwrap()[0].clone();
    let seal = |e: &yannong_core::barn::api::AlarmEvent| p.platform.alarms.seal(e);
    p.platform
        .store
        .acknowledge_alarm(&p.farmer, alarm.id, Timestamp::now(), &seal)
        .unwrap();
    p.ingest(barn, "2", minutes(29, 10, false));
    let all = feed(&p, &p.farmer);
    assert_eq!(all.len(), 3);
    match inbox.receive(&all[2], "hms", me, now).unwrap() {
        Received::New { gap, .. } => assert!(gap, "event 2 is missing"),
        other => panic!("{other:?}"),
    }
    assert_eq!(inbox.contiguous(me).unwrap(), 1);

    // Forged, foreign and garbage payloads are refused and leave the inbox as it was.
    let before = inbox.alarms(me).unwrap();
    let mut forged = all[1].clone();
    forged.ed25519 = all[0].ed25519.clone();
    assert!(matches!(
        inbox.receive(&forged, "fcm", me, now),
        Err(PushError::Forged(_))
    ));
    let technicians = &feed(&p, &p.technician)[0];
    assert!(matches!(
        inbox.receive(technicians, "fcm", me, now),
        Err(PushError::WrongRecipient)
    ));
    assert!(matches!(
        inbox.receive_bytes(b"{\"hello\":1}", "vivo", me, now),
        Err(PushError::Unreadable(_))
    ));
    assert_eq!(inbox.alarms(me).unwrap(), before);
    assert_eq!(inbox.contiguous(me).unwrap(), 1);

    // Catch-up fills the gap: event 2 is new, 3 was already here.
    assert_eq!(phone.barns.catch_up_alarms(&inbox).await.unwrap(), 1);
    assert_eq!(inbox.contiguous(me).unwrap(), 3);
    assert_eq!(phone.barns.catch_up_alarms(&inbox).await.unwrap(), 0);
    let alarms = inbox.alarms(me).unwrap();
    assert_eq!(alarms.len(), 1);
    assert!(alarms[0].acked_at.is_some() && alarms[0].cleared_at.is_some());

    // The inbox leaves the phone with the account.
    phone.barns.logout().await.unwrap();
    assert!(inbox.alarms(me).unwrap().is_empty());
    assert_eq!(inbox.contiguous(me).unwrap(), 0);
}
