//! Frame → small upright RGB image of the centre region.
//!
//! Order of work for YUV frames: crop the region of interest and downscale the Y, U and V planes
//! separately, *then* convert YUV → RGB on the small planes. YUV → RGB is an affine map per
//! pixel and resampling is a weighted average with weights summing to one, so the two commute:
//! the result equals "convert the whole frame, then resize" except where a pixel clips at 0/255,
//! and the conversion then touches ~65 k pixels instead of ~2 M, with no full-size RGB buffer.
//! Chroma is resampled straight from its half-resolution plane to the output size, which also
//! upsamples it properly instead of repeating samples. Rotation runs last, on the small image
//! (the centre square is the same region whichever way the sensor is turned).

use fast_image_resize::Resizer;

use super::decode;
use super::error::LeafError;
use super::frame::{Frame, Source, View, YuvRange, source};
use super::resample::{Rect, resize_view};
use super::rgb::RgbImage;

/// Smallest and largest output side the converter accepts.
const OUT_SIDE: std::ops::RangeInclusive<u32> = 8..=1024;

/// The centred square whose side is `fraction` of the shorter side.
pub(crate) fn centre_square(width: u32, height: u32, fraction: f32) -> Rect {
    let (w, h) = (f64::from(width), f64::from(height));
    let side = (w.min(h) * f64::from(fraction)).max(1.0);
    Rect {
        x: (w - side) / 2.0,
        y: (h - side) / 2.0,
        w: side,
        h: side,
    }
}

pub(crate) fn check_roi(fraction: f32) -> Result<(), LeafError> {
    if fraction.is_finite() && (0.05..=1.0).contains(&fraction) {
        Ok(())
    } else {
        Err(LeafError::InvalidOption {
            name: "roi_fraction",
            reason: format!("{fraction} is outside 0.05–1"),
        })
    }
}

/// The centre square (`roi_fraction` of the shorter side) of `frame`, upright, as a
/// `side`×`side` RGB image.
pub fn render(frame: &Frame<'_>, roi_fraction: f32, side: u32) -> Result<RgbImage, LeafError> {
    check_roi(roi_fraction)?;
    if !OUT_SIDE.contains(&side) {
        return Err(LeafError::InvalidOption {
            name: "side",
            reason: format!("{side} is outside {OUT_SIDE:?}"),
        });
    }
    let mut resizer = Resizer::new();
    let upright = match source(&frame.pixels)? {
        Some(Source::Yuv { y, u, v, range }) => {
            let rect = centre_square(y.width, y.height, roi_fraction);
            let luma = resize_view(&mut resizer, &y, rect, side, side)?;
            let (cb, cr) = resize_chroma(&mut resizer, &u, &v, rect.scaled(0.5), side)?;
            RgbImage::from_raw(side, side, yuv_to_rgb(&luma, &cb, &cr, range))?
        }
        Some(Source::Rgbx { view, order }) => rgbx(&mut resizer, &view, order, roi_fraction, side)?,
        None => match frame.pixels {
            super::frame::Pixels::Encoded(bytes) => {
                decode::render_photo(&mut resizer, bytes, roi_fraction, side)?
            }
            _ => return Err(LeafError::UnsupportedFormat),
        },
    };
    Ok(upright.rotated(frame.rotation))
}

/// Both chroma planes at `side`². When U and V are the two halves of one interleaved buffer
/// (NV21, NV12, usually YUV_420_888) a single two-channel resize does both: the same numbers
/// for a third less resampling work than resizing each plane.
fn resize_chroma(
    resizer: &mut Resizer,
    u: &View<'_>,
    v: &View<'_>,
    rect: Rect,
    side: u32,
) -> Result<(Vec<u8>, Vec<u8>), LeafError> {
    if let Some((pair, u_first)) = interleaved(u, v) {
        let both = resize_view(resizer, &pair, rect, side, side)?;
        let (first, second) = both.chunks_exact(2).map(|p| (p[0], p[1])).unzip();
        return Ok(if u_first {
            (first, second)
        } else {
            (second, first)
        });
    }
    Ok((
        resize_view(resizer, u, rect, side, side)?,
        resize_view(resizer, v, rect, side, side)?,
    ))
}

/// U and V as one view of two-byte samples, and whether U comes first in each pair; `None`
/// unless they share rows and one starts one byte after the other, and the first plane's
/// slice also covers the last sample of the second (Android may cut that byte off).
pub(crate) fn interleaved<'a>(u: &View<'a>, v: &View<'a>) -> Option<(View<'a>, bool)> {
    let alike = u.elem == 2
        && v.elem == 2
        && u.row_stride == v.row_stride
        && (u.width, u.height) == (v.width, v.height);
    if !alike {
        return None;
    }
    let (first, u_first) = if std::ptr::eq(u.data.as_ptr().wrapping_add(1), v.data.as_ptr()) {
        (u, true)
    } else if std::ptr::eq(v.data.as_ptr().wrapping_add(1), u.data.as_ptr()) {
        (v, false)
    } else {
        return None;
    };
    let size = (first.width, first.height);
    let pair = View::new("uv", first.data, size, first.row_stride, 2, 2).ok()?;
    Some((pair, u_first))
}

fn rgbx(
    resizer: &mut Resizer,
    view: &View<'_>,
    order: [usize; 3],
    roi_fraction: f32,
    side: u32,
) -> Result<RgbImage, LeafError> {
    let rect = centre_square(view.width, view.height, roi_fraction);
    let small = resize_view(resizer, view, rect, side, side)?;
    let rgb = small
        .chunks_exact(4)
        .flat_map(|p| [p[order[0]], p[order[1]], p[order[2]]])
        .collect();
    RgbImage::from_raw(side, side, rgb)
}

/// BT.601 YCbCr → sRGB bytes, full (JFIF) or limited (studio) range.
pub(crate) fn yuv_to_rgb(y: &[u8], u: &[u8], v: &[u8], range: YuvRange) -> Vec<u8> {
    // (luma gain, luma offset, Cr→R, Cb→G, Cr→G, Cb→B)
    let (k, off, rv, gu, gv, bu) = match range {
        YuvRange::Full => (1.0, 0.0, 1.402, 0.344_136, 0.714_136, 1.772),
        YuvRange::Limited => (
            255.0 / 219.0,
            16.0,
            1.402 * 255.0 / 224.0,
            0.344_136 * 255.0 / 224.0,
            0.714_136 * 255.0 / 224.0,
            1.772 * 255.0 / 224.0,
        ),
    };
    let mut out = Vec::with_capacity(y.len() * 3);
    for ((&yy, &cb), &cr) in y.iter().zip(u).zip(v) {
        let l = k * (f32::from(yy) - off);
        let (cb, cr) = (f32::from(cb) - 128.0, f32::from(cr) - 128.0);
        out.push(to_u8(l + rv * cr));
        out.push(to_u8(l - gu * cb - gv * cr));
        out.push(to_u8(l + bu * cb));
    }
    out
}

/// Rounds half up after clamping: the same as `round` on this range, but without the libm
/// call `f32::round` compiles to on baseline x86-64, which cost more than the conversion.
fn to_u8(x: f32) -> u8 {
    (x.clamp(0.0, 255.0) + 0.5) as u8
}
