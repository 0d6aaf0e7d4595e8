//! Colour of the leaf: CIE L*a*b* (D65) over the leaf pixels, hue angle, yellow share and a
//! tentative vein/lamina contrast.

use std::sync::OnceLock;

use super::quality::is_glare;
use super::rgb::RgbImage;
use super::segment::{LeafMask, box_sum, integral};

/// D65 reference white, XYZ with Y = 1.
const WHITE: [f32; 3] = [0.950_47, 1.0, 1.088_83];

/// sRGB transfer function inverse: 8-bit code → linear light, as a 256-entry table.
fn linear_table() -> &'static [f32; 256] {
    static TABLE: OnceLock<[f32; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        std::array::from_fn(|i| {
            let c = i as f32 / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        })
    })
}

/// CIE L*a*b* of an sRGB pixel (IEC 61966-2-1 primaries, D65 white, CIE 1976 formulas).
pub fn srgb_to_lab(p: [u8; 3]) -> [f32; 3] {
    let t = linear_table();
    let [r, g, b] = p.map(|c| t[usize::from(c)]);
    let x = 0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b;
    let y = 0.212_672_9 * r + 0.715_152_2 * g + 0.072_175 * b;
    let z = 0.019_333_9 * r + 0.119_192 * g + 0.950_304_1 * b;
    let f = |t: f32| {
        // (6/29)³ and the linear segment below it keep the curve smooth near black.
        const E: f32 = 216.0 / 24_389.0;
        const K: f32 = 24_389.0 / 27.0;
        if t > E {
            cbrt(t)
        } else {
            (K * t + 16.0) / 116.0
        }
    };
    let (fx, fy, fz) = (f(x / WHITE[0]), f(y / WHITE[1]), f(z / WHITE[2]));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// Cube root of a positive normal `t`, inlined: `f32::cbrt` is a libm call that took a fifth
/// of the gate's time (three per pixel). A bit-level first guess (~5 % off) and three Newton
/// steps agree with it to a few ulp.
fn cbrt(t: f32) -> f32 {
    let mut y = f32::from_bits(t.to_bits() / 3 + 0x2a51_4067);
    for _ in 0..3 {
        y = (2.0 * y + t / (y * y)) * (1.0 / 3.0);
    }
    y
}

/// Hue angle h_ab = atan2(b*, a*) in degrees, 0–360.
pub fn hue_angle(a: f32, b: f32) -> f32 {
    b.atan2(a).to_degrees().rem_euclid(360.0)
}

/// Hue band (h_ab, degrees) counted as yellow. On the development photos lemon-yellow leaves
/// measure 90–105° (sRGB pure yellow is 103°), yellow-green leaves 105–115°, green leaves
/// 115–160°; below 60° is orange-brown (spots, dead tissue). ENG: calibrate with labelled
/// photos taken with a colour card.
pub const YELLOW_HUE: (f32, f32) = (60.0, 105.0);
/// Hue band counted as yellow-green (黄绿), between yellow and green.
pub const YELLOW_GREEN_HUE: (f32, f32) = (105.0, 115.0);

/// How much brighter (L*) than its 15×15 neighbourhood a leaf pixel must be to be a vein
/// candidate, and the share of leaf the candidates must make up for the figure to be trusted.
const VEIN_DELTA_L: f32 = 4.0;
const VEIN_RADIUS: usize = 7;
const VEIN_SHARE: (f32, f32) = (0.01, 0.20);

/// Colour features of the leaf pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColourFeatures {
    /// Number of leaf pixels the means are taken over.
    pub leaf_pixels: u32,
    /// Mean L* (0–100), a*, b* over leaf pixels.
    pub lab: [f32; 3],
    /// C*ab of the mean a*, b*.
    pub chroma: f32,
    /// h_ab of the mean a*, b*, degrees.
    pub hue_deg: f32,
    /// Share of leaf pixels whose own h_ab falls in `YELLOW_HUE`.
    pub yellow_fraction: f32,
    /// Share of leaf pixels in `YELLOW_GREEN_HUE`.
    pub yellow_green_fraction: f32,
    /// Share of leaf pixels greener than that (h_ab ≥ 115°).
    pub green_fraction: f32,
    /// Vein vs lamina, when thin bright structures are found; see [`VeinContrast`].
    pub vein: Option<VeinContrast>,
}

