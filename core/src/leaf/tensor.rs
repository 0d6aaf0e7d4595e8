//! The model's input: f32, NCHW (1×3×side×side), `(pixel / 255 − mean) / std` per channel.
//!
//! Tensors are written into a caller-provided slice so the model runner can keep one input
//! buffer for the life of the camera session instead of allocating per frame.

use fast_image_resize::Resizer;

use super::convert::render;
use super::error::LeafError;
use super::frame::Frame;
use super::resample::{Rect, resize_packed};
use super::rgb::RgbImage;

/// Shape and normalisation the model expects; the model manifest supplies them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TensorSpec {
    pub side: u32,
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

impl Default for TensorSpec {
    /// 224×224 with the ImageNet statistics most pretrained backbones use.
    fn default() -> TensorSpec {
        TensorSpec {
            side: 224,
            mean: [0.485, 0.456, 0.406],
            std: [0.229, 0.224, 0.225],
        }
    }
}

impl TensorSpec {
    /// Number of floats in one tensor (3 × side × side).
    pub fn len(&self) -> usize {
        3 * self.side as usize * self.side as usize
    }

    pub fn is_empty(&self) -> bool {
        self.side == 0
    }

    fn check(&self, out: &[f32]) -> Result<(), LeafError> {
        if self.std.iter().any(|s| !s.is_finite() || *s == 0.0)
            || self.mean.iter().any(|m| !m.is_finite())
        {
            return Err(LeafError::InvalidOption {
                name: "tensor mean/std",
                reason: "must be finite, std non-zero".into(),
            });
        }
        if out.len() != self.len() {
            return Err(LeafError::TensorBuffer {
                len: out.len(),
                needed: self.len(),
            });
        }
        Ok(())
    }
}

/// Writes `img` (resized to `spec.side` if it differs) into `out` as NCHW.
pub fn write_tensor(img: &RgbImage, spec: &TensorSpec, out: &mut [f32]) -> Result<(), LeafError> {
    spec.check(out)?;
    if img.width() == spec.side && img.height() == spec.side {
        normalise(img.data(), spec, out);
        return Ok(());
    }
    let whole = Rect {
        x: 0.0,
        y: 0.0,
        w: f64::from(img.width()),
        h: f64::from(img.height()),
    };
    let small = resize_packed(
        &mut Resizer::new(),
        img.data(),
        (img.width(), img.height()),
        3,
        whole,
        (spec.side, spec.side),
    )?;
    normalise(&small, spec, out);
    Ok(())
}

/// Straight from a camera frame to the tensor, skipping the quality gate's working image.
pub fn frame_to_tensor(
    frame: &Frame<'_>,
    roi_fraction: f32,
    spec: &TensorSpec,
    out: &mut [f32],
) -> Result<(), LeafError> {
    spec.check(out)?;
    let img = render(frame, roi_fraction, spec.side)?;
    normalise(img.data(), spec, out);
    Ok(())
}

fn normalise(rgb: &[u8], spec: &TensorSpec, out: &mut [f32]) {
    let plane = spec.side as usize * spec.side as usize;
    let (r, rest) = out.split_at_mut(plane);
    let (g, b) = rest.split_at_mut(plane);
    // Folding 1/255 and 1/std into one multiply-add per sample.
    let scale: [f32; 3] = std::array::from_fn(|c| 1.0 / (255.0 * spec.std[c]));
    let shift: [f32; 3] = std::array::from_fn(|c| -spec.mean[c] / spec.std[c]);
    for (i, p) in rgb.chunks_exact(3).enumerate().take(plane) {
        r[i] = f32::from(p[0]) * scale[0] + shift[0];
        g[i] = f32::from(p[1]) * scale[1] + shift[1];
        b[i] = f32::from(p[2]) * scale[2] + shift[2];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensor_is_nchw_and_normalised() {
        // 2×2: red, green / blue, white.
        let img =
            RgbImage::from_raw(2, 2, vec![255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]).unwrap();
        let spec = TensorSpec {
            side: 2,
            mean: [0.5, 0.5, 0.5],
            std: [0.5, 0.25, 1.0],
        };
        let mut out = vec![0f32; spec.len()];
        write_tensor(&img, &spec, &mut out).unwrap();
        let want = [
            1.0, -1.0, -1.0, 1.0, // R plane: (1−.5)/.5, (0−.5)/.5 …
            -2.0, 2.0, -2.0, 2.0, // G plane, std 0.25
            -0.5, -0.5, 0.5, 0.5, // B plane, std 1
        ];
        for (g, w) in out.iter().zip(want) {
            assert!((g - w).abs() < 1e-5, "{out:?}");
        }
        let mut short = vec![0f32; 11];
        assert!(matches!(
            write_tensor(&img, &spec, &mut short),
            Err(LeafError::TensorBuffer { .. })
        ));
        let bad = TensorSpec {
            std: [0.0, 1.0, 1.0],
            ..spec
        };
        assert!(write_tensor(&img, &bad, &mut out).is_err());
    }

    #[test]
    fn tensor_resizes_a_larger_image() {
        let img = RgbImage::from_raw(8, 8, vec![128; 8 * 8 * 3]).unwrap();
        let spec = TensorSpec {
            side: 4,
            ..TensorSpec::default()
        };
        let mut out = vec![0f32; spec.len()];
        write_tensor(&img, &spec, &mut out).unwrap();
        let r = (128.0 / 255.0 - spec.mean[0]) / spec.std[0];
        assert!((out[0] - r).abs() < 1e-3 && (out[15] - r).abs() < 1e-3);
    }
}
