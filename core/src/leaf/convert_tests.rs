//! Frame conversion: every platform layout decodes to the picture it was made from.

use super::*;
use crate::leaf::frame::View;
use crate::leaf::resample::{Rect, resize_view};

const W: u32 = 64;
const H: u32 = 48;

/// A smooth, asymmetric test picture (no two corners alike, gentle enough gradients that 4:2:0
/// chroma subsampling loses little).
fn picture() -> Vec<[u8; 3]> {
    (0..H)
        .flat_map(|y| {
            (0..W).map(move |x| {
                [
                    (30 + 3 * x) as u8,
                    (50 + 3 * y) as u8,
                    (150 + x / 2 - y) as u8,
                ]
            })
        })
        .collect()
}

fn yuv(p: [u8; 3], limited: bool) -> [f32; 3] {
    let [r, g, b] = p.map(f32::from);
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    let cb = -0.168_736 * r - 0.331_264 * g + 0.5 * b;
    let cr = 0.5 * r - 0.418_688 * g - 0.081_312 * b;
    if limited {
        [
            16.0 + y * 219.0 / 255.0,
            128.0 + cb * 224.0 / 255.0,
            128.0 + cr * 224.0 / 255.0,
        ]
    } else {
        [y, 128.0 + cb, 128.0 + cr]
    }
}

/// Y (w×h) and 2×2-averaged U and V (w/2 × h/2), tightly packed.
fn planes(limited: bool) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let pic = picture();
    let (w, h) = (W as usize, H as usize);
    let y = pic
        .iter()
        .map(|&p| yuv(p, limited)[0].round() as u8)
        .collect();
    let (mut u, mut v) = (vec![], vec![]);
    for cy in 0..h / 2 {
        for cx in 0..w / 2 {
            let mut acc = [0f32; 3];
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let s = yuv(pic[(2 * cy + dy) * w + 2 * cx + dx], limited);
                acc = std::array::from_fn(|c| acc[c] + s[c] / 4.0);
            }
            u.push(acc[1].round() as u8);
            v.push(acc[2].round() as u8);
        }
    }
    (y, u, v)
}

/// Lays rows of `row_bytes` into a buffer with `stride` bytes per row; the last row unpadded
/// when `short_last` (as Android often hands it over).
fn strided(rows: &[u8], row_bytes: usize, stride: usize, short_last: bool) -> Vec<u8> {
    let mut out = vec![0xEE; stride * (rows.len() / row_bytes)];
    for (i, row) in rows.chunks(row_bytes).enumerate() {
        out[i * stride..i * stride + row_bytes].copy_from_slice(row);
    }
    if short_last {
        out.truncate(out.len() - (stride - row_bytes));
    }
    out
}

fn interleave(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).flat_map(|(&x, &y)| [x, y]).collect()
}

/// Renders the full-height centre square at 1:1 and compares it with the source picture.
fn assert_matches(frame: &Frame<'_>, tolerance_mean: f32, tolerance_max: u8) {
    let img = render(frame, 1.0, H).unwrap();
    let pic = picture();
    let x0 = (W - H) / 2;
    let (mut sum, mut max) = (0f32, 0u8);
    for y in 0..H {
        for x in 0..H {
            let want = pic[(y * W + x + x0) as usize];
            let got = img.pixel(x, y);
            for c in 0..3 {
                let d = want[c].abs_diff(got[c]);
                sum += f32::from(d);
                max = max.max(d);
            }
        }
    }
    let mean = sum / (H * H * 3) as f32;
    assert!(
        mean <= tolerance_mean && max <= tolerance_max,
        "mean error {mean}, max {max}"
    );
}

#[test]
fn nv21_decodes() {
    let (y, u, v) = planes(false);
    let mut data = y;
    data.extend(interleave(&v, &u));
    let frame = Frame::new(Pixels::Nv21 {
        width: W,
        height: H,
        data: &data,
        range: YuvRange::Full,
    });
    assert_matches(&frame, 1.5, 8);
}

