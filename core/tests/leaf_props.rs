//! Whatever bytes and frame descriptions the platform hands over, the leaf check answers with a
//! value or a typed error, never a panic.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use yannong_core::leaf::{
    Frame, LeafError, Pixels, Plane, PrepareOptions, Rotation, TensorSpec, YuvRange,
    frame_to_tensor, prepare, render,
};

/// A valid 24×16 JPEG to mutate, so the decoder gets past the header.
fn small_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(24, 16, |x, y| {
        image::Rgb([(x * 10) as u8, (y * 15) as u8, 90])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&img)
        .unwrap();
    out
}

fn rotation() -> impl Strategy<Value = Rotation> {
    prop_oneof![
        Just(Rotation::R0),
        Just(Rotation::R90),
        Just(Rotation::R180),
        Just(Rotation::R270)
    ]
}

/// (width, height, row_stride, pixel_stride, buffer length): mostly near-valid, sometimes wild.
fn shape() -> impl Strategy<Value = (u32, u32, usize, usize, usize)> {
    prop_oneof![
        3 => (0u32..70, 0u32..50, 0usize..160, 0usize..4, 0usize..12_000),
        1 => (0u32..20_000, 0u32..20_000, 0usize..100_000, 0usize..4, 0usize..4_000),
    ]
}

fn check(frame: &Frame<'_>, roi: f32) {
    let opts = PrepareOptions {
        roi_fraction: roi,
        ..PrepareOptions::default()
    };
    match prepare(frame, &opts) {
        Ok(p) => assert_eq!(p.image.width(), 256),
        Err(e) => {
            let _: &LeafError = &e;
            assert!(!e.to_string().is_empty());
        }
    }
    let spec = TensorSpec {
        side: 32,
        ..TensorSpec::default()
    };
    let mut out = vec![0f32; spec.len()];
    if frame_to_tensor(frame, roi, &spec, &mut out).is_ok() {
        assert!(out.iter().all(|v| v.is_finite()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_as_a_photo(bytes in prop::collection::vec(any::<u8>(), 0..2_000),
                                  prefix in 0usize..3) {
        let mut data = [&b""[..], b"\xFF\xD8\xFF", b"\x89PNG\r\n\x1a\n"][prefix].to_vec();
        data.extend(bytes);
        prop_assert!(render(&Frame::new(Pixels::Encoded(&data)), 1.0, 64).is_err());
    }

    #[test]
    fn mutated_jpegs(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
                     cut in any::<prop::sample::Index>(), roi in 0.0f32..1.2) {
        let mut data = small_jpeg();
        for (at, byte) in edits {
            let i = at.index(data.len());
            data[i] = byte;
        }
        let keep = cut.index(data.len()) + 1;
        check(&Frame::new(Pixels::Encoded(&data[..keep.max(data.len() / 2)])), roi);
    }

    #[test]
    fn arbitrary_yuv_frames((w, h, stride, ps, len) in shape(), kind in 0u8..3, uv_len in 0usize..6_000,
                            rot in rotation(), roi in -0.5f32..1.5, limited in any::<bool>()) {
        let range = if limited { YuvRange::Limited } else { YuvRange::Full };
        let y = vec![77u8; len];
        let c = vec![140u8; uv_len];
        let pixels = match kind {
            0 => Pixels::Nv21 { width: w, height: h, data: &y, range },
            1 => Pixels::Yuv420 {
                width: w, height: h,
                y: Plane { data: &y, row_stride: stride, pixel_stride: 1 },
                u: Plane { data: &c, row_stride: stride / 2 + ps, pixel_stride: ps },
                v: Plane { data: c.get(1..).unwrap_or_default(), row_stride: stride / 2 + ps, pixel_stride: ps },
                range,
            },
            _ => Pixels::Nv12 { width: w, height: h, y: &y, y_bytes_per_row: stride, uv: &c, uv_bytes_per_row: stride, range },
        };
        check(&Frame::new(pixels).rotated(rot), roi);
    }

    #[test]
    fn arbitrary_rgba_frames((w, h, stride, _ps, len) in shape(), bgra in any::<bool>(),
                             rot in rotation(), roi in 0.0f32..1.0) {
        let data = vec![200u8; len];
        let pixels = if bgra {
            Pixels::Bgra { width: w, height: h, bytes_per_row: stride * 4, data: &data }
        } else {
            Pixels::Rgba { width: w, height: h, bytes_per_row: stride * 4, data: &data }
        };
        check(&Frame::new(pixels).rotated(rot), roi);
    }
}
