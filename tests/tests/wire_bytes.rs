//! Bytes on the wire for one barn-day: a farmer's first sync of one barn holding 1 440 one-minute
//! readings from the barn simulator (day 2 of a middle-leaf cure), as gzip, zstd and identity.
//! Counts response bodies as sent (no automatic decompression); HTTP headers are not counted.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::Duration;

use yannong_core::Timestamp;
use yannong_core::barn::api::{ChangesPage, IngestBatch, paths};
use yannong_core::curing::builtin_recipe;
use yannong_e2e::TestPlatform;
use yannong_server::auth::new_token;
use yannong_server::sim::{BarnParams, SimBarn};

/// A fixed start keeps the simulated day (ambient follows the time of day), and so the sizes,
/// the same on every run.
const START: Timestamp = Timestamp(1_751_500_800_000);
const DAY: usize = 1440;

/// Measured: gzip 5 194, zstd 5 560, identity 57 468 bytes. 8 KiB leaves ~45 % headroom over
/// the larger (room for a new field) yet catches a lost delta encoding; it is ~2 s on 2G.
const MAX_COMPRESSED: usize = 8 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_barn_day_syncs_in_a_few_kilobytes() {
    let p = TestPlatform::start().await;
    // Barn 3 is the other farmer's only barn and has no technician: the feed holds just it.
    let barn = &p.barns[2];
    let mut sim = SimBarn::new(
        BarnParams::default(),
        builtin_recipe("middle").unwrap(),
        START,
        7,
    );
    sim.advance(Duration::from_secs(24 * 3600));
    let readings: Vec<_> = (0..DAY)
        .map(|_| {
            sim.advance(Duration::from_secs(60));
            sim.reading().unwrap()
        })
        .collect();
    for (n, chunk) in readings.chunks(720).enumerate() {
        let report = p
            .platform
            .ingest(
                barn.id,
                IngestBatch {
                    batch_id: format!("day-{n}"),
                    readings: chunk.to_vec(),
                },
            )
            .unwrap();
        assert_eq!(report.accepted as usize, chunk.len());
    }

    let (token, hash) = new_token().unwrap();
    p.platform
        .store
        .insert_token(&hash, p.other_farmer.id, Timestamp::now().add_hours(1.0))
        .unwrap();
    // reqwest is built without a default TLS provider (the app brings ring); plain http here.
    let _ = rustls::crypto::ring::default_provider().install_default();
    // No automatic decompression: the body is counted as it crossed the wire.
    let http = reqwest::Client::builder()
        .no_gzip()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut sizes = Vec::new();
    for encoding in ["gzip", "zstd", "identity"] {
        let res = http
            .get(format!("{}{}", p.url(), paths::SYNC))
            .bearer_auth(&token)
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let sent = res
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_owned());
        let expected = (encoding != "identity").then(|| encoding.to_owned());
        assert_eq!(sent, expected, "the platform negotiates {encoding}");
        let body = res.bytes().await.unwrap();
        if encoding == "identity" {
            let page: ChangesPage = serde_json::from_slice(&body).unwrap();
            assert!(!page.more);
            assert_eq!(page.barns.len(), 1);
            let n: usize = page.readings.iter().map(|b| b.at_ms.len()).sum();
            assert_eq!(n, DAY, "the page is exactly one barn-day");
        }
        sizes.push(body.len());
    }
    let [gzip, zstd, identity] = sizes[..] else {
        unreachable!()
    };
    println!(
        "one barn-day ({DAY} readings) on the wire, body bytes: gzip {gzip}, zstd {zstd}, identity {identity} \
         (gzip {:.1}x, zstd {:.1}x smaller)",
        identity as f64 / gzip as f64,
        identity as f64 / zstd as f64
    );
    assert!(gzip < identity && zstd < identity);
    assert!(
        gzip.max(zstd) <= MAX_COMPRESSED,
        "a barn-day takes {} bytes compressed, over {MAX_COMPRESSED}",
        gzip.max(zstd)
    );
}
