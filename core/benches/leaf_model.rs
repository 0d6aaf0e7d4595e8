//! The leaf model on one core (issue #4): loading the shipped model (`models/leaf`: parse,
//! checks, declutter, optimise), one inference with tract, a 1080p NV21 camera frame to the
//! model's tensor against a plain copy of the frame, and the whole `LeafChecker::check` (gate,
//! model, answer, thumbnail) on that frame. Goals: frame → tensor ≤ 1 ms, check ≤ 30 ms.
//!
//! The frame is a real photo from the development set (`YANNONG_LEAF_DATA`, else
//! `shared/data/leaf` beside the repository or `/work/shared/data/leaf`; read at run time,
//! never copied into the repository): the first `healthy` photo, centre-cropped to 16:9,
//! scaled to 1920×1080 and turned into full-range BT.601 NV21, provided the gate passes on it
//! so the model runs. Without the photos a synthetic leaf-like frame is used and said so.
//!
//! After the criterion groups a report (stderr) times the same things in interleaved rounds
//! and gives the ratios: nv21→tensor / memcpy, and tract built two ways (the runner's
//! declutter + optimise, declutter only) on one fixed tensor, `x[i] =
//! sin(i·0.001)` — the tensor `models/bench/compare_onnxruntime.py` feeds onnxruntime, which
//! runs this bench with `LEAF_BENCH_REPORT=inference` (report only, inference part only) and
//! `LEAF_BENCH_ORT_US=<its median>` to get tract/onnxruntime from one run. The lines
//! `tract_*=` are for that script. tract runs on one thread (its default executor is
//! single-threaded and the `multithread-mm` feature is off); the report counts the process's
//! threads to show it.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use tract_nnef::prelude::*;
use tract_nnef::tract_core::internal::{EvalContext, OpState};
use yannong_core::cancel::Cancel;
use yannong_core::leaf::history::thumbnail;
use yannong_core::leaf::model::{LeafModel, ModelManifest};
use yannong_core::leaf::{
    CheckOptions, Frame, LeafChecker, Pixels, TensorSpec, Verdict, WORKING_SIDE, YuvRange, assess,
    features, frame_to_tensor, measure, prepare, render, segment,
};

// The photo locator and the NV21 conversion the leaf tests use.
#[path = "../tests/leaf_support/mod.rs"]
mod leaf_support;

const W: usize = 1920;
const H: usize = 1080;
const ROI: f32 = 0.8;

fn model_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/leaf")
}

/// The fixed input both tract and onnxruntime get: `x[i] = sin(i·0.001)`, computed in f64.
fn sine_tensor(len: usize) -> Vec<f32> {
    (0..len).map(|i| (i as f64 * 0.001).sin() as f32).collect()
}

/// The leaf-ish synthetic scene of `leaf_prepare`: green gradient, veins, texture.
fn synthetic_nv21() -> Vec<u8> {
    let mut f = vec![128u8; W * H * 3 / 2];
    for r in 0..H {
        for c in 0..W {
            let vein = if (c + r / 3) % 97 < 3 { 60 } else { 0 };
            f[r * W + c] = (80 + (c * 7 + r * 13) % 50 + vein) as u8;
        }
    }
    for r in 0..H / 2 {
        for c in 0..W / 2 {
            f[W * H + r * W + 2 * c] = (110 + (c % 20)) as u8;
            f[W * H + r * W + 2 * c + 1] = (100 + (r % 30)) as u8;
        }
    }
    f
}

fn nv21_frame(data: &[u8]) -> Frame<'_> {
    Frame::new(Pixels::Nv21 {
        width: W as u32,
        height: H as u32,
        data,
        range: YuvRange::Full,
    })
}

