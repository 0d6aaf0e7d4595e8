//! Optional pack files (media): not in the archive, added to a published version one by one,
//! checked against the manifest, served like the other files once added and after a restart;
//! anything refused leaves nothing on the shelf. `--publish` adds them from `FILE.media/`.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use axum::http::StatusCode;
use common::{Reply, World, world};
use yannong_core::barn::api::paths;
use yannong_core::lessons::{Manifest, PackSigner, TrustedKeys, build_pack};
use yannong_server::api::router;
use yannong_server::lessons::{Item, Shelf, ShelfError};

const PACK: &str = "media-pack";
const CLIP: &str = "media/x.mp4";

fn signer() -> PackSigner {
    PackSigner::from_seed([5; 32])
}

fn keys() -> TrustedKeys {
    TrustedKeys::from_hex([signer().public_key_hex().as_str()]).unwrap()
}

/// Bytes that differ at every offset, so a wrong range shows.
fn clip() -> Vec<u8> {
    (0..5000u32).map(|i| (i * 31 % 251) as u8).collect()
}

/// Writes a content folder with one lesson and the optional `media/x.mp4`.
fn content(dir: &Path) {
    let write = |rel: &str, data: &[u8]| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    };
    write(
        "pack.toml",
        format!(
            "id = \"{PACK}\"\nversion = 1\nlanguage = \"zh-Hans\"\n\
             title = \"视频课\"\ntitle_en = \"Video lessons\"\n"
        )
        .as_bytes(),
    );
    write(
        "lessons/01.md",
        b"+++\nid = \"watch\"\ntitle = \"\xe7\x9c\x8b\"\ntitle_en = \"Watch\"\n\
          tags = []\nminutes = 2\n+++\n# Watch\n\nSee the clip.\n",
    );
    write(CLIP, &clip());
}

fn pack() -> (Manifest, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    content(dir.path());
    build_pack(dir.path(), &signer()).unwrap()
}

fn serving(dir: &Path) -> (World, Arc<Shelf>) {
    let shelf = Arc::new(Shelf::open(dir, keys()).unwrap());
    let mut w = world();
    w.router = router(w.platform.clone().with_lessons(shelf.clone()));
    (w, shelf)
}

async fn get(w: &World, path: &str, headers: &[(&str, &str)]) -> Reply {
    w.call_with("GET", path, None, None, headers).await
}

/// Every file under `dir`, as relative paths, sorted.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                out.push(path.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn version_dir(shelf: &Path) -> PathBuf {
    shelf.join(PACK).join("1")
}

