//! Prints the distributions the quality-gate thresholds were chosen from (not a check):
//!
//! ```text
//! cargo test -p yannong-core --test leaf_measure -- --ignored --nocapture
//! ```
//!
//! Real development photos by subset, then degraded copies of every second photo, then the
//! colour-rule maturity estimate for each subset-B photo. Numbers are in
//! docs/leaf-quality-gate.md.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod leaf_support;

use leaf_support::{Degrade, load, photos, prepare_file, prepare_rgba};
use yannong_core::leaf::{Prepared, QualityMetrics};

type Metric = fn(&QualityMetrics) -> f32;

const METRICS: [(&str, Metric); 7] = [
    ("blur_laplacian_var", |m| m.blur_laplacian_var),
    ("blur_directional_min", |m| m.blur_directional_min),
    ("mean_luma", |m| m.mean_luma),
    ("dark_fraction", |m| m.dark_fraction),
    ("bright_fraction", |m| m.bright_fraction),
    ("glare_fraction", |m| m.glare_fraction),
    ("leaf_coverage", |m| m.leaf_coverage),
];

fn percentiles(mut v: Vec<f32>) -> String {
    v.sort_by(f32::total_cmp);
    let at = |p: f32| v[((v.len() - 1) as f32 * p).round() as usize];
    format!(
        "min {:>7.3} p1 {:>7.3} p5 {:>7.3} p25 {:>7.3} p50 {:>7.3} p75 {:>7.3} p95 {:>7.3} p99 {:>7.3} max {:>7.3}",
        at(0.0),
        at(0.01),
        at(0.05),
        at(0.25),
        at(0.5),
        at(0.75),
        at(0.95),
        at(0.99),
        at(1.0)
    )
}

fn report(name: &str, prepared: &[Prepared]) {
    let passed = prepared.iter().filter(|p| p.quality.passed()).count();
    println!(
        "\n## {name}: {} images, {passed} pass the gate",
        prepared.len()
    );
    for (metric, get) in METRICS {
        let v = prepared.iter().map(|p| get(&p.quality.metrics)).collect();
        println!("{metric:>20}: {}", percentiles(v));
    }
    let mut counts = std::collections::BTreeMap::new();
    for f in prepared.iter().flat_map(|p| &p.quality.failures) {
        *counts
            .entry(format!("{:?}/{}", f.check, f.metric))
            .or_insert(0) += 1;
    }
    println!("{:>20}: {counts:?}", "failures");
    let colour: Vec<_> = prepared.iter().filter_map(|p| p.colour).collect();
    if !colour.is_empty() {
        println!(
            "{:>20}: {}",
            "hue_deg",
            percentiles(colour.iter().map(|c| c.hue_deg).collect())
        );
        println!(
            "{:>20}: {}",
            "yellowing",
            percentiles(colour.iter().map(|c| c.yellowing()).collect())
        );
        println!(
            "{:>20}: {}",
            "chroma",
            percentiles(colour.iter().map(|c| c.chroma).collect())
        );
        let veins = colour.iter().filter(|c| c.vein.is_some()).count();
        println!("{:>20}: {veins} of {}", "vein measurable", colour.len());
    }
}

