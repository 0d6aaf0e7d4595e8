//! Camera frame → 224×224 model tensor, against two references measured in the same run:
//! `a_memcpy` copies the frame once (the floor for touching every byte), `b_naive` converts the
//! whole frame to RGB and then resizes it (the obvious order). `c_ours` resizes the planes and
//! converts only the small result. Ratios: c/a and c/b within one group.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use yannong_core::leaf::{
    Frame, Pixels, Plane, PrepareOptions, TensorSpec, YuvRange, frame_to_tensor, prepare,
};

const W: usize = 1920;
const H: usize = 1080;
/// Android pads rows to the hardware's alignment; 2048 is a common one.
const STRIDE: usize = 2048;

/// A leaf-ish synthetic scene: green gradient with stripes (veins) and noise-like texture.
fn planes(stride: usize) -> (Vec<u8>, Vec<u8>) {
    let mut y = vec![0u8; stride * H];
    let mut vu = vec![128u8; stride * H / 2];
    for r in 0..H {
        for c in 0..W {
            let vein = if (c + r / 3) % 97 < 3 { 60 } else { 0 };
            y[r * stride + c] = (80 + (c * 7 + r * 13) % 50 + vein) as u8;
        }
    }
    for r in 0..H / 2 {
        for c in 0..W / 2 {
            vu[r * stride + 2 * c] = (110 + (c % 20)) as u8; // V
            vu[r * stride + 2 * c + 1] = (100 + (r % 30)) as u8; // U
        }
    }
    (y, vu)
}

/// The obvious order: whole frame to RGB, then crop and resize, then normalise.
fn naive(
    y: &[u8],
    vu: &[u8],
    stride: usize,
    rgb: &mut [u8],
    out: &mut [f32],
    resizer: &mut Resizer,
) {
    for r in 0..H {
        for c in 0..W {
            let l = f32::from(y[r * stride + c]);
            let i = (r / 2) * stride + (c / 2) * 2;
            let (cr, cb) = (f32::from(vu[i]) - 128.0, f32::from(vu[i + 1]) - 128.0);
            let o = (r * W + c) * 3;
            rgb[o] = (l + 1.402 * cr).clamp(0.0, 255.0) as u8;
            rgb[o + 1] = (l - 0.344 * cb - 0.714 * cr).clamp(0.0, 255.0) as u8;
            rgb[o + 2] = (l + 1.772 * cb).clamp(0.0, 255.0) as u8;
        }
    }
    let src = ImageRef::new(W as u32, H as u32, rgb, PixelType::U8x3).unwrap();
    let mut dst = Image::new(224, 224, PixelType::U8x3);
    let side = H as f64 * 0.8;
    let opts = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Hamming))
        .crop((W as f64 - side) / 2.0, (H as f64 - side) / 2.0, side, side);
    resizer.resize(&src, &mut dst, &opts).unwrap();
    let plane = 224 * 224;
    for (i, p) in dst.buffer().chunks_exact(3).enumerate() {
        for ch in 0..3 {
            out[ch * plane + i] = (f32::from(p[ch]) / 255.0 - 0.45) / 0.225;
        }
    }
}

fn bench(c: &mut Criterion) {
    let spec = TensorSpec::default();
    let mut out = vec![0f32; spec.len()];

    let (y, vu) = planes(W);
    let nv21: Vec<u8> = y.iter().chain(&vu).copied().collect();
    let frame = Frame::new(Pixels::Nv21 {
        width: W as u32,
        height: H as u32,
        data: &nv21,
        range: YuvRange::Full,
    });
    let mut group = c.benchmark_group("nv21_1080p_to_tensor224");
    let mut copy = vec![0u8; nv21.len()];
    group.bench_function("a_memcpy_frame", |b| {
        b.iter(|| copy.copy_from_slice(black_box(&nv21)))
    });
    let mut rgb = vec![0u8; W * H * 3];
    let mut resizer = Resizer::new();
    group.bench_function("b_naive_full_rgb_then_resize", |b| {
        b.iter(|| naive(black_box(&y), &vu, W, &mut rgb, &mut out, &mut resizer))
    });
    group.bench_function("c_ours_resize_planes_then_rgb", |b| {
        b.iter(|| frame_to_tensor(black_box(&frame), 0.8, &spec, &mut out).unwrap())
    });
    group.finish();

    // YUV_420_888 as most Android phones deliver it: padded rows, U/V interleaved (pixel
    // stride 2), the U plane one byte into the V plane's buffer.
    let (y, vu) = planes(STRIDE);
    let frame = Frame::new(Pixels::Yuv420 {
        width: W as u32,
        height: H as u32,
        y: Plane {
            data: &y,
            row_stride: STRIDE,
            pixel_stride: 1,
        },
        u: Plane {
            data: &vu[1..],
            row_stride: STRIDE,
            pixel_stride: 2,
        },
        v: Plane {
            data: &vu[..vu.len() - 1],
            row_stride: STRIDE,
            pixel_stride: 2,
        },
        range: YuvRange::Full,
    });
    let mut group = c.benchmark_group("yuv420_888_1080p_to_tensor224");
    let total = y.len() + vu.len();
    let mut copy = vec![0u8; total];
    group.bench_function("a_memcpy_frame", |b| {
        b.iter(|| {
            copy[..y.len()].copy_from_slice(black_box(&y));
            copy[y.len()..].copy_from_slice(black_box(&vu));
        })
    });
    group.bench_function("b_naive_full_rgb_then_resize", |b| {
        b.iter(|| naive(black_box(&y), &vu, STRIDE, &mut rgb, &mut out, &mut resizer))
    });
    group.bench_function("c_ours_resize_planes_then_rgb", |b| {
        b.iter(|| frame_to_tensor(black_box(&frame), 0.8, &spec, &mut out).unwrap())
    });
    // The whole pre-model check on the same frame (256 px working image, gate, colour, rule).
    let opts = PrepareOptions::default();
    group.bench_function("d_prepare_gate_colour_rule", |b| {
        b.iter(|| prepare(black_box(&frame), &opts).unwrap())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
