//! Expected curve of a full recipe: building it, and sampling it at one-minute resolution
//! (what a chart of a whole 8-day cure asks for).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use yannong_core::Timestamp;
use yannong_core::cancel::Cancel;
use yannong_core::curing::{ExpectedCurve, builtin_recipe};

fn curve(c: &mut Criterion) {
    let recipe = builtin_recipe("upper+under-ripe").expect("built-in recipe");
    let start = Timestamp::from_secs(1_750_000_000);
    let cancel = Cancel::new(false);
    c.bench_function("curve/build_upper_under_ripe", |b| {
        b.iter(|| ExpectedCurve::new(black_box(&recipe), start, 25.0, &[]).expect("curve"))
    });
    let built = ExpectedCurve::new(&recipe, start, 25.0, &[]).expect("curve");
    c.bench_function("curve/sample_1min_full_cure", |b| {
        b.iter(|| built.sample(black_box(60_000), &cancel).expect("samples"))
    });
    c.bench_function("curve/build_and_sample_1min", |b| {
        b.iter(|| {
            ExpectedCurve::new(black_box(&recipe), start, 25.0, &[])
                .and_then(|c| c.sample(60_000, &cancel))
                .expect("samples")
        })
    });
}

criterion_group!(benches, curve);
criterion_main!(benches);
