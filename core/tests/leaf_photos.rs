//! The leaf check on the real development photos (shared/data/leaf) and on degraded copies.

#![allow(clippy::unwrap_used)]

mod leaf_support;

use leaf_support::{Degrade, data_dir, load, photos, prepare_file, prepare_rgba};
use yannong_core::curing::Maturity;
use yannong_core::leaf::{Check, Frame, Pixels, PrepareOptions, TensorSpec, YuvRange, prepare};

#[test]
fn every_photo_decodes_and_most_pass_the_gate() {
    let all = photos();
    assert_eq!(all.len(), 606, "manifest changed");
    let (mut seen, mut passed) = ([0usize; 2], [0usize; 2]);
    for (label, path) in &all {
        let p = prepare_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!((p.image.width(), p.image.height()), (256, 256));
        let subset = usize::from(label == "unlabelled");
        seen[subset] += 1;
        passed[subset] += usize::from(p.quality.passed());
        assert_eq!(
            p.maturity.is_some(),
            p.quality.passed() && p.colour.is_some()
        );
    }
    // Measured with the default thresholds: A 94.4 %, B 88.6 % (docs/leaf-quality-gate.md).
    let rate = |i: usize| passed[i] as f32 / seen[i] as f32;
    assert!(rate(0) >= 0.90, "subset A pass rate {}", rate(0));
    assert!(rate(1) >= 0.85, "subset B pass rate {}", rate(1));
}

#[test]
fn good_photos_pass_and_degraded_copies_fail_with_the_right_hint() {
    // i1: green leaf in the field; i77: yellow leaf; the first alternaria photo: a 640 px
    // close-up with spots.
    let first_a = photos()
        .into_iter()
        .find(|(l, _)| l == "alternaria")
        .unwrap()
        .1;
    for path in [
        data_dir().join("images/unlabelled/i1.jpg"),
        data_dir().join("images/unlabelled/i77.jpg"),
        first_a,
    ] {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let good = prepare_file(&path).unwrap();
        assert!(good.quality.passed(), "{name}: {:?}", good.quality.failures);
        let img = load(&path);
        for d in Degrade::ALL {
            if d == Degrade::Motion {
                // A 3 % smear is caught in ~63 % of photos only (see the rate test and the
                // docs): i1 measures 19.6 / 4.2 and i77 252 / 12.4 against 10 / 3.
                continue;
            }
            let q = prepare_rgba(&d.apply(&img)).unwrap().quality;
            let first = q
                .most_important()
                .unwrap_or_else(|| panic!("{name} {d:?} passed: {:?}", q.metrics));
            // A blown-out leaf may read as glare on the leaf first: that hint fits too.
            let ok =
                first.check == expected(d) || (d == Degrade::Bright && first.check == Check::Glare);
            assert!(ok, "{name} {d:?}: {:?}", q.failures);
            assert_eq!(first.hint, first.check.hint());
        }
    }
}

fn expected(d: Degrade) -> Check {
    match d {
        Degrade::Gaussian | Degrade::Motion => Check::Blurry,
        Degrade::Dark => Check::TooDark,
        Degrade::Bright => Check::TooBright,
        Degrade::TinyLeaf => Check::NoLeaf,
        Degrade::Glare => Check::Glare,
    }
}

