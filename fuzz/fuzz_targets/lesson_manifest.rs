//! The lesson-pack manifest parser (`Manifest::from_json`): any bytes give a manifest or a
//! typed error, never a panic; a manifest that parses survives its canonical form (what the
//! builder writes and the platform signs) unchanged, and that form is a fixed point.

#![no_main]

use libfuzzer_sys::fuzz_target;
use yannong_core::lessons::Manifest;

fuzz_target!(|data: &[u8]| {
    let manifest = match Manifest::from_json(data) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let canonical = manifest.to_json();
    let again = Manifest::from_json(&canonical).expect("a valid manifest's canonical form parses");
    assert_eq!(again, manifest, "the canonical form changed the manifest");
    assert_eq!(
        again.to_json(),
        canonical,
        "the canonical form is not a fixed point"
    );
    let _ = manifest.required_bytes();
});
