//! Lesson packs end to end: packs built and signed here are published to a shelf and
//! downloaded file by file through the real router (whole, resumed with ranges, never
//! compressed, never outside the shelf); tampered packs are refused; reading progress is
//! merged per account and private.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::sync::Arc;

use axum::http::StatusCode;
use common::{Reply, World, world};
use yannong_core::Timestamp;
use yannong_core::barn::api::{LessonProgress, PackCatalogue, ProgressBatch, paths};
use yannong_core::lessons::{Manifest, PackError, PackReader, PackSigner, TrustedKeys, build_pack};
use yannong_server::api::router;
use yannong_server::lessons::{Shelf, ShelfError};

const PACK: &str = "test-pack";
/// A sentence that appears once in the archive, in the first lesson's body.
const MARKER: &str = "Keep the dry bulb steady while the leaves yellow.";

fn signer() -> PackSigner {
    PackSigner::from_seed([7; 32])
}

fn keys() -> TrustedKeys {
    TrustedKeys::from_hex([signer().public_key_hex().as_str()]).unwrap()
}

/// Writes a content folder for `version`; `note` changes the second lesson's text.
fn content(dir: &Path, version: u32, note: &str) {
    let write = |rel: &str, data: &[u8]| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    };
    write(
        "pack.toml",
        format!(
            "id = \"{PACK}\"\nversion = {version}\nlanguage = \"zh-Hans\"\n\
             title = \"测试课程\"\ntitle_en = \"Test lessons\"\n"
        )
        .as_bytes(),
    );
    let lesson = |id: &str, body: &str| {
        format!(
            "+++\nid = \"{id}\"\ntitle = \"课 {id}\"\ntitle_en = \"Lesson {id}\"\n\
             tags = [\"变黄\"]\nminutes = 3\n+++\n# {id}\n\n{body}\n"
        )
    };
    // Long enough that ranges fall inside it and compression would pay.
    let long = "变黄期要稳温保湿，看叶片变化再升温。".repeat(60);
    write(
        "lessons/01-first.md",
        lesson("first-lesson", &format!("{MARKER}\n\n{long}")).as_bytes(),
    );
    write(
        "lessons/02-second.md",
        lesson("second-lesson", &format!("{note}\n\n{long}")).as_bytes(),
    );
    let mut svg = String::from("<svg xmlns=\"http://www.w3.org/2000/svg\">");
    for i in 0..200 {
        svg.push_str(&format!(
            "<circle cx=\"{i}\" cy=\"{}\" r=\"3\"/>",
            i * 7 % 101
        ));
    }
    svg.push_str("</svg>\n");
    write("images/chart.svg", svg.as_bytes());
    // Optional media never travels in the archive.
    write("media/clip.mp4", &[0u8; 300]);
}

/// A pack built and signed in a temporary content folder: its manifest and archive.
fn pack(version: u32, note: &str, signer: &PackSigner) -> (Manifest, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    content(dir.path(), version, note);
    build_pack(dir.path(), signer).unwrap()
}

/// The world of `common` serving a shelf kept in `dir`.
fn serving(dir: &Path) -> (World, Arc<Shelf>) {
    let shelf = Arc::new(Shelf::open(dir, keys()).unwrap());
    let mut w = world();
    w.router = router(w.platform.clone().with_lessons(shelf.clone()));
    (w, shelf)
}

fn header<'a>(r: &'a Reply, name: &str) -> Option<&'a str> {
    r.headers.get(name).map(|v| v.to_str().unwrap())
}

async fn get(w: &World, path: &str, headers: &[(&str, &str)]) -> Reply {
    w.call_with("GET", path, None, None, headers).await
}

/// The bytes of `path` as the archive carries them.
fn archived(archive: &[u8], manifest: &Manifest, path: &str) -> Vec<u8> {
    let mut found = None;
    PackReader::new(&keys())
        .read(archive, |entry, data| {
            if entry.path == path {
                found = Some(data.to_vec());
            }
            Ok(())
        })
        .unwrap();
    let found = found.unwrap_or_else(|| panic!("{path} is not in the archive"));
    assert_eq!(found.len() as u64, manifest.file(path).unwrap().size);
    found
}

