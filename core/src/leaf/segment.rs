//! Which pixels are leaf: a colour rule, no model.
//!
//! A pixel is leaf when it is green by the excess-green index of its chromaticity
//! (ExG = 2g − r − b with r, g, b = R, G, B divided by R+G+B) **or** yellow by hue and
//! saturation, so ripe yellow leaves still count. Soil and dead matter are orange-brown
//! (hue below the yellow band), sky, paper and glare are unsaturated, and black cut-out
//! backgrounds are too dark for either rule. Thresholds: see `SegmentRule` and
//! docs/leaf-quality-gate.md (ENG, calibrated on the development photos).

use super::rgb::RgbImage;

/// The leaf colour rule. One place for its numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentRule {
    /// Minimum ExG (chromaticity units, −1…2) for a green pixel.
    pub exg_min: f32,
    /// HSV hue band, degrees, for a yellow pixel (ripe leaf yellow is ~40–60°, pure yellow 60°).
    pub yellow_hue: (f32, f32),
    /// Minimum HSV saturation for a yellow pixel (straw, sand and paper are paler).
    pub yellow_sat_min: f32,
    /// Minimum HSV value (max channel, 0–255) for any leaf pixel: below it colour is noise.
    pub value_min: u8,
    /// Radius in working-image pixels around leaf pixels that still counts as "on the leaf"
    /// (glare and white veins fail the colour rule but lie on the leaf).
    pub near_radius: usize,
}

impl Default for SegmentRule {
    fn default() -> SegmentRule {
        SegmentRule {
            exg_min: 0.08,
            yellow_hue: (38.0, 80.0),
            yellow_sat_min: 0.30,
            value_min: 45,
            near_radius: 3,
        }
    }
}

/// HSV hue in degrees (0–360) and saturation (0–1) of an 8-bit RGB pixel.
pub fn hue_sat([r, g, b]: [u8; 3]) -> (f32, f32) {
    let (r, g, b) = (f32::from(r), f32::from(g), f32::from(b));
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let d = max - min;
    if d <= 0.0 {
        return (0.0, 0.0);
    }
    let h = if max == r {
        // (g − b)/d lies in [−1, 1]: wrapping by hand is `rem_euclid(6)` without its fmod call.
        let x = (g - b) / d;
        60.0 * if x < 0.0 { x + 6.0 } else { x }
    } else if max == g {
        60.0 * ((b - r) / d + 2.0)
    } else {
        60.0 * ((r - g) / d + 4.0)
    };
    (h, d / max)
}

impl SegmentRule {
    /// Excess green of the pixel's chromaticity.
    pub fn exg([r, g, b]: [u8; 3]) -> f32 {
        let sum = f32::from(r) + f32::from(g) + f32::from(b);
        if sum <= 0.0 {
            return 0.0;
        }
        (2.0 * f32::from(g) - f32::from(r) - f32::from(b)) / sum
    }

    pub fn is_leaf(&self, p: [u8; 3]) -> bool {
        if p[0].max(p[1]).max(p[2]) < self.value_min {
            return false;
        }
        if Self::exg(p) >= self.exg_min {
            return true;
        }
        let (h, s) = hue_sat(p);
        s >= self.yellow_sat_min && (self.yellow_hue.0..=self.yellow_hue.1).contains(&h)
    }
}

/// Per-pixel leaf mask of a working image, and the leaf region grown by `near_radius`.
#[derive(Debug, Clone)]
pub struct LeafMask {
    pub width: usize,
    pub height: usize,
    pub leaf: Vec<bool>,
    pub near: Vec<bool>,
    /// Non-leaf pixels inside the leaf's outline, where a glare patch or a white vein sits:
    /// holes cut off from the border, or pixels with leaf on both sides in their row *and* in
    /// their column (a glare patch that reaches the leaf's edge is no hole).
    pub enclosed: Vec<bool>,
}

impl LeafMask {
    pub fn leaf_count(&self) -> usize {
        self.leaf.iter().filter(|&&l| l).count()
    }

    pub fn coverage(&self) -> f32 {
        self.leaf_count() as f32 / self.leaf.len().max(1) as f32
    }
}

pub fn segment(img: &RgbImage, rule: &SegmentRule) -> LeafMask {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let leaf: Vec<bool> = img.pixels().map(|p| rule.is_leaf(p)).collect();
    let near = dilate(&leaf, w, h, rule.near_radius);
    let holes = holes(&leaf, w, h);
    let between = between(&leaf, w, h);
    let enclosed = (0..w * h).map(|i| holes[i] || between[i]).collect();
    LeafMask {
        width: w,
        height: h,
        leaf,
        near,
        enclosed,
    }
}

