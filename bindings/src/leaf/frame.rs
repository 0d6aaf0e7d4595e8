//! Camera frames and photos, copied out of the platform's buffers once.

use super::*;

/// One camera frame or photo, copied out of the platform's buffers once (the only copy), so
/// the camera can reuse them at once. Checked as often as wanted; free it (`close`/`use`) when
/// done, a full-resolution frame is megabytes.
#[derive(Debug, uniffi::Object)]
pub struct LeafFrame {
    pixels: OwnedPixels,
    rotation: Rotation,
}

#[derive(Debug)]
enum OwnedPixels {
    Nv21 {
        width: u32,
        height: u32,
        data: Vec<u8>,
    },
    Yuv420 {
        width: u32,
        height: u32,
        y: Vec<u8>,
        chroma: Chroma,
        y_row_stride: usize,
        uv_row_stride: usize,
        uv_pixel_stride: usize,
    },
    Nv12 {
        width: u32,
        height: u32,
        y: Vec<u8>,
        uv: Vec<u8>,
        y_bytes_per_row: usize,
        uv_bytes_per_row: usize,
        range: YuvRange,
    },
    Bgra {
        width: u32,
        height: u32,
        bytes_per_row: usize,
        data: Vec<u8>,
    },
    Rgba {
        width: u32,
        height: u32,
        bytes_per_row: usize,
        data: Vec<u8>,
    },
    Encoded(Vec<u8>),
}

/// The U and V planes of a `YUV_420_888` frame.
#[derive(Debug)]
enum Chroma {
    Planes {
        u: Vec<u8>,
        v: Vec<u8>,
    },
    /// One interleaved block (CameraX's usual VU layout handed over as two buffers one byte
    /// apart): half the copying, and the core resizes both in one pass.
    Interleaved {
        block: Vec<u8>,
        u_first: bool,
    },
}

impl Chroma {
    fn new(u: &[u8], v: &[u8], pixel_stride: usize) -> Chroma {
        let pair = if pixel_stride == 2 {
            joined(v, u)
                .map(|block| (block, false))
                .or_else(|| joined(u, v).map(|block| (block, true)))
        } else {
            None
        };
        match pair {
            Some((block, u_first)) => Chroma::Interleaved { block, u_first },
            None => Chroma::Planes {
                u: u.to_vec(),
                v: v.to_vec(),
            },
        }
    }

    /// (U, V) as the core reads them. The first plane keeps the whole block (one byte more
    /// than it needs) so the core sees that the pair covers every sample of both.
    fn planes(&self) -> (&[u8], &[u8]) {
        match self {
            Chroma::Planes { u, v } => (u, v),
            Chroma::Interleaved { block, u_first } => {
                let (first, second) = (&block[..], &block[1..]);
                if *u_first {
                    (first, second)
                } else {
                    (second, first)
                }
            }
        }
    }
}

/// `first` with `second`'s last byte appended, when `second` holds the same bytes as `first`
/// shifted by one (two views of one interleaved block) and both are equally long, as Android's
/// planes are: the block then holds every byte of both.
fn joined(first: &[u8], second: &[u8]) -> Option<Vec<u8>> {
    let n = first.len();
    let same = n > 1 && second.len() == n && first[1..] == second[..n - 1];
    same.then(|| {
        let mut block = Vec::with_capacity(n + 1);
        block.extend_from_slice(first);
        block.push(second[n - 1]);
        block
    })
}

impl LeafFrame {
    pub(super) fn frame(&self) -> Frame<'_> {
        let pixels = match &self.pixels {
            OwnedPixels::Nv21 {
                width,
                height,
                data,
            } => Pixels::Nv21 {
                width: *width,
                height: *height,
                data,
                range: YuvRange::Full,
            },
            OwnedPixels::Yuv420 {
                width,
                height,
                y,
                chroma,
                y_row_stride,
                uv_row_stride,
                uv_pixel_stride,
            } => {
                let (u, v) = chroma.planes();
                let chroma = |data| Plane {
                    data,
                    row_stride: *uv_row_stride,
                    pixel_stride: *uv_pixel_stride,
                };
                Pixels::Yuv420 {
                    width: *width,
                    height: *height,
                    y: Plane {
                        data: y,
                        row_stride: *y_row_stride,
                        pixel_stride: 1,
                    },
                    u: chroma(u),
                    v: chroma(v),
                    range: YuvRange::Full,
                }
            }
            OwnedPixels::Nv12 {
                width,
                height,
                y,
                uv,
                y_bytes_per_row,
                uv_bytes_per_row,
                range,
            } => Pixels::Nv12 {
                width: *width,
                height: *height,
                y,
                y_bytes_per_row: *y_bytes_per_row,
                uv,
                uv_bytes_per_row: *uv_bytes_per_row,
                range: *range,
            },
            OwnedPixels::Bgra {
                width,
                height,
                bytes_per_row,
                data,
            } => Pixels::Bgra {
                width: *width,
                height: *height,
                bytes_per_row: *bytes_per_row,
                data,
            },
            OwnedPixels::Rgba {
                width,
                height,
                bytes_per_row,
                data,
            } => Pixels::Rgba {
                width: *width,
                height: *height,
                bytes_per_row: *bytes_per_row,
                data,
            },
            OwnedPixels::Encoded(data) => Pixels::Encoded(data),
        };
        Frame::new(pixels).rotated(self.rotation)
    }

    fn new(pixels: OwnedPixels, rotation_degrees: i32) -> Result<Arc<LeafFrame>, YannongError> {
        let rotation = Rotation::from_degrees(rotation_degrees).map_err(|_| {
            invalid(
                "rotation_degrees",
                format!("画面旋转角度必须是 90 的倍数，收到 {rotation_degrees}"),
                format!("rotation must be a multiple of 90°, got {rotation_degrees}"),
            )
        })?;
        Ok(Arc::new(LeafFrame { pixels, rotation }))
    }
}

