//! The FFI surface as Kotlin and Swift see it, driven from Rust: error mapping, locale,
//! time types and cancellation.

#![allow(clippy::unwrap_used)] // test helpers may panic

use std::time::{Duration, SystemTime};

use yannong_ffi::*;

mod common;
use common::block_on;

fn open(dir: &std::path::Path, locale: &str) -> std::sync::Arc<Yannong> {
    block_on(Yannong::open(YannongConfig {
        data_dir: dir.display().to_string(),
        locale: locale.to_owned(),
    }))
    .unwrap()
}

fn timeline(recipe_id: &str) -> CureTimeline {
    CureTimeline {
        recipe_id: recipe_id.to_owned(),
        start: SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000),
        ambient_c: None,
        step_advances: vec![],
    }
}

#[test]
fn recipes_carry_localized_text_and_durations() {
    let dir = tempfile::tempdir().unwrap();
    let y = open(dir.path(), "en-US");
    let recipes = block_on(y.list_recipes()).unwrap();
    let ids: Vec<_> = recipes.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["lower", "middle", "upper"]);
    let middle = &recipes[1];
    assert_eq!(middle.name.text, middle.name.en);
    assert_eq!(middle.steps[0].stage, CuringStage::Yellowing);
    assert_eq!(middle.steps[0].hold_nominal, Duration::from_secs(8 * 3600));
    assert_eq!(
        middle.nominal_duration,
        Duration::from_secs(157 * 3600 + 1800)
    );
    let zh = open(dir.path(), "zh-CN");
    assert_eq!(
        block_on(zh.get_recipe("middle".into())).unwrap().name.text,
        "中部叶三段式烘烤"
    );
}

#[test]
fn invalid_recipe_is_invalid_input_naming_step_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let y = open(dir.path(), "zh");
    let mut json = block_on(y.export_recipe("middle".into())).unwrap();
    json = json.replacen("\"id\": \"middle\"", "\"id\": \"mine\"", 1);
    json = json.replacen("\"wet_bulb_c\": 35.5", "\"wet_bulb_c\": 39.5", 1);
    match block_on(y.import_recipe(json)) {
        Err(YannongError::InvalidInput {
            detail,
            field,
            step,
        }) => {
            assert_eq!(field.as_deref(), Some("wet_bulb_c"));
            assert_eq!(step, Some(1));
            assert!(detail.starts_with("第 2 步（Y1）"), "{detail}");
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[test]
fn not_found_and_built_in_protection() {
    let dir = tempfile::tempdir().unwrap();
    let y = open(dir.path(), "en");
    assert!(matches!(
        block_on(y.get_recipe("nope".into())),
        Err(YannongError::NotFound { .. })
    ));
    assert!(matches!(
        block_on(y.delete_recipe("middle".into())),
        Err(YannongError::InvalidInput { field: Some(f), .. }) if f == "id"
    ));
}

#[test]
fn curve_and_deviations_use_system_time() {
    let dir = tempfile::tempdir().unwrap();
    let y = open(dir.path(), "en");
    let t = timeline("middle");
    let curve = block_on(y.expected_curve(t.clone(), Duration::from_secs(3600))).unwrap();
    assert_eq!(curve.points[0].time, t.start);
    assert_eq!(curve.points[0].dry_bulb_c, 25.0);
    assert_eq!(curve.end, t.start + Duration::from_secs(157 * 3600 + 1800));
    assert_eq!(curve.points.last().unwrap().time, curve.end);
    // Ten hours in, Y0's ramp from 25 °C at 1 °C/h has just reached 35 °C.
    let p10 = curve.points[10];
    assert_eq!((p10.dry_bulb_c, p10.wet_bulb_c, p10.step), (35.0, 33.5, 0));

    let hot = Reading {
        time: t.start + Duration::from_secs(10 * 3600),
        dry_bulb_c: 38.0,
        wet_bulb_c: 33.5,
    };
    let report = block_on(y.deviations(t, vec![hot])).unwrap();
    assert_eq!(report.readings.len(), 1);
    assert_eq!(report.readings[0].dry_bulb_delta_c, 3.0);
    assert!(!report.readings[0].within_tolerance);
    assert_eq!(report.steps[0].readings, 1);
    assert_eq!(report.steps[0].within_tolerance_share, Some(0.0));
}

#[test]
fn bad_curve_requests_are_invalid_input() {
    let dir = tempfile::tempdir().unwrap();
    let y = open(dir.path(), "en");
    let too_fine = block_on(y.expected_curve(timeline("middle"), Duration::from_millis(10)));
    assert!(
        matches!(too_fine, Err(YannongError::InvalidInput { field: Some(f), .. }) if f == "resolution")
    );
    let mut backwards = timeline("middle");
    backwards.step_advances = vec![backwards.start - Duration::from_secs(60)];
    let err = block_on(y.expected_curve(backwards, Duration::from_secs(60)));
    assert!(
        matches!(err, Err(YannongError::InvalidInput { field: Some(f), .. }) if f == "step_advances")
    );
}

#[test]
fn dropping_the_future_cancels_the_blocking_work() {
    let dir = tempfile::tempdir().unwrap();
    let y = open(dir.path(), "en");
    // Poll once, then drop: what a cancelled coroutine or Swift task does.
    block_on(async {
        let fut = y.expected_curve(timeline("upper"), Duration::from_secs(1));
        let _ = tokio::time::timeout(Duration::from_millis(1), fut).await;
    });
    // The object keeps working afterwards.
    assert_eq!(block_on(y.list_recipes()).unwrap().len(), 3);
}

#[test]
fn empty_data_dir_is_rejected() {
    let err = block_on(Yannong::open(YannongConfig {
        data_dir: " ".into(),
        locale: "en".into(),
    }))
    .unwrap_err();
    assert!(matches!(err, YannongError::InvalidInput { field: Some(f), .. } if f == "data_dir"));
}

#[test]
fn database_from_a_newer_app_is_a_storage_error() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path(), "en"));
    let db = dir.path().join("yannong.db");
    let conn = rusqlite_free_user_version_bump(&db);
    assert!(conn);
    let err = block_on(Yannong::open(YannongConfig {
        data_dir: dir.path().display().to_string(),
        locale: "en".into(),
    }))
    .unwrap_err();
    match err {
        YannongError::Storage { detail, disk_full } => {
            assert!(!disk_full);
            assert!(detail.contains("newer app version"), "{detail}");
        }
        other => panic!("expected Storage, got {other:?}"),
    }
}

/// Bumps SQLite's `user_version` (header bytes 60..64, big-endian) as a newer app would.
fn rusqlite_free_user_version_bump(db: &std::path::Path) -> bool {
    let mut bytes = std::fs::read(db).unwrap();
    let v = u32::from_be_bytes(bytes[60..64].try_into().unwrap());
    bytes[60..64].copy_from_slice(&(v + 5).to_be_bytes());
    std::fs::write(db, bytes).is_ok()
}
