//! Downscaling a region of a strided plane with `fast_image_resize`, reading the platform's
//! buffer in place whenever that is safe.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::pixels::{U8, U8x2, U8x3, U8x4};
use fast_image_resize::{
    FilterType, IntoImageView, IntoImageViewMut, PixelTrait, PixelType, ResizeAlg, ResizeOptions,
    Resizer,
};

use super::error::LeafError;
use super::frame::View;

/// Hamming costs the same as bilinear but keeps edges sharper when shrinking, which matters
/// because the blur check runs on the result.
const ALG: ResizeAlg = ResizeAlg::Convolution(FilterType::Hamming);
/// Hamming's support radius in source pixels at scale 1.
const SUPPORT: f64 = 1.0;

/// A rectangle in the view's sample coordinates; may be fractional (chroma of an odd offset).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn scaled(self, f: f64) -> Rect {
        Rect {
            x: self.x * f,
            y: self.y * f,
            w: self.w * f,
            h: self.h * f,
        }
    }
}

fn pixel_type(bytes: usize) -> Option<PixelType> {
    match bytes {
        1 => Some(PixelType::U8),
        2 => Some(PixelType::U8x2),
        3 => Some(PixelType::U8x3),
        4 => Some(PixelType::U8x4),
        _ => None,
    }
}

fn resize_err(e: impl std::fmt::Display) -> LeafError {
    LeafError::Resize(e.to_string())
}

/// Resizes `rect` of `view` to `out_w`×`out_h`, returning `view.take` bytes per output pixel.
///
/// The resizer has no notion of row stride, so the plane is handed over as an image as wide as
/// the stride (padding bytes become extra columns) and the region is selected with a crop box:
/// no copy at all. The filter may read a few samples beyond the crop box; that is real picture
/// except at the right edge of a padded plane or past a short last row, and only then is the
/// region copied out first (a copy of the region, never of the whole frame).
pub(crate) fn resize_view(
    resizer: &mut Resizer,
    view: &View<'_>,
    rect: Rect,
    out_w: u32,
    out_h: u32,
) -> Result<Vec<u8>, LeafError> {
    let out_pt = pixel_type(view.take).ok_or_else(|| resize_err("unsupported sample size"))?;
    let options = ResizeOptions::new().resize_alg(ALG).use_alpha(false);
    let in_place = pixel_type(view.elem).filter(|_| view.row_stride.is_multiple_of(view.elem));
    let scale = (rect.w / f64::from(out_w))
        .max(rect.h / f64::from(out_h))
        .max(1.0);
    let margin = (SUPPORT * scale).ceil() + 2.0;
    let full_rows = (view.data.len() / view.row_stride).min(view.height as usize);
    let cols = view.row_stride / view.elem;
    let padded = cols > view.width as usize;
    let right_safe = !padded || rect.x + rect.w + margin <= f64::from(view.width);
    let rows_safe =
        full_rows == view.height as usize || rect.y + rect.h + margin <= full_rows as f64;

    if let Some(pt) = in_place.filter(|_| right_safe && rows_safe && full_rows > 0) {
        let (cols, rows) = (cols as u32, full_rows as u32);
        let src = ImageRef::new(cols, rows, &view.data[..full_rows * view.row_stride], pt)
            .map_err(resize_err)?;
        let crop = options.crop(rect.x, rect.y, rect.w, rect.h);
        let dst = resize(resizer, &src, (out_w, out_h), &crop)?;
        return Ok(keep_first(dst.into_vec(), view.elem, view.take));
    }

    // Copy just the region (rounded out to whole samples), dropping interleaved bytes.
    let x0 = rect.x.floor().max(0.0) as usize;
    let y0 = rect.y.floor().max(0.0) as usize;
    let x1 = ((rect.x + rect.w).ceil() as usize).clamp(x0 + 1, view.width as usize);
    let y1 = ((rect.y + rect.h).ceil() as usize).clamp(y0 + 1, view.height as usize);
    let (cw, ch) = (x1 - x0, y1 - y0);
    let mut region = Vec::with_capacity(cw * ch * view.take);
    for row in y0..y1 {
        let start = row * view.row_stride + x0 * view.elem;
        let line = &view.data[start..start + (cw - 1) * view.elem + view.take];
        if view.elem == view.take {
            region.extend_from_slice(line);
        } else {
            region.extend(line.chunks(view.elem).flat_map(|c| &c[..view.take]));
        }
    }
    let src = ImageRef::new(cw as u32, ch as u32, &region, out_pt).map_err(resize_err)?;
    let crop = options.crop(rect.x - x0 as f64, rect.y - y0 as f64, rect.w, rect.h);
    Ok(resize(resizer, &src, (out_w, out_h), &crop)?.into_vec())
}

/// `src` resized to `width`×`height`, for the byte pixel types only. `Resizer::resize` matches
/// on every pixel type the crate has (16-bit, float, …), which links all their kernels: 1.3 MB
/// of the arm64 library that the leaf check never runs (docs/size.md).
fn resize(
    resizer: &mut Resizer,
    src: &ImageRef<'_>,
    (width, height): (u32, u32),
    options: &ResizeOptions,
) -> Result<Image<'static>, LeafError> {
    fn typed<P: PixelTrait>(
        resizer: &mut Resizer,
        src: &ImageRef<'_>,
        dst: &mut Image<'_>,
        options: &ResizeOptions,
    ) -> Result<(), LeafError> {
        // Both are of type P, which the caller matched.
        let (Some(src), Some(mut dst)) = (src.image_view::<P>(), dst.image_view_mut::<P>()) else {
            return Err(resize_err("pixel type mismatch"));
        };
        resizer
            .resize_typed(&src, &mut dst, options)
            .map_err(resize_err)
    }
    let mut dst = Image::new(width, height, src.pixel_type());
    match src.pixel_type() {
        PixelType::U8 => typed::<U8>(resizer, src, &mut dst, options),
        PixelType::U8x2 => typed::<U8x2>(resizer, src, &mut dst, options),
        PixelType::U8x3 => typed::<U8x3>(resizer, src, &mut dst, options),
        PixelType::U8x4 => typed::<U8x4>(resizer, src, &mut dst, options),
        _ => Err(resize_err("unsupported sample size")),
    }?;
    Ok(dst)
}

/// Keeps the first `take` bytes of every `elem`-byte pixel.
fn keep_first(buf: Vec<u8>, elem: usize, take: usize) -> Vec<u8> {
    if elem == take {
        return buf;
    }
    buf.chunks_exact(elem)
        .flat_map(|c| c[..take].iter().copied())
        .collect()
}

/// Resizes a whole tightly packed image (RGB8 from a decoded photo) cropped to `rect`.
pub(crate) fn resize_packed(
    resizer: &mut Resizer,
    data: &[u8],
    (width, height): (u32, u32),
    bytes_per_pixel: usize,
    rect: Rect,
    (out_w, out_h): (u32, u32),
) -> Result<Vec<u8>, LeafError> {
    let row_stride = width as usize * bytes_per_pixel;
    let view = View::new(
        "rgb",
        data,
        (width, height),
        row_stride,
        bytes_per_pixel,
        bytes_per_pixel,
    )?;
    resize_view(resizer, &view, rect, out_w, out_h)
}