#[test]
fn yuv420_planar_with_padded_rows_decodes() {
    let (y, u, v) = planes(false);
    let (w, cw) = (W as usize, W as usize / 2);
    let (ys, us, vs) = (
        strided(&y, w, w + 16, true),
        strided(&u, cw, cw + 8, false),
        strided(&v, cw, cw + 8, true),
    );
    let frame = Frame::new(Pixels::Yuv420 {
        width: W,
        height: H,
        y: Plane {
            data: &ys,
            row_stride: w + 16,
            pixel_stride: 1,
        },
        u: Plane {
            data: &us,
            row_stride: cw + 8,
            pixel_stride: 1,
        },
        v: Plane {
            data: &vs,
            row_stride: cw + 8,
            pixel_stride: 1,
        },
        range: YuvRange::Full,
    });
    assert_matches(&frame, 1.5, 8);
}

#[test]
fn yuv420_interleaved_chroma_decodes() {
    // The usual Android layout: one VU buffer, V plane at offset 0, U plane at offset 1, both
    // with pixel stride 2, rows padded, the last row short.
    let (y, u, v) = planes(false);
    let w = W as usize;
    let vu = strided(&interleave(&v, &u), w, w + 32, true);
    let ys = strided(&y, w, w + 32, false);
    let frame = Frame::new(Pixels::Yuv420 {
        width: W,
        height: H,
        y: Plane {
            data: &ys,
            row_stride: w + 32,
            pixel_stride: 1,
        },
        u: Plane {
            data: &vu[1..],
            row_stride: w + 32,
            pixel_stride: 2,
        },
        v: Plane {
            data: &vu[..vu.len() - 1],
            row_stride: w + 32,
            pixel_stride: 2,
        },
        range: YuvRange::Full,
    });
    assert_matches(&frame, 1.5, 8);
}

#[test]
fn nv12_limited_range_decodes() {
    let (y, u, v) = planes(true);
    let w = W as usize;
    let ys = strided(&y, w, w + 64, false);
    let uv = strided(&interleave(&u, &v), w, w + 64, false);
    let frame = Frame::new(Pixels::Nv12 {
        width: W,
        height: H,
        y: &ys,
        y_bytes_per_row: w + 64,
        uv: &uv,
        uv_bytes_per_row: w + 64,
        range: YuvRange::Limited,
    });
    assert_matches(&frame, 2.0, 10);
}

#[test]
fn limited_range_read_as_full_is_visibly_wrong() {
    // Guards the range handling itself: the wrong range must not pass the same tolerance.
    let (y, u, v) = planes(true);
    let mut data = y;
    data.extend(interleave(&v, &u));
    let frame = Frame::new(Pixels::Nv21 {
        width: W,
        height: H,
        data: &data,
        range: YuvRange::Full,
    });
    let result = std::panic::catch_unwind(|| assert_matches(&frame, 2.0, 10));
    assert!(result.is_err());
}

fn rgbx(order: [usize; 3], stride: usize) -> Vec<u8> {
    let mut out = vec![0x55; stride * H as usize];
    for (i, p) in picture().iter().enumerate() {
        let (x, y) = (i % W as usize, i / W as usize);
        let px = &mut out[y * stride + x * 4..y * stride + x * 4 + 4];
        px[order[0]] = p[0];
        px[order[1]] = p[1];
        px[order[2]] = p[2];
        px[3] = 0; // alpha must be ignored, not premultiplied
    }
    out
}

#[test]
fn bgra_with_padded_rows_decodes_exactly() {
    let stride = W as usize * 4 + 48;
    let data = rgbx([2, 1, 0], stride);
    let frame = Frame::new(Pixels::Bgra {
        width: W,
        height: H,
        bytes_per_row: stride,
        data: &data,
    });
    assert_matches(&frame, 0.0, 0);
}

#[test]
fn rgba_decodes_exactly() {
    let data = rgbx([0, 1, 2], W as usize * 4);
    let frame = Frame::new(Pixels::Rgba {
        width: W,
        height: H,
        bytes_per_row: W as usize * 4,
        data: &data,
    });
    assert_matches(&frame, 0.0, 0);
}

