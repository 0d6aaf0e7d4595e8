//! A drawn "camera picture" of the hanging leaves, unmistakably marked as simulated: a hazard
//! stripe banner with the word SIMULATED in a built-in 5×7 bitmap font. Leaf colour follows the
//! simulated state: green → yellow while yellowing, yellow → orange as the lamina dries,
//! olive where the green was fixed, dark blotches on scalded leaves. Midribs stay green until
//! they yellow. The layout comes from the barn's seed, so pictures of one barn line up.

use image::ExtendedColorType;
use image::codecs::jpeg::JpegEncoder;

use super::leaf::LeafState;

type Rgb = [f32; 3];

const GREEN: Rgb = [62.0, 112.0, 38.0];
const YELLOW: Rgb = [222.0, 196.0, 72.0];
const ORANGE: Rgb = [204.0, 132.0, 46.0];
const OLIVE: Rgb = [112.0, 116.0, 48.0];
const SCALD: Rgb = [66.0, 42.0, 26.0];

/// 5×7 glyphs, one row per byte, bit 4 = leftmost column.
fn glyph(c: char) -> [u8; 7] {
    match c {
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'I' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'D' => [0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E],
        _ => [0; 7],
    }
}

/// splitmix64: a stable per-leaf random number from the seed.
fn hash(seed: u64, i: u64) -> u64 {
    let mut z = seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn unit(seed: u64, i: u64) -> f32 {
    (hash(seed, i) >> 40) as f32 / (1u64 << 24) as f32
}

fn mix(a: Rgb, b: Rgb, f: f32) -> Rgb {
    let f = f.clamp(0.0, 1.0);
    [
        a[0] + (b[0] - a[0]) * f,
        a[1] + (b[1] - a[1]) * f,
        a[2] + (b[2] - a[2]) * f,
    ]
}

struct Canvas {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Canvas {
    fn set(&mut self, x: usize, y: usize, c: Rgb) {
        if x < self.w && y < self.h {
            let i = (y * self.w + x) * 3;
            for (dst, v) in self.px[i..i + 3].iter_mut().zip(c) {
                *dst = v.clamp(0.0, 255.0) as u8;
            }
        }
    }

    fn rect(&mut self, x0: usize, y0: usize, x1: usize, y1: usize, c: Rgb) {
        for y in y0..y1.min(self.h) {
            for x in x0..x1.min(self.w) {
                self.set(x, y, c);
            }
        }
    }

    fn text(&mut self, s: &str, x0: usize, y0: usize, scale: usize, c: Rgb) {
        for (n, ch) in s.chars().enumerate() {
            for (row, bits) in glyph(ch).iter().enumerate() {
                for col in 0..5 {
                    if bits & (0x10 >> col) != 0 {
                        let x = x0 + (n * 6 + col) * scale;
                        let y = y0 + row * scale;
                        self.rect(x, y, x + scale, y + scale, c);
                    }
                }
            }
        }
    }
}

/// Draws the picture and encodes it as a baseline JPEG (quality 50, ~15–20 KB at 320×240). Sizes are clamped to
/// 32–1920 × 24–1080; an encoder failure yields an empty vector.
pub(crate) fn draw(leaf: &LeafState, seed: u64, width: u32, height: u32) -> Vec<u8> {
    let w = width.clamp(32, 1920) as usize;
    let h = height.clamp(24, 1080) as usize;
    let mut cv = Canvas {
        w,
        h,
        px: vec![0; w * h * 3],
    };
    // Barn interior: dim, warmer near the top where the lamp hangs.
    for y in 0..h {
        let f = y as f32 / h as f32;
        let bg = mix([58.0, 50.0, 42.0], [28.0, 25.0, 22.0], f);
        for x in 0..w {
            cv.set(x, y, bg);
        }
    }
    let banner = (h / 9).max(12);
    let tiers = 3;
    let tier_h = (h - banner) / tiers;
    let dried = leaf.lamina_dried.clamp(0.0, 1.0) as f32;
    let yellow = leaf.yellowing.clamp(0.0, 1.0) as f32;
    // Fresh colour by yellowing; drying takes yellow to orange, fixed green to olive.
    let fresh = mix(GREEN, YELLOW, yellow);
    let cured = mix(OLIVE, ORANGE, yellow);
    let lamina = mix(fresh, cured, ((dried - 0.3) / 0.6).clamp(0.0, 1.0));
    let midrib = mix(
        [120.0, 150.0, 70.0],
        [236.0, 220.0, 150.0],
        ((yellow - 0.85) / 0.13).clamp(0.0, 1.0),
    );
    // Leaves roll up (卷筒) as the lamina dries.
    let roll = 1.0 - 0.45 * ((dried - 0.35) / 0.6).clamp(0.0, 1.0);
    let leaf_w = (w as f32 / 18.0).max(3.0) * roll;
    let per_tier = (w as f32 / (leaf_w.max(3.0) * 1.6 / roll)) as u64 + 1;
    let scald = leaf.scald.clamp(0.0, 1.0) as f32;
    for tier in 0..tiers {
        let top = banner + tier * tier_h + 3;
        cv.rect(0, top - 2, w, top, [96.0, 84.0, 70.0]); // the stick row (烟竿)
        for k in 0..per_tier {
            let id = (tier as u64) << 20 | k;
            let cx = (k as f32 + 0.3 + 0.4 * unit(seed, id)) * w as f32 / per_tier as f32;
            let len = tier_h as f32 * (0.75 + 0.2 * unit(seed, id + 7));
            let shade = 0.85 + 0.25 * unit(seed, id + 13);
            let scalded = unit(seed, id + 29) < scald * 1.5;
            let (sx, sy) = (unit(seed, id + 31) - 0.5, 0.3 + 0.4 * unit(seed, id + 37));
            let half = leaf_w / 2.0;
            let (y0, y1) = (top, (top as f32 + len) as usize);
            let x0 = (cx - half).max(0.0) as usize;
            let x1 = ((cx + half) as usize + 1).min(w);
            for y in y0..y1.min(h) {
                // Widest a third of the way down, tapering to the tip.
                let v = (y - y0) as f32 / len;
                let profile = (v * (1.0 - v)).sqrt() * 2.0 * (1.0 - 0.3 * v);
                let hw = half * profile;
                for x in x0..x1 {
                    let u = x as f32 + 0.5 - cx;
                    if u.abs() > hw {
                        continue;
                    }
                    let mut c = if u.abs() < (half * 0.12).max(0.6) {
                        midrib
                    } else {
                        lamina
                    };
                    if scalded {
                        let du = u / half.max(1.0) - sx;
                        let dv = (v - sy) * 3.0;
                        if du * du + dv * dv < 0.35 {
                            c = SCALD;
                        }
                    }
                    let edge = 1.0 - 0.25 * (u.abs() / hw.max(0.5));
                    cv.set(
                        x,
                        y,
                        [
                            c[0] * shade * edge,
                            c[1] * shade * edge,
                            c[2] * shade * edge,
                        ],
                    );
                }
            }
        }
    }
    // Hazard stripes and the SIMULATED label across the top.
    for y in 0..banner {
        for x in 0..w {
            let on = ((x + y) / 8) % 2 == 0;
            cv.set(
                x,
                y,
                if on {
                    [250.0, 204.0, 0.0]
                } else {
                    [16.0, 16.0, 16.0]
                },
            );
        }
    }
    let scale = (banner / 10).max(1);
    let label = "SIMULATED";
    let text_w = label.len() * 6 * scale;
    let x0 = w.saturating_sub(text_w) / 2;
    let y0 = (banner - 7 * scale) / 2;
    cv.rect(
        x0.saturating_sub(3),
        y0.saturating_sub(2),
        x0 + text_w + 2,
        y0 + 7 * scale + 2,
        [0.0, 0.0, 0.0],
    );
    cv.text(label, x0, y0, scale, [255.0, 255.0, 255.0]);

    let mut out = Vec::with_capacity(16 * 1024);
    match JpegEncoder::new_with_quality(&mut out, 50).encode(
        &cv.px,
        w as u32,
        h as u32,
        ExtendedColorType::Rgb8,
    ) {
        Ok(()) => out,
        Err(_) => Vec::new(),
    }
}
