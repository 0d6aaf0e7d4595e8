//! Leaf check frames: whatever a camera or the gallery hands over, `leaf::prepare`,
//! `frame_to_tensor` and `LeafChecker::check` (no model: gate, colour rule, answer,
//! thumbnail) answer with a `LeafError` or a result, never a panic; a frame that prepares
//! also converts to the shipped model's 192² tensor (finite values) and its check succeeds.
//!
//! The whole input is first a gallery photo (`Pixels::Encoded`: the JPEG and PNG decoders).
//! Then its first `HEADER` bytes describe a camera frame and the rest are its pixels:
//!
//! | byte  | meaning |
//! | ----- | ------- |
//! | 0     | bits 0–2: kind (NV21, YUV_420_888, NV12, BGRA, RGBA; 5–7 wrap); bit 3: limited range; bits 4–5: rotation; bit 6: tile the pixel bytes up to the size the frame needs; bit 7: the whole check, not only `prepare` |
//! | 1–2   | width, u16 LE, modulo `CAP_SIDE + 1` (0 allowed: an error to get) |
//! | 3–4   | height, likewise |
//! | 5     | i8 added to the natural row stride (Y plane, packed rows) |
//! | 6     | i8 added to the natural row stride of the chroma plane(s) |
//! | 7     | pixel strides of U (bits 0–1) and V (bits 2–3) for YUV_420_888 (0 and 3 are errors) |
//! | 8     | ROI fraction: byte / 200 (254 = ∞, 255 = NaN) |
//! | 9     | tensor side: 8 + byte below 200, 192 below 250, else byte − 250 (0–5, refused) |
//! | 10–11 | u16 LE offset of the chroma planes in the pixel bytes |
//!
//! Sides are capped at `CAP_SIDE` = 512 px here (the core's `MAX_SIDE` is 8192) so one input stays
//! in the milliseconds and a few MB; the core's own size check is the same code either way.

#![no_main]

use libfuzzer_sys::fuzz_target;
use yannong_core::cancel::Cancel;
use yannong_core::leaf::{
    CheckError, CheckOptions, Frame, LeafChecker, Pixels, Plane, PrepareOptions, Rotation,
    TensorSpec, WORKING_SIDE, YuvRange, frame_to_tensor, prepare,
};

const HEADER: usize = 12;
const CAP_SIDE: u32 = 512;

fuzz_target!(|data: &[u8]| {
    // The whole input as a gallery photo.
    run(
        &Frame::new(Pixels::Encoded(data)),
        0.8,
        &TensorSpec::default(),
        false,
    );
    let Some((head, rest)) = data.split_first_chunk::<HEADER>() else {
        return;
    };
    camera_frame(head, rest);
});

