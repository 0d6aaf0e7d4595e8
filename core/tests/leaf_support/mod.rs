//! Shared by the leaf integration tests: the development photos and degraded copies of them.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use image::{Rgba, RgbaImage, imageops};
use yannong_core::leaf::{Frame, LeafError, Pixels, PrepareOptions, Prepared, prepare};

/// The development photos: `YANNONG_LEAF_DATA` if set, else `shared/data/leaf` beside the
/// repository, else the workplace's `/work/shared/data/leaf` (a checkout elsewhere, e.g. a
/// CI clone). Missing everywhere, the tests fail: they are about these photos.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("YANNONG_LEAF_DATA") {
        return PathBuf::from(dir);
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/leaf");
    let workplace = PathBuf::from("/work/shared/data/leaf");
    if !beside.join("manifest.csv").is_file() && workplace.join("manifest.csv").is_file() {
        return workplace;
    }
    beside
}

/// (label, path) of every photo listed in manifest.csv, in manifest order.
pub fn photos() -> Vec<(String, PathBuf)> {
    let dir = data_dir();
    let manifest = std::fs::read_to_string(dir.join("manifest.csv"))
        .unwrap_or_else(|e| panic!("leaf data missing at {}: {e}", dir.display()));
    manifest
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut cols = l.split(',');
            let file = cols.next()?;
            let label = cols.next()?;
            Some((label.to_string(), dir.join(file)))
        })
        .collect()
}

/// Options for gallery photos, already framed by whoever took them: the whole shorter side.
pub fn photo_opts() -> PrepareOptions {
    PrepareOptions {
        roi_fraction: 1.0,
        ..PrepareOptions::default()
    }
}

pub fn prepare_file(path: &Path) -> Result<Prepared, LeafError> {
    let bytes = std::fs::read(path).unwrap();
    prepare(&Frame::new(Pixels::Encoded(&bytes)), &photo_opts())
}

pub fn prepare_rgba(img: &RgbaImage) -> Result<Prepared, LeafError> {
    let frame = Frame::new(Pixels::Rgba {
        width: img.width(),
        height: img.height(),
        bytes_per_row: img.width() as usize * 4,
        data: img.as_raw(),
    });
    prepare(&frame, &photo_opts())
}

pub fn load(path: &Path) -> RgbaImage {
    image::open(path).unwrap().to_rgba8()
}

/// The ways a farmer's photo goes wrong, made in code from a good one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Degrade {
    /// Gaussian blur, sigma 1 % of the shorter side (out of focus).
    Gaussian,
    /// Horizontal box blur over 3 % of the shorter side (hand shake).
    Motion,
    /// Every channel × 0.2 (dusk, shade).
    Dark,
    /// Every channel × 2.5, clipped (pointing at the sun, overexposed).
    Bright,
    /// The photo shrunk to a quarter of its side on a grey card (standing too far away).
    TinyLeaf,
    /// A fifth of the picture replaced by soft near-white blobs (sun reflected off the wax).
    Glare,
}

impl Degrade {
    pub const ALL: [Degrade; 6] = [
        Degrade::Gaussian,
        Degrade::Motion,
        Degrade::Dark,
        Degrade::Bright,
        Degrade::TinyLeaf,
        Degrade::Glare,
    ];

    pub fn apply(self, img: &RgbaImage) -> RgbaImage {
        let side = img.width().min(img.height()) as f32;
        match self {
            Degrade::Gaussian => imageops::blur(img, side * 0.01),
            Degrade::Motion => motion(img, (side * 0.03) as u32),
            Degrade::Dark => scale(img, 0.2),
            Degrade::Bright => scale(img, 2.5),
            Degrade::TinyLeaf => tiny(img),
            Degrade::Glare => glare(img),
        }
    }
}

fn scale(img: &RgbaImage, k: f32) -> RgbaImage {
    let mut out = img.clone();
    for p in out.pixels_mut() {
        for c in 0..3 {
            p[c] = (f32::from(p[c]) * k).round().min(255.0) as u8;
        }
    }
    out
}

fn motion(img: &RgbaImage, len: u32) -> RgbaImage {
    // Running sum along each row: a box of `len` pixels centred on x, clipped at the edges.
    let (w, h) = img.dimensions();
    let len = len.clamp(1, w);
    let mut out = img.clone();
    for y in 0..h {
        let mut prefix = vec![[0u32; 3]; w as usize + 1];
        for x in 0..w {
            let p = img.get_pixel(x, y);
            let prev = prefix[x as usize];
            prefix[x as usize + 1] = std::array::from_fn(|c| prev[c] + u32::from(p[c]));
        }
        for x in 0..w {
            let x0 = x.saturating_sub(len / 2);
            let x1 = (x0 + len).min(w);
            let q = out.get_pixel_mut(x, y);
            for c in 0..3 {
                q[c] = ((prefix[x1 as usize][c] - prefix[x0 as usize][c]) / (x1 - x0)) as u8;
            }
        }
    }
    out
}

fn tiny(img: &RgbaImage) -> RgbaImage {
    let (w, h) = img.dimensions();
    let small = imageops::resize(img, w / 4, h / 4, imageops::FilterType::Triangle);
    let mut out = RgbaImage::from_pixel(w, h, Rgba([150, 150, 150, 255]));
    imageops::overlay(&mut out, &small, i64::from(w * 3 / 8), i64::from(h * 3 / 8));
    out
}

fn glare(img: &RgbaImage) -> RgbaImage {
    let (w, h) = img.dimensions();
    let mut out = img.clone();
    // Three soft discs whose cores together cover about a fifth of the picture.
    let r = w.min(h) as f32 * 0.16;
    let centres = [(0.35, 0.4), (0.62, 0.55), (0.45, 0.72)];
    for y in 0..h {
        for x in 0..w {
            let k = centres
                .iter()
                .map(|&(cx, cy)| {
                    let d = ((x as f32 - cx * w as f32).hypot(y as f32 - cy * h as f32)) / r;
                    (1.3 - d).clamp(0.0, 1.0) / 0.3
                })
                .fold(0.0f32, f32::max)
                .min(1.0);
            let p = out.get_pixel_mut(x, y);
            for c in 0..3 {
                p[c] = (f32::from(p[c]) * (1.0 - k) + 245.0 * k).round() as u8;
            }
        }
    }
    out
}

/// NV21 (Y plane, then interleaved V/U at half resolution), full-range BT.601, as an Android
/// camera hands it over. Width and height are made even by dropping the last column/row.
pub fn to_nv21(img: &image::RgbImage) -> Vec<u8> {
    let (w, h) = (img.width() & !1, img.height() & !1);
    let yuv = |x: u32, y: u32| {
        let p = img.get_pixel(x, y);
        let (r, g, b) = (f32::from(p[0]), f32::from(p[1]), f32::from(p[2]));
        let luma = 0.299 * r + 0.587 * g + 0.114 * b;
        (luma, (b - luma) * 0.564 + 128.0, (r - luma) * 0.713 + 128.0)
    };
    let clamp = |v: f32| v.round().clamp(0.0, 255.0) as u8;
    let mut out = Vec::with_capacity((w * h * 3 / 2) as usize);
    for y in 0..h {
        for x in 0..w {
            out.push(clamp(yuv(x, y).0));
        }
    }
    for y in (0..h).step_by(2) {
        for x in (0..w).step_by(2) {
            let (mut u, mut v) = (0.0, 0.0);
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let (_, cb, cr) = yuv(x + dx, y + dy);
                u += cb / 4.0;
                v += cr / 4.0;
            }
            out.extend([clamp(v), clamp(u)]);
        }
    }
    out
}