fn shelf_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn files_download_whole_and_resume_with_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let (w, shelf) = serving(dir.path());
    let (manifest, archive) = pack(1, "first", &signer());
    assert_eq!(
        shelf.publish(archive.as_slice()).unwrap(),
        (PACK.to_owned(), 1)
    );

    let r = get(&w, paths::LESSON_PACKS, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(header(&r, "cache-control"), Some("no-cache"));
    let catalogue: PackCatalogue = r.json();
    assert_eq!(catalogue.packs.len(), 1);
    let offered = &catalogue.packs[0];
    assert_eq!((offered.id.as_str(), offered.version), (PACK, 1));
    assert_eq!(offered.lessons, 2);
    assert_eq!(offered.title.en, "Test lessons");
    assert_eq!(offered.required_bytes, manifest.required_bytes());
    assert_eq!(offered.archive_bytes, archive.len() as u64);

    // The manifest and signature are the exact signed bytes.
    let m = get(&w, &paths::lesson_pack_manifest(PACK, 1), &[]).await;
    assert_eq!(m.status, StatusCode::OK);
    assert_eq!(m.body, manifest.to_json());
    assert_eq!(header(&m, "content-type"), Some("application/json"));
    let s = get(&w, &paths::lesson_pack_signature(PACK, 1), &[]).await;
    assert_eq!(s.status, StatusCode::OK);
    assert_eq!(s.body, signer().sign(&m.body));

    for entry in manifest.files.iter().filter(|f| !f.optional) {
        let url = paths::lesson_pack_file(PACK, 1, &entry.path);
        let bytes = archived(&archive, &manifest, &entry.path);
        let etag = format!("\"{}\"", entry.sha256);

        let whole = get(&w, &url, &[]).await;
        assert_eq!(whole.status, StatusCode::OK, "{url}");
        assert_eq!(whole.body, bytes);
        assert_eq!(header(&whole, "accept-ranges"), Some("bytes"));
        assert_eq!(header(&whole, "etag"), Some(etag.as_str()));
        assert_eq!(
            header(&whole, "cache-control"),
            Some("public, max-age=31536000, immutable")
        );

        // A transfer dropped at byte n resumes there.
        let n = bytes.len() / 3;
        let rest = get(&w, &url, &[("range", &format!("bytes={n}-"))]).await;
        assert_eq!(rest.status, StatusCode::PARTIAL_CONTENT, "{url}");
        assert_eq!(rest.body, &bytes[n..]);
        assert_eq!(
            header(&rest, "content-range"),
            Some(format!("bytes {n}-{}/{}", bytes.len() - 1, bytes.len()).as_str())
        );
        assert_eq!(header(&rest, "etag"), Some(etag.as_str()));

        let (a, b) = (5, bytes.len() / 2);
        let mid = get(&w, &url, &[("range", &format!("bytes={a}-{b}"))]).await;
        assert_eq!(mid.status, StatusCode::PARTIAL_CONTENT);
        assert_eq!(mid.body, &bytes[a..=b]);
        assert_eq!(
            header(&mid, "content-length"),
            Some((b - a + 1).to_string().as_str())
        );
    }

    // The whole archive, for sideloading, resumes the same way.
    let url = paths::lesson_pack_archive(PACK, 1);
    let whole = get(&w, &url, &[]).await;
    assert_eq!(whole.status, StatusCode::OK);
    assert_eq!(whole.body, archive);
    assert_eq!(
        header(&whole, "content-type"),
        Some("application/octet-stream")
    );
    let tail = get(&w, &url, &[("range", "bytes=1000-")]).await;
    assert_eq!(tail.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.body, &archive[1000..]);
    assert_eq!(header(&tail, "etag"), header(&whole, "etag"));
}