#[test]
fn degraded_copies_fail_across_the_set() {
    // Every 20th photo that passes as it is; the rates the docs report are over every second.
    let sample: Vec<_> = photos()
        .into_iter()
        .step_by(20)
        .filter(|(_, p)| prepare_file(p).unwrap().quality.passed())
        .map(|(_, p)| load(&p))
        .collect();
    assert!(sample.len() >= 25);
    // Shake is the hardest: a 3 % smear leaves texture across it (measured ~63 % caught).
    let floors = [
        (Degrade::Gaussian, 0.9),
        (Degrade::Motion, 0.5),
        (Degrade::Dark, 0.95),
        (Degrade::Bright, 0.75),
        (Degrade::TinyLeaf, 0.95),
        (Degrade::Glare, 0.8),
    ];
    for (d, floor) in floors {
        let hits = sample
            .iter()
            .filter(|img| {
                let q = prepare_rgba(&d.apply(img)).unwrap().quality;
                // A blown-out leaf reads as glare on the leaf: either hint fits.
                q.failed(expected(d)) || (d == Degrade::Bright && q.failed(Check::Glare))
            })
            .count();
        let rate = hits as f32 / sample.len() as f32;
        assert!(rate >= floor, "{d:?}: {rate} < {floor}");
    }
    // The glare blobs sit at fixed places; off the leaf they are a bright background (measured
    // 89 % Glare, the rest TooBright), but every copy must fail one way or the other.
    let glare_caught = sample
        .iter()
        .filter(|img| {
            let q = prepare_rgba(&Degrade::Glare.apply(img)).unwrap().quality;
            q.failed(Check::Glare) || q.failed(Check::TooBright)
        })
        .count();
    assert!(
        glare_caught as f32 >= 0.9 * sample.len() as f32,
        "{glare_caught}"
    );
}

#[test]
fn colour_rule_reads_green_and_yellow_leaves() {
    let est = |name: &str| {
        let p = prepare_file(&data_dir().join("images/unlabelled").join(name)).unwrap();
        p.maturity.unwrap()
    };
    let green = est("i1.jpg");
    assert_eq!((green.likely, green.sure), (Maturity::Unripe, true));
    assert!(
        green.explanation.zh.contains("叶色绿"),
        "{}",
        green.explanation.zh
    );
    let yellow = est("i77.jpg");
    assert_eq!(yellow.likely, Maturity::Ripe);
    assert!(
        yellow.explanation.zh.contains("成黄"),
        "{}",
        yellow.explanation.zh
    );
}

/// The same photo handed over as a camera would (NV21 inside a larger 16:9 frame) gives the
/// same verdict and nearly the same colour as the JPEG.
#[test]
fn a_photo_through_the_camera_path_matches_the_gallery_path() {
    let path = data_dir().join("images/unlabelled/i77.jpg");
    let img = load(&path);
    let (pw, ph) = (img.width() as usize & !1, img.height() as usize & !1);
    let side = pw.min(ph);
    let (fw, fh) = ((side * 16 / 9) & !1, side);
    let mut y = vec![0u8; fw * fh];
    let mut vu = vec![128u8; fw * fh / 2];
    let (ox, oy) = ((fw - side) / 2, (ph - side) / 2);
    let px0 = (pw - side) / 2;
    for fy in 0..fh {
        for fx in 0..fw {
            let sx = (fx as i64 - ox as i64 + px0 as i64).clamp(0, pw as i64 - 1) as u32;
            let p = img.get_pixel(sx, (fy + oy) as u32);
            let [r, g, b] = [p[0], p[1], p[2]].map(f32::from);
            y[fy * fw + fx] = (0.299 * r + 0.587 * g + 0.114 * b).round() as u8;
            if fx % 2 == 0 && fy % 2 == 0 {
                let i = (fy / 2) * fw + fx;
                vu[i] = (128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b).round() as u8;
                vu[i + 1] = (128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b).round() as u8;
            }
        }
    }
    y.extend(vu);
    let frame = Frame::new(Pixels::Nv21 {
        width: fw as u32,
        height: fh as u32,
        data: &y,
        range: YuvRange::Full,
    });
    let opts = PrepareOptions {
        roi_fraction: 1.0,
        ..PrepareOptions::default()
    };
    let camera = prepare(&frame, &opts).unwrap();
    let gallery = prepare_file(&path).unwrap();
    assert_eq!(camera.quality.passed(), gallery.quality.passed());
    let (c, g) = (camera.colour.unwrap(), gallery.colour.unwrap());
    assert!(
        (c.hue_deg - g.hue_deg).abs() < 3.0,
        "{} vs {}",
        c.hue_deg,
        g.hue_deg
    );
    assert!((c.yellowing() - g.yellowing()).abs() < 0.1);
    let spec = TensorSpec::default();
    let mut t = vec![0f32; spec.len()];
    camera.write_tensor(&spec, &mut t).unwrap();
    assert!(t.iter().all(|v| v.is_finite()));
}
