//! Deflates the query-segmentation dictionary (`src/lessons/search/dict.txt`, 567 KB) into
//! `OUT_DIR`: the largest piece of data in the library, stored at about half the size
//! (docs/size.md) and inflated once, when search is first used.

use std::path::PathBuf;

const DICT: &str = "src/lessons/search/dict.txt";

fn main() {
    println!("cargo::rerun-if-changed={DICT}");
    let text = std::fs::read(DICT).unwrap_or_else(|e| panic!("reading {DICT}: {e}"));
    // Level 10 is miniz's best; the data is compressed once per build.
    let packed = miniz_oxide::deflate::compress_to_vec(&text, 10);
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let path = out.join("dict.txt.deflate");
    std::fs::write(&path, packed).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}
