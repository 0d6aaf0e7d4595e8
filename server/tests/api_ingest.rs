//! Controller uploads: per-reading validation, idempotent batches, late readings.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{reading, world};
use yannong_core::Timestamp;
use yannong_core::barn::api::{IngestBatch, IngestReport, ReadingBlock, RejectReason, paths};

#[tokio::test]
async fn bad_readings_are_refused_one_by_one_and_the_rest_kept() {
    let w = world();
    let now = Timestamp::now();
    let mut nan = reading(now.add_hours(-0.5), 38.0);
    nan.wet_bulb_c = f64::NAN;
    let batch = IngestBatch {
        batch_id: "c1-0001".into(),
        readings: vec![
            reading(now.add_hours(-1.0), 37.9),
            nan,
            reading(now.add_hours(-0.4), -300.0),
            reading(now.add_hours(2.0), 38.0),
            reading(now.add_hours(-0.3), 38.1),
        ],
    };
    // serde_json writes NaN as null, which is what a sloppy controller sends; build the JSON by hand.
    let mut json = serde_json::to_value(&batch).unwrap();
    json["readings"][1]["wet_bulb_c"] = serde_json::Value::Null;
    let r = w
        .post(&paths::ingest(w.barn_a.id), Some(&w.controller_a), &json)
        .await;
    // A null temperature does not decode at all: the whole body is refused with a clear error.
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    json["readings"][1]["wet_bulb_c"] = serde_json::json!(1e300);
    let r = w
        .post(&paths::ingest(w.barn_a.id), Some(&w.controller_a), &json)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let report: IngestReport = r.json();
    assert_eq!(report.accepted, 2);
    assert_eq!(report.duplicates, 0);
    let reasons: Vec<(u32, RejectReason)> = report
        .rejected
        .iter()
        .map(|r| (r.index, r.reason.clone()))
        .collect();
    assert!(
        matches!(reasons[0], (1, RejectReason::OutOfRange { ref field, .. }) if field == "wet_bulb_c")
    );
    assert!(
        matches!(reasons[1], (2, RejectReason::OutOfRange { ref field, .. }) if field == "dry_bulb_c")
    );
    assert!(matches!(reasons[2], (3, RejectReason::InFuture { .. })));
    assert_eq!(reasons.len(), 3);
}

#[tokio::test]
async fn a_resent_batch_stores_nothing_twice() {
    let w = world();
    let now = Timestamp::now();
    let rs: Vec<_> = (0..30)
        .map(|i| reading(now.add_hours(-1.0 + f64::from(i) / 60.0), 38.0))
        .collect();
    let batch = IngestBatch {
        batch_id: "c1-0002".into(),
        readings: rs.clone(),
    };
    let first: IngestReport = w
        .post(&paths::ingest(w.barn_a.id), Some(&w.controller_a), &batch)
        .await
        .json();
    assert_eq!((first.accepted, first.replayed), (30, false));
    let again: IngestReport = w
        .post(&paths::ingest(w.barn_a.id), Some(&w.controller_a), &batch)
        .await
        .json();
    assert!(again.replayed);
    assert_eq!(again.accepted, 30, "the original report is returned");
    // A new batch id with overlapping readings (controller lost its batch counter).
    let overlap = IngestBatch {
        batch_id: "c1-0003".into(),
        readings: rs[20..].to_vec(),
    };
    let third: IngestReport = w
        .post(&paths::ingest(w.barn_a.id), Some(&w.controller_a), &overlap)
        .await
        .json();
    assert_eq!((third.accepted, third.duplicates), (0, 10));
    assert_eq!(
        w.platform
            .store
            .readings(w.barn_a.id, now.add_hours(-2.0), now, 1000)
            .unwrap()
            .len(),
        30
    );
}

#[tokio::test]
async fn late_and_out_of_order_readings_are_kept_in_time_order() {
    let w = world();
    let now = Timestamp::now();
    let late = IngestBatch {
        batch_id: "b-late".into(),
        readings: vec![reading(now.add_hours(-3.0), 36.0)],
    };
    let fresh = IngestBatch {
        batch_id: "b-fresh".into(),
        readings: vec![
            reading(now.add_hours(-1.0), 38.0),
            reading(now.add_hours(-2.0), 37.0),
        ],
    };
    w.post(&paths::ingest(w.barn_a.id), Some(&w.controller_a), &fresh)
        .await;
    w.post(&paths::ingest(w.barn_a.id), Some(&w.controller_a), &late)
        .await;
    let token = w.login(&w.farmer_a).await;
    let block: ReadingBlock = w
        .get(
            &format!(
                "{}?from={}",
                paths::barn_readings(w.barn_a.id),
                now.add_hours(-4.0).0
            ),
            Some(&token),
        )
        .await
        .json();
    let rs = block.decode().unwrap();
    let temps: Vec<f64> = rs.iter().map(|r| r.dry_bulb_c).collect();
    assert_eq!(temps, vec![36.0, 37.0, 38.0]);
}

#[tokio::test]
async fn a_controller_writes_to_its_own_barn_only() {
    let w = world();
    let batch = IngestBatch {
        batch_id: "x".into(),
        readings: vec![reading(Timestamp::now(), 38.0)],
    };
    let r = w
        .post(&paths::ingest(w.barn_b.id), Some(&w.controller_a), &batch)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = w
        .post(&paths::ingest(w.barn_b.id), Some("forged"), &batch)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn oversized_batches_and_non_jpeg_images_are_refused() {
    let w = world();
    let now = Timestamp::now();
    let batch = IngestBatch {
        batch_id: "big".into(),
        readings: (0..2001)
            .map(|i| reading(now.add_hours(-40.0 + f64::from(i) / 60.0), 38.0))
            .collect(),
    };
    let r = w
        .post(&paths::ingest(w.barn_a.id), Some(&w.controller_a), &batch)
        .await;
    assert!(
        r.status == StatusCode::BAD_REQUEST || r.status == StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        r.status
    );
    let r = w
        .call_with(
            "POST",
            &paths::ingest_image(w.barn_a.id),
            Some(&w.controller_a),
            Some(b"GIF89a".to_vec()),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}
