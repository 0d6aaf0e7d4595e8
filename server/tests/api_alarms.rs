//! Alarms through the HTTP API: raised by the rule engine from ingested readings, visible
//! only on barns the caller may see, acknowledged once, cleared when the condition ends.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{reading, world};
use yannong_core::Timestamp;
use yannong_core::barn::api::{
    Alarm, AlarmEvent, AlarmEventKind, Curing, EventError, Fan, IngestBatch, Severity,
    SignedAlarmEvent, StartCuringRequest, paths,
};
use yannong_core::curing::{LeafPosition, Maturity, WaterContent};

fn minutes_ago(m: i64) -> Timestamp {
    Timestamp(Timestamp::now().0 - m * 60_000)
}

/// Readings of minutes `from` to `to` ago, one a minute, fan stopped or running.
fn batch(id: &str, from: i64, to: i64, fan_stopped: bool) -> IngestBatch {
    IngestBatch {
        batch_id: id.into(),
        readings: (to..=from)
            .rev()
            .map(|m| {
                let mut r = reading(minutes_ago(m), 38.0 + 0.1 * (m % 2) as f64);
                if fan_stopped {
                    r.fan = Fan::Off;
                    r.fan_current_pct = 0;
                }
                r
            })
            .collect(),
    }
}

/// Barn A's farmer logged in and a middle-leaf cure started on barn A.
async fn curing_barn_a(w: &common::World) -> (String, Curing) {
    let owner = w.login(&w.farmer_a).await;
    let start = StartCuringRequest {
        position: LeafPosition::Middle,
        maturity: Maturity::Ripe,
        water: WaterContent::Normal,
        recipe: None,
        ambient_c: 25.0,
    };
    let curing = w
        .post(&paths::barn_curings(w.barn_a.id), Some(&owner), &start)
        .await
        .json();
    (owner, curing)
}

#[tokio::test]
async fn a_fan_stop_is_raised_seen_by_its_people_acknowledged_once_and_cleared() {
    let w = world();
    let a = w.barn_a.id;
    let (owner, curing) = curing_barn_a(&w).await;

    let r = w
        .post(
            &paths::ingest(a),
            Some(&w.controller_a),
            &batch("1", 40, 30, true),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let open: Vec<Alarm> = w.get(paths::ALARMS, Some(&owner)).await.json();
    assert_eq!(open.len(), 1, "{open:?}");
    let alarm = &open[0];
    assert_eq!(
        (alarm.rule.as_str(), alarm.severity),
        ("A10", Severity::Critical)
    );
    assert_eq!(alarm.barn_id, a);
    assert_eq!(alarm.curing_id, Some(curing.id));
    assert_eq!(alarm.title.zh, "循环风机停转");
    assert!(alarm.cleared_at.is_none() && alarm.acked_at.is_none());

    // Resending the batch raises nothing new.
    w.post(
        &paths::ingest(a),
        Some(&w.controller_a),
        &batch("1", 40, 30, true),
    )
    .await;
    let again: Vec<Alarm> = w.get(paths::ALARMS, Some(&owner)).await.json();
    assert_eq!(again, open);

    // Another farmer sees nothing and cannot acknowledge it; the technician sees it.
    let intruder = w.login(&w.farmer_b).await;
    let theirs: Vec<Alarm> = w.get(paths::ALARMS, Some(&intruder)).await.json();
    assert!(theirs.is_empty());
    let refused = w
        .call("POST", &paths::alarm_ack(alarm.id), Some(&intruder), None)
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let technician = w.login(&w.technician).await;
    let seen: Vec<Alarm> = w.get(paths::ALARMS, Some(&technician)).await.json();
    assert_eq!(seen.len(), 1);
    let unauthenticated = w
        .call("POST", &paths::alarm_ack(alarm.id), None, None)
        .await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);

    // The first acknowledgement counts; a second one changes nothing.
    let acked: Alarm = w
        .call("POST", &paths::alarm_ack(alarm.id), Some(&owner), None)
        .await
        .json();
    assert_eq!(acked.acked_by, Some(w.farmer_a.id));
    let twice: Alarm = w
        .call("POST", &paths::alarm_ack(alarm.id), Some(&technician), None)
        .await
        .json();
    assert_eq!(
        (twice.acked_at, twice.acked_by),
        (acked.acked_at, acked.acked_by)
    );

    // The fan runs again: after ten calm minutes the alarm clears and leaves the open list.
    w.post(
        &paths::ingest(a),
        Some(&w.controller_a),
        &batch("2", 29, 10, false),
    )
    .await;
    let open: Vec<Alarm> = w.get(paths::ALARMS, Some(&owner)).await.json();
    assert!(open.is_empty(), "{open:?}");
    let history: Vec<Alarm> = w
        .get(&format!("{}?open=false", paths::ALARMS), Some(&owner))
        .await
        .json();
    assert_eq!(history.len(), 1);
    assert!(history[0].cleared_at.is_some() && history[0].acked_at.is_some());
}

