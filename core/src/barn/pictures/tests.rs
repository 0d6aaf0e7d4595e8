#![allow(clippy::unwrap_used)]

use super::*;
use crate::barn::api::BarnId;

const T0: Timestamp = Timestamp(1_790_000_000_000);

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in_dir(dir.path()).unwrap();
    Fixture { _dir: dir, store }
}

/// A picture of `len` bytes (content depends on `id`) with its row in the store.
fn picture(f: &Fixture, id: i64, len: usize) -> (ImageMeta, Vec<u8>) {
    let bytes: Vec<u8> = (0..len).map(|i| (i as i64 * 7 + id) as u8).collect();
    let meta = ImageMeta {
        id: ImageId(id),
        barn_id: BarnId(1),
        at: T0,
        bytes: len as u32,
        sha256: hex::encode(Sha256::digest(&bytes)),
        simulated: true,
    };
    f.store
        .write(|tx| {
            tx.execute(
                "INSERT INTO barn_images (id, barn_id, at, bytes, sha256, simulated) \
                 VALUES (?1, 1, ?2, ?3, ?4, 1)",
                params![id, T0.0, len as u32, meta.sha256],
            )?;
            Ok::<_, BarnError>(())
        })
        .unwrap();
    (meta, bytes)
}

fn at(min: i64) -> Timestamp {
    Timestamp(T0.0 + min * 60_000)
}

fn files(cache: &PictureCache) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(cache.dir())
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_kept_picture_comes_back_without_the_network() {
    let f = fixture();
    let cache = PictureCache::beside(&f.store, 10_000);
    let (meta, jpeg) = picture(&f, 1, 500);
    assert_eq!(cache.get(&f.store, &meta, at(0)).unwrap(), None);
    cache.put(&f.store, &meta, &jpeg, at(0)).unwrap();
    assert_eq!(cache.get(&f.store, &meta, at(1)).unwrap(), Some(jpeg));
    assert_eq!(files(&cache), ["1.jpg"]);
    assert_eq!(cache.size(), 500);
}

#[test]
fn bytes_that_do_not_match_their_checksum_are_refused_and_not_kept() {
    let f = fixture();
    let cache = PictureCache::beside(&f.store, 10_000);
    let (meta, mut jpeg) = picture(&f, 1, 500);
    jpeg[10] ^= 1;
    let err = cache.put(&f.store, &meta, &jpeg, at(0)).unwrap_err();
    assert!(matches!(err, BarnError::Integrity(_)), "{err}");
    jpeg.pop();
    assert!(cache.put(&f.store, &meta, &jpeg, at(0)).is_err());
    assert_eq!(cache.get(&f.store, &meta, at(1)).unwrap(), None);
    assert!(files(&cache).is_empty());
}

#[test]
fn the_cap_drops_the_least_recently_viewed_first() {
    let f = fixture();
    let cache = PictureCache::beside(&f.store, 1_000);
    let pics: Vec<_> = (1..=3).map(|id| picture(&f, id, 400)).collect();
    cache.put(&f.store, &pics[0].0, &pics[0].1, at(0)).unwrap();
    cache.put(&f.store, &pics[1].0, &pics[1].1, at(1)).unwrap();
    // Viewing 1 again makes 2 the least recently viewed.
    assert!(cache.get(&f.store, &pics[0].0, at(2)).unwrap().is_some());
    cache.put(&f.store, &pics[2].0, &pics[2].1, at(3)).unwrap();
    assert_eq!(files(&cache), ["1.jpg", "3.jpg"]);
    assert!(cache.size() <= 1_000);
    assert_eq!(cache.get(&f.store, &pics[1].0, at(4)).unwrap(), None);
}

#[test]
fn a_picture_larger_than_the_cap_is_shown_but_not_kept() {
    let f = fixture();
    let cache = PictureCache::beside(&f.store, 1_000);
    let (small, small_jpeg) = picture(&f, 1, 400);
    let (big, big_jpeg) = picture(&f, 2, 1_500);
    cache.put(&f.store, &small, &small_jpeg, at(0)).unwrap();
    cache.put(&f.store, &big, &big_jpeg, at(1)).unwrap();
    assert_eq!(files(&cache), ["1.jpg"]);
}

#[test]
fn a_damaged_file_is_forgotten_and_fetched_again() {
    let f = fixture();
    let cache = PictureCache::beside(&f.store, 10_000);
    let (meta, jpeg) = picture(&f, 1, 500);
    cache.put(&f.store, &meta, &jpeg, at(0)).unwrap();
    fs::write(cache.dir().join("1.jpg"), &jpeg[..200]).unwrap();
    assert_eq!(cache.get(&f.store, &meta, at(1)).unwrap(), None);
    assert!(files(&cache).is_empty());
    // Gone from disk while still marked: same answer, no error.
    cache.put(&f.store, &meta, &jpeg, at(2)).unwrap();
    fs::remove_file(cache.dir().join("1.jpg")).unwrap();
    assert_eq!(cache.get(&f.store, &meta, at(3)).unwrap(), None);
}

#[test]
fn leftovers_and_a_wiped_account_are_swept() {
    let f = fixture();
    let cache = PictureCache::beside(&f.store, 10_000);
    let (meta, jpeg) = picture(&f, 1, 500);
    cache.put(&f.store, &meta, &jpeg, at(0)).unwrap();
    // A crash between writing and marking, one mid-write long ago, and a download running
    // now (its temporary file stays).
    fs::write(cache.dir().join("9.jpg"), b"orphan").unwrap();
    let stale = cache.dir().join("1.jpg.77-0.tmp");
    fs::write(&stale, b"half").unwrap();
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(an_hour_ago)
        .unwrap();
    fs::write(cache.dir().join("2.jpg.78-0.tmp"), b"writing").unwrap();
    cache.trim(&f.store).unwrap();
    assert_eq!(files(&cache), ["1.jpg", "2.jpg.78-0.tmp"]);
    // Logging out deletes the account's rows; its pictures go with them.
    f.store
        .write(|tx| Ok::<_, BarnError>(tx.execute("DELETE FROM barn_images", [])?))
        .unwrap();
    cache.trim(&f.store).unwrap();
    // Only the running download's file is left; its own `put` drops it (next test).
    assert_eq!(files(&cache), ["2.jpg.78-0.tmp"]);
}

#[test]
fn a_picture_whose_barn_left_the_account_mid_download_is_not_kept() {
    let f = fixture();
    let cache = PictureCache::beside(&f.store, 10_000);
    let (meta, jpeg) = picture(&f, 1, 500);
    f.store
        .write(|tx| Ok::<_, BarnError>(tx.execute("DELETE FROM barn_images", [])?))
        .unwrap();
    cache.put(&f.store, &meta, &jpeg, at(0)).unwrap();
    assert!(files(&cache).is_empty());
}
