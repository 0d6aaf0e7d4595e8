//! A farmer can never read, stream, sync or operate another farmer's barn, through any
//! endpoint; the answers do not even reveal that the barn exists.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{reading, world};
use yannong_core::Timestamp;
use yannong_core::barn::api::{
    AdvanceRequest, Barn, ChangesPage, ImageId, IngestBatch, StartCuringRequest, paths,
};
use yannong_core::curing::{LeafPosition, Maturity, WaterContent};

fn start_request() -> StartCuringRequest {
    StartCuringRequest {
        position: LeafPosition::Middle,
        maturity: Maturity::Ripe,
        water: WaterContent::Normal,
        recipe: None,
        ambient_c: 25.0,
    }
}

#[tokio::test]
async fn farmer_b_cannot_reach_barn_a_anywhere() {
    let w = world();
    let a = w.barn_a.id;
    // Barn A has a cure, readings and a picture.
    let owner = w.login(&w.farmer_a).await;
    let curing: yannong_core::barn::api::Curing = w
        .post(&paths::barn_curings(a), Some(&owner), &start_request())
        .await
        .json();
    let batch = IngestBatch {
        batch_id: "1".into(),
        readings: vec![reading(Timestamp::now(), 38.0)],
    };
    w.post(&paths::ingest(a), Some(&w.controller_a), &batch)
        .await;
    let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0];
    let img = w
        .call_with(
            "POST",
            &paths::ingest_image(a),
            Some(&w.controller_a),
            Some(jpeg),
            &[],
        )
        .await;
    assert_eq!(img.status, StatusCode::OK);
    let image_id: ImageId = img.json::<yannong_core::barn::api::ImageMeta>().id;

    let intruder = w.login(&w.farmer_b).await;
    let missing = yannong_core::barn::api::BarnId(9999);
    for path in [
        paths::barn(a),
        paths::barn_readings(a),
        paths::barn_curings(a),
        paths::barn_images(a),
        paths::barn_stream(a),
        paths::image(image_id),
    ] {
        let r = w.get(&path, Some(&intruder)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "GET {path}");
        assert_eq!(r.code(), "not_found");
    }
    // Same answer as for a barn that does not exist.
    let theirs = w.get(&paths::barn(a), Some(&intruder)).await;
    let nobody = w.get(&paths::barn(missing), Some(&intruder)).await;
    assert_eq!(theirs.status, nobody.status);

    let r = w
        .post(&paths::barn_curings(a), Some(&intruder), &start_request())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = w
        .post(
            &paths::curing_advance(curing.id),
            Some(&intruder),
            &AdvanceRequest {
                from_step: 0,
                leaf_state: None,
            },
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        w.platform
            .store
            .curing(curing.id)
            .unwrap()
            .unwrap()
            .current_step,
        0
    );

    let list: Vec<Barn> = w.get(paths::BARNS, Some(&intruder)).await.json();
    assert_eq!(
        list.iter().map(|b| b.id).collect::<Vec<_>>(),
        vec![w.barn_b.id]
    );
    let page: ChangesPage = w.get(paths::SYNC, Some(&intruder)).await.json();
    assert!(page.barns.iter().all(|b| b.id != a));
    assert!(page.curings.iter().all(|c| c.barn_id != a));
    assert!(page.readings.iter().all(|r| r.barn_id != a));
    assert!(page.images.iter().all(|i| i.barn_id != a));
    assert!(!page.curings.is_empty() || page.barns.len() == 1);
}

#[tokio::test]
async fn the_technician_sees_assigned_barns_and_the_admin_all() {
    let w = world();
    let tech = w.login(&w.technician).await;
    let admin = w.login(&w.admin).await;
    let ids = |v: Vec<Barn>| v.into_iter().map(|b| b.id).collect::<Vec<_>>();
    assert_eq!(
        ids(w.get(paths::BARNS, Some(&tech)).await.json()),
        vec![w.barn_a.id]
    );
    assert_eq!(
        ids(w.get(paths::BARNS, Some(&admin)).await.json()),
        vec![w.barn_a.id, w.barn_b.id]
    );
    assert_eq!(
        w.get(&paths::barn(w.barn_b.id), Some(&tech)).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn advancing_a_cure_is_idempotent_and_ordered() {
    let w = world();
    let tech = w.login(&w.technician).await;
    let curing: yannong_core::barn::api::Curing = w
        .post(
            &paths::barn_curings(w.barn_a.id),
            Some(&tech),
            &start_request(),
        )
        .await
        .json();
    let again = w
        .post(
            &paths::barn_curings(w.barn_a.id),
            Some(&tech),
            &start_request(),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "one cure at a time");
    let step0 = AdvanceRequest {
        from_step: 0,
        leaf_state: Some("叶尖变黄".into()),
    };
    let first: yannong_core::barn::api::Curing = w
        .post(&paths::curing_advance(curing.id), Some(&tech), &step0)
        .await
        .json();
    let retry: yannong_core::barn::api::Curing = w
        .post(&paths::curing_advance(curing.id), Some(&tech), &step0)
        .await
        .json();
    assert_eq!(first.current_step, 1);
    assert_eq!(
        retry.advances, first.advances,
        "a retried advance changes nothing"
    );
    let skip = w
        .post(
            &paths::curing_advance(curing.id),
            Some(&tech),
            &AdvanceRequest {
                from_step: 3,
                leaf_state: None,
            },
        )
        .await;
    assert_eq!(skip.status, StatusCode::CONFLICT);
}
