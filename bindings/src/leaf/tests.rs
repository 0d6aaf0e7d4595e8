//! The leaf FFI against the shipped model and real photos.

use std::path::Path;
use std::time::Duration;

use super::engine::check_options;
use super::*;
use crate::lesson_download::lock;
use crate::runtime::block_on;

fn model_dir() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../models/leaf")
        .display()
        .to_string()
}

/// As core/tests/leaf_support data_dir().
fn data_dir() -> PathBuf {
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

fn photo(label: &str) -> Vec<u8> {
    let dir = data_dir().join("images/disease").join(label);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("leaf photos missing at {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    std::fs::read(&files[0]).unwrap()
}

fn engine() -> Arc<LeafCheckEngine> {
    block_on(LeafCheckEngine::open(Some(model_dir()), "en".into())).unwrap()
}

#[test]
fn a_result_turns_back_into_the_core_answer() {
    let engine = engine();
    assert!(engine.model().is_some());
    let opts = LeafCheckOptions {
        roi_fraction: 1.0,
        ..LeafCheckOptions::default()
    };
    let mut saw_disease = false;
    for label in ["alternaria", "cercospora", "healthy"] {
        let frame = LeafFrame::photo(&photo(label));
        let core = engine
            .checker
            .check(
                &frame.frame(),
                &check_options(&opts, Locale::En).unwrap(),
                &Cancel::new(false),
            )
            .unwrap();
        let r = block_on(engine.check(frame, opts)).unwrap();
        assert_eq!(answer(&r, Locale::En).unwrap(), core, "{label}");
        assert_eq!(r.json, answer_json(&core).to_string());
        saw_disease |= r.disease.is_some();
    }
    assert!(saw_disease, "the model ran on at least one photo");
}

#[test]
fn bad_frames_are_invalid_input() {
    let engine = block_on(LeafCheckEngine::open(None, "zh-CN".into())).unwrap();
    assert!(engine.model().is_none());
    let opts = LeafCheckOptions::default();
    let cases = [
        (LeafFrame::photo(b"not a photo at all"), "photo"),
        (LeafFrame::photo(&photo("healthy")[..600]), "photo"),
        (LeafFrame::nv21(&[0; 10], 4, 4, 0).unwrap(), "nv21"),
        (
            LeafFrame::rgba(&[0; 64], 4, 4, 8, 90).unwrap(),
            "row_stride",
        ),
        (
            LeafFrame::yuv420(&[0; 16], &[0; 4], &[0; 4], 4, 4, 4, 2, 3, 0).unwrap(),
            "pixel_stride",
        ),
    ];
    for (frame, field) in cases {
        let e = block_on(engine.check(frame, opts)).unwrap_err();
        assert!(
            matches!(&e, YannongError::InvalidInput { field: Some(f), .. } if f == field),
            "{field}: {e:?}"
        );
    }
    let rotation = LeafFrame::nv21(&[0; 24], 4, 4, 45).unwrap_err();
    assert!(
        matches!(rotation, YannongError::InvalidInput { field: Some(f), .. } if f == "rotation_degrees")
    );
    let negative = LeafFrame::bgra(&[], -4, 4, 16, 0).unwrap_err();
    assert!(matches!(negative, YannongError::InvalidInput { field: Some(f), .. } if f == "width"));
    let roi = LeafCheckOptions {
        roi_fraction: f64::NAN,
        ..opts
    };
    let e = block_on(engine.check(LeafFrame::photo(&photo("healthy")), roi)).unwrap_err();
    assert!(
        matches!(&e, YannongError::InvalidInput { field: Some(f), .. } if f == "roi_fraction"),
        "{e:?}"
    );
    let missing = block_on(LeafCheckEngine::open(
        Some("/nonexistent/leaf".into()),
        "en".into(),
    ));
    assert!(matches!(missing, Err(YannongError::NotFound { .. })));
}

#[test]
fn cancel_stops_running_checks_only() {
    let engine = engine();
    let bytes = photo("alternaria");
    let opts = LeafCheckOptions::default();
    // Cancel while checks run: each ends Cancelled or, if it finished first, with an answer.
    let rt = crate::runtime::runtime();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (engine, frame) = (Arc::clone(&engine), LeafFrame::photo(&bytes));
            rt.spawn(async move { engine.check(frame, opts).await })
        })
        .collect();
    // Cancel once all four are registered (they start on the runtime's workers).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while lock(&engine.running).len() < 4 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    engine.cancel();
    let mut cancelled = 0;
    for t in tasks {
        match block_on(t).unwrap() {
            Err(YannongError::Cancelled) => cancelled += 1,
            Ok(_) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    assert!(cancelled > 0, "at least one check saw the cancel");
    assert!(lock(&engine.running).is_empty());
    // A check after the cancel runs normally.
    block_on(engine.check(LeafFrame::photo(&bytes), opts)).unwrap();
}

#[test]
fn history_roundtrip() {
    let dir = tempfile::tempdir().unwrap();
    let y = block_on(Yannong::open(crate::YannongConfig {
        data_dir: dir.path().display().to_string(),
        locale: "en".into(),
    }))
    .unwrap();
    let engine = engine();
    let opts = LeafCheckOptions {
        roi_fraction: 1.0,
        ..LeafCheckOptions::default()
    };
    let r = block_on(engine.check(LeafFrame::photo(&photo("cercospora")), opts)).unwrap();
    let id = block_on(y.save_leaf_check(r.clone())).unwrap();
    let list = block_on(y.leaf_checks(10, None)).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, id);
    assert_eq!(list[0].verdict, r.verdict);
    assert_eq!(list[0].disease, r.disease.as_ref().map(|d| d.id.clone()));
    let detail = block_on(y.leaf_check_detail(id)).unwrap().unwrap();
    assert_eq!(detail.json, r.json);
    assert_eq!(detail.thumbnail, r.thumbnail);
    assert!(block_on(y.set_leaf_check_note(id, "东地块".into())).unwrap());
    assert_eq!(block_on(y.leaf_checks(10, None)).unwrap()[0].note, "东地块");
    assert!(block_on(y.remove_leaf_check(id)).unwrap());
    assert!(!block_on(y.remove_leaf_check(id)).unwrap());
    assert!(block_on(y.leaf_check_detail(id)).unwrap().is_none());
    let mut tampered = r;
    if let Some(d) = tampered.disease.as_mut() {
        d.id = "nonsense".into();
        let e = block_on(y.save_leaf_check(tampered)).unwrap_err();
        assert!(matches!(e, YannongError::InvalidInput { .. }), "{e:?}");
    }
}
