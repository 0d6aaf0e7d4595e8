//! What the phone hands over: camera frames as borrowed planes (no copy on the Kotlin/Swift
//! side) or an encoded gallery photo, plus how the sensor is rotated.

use super::error::{LeafError, MAX_SIDE};

/// One image plane as Android's `Image.Plane` describes it.
#[derive(Debug, Clone, Copy)]
pub struct Plane<'a> {
    pub data: &'a [u8],
    /// Bytes from the start of one row to the start of the next (≥ the row's bytes).
    pub row_stride: usize,
    /// Bytes from one sample to the next in a row: 1 = planar, 2 = U and V interleaved
    /// (the U and V planes then alias the same memory, offset by one byte).
    pub pixel_stride: usize,
}

/// How the 8-bit YUV values map to RGB. Both use the BT.601 matrix.
///
/// Android camera YUV (`YUV_420_888` from Camera2/CameraX, NV21 from the old API) is JFIF, i.e.
/// BT.601 *full* range: the camera HAL produces it for the JPEG encoder, and that is the default.
/// iOS says it in the pixel format: `kCVPixelFormatType_420YpCbCr8BiPlanarFullRange` ('420f') is
/// full, `…VideoRange` ('420v') is limited (Y 16–235, CbCr 16–240).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum YuvRange {
    #[default]
    Full,
    Limited,
}

/// Clockwise rotation that turns the frame upright, as the platform reports it
/// (Android `ImageInfo.rotationDegrees`; on iOS derived from the connection's orientation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rotation {
    #[default]
    R0,
    R90,
    R180,
    R270,
}

impl Rotation {
    /// Accepts any multiple of 90, negative or above 360 (platforms differ in how they count).
    pub fn from_degrees(degrees: i32) -> Result<Rotation, LeafError> {
        match degrees.rem_euclid(360) {
            0 => Ok(Rotation::R0),
            90 => Ok(Rotation::R90),
            180 => Ok(Rotation::R180),
            270 => Ok(Rotation::R270),
            _ => Err(LeafError::InvalidOption {
                name: "rotation",
                reason: format!("{degrees}° is not a multiple of 90"),
            }),
        }
    }
}

/// The pixels of one frame, borrowed from the platform's buffers.
#[derive(Debug, Clone, Copy)]
pub enum Pixels<'a> {
    /// Android NV21 (old camera API, tightly packed): Y plane, then interleaved V/U at half size.
    Nv21 {
        width: u32,
        height: u32,
        data: &'a [u8],
        range: YuvRange,
    },
    /// Android `YUV_420_888`: three planes, each with its own row and pixel stride.
    Yuv420 {
        width: u32,
        height: u32,
        y: Plane<'a>,
        u: Plane<'a>,
        v: Plane<'a>,
        range: YuvRange,
    },
    /// iOS bi-planar 4:2:0 (`420f`/`420v`): a Y plane and an interleaved U/V (Cb/Cr) plane,
    /// each with its own bytes per row.
    Nv12 {
        width: u32,
        height: u32,
        y: &'a [u8],
        y_bytes_per_row: usize,
        uv: &'a [u8],
        uv_bytes_per_row: usize,
        range: YuvRange,
    },
    /// iOS `kCVPixelFormatType_32BGRA`; alpha is ignored.
    Bgra {
        width: u32,
        height: u32,
        bytes_per_row: usize,
        data: &'a [u8],
    },
    /// RGBA (e.g. an Android `Bitmap` in ARGB_8888, which is RGBA in memory); alpha is ignored.
    Rgba {
        width: u32,
        height: u32,
        bytes_per_row: usize,
        data: &'a [u8],
    },
    /// A JPEG or PNG photo from the gallery; its EXIF orientation is honoured.
    Encoded(&'a [u8]),
}

/// A frame and the rotation that makes it upright.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub pixels: Pixels<'a>,
    pub rotation: Rotation,
}

impl<'a> Frame<'a> {
    pub fn new(pixels: Pixels<'a>) -> Frame<'a> {
        Frame {
            pixels,
            rotation: Rotation::R0,
        }
    }

    pub fn rotated(self, rotation: Rotation) -> Frame<'a> {
        Frame { rotation, ..self }
    }
}

/// A checked, strided grid of samples: `elem` bytes apart in a row, `row_stride` bytes between
/// rows; `take` bytes of each element are used (1 for a chroma sample in an interleaved plane).
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    pub data: &'a [u8],
    pub width: u32,
    pub height: u32,
    pub row_stride: usize,
    pub elem: usize,
    pub take: usize,
}