/// Frame geometry arrives as the platforms' signed ints; a negative one is the caller's bug.
pub(super) fn size(field: &'static str, value: i32) -> Result<u32, YannongError> {
    u32::try_from(value).map_err(|_| {
        invalid(
            field,
            format!("{field} 不能为负数：{value}"),
            format!("{field} must not be negative, got {value}"),
        )
    })
}

pub(super) fn stride(field: &'static str, value: i32) -> Result<usize, YannongError> {
    size(field, value).map(|v| v as usize)
}

/// Caller mistakes found before the core runs carry both languages: a frame has no locale.
pub(super) fn invalid(field: &str, zh: String, en: String) -> YannongError {
    YannongError::InvalidInput {
        detail: format!("{zh}（{en}）"),
        field: Some(field.to_owned()),
        step: None,
    }
}

#[uniffi::export]
impl LeafFrame {
    /// An Android NV21 frame (old camera API; tightly packed Y plane, then interleaved V/U),
    /// full-range BT.601. `rotation_degrees` turns it upright (any multiple of 90).
    #[uniffi::constructor]
    pub fn nv21(
        data: &[u8],
        width: i32,
        height: i32,
        rotation_degrees: i32,
    ) -> Result<Arc<LeafFrame>, YannongError> {
        let pixels = OwnedPixels::Nv21 {
            width: size("width", width)?,
            height: size("height", height)?,
            data: data.to_vec(),
        };
        LeafFrame::new(pixels, rotation_degrees)
    }

    /// An Android `YUV_420_888` frame (Camera2 / CameraX `ImageProxy.planes`): the three
    /// planes' buffers as they are, the Y plane's row stride and the U/V planes' (shared) row
    /// and pixel strides; full-range BT.601.
    #[uniffi::constructor]
    #[allow(clippy::too_many_arguments)]
    pub fn yuv420(
        y: &[u8],
        u: &[u8],
        v: &[u8],
        width: i32,
        height: i32,
        y_row_stride: i32,
        uv_row_stride: i32,
        uv_pixel_stride: i32,
        rotation_degrees: i32,
    ) -> Result<Arc<LeafFrame>, YannongError> {
        let pixels = OwnedPixels::Yuv420 {
            width: size("width", width)?,
            height: size("height", height)?,
            y_row_stride: stride("y_row_stride", y_row_stride)?,
            uv_row_stride: stride("uv_row_stride", uv_row_stride)?,
            uv_pixel_stride: stride("uv_pixel_stride", uv_pixel_stride)?,
            y: y.to_vec(),
            chroma: Chroma::new(u, v, stride("uv_pixel_stride", uv_pixel_stride)?),
        };
        LeafFrame::new(pixels, rotation_degrees)
    }

    /// An iOS bi-planar 4:2:0 pixel buffer: `full_range` for
    /// `kCVPixelFormatType_420YpCbCr8BiPlanarFullRange` ('420f'), false for `…VideoRange`.
    #[uniffi::constructor]
    #[allow(clippy::too_many_arguments)]
    pub fn nv12(
        y: &[u8],
        uv: &[u8],
        width: i32,
        height: i32,
        y_bytes_per_row: i32,
        uv_bytes_per_row: i32,
        full_range: bool,
        rotation_degrees: i32,
    ) -> Result<Arc<LeafFrame>, YannongError> {
        let pixels = OwnedPixels::Nv12 {
            width: size("width", width)?,
            height: size("height", height)?,
            y_bytes_per_row: stride("y_bytes_per_row", y_bytes_per_row)?,
            uv_bytes_per_row: stride("uv_bytes_per_row", uv_bytes_per_row)?,
            range: if full_range {
                YuvRange::Full
            } else {
                YuvRange::Limited
            },
            y: y.to_vec(),
            uv: uv.to_vec(),
        };
        LeafFrame::new(pixels, rotation_degrees)
    }

