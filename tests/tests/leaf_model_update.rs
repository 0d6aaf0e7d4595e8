//! A new leaf-check model from the platform to the phone: published signed, fetched through a
//! connection that keeps dropping, verified, switched, rolled back; a platform serving bytes
//! it did not sign changes nothing on the phone.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use yannong_core::barn::ClientConfig;
use yannong_core::cancel::Cancel;
use yannong_core::leaf::model::{
    MANIFEST_FILE, ModelManifest, ModelShelf, ModelSource, ModelUpdater, SIGNATURE_FILE,
    UpdateError,
};
use yannong_core::lessons::download::{DownloadPhase, DownloadProgress};
use yannong_e2e::TestPlatform;
use yannong_e2e::lesson_pack::{keys, quick_retries, signer};
use yannong_e2e::proxy::FlakyProxy;
use yannong_server::lessons::PublishedModels;

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/leaf")
}

/// The shipped model re-released as `version`, as a signed folder the platform publishes.
fn signed_release(version: u32, at: &Path) -> PathBuf {
    let dir = at.join(format!("release-v{version}"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut m =
        ModelManifest::from_json(&std::fs::read(shipped().join(MANIFEST_FILE)).unwrap()).unwrap();
    m.version = version;
    let manifest = serde_json::to_vec_pretty(&m).unwrap();
    std::fs::write(dir.join(SIGNATURE_FILE), signer().sign(&manifest)).unwrap();
    std::fs::write(dir.join(MANIFEST_FILE), manifest).unwrap();
    std::fs::copy(shipped().join(&m.model_file), dir.join(&m.model_file)).unwrap();
    dir
}

async fn platform_with_model(version: u32) -> (TestPlatform, Arc<PublishedModels>) {
    let mut p = TestPlatform::start().await;
    let models =
        Arc::new(PublishedModels::open(&p.dir.path().join("leaf-models"), keys()).unwrap());
    models
        .publish(&signed_release(version, p.dir.path()))
        .unwrap();
    p.platform = p.platform.clone().with_models(Arc::clone(&models));
    p.stop().await;
    p.restart().await;
    (p, models)
}

fn updater(url: String) -> ModelUpdater {
    let config = ClientConfig {
        base_url: url,
        extra_roots_pem: None,
    };
    ModelUpdater::new(&config, quick_retries()).unwrap()
}

/// The phone's shelf; its bundled model is the shipped one as version 1, so the versions in
/// these tests count updates whatever version ships.
fn phone_shelf(dir: &Path) -> Arc<ModelShelf> {
    let bundled = signed_release(1, dir);
    Arc::new(ModelShelf::open(&dir.join("leaf-models"), keys(), Some(bundled)).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_model_arrives_through_a_dropping_link_and_can_be_rolled_back() {
    let (p, _models) = platform_with_model(2).await;
    let proxy = FlakyProxy::start(p.addr).await;
    proxy.cut_after.store(2 * 1024 * 1024, Ordering::Relaxed);
    let phone = tempfile::tempdir().unwrap();
    let shelf = phone_shelf(phone.path());
    let u = updater(proxy.url());
    assert_eq!(u.offered().await.unwrap().map(|m| m.version), Some(2));

    let mut seen: Vec<DownloadProgress> = Vec::new();
    let got = u
        .update(&shelf, &mut |s| seen.push(s.clone()), &Cancel::new(false))
        .await
        .unwrap();
    assert_eq!(got, Some(2));
    assert!(proxy.cuts.load(Ordering::Relaxed) >= 5, "the link was cut");
    assert_eq!(seen.last().unwrap().phase, DownloadPhase::Done);
    let (model, active) = shelf.load().unwrap();
    assert_eq!(
        (active.source, model.manifest().version),
        (ModelSource::Installed, 2)
    );

    // Nothing newer: nothing fetched.
    assert_eq!(
        u.update(&shelf, &mut |_| {}, &Cancel::new(false))
            .await
            .unwrap(),
        None
    );
    assert_eq!(shelf.rollback().unwrap(), 1);
    assert_eq!(shelf.active().unwrap().source, ModelSource::Bundled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_update_resumes_and_altered_bytes_are_refused() {
    let (p, _models) = platform_with_model(3).await;
    let phone = tempfile::tempdir().unwrap();
    let shelf = phone_shelf(phone.path());
    // Slow enough that progress reports arrive while bytes still flow.
    let proxy = FlakyProxy::start(p.addr).await;
    proxy.rate.store(16 * 1024 * 1024, Ordering::Relaxed);
    let u = updater(proxy.url());
    let cancel = Cancel::new(false);
    let err = u
        .update(
            &shelf,
            &mut |s| {
                if s.bytes_done > 4 * 1024 * 1024 {
                    cancel.store(true, Ordering::Relaxed);
                }
            },
            &cancel,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cancel"), "{err}");
    let partial = shelf.download_path(3);
    let had = std::fs::metadata(&partial).unwrap().len();
    assert!(had > 4 * 1024 * 1024, "kept {had} bytes to resume from");
    assert_eq!(shelf.active().unwrap().version, 1, "nothing switched");

    // Resumed by a "restarted app": the rest only.
    let shelf = phone_shelf(phone.path());
    let mut first: Option<u64> = None;
    let got = u
        .update(
            &shelf,
            &mut |s| {
                first.get_or_insert(s.bytes_done);
            },
            &Cancel::new(false),
        )
        .await
        .unwrap();
    assert_eq!(got, Some(3));
    assert!(first.unwrap() >= had);
    assert!(!partial.exists());

    // The platform's copy of v4 is altered after signing: refused, v3 stays.
    let mut p = p;
    let models =
        Arc::new(PublishedModels::open(&p.dir.path().join("leaf-models"), keys()).unwrap());
    models.publish(&signed_release(4, p.dir.path())).unwrap();
    let model = p.dir.path().join("leaf-models/v4/leaf.nnef.tar");
    let mut bytes = std::fs::read(&model).unwrap();
    bytes[5000] ^= 0xFF;
    std::fs::write(&model, bytes).unwrap();
    p.platform = p.platform.clone().with_models(models);
    p.stop().await;
    p.restart().await;
    let err = updater(p.url())
        .update(&shelf, &mut |_| {}, &Cancel::new(false))
        .await
        .unwrap_err();
    assert!(matches!(err, UpdateError::Download(_)), "{err}");
    assert_eq!(shelf.active().unwrap().version, 3);
    assert!(!shelf.download_path(4).exists(), "the bad copy is deleted");
}
