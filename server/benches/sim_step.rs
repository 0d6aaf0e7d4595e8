//! Cost of the barn simulator per simulated barn-minute, next to a reference in the same run:
//! looking up one set point on the expected curve per minute. The platform runs 53 barns on an
//! accelerated clock; the target is well under 1 ms of CPU per barn-minute.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use yannong_core::Timestamp;
use yannong_core::curing::{ExpectedCurve, builtin_recipe};
use yannong_server::sim::{BarnParams, SimBarn};

const START: Timestamp = Timestamp(1_719_964_800_000);
const MINUTE: Duration = Duration::from_secs(60);
/// Minutes simulated per iteration: one hour.
const MINUTES: u64 = 60;

fn barn() -> SimBarn {
    SimBarn::new(
        BarnParams::default(),
        builtin_recipe("middle").unwrap_or_else(|| unreachable!()),
        START,
        1,
    )
}

fn bench(c: &mut Criterion) {
    let recipe = builtin_recipe("middle").unwrap_or_else(|| unreachable!());
    let mut g = c.benchmark_group("sim_hour_of_60_barn_minutes");
    // The whole cure is ~140 h; start every sample from a fresh barn in the middle of it.
    let mut fixing = barn();
    fixing.advance(Duration::from_secs(90 * 3600));
    g.bench_function("sim_advance_and_read", |b| {
        b.iter_batched(
            || fixing.clone(),
            |mut barn| {
                for _ in 0..MINUTES {
                    barn.advance(MINUTE);
                    black_box(barn.reading());
                }
                barn
            },
            criterion::BatchSize::SmallInput,
        )
    });
    let curve = ExpectedCurve::new(&recipe, START, 25.0, &[]).unwrap_or_else(|_| unreachable!());
    g.bench_function("reference_setpoint_lookup", |b| {
        b.iter(|| {
            for m in 0..MINUTES as i64 {
                black_box(curve.setpoint_at(Timestamp(START.millis() + (90 * 60 + m) * 60_000)));
            }
        })
    });
    g.finish();

    // A plain figure for the log: a whole cure, barn-minutes per CPU second.
    let t0 = Instant::now();
    let mut b = barn();
    let mut minutes = 0u64;
    while !b.finished() && minutes < 260 * 60 {
        b.advance(MINUTE);
        black_box(b.reading());
        minutes += 1;
    }
    let secs = t0.elapsed().as_secs_f64();
    eprintln!(
        "whole middle cure: {minutes} barn-minutes in {:.1} ms = {:.2} µs per barn-minute ({:.0} barn-minutes per CPU second)",
        secs * 1e3,
        secs * 1e6 / minutes as f64,
        minutes as f64 / secs
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