/// Thin structures brighter than their surroundings on the leaf (veins, in a close-up) against
/// the rest of the lamina. `None` when they make up less than 1 % or more than 20 % of the leaf:
/// then the photo is too far away to resolve veins, or the texture is not veins (spots, hairs,
/// noise) and the number would mislead. This is a rough cue, not a measurement of vein colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VeinContrast {
    /// Share of leaf-region pixels taken as vein.
    pub share: f32,
    /// Mean L* of vein pixels minus mean L* of the lamina.
    pub delta_l: f32,
    /// Mean C*ab of vein pixels over that of the lamina (< 1: veins paler, i.e. whiter).
    pub chroma_ratio: f32,
}

impl ColourFeatures {
    /// Yellowed share of the leaf (落黄, the "N成黄" growers estimate by eye): yellow pixels
    /// count fully, yellow-green ones half, since growers call a yellow-green leaf partly
    /// yellowed. ENG weight.
    pub fn yellowing(&self) -> f32 {
        self.yellow_fraction + 0.5 * self.yellow_green_fraction
    }
}

/// `None` when no pixel is leaf.
pub fn features(img: &RgbImage, mask: &LeafMask) -> Option<ColourFeatures> {
    // L*a*b* (a cube root per channel) only where it is read: leaf pixels here, the leaf
    // region (`near` or `enclosed`) in `vein_contrast`; the background stays zero.
    let labs: Vec<[f32; 3]> = img
        .pixels()
        .enumerate()
        .map(|(i, p)| {
            if mask.leaf[i] || mask.near[i] || mask.enclosed[i] {
                srgb_to_lab(p)
            } else {
                [0.0; 3]
            }
        })
        .collect();
    features_from(img, mask, &labs)
}

/// The features given every pixel's L*a*b* (only leaf and leaf-region pixels are read).
fn features_from(img: &RgbImage, mask: &LeafMask, labs: &[[f32; 3]]) -> Option<ColourFeatures> {
    let (mut sum, mut n) = ([0f64; 3], 0u32);
    let (mut yellow, mut yellow_green, mut green) = (0u32, 0u32, 0u32);
    for (lab, _) in labs.iter().zip(&mask.leaf).filter(|(_, l)| **l) {
        for c in 0..3 {
            sum[c] += f64::from(lab[c]);
        }
        n += 1;
        let h = hue_angle(lab[1], lab[2]);
        if (YELLOW_HUE.0..YELLOW_HUE.1).contains(&h) {
            yellow += 1;
        } else if (YELLOW_GREEN_HUE.0..YELLOW_GREEN_HUE.1).contains(&h) {
            yellow_green += 1;
        } else if (YELLOW_GREEN_HUE.1..270.0).contains(&h) {
            green += 1;
        }
    }
    if n == 0 {
        return None;
    }
    let lab = sum.map(|s| (s / f64::from(n)) as f32);
    Some(ColourFeatures {
        leaf_pixels: n,
        lab,
        chroma: lab[1].hypot(lab[2]),
        hue_deg: hue_angle(lab[1], lab[2]),
        yellow_fraction: yellow as f32 / n as f32,
        yellow_green_fraction: yellow_green as f32 / n as f32,
        green_fraction: green as f32 / n as f32,
        vein: vein_contrast(img, mask, labs),
    })
}

fn vein_contrast(img: &RgbImage, mask: &LeafMask, labs: &[[f32; 3]]) -> Option<VeinContrast> {
    let (w, h) = (mask.width, mask.height);
    // Local mean of L* over leaf-region pixels only, so the background does not pull it down.
    let region: Vec<bool> = (0..w * h)
        .map(|i| (mask.near[i] || mask.enclosed[i]) && !is_glare(pixel(img, i)))
        .collect();
    let sat_l = integral(w, h, |i| {
        if region[i] {
            f64::from(labs[i][0])
        } else {
            0.0
        }
    });
    let sat_n = integral(w, h, |i| if region[i] { 1.0f64 } else { 0.0 });
    let (mut vein, mut lamina) = (Acc::default(), Acc::default());
    for i in (0..w * h).filter(|&i| region[i]) {
        let (x, y) = (i % w, i / w);
        let cnt = box_sum(&sat_n, w, h, x, y, VEIN_RADIUS);
        let local = box_sum(&sat_l, w, h, x, y, VEIN_RADIUS) / cnt.max(1.0);
        let [l, a, b] = labs[i];
        if l - local as f32 >= VEIN_DELTA_L {
            vein.add(l, a.hypot(b));
        } else if mask.leaf[i] {
            lamina.add(l, a.hypot(b));
        }
    }
    let share = vein.n as f32 / (vein.n + lamina.n).max(1) as f32;
    if !(VEIN_SHARE.0..=VEIN_SHARE.1).contains(&share) || lamina.n == 0 {
        return None;
    }
    Some(VeinContrast {
        share,
        delta_l: vein.mean_l() - lamina.mean_l(),
        chroma_ratio: vein.mean_c() / lamina.mean_c().max(1e-3),
    })
}

