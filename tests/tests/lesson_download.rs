//! Lesson packs from the platform to the phone over HTTP: a first download through a
//! connection that keeps dropping, a download cancelled halfway and resumed by a "restarted
//! app", an update that fetches only the changed files, a few files in flight at once, a full
//! phone, a platform serving bytes it did not sign, and reading progress following the account
//! to a second phone.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use yannong_core::cancel::Cancel;
use yannong_core::lessons::download::{
    DownloadError, DownloadOptions, DownloadPhase, DownloadProgress,
};
use yannong_core::lessons::{InstallOutcome, LibraryError, PackError};
use yannong_e2e::PASSWORD;
use yannong_e2e::lesson_pack::{
    PACK, PICTURE_BYTES, downloader, downloads_dir, library, phone_with_pack, platform, publish,
    quick_retries,
};
use yannong_e2e::proxy::FlakyProxy;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_download_survives_a_connection_that_keeps_dropping() {
    let (p, _shelf) = platform().await;
    let proxy = FlakyProxy::start(p.addr).await;
    // Every connection dies after 100 KB: the picture alone needs several.
    proxy.cut_after.store(100 * 1024, Ordering::Relaxed);
    let phone = tempfile::tempdir().unwrap();
    let lib = library(phone.path());
    let d = downloader(proxy.url(), quick_retries());

    let offered = d.updates(&lib).await.unwrap();
    assert_eq!(offered.len(), 1);
    assert_eq!((offered[0].id.as_str(), offered[0].version), (PACK, 1));

    let mut seen: Vec<DownloadProgress> = Vec::new();
    let report = d
        .download(
            &lib,
            PACK,
            &mut |p| seen.push(p.clone()),
            &Cancel::new(false),
        )
        .await
        .unwrap();
    assert_eq!(
        report.outcome,
        InstallOutcome::Installed {
            id: PACK.into(),
            version: 1
        }
    );
    assert!(
        proxy.cuts.load(Ordering::Relaxed) >= 5,
        "the connection was cut"
    );
    let total = seen.last().unwrap().bytes_total;
    // Each resume asked for the rest only: nothing came twice.
    assert_eq!(report.fetched_bytes, total);
    assert!(total > PICTURE_BYTES as u64);
    assert!(
        seen.iter()
            .any(|p| matches!(p.phase, DownloadPhase::Retrying { .. }))
    );
    assert_eq!(seen.last().unwrap().phase, DownloadPhase::Done);
    assert!(
        seen.windows(2).all(|w| w[0].bytes_done <= w[1].bytes_done
            || matches!(w[1].phase, DownloadPhase::Retrying { .. })),
        "progress only moves forward"
    );
    assert_eq!(lib.search("变黄期", 5).unwrap()[0].lesson_id, "yellowing");
    assert_eq!(
        lib.file(PACK, "images/field.png").unwrap().len(),
        PICTURE_BYTES
    );
    assert!(
        !downloads_dir(phone.path())
            .join(format!("{PACK}-v1"))
            .exists(),
        "the download folder is gone once installed"
    );

    // Nothing newer: a second call fetches nothing.
    let again = d
        .download(&lib, PACK, &mut |_| {}, &Cancel::new(false))
        .await
        .unwrap();
    assert!(matches!(
        again.outcome,
        InstallOutcome::AlreadyInstalled { .. }
    ));
    assert_eq!(again.fetched_bytes, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_fetched_a_few_at_once_and_no_more() {
    let (p, _shelf) = platform().await;
    for parallel in [1, 4] {
        let proxy = FlakyProxy::start(p.addr).await;
        // Slow enough that a file is still arriving when the next request could start.
        proxy.rate.store(256 * 1024, Ordering::Relaxed);
        let phone = tempfile::tempdir().unwrap();
        let lib = library(phone.path());
        let options = DownloadOptions {
            parallel,
            ..quick_retries()
        };
        let report = downloader(proxy.url(), options)
            .download(&lib, PACK, &mut |_| {}, &Cancel::new(false))
            .await
            .unwrap();
        assert!(report.fetched_files > 3, "{report:?}");
        // A connection per request in flight; idle ones are reused, though a request may
        // start before the previous answer's connection is back in the pool (one extra).
        let most = proxy.most_open.load(Ordering::SeqCst);
        assert!(
            (parallel as u64..=parallel as u64 + 1).contains(&most),
            "{parallel} at once: {most} connections"
        );
        assert_eq!(lib.installed().unwrap().len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_stopped_halfway_resumes_and_an_update_fetches_only_changes() {
    let (p, shelf) = platform().await;
    let proxy = FlakyProxy::start(p.addr).await;
    // Slow enough to stop in the middle: ~0.6 MB at 1 MB/s.
    proxy.rate.store(1024 * 1024, Ordering::Relaxed);
    let phone = tempfile::tempdir().unwrap();
    {
        let lib = library(phone.path());
        let d = downloader(proxy.url(), quick_retries());
        let cancel = Cancel::new(false);
        let stopped = AtomicBool::new(false);
        let result = d
            .download(
                &lib,
                PACK,
                &mut |p| {
                    if p.bytes_total > 0 && p.percent() >= 40.0 {
                        cancel.store(true, Ordering::Relaxed);
                        stopped.store(true, Ordering::Relaxed);
                    }
                },
                &cancel,
            )
            .await;
        assert!(
            matches!(result, Err(DownloadError::Cancelled)),
            "{result:?}"
        );
        assert!(stopped.load(Ordering::Relaxed));
        assert!(
            lib.installed().unwrap().is_empty(),
            "nothing half-installed"
        );
    }

    // The app starts again: a new library on the same folder, a direct connection.
    let lib = library(phone.path());
    assert!(
        downloads_dir(phone.path())
            .join(format!("{PACK}-v1"))
            .exists(),
        "opening the library keeps a download to resume"
    );
    let d = downloader(p.url(), quick_retries());
    let mut first: Option<DownloadProgress> = None;
    let report = d
        .download(
            &lib,
            PACK,
            &mut |p| {
                if p.phase == DownloadPhase::Downloading && first.is_none() {
                    first = Some(p.clone());
                }
            },
            &Cancel::new(false),
        )
        .await
        .unwrap();
    let first = first.unwrap();
    assert!(
        first.percent() >= 40.0,
        "resumed where it stopped: {first:?}"
    );
    assert!(report.resumed_bytes > 0);
    assert_eq!(
        report.resumed_bytes + report.fetched_bytes,
        first.bytes_total
    );
    assert_eq!(lib.installed().unwrap()[0].version, 1);
    assert_eq!(
        lib.file(PACK, "images/field.png").unwrap().len(),
        PICTURE_BYTES
    );

    // Version 2 changes one lesson: only that file comes over the network.
    publish(&shelf, 2, "干筋期最高 68 ℃，不要超过 70 ℃。");
    let report = d
        .download(&lib, PACK, &mut |_| {}, &Cancel::new(false))
        .await
        .unwrap();
    assert_eq!(
        report.outcome,
        InstallOutcome::Installed {
            id: PACK.into(),
            version: 2
        }
    );
    assert_eq!(report.fetched_files, 1);
    assert!(report.fetched_bytes < 1024, "{report:?}");
    assert_eq!(report.reused_files, 3);
    assert!(
        lib.lesson_markdown(PACK, "drying")
            .unwrap()
            .contains("不要超过 70")
    );
    assert_eq!(
        lib.file(PACK, "images/field.png").unwrap().len(),
        PICTURE_BYTES
    );
    // The old version stays for rollback, whole.
    assert_eq!(lib.rollback(PACK).unwrap(), 1);
    assert!(
        !lib.lesson_markdown(PACK, "drying")
            .unwrap()
            .contains("不要超过 70")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_phone_is_told_before_any_file_is_fetched() {
    let (p, _shelf) = platform().await;
    let phone = tempfile::tempdir().unwrap();
    let lib = library(phone.path());
    let options = DownloadOptions {
        keep_free: u64::MAX / 4,
        ..quick_retries()
    };
    let result = downloader(p.url(), options)
        .download(&lib, PACK, &mut |_| {}, &Cancel::new(false))
        .await;
    let Err(DownloadError::NoSpace { needed, available }) = result else {
        panic!("expected NoSpace, got {result:?}");
    };
    assert!(needed > available);
    let files = downloads_dir(phone.path()).join(format!("{PACK}-v1/files"));
    assert!(!files.exists(), "no file was fetched");
    assert!(lib.installed().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_the_platform_did_not_sign_are_refused_and_nothing_installs() {
    let (p, _shelf) = platform().await;
    // Someone changes a lesson on the platform's disk after it was signed.
    let served = walk(&p.dir.path().join("shelf"))
        .into_iter()
        .find(|f| f.ends_with("02-fixing.md"))
        .unwrap();
    let mut text = std::fs::read(&served).unwrap();
    let at = text.len() - 3;
    text[at] ^= 0x20;
    std::fs::write(&served, text).unwrap();

    let phone = tempfile::tempdir().unwrap();
    let lib = library(phone.path());
    let result = downloader(p.url(), quick_retries())
        .download(&lib, PACK, &mut |_| {}, &Cancel::new(false))
        .await;
    assert!(
        matches!(
            result,
            Err(DownloadError::Library(LibraryError::Pack(PackError::Mismatch { ref path, .. })))
                if path == "lessons/02-fixing.md"
        ),
        "{result:?}"
    );
    assert!(lib.installed().unwrap().is_empty());
    let kept = downloads_dir(phone.path()).join(format!("{PACK}-v1/files/lessons/02-fixing.md"));
    assert!(!kept.exists(), "the bad copy is not kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_progress_follows_the_account_to_another_phone() {
    let (p, _shelf) = platform().await;
    let phone = p.phone();
    let other = p.phone();
    let (lib_a, lib_b) = (library(phone._dir.path()), library(other._dir.path()));
    for lib in [&lib_a, &lib_b] {
        downloader(p.url(), quick_retries())
            .download(lib, PACK, &mut |_| {}, &Cancel::new(false))
            .await
            .unwrap();
    }
    let farmer = p.farmer.phone.clone();
    phone.barns.login(&farmer, PASSWORD).await.unwrap();
    other.barns.login(&farmer, PASSWORD).await.unwrap();

    lib_a.record_progress(PACK, "yellowing", 1.0, true).unwrap();
    lib_a.record_progress(PACK, "fixing", 0.4, false).unwrap();
    assert_eq!(lib_a.unsynced_progress().unwrap().len(), 2);
    phone.barns.sync_reading(&lib_a).await.unwrap();
    assert!(lib_a.unsynced_progress().unwrap().is_empty());

    assert_eq!(other.barns.sync_reading(&lib_b).await.unwrap(), 2);
    let next = lib_b.continue_reading().unwrap().unwrap();
    assert_eq!(next.lesson_id, "fixing");
    assert!((next.progress.unwrap().position - 0.4).abs() < 1e-9);
    let done = lib_b.lessons().unwrap();
    assert!(
        done.iter()
            .any(|l| l.lesson_id == "yellowing" && l.progress.is_some_and(|p| p.completed))
    );

    // Offline, progress waits and nothing is lost.
    lib_b.record_progress(PACK, "drying", 0.9, false).unwrap();
    let mut p = p;
    p.stop().await;
    assert!(other.barns.sync_reading(&lib_b).await.is_err());
    assert_eq!(lib_b.unsynced_progress().unwrap().len(), 1);
    p.restart().await;
    other.barns.sync_reading(&lib_b).await.unwrap();
    phone.barns.sync_reading(&lib_a).await.unwrap();
    let drying = lib_a
        .lessons()
        .unwrap()
        .into_iter()
        .find(|l| l.lesson_id == "drying")
        .unwrap();
    assert!((drying.progress.unwrap().position - 0.9).abs() < 1e-9);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_fetches_what_the_installed_version_has_damaged() {
    let (p, shelf) = platform().await;
    let (phone, lib, d) = phone_with_pack(p.url()).await;
    // The phone's copy of the picture rots (a bad SD card): it cannot be lent to v2.
    let picture = phone
        .path()
        .join(format!("lessons/{PACK}/v1/images/field.png"));
    let mut bytes = std::fs::read(&picture).unwrap();
    bytes[10] ^= 0x01;
    std::fs::write(&picture, bytes).unwrap();

    publish(&shelf, 2, "干筋期最高 68 ℃。");
    let report = d
        .download(&lib, PACK, &mut |_| {}, &Cancel::new(false))
        .await
        .unwrap();
    assert!(matches!(
        report.outcome,
        InstallOutcome::Installed { version: 2, .. }
    ));
    assert_eq!(
        report.fetched_files, 2,
        "the changed lesson and the damaged picture"
    );
    assert!(report.fetched_bytes > PICTURE_BYTES as u64);
    assert_eq!(report.resumed_bytes, 0);
    assert_eq!(
        lib.file(PACK, "images/field.png").unwrap().len(),
        PICTURE_BYTES
    );
}