    /// An iOS `kCVPixelFormatType_32BGRA` buffer; alpha is ignored.
    #[uniffi::constructor]
    pub fn bgra(
        data: &[u8],
        width: i32,
        height: i32,
        bytes_per_row: i32,
        rotation_degrees: i32,
    ) -> Result<Arc<LeafFrame>, YannongError> {
        let pixels = OwnedPixels::Bgra {
            width: size("width", width)?,
            height: size("height", height)?,
            bytes_per_row: stride("bytes_per_row", bytes_per_row)?,
            data: data.to_vec(),
        };
        LeafFrame::new(pixels, rotation_degrees)
    }

    /// RGBA pixels (e.g. an Android `Bitmap` in `ARGB_8888`, which is RGBA in memory); alpha
    /// is ignored.
    #[uniffi::constructor]
    pub fn rgba(
        data: &[u8],
        width: i32,
        height: i32,
        bytes_per_row: i32,
        rotation_degrees: i32,
    ) -> Result<Arc<LeafFrame>, YannongError> {
        let pixels = OwnedPixels::Rgba {
            width: size("width", width)?,
            height: size("height", height)?,
            bytes_per_row: stride("bytes_per_row", bytes_per_row)?,
            data: data.to_vec(),
        };
        LeafFrame::new(pixels, rotation_degrees)
    }

    /// A JPEG or PNG photo (e.g. from the gallery); its EXIF orientation is honoured. Whether
    /// it decodes is found out by the check.
    #[uniffi::constructor]
    pub fn photo(bytes: &[u8]) -> Arc<LeafFrame> {
        Arc::new(LeafFrame {
            pixels: OwnedPixels::Encoded(bytes.to_vec()),
            rotation: Rotation::R0,
        })
    }
}

#[cfg(test)]
mod chroma_tests {
    use super::*;
    use yannong_core::leaf::render;

    /// An 8×4 frame's chroma: 4×2 samples, rows 10 bytes apart, as one VU block; CameraX
    /// hands it over as a V buffer at offset 0 and a U buffer at offset 1, each one byte short
    /// of the block.
    fn vu_block() -> Vec<u8> {
        (0..18u8).map(|i| 40 + i * 9).collect()
    }

    fn frame(u: &[u8], v: &[u8]) -> Arc<LeafFrame> {
        let y: Vec<u8> = (0..8 * 4).map(|i| (i * 7 % 251) as u8).collect();
        LeafFrame::yuv420(&y, u, v, 8, 4, 8, 10, 2, 0).unwrap()
    }

    #[test]
    fn camerax_vu_buffers_are_kept_as_one_block() {
        let block = vu_block();
        let (v, u) = (&block[..17], &block[1..]);
        let joined = frame(u, v);
        let OwnedPixels::Yuv420 { chroma, .. } = &joined.pixels else {
            unreachable!()
        };
        assert!(matches!(chroma, Chroma::Interleaved { u_first: false, .. }));
        let (cu, cv) = chroma.planes();
        assert_eq!((&cu[..17], &cv[..17]), (u, v));
        let (uv_u, uv_v) = (&block[..17], &block[1..]);
        assert!(matches!(
            Chroma::new(uv_u, uv_v, 2),
            Chroma::Interleaved { u_first: true, .. }
        ));

        // Planes that merely look alike, or are planar, are kept apart.
        let mut other = u.to_vec();
        other[4] ^= 1;
        let apart = frame(&other, v);
        let OwnedPixels::Yuv420 { chroma, .. } = &apart.pixels else {
            unreachable!()
        };
        assert!(matches!(chroma, Chroma::Planes { .. }));
        assert!(matches!(Chroma::new(u, v, 1), Chroma::Planes { .. }));

        // Kept as one block or as two copies, the picture is the same.
        let copied = LeafFrame {
            pixels: OwnedPixels::Yuv420 {
                width: 8,
                height: 4,
                y: (0..8 * 4).map(|i| (i * 7 % 251) as u8).collect(),
                chroma: Chroma::Planes {
                    u: u.to_vec(),
                    v: v.to_vec(),
                },
                y_row_stride: 8,
                uv_row_stride: 10,
                uv_pixel_stride: 2,
            },
            rotation: Rotation::R0,
        };
        assert_eq!(
            render(&joined.frame(), 1.0, 16).unwrap(),
            render(&copied.frame(), 1.0, 16).unwrap()
        );
    }
}
