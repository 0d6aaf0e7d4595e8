//! Signed model updates on the phone (leaf::model::ModelShelf): verified before use, switched
//! whole, rolled back, and a damaged or interrupted install never leaves the check without a
//! model.

#![allow(clippy::unwrap_used)] // a test fails loudly

use std::path::{Path, PathBuf};

use yannong_core::leaf::model::{
    LeafModel, MANIFEST_FILE, ModelError, ModelManifest, ModelShelf, ModelSource,
};
use yannong_core::lessons::{PackSigner, TrustedKeys};

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/leaf")
}

/// The shipped model as the app's bundled version 1, in `dir` (made once), so the versions
/// below count updates whatever version ships.
fn bundled_v1(dir: &Path) -> PathBuf {
    let to = dir.join("bundled");
    if !to.exists() {
        std::fs::create_dir_all(&to).unwrap();
        let (manifest, _, _) = release(1, &signer(7), &to);
        std::fs::write(to.join(MANIFEST_FILE), manifest).unwrap();
        std::fs::rename(to.join("download-v1.nnef.tar"), to.join("leaf.nnef.tar")).unwrap();
    }
    to
}

fn signer(seed: u8) -> PackSigner {
    PackSigner::from_seed([seed; 32])
}

/// The shipped model re-released as `version`, signed; the ONNX file written to `dir`.
fn release(version: u32, by: &PackSigner, dir: &Path) -> (Vec<u8>, Vec<u8>, PathBuf) {
    let bytes = std::fs::read(shipped().join(MANIFEST_FILE)).unwrap();
    let mut m = ModelManifest::from_json(&bytes).unwrap();
    m.version = version;
    let manifest = serde_json::to_vec_pretty(&m).unwrap();
    let signature = by.sign(&manifest);
    let model = dir.join(format!("download-v{version}.nnef.tar"));
    std::fs::copy(shipped().join("leaf.nnef.tar"), &model).unwrap();
    (manifest, signature, model)
}

fn shelf(root: &Path) -> ModelShelf {
    let keys = TrustedKeys::from_hex([signer(7).public_key_hex().as_str()]).unwrap();
    ModelShelf::open(root, keys, Some(bundled_v1(root.parent().unwrap()))).unwrap()
}

#[test]
fn updates_install_whole_and_roll_back_to_the_bundled_model() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("models");
    let shelf = shelf(&root);
    let active = shelf.active().unwrap();
    assert_eq!((active.source, active.version), (ModelSource::Bundled, 1));

    let (m, s, f) = release(2, &signer(7), tmp.path());
    assert_eq!(shelf.install(&m, &s, &f).unwrap(), 2);
    assert!(!f.exists(), "the download is consumed");
    let (model, active) = shelf.load().unwrap();
    assert_eq!(
        (active.source, model.manifest().version),
        (ModelSource::Installed, 2)
    );

    let (m, s, f) = release(3, &signer(7), tmp.path());
    shelf.install(&m, &s, &f).unwrap();
    assert!(root.join("v2").is_dir() && root.join("v3").is_dir());
    let (m, s, f) = release(4, &signer(7), tmp.path());
    shelf.install(&m, &s, &f).unwrap();
    assert!(
        !root.join("v2").exists(),
        "only the version in use and the one before are kept"
    );

    assert_eq!(shelf.rollback().unwrap(), 3);
    assert!(!root.join("v4").exists());
    assert_eq!(shelf.load().unwrap().0.manifest().version, 3);
    // A restarted app sees the same.
    drop(shelf);
    let shelf = self::shelf(&root);
    assert_eq!(shelf.active().unwrap().version, 3);
    assert_eq!(shelf.rollback().unwrap(), 1);
    assert_eq!(shelf.active().unwrap().source, ModelSource::Bundled);
    assert!(matches!(shelf.rollback(), Err(ModelError::Manifest(_))));
}

#[test]
fn untrusted_tampered_old_or_mismatched_updates_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("models");
    let shelf = shelf(&root);
    let (m, s, f) = release(2, &signer(7), tmp.path());
    shelf.install(&m, &s, &f).unwrap();

    let (m, s, f) = release(5, &signer(9), tmp.path());
    assert!(matches!(
        shelf.install(&m, &s, &f),
        Err(ModelError::Integrity(_))
    ));

    let (mut m, s, f) = release(5, &signer(7), tmp.path());
    let mut changed: serde_json::Value = serde_json::from_slice(&m).unwrap();
    changed["heads"][0]["not_sure"]["min_probability"] = 0.10.into();
    let text = serde_json::to_vec_pretty(&changed).unwrap();
    assert_ne!(text, m, "the test changes a threshold");
    m = text;
    assert!(matches!(
        shelf.install(&m, &s, &f),
        Err(ModelError::Integrity(_))
    ));

    let (m, s, f) = release(2, &signer(7), tmp.path());
    let err = shelf.install(&m, &s, &f).unwrap_err();
    assert!(err.to_string().contains("not newer"), "{err}");

    let (m, s, f) = release(6, &signer(7), tmp.path());
    let mut model = std::fs::read(&f).unwrap();
    model[1000] ^= 1;
    std::fs::write(&f, &model).unwrap();
    assert!(matches!(
        shelf.install(&m, &s, &f),
        Err(ModelError::Integrity(_))
    ));

    assert_eq!(shelf.active().unwrap().version, 2);
    let names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with(".staging")),
        "{names:?}"
    );
}

#[test]
fn a_damaged_install_falls_back_and_leftovers_are_swept() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("models");
    let shelf = shelf(&root);
    for v in [2, 3] {
        let (m, s, f) = release(v, &signer(7), tmp.path());
        shelf.install(&m, &s, &f).unwrap();
    }
    // Storage damaged the active copy: the check keeps working on the previous one.
    let model = root.join("v3/leaf.nnef.tar");
    let mut bytes = std::fs::read(&model).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&model, bytes).unwrap();
    let (model, used) = shelf.load().unwrap();
    assert_eq!((model.manifest().version, used.version), (2, 2));
    // … and without it, on the bundled model.
    std::fs::remove_file(root.join("v2/leaf.nnef.tar")).unwrap();
    assert_eq!(shelf.load().unwrap().1.source, ModelSource::Bundled);

    // An install killed before its switch leaves a staging folder: swept, pointer untouched.
    std::fs::create_dir_all(root.join(".staging-v9")).unwrap();
    std::fs::write(root.join(".staging-v9/leaf.nnef.tar"), b"half").unwrap();
    std::fs::create_dir_all(root.join("v8")).unwrap();
    drop(shelf);
    let shelf = self::shelf(&root);
    assert!(!root.join(".staging-v9").exists() && !root.join("v8").exists());
    assert_eq!(shelf.active().unwrap().version, 3);
    let _ = LeafModel::load(&shipped()).unwrap();
}
