//! LTTB of a whole cure as a phone charts it: 12 000 one-minute dry-bulb readings (~8 days)
//! down to 500 points. References in the same run: a plain copy of the input (`Vec` clone) and
//! naive every-k-th decimation; the printed ratio is LTTB's cost in input copies.
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use yannong_core::Timestamp;
use yannong_core::barn::lttb::lttb;
use yannong_core::curing::{ExpectedCurve, builtin_recipe};

const N: usize = 12_000;
const OUT: usize = 500;
const START: Timestamp = Timestamp(1_750_000_000_000);

/// The middle recipe's dry bulb at one-minute steps, held after the cure ends, plus AR(1)
/// sensor noise (~0.1 °C, as the barn simulator makes) from a fixed-seed xorshift.
fn series() -> Vec<(f64, f64)> {
    let recipe = builtin_recipe("middle").expect("built-in recipe");
    let curve = ExpectedCurve::new(&recipe, START, 25.0, &[]).expect("curve");
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let (mut noise, mut last) = (0.0, 25.0);
    (0..N)
        .map(|i| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            noise = 0.8 * noise + ((rng >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.2;
            let at = Timestamp(START.0 + i as i64 * 60_000);
            if let Some(p) = curve.setpoint_at(at) {
                last = p.dry_bulb_c;
            }
            (at.0 as f64, last + noise)
        })
        .collect()
}

fn decimate(points: &[(f64, f64)], threshold: usize) -> Vec<usize> {
    let k = points.len().div_ceil(threshold);
    (0..points.len()).step_by(k).collect()
}

/// Median time per call over interleaved rounds, so both sides see the same machine load.
fn median_pair(a: impl Fn(), b: impl Fn()) -> (Duration, Duration) {
    const ROUNDS: usize = 51;
    const CALLS: u32 = 200;
    let time = |f: &dyn Fn()| {
        let t = Instant::now();
        for _ in 0..CALLS {
            f();
        }
        t.elapsed() / CALLS
    };
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        ta.push(time(&a));
        tb.push(time(&b));
    }
    ta.sort();
    tb.sort();
    (ta[ROUNDS / 2], tb[ROUNDS / 2])
}

fn bench(c: &mut Criterion) {
    let points = series();
    assert_eq!(lttb(&points, OUT).len(), OUT);
    let mut g = c.benchmark_group("lttb_12000_to_500");
    g.bench_function("lttb", |b| b.iter(|| lttb(black_box(&points), OUT)));
    g.bench_function("reference_vec_clone", |b| {
        b.iter(|| black_box(&points).clone())
    });
    g.bench_function("reference_every_kth", |b| {
        b.iter(|| decimate(black_box(&points), OUT))
    });
    g.finish();

    let (t_lttb, t_clone) = median_pair(
        || drop(black_box(lttb(black_box(&points), OUT))),
        || drop(black_box(black_box(&points).clone())),
    );
    println!(
        "lttb {N}->{OUT}: {t_lttb:.2?}; reference Vec clone of {N} points: {t_clone:.2?}; ratio lttb/reference {:.1}",
        t_lttb.as_secs_f64() / t_clone.as_secs_f64()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
