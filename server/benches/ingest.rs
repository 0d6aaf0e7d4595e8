//! Ingest throughput: readings per second into the platform's store through `Platform::ingest`
//! (validation, quantisation, idempotency bookkeeping, change numbers, index upkeep), in
//! day-sized controller batches. The reference, measured in the same run, inserts the same rows
//! into a bare SQLite table with no secondary index and no checks: the ratio is the price of
//! what the platform does per reading. Goal: ≥ 50 000 readings/s on one node.

use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use yannong_core::Timestamp;
use yannong_core::barn::api::{BarnKind, Fan, HeatPump, IngestBatch, Reading, Role};
use yannong_server::clock::Clock;
use yannong_server::platform::Platform;
use yannong_server::store::{NewBarn, NewUser, PlatformStore, SqliteStore};

const BATCH: usize = 1440;
const START: Timestamp = Timestamp(1_780_000_000_000);

fn day(barn_offset: i64) -> Vec<Reading> {
    (0..BATCH as i64)
        .map(|i| Reading {
            at: Timestamp(START.0 + barn_offset + i * 60_000),
            dry_bulb_c: 38.0 + (i % 17) as f64 * 0.1,
            wet_bulb_c: 36.0 + (i % 13) as f64 * 0.1,
            dry_bulb_low_c: Some(37.5),
            dry_bulb_set_c: Some(38.0),
            wet_bulb_set_c: Some(36.0),
            step: Some(1),
            heat_pump: HeatPump::Heating,
            heating_pct: 40,
            fan: Fan::Low,
            fan_current_pct: 98,
            vent_pct: 5,
            vent_cmd_pct: 5,
            mains_power: true,
            door_open: false,
        })
        .collect()
}

fn platform(dir: &std::path::Path) -> (Platform, yannong_core::barn::api::BarnId) {
    let store = Arc::new(SqliteStore::open(&dir.join("p.db")).expect("open"));
    let owner = store
        .create_user(
            NewUser {
                phone: "1".into(),
                name: "f".into(),
                role: Role::Farmer,
                password_hash: "x".into(),
            },
            START,
        )
        .expect("user");
    let barn = store
        .create_barn(
            NewBarn {
                name: "b".into(),
                village: "v".into(),
                owner: owner.id,
                technician: None,
                kind: BarnKind::HeatPump,
                capacity_kg: 4500,
            },
            START,
        )
        .expect("barn");
    // The clock stands far enough ahead that no reading is "in the future".
    (
        Platform::new(store, Clock::manual(Timestamp(START.0 + 400 * 86_400_000))),
        barn.id,
    )
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("ingest_1440_readings");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.measurement_time(Duration::from_secs(8));

    let dir = tempfile::tempdir().expect("tempdir");
    let (p, barn) = platform(dir.path());
    let mut n = 0i64;
    g.bench_function("platform_ingest", |b| {
        b.iter_batched(
            || {
                n += 1;
                IngestBatch {
                    batch_id: format!("b{n}"),
                    readings: day(n * BATCH as i64 * 60_000),
                }
            },
            |batch| p.ingest(barn, batch).expect("ingest"),
            BatchSize::SmallInput,
        );
    });

    let raw_dir = tempfile::tempdir().expect("tempdir");
    let conn = rusqlite::Connection::open(raw_dir.path().join("raw.db")).expect("open");
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         CREATE TABLE r (barn INTEGER, at INTEGER, dry REAL, wet REAL, flags INTEGER);",
    )
    .expect("schema");
    let mut m = 0i64;
    g.bench_function("reference_bare_sqlite_insert", |b| {
        b.iter_batched(
            || {
                m += 1;
                day(m * BATCH as i64 * 60_000)
            },
            |rows| {
                let tx = conn.unchecked_transaction().expect("tx");
                {
                    let mut st = tx
                        .prepare_cached("INSERT INTO r VALUES (?1, ?2, ?3, ?4, ?5)")
                        .expect("prep");
                    for r in &rows {
                        st.execute(rusqlite::params![1, r.at.0, r.dry_bulb_c, r.wet_bulb_c, 0])
                            .expect("insert");
                    }
                }
                tx.commit().expect("commit");
            },
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
