//! `Inbox::on_push` as a push receiver calls it: find the event in an FCM data map, verify
//! its Ed25519 signature, store it with its sequence number in one SQLite transaction. Goal:
//! well under 1 ms per payload. References in the same run: the signature check alone, and
//! a one-row SQLite write transaction on the same store; the printed ratio is on_push's cost
//! in such transactions.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;
use yannong_core::alarm::{Inbox, PushChannel, channel::EVENT_KEY};
use yannong_core::barn::api::{
    Alarm, AlarmEvent, AlarmEventKind, AlarmId, BarnId, Severity, SignedAlarmEvent, UserId,
};
use yannong_core::store::Store;
use yannong_core::{Text, Timestamp};

const ME: UserId = UserId(7);

fn payload(key: &SigningKey, seq: u64, now: Timestamp) -> Vec<u8> {
    let event = AlarmEvent {
        recipient: ME,
        seq,
        kind: AlarmEventKind::Raised,
        alarm: Alarm {
            id: AlarmId(seq as i64),
            barn_id: BarnId(8),
            curing_id: None,
            rule: "A10".into(),
            rules_version: 2,
            severity: Severity::Critical,
            title: Text::new("循环风机停转", "Circulation fan stopped"),
            action: Text::new(
                "循环风机停转，立即检修",
                "Circulation fan stopped, repair now",
            ),
            raised_at: now,
            updated_at: now,
            cleared_at: None,
            acked_at: None,
            acked_by: None,
        },
        issued_at: now,
    };
    let signed = serde_json::to_string(&SignedAlarmEvent::seal(&event, key)).unwrap();
    serde_json::to_vec(&serde_json::json!({ EVENT_KEY: signed })).unwrap()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_in_dir(dir.path()).unwrap());
    let key = SigningKey::from_bytes(&[7; 32]);
    let inbox = Inbox::new(store.clone(), vec![key.verifying_key()]);
    let now = Timestamp::now();
    let mut next = 1u64;
    // Pre-signed, so only on_push is timed.
    let mut fresh = |n: u64| -> Vec<Vec<u8>> {
        let out = (next..next + n).map(|s| payload(&key, s, now)).collect();
        next += n;
        out
    };
    let on_push = |raw: &[u8]| inbox.on_push(PushChannel::Fcm, raw, ME, now).unwrap();
    let write_row = || {
        store
            .write(|tx| {
                tx.execute(
                    "INSERT OR REPLACE INTO app_meta (key, value) VALUES ('bench', ?1)",
                    [now.0.to_string()],
                )
                .map_err(yannong_core::store::StoreError::from)
            })
            .unwrap()
    };

    let mut g = c.benchmark_group("alarm_on_push");
    g.bench_function("new_event", |b| {
        b.iter_custom(|iters| {
            let batch = fresh(iters);
            let t = Instant::now();
            for raw in &batch {
                black_box(on_push(raw));
            }
            t.elapsed()
        })
    });
    let dup = fresh(1).remove(0);
    on_push(&dup);
    g.bench_function("duplicate", |b| b.iter(|| on_push(black_box(&dup))));
    let signed: SignedAlarmEvent = {
        let v: serde_json::Value = serde_json::from_slice(&dup).unwrap();
        serde_json::from_str(v[EVENT_KEY].as_str().unwrap()).unwrap()
    };
    let trusted = [key.verifying_key()];
    g.bench_function("reference_verify_only", |b| {
        b.iter(|| black_box(&signed).open(&trusted).unwrap())
    });
    g.bench_function("reference_sqlite_write", |b| b.iter(write_row));
    g.finish();

    // Interleaved rounds so both sides see the same machine load.
    let (mut t_push, mut t_ref) = (Vec::new(), Vec::new());
    for _ in 0..31 {
        let batch = fresh(50);
        let t = Instant::now();
        for raw in &batch {
            black_box(on_push(raw));
        }
        t_push.push(t.elapsed() / 50);
        let t = Instant::now();
        for _ in 0..50 {
            black_box(write_row());
        }
        t_ref.push(t.elapsed() / 50);
    }
    t_push.sort();
    t_ref.sort();
    let (p, r): (Duration, Duration) = (t_push[15], t_ref[15]);
    println!(
        "on_push of a new event ({} bytes): {p:.2?} (goal < 1 ms); reference one-row SQLite write transaction: {r:.2?}; ratio {:.1}",
        dup.len(),
        p.as_secs_f64() / r.as_secs_f64()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
