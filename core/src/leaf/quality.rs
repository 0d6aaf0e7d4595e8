//! Photo quality gate: is this picture good enough to judge the leaf? Runs on the working image
//! and tells the farmer how to retake when it is not.

use super::rgb::RgbImage;
use super::segment::LeafMask;

/// Luma (BT.601 weights) at or below which a pixel counts as crushed black.
pub const DARK_CLIP: u8 = 10;
/// Luma at or above which a pixel counts as blown out.
pub const BRIGHT_CLIP: u8 = 245;
/// A glare pixel: every channel at least this bright …
pub const GLARE_MIN: u8 = 215;
/// … and HSV saturation at most this (specular reflection is the colour of the light).
pub const GLARE_MAX_SAT: f32 = 0.15;

/// What the gate measured on one working image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QualityMetrics {
    /// Variance of the 4-neighbour Laplacian of luma (0–255 scale) over the image.
    pub blur_laplacian_var: f32,
    /// Smallest, over four directions (—, |, /, \\), of the variance of the 1-D second
    /// difference of luma. Shake smears along one direction only and leaves the Laplacian of
    /// the other direction intact; this catches it.
    pub blur_directional_min: f32,
    /// Mean luma, 0–255.
    pub mean_luma: f32,
    /// Share of pixels with luma ≤ `DARK_CLIP`.
    pub dark_fraction: f32,
    /// Share of pixels with luma ≥ `BRIGHT_CLIP`, not counting leaf glare (that has its own
    /// check and hint).
    pub bright_fraction: f32,
    /// Share of the leaf region (leaf pixels, plus glare pixels next to or enclosed by leaf)
    /// that is glare.
    pub glare_fraction: f32,
    /// Share of pixels that are leaf by the colour rule.
    pub leaf_coverage: f32,
}

fn luma([r, g, b]: [u8; 3]) -> f32 {
    0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b)
}

pub fn is_glare(p: [u8; 3]) -> bool {
    let min = p[0].min(p[1]).min(p[2]);
    let max = p[0].max(p[1]).max(p[2]);
    min >= GLARE_MIN && f32::from(max - min) <= GLARE_MAX_SAT * f32::from(max)
}

pub fn measure(img: &RgbImage, mask: &LeafMask) -> QualityMetrics {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let lum: Vec<f32> = img.pixels().map(luma).collect();
    let n = lum.len().max(1) as f32;
    let mean_luma = lum.iter().sum::<f32>() / n;
    let dark = lum.iter().filter(|&&l| l <= f32::from(DARK_CLIP)).count() as f32 / n;

    let (mut glare, mut region, mut bright) = (0usize, 0usize, 0usize);
    for (i, p) in img.pixels().enumerate() {
        let on_leaf_glare = !mask.leaf[i] && (mask.near[i] || mask.enclosed[i]) && is_glare(p);
        if mask.leaf[i] || on_leaf_glare {
            region += 1;
        }
        glare += usize::from(on_leaf_glare);
        bright += usize::from(!on_leaf_glare && lum[i] >= f32::from(BRIGHT_CLIP));
    }
    QualityMetrics {
        blur_laplacian_var: laplacian_variance(&lum, w, h),
        blur_directional_min: directional_min(&lum, w, h),
        mean_luma,
        dark_fraction: dark,
        bright_fraction: bright as f32 / n,
        glare_fraction: if region == 0 {
            0.0
        } else {
            glare as f32 / region as f32
        },
        leaf_coverage: mask.coverage(),
    }
}

/// Variance of the 3×3 Laplacian (0 1 0 / 1 −4 1 / 0 1 0) over interior pixels: a sharp photo
/// has strong second derivatives at edges and texture, a blurred one does not.
pub fn laplacian_variance(lum: &[f32], w: usize, h: usize) -> f32 {
    if w < 3 || h < 3 {
        return 0.0;
    }
    let (mut sum, mut sum2, mut n) = (0f64, 0f64, 0f64);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let i = y * w + x;
            let l = f64::from(lum[i - 1] + lum[i + 1] + lum[i - w] + lum[i + w] - 4.0 * lum[i]);
            sum += l;
            sum2 += l * l;
            n += 1.0;
        }
    }
    let mean = sum / n;
    (sum2 / n - mean * mean) as f32
}

/// Minimum over the four directions of the variance of `l[i−d] − 2·l[i] + l[i+d]`.
pub fn directional_min(lum: &[f32], w: usize, h: usize) -> f32 {
    if w < 3 || h < 3 {
        return 0.0;
    }
    let steps = [1, w, w + 1, w - 1];
    steps
        .iter()
        .map(|&d| {
            let (mut sum, mut sum2, mut n) = (0f64, 0f64, 0f64);
            for y in 1..h - 1 {
                for x in 1..w - 1 {
                    let i = y * w + x;
                    let l = f64::from(lum[i - d] + lum[i + d] - 2.0 * lum[i]);
                    sum += l;
                    sum2 += l * l;
                    n += 1.0;
                }
            }
            let mean = sum / n;
            (sum2 / n - mean * mean) as f32
        })
        .fold(f32::INFINITY, f32::min)
}
