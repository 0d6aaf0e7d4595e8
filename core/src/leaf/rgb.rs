//! The small RGB working image every check runs on.

use super::error::LeafError;
use super::frame::Rotation;

/// 8-bit sRGB, three bytes per pixel, rows tightly packed, upright.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbImage {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl RgbImage {
    /// `data` must hold exactly `width × height × 3` bytes.
    pub fn from_raw(width: u32, height: u32, data: Vec<u8>) -> Result<RgbImage, LeafError> {
        super::frame::check_size(width, height)?;
        let needed = width as usize * height as usize * 3;
        if data.len() != needed {
            return Err(LeafError::PlaneTooShort {
                plane: "rgb",
                len: data.len(),
                needed,
            });
        }
        Ok(RgbImage {
            width,
            height,
            data,
        })
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    pub fn data(&self) -> &[u8] {
        &self.data
    }

    pub fn into_raw(self) -> Vec<u8> {
        self.data
    }

    /// The pixel at (`x`, `y`); panics outside the image like slice indexing does.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }

    pub fn pixels(&self) -> impl Iterator<Item = [u8; 3]> + '_ {
        self.data.chunks_exact(3).map(|p| [p[0], p[1], p[2]])
    }

    /// Rotated clockwise by `rotation`. Runs on the small image, after downscaling, where it
    /// costs a few hundred microseconds at most.
    pub fn rotated(self, rotation: Rotation) -> RgbImage {
        let (w, h) = (self.width as usize, self.height as usize);
        let (nw, nh) = match rotation {
            Rotation::R0 => return self,
            Rotation::R180 => (w, h),
            Rotation::R90 | Rotation::R270 => (h, w),
        };
        let mut out = vec![0u8; self.data.len()];
        for y in 0..h {
            for x in 0..w {
                let (nx, ny) = match rotation {
                    Rotation::R90 => (h - 1 - y, x),
                    Rotation::R180 => (w - 1 - x, h - 1 - y),
                    Rotation::R270 | Rotation::R0 => (y, w - 1 - x),
                };
                let (s, d) = ((y * w + x) * 3, (ny * nw + nx) * 3);
                out[d..d + 3].copy_from_slice(&self.data[s..s + 3]);
            }
        }
        RgbImage {
            width: nw as u32,
            height: nh as u32,
            data: out,
        }
    }
}