fn pixel(img: &RgbImage, i: usize) -> [u8; 3] {
    let d = &img.data()[i * 3..i * 3 + 3];
    [d[0], d[1], d[2]]
}

#[derive(Debug, Default)]
struct Acc {
    n: u32,
    l: f64,
    c: f64,
}

impl Acc {
    fn add(&mut self, l: f32, c: f32) {
        self.n += 1;
        self.l += f64::from(l);
        self.c += f64::from(c);
    }
    fn mean_l(&self) -> f32 {
        (self.l / f64::from(self.n.max(1))) as f32
    }
    fn mean_c(&self) -> f32 {
        (self.c / f64::from(self.n.max(1))) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inlined_cube_root_matches_libm() {
        // Every input L*a*b* can give: from the linear segment's end to above the white point.
        let (mut t, mut worst) = (216.0f32 / 24_389.0, 0f32);
        while t < 1.2 {
            worst = worst.max((cbrt(t) - t.cbrt()).abs() / t.cbrt());
            t *= 1.000_1;
        }
        assert!(worst < 4.0 * f32::EPSILON, "relative error {worst}");
    }

    #[test]
    fn background_lab_is_never_read() {
        // A leaf with veins and glare on a varied background; features computed from every
        // pixel's L*a*b* must equal those that skip the background.
        let (w, h) = (96u32, 80u32);
        let mut data = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let inside = (x as i32 - 48).pow(2) * 4 + (y as i32 - 40).pow(2) * 9 < 40 * 40 * 4;
                data.extend_from_slice(&match (inside, x % 11 == 0, (x + y) % 17 == 0) {
                    (true, true, _) => [200, 205, 150],
                    (true, _, true) => [250, 250, 248],
                    (true, _, _) => [120 + (y % 30) as u8, 150, 60],
                    (false, _, _) => [(x * 2) as u8, (y * 3) as u8, 90],
                });
            }
        }
        let img = RgbImage::from_raw(w, h, data).unwrap();
        let mask = crate::leaf::segment(&img, &Default::default());
        assert!(mask.leaf_count() > 500 && mask.leaf_count() < (w * h) as usize - 500);
        let every: Vec<[f32; 3]> = img.pixels().map(srgb_to_lab).collect();
        let skipped = features(&img, &mask).expect("leaf");
        assert_eq!(Some(skipped), features_from(&img, &mask, &every));
        assert!(skipped.vein.is_some(), "the vein branch ran");
    }

    fn close(got: [f32; 3], want: [f32; 3]) {
        for c in 0..3 {
            assert!((got[c] - want[c]).abs() < 0.05, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn lab_matches_reference_values() {
        // Reference values: CIE 1976 L*a*b*, D65, sRGB (as published by Bruce Lindbloom's
        // calculator and colormine for the same white point).
        close(srgb_to_lab([255, 255, 255]), [100.0, 0.0, 0.0]);
        close(srgb_to_lab([0, 0, 0]), [0.0, 0.0, 0.0]);
        close(srgb_to_lab([255, 0, 0]), [53.24, 80.09, 67.20]);
        close(srgb_to_lab([0, 255, 0]), [87.73, -86.18, 83.18]);
        close(srgb_to_lab([0, 0, 255]), [32.30, 79.19, -107.86]);
        close(srgb_to_lab([119, 119, 119]), [50.03, 0.0, 0.0]);
        close(srgb_to_lab([128, 128, 128]), [53.59, 0.0, 0.0]);
    }

    #[test]
    fn hue_angle_is_in_degrees_counterclockwise_from_red() {
        assert!((hue_angle(1.0, 0.0)).abs() < 1e-4);
        assert!((hue_angle(0.0, 1.0) - 90.0).abs() < 1e-4);
        assert!((hue_angle(-1.0, 0.0) - 180.0).abs() < 1e-4);
        assert!((hue_angle(0.0, -1.0) - 270.0).abs() < 1e-4);
        // sRGB yellow sits at ~103°, inside the yellow band's neighbourhood.
        let [_, a, b] = srgb_to_lab([255, 255, 0]);
        assert!((hue_angle(a, b) - 102.85).abs() < 0.1);
    }
}