/// The 1080p NV21 frame and where it came from: the first `healthy` development photo (then
/// any other) on which the check passes the gate and runs the model.
fn test_frame(checker: &LeafChecker) -> (Vec<u8>, String) {
    let dir = leaf_support::data_dir();
    let Ok(manifest) = std::fs::read_to_string(dir.join("manifest.csv")) else {
        return (
            synthetic_nv21(),
            format!("synthetic leaf-like frame (no photos at {})", dir.display()),
        );
    };
    let mut rows: Vec<(&str, &str)> = manifest
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut cols = l.split(',');
            Some((cols.next()?, cols.next()?))
        })
        .collect();
    rows.sort_by_key(|(_, label)| *label != "healthy");
    let opts = CheckOptions::default();
    // The first photo the model is sure about, else the first one the gate lets through.
    let mut model_ran = None;
    for (file, label) in rows.into_iter().take(30) {
        let Ok(img) = image::open(dir.join(file)) else {
            continue;
        };
        let img = img
            .resize_to_fill(W as u32, H as u32, image::imageops::FilterType::Triangle)
            .to_rgb8();
        let nv21 = leaf_support::to_nv21(&img);
        let Ok(answer) = checker.check(&nv21_frame(&nv21), &opts, &Cancel::new(false)) else {
            continue;
        };
        let source = format!("{file} ({label}), centre 16:9 scaled to {W}×{H}, full-range NV21");
        if answer.verdict == Verdict::Ok {
            return (nv21, source);
        }
        if answer.disease.is_some() && model_ran.is_none() {
            model_ran = Some((nv21, source));
        }
    }
    model_ran.unwrap_or_else(|| {
        (
            synthetic_nv21(),
            "synthetic leaf-like frame (no photo passed the gate)".into(),
        )
    })
}

type Plan = Arc<TypedRunnableModel>;

/// How the report builds tract plans, besides the runner's own.
#[derive(Clone, Copy, Debug)]
enum Build {
    /// `into_optimized`: declutter + codegen (what `LeafModel::load` does).
    Optimized,
    /// `into_decluttered` only, no codegen: the NNEF graph as training wrote it (decluttered
    /// there), run with tract's generic operators.
    Decluttered,
}

/// The runner's steps (`core/src/leaf/model/runner.rs`: the manifest's outputs in order),
/// ending in `build`.
fn plan(manifest: &ModelManifest, bytes: &[u8], build: Build) -> Plan {
    let mut model = tract_nnef::nnef().model_for_read(&mut &bytes[..]).unwrap();
    let outlets: Vec<OutletId> = manifest
        .outputs()
        .map(|name| model.find_outlet_label(name).unwrap())
        .collect();
    model.select_output_outlets(&outlets).unwrap();
    let typed = match build {
        Build::Optimized => model.into_optimized(),
        Build::Decluttered => model.into_decluttered(),
    };
    typed.unwrap().into_runnable().unwrap()
}

fn input(x: &[f32], side: usize) -> TVec<TValue> {
    tvec!(Tensor::from_shape(&[1, 3, side, side], x).unwrap().into())
}

fn outputs_of(out: &TVec<TValue>) -> Vec<Vec<f32>> {
    out.iter()
        .map(|o| {
            o.try_as_plain_ram()
                .unwrap()
                .as_slice::<f32>()
                .unwrap()
                .to_vec()
        })
        .collect()
}