/// 8×8 RGBA, quadrants red (top left), green (top right), blue (bottom left), white.
fn quadrants() -> Vec<u8> {
    (0..64)
        .flat_map(|i| match (i % 8 < 4, i / 8 < 4) {
            (true, true) => [255, 0, 0, 255],
            (false, true) => [0, 255, 0, 255],
            (true, false) => [0, 0, 255, 255],
            (false, false) => [255, 255, 255, 255],
        })
        .collect()
}

#[test]
fn rotation_turns_clockwise() {
    let data = quadrants();
    let frame = Frame::new(Pixels::Rgba {
        width: 8,
        height: 8,
        bytes_per_row: 32,
        data: &data,
    });
    let at = |r: Rotation| {
        let img = render(&frame.rotated(r), 1.0, 8).unwrap();
        [
            img.pixel(1, 1),
            img.pixel(6, 1),
            img.pixel(1, 6),
            img.pixel(6, 6),
        ]
    };
    let (red, green, blue, white) = ([255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]);
    assert_eq!(at(Rotation::R0), [red, green, blue, white]);
    // Clockwise: what was top left is now top right.
    assert_eq!(at(Rotation::R90), [blue, red, white, green]);
    assert_eq!(at(Rotation::R180), [white, blue, green, red]);
    assert_eq!(at(Rotation::R270), [green, white, red, blue]);
    assert_eq!(Rotation::from_degrees(-90).unwrap(), Rotation::R270);
    assert!(Rotation::from_degrees(45).is_err());
}

#[test]
fn roi_takes_the_centre_square() {
    // 32×16: columns 0–7 red, 8–23 green, 24–31 blue. The centre square is all green.
    let data: Vec<u8> = (0..32 * 16)
        .flat_map(|i| match i % 32 {
            0..8 => [255, 0, 0, 255],
            8..24 => [0, 255, 0, 255],
            _ => [0, 0, 255, 255],
        })
        .collect();
    let frame = Frame::new(Pixels::Rgba {
        width: 32,
        height: 16,
        bytes_per_row: 128,
        data: &data,
    });
    for fraction in [1.0, 0.5] {
        let img = render(&frame, fraction, 16).unwrap();
        assert!(
            img.pixels().all(|p| p == [0, 255, 0]),
            "fraction {fraction}"
        );
    }
    let wide = render(&frame.rotated(Rotation::R90), 1.0, 16).unwrap();
    assert!(wide.pixels().all(|p| p == [0, 255, 0]));
    assert!(render(&frame, 0.0, 16).is_err());
    assert!(render(&frame, f32::NAN, 16).is_err());
}

#[test]
fn in_place_and_copied_resizes_agree() {
    // A padded plane resized once away from the right edge (read in place) and once touching
    // it (copied out first): the shared part must match.
    let (w, h, stride) = (40u32, 20u32, 48usize);
    let rows: Vec<u8> = (0..w * h)
        .map(|i| ((i % w) * 4 + (i / w) * 2) as u8)
        .collect();
    let data = strided(&rows, w as usize, stride, false);
    let view = View::new("y", &data, (w, h), stride, 1, 1).unwrap();
    let mut r = fast_image_resize::Resizer::new();
    let full = |x: f64| Rect {
        x,
        y: 0.0,
        w: 20.0,
        h: 20.0,
    };
    let inner = resize_view(&mut r, &view, full(10.0), 20, 20).unwrap();
    let edge = resize_view(&mut r, &view, full(20.0), 20, 20).unwrap();
    for y in 0..20 {
        for x in 0..10 {
            // Columns 20..30 of the plane appear in both results.
            assert_eq!(inner[y * 20 + x + 10], edge[y * 20 + x], "({x},{y})");
        }
    }
    // The padding bytes (0xEE) must never leak into the edge result.
    assert!(edge.iter().all(|&b| b < 0xEE));
}

