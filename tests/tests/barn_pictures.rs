//! Barn camera pictures on the phone: listed from the synced metadata, each downloaded once,
//! shown again offline from the cache, trimmed to the cap, and gone with the account.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use yannong_core::Timestamp;
use yannong_core::barn::api::ImageId;
use yannong_core::barn::pictures::PictureCache;
use yannong_core::barn::{BarnError, Barns, ClientConfig, local};
use yannong_core::cancel::Cancel;
use yannong_core::curing::builtin_recipe;
use yannong_e2e::{PASSWORD, TestPlatform};
use yannong_server::sim::{BarnParams, SimBarn};

/// Simulated camera JPEGs, a few hours of yellowing apart, so each one differs.
fn pictures(n: usize) -> Vec<Vec<u8>> {
    let start = Timestamp::now().add_hours(-24.0);
    let mut barn = SimBarn::new(
        BarnParams::default(),
        builtin_recipe("middle").unwrap(),
        start,
        3,
    );
    (0..n)
        .map(|_| {
            barn.advance(std::time::Duration::from_secs(4 * 3600));
            barn.camera_jpeg(320, 240)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pictures_are_downloaded_once_and_shown_offline() {
    let mut p = TestPlatform::start().await;
    let jpegs = pictures(3);
    let now = Timestamp::now();
    let mut ids = Vec::new();
    for (i, jpeg) in jpegs.iter().enumerate() {
        let at = now.add_hours(i as f64 - 3.0);
        let meta = p.platform.store.put_image(p.barns[0].id, at, jpeg, true);
        ids.push(meta.unwrap().id);
    }
    let foreign = p
        .platform
        .store
        .put_image(p.barns[2].id, now, &jpegs[0], true)
        .unwrap();

    let phone = p.phone();
    phone.barns.login(&p.farmer.phone, PASSWORD).await.unwrap();
    let report = phone.barns.sync(&Cancel::new(false)).await.unwrap();
    assert_eq!(report.images, 3, "only the farmer's own barn's pictures");
    let listed = phone
        .store
        .read(|c| local::images(c, p.barns[0].id, 10))
        .unwrap();
    let newest_first: Vec<ImageId> = ids.iter().rev().copied().collect();
    assert_eq!(
        listed.iter().map(|m| m.id).collect::<Vec<_>>(),
        newest_first
    );
    assert!(listed.iter().all(|m| m.simulated));

    let (meta, jpeg) = phone.barns.picture(ids[0]).await.unwrap();
    assert_eq!((meta.id, &jpeg), (ids[0], &jpegs[0]));
    assert!(jpeg.starts_with(&[0xFF, 0xD8]));

    // Another farmer's picture is not in this account: refused before any request.
    let err = phone.barns.picture(foreign.id).await.unwrap_err();
    assert!(matches!(err, BarnError::NotFound(_)), "{err}");

    // Offline: the viewed picture is still there, the others need the network.
    p.stop().await;
    let (_, again) = phone.barns.picture(ids[0]).await.unwrap();
    assert_eq!(again, jpegs[0]);
    let err = phone.barns.picture(ids[1]).await.unwrap_err();
    assert!(matches!(err, BarnError::Network(_)), "{err}");

    // Logging out takes the account's pictures off the phone.
    let cache = PictureCache::beside(&phone.store, 0);
    assert!(std::fs::read_dir(cache.dir()).unwrap().count() > 0);
    phone.barns.logout().await.unwrap();
    assert_eq!(std::fs::read_dir(cache.dir()).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_stays_under_its_cap() {
    let p = TestPlatform::start().await;
    let jpegs = pictures(4);
    let now = Timestamp::now();
    let ids: Vec<ImageId> = jpegs
        .iter()
        .enumerate()
        .map(|(i, j)| {
            let at = now.add_hours(i as f64 - 4.0);
            p.platform
                .store
                .put_image(p.barns[0].id, at, j, true)
                .unwrap()
                .id
        })
        .collect();
    // Room for about two pictures.
    let cap = (jpegs[0].len() + jpegs[1].len() + jpegs[2].len() / 2) as u64;
    let phone = p.phone();
    let barns = Barns::new(
        &ClientConfig {
            base_url: p.url(),
            extra_roots_pem: None,
        },
        phone.store.clone(),
        Arc::new(yannong_core::barn::MemorySecrets::default()),
    )
    .unwrap()
    .with_picture_cap(cap);
    barns.login(&p.farmer.phone, PASSWORD).await.unwrap();
    barns.sync(&Cancel::new(false)).await.unwrap();
    for id in &ids {
        barns.picture(*id).await.unwrap();
    }
    let cache = PictureCache::beside(&phone.store, cap);
    assert!(cache.size() <= cap, "{} > {cap}", cache.size());
    let kept = std::fs::read_dir(cache.dir()).unwrap().count();
    assert!((1..=2).contains(&kept), "{kept} pictures kept");
    // The newest viewed is always kept.
    assert!(cache.dir().join(format!("{}.jpg", ids[3])).exists());
}