#[test]
#[ignore = "prints measurements; run by hand"]
fn measure_development_photos() {
    let all = photos();
    let mut by_subset: Vec<(&str, Vec<Prepared>)> = vec![
        ("subset A (disease, 640 px)", vec![]),
        ("subset B (unlabelled, 210–577 px)", vec![]),
    ];
    let mut in_order = Vec::new();
    for (label, path) in &all {
        let p = prepare_file(path).unwrap();
        by_subset[usize::from(label == "unlabelled")]
            .1
            .push(p.clone());
        in_order.push(p);
    }
    for (name, prepared) in &by_subset {
        report(name, prepared);
    }
    println!("\n## real photos failing the gate");
    for ((_, path), p) in all
        .iter()
        .zip(&in_order)
        .filter(|(_, p)| !p.quality.passed())
    {
        let fails: Vec<_> = p
            .quality
            .failures
            .iter()
            .map(|f| format!("{}={:.3}", f.metric, f.measured))
            .collect();
        println!(
            "{:>60}: {}",
            path.strip_prefix(leaf_support::data_dir())
                .unwrap()
                .display(),
            fails.join(" ")
        );
    }
    for d in Degrade::ALL {
        let degraded: Vec<Prepared> = all
            .iter()
            .step_by(2)
            .map(|(_, path)| prepare_rgba(&d.apply(&load(path))).unwrap())
            .collect();
        report(&format!("degraded {d:?}"), &degraded);
    }
    println!("\n## subset B: colour-rule maturity");
    for (label, path) in all.iter().filter(|(l, _)| l == "unlabelled") {
        let _ = label;
        let p = prepare_file(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        match (&p.colour, &p.maturity) {
            (Some(c), Some(m)) => println!(
                "{name:>40}: L* {:5.1} a* {:6.1} b* {:5.1} h {:5.1} C {:5.1} yellowing {:4.2} vein {:?} → {:?} sure={} | {}",
                c.lab[0],
                c.lab[1],
                c.lab[2],
                c.hue_deg,
                c.chroma,
                c.yellowing(),
                c.vein.map(|v| (v.share, v.delta_l, v.chroma_ratio)),
                m.likely,
                m.sure,
                m.explanation.zh
            ),
            _ => println!(
                "{name:>40}: gate failed {:?}",
                p.quality
                    .failures
                    .iter()
                    .map(|f| (f.check, f.measured))
                    .collect::<Vec<_>>()
            ),
        }
    }
}

/// Writes the working images of some photos beside their leaf mask (leaf green, glare red,
/// enclosed holes blue) to `LEAF_SHEET` (default /tmp/leaf_sheet.png), 8 pairs per row.
/// `LEAF_SHEET_FILTER` picks photos whose path contains one of its comma-separated parts
/// (default "unlabelled").
#[test]
#[ignore = "writes a picture for a person to look at; run by hand"]
fn contact_sheet() {
    use yannong_core::leaf::{SegmentRule, segment};
    let filter = std::env::var("LEAF_SHEET_FILTER").unwrap_or_else(|_| "unlabelled".into());
    let out = std::env::var("LEAF_SHEET").unwrap_or_else(|_| "/tmp/leaf_sheet.png".into());
    let picked: Vec<_> = photos()
        .into_iter()
        .filter(|(_, p)| filter.split(',').any(|f| p.to_string_lossy().contains(f)))
        .take(48)
        .collect();
    let side = 256u32;
    let cols = 8u32;
    let rows = (picked.len() as u32).div_ceil(cols / 2).max(1);
    let mut sheet = image::RgbImage::new(cols * side, rows * side);
    for (k, (_, path)) in picked.iter().enumerate() {
        let p = prepare_file(path).unwrap();
        let mask = segment(&p.image, &SegmentRule::default());
        let (x0, y0) = (
            (k as u32 % (cols / 2)) * 2 * side,
            (k as u32 / (cols / 2)) * side,
        );
        for y in 0..side {
            for x in 0..side {
                let px = p.image.pixel(x, y);
                sheet.put_pixel(x0 + x, y0 + y, image::Rgb(px));
                let i = (y * side + x) as usize;
                let glare = yannong_core::leaf::is_glare(px);
                let m = if mask.leaf[i] {
                    [40, 200, 40]
                } else if glare && (mask.near[i] || mask.enclosed[i]) {
                    [230, 30, 30]
                } else if mask.enclosed[i] {
                    [40, 40, 230]
                } else {
                    [px[0] / 4, px[1] / 4, px[2] / 4]
                };
                sheet.put_pixel(x0 + side + x, y0 + y, image::Rgb(m));
            }
        }
        println!("{k:>2}: {}", path.file_name().unwrap().to_string_lossy());
    }
    sheet.save(&out).unwrap();
    println!("wrote {out}");
}

/// Per subset-B photo: share of leaf pixels per h_ab band, to place the yellow band.
#[test]
#[ignore = "prints measurements; run by hand"]
fn hue_bands() {
    use yannong_core::leaf::{SegmentRule, hue_angle, segment, srgb_to_lab};
    let edges = [
        0.0, 90.0, 95.0, 100.0, 105.0, 110.0, 115.0, 120.0, 130.0, 360.0,
    ];
    println!(
        "{:>8} {}",
        "photo",
        edges
            .windows(2)
            .map(|e| format!("{:>4}-{:<4}", e[0], e[1]))
            .collect::<String>()
    );
    for (_, path) in photos().iter().filter(|(l, _)| l == "unlabelled") {
        let p = prepare_file(path).unwrap();
        let mask = segment(&p.image, &SegmentRule::default());
        let mut bins = [0u32; 9];
        let mut n = 0;
        for (px, _) in p.image.pixels().zip(&mask.leaf).filter(|(_, l)| **l) {
            let [_, a, b] = srgb_to_lab(px);
            let h = hue_angle(a, b);
            let k = edges
                .windows(2)
                .position(|e| h >= e[0] && h < e[1])
                .unwrap_or(8);
            bins[k] += 1;
            n += 1;
        }
        let name = path.file_name().unwrap().to_string_lossy();
        println!(
            "{name:>8} {}",
            bins.iter()
                .map(|&b| format!("{:>9.2}", b as f32 / n.max(1) as f32))
                .collect::<String>()
        );
    }
}
