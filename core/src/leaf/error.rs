//! Errors of the leaf check. Every malformed frame or photo ends here, never in a panic.

use thiserror::Error;

/// The largest side, in pixels, the leaf check accepts from a camera frame or a photo. Phone
/// cameras top out around 8000 px; anything larger is a bug or hostile input, and refusing it
/// bounds the memory a single check can take.
pub const MAX_SIDE: u32 = 8192;

/// Why a frame or photo could not be turned into a working image.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum LeafError {
    #[error("frame has zero width or height ({width}x{height})")]
    ZeroSize { width: u32, height: u32 },
    #[error("frame is {width}x{height}, larger than the {max} px allowed per side")]
    TooLarge { width: u32, height: u32, max: u32 },
    #[error("4:2:0 frame must have even width and height, got {width}x{height}")]
    OddSize { width: u32, height: u32 },
    #[error("{plane} plane: row stride {row_stride} is shorter than a row of {row_bytes} bytes")]
    StrideTooSmall {
        plane: &'static str,
        row_stride: usize,
        row_bytes: usize,
    },
    #[error("{plane} plane: pixel stride {pixel_stride} is not supported (only 1 or 2)")]
    PixelStride {
        plane: &'static str,
        pixel_stride: usize,
    },
    #[error("{plane} plane holds {len} bytes, needs at least {needed}")]
    PlaneTooShort {
        plane: &'static str,
        len: usize,
        needed: usize,
    },
    #[error("unsupported photo format (only JPEG and PNG)")]
    UnsupportedFormat,
    #[error("photo could not be decoded: {0}")]
    Decode(String),
    #[error("invalid option {name}: {reason}")]
    InvalidOption { name: &'static str, reason: String },
    #[error("tensor buffer holds {len} floats, needs {needed}")]
    TensorBuffer { len: usize, needed: usize },
    #[error("resize failed: {0}")]
    Resize(String),
}
