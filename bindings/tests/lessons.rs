//! Lessons through the FFI surface: install a signed pack file, read, link, progress.

#![allow(clippy::unwrap_used)] // test helpers may panic

use std::path::Path;
use std::sync::Arc;

use yannong_core::lessons::{PackSigner, build_pack};
use yannong_ffi::*;

mod common;
use common::block_on;

const SEED: [u8; 32] = [3; 32];

/// The default pack, built and signed into `dir`; returns its path.
fn default_pack(dir: &Path) -> String {
    let content = concat!(env!("CARGO_MANIFEST_DIR"), "/../content/default");
    let (_, archive) = build_pack(Path::new(content), &PackSigner::from_seed(SEED)).unwrap();
    let path = dir.join("default.ynpack");
    std::fs::write(&path, archive).unwrap();
    path.display().to_string()
}

fn open(dir: &Path) -> (Arc<Yannong>, Arc<Lessons>) {
    let y = block_on(Yannong::open(YannongConfig {
        data_dir: dir.join("data").display().to_string(),
        locale: "zh-CN".into(),
    }))
    .unwrap();
    let key = PackSigner::from_seed(SEED).public_key_hex();
    let lessons = block_on(y.lessons(vec![key])).unwrap();
    (y, lessons)
}

#[test]
fn install_read_link_and_track_progress() {
    let dir = tempfile::tempdir().unwrap();
    let pack = default_pack(dir.path());
    let (_y, lessons) = open(dir.path());
    let installed = block_on(lessons.install_pack_file(pack.clone())).unwrap();
    assert_eq!(
        (installed.id.as_str(), installed.version, installed.lessons),
        ("yannong-default", 1, 25)
    );
    assert_eq!(installed.title.text, "烟叶生产技术小课堂");
    assert_eq!(
        block_on(lessons.install_pack_file(pack)).unwrap().version,
        1,
        "reinstall is a no-op"
    );

    let all = block_on(lessons.list()).unwrap();
    assert_eq!(all.len(), 25);
    let power = block_on(lessons.lessons_for(LessonLinkKind::Alarm, "A09".into())).unwrap();
    assert!(
        power.iter().any(|l| l.title.zh.contains("停电")),
        "{power:?}"
    );

    let hits = block_on(lessons.search("烘烤变黄".into(), 5)).unwrap();
    assert_eq!(hits[0].title, "变黄期怎么烤");
    assert!(
        hits[0].title_html.contains("<mark>"),
        "{}",
        hits[0].title_html
    );
    assert!(!block_on(lessons.search("hk".into(), 5)).unwrap().is_empty());
    assert!(block_on(lessons.search("\"); DROP TABLE lessons;--".into(), 5)).is_ok());

    let first = &all[0];
    let html =
        block_on(lessons.lesson_html(first.pack_id.clone(), first.lesson_id.clone())).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("default-src 'none'"));

    block_on(lessons.record_progress(first.pack_id.clone(), first.lesson_id.clone(), 0.5, false))
        .unwrap();
    let next = block_on(lessons.continue_reading()).unwrap().unwrap();
    assert_eq!(next.lesson_id, first.lesson_id);
    assert_eq!(next.progress.unwrap().position, 0.5);

    block_on(lessons.remove_pack("yannong-default".into())).unwrap();
    assert!(block_on(lessons.installed_packs()).unwrap().is_empty());
    assert!(matches!(
        block_on(lessons.remove_pack("yannong-default".into())),
        Err(YannongError::NotFound { .. })
    ));
}

#[test]
fn tampered_or_foreign_packs_are_integrity_errors() {
    let dir = tempfile::tempdir().unwrap();
    let pack = default_pack(dir.path());
    let (y, lessons) = open(dir.path());
    let mut bytes = std::fs::read(&pack).unwrap();
    let stop = "。".as_bytes();
    let at = bytes.windows(3).rposition(|w| w == stop).unwrap();
    bytes[at + 2] = 0x81;
    std::fs::write(&pack, &bytes).unwrap();
    assert!(matches!(
        block_on(lessons.install_pack_file(pack.clone())),
        Err(YannongError::Integrity { .. })
    ));

    let stranger =
        block_on(y.lessons(vec![PackSigner::from_seed([4; 32]).public_key_hex()])).unwrap();
    let good = default_pack(dir.path());
    assert!(matches!(
        block_on(stranger.install_pack_file(good)),
        Err(YannongError::Integrity { .. })
    ));
    assert!(block_on(lessons.installed_packs()).unwrap().is_empty());

    let bad_key = block_on(y.lessons(vec!["not hex".into()])).unwrap_err();
    assert!(
        matches!(bad_key, YannongError::InvalidInput { field: Some(f), .. } if f == "trusted_keys")
    );
    let missing =
        block_on(lessons.install_pack_file(dir.path().join("nope.ynpack").display().to_string()));
    assert!(
        matches!(missing, Err(YannongError::InvalidInput { field: Some(f), .. }) if f == "path")
    );
    let no_keys = block_on(y.lessons(vec![])).unwrap_err();
    assert!(
        matches!(no_keys, YannongError::InvalidInput { field: Some(f), .. } if f == "trusted_keys")
    );
}