/// Non-leaf pixels with leaf somewhere left and right in the row and above and below in the
/// column.
fn between(leaf: &[bool], w: usize, h: usize) -> Vec<bool> {
    let span = |first: Option<usize>, last: Option<usize>| first.zip(last);
    let rows: Vec<_> = (0..h)
        .map(|y| {
            let row = &leaf[y * w..(y + 1) * w];
            span(row.iter().position(|&l| l), row.iter().rposition(|&l| l))
        })
        .collect();
    // First and last leaf row of every column, in one pass along the rows (walking each
    // column instead strides through memory).
    let mut cols: Vec<Option<(usize, usize)>> = vec![None; w];
    for (y, row) in leaf.chunks_exact(w).enumerate() {
        for (col, _) in cols.iter_mut().zip(row).filter(|(_, l)| **l) {
            *col = Some(col.map_or((y, y), |(first, _)| (first, y)));
        }
    }
    let inside = |s: Option<(usize, usize)>, v: usize| s.is_some_and(|(a, b)| a < v && v < b);
    (0..w * h)
        .map(|i| !leaf[i] && inside(rows[i / w], i % w) && inside(cols[i % w], i / w))
        .collect()
}

/// Flood-fills the background from the border (4-connected); what it cannot reach is a hole.
fn holes(leaf: &[bool], w: usize, h: usize) -> Vec<bool> {
    let mut outside = vec![false; w * h];
    let mut stack: Vec<usize> = (0..w * h)
        .filter(|&i| (i % w == 0 || i % w == w - 1 || i / w == 0 || i / w == h - 1) && !leaf[i])
        .collect();
    for &i in &stack {
        outside[i] = true;
    }
    while let Some(i) = stack.pop() {
        let (x, y) = (i % w, i / w);
        let mut visit = |j: usize| {
            if !leaf[j] && !outside[j] {
                outside[j] = true;
                stack.push(j);
            }
        };
        if x > 0 {
            visit(i - 1);
        }
        if x + 1 < w {
            visit(i + 1);
        }
        if y > 0 {
            visit(i - w);
        }
        if y + 1 < h {
            visit(i + w);
        }
    }
    (0..w * h).map(|i| !leaf[i] && !outside[i]).collect()
}

/// Square dilation through a summed-area table: O(pixels) whatever the radius.
fn dilate(mask: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
    let sat = integral(w, h, |i| u32::from(mask[i]));
    (0..w * h)
        .map(|i| box_sum(&sat, w, h, i % w, i / w, r) > 0)
        .collect()
}

/// Summed-area table with a zero first row and column: (w+1)×(h+1).
pub(crate) fn integral<T>(w: usize, h: usize, value: impl Fn(usize) -> T) -> Vec<T>
where
    T: Copy + Default + std::ops::Add<Output = T> + std::ops::Sub<Output = T>,
{
    let mut sat = vec![T::default(); (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row = T::default();
        for x in 0..w {
            row = row + value(y * w + x);
            sat[(y + 1) * (w + 1) + x + 1] = sat[y * (w + 1) + x + 1] + row;
        }
    }
    sat
}

/// Sum over the (2r+1)² box around (x, y), clipped to the image.
pub(crate) fn box_sum<T>(sat: &[T], w: usize, h: usize, x: usize, y: usize, r: usize) -> T
where
    T: Copy + std::ops::Add<Output = T> + std::ops::Sub<Output = T>,
{
    let (x0, y0) = (x.saturating_sub(r), y.saturating_sub(r));
    let (x1, y1) = ((x + r + 1).min(w), (y + r + 1).min(h));
    let s = w + 1;
    sat[y1 * s + x1] + sat[y0 * s + x0] - sat[y0 * s + x1] - sat[y1 * s + x0]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Straight from the definition: leaf somewhere left and right, above and below.
    fn between_naive(leaf: &[bool], w: usize, h: usize) -> Vec<bool> {
        (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                let at = |x: usize, y: usize| leaf[y * w + x];
                !leaf[i]
                    && (0..x).any(|a| at(a, y))
                    && (x + 1..w).any(|a| at(a, y))
                    && (0..y).any(|b| at(x, b))
                    && (y + 1..h).any(|b| at(x, b))
            })
            .collect()
    }

    #[test]
    fn between_matches_its_definition() {
        let mut seed = 0x9E37_79B9_u32;
        for (w, h) in [(1, 1), (7, 5), (16, 16), (31, 9)] {
            for density in [1u32, 3, 8] {
                let leaf: Vec<bool> = (0..w * h)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 17;
                        seed ^= seed << 5;
                        seed % 10 < density
                    })
                    .collect();
                assert_eq!(between(&leaf, w, h), between_naive(&leaf, w, h), "{w}×{h}");
            }
        }
    }

    #[test]
    fn hue_of_reddish_pixels_wraps_below_360() {
        let (h, s) = hue_sat([200, 50, 100]);
        assert!(
            (h - 340.0).abs() < 0.01 && (s - 0.75).abs() < 1e-6,
            "{h} {s}"
        );
        assert_eq!(hue_sat([200, 100, 50]).0, 20.0);
    }
}
