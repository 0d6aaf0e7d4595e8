//! The simulated camera picture decodes, is small, carries the SIMULATED banner and its leaf
//! colour follows the cure: green, then yellow, then orange once dry.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use yannong_core::Timestamp;
use yannong_core::curing::builtin_recipe;
use yannong_server::sim::{BarnParams, SimBarn};

const START: Timestamp = Timestamp(1_719_964_800_000);

/// Mean (R, G, B) of the leaf area (below the banner).
fn leaf_colour(jpeg: &[u8]) -> (f64, f64, f64) {
    let img = image::load_from_memory(jpeg).unwrap().to_rgb8();
    assert_eq!((img.width(), img.height()), (320, 240));
    let (mut r, mut g, mut b, mut n) = (0.0, 0.0, 0.0, 0.0);
    for (_, y, p) in img.enumerate_pixels() {
        if y < 40 {
            continue;
        }
        // Leaves only: the dim background is darker than any leaf.
        let sum = f64::from(p[0]) + f64::from(p[1]) + f64::from(p[2]);
        if sum < 200.0 {
            continue;
        }
        r += f64::from(p[0]);
        g += f64::from(p[1]);
        b += f64::from(p[2]);
        n += 1.0;
    }
    assert!(n > 5000.0, "leaves cover the picture ({n} px)");
    (r / n, g / n, b / n)
}

fn banner_is_striped(jpeg: &[u8]) -> bool {
    let img = image::load_from_memory(jpeg).unwrap().to_rgb8();
    let row: Vec<u8> = (0..320).map(|x| img.get_pixel(x, 3)[1]).collect();
    let bright = row.iter().filter(|&&v| v > 150).count();
    let dark = row.iter().filter(|&&v| v < 60).count();
    bright > 60 && dark > 60
}

#[test]
fn leaf_colour_moves_from_green_to_yellow_to_orange() {
    let mut barn = SimBarn::new(
        BarnParams::default(),
        builtin_recipe("middle").unwrap(),
        START,
        5,
    );
    let fresh = barn.camera_jpeg(320, 240);
    assert!(
        fresh.len() > 2_000 && fresh.len() < 30_000,
        "{} bytes",
        fresh.len()
    );
    assert!(banner_is_striped(&fresh), "SIMULATED banner");
    let (r0, g0, _) = leaf_colour(&fresh);
    while barn.current_step() < 3 {
        barn.advance(Duration::from_secs(600));
    }
    let (r1, g1, _) = leaf_colour(&barn.camera_jpeg(320, 240));
    while !barn.finished() {
        barn.advance(Duration::from_secs(600));
    }
    let (r2, g2, b2) = leaf_colour(&barn.camera_jpeg(320, 240));
    eprintln!(
        "G−R fresh {:.0}, yellowed {:.0}, cured {:.0}",
        g0 - r0,
        g1 - r1,
        g2 - r2
    );
    assert!(g0 > r0, "fresh leaves are green");
    assert!(
        r1 > g0 - 10.0 && g1 - r1 < g0 - r0 - 40.0,
        "yellowed leaves lose their green"
    );
    assert!(r2 > g2 + 30.0 && g2 > b2, "cured leaves are orange");
}

#[test]
fn pictures_are_deterministic_per_barn() {
    let make = |seed| {
        SimBarn::new(
            BarnParams::default(),
            builtin_recipe("middle").unwrap(),
            START,
            seed,
        )
    };
    assert_eq!(make(1).camera_jpeg(320, 240), make(1).camera_jpeg(320, 240));
    assert_ne!(make(1).camera_jpeg(320, 240), make(2).camera_jpeg(320, 240));
    assert!(!make(1).camera_jpeg(64, 48).is_empty());
}
