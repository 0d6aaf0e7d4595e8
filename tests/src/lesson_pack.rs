//! Lesson packs for the end-to-end tests: a small pack with a large picture, built and signed
//! here, published on a [`TestPlatform`]'s shelf, and the phone-side pieces that fetch it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use yannong_core::barn::ClientConfig;
use yannong_core::lessons::download::{DownloadOptions, PackDownloader};
use yannong_core::lessons::{LessonLibrary, PackSigner, TrustedKeys, build_pack};
use yannong_core::store::Store;
use yannong_server::lessons::Shelf;

use crate::TestPlatform;

pub const PACK: &str = "field-lessons";
/// Incompressible picture bytes, so the transfer is long enough to cut and resume.
pub const PICTURE_BYTES: usize = 600 * 1024;

pub fn signer() -> PackSigner {
    PackSigner::from_seed([5; 32])
}

pub fn keys() -> TrustedKeys {
    TrustedKeys::from_hex([signer().public_key_hex().as_str()]).unwrap()
}

/// A pack folder for `version`: three lessons, a large picture and an optional video;
/// `note` changes lesson 3.
pub fn content(dir: &Path, version: u32, note: &str) -> Vec<u8> {
    let write = |rel: &str, data: &[u8]| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    };
    write(
        "pack.toml",
        format!(
            "id = \"{PACK}\"\nversion = {version}\nlanguage = \"zh-Hans\"\n\
             title = \"田间课程\"\ntitle_en = \"Field lessons\"\n"
        )
        .as_bytes(),
    );
    let lesson = |id: &str, title: &str, body: &str| {
        format!(
            "+++\nid = \"{id}\"\ntitle = \"{title}\"\ntitle_en = \"{id}\"\n\
             tags = [\"烘烤\"]\nminutes = 3\n+++\n# {title}\n\n{body}\n"
        )
    };
    write(
        "lessons/01-yellowing.md",
        lesson(
            "yellowing",
            "变黄期怎么烤",
            "干球 38 ℃，湿球 36 ℃。![曲线](images/field.png)",
        )
        .as_bytes(),
    );
    write(
        "lessons/02-fixing.md",
        lesson("fixing", "定色期怎么烤", "每 2–3 小时升 1 ℃。").as_bytes(),
    );
    write(
        "lessons/03-drying.md",
        lesson("drying", "干筋期怎么烤", note).as_bytes(),
    );
    // The same picture and video for every version.
    let picture = noise(0x2026, PICTURE_BYTES);
    write("images/field.png", &picture);
    write(MEDIA, &video());
    picture
}

/// The pack's optional video (not in the archive; fetched on request).
pub const MEDIA: &str = "media/field-visit.mp4";

pub fn video() -> Vec<u8> {
    noise(0x0b5e, 300 * 1024)
}

/// xorshift bytes: incompressible, the same for the same seed.
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Builds and publishes `version` of the test pack, with its video, on the platform's shelf.
pub fn publish(shelf: &Shelf, version: u32, note: &str) {
    let dir = tempfile::tempdir().unwrap();
    content(dir.path(), version, note);
    let (_, archive) = build_pack(dir.path(), &signer()).unwrap();
    shelf.publish(archive.as_slice()).unwrap();
    shelf
        .add_optional(PACK, version, MEDIA, video().as_slice())
        .unwrap();
}

/// A platform serving the test pack v1 from a shelf in its folder.
pub async fn platform() -> (TestPlatform, Arc<Shelf>) {
    let mut p = TestPlatform::start().await;
    let shelf = Arc::new(Shelf::open(&p.dir.path().join("shelf"), keys()).unwrap());
    publish(&shelf, 1, "干筋期升到 68 ℃。");
    p.platform = p.platform.clone().with_lessons(Arc::clone(&shelf));
    p.stop().await;
    p.restart().await;
    (p, shelf)
}

/// The phone's lesson library in `dir` (opening it again is what a restarted app does).
pub fn library(dir: &Path) -> Arc<LessonLibrary> {
    let store = Arc::new(Store::open_in_dir(dir).unwrap());
    Arc::new(LessonLibrary::open(store, dir.join("lessons"), keys()).unwrap())
}

pub fn downloader(url: String, options: DownloadOptions) -> PackDownloader {
    let config = ClientConfig {
        base_url: url,
        extra_roots_pem: None,
    };
    PackDownloader::new(&config, options).unwrap()
}

pub fn quick_retries() -> DownloadOptions {
    DownloadOptions {
        keep_free: 0,
        attempts: 4,
        first_retry: Duration::from_millis(20),
        ..DownloadOptions::default()
    }
}

pub fn downloads_dir(dir: &Path) -> PathBuf {
    dir.join("lessons/.downloads")
}

/// A phone with the pack the platform at `url` offers installed: its folder (keep it alive),
/// its library, and the downloader it used.
pub async fn phone_with_pack(
    url: String,
) -> (tempfile::TempDir, Arc<LessonLibrary>, PackDownloader) {
    let phone = tempfile::tempdir().unwrap();
    let lib = library(phone.path());
    let d = downloader(url, quick_retries());
    d.download(
        &lib,
        PACK,
        &mut |_| {},
        &yannong_core::cancel::Cancel::new(false),
    )
    .await
    .unwrap();
    (phone, lib, d)
}
