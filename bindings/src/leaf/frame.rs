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
        u: Vec<u8>,
        v: Vec<u8>,
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
                u,
                v,
                y_row_stride,
                uv_row_stride,
                uv_pixel_stride,
            } => {
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
            u: u.to_vec(),
            v: v.to_vec(),
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