fn camera_frame(h: &[u8; HEADER], rest: &[u8]) {
    let kind = h[0] & 7;
    let range = if h[0] & 8 == 0 {
        YuvRange::Full
    } else {
        YuvRange::Limited
    };
    let rotation =
        [Rotation::R0, Rotation::R90, Rotation::R180, Rotation::R270][usize::from(h[0] >> 4 & 3)];
    let tile = h[0] & 0x40 != 0;
    let side = |lo: u8, hi: u8| u32::from(u16::from_le_bytes([lo, hi])) % (CAP_SIDE + 1);
    let (width, height) = (side(h[1], h[2]), side(h[3], h[4]));
    let (w, hh) = (width as usize, height as usize);
    let pad = |b: u8, natural: usize| natural.saturating_add_signed(isize::from(b as i8));
    let (u_stride, v_stride) = (usize::from(h[7] & 3), usize::from(h[7] >> 2 & 3));
    let roi = match h[8] {
        255 => f32::NAN,
        254 => f32::INFINITY,
        b => f32::from(b) / 200.0,
    };
    let spec = TensorSpec {
        side: match h[9] {
            b @ 0..200 => 8 + u32::from(b),
            200..250 => 192,
            b => u32::from(b - 250),
        },
        ..TensorSpec::default()
    };
    let offset = usize::from(u16::from_le_bytes([h[10], h[11]]));

    // Strides and the bytes the frame needs, before tiling.
    let (y_stride, c_stride, needed) = match kind {
        0 => (w, w, w * hh * 3 / 2),
        1 | 2 => {
            let y_stride = pad(h[5], w);
            let c_stride = pad(h[6], w);
            let chroma = c_stride * hh.div_ceil(2) + 2;
            (y_stride, c_stride, (y_stride * hh).max(offset + chroma))
        }
        _ => {
            let stride = pad(h[5], 4 * w);
            (stride, 0, stride * hh)
        }
    };
    let owned;
    let bytes = if tile && !rest.is_empty() {
        owned = rest
            .iter()
            .copied()
            .cycle()
            .take(needed.max(rest.len()))
            .collect::<Vec<u8>>();
        &owned[..]
    } else {
        rest
    };
    let at = |from: usize| bytes.get(from..).unwrap_or_default();

    let pixels = match kind {
        0 => Pixels::Nv21 {
            width,
            height,
            data: bytes,
            range,
        },
        1 => Pixels::Yuv420 {
            width,
            height,
            y: Plane {
                data: bytes,
                row_stride: y_stride,
                pixel_stride: 1,
            },
            u: Plane {
                data: at(offset),
                row_stride: c_stride,
                pixel_stride: u_stride,
            },
            v: Plane {
                data: at(offset + usize::from(v_stride == 2)),
                row_stride: c_stride,
                pixel_stride: v_stride,
            },
            range,
        },
        2 => Pixels::Nv12 {
            width,
            height,
            y: bytes,
            y_bytes_per_row: y_stride,
            uv: at(offset),
            uv_bytes_per_row: c_stride,
            range,
        },
        3 => Pixels::Bgra {
            width,
            height,
            bytes_per_row: y_stride,
            data: bytes,
        },
        _ => Pixels::Rgba {
            width,
            height,
            bytes_per_row: y_stride,
            data: bytes,
        },
    };
    run(
        &Frame::new(pixels).rotated(rotation),
        roi,
        &spec,
        h[0] & 0x80 != 0,
    );
}

/// `prepare` (or, when `full`, the whole `LeafChecker::check` without a model: it prepares the
/// frame again and adds the answer and the thumbnail; the gate's per-pixel loops under
/// coverage instrumentation are most of an input's time, so only inputs that ask for it) and
/// `frame_to_tensor`.
fn run(frame: &Frame<'_>, roi: f32, spec: &TensorSpec, full: bool) {
    let opts = PrepareOptions {
        roi_fraction: roi,
        ..PrepareOptions::default()
    };
    let mut out = vec![0f32; spec.len()];
    let tensor = frame_to_tensor(frame, roi, spec, &mut out);
    if let Err(e) = &tensor {
        let _ = e.to_string();
    }
    let prepared = if full {
        let check = CheckOptions {
            prepare: opts,
            ..CheckOptions::default()
        };
        match LeafChecker::default().check(frame, &check, &Cancel::new(false)) {
            Ok(answer) => {
                assert!(!answer.thumbnail.is_empty(), "a check without a thumbnail");
                true
            }
            Err(CheckError::Frame(e)) => {
                let _ = e.to_string();
                false
            }
            Err(e) => panic!("a check without a model failed: {e}"),
        }
    } else {
        match prepare(frame, &opts) {
            Ok(prepared) => {
                assert_eq!(
                    (prepared.image.width(), prepared.image.height()),
                    (WORKING_SIDE, WORKING_SIDE),
                    "the working image is a square of WORKING_SIDE"
                );
                if spec.side == 192 {
                    let mut again = vec![0f32; spec.len()];
                    prepared
                        .write_tensor(spec, &mut again)
                        .expect("the working image converts to a tensor");
                }
                true
            }
            Err(e) => {
                let _ = e.to_string();
                false
            }
        }
    };
    if prepared && spec.side == 192 {
        // The same frame and ROI prepared, so it converts to the model's tensor as well.
        assert!(tensor.is_ok(), "prepared but no tensor: {tensor:?}");
        assert!(out.iter().all(|v| v.is_finite()), "tensor not finite");
    }
}