impl<'a> View<'a> {
    /// Checks that every sample the view addresses lies inside `data`.
    pub fn new(
        plane: &'static str,
        data: &'a [u8],
        (width, height): (u32, u32),
        row_stride: usize,
        elem: usize,
        take: usize,
    ) -> Result<View<'a>, LeafError> {
        let row_bytes = (width as usize - 1) * elem + take;
        if row_stride < row_bytes {
            return Err(LeafError::StrideTooSmall {
                plane,
                row_stride,
                row_bytes,
            });
        }
        // The last row need not be padded to the full stride (Android often leaves it short).
        let needed = row_stride
            .checked_mul(height as usize - 1)
            .and_then(|n| n.checked_add(row_bytes))
            .unwrap_or(usize::MAX);
        if data.len() < needed {
            return Err(LeafError::PlaneTooShort {
                plane,
                len: data.len(),
                needed,
            });
        }
        Ok(View {
            data,
            width,
            height,
            row_stride,
            elem,
            take,
        })
    }
}

/// A validated camera frame, reduced to the two shapes the converter knows.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source<'a> {
    Yuv {
        y: View<'a>,
        u: View<'a>,
        v: View<'a>,
        range: YuvRange,
    },
    /// Four bytes per pixel; `order` gives the byte index of R, G and B.
    Rgbx { view: View<'a>, order: [usize; 3] },
}

pub(crate) fn check_size(width: u32, height: u32) -> Result<(), LeafError> {
    if width == 0 || height == 0 {
        return Err(LeafError::ZeroSize { width, height });
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(LeafError::TooLarge {
            width,
            height,
            max: MAX_SIDE,
        });
    }
    Ok(())
}

fn check_even(width: u32, height: u32) -> Result<(), LeafError> {
    check_size(width, height)?;
    if !width.is_multiple_of(2) || !height.is_multiple_of(2) {
        return Err(LeafError::OddSize { width, height });
    }
    Ok(())
}

fn chroma<'a>(name: &'static str, p: &Plane<'a>, size: (u32, u32)) -> Result<View<'a>, LeafError> {
    if p.pixel_stride != 1 && p.pixel_stride != 2 {
        return Err(LeafError::PixelStride {
            plane: name,
            pixel_stride: p.pixel_stride,
        });
    }
    View::new(name, p.data, size, p.row_stride, p.pixel_stride, 1)
}

/// Validates a camera frame; `None` for an encoded photo, which the decoder checks.
pub(crate) fn source<'a>(pixels: &Pixels<'a>) -> Result<Option<Source<'a>>, LeafError> {
    let src = match *pixels {
        Pixels::Nv21 {
            width,
            height,
            data,
            range,
        } => {
            check_even(width, height)?;
            let (w, h) = (width as usize, height as usize);
            let needed = w * h * 3 / 2;
            if data.len() < needed {
                return Err(LeafError::PlaneTooShort {
                    plane: "nv21",
                    len: data.len(),
                    needed,
                });
            }
            let (luma, vu) = data.split_at(w * h);
            let half = (width / 2, height / 2);
            Source::Yuv {
                y: View::new("y", luma, (width, height), w, 1, 1)?,
                v: View::new("vu", vu, half, w, 2, 1)?,
                u: View::new("vu", &vu[1..], half, w, 2, 1)?,
                range,
            }
        }
        Pixels::Yuv420 {
            width,
            height,
            y,
            u,
            v,
            range,
        } => {
            check_even(width, height)?;
            if y.pixel_stride != 1 {
                return Err(LeafError::PixelStride {
                    plane: "y",
                    pixel_stride: y.pixel_stride,
                });
            }
            let half = (width / 2, height / 2);
            Source::Yuv {
                y: View::new("y", y.data, (width, height), y.row_stride, 1, 1)?,
                u: chroma("u", &u, half)?,
                v: chroma("v", &v, half)?,
                range,
            }
        }
        Pixels::Nv12 {
            width,
            height,
            y,
            y_bytes_per_row,
            uv,
            uv_bytes_per_row,
            range,
        } => {
            check_even(width, height)?;
            let half = (width / 2, height / 2);
            let u = View::new("uv", uv, half, uv_bytes_per_row, 2, 1)?;
            Source::Yuv {
                y: View::new("y", y, (width, height), y_bytes_per_row, 1, 1)?,
                u,
                v: View::new(
                    "uv",
                    uv.get(1..).unwrap_or_default(),
                    half,
                    uv_bytes_per_row,
                    2,
                    1,
                )?,
                range,
            }
        }
        Pixels::Bgra {
            width,
            height,
            bytes_per_row,
            data,
        } => {
            check_size(width, height)?;
            Source::Rgbx {
                view: View::new("bgra", data, (width, height), bytes_per_row, 4, 4)?,
                order: [2, 1, 0],
            }
        }
        Pixels::Rgba {
            width,
            height,
            bytes_per_row,
            data,
        } => {
            check_size(width, height)?;
            Source::Rgbx {
                view: View::new("rgba", data, (width, height), bytes_per_row, 4, 4)?,
                order: [0, 1, 2],
            }
        }
        Pixels::Encoded(_) => return Ok(None),
    };
    Ok(Some(src))
}
