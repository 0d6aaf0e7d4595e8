//! Optional media of a lesson pack (a video): listed but not downloaded with the pack,
//! fetched on request with resume, checked, kept across an update that did not change it,
//! and removable to free space.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::Ordering;

use yannong_core::cancel::Cancel;
use yannong_core::lessons::download::DownloadError;
use yannong_core::lessons::{LibraryError, MediaFile};
use yannong_e2e::lesson_pack::{
    MEDIA, PACK, downloader, phone_with_pack, platform, publish, quick_retries, video,
};
use yannong_e2e::proxy::FlakyProxy;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_video_is_fetched_on_request_resumed_kept_and_removed() {
    let (p, shelf) = platform().await;
    let (_phone, lib, d) = phone_with_pack(p.url()).await;
    let listed = |downloaded| MediaFile {
        path: MEDIA.into(),
        size: video().len() as u64,
        downloaded,
    };
    assert_eq!(
        lib.media(PACK).unwrap(),
        [listed(false)],
        "listed, not fetched with the pack"
    );
    assert!(matches!(
        lib.media_path(PACK, MEDIA),
        Err(LibraryError::NotInstalled(_))
    ));

    // Through a connection that drops every 64 KB: fetched in pieces, resumed each time.
    let proxy = FlakyProxy::start(p.addr).await;
    proxy.cut_after.store(64 * 1024, Ordering::Relaxed);
    let mut last = None;
    let path = downloader(proxy.url(), quick_retries())
        .download_media(
            &lib,
            PACK,
            MEDIA,
            &mut |p| last = Some(p.clone()),
            &Cancel::new(false),
        )
        .await
        .unwrap();
    assert!(proxy.cuts.load(Ordering::Relaxed) >= 4);
    assert_eq!(std::fs::read(&path).unwrap(), video());
    assert_eq!(lib.media_path(PACK, MEDIA).unwrap(), path);
    assert_eq!(last.unwrap().bytes_done, video().len() as u64);
    assert_eq!(lib.media(PACK).unwrap(), [listed(true)]);

    // An update that keeps the same video does not make the farmer fetch it again.
    publish(&shelf, 2, "干筋期最高 68 ℃。");
    d.download(&lib, PACK, &mut |_| {}, &Cancel::new(false))
        .await
        .unwrap();
    assert_eq!(lib.installed().unwrap()[0].version, 2);
    assert_eq!(lib.media(PACK).unwrap(), [listed(true)], "carried into v2");
    assert_eq!(
        std::fs::read(lib.media_path(PACK, MEDIA).unwrap()).unwrap(),
        video()
    );

    // Removing frees the space; a file the pack does not list as optional is no media.
    lib.remove_media(PACK, MEDIA).unwrap();
    assert_eq!(lib.media(PACK).unwrap(), [listed(false)]);
    assert!(!path.exists());
    let not_media = d
        .download_media(
            &lib,
            PACK,
            "images/field.png",
            &mut |_| {},
            &Cancel::new(false),
        )
        .await;
    assert!(
        matches!(
            not_media,
            Err(DownloadError::Library(LibraryError::NoLesson { .. }))
        ),
        "{not_media:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_video_the_platform_altered_is_refused_and_not_kept() {
    let (p, _shelf) = platform().await;
    // Someone swaps the video on the platform's disk for other bytes of the same size.
    let served = p.dir.path().join(format!("shelf/{PACK}/1/files/{MEDIA}"));
    let mut bytes = std::fs::read(&served).unwrap();
    bytes[1000] ^= 0xff;
    std::fs::write(&served, bytes).unwrap();

    let (phone, lib, d) = phone_with_pack(p.url()).await;
    let result = d
        .download_media(&lib, PACK, MEDIA, &mut |_| {}, &Cancel::new(false))
        .await;
    assert!(
        matches!(result, Err(DownloadError::Library(_))),
        "{result:?}"
    );
    assert!(!lib.media(PACK).unwrap()[0].downloaded);
    let leftovers: Vec<_> =
        std::fs::read_dir(phone.path().join(format!("lessons/{PACK}/v1/media")))
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
    assert!(leftovers.is_empty(), "nothing of it kept: {leftovers:?}");
}
