//! The changes feed: paging, resuming, compression, and views that change.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use axum::http::StatusCode;
use common::{reading, world};
use yannong_core::Timestamp;
use yannong_core::barn::api::{ChangesPage, IngestBatch, paths};

fn day_of_readings(start: Timestamp) -> Vec<yannong_core::barn::api::Reading> {
    (0..1440)
        .map(|i| {
            reading(
                Timestamp(start.0 + i * 60_000),
                35.0 + (i / 180) as f64 * 0.5,
            )
        })
        .collect()
}

async fn ingest_day(w: &common::World, start: Timestamp) {
    let rs = day_of_readings(start);
    for (n, chunk) in rs.chunks(500).enumerate() {
        let batch = IngestBatch {
            batch_id: format!("{}-{n}", start.0),
            readings: chunk.to_vec(),
        };
        let r = w
            .post(&paths::ingest(w.barn_a.id), Some(&w.controller_a), &batch)
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
}

async fn sync_all(
    w: &common::World,
    token: &str,
    mut cursor: String,
    limit: usize,
) -> (Vec<ChangesPage>, String) {
    let mut pages = Vec::new();
    loop {
        let page: ChangesPage = w
            .get(
                &format!("{}?cursor={cursor}&limit={limit}", paths::SYNC),
                Some(token),
            )
            .await
            .json();
        cursor = page.cursor.clone();
        let more = page.more;
        pages.push(page);
        if !more {
            return (pages, cursor);
        }
        assert!(pages.len() < 100, "sync does not end");
    }
}

#[tokio::test]
async fn pages_deliver_every_reading_exactly_once_and_resume_from_the_cursor() {
    let w = world();
    let start = Timestamp::now().add_hours(-30.0);
    ingest_day(&w, start).await;
    let token = w.login(&w.farmer_a).await;

    let (pages, cursor) = sync_all(&w, &token, String::new(), 400).await;
    assert!(pages.len() >= 4, "{} pages", pages.len());
    assert_eq!(pages[0].barns.len(), 1);
    let mut seen = BTreeSet::new();
    for p in &pages {
        assert!(p.readings.iter().map(|b| b.len()).sum::<usize>() <= 400);
        for block in &p.readings {
            for r in block.decode().unwrap() {
                assert!(seen.insert(r.at), "reading at {:?} delivered twice", r.at);
            }
        }
    }
    assert_eq!(seen.len(), 1440);

    // Nothing new: an empty page. New readings: only those.
    let (idle, cursor) = sync_all(&w, &token, cursor, 400).await;
    assert!(idle[0].readings.is_empty() && idle[0].barns.is_empty());
    let late = IngestBatch {
        batch_id: "late".into(),
        readings: vec![reading(start.add_hours(-1.0), 30.0)],
    };
    w.post(&paths::ingest(w.barn_a.id), Some(&w.controller_a), &late)
        .await;
    let (after, _) = sync_all(&w, &token, cursor, 400).await;
    let rs: Vec<_> = after
        .iter()
        .flat_map(|p| p.readings.iter().flat_map(|b| b.decode().unwrap()))
        .collect();
    assert_eq!(rs.len(), 1, "only the late reading");
    assert_eq!(rs[0].at, start.add_hours(-1.0));
}

#[tokio::test]
async fn a_barn_day_crosses_the_wire_in_a_few_kilobytes() {
    let w = world();
    ingest_day(&w, Timestamp::now().add_hours(-30.0)).await;
    let token = w.login(&w.farmer_a).await;
    let path = format!("{}?limit=5000", paths::SYNC);
    let plain = w.get(&path, Some(&token)).await;
    for encoding in ["gzip", "zstd"] {
        let r = w
            .call_with(
                "GET",
                &path,
                Some(&token),
                None,
                &[("accept-encoding", encoding)],
            )
            .await;
        assert_eq!(r.headers["content-encoding"], encoding);
        eprintln!(
            "barn-day sync page: {} bytes {encoding}, {} bytes plain",
            r.body.len(),
            plain.body.len()
        );
        // Measured on this smooth synthetic day: ~0.6 KB gzip, ~0.5 KB zstd of 55 KB plain.
        // Noisy simulator data is larger; the bound is what a 2G phone should expect at most.
        assert!(
            r.body.len() < 8 * 1024,
            "{encoding}: {} bytes (plain {})",
            r.body.len(),
            plain.body.len()
        );
    }
}

#[tokio::test]
async fn a_malformed_cursor_is_a_clear_error() {
    let w = world();
    let token = w.login(&w.farmer_a).await;
    for bad in ["v2.1.1", "v1.x.1", "v1.-5.0", "garbage"] {
        let r = w
            .get(&format!("{}?cursor={bad}", paths::SYNC), Some(&token))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(r.code(), "invalid");
    }
}

#[tokio::test]
async fn a_technician_given_a_barn_resyncs_and_sees_its_history() {
    let w = world();
    ingest_day(&w, Timestamp::now().add_hours(-30.0)).await;
    let token = w.login(&w.technician).await;
    let (pages, cursor) = sync_all(&w, &token, String::new(), 5000).await;
    let barns: BTreeSet<_> = pages
        .iter()
        .flat_map(|p| p.barns.iter().map(|b| b.id))
        .collect();
    assert_eq!(barns, BTreeSet::from([w.barn_a.id]));

    // Barn B (with old readings) is assigned to the technician after their last sync.
    let old_b = IngestBatch {
        batch_id: "b-old".into(),
        readings: vec![reading(Timestamp::now().add_hours(-20.0), 40.0)],
    };
    w.post(&paths::ingest(w.barn_b.id), Some(&w.controller_b), &old_b)
        .await;
    let (pages, cursor) = sync_all(&w, &token, cursor, 5000).await;
    assert!(
        pages.iter().all(|p| p.readings.is_empty()),
        "barn B is not theirs yet"
    );
    w.platform
        .store
        .assign_technician(w.barn_b.id, Some(w.technician.id), Timestamp::now())
        .unwrap();

    let (pages, cursor) = sync_all(&w, &token, cursor, 5000).await;
    assert!(pages[0].reset);
    assert!(pages[1..].iter().all(|p| !p.reset));
    let barns: BTreeSet<_> = pages
        .iter()
        .flat_map(|p| p.barns.iter().map(|b| b.id))
        .collect();
    assert_eq!(barns, BTreeSet::from([w.barn_a.id, w.barn_b.id]));
    let b_readings: usize = pages
        .iter()
        .flat_map(|p| p.readings.iter().filter(|b| b.barn_id == w.barn_b.id))
        .map(|b| b.len())
        .sum();
    assert_eq!(b_readings, 1, "barn B's history arrives");
    // And the next sync is incremental again.
    let (pages, _) = sync_all(&w, &token, cursor, 5000).await;
    assert!(!pages[0].reset && pages[0].barns.is_empty());
}

#[tokio::test]
async fn many_barns_page_exactly_once_too() {
    // Past a handful of barns the page boundary comes from the global change index.
    let w = world();
    let mut controllers = vec![(w.barn_a.id, w.controller_a.clone())];
    for i in 0..6 {
        let b = w
            .platform
            .store
            .create_barn(
                yannong_server::store::NewBarn {
                    name: format!("extra {i}"),
                    village: "v".into(),
                    owner: w.farmer_b.id,
                    technician: Some(w.technician.id),
                    kind: yannong_core::barn::api::BarnKind::HeatPump,
                    capacity_kg: 4000,
                },
                Timestamp::now(),
            )
            .unwrap();
        let (token, hash) = yannong_server::auth::new_token().unwrap();
        w.platform.store.set_controller_token(b.id, &hash).unwrap();
        controllers.push((b.id, token));
    }
    let start = Timestamp::now().add_hours(-10.0);
    // Interleaved batches, so change numbers of different barns alternate.
    for round in 0..5i64 {
        for (barn, token) in &controllers {
            let rs = (0..37)
                .map(|m| reading(Timestamp(start.0 + (round * 37 + m) * 60_000), 38.0))
                .collect();
            let batch = IngestBatch {
                batch_id: format!("{round}"),
                readings: rs,
            };
            assert_eq!(
                w.post(&paths::ingest(*barn), Some(token), &batch)
                    .await
                    .status,
                StatusCode::OK
            );
        }
    }
    let token = w.login(&w.technician).await;
    let (pages, _) = sync_all(&w, &token, String::new(), 100).await;
    let mut seen = BTreeSet::new();
    for p in &pages {
        assert!(p.readings.iter().map(|b| b.len()).sum::<usize>() <= 100);
        for block in &p.readings {
            for r in block.decode().unwrap() {
                assert!(seen.insert((block.barn_id, r.at)), "duplicate");
            }
        }
    }
    assert_eq!(seen.len(), 7 * 5 * 37);
    assert!(pages.len() >= 13, "{} pages", pages.len());
}