#[tokio::test]
async fn added_media_is_served_with_ranges_and_after_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (w, shelf) = serving(dir.path());
    let (manifest, archive) = pack();
    let entry = manifest.file(CLIP).unwrap().clone();
    assert!(entry.optional);
    shelf.publish(archive.as_slice()).unwrap();
    let url = paths::lesson_pack_file(PACK, 1, CLIP);

    // Published without its media: nothing to serve yet.
    assert_eq!(get(&w, &url, &[]).await.status, StatusCode::NOT_FOUND);

    let bytes = clip();
    shelf.add_optional(PACK, 1, CLIP, bytes.as_slice()).unwrap();
    let whole = get(&w, &url, &[]).await;
    assert_eq!(whole.status, StatusCode::OK);
    assert_eq!(whole.body, bytes);
    let etag = format!("\"{}\"", entry.sha256);
    assert_eq!(
        whole.headers.get("etag").unwrap().to_str().unwrap(),
        etag.as_str()
    );
    let rest = get(&w, &url, &[("range", "bytes=1234-")]).await;
    assert_eq!(rest.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(rest.body, &bytes[1234..]);

    // Again is a no-op; nothing but the file itself was added to the version folder.
    shelf.add_optional(PACK, 1, CLIP, bytes.as_slice()).unwrap();
    let files = tree(&version_dir(dir.path()));
    assert!(files.contains(&format!("files/{CLIP}")), "{files:?}");
    assert!(
        !files.iter().any(|f| f.starts_with(".partial-")),
        "{files:?}"
    );

    // A restart serves it too, and sweeps an addition a crash interrupted.
    let partial = version_dir(dir.path()).join(".partial-0123456789abcdef");
    std::fs::write(&partial, &bytes[..100]).unwrap();
    drop(w);
    drop(shelf);
    let (w, reopened) = serving(dir.path());
    assert!(!partial.exists());
    let again = get(&w, &url, &[("range", "bytes=10-19")]).await;
    assert_eq!(again.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(again.body, &bytes[10..20]);
    drop(w);
    drop(reopened);

    // An optional file on disk is checked like the others: of the wrong size, it is damage.
    let stored = version_dir(dir.path()).join("files").join(CLIP);
    std::fs::write(&stored, &bytes[..bytes.len() - 1]).unwrap();
    assert!(matches!(
        Shelf::open(dir.path(), keys()),
        Err(ShelfError::Damaged { .. })
    ));
}

/// Reads `inner`, counting the bytes taken from it; fails past `limit` so a reader that is
/// never told to stop ends the test instead of hanging it.
struct Counting<R> {
    inner: R,
    read: u64,
    limit: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.read > self.limit {
            return Err(std::io::Error::other("read far past the manifest size"));
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

#[tokio::test]
async fn wrong_media_is_refused_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (w, shelf) = serving(dir.path());
    let (manifest, archive) = pack();
    shelf.publish(archive.as_slice()).unwrap();
    let before = tree(&version_dir(dir.path()));
    let bytes = clip();
    let size = manifest.file(CLIP).unwrap().size;

    let mut flipped = bytes.clone();
    flipped[2500] ^= 1;
    assert!(matches!(
        shelf.add_optional(PACK, 1, CLIP, flipped.as_slice()),
        Err(ShelfError::WrongSha256 { path }) if path == CLIP
    ));
    assert!(matches!(
        shelf.add_optional(PACK, 1, CLIP, &bytes[..bytes.len() - 1]),
        Err(ShelfError::WrongSize { path, expected }) if path == CLIP && expected == size
    ));
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        shelf.add_optional(PACK, 1, CLIP, longer.as_slice()),
        Err(ShelfError::WrongSize { .. })
    ));
    // An endless upload is cut just past the size.
    let mut endless = Counting {
        inner: std::io::repeat(7),
        read: 0,
        limit: 10 * size,
    };
    assert!(matches!(
        shelf.add_optional(PACK, 1, CLIP, &mut endless),
        Err(ShelfError::WrongSize { .. })
    ));
    assert_eq!(endless.read, size + 1);

    // Only optional files of published versions.
    for path in ["lessons/01.md", "media/other.mp4", "media", "../x.mp4"] {
        assert!(
            matches!(
                shelf.add_optional(PACK, 1, path, bytes.as_slice()),
                Err(ShelfError::NotOptional { .. })
            ),
            "{path}"
        );
    }
    for (id, version) in [(PACK, 2), ("other-pack", 1)] {
        assert!(matches!(
            shelf.add_optional(id, version, CLIP, bytes.as_slice()),
            Err(ShelfError::NotPublished { .. })
        ));
    }
    assert!(matches!(
        Shelf::empty().add_optional(PACK, 1, CLIP, bytes.as_slice()),
        Err(ShelfError::NoFolder)
    ));

    assert_eq!(tree(&version_dir(dir.path())), before);
    assert_eq!(tree(dir.path()).len(), before.len());
    let url = paths::lesson_pack_file(PACK, 1, CLIP);
    assert_eq!(get(&w, &url, &[]).await.status, StatusCode::NOT_FOUND);
    // Refusals spoil nothing: the right bytes are still accepted.
    shelf.add_optional(PACK, 1, CLIP, bytes.as_slice()).unwrap();
    assert_eq!(get(&w, &url, &[]).await.body, bytes);
}

/// Runs the platform binary publishing `archive`; returns whether it started and its stderr.
fn start_publishing(data: &Path, archive: &Path) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_yannong-server"))
        .args(["--data", data.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .args(["--publish", archive.to_str().unwrap()])
        .args(["--lesson-key", &signer().public_key_hex()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let started = line.starts_with("listening on ");
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    (started, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn publish_at_start_adds_media_from_the_folder_beside_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    let (_, archive) = pack();
    let file = dir.path().join("media-pack-v1.ynpack");
    std::fs::write(&file, &archive).unwrap();
    let media = dir.path().join("media-pack-v1.ynpack.media");
    std::fs::create_dir_all(media.join("media")).unwrap();

    // A file that is not the signed one stops the start, naming it.
    let mut wrong = clip();
    wrong[0] ^= 1;
    std::fs::write(media.join(CLIP), &wrong).unwrap();
    let data = dir.path().join("platform");
    let (started, stderr) = start_publishing(&data, &file);
    assert!(!started, "{stderr}");
    assert!(
        stderr.contains("x.mp4") && stderr.contains("SHA-256"),
        "{stderr}"
    );

    std::fs::write(media.join(CLIP), clip()).unwrap();
    let (started, stderr) = start_publishing(&data, &file);
    assert!(started, "{stderr}");
    assert!(stderr.contains("1 of 1 optional files"), "{stderr}");
    let shelf = Shelf::open(&data.join("lessons"), keys()).unwrap();
    let served = shelf
        .version(PACK, 1)
        .unwrap()
        .item(Item::File(CLIP))
        .unwrap();
    assert_eq!(std::fs::read(served.path).unwrap(), clip());
}