fn timed(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

/// Median and 90th percentile.
fn stats(mut d: Vec<Duration>) -> (Duration, Duration) {
    d.sort();
    let p90 = d[(d.len() * 9 / 10).min(d.len() - 1)];
    (d[d.len() / 2], p90)
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

struct Setup {
    model: Arc<LeafModel>,
    spec: TensorSpec,
    model_bytes: Vec<u8>,
    checker: LeafChecker,
    nv21: Vec<u8>,
    source: String,
    sine: Vec<f32>,
}

impl Setup {
    fn new() -> Setup {
        let model = Arc::new(LeafModel::load(&model_dir()).unwrap());
        let spec = model.tensor_spec();
        let model_bytes = std::fs::read(model_dir().join(&model.manifest().model_file)).unwrap();
        let checker = LeafChecker::new(Some(model.clone()));
        let (nv21, source) = test_frame(&checker);
        eprintln!("leaf_model: frame: {source}");
        Setup {
            sine: sine_tensor(spec.len()),
            model,
            spec,
            model_bytes,
            checker,
            nv21,
            source,
        }
    }
}

fn bench(c: &mut Criterion, s: &Setup) {
    let mut group = c.benchmark_group("leaf_model");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("model_load", |b| {
        b.iter(|| LeafModel::load(black_box(&model_dir())).unwrap())
    });
    group.sample_size(20);
    group.bench_function("inference", |b| {
        b.iter(|| s.model.run(black_box(&s.sine)).unwrap())
    });
    group.finish();

    let frame = nv21_frame(&s.nv21);
    let mut out = vec![0f32; s.spec.len()];
    let mut copy = vec![0u8; s.nv21.len()];
    let mut group = c.benchmark_group("leaf_frame");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(3));
    group.bench_function("memcpy_1080p_nv21", |b| {
        b.iter(|| copy.copy_from_slice(black_box(&s.nv21)))
    });
    group.bench_function("nv21_1080p_to_tensor", |b| {
        b.iter(|| frame_to_tensor(black_box(&frame), ROI, &s.spec, &mut out).unwrap())
    });
    let opts = CheckOptions::default();
    let cancel = Cancel::new(false);
    group.sample_size(20);
    group.bench_function("check_1080p_nv21", |b| {
        b.iter(|| s.checker.check(black_box(&frame), &opts, &cancel).unwrap())
    });
    group.finish();
}

/// Interleaved rounds of the frame work and of the check; ratio per round, median of those.
fn report_frame(s: &Setup) {
    const ROUNDS: usize = 200;
    let frame = nv21_frame(&s.nv21);
    let mut out = vec![0f32; s.spec.len()];
    let mut copy = vec![0u8; s.nv21.len()];
    let (mut copies, mut tensors, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let a = timed(|| copy.copy_from_slice(black_box(&s.nv21)));
        let b = timed(|| frame_to_tensor(black_box(&frame), ROI, &s.spec, &mut out).unwrap());
        copies.push(a);
        tensors.push(b);
        ratios.push(b.as_secs_f64() / a.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    let (copy, _) = stats(copies);
    let (tensor, tensor90) = stats(tensors);
    eprintln!(
        "leaf_model: nv21 1080p → tensor {:.0} µs (p90 {:.0}; goal ≤ 1000), memcpy of the {:.1} MB \
         frame {:.0} µs: {:.1}× the copy (median of {ROUNDS} paired rounds)",
        us(tensor),
        us(tensor90),
        s.nv21.len() as f64 / 1e6,
        us(copy),
        ratios[ROUNDS / 2],
    );

    let opts = CheckOptions::default();
    let cancel = Cancel::new(false);
    let answer = s.checker.check(&frame, &opts, &cancel).unwrap();
    let checks: Vec<Duration> = (0..30)
        .map(|_| timed(|| drop(black_box(s.checker.check(&frame, &opts, &cancel).unwrap()))))
        .collect();
    let (check, check90) = stats(checks);
    eprintln!(
        "leaf_model: check 1080p NV21 end to end {:.1} ms (p90 {:.1}; goal ≤ 30): verdict {:?}, \
         model ran: {}, frame: {}",
        us(check) / 1e3,
        us(check90) / 1e3,
        answer.verdict,
        answer.disease.is_some(),
        s.source,
    );
    if answer.disease.is_none() {
        eprintln!("leaf_model:   (the gate did not pass: the check above did not run the model)");
    }
    check_stages(s, &frame, &opts);
}

/// The check's stages timed one after another in 30 rounds (medians), to show where the time
/// outside the model goes.
fn check_stages(s: &Setup, frame: &Frame<'_>, opts: &CheckOptions) {
    let mut input = vec![0f32; s.spec.len()];
    let mut times: [Vec<Duration>; 8] = Default::default();
    let p = &opts.prepare;
    for _ in 0..30 {
        let mut image = None;
        times[0].push(timed(|| {
            image = Some(render(frame, p.roi_fraction, WORKING_SIDE).unwrap())
        }));
        let image = image.unwrap();
        let mut mask = None;
        times[1].push(timed(|| mask = Some(segment(&image, &p.segment))));
        let mask = mask.unwrap();
        times[2].push(timed(|| {
            black_box(measure(&image, &mask));
        }));
        times[3].push(timed(|| {
            black_box(features(&image, &mask));
        }));
        times[4].push(timed(|| drop(black_box(assess(image.clone(), p)))));
        let mut prepared = None;
        times[5].push(timed(|| prepared = Some(prepare(frame, p).unwrap())));
        let prepared = prepared.unwrap();
        times[6].push(timed(|| {
            prepared.write_tensor(&s.spec, &mut input).unwrap()
        }));
        times[7].push(timed(|| {
            drop(black_box(thumbnail(&prepared.image).unwrap()))
        }));
    }
    let names = [
        "render (frame → 256² RGB)",
        "segment (leaf mask)",
        "measure (blur, exposure, glare)",
        "features (L*a*b*, hue, veins)",
        "assess (all of the gate and colour, incl. a copy of the image)",
        "prepare (render + assess)",
        "tensor from the working image",
        "thumbnail (96 px JPEG)",
    ];
    for (name, t) in names.iter().zip(times) {
        eprintln!("leaf_model:   stage {name}: {:.2} ms", us(stats(t).0) / 1e3);
    }
}

/// tract built two ways on the sine tensor, interleaved; with `LEAF_BENCH_ORT_US`, the
/// ratio to onnxruntime.
fn report_inference(s: &Setup) {
    let manifest = s.model.manifest();
    let side = manifest.input.side as usize;
    let builds = [Build::Optimized, Build::Decluttered];
    let plans: Vec<(Build, Plan, Duration)> = builds
        .into_iter()
        .map(|b| {
            let t = Instant::now();
            let p = plan(manifest, &s.model_bytes, b);
            (b, p, t.elapsed())
        })
        .collect();
    let before = threads();
    let outputs = outputs_of(&plans[0].1.run(input(&s.sine, side)).unwrap());
    let during = threads();
    for (build, p, _) in &plans[1..] {
        let other = outputs_of(&p.run(input(&s.sine, side)).unwrap());
        let diff = outputs
            .iter()
            .flatten()
            .zip(other.iter().flatten())
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        eprintln!("leaf_model:   {build:?} plan: outputs differ by at most {diff:.2e}");
    }
    // Warm-up, then rounds: each round runs every plan once (the unoptimised ones fewer times).
    let mut state = plans[0].1.spawn().unwrap();
    for _ in 0..3 {
        s.model.run(&s.sine).unwrap();
        state.run(input(&s.sine, side)).unwrap();
    }
    const ROUNDS: usize = 30;
    const SLOW_EVERY: usize = 5;
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); 2 + plans.len()];
    for round in 0..ROUNDS {
        times[0].push(timed(|| drop(black_box(s.model.run(&s.sine).unwrap()))));
        times[1].push(timed(|| {
            drop(black_box(state.run(input(&s.sine, side)).unwrap()));
        }));
        for (i, (_, p, _)) in plans.iter().enumerate() {
            if i > 0 && round % SLOW_EVERY != 0 {
                continue;
            }
            times[2 + i].push(timed(|| {
                drop(black_box(p.run(input(&s.sine, side)).unwrap()))
            }));
        }
    }
    let med: Vec<(Duration, Duration)> = times.into_iter().map(stats).collect();
    let (runner, runner90) = med[0];
    eprintln!(
        "leaf_model: inference (LeafModel::run, declutter + optimise) median {:.1} ms, p90 {:.1} \
         ms over {ROUNDS} runs; threads in the process before/while running: {before}/{during}",
        us(runner) / 1e3,
        us(runner90) / 1e3,
    );
    eprintln!(
        "leaf_model:   same plan, one SimpleState reused: {:.1} ms",
        us(med[1].0) / 1e3
    );
    for (i, (build, _, built)) in plans.iter().enumerate() {
        let (m, _) = med[2 + i];
        eprintln!(
            "leaf_model:   {build:?}: built in {:.2} s, run {:.1} ms = {:.2}× the runner's",
            built.as_secs_f64(),
            us(m) / 1e3,
            m.as_secs_f64() / runner.as_secs_f64(),
        );
    }
    op_profile(&plans[0].1, &s.sine, side, runner);
    eprintln!("tract_inference_median_us={:.1}", us(runner));
    eprintln!("tract_inference_p90_us={:.1}", us(runner90));
    eprintln!("tract_inference_runs={ROUNDS}");
    eprintln!("tract_threads={during}");
    let flat: Vec<String> = outputs.iter().flatten().map(|v| format!("{v:e}")).collect();
    eprintln!("tract_outputs={}", flat.join(","));
    if let Some(ort) = std::env::var("LEAF_BENCH_ORT_US")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
    {
        eprintln!(
            "leaf_model: tract / onnxruntime (one thread each) = {:.2} (goal ≤ 1.3; onnxruntime \
             {:.1} ms)",
            us(runner) / ort,
            ort / 1e3,
        );
    }
}

/// Where the optimised plan spends its time, by operator: every node of a few runs timed
/// through tract's own `eval` (the sum is a little above a plain run).
fn op_profile(plan: &Plan, x: &[f32], side: usize, runner: Duration) {
    const RUNS: u32 = 5;
    let mut by_op: HashMap<String, (Duration, u32)> = HashMap::new();
    let mut state = plan.spawn().unwrap();
    for _ in 0..RUNS {
        state
            .run_plan_with_eval(
                input(x, side),
                |ctx: &EvalContext<'_>,
                 st: Option<&mut (dyn OpState + 'static)>,
                 node: &TypedNode,
                 inputs: TVec<TValue>| {
                    let t = Instant::now();
                    let out = tract_core::plan::eval(ctx, st, node, inputs);
                    let e = by_op.entry(node.op().name().to_string()).or_default();
                    e.0 += t.elapsed();
                    e.1 += 1;
                    out
                },
            )
            .unwrap();
    }
    let mut ops: Vec<(String, Duration, u32)> = by_op
        .into_iter()
        .map(|(k, (d, n))| (k, d / RUNS, n / RUNS))
        .collect();
    ops.sort_by_key(|(_, d, _)| std::cmp::Reverse(*d));
    let total: Duration = ops.iter().map(|(_, d, _)| *d).sum();
    eprintln!(
        "leaf_model:   by operator (mean of {RUNS} timed runs, {:.1} ms in all; plain run {:.1} ms):",
        us(total) / 1e3,
        us(runner) / 1e3,
    );
    for (op, d, n) in ops.iter().take(8) {
        eprintln!(
            "leaf_model:     {op:<24} {n:>3} nodes {:>6.2} ms {:>4.0}%",
            us(*d) / 1e3,
            100.0 * d.as_secs_f64() / total.as_secs_f64(),
        );
    }
}

fn main() {
    let only = std::env::var("LEAF_BENCH_REPORT").ok();
    let s = Setup::new();
    if only.is_none() {
        let mut c = Criterion::default().configure_from_args();
        bench(&mut c, &s);
        c.final_summary();
    }
    if only.as_deref().is_none_or(|o| o == "frame") {
        report_frame(&s);
    }
    if only.as_deref().is_none_or(|o| o == "inference") {
        report_inference(&s);
    }
}