#[tokio::test]
async fn ranges_beyond_the_end_get_416() {
    let dir = tempfile::tempdir().unwrap();
    let (w, shelf) = serving(dir.path());
    let (manifest, archive) = pack(1, "first", &signer());
    shelf.publish(archive.as_slice()).unwrap();
    let entry = manifest.file("images/chart.svg").unwrap();
    let url = paths::lesson_pack_file(PACK, 1, &entry.path);
    for range in [
        format!("bytes={}-", entry.size),
        format!("bytes={}-{}", entry.size + 10, entry.size + 20),
    ] {
        let r = get(&w, &url, &[("range", &range)]).await;
        assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
        assert_eq!(
            header(&r, "content-range"),
            Some(format!("bytes */{}", entry.size).as_str())
        );
    }
    // The last byte is still a range.
    let last = get(
        &w,
        &url,
        &[("range", &format!("bytes={}-", entry.size - 1))],
    )
    .await;
    assert_eq!(last.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(last.body.len(), 1);
}

#[tokio::test]
async fn if_range_and_if_none_match_follow_the_etag() {
    let dir = tempfile::tempdir().unwrap();
    let (w, shelf) = serving(dir.path());
    let (manifest, archive) = pack(1, "first", &signer());
    shelf.publish(archive.as_slice()).unwrap();
    let entry = manifest.file("lessons/01-first.md").unwrap();
    let url = paths::lesson_pack_file(PACK, 1, &entry.path);
    let bytes = archived(&archive, &manifest, &entry.path);
    let etag = format!("\"{}\"", entry.sha256);

    // The phone's half is of these bytes: go on from it.
    let same = get(&w, &url, &[("range", "bytes=10-"), ("if-range", &etag)]).await;
    assert_eq!(same.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(same.body, &bytes[10..]);
    // Of other bytes, of unknown bytes (weak tag) or only dated: start over with all of it.
    let other = format!("\"{}\"", "0".repeat(64));
    let weak = format!("W/{etag}");
    for validator in [
        other.as_str(),
        weak.as_str(),
        "Wed, 21 Oct 2015 07:28:00 GMT",
    ] {
        let r = get(&w, &url, &[("range", "bytes=10-"), ("if-range", validator)]).await;
        assert_eq!(r.status, StatusCode::OK, "{validator}");
        assert_eq!(r.body, bytes);
        assert_eq!(header(&r, "etag"), Some(etag.as_str()));
    }

    let cached = get(&w, &url, &[("if-none-match", &etag)]).await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
    assert!(cached.body.is_empty());
    assert_eq!(header(&cached, "etag"), Some(etag.as_str()));
    let stale = get(&w, &url, &[("if-none-match", &other)]).await;
    assert_eq!(stale.status, StatusCode::OK);
    assert_eq!(stale.body, bytes);
}

#[tokio::test]
async fn pack_files_are_never_compressed() {
    let dir = tempfile::tempdir().unwrap();
    let (w, shelf) = serving(dir.path());
    let (manifest, archive) = pack(1, "first", &signer());
    shelf.publish(archive.as_slice()).unwrap();
    let gzip = ("accept-encoding", "gzip, zstd");

    // The layer is on for the rest of the API: this test would see it.
    let doc = get(&w, paths::OPENAPI, &[gzip]).await;
    assert!(header(&doc, "content-encoding").is_some());

    let md = "lessons/02-second.md";
    let bytes = archived(&archive, &manifest, md);
    let urls = [
        (paths::lesson_pack_file(PACK, 1, md), bytes),
        (paths::lesson_pack_manifest(PACK, 1), manifest.to_json()),
        (paths::lesson_pack_archive(PACK, 1), archive.clone()),
    ];
    for (url, bytes) in &urls {
        for range in [None, Some("bytes=7-")] {
            let mut headers = vec![gzip];
            headers.extend(range.map(|r| ("range", r)));
            let r = get(&w, url, &headers).await;
            assert_eq!(header(&r, "content-encoding"), None, "{url} {range:?}");
            let expected = if range.is_some() {
                &bytes[7..]
            } else {
                &bytes[..]
            };
            assert_eq!(r.body, expected, "{url} {range:?}");
        }
    }
}

#[tokio::test]
async fn nothing_outside_the_manifest_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let shelf_dir = dir.path().join("shelf");
    let (w, shelf) = serving(&shelf_dir);
    let (_, archive) = pack(1, "first", &signer());
    shelf.publish(archive.as_slice()).unwrap();
    // Things a traversal would reach: beside the shelf, and the version's own bookkeeping.
    std::fs::write(dir.path().join("secret.txt"), "secret").unwrap();

    let base = format!("{}/{PACK}/1", paths::LESSON_PACKS);
    let attempts = [
        format!("{base}/files/../manifest.json"),
        format!("{base}/files/../pack.sha256"),
        format!("{base}/files/../../../../secret.txt"),
        format!("{base}/files/%2e%2e/%2e%2e/%2e%2e/%2e%2e/secret.txt"),
        format!("{base}/files/%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fsecret.txt"),
        format!("{base}/files/lessons/../images/chart.svg"),
        format!("{base}/files//etc/passwd"),
        format!("{base}/files/%2Fetc%2Fpasswd"),
        format!("{base}/files/images%5Cchart.svg"),
        format!("{base}/files/..%5C..%5C..%5C..%5Csecret.txt"),
        format!("{base}/files/images/CHART.svg"),
        format!("{base}/files/images/chart.svg%00"),
        format!("{base}/files/images"),
        format!("{base}/files/"),
        // Optional media was not in the archive: nothing to serve.
        format!("{base}/files/media/clip.mp4"),
        format!("{}/{PACK}/01/manifest.json", paths::LESSON_PACKS),
        format!("{}/{PACK}/0/manifest.json", paths::LESSON_PACKS),
        format!("{}/{PACK}/2/manifest.json", paths::LESSON_PACKS),
        format!("{}/../{PACK}/1/manifest.json", paths::LESSON_PACKS),
        format!("{}/%2e%2e/1/manifest.json", paths::LESSON_PACKS),
        format!("{}/other-pack/1/manifest.json", paths::LESSON_PACKS),
        format!("{}/%FF/1/manifest.json", paths::LESSON_PACKS),
    ];
    for url in &attempts {
        let r = get(&w, url, &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{url}");
        assert!(!r.body.windows(6).any(|b| b == b"secret"), "{url}");
        // Our JSON 404, or the router's empty one when no route matches at all.
        if !r.body.is_empty() {
            assert_eq!(r.code(), "not_found", "{url}");
        }
    }
    // The file itself is there under its own name.
    let ok = get(
        &w,
        &paths::lesson_pack_file(PACK, 1, "images/chart.svg"),
        &[],
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
}

#[tokio::test]
async fn tampered_or_foreign_packs_are_refused_and_not_served() {
    let dir = tempfile::tempdir().unwrap();
    let (w, shelf) = serving(dir.path());
    let (_, archive) = pack(1, "first", &signer());

    // One byte of a lesson flipped.
    let mut flipped = archive.clone();
    let at = flipped
        .windows(MARKER.len())
        .position(|w| w == MARKER.as_bytes())
        .unwrap();
    flipped[at] ^= 0x20;
    match shelf.publish(flipped.as_slice()) {
        Err(ShelfError::Refused(PackError::Mismatch { path, .. })) => {
            assert_eq!(path, "lessons/01-first.md");
        }
        other => panic!("a flipped byte was not refused: {other:?}"),
    }
    // Signed by a key the platform does not trust.
    let (_, foreign) = pack(1, "first", &PackSigner::from_seed([9; 32]));
    assert!(matches!(
        shelf.publish(foreign.as_slice()),
        Err(ShelfError::Refused(PackError::UnknownKey(_)))
    ));
    // Cut short.
    assert!(matches!(
        shelf.publish(&archive[..archive.len() / 2]),
        Err(ShelfError::Refused(_))
    ));

    // Nothing was kept, listed or served.
    assert!(shelf_entries(dir.path()).is_empty());
    assert!(shelf.is_empty());
    let r: PackCatalogue = get(&w, paths::LESSON_PACKS, &[]).await.json();
    assert!(r.packs.is_empty());
    let m = get(&w, &paths::lesson_pack_manifest(PACK, 1), &[]).await;
    assert_eq!(m.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_published_version_is_immutable() {
    let dir = tempfile::tempdir().unwrap();
    let (_w, shelf) = serving(dir.path());
    let (_, archive) = pack(1, "first", &signer());
    shelf.publish(archive.as_slice()).unwrap();
    // The same again is a no-op.
    assert_eq!(
        shelf.publish(archive.as_slice()).unwrap(),
        (PACK.to_owned(), 1)
    );
    // Another pack under the same version is refused, and the first one stays.
    let (_, changed) = pack(1, "changed", &signer());
    assert!(matches!(
        shelf.publish(changed.as_slice()),
        Err(ShelfError::Conflict { id, version: 1 }) if id == PACK
    ));
    let stored = std::fs::read(dir.path().join(PACK).join("1").join("pack.ynpack")).unwrap();
    assert_eq!(stored, archive);
    assert_eq!(shelf_entries(dir.path()), [PACK]);
}

#[tokio::test]
async fn old_versions_stay_fetchable_and_a_reopened_shelf_serves_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let (w, shelf) = serving(dir.path());
    let (m1, a1) = pack(1, "first", &signer());
    let (m2, a2) = pack(2, "second", &signer());
    shelf.publish(a1.as_slice()).unwrap();
    shelf.publish(a2.as_slice()).unwrap();

    let catalogue: PackCatalogue = get(&w, paths::LESSON_PACKS, &[]).await.json();
    assert_eq!(catalogue.packs.len(), 1);
    assert_eq!(catalogue.packs[0].version, 2);
    // A phone halfway through v1 finishes it.
    let md = "lessons/02-second.md";
    let v1 = get(
        &w,
        &paths::lesson_pack_file(PACK, 1, md),
        &[("range", "bytes=3-")],
    )
    .await;
    assert_eq!(v1.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(v1.body, &archived(&a1, &m1, md)[3..]);
    let v2 = get(&w, &paths::lesson_pack_file(PACK, 2, md), &[]).await;
    assert_eq!(v2.body, archived(&a2, &m2, md));
    assert_ne!(v1.body, v2.body[3..]);

    // A crash mid-publish leaves a staging folder; opening sweeps it.
    std::fs::create_dir(dir.path().join(".staging-0123456789abcdef")).unwrap();
    drop(w);
    drop(shelf);
    let (w, _shelf) = serving(dir.path());
    assert_eq!(shelf_entries(dir.path()), [PACK]);
    let again: PackCatalogue = get(&w, paths::LESSON_PACKS, &[]).await.json();
    assert_eq!(again, catalogue);
    for (v, m, a) in [(1, &m1, &a1), (2, &m2, &a2)] {
        let r = get(&w, &paths::lesson_pack_manifest(PACK, v), &[]).await;
        assert_eq!(r.body, m.to_json());
        let r = get(&w, &paths::lesson_pack_archive(PACK, v), &[]).await;
        assert_eq!(&r.body, a);
        let r = get(&w, &paths::lesson_pack_file(PACK, v, md), &[]).await;
        assert_eq!(r.body, archived(a, m, md));
        assert_eq!(
            header(&r, "etag"),
            Some(format!("\"{}\"", m.file(md).unwrap().sha256).as_str())
        );
    }

    // Stored versions are verified again: without their key, or damaged, they are refused.
    let stranger = PackSigner::from_seed([9; 32]).public_key_hex();
    let other_keys = TrustedKeys::from_hex([stranger.as_str()]).unwrap();
    assert!(matches!(
        Shelf::open(dir.path(), other_keys),
        Err(ShelfError::Damaged { .. })
    ));
    let stored_manifest = dir.path().join(PACK).join("2").join("manifest.json");
    let mut bytes = std::fs::read(&stored_manifest).unwrap();
    bytes[20] ^= 1;
    std::fs::write(&stored_manifest, bytes).unwrap();
    assert!(matches!(
        Shelf::open(dir.path(), keys()),
        Err(ShelfError::Damaged { .. })
    ));
}

#[tokio::test]
async fn an_empty_platform_offers_no_packs() {
    let w = world();
    let r = get(&w, paths::LESSON_PACKS, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, br#"{"packs":[]}"#);
    assert!(matches!(
        Shelf::empty().publish(&[][..]),
        Err(ShelfError::NoFolder)
    ));
}

fn progress(
    pack: &str,
    lesson: &str,
    position: f64,
    updated: i64,
    done: Option<i64>,
) -> LessonProgress {
    LessonProgress {
        pack_id: pack.into(),
        lesson_id: lesson.into(),
        position,
        completed_at: done.map(Timestamp),
        updated_at: Timestamp(updated),
    }
}

async fn put(w: &World, token: Option<&str>, entries: Vec<LessonProgress>) -> Reply {
    let body = serde_json::to_vec(&ProgressBatch { entries }).unwrap();
    w.call("PUT", paths::LESSON_PROGRESS, token, Some(body))
        .await
}

#[tokio::test]
async fn progress_merges_newest_position_and_earliest_completion() {
    let w = world();
    let token = w.login(&w.farmer_a).await;
    let t = Timestamp::now().0 - 3_600_000;
    let r = put(
        &w,
        Some(&token),
        vec![
            progress(PACK, "one", 0.5, t, None),
            progress(PACK, "two", 1.0, t, Some(t)),
            progress(PACK, "three", 0.2, t, None),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json::<ProgressBatch>().entries.len(), 3);

    // Another phone: older for "one", newer for "two" (read again from the top), a tie for
    // "three", and a new lesson.
    let r = put(
        &w,
        Some(&token),
        vec![
            progress(PACK, "one", 0.9, t - 10, Some(t - 20)),
            progress(PACK, "two", 0.1, t + 10, Some(t + 5)),
            progress(PACK, "three", 0.7, t, None),
            progress("other-pack", "one", 0.3, t, None),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let merged: ProgressBatch = r.json();
    let expected = vec![
        progress("other-pack", "one", 0.3, t, None),
        // Position stays, the earlier completion sticks.
        progress(PACK, "one", 0.5, t, Some(t - 20)),
        progress(PACK, "three", 0.2, t, None),
        // Newest position, earliest completion.
        progress(PACK, "two", 0.1, t + 10, Some(t)),
    ];
    assert_eq!(merged.entries, expected);
    let got: ProgressBatch = w.get(paths::LESSON_PROGRESS, Some(&token)).await.json();
    assert_eq!(got.entries, expected);

    // Replaying a batch changes nothing; an empty one just answers.
    let r = put(
        &w,
        Some(&token),
        vec![progress(PACK, "two", 0.1, t + 10, Some(t + 5))],
    )
    .await;
    assert_eq!(r.json::<ProgressBatch>().entries, expected);
    let r = put(&w, Some(&token), vec![]).await;
    assert_eq!(r.json::<ProgressBatch>().entries, expected);
}

#[tokio::test]
async fn bad_progress_is_refused_whole() {
    let w = world();
    let token = w.login(&w.farmer_a).await;
    let t = Timestamp::now().0;
    let good = progress(PACK, "one", 0.5, t, None);
    let bad = [
        progress("Bad_Pack", "one", 0.5, t, None),
        progress(PACK, "", 0.5, t, None),
        progress(PACK, &"x".repeat(65), 0.5, t, None),
        progress(PACK, "one", 1.5, t, None),
        progress(PACK, "one", -0.5, t, None),
        progress(PACK, "one", 0.5, 1000, None),
        progress(PACK, "one", 0.5, t + 7 * 24 * 3_600_000, None),
        progress(PACK, "one", 0.5, t, Some(-1)),
    ];
    for b in bad {
        let r = put(&w, Some(&token), vec![good.clone(), b.clone()]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{b:?}");
        assert_eq!(r.code(), "invalid");
    }
    // Non-finite numbers cannot even be written as JSON; a hand-written 1e999 is refused.
    let raw = format!(
        r#"{{"entries":[{{"pack_id":"{PACK}","lesson_id":"one","position":1e999,"completed_at":null,"updated_at":{t}}}]}}"#
    );
    let r = w
        .call(
            "PUT",
            paths::LESSON_PROGRESS,
            Some(&token),
            Some(raw.into_bytes()),
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    let too_many = vec![good.clone(); yannong_core::barn::api::MAX_PROGRESS_BATCH + 1];
    let r = put(&w, Some(&token), too_many).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid");
    // Nothing of the refused batches was kept.
    let got: ProgressBatch = w.get(paths::LESSON_PROGRESS, Some(&token)).await.json();
    assert!(got.entries.is_empty());
}

#[tokio::test]
async fn progress_is_private() {
    let w = world();
    let a = w.login(&w.farmer_a).await;
    let b = w.login(&w.farmer_b).await;
    let t = Timestamp::now().0;
    put(&w, Some(&a), vec![progress(PACK, "one", 0.5, t, None)]).await;
    // B writes the same lesson: A's row does not move, and B sees only B's.
    let r = put(
        &w,
        Some(&b),
        vec![progress(PACK, "one", 0.9, t + 1, Some(t))],
    )
    .await;
    assert_eq!(
        r.json::<ProgressBatch>().entries,
        [progress(PACK, "one", 0.9, t + 1, Some(t))]
    );
    let got: ProgressBatch = w.get(paths::LESSON_PROGRESS, Some(&a)).await.json();
    assert_eq!(got.entries, [progress(PACK, "one", 0.5, t, None)]);

    let r = w.get(paths::LESSON_PROGRESS, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "unauthorized");
    let r = put(&w, None, vec![]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = put(&w, Some("not-a-token"), vec![]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
