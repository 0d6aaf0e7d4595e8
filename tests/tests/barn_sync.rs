//! The phone core against a real platform on loopback: log in, sync, resume, watch live,
//! lose the server and come back.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use yannong_core::Timestamp;
use yannong_core::barn::local;
use yannong_core::barn::{BarnError, Barns, ClientConfig, MemorySecrets, WatchEvent};
use yannong_core::cancel::Cancel;
use yannong_core::store::Store;
use yannong_e2e::{PASSWORD, TestPlatform, reading};

fn minutes(start: Timestamp, n: i64, dry: f64) -> Vec<yannong_core::barn::api::Reading> {
    (0..n)
        .map(|i| reading(Timestamp(start.0 + i * 60_000), dry))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_farmer_syncs_their_barns_and_only_theirs() {
    let p = TestPlatform::start().await;
    let start = Timestamp::now().add_hours(-24.0);
    for (i, barn) in p.barns.iter().enumerate() {
        p.ingest(barn, "day", minutes(start, 1440, 36.0 + i as f64));
    }
    let phone = p.phone();
    let user = phone.barns.login(&p.farmer.phone, PASSWORD).await.unwrap();
    assert_eq!(user, p.farmer);
    let report = phone.barns.sync(&Cancel::default()).await.unwrap();
    assert_eq!(report.barns, 2);
    assert_eq!(report.readings, 2 * 1440);

    let barns = phone.store.read(local::barns).unwrap();
    assert_eq!(
        barns.iter().map(|b| b.id).collect::<Vec<_>>(),
        vec![p.barns[0].id, p.barns[1].id]
    );
    let rs = phone
        .store
        .read(|c| local::readings(c, p.barns[1].id, start, Timestamp::now()))
        .unwrap();
    assert_eq!(rs.len(), 1440);
    assert!(rs.iter().all(|r| r.dry_bulb_c == 37.0));
    let session = phone.barns.session().unwrap().unwrap();
    assert!(session.synced_at.is_some());
    assert!(
        phone
            .store
            .read(|c| local::barn(c, p.barns[2].id))
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_resumes_from_the_stored_cursor_after_the_app_restarts() {
    let p = TestPlatform::start().await;
    let start = Timestamp::now().add_hours(-48.0);
    p.ingest(&p.barns[0], "a", minutes(start, 1440, 36.0));
    let data = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecrets::default());
    let config = ClientConfig {
        base_url: p.url(),
        extra_roots_pem: None,
    };
    {
        let store = Arc::new(Store::open_in_dir(data.path()).unwrap());
        let barns = Barns::new(&config, store, secrets.clone()).unwrap();
        barns.login(&p.technician.phone, PASSWORD).await.unwrap();
        assert_eq!(barns.sync(&Cancel::default()).await.unwrap().readings, 1440);
    }
    p.ingest(&p.barns[0], "b", minutes(start.add_hours(24.0), 60, 38.0));
    // The app was killed and starts again: same data folder, same keychain.
    let store = Arc::new(Store::open_in_dir(data.path()).unwrap());
    let barns = Barns::new(&config, store.clone(), secrets).unwrap();
    let report = barns.sync(&Cancel::default()).await.unwrap();
    assert_eq!(report.readings, 60, "only what is new");
    let all = store
        .read(|c| local::readings(c, p.barns[0].id, start, Timestamp::now()))
        .unwrap();
    assert_eq!(all.len(), 1500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_the_stored_barns_stay_readable_and_errors_are_typed() {
    let mut p = TestPlatform::start().await;
    p.ingest(
        &p.barns[0],
        "a",
        minutes(Timestamp::now().add_hours(-2.0), 60, 38.0),
    );
    let phone = p.phone();
    assert!(matches!(
        phone.barns.login(&p.farmer.phone, "wrong").await,
        Err(BarnError::Unauthorized(_))
    ));
    assert!(matches!(
        phone.barns.sync(&Cancel::default()).await,
        Err(BarnError::NotLoggedIn)
    ));
    phone.barns.login(&p.farmer.phone, PASSWORD).await.unwrap();
    phone.barns.sync(&Cancel::default()).await.unwrap();
    let synced_at = phone.barns.session().unwrap().unwrap().synced_at;

    p.stop().await;
    match phone.barns.sync(&Cancel::default()).await {
        Err(BarnError::Network(_)) => {}
        other => panic!("expected a network error, got {other:?}"),
    }
    assert_eq!(phone.store.read(local::barns).unwrap().len(), 2);
    assert_eq!(
        phone.barns.session().unwrap().unwrap().synced_at,
        synced_at,
        "last updated stays honest"
    );

    p.restart().await;
    phone.barns.logout().await.unwrap();
    assert!(
        phone.store.read(local::barns).unwrap().is_empty(),
        "logout leaves no barns behind"
    );
    assert!(phone.barns.session().unwrap().is_none());
}

async fn next_matching(
    rx: &mut mpsc::UnboundedReceiver<WatchEvent>,
    want: impl Fn(&WatchEvent) -> bool,
) -> WatchEvent {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let ev = rx.recv().await.unwrap();
            if want(&ev) {
                return ev;
            }
        }
    })
    .await
    .expect("event did not arrive in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watching_a_barn_survives_the_platform_going_away() {
    let mut p = TestPlatform::start().await;
    let barn = p.barns[0].clone();
    let phone = Arc::new(p.phone());
    phone.barns.login(&p.farmer.phone, PASSWORD).await.unwrap();
    phone.barns.sync(&Cancel::default()).await.unwrap();

    let (tx, mut rx) = mpsc::unbounded_channel();
    let cancel = Arc::new(Cancel::default());
    let watcher = {
        let (phone, cancel) = (phone.clone(), cancel.clone());
        tokio::spawn(async move {
            phone
                .barns
                .watch(barn.id, &cancel, move |ev| drop(tx.send(ev)))
                .await
        })
    };
    next_matching(&mut rx, |e| *e == WatchEvent::Live).await;
    let now = Timestamp::now();
    p.ingest(&barn, "live-1", vec![reading(now, 38.4)]);
    let ev = next_matching(&mut rx, |e| matches!(e, WatchEvent::Reading(_))).await;
    assert_eq!(ev, WatchEvent::Reading(reading(now, 38.4)));

    p.stop().await;
    next_matching(&mut rx, |e| matches!(e, WatchEvent::Offline { .. })).await;
    // Readings keep arriving at the platform while the phone cannot reach it.
    let missed = Timestamp(now.0 + 60_000);
    p.ingest(&barn, "while-down", vec![reading(missed, 38.6)]);
    p.restart().await;
    next_matching(&mut rx, |e| *e == WatchEvent::Live).await;
    let stored = phone
        .store
        .read(|c| local::latest_reading(c, barn.id))
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.at, missed,
        "the reconnect synced what the stream missed"
    );

    cancel.store(true, std::sync::atomic::Ordering::Relaxed);
    tokio::time::timeout(Duration::from_secs(5), watcher)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