#[test]
fn malformed_frames_give_typed_errors() {
    let buf = vec![0u8; 64 * 48 * 4];
    let nv21 = |width, height, len: usize| Pixels::Nv21 {
        width,
        height,
        data: &buf[..len],
        range: YuvRange::Full,
    };
    let err = |p: Pixels<'_>| match render(&Frame::new(p), 1.0, 32) {
        Ok(_) => panic!("{p:?} was accepted"),
        Err(e) => e,
    };
    assert!(matches!(err(nv21(0, 48, 100)), LeafError::ZeroSize { .. }));
    assert!(matches!(err(nv21(63, 48, 5000)), LeafError::OddSize { .. }));
    assert!(matches!(
        err(nv21(64, 48, 4607)),
        LeafError::PlaneTooShort { .. }
    ));
    assert!(matches!(
        err(nv21(9000, 48, 100)),
        LeafError::TooLarge { .. }
    ));
    let plane = |row_stride, pixel_stride| Plane {
        data: &buf[..4000],
        row_stride,
        pixel_stride,
    };
    let yuv = |y, u| Pixels::Yuv420 {
        width: 64,
        height: 48,
        y,
        u,
        v: plane(32, 1),
        range: YuvRange::Full,
    };
    assert!(matches!(
        err(yuv(plane(63, 1), plane(32, 1))),
        LeafError::StrideTooSmall { .. }
    ));
    assert!(matches!(
        err(yuv(plane(64, 1), plane(32, 3))),
        LeafError::PixelStride { .. }
    ));
    assert!(matches!(
        err(yuv(plane(64, 1), plane(200, 2))),
        LeafError::PlaneTooShort { .. }
    ));
    let bgra = Pixels::Bgra {
        width: 64,
        height: 48,
        bytes_per_row: 255,
        data: &buf,
    };
    assert!(matches!(err(bgra), LeafError::StrideTooSmall { .. }));
    assert!(matches!(
        err(Pixels::Encoded(b"GIF89a....")),
        LeafError::UnsupportedFormat
    ));
    assert!(matches!(
        err(Pixels::Encoded(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 16])),
        LeafError::Decode(_)
    ));
}

#[test]
fn interleaved_chroma_is_resized_once_with_the_same_result() {
    use crate::leaf::convert::interleaved;
    use crate::leaf::frame::{Source, source};
    let (y, u, v) = planes(false);
    let w = W as usize;
    let mut nv21 = y.clone();
    nv21.extend(interleave(&v, &u));
    let nv21 = Pixels::Nv21 {
        width: W,
        height: H,
        data: &nv21,
        range: YuvRange::Full,
    };
    let uv = interleave(&u, &v);
    let nv12 = Pixels::Nv12 {
        width: W,
        height: H,
        y: &y,
        y_bytes_per_row: w,
        uv: &uv,
        uv_bytes_per_row: w,
        range: YuvRange::Full,
    };
    let plane = |data| Plane {
        data,
        row_stride: w / 2,
        pixel_stride: 1,
    };
    let planar = Pixels::Yuv420 {
        width: W,
        height: H,
        y: Plane {
            data: &y,
            row_stride: w,
            pixel_stride: 1,
        },
        u: plane(&u),
        v: plane(&v),
        range: YuvRange::Full,
    };
    let pairing = |p: &Pixels<'_>| match source(p).unwrap() {
        Some(Source::Yuv { u, v, .. }) => interleaved(&u, &v).map(|(_, u_first)| u_first),
        _ => unreachable!(),
    };
    assert_eq!(pairing(&nv21), Some(false));
    assert_eq!(pairing(&nv12), Some(true));
    assert_eq!(pairing(&planar), None);
    // One two-channel resize must give exactly what two one-channel resizes give.
    for roi in [1.0, 0.7, 0.33] {
        let want = render(&Frame::new(planar), roi, 40).unwrap();
        assert_eq!(
            render(&Frame::new(nv21), roi, 40).unwrap(),
            want,
            "nv21 {roi}"
        );
        assert_eq!(
            render(&Frame::new(nv12), roi, 40).unwrap(),
            want,
            "nv12 {roi}"
        );
    }
}