#[tokio::test]
async fn each_persons_alarm_feed_is_signed_numbered_and_can_be_caught_up() {
    let w = world();
    let a = w.barn_a.id;
    let (owner, _) = curing_barn_a(&w).await;
    w.post(
        &paths::ingest(a),
        Some(&w.controller_a),
        &batch("1", 40, 30, true),
    )
    .await;
    let alarm: Vec<Alarm> = w.get(paths::ALARMS, Some(&owner)).await.json();
    w.call("POST", &paths::alarm_ack(alarm[0].id), Some(&owner), None)
        .await;
    w.post(
        &paths::ingest(a),
        Some(&w.controller_a),
        &batch("2", 29, 10, false),
    )
    .await;

    #[derive(serde::Deserialize)]
    struct Key {
        ed25519: String,
    }
    let keys: Vec<Key> = w.get(paths::ALARM_KEYS, None).await.json();
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(&keys[0].ed25519, &mut bytes).unwrap();
    let trusted = [ed25519_dalek::VerifyingKey::from_bytes(&bytes).unwrap()];

    let technician = w.login(&w.technician).await;
    for (user, token) in [(&w.farmer_a, &owner), (&w.technician, &technician)] {
        let feed: Vec<SignedAlarmEvent> = w.get(paths::ALARM_EVENTS, Some(token)).await.json();
        let events: Vec<AlarmEvent> = feed.iter().map(|e| e.open(&trusted).unwrap()).collect();
        let seen: Vec<(u64, AlarmEventKind)> = events.iter().map(|e| (e.seq, e.kind)).collect();
        assert_eq!(
            seen,
            [
                (1, AlarmEventKind::Raised),
                (2, AlarmEventKind::Acknowledged),
                (3, AlarmEventKind::Cleared)
            ]
        );
        assert!(
            events
                .iter()
                .all(|e| e.recipient == user.id && e.alarm.rule == "A10")
        );
        // Catching up after 2 brings exactly the rest.
        let rest: Vec<SignedAlarmEvent> = w
            .get(&format!("{}?after=2", paths::ALARM_EVENTS), Some(token))
            .await
            .json();
        assert_eq!(rest, feed[2..]);
    }

    // Another farmer's feed is empty; a tampered or foreign-signed event does not open.
    let intruder = w.login(&w.farmer_b).await;
    let none: Vec<SignedAlarmEvent> = w.get(paths::ALARM_EVENTS, Some(&intruder)).await.json();
    assert!(none.is_empty());
    let feed: Vec<SignedAlarmEvent> = w.get(paths::ALARM_EVENTS, Some(&owner)).await.json();
    let mut forged = feed[0].clone();
    let mut event: AlarmEvent = forged.open(&trusted).unwrap();
    event.alarm.severity = Severity::Minor;
    forged.payload = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        serde_json::to_vec(&event).unwrap(),
    );
    assert_eq!(forged.open(&trusted), Err(EventError::BadSignature));
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let foreign = SignedAlarmEvent::seal(&event, &stranger);
    assert!(matches!(
        foreign.open(&trusted),
        Err(EventError::UnknownKey(_))
    ));
    let unauthenticated = w.get(paths::ALARM_EVENTS, None).await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
}
