//! Lesson pack install throughput (issue #7): a full `LessonLibrary::install` (signature and
//! every SHA-256 checked, files written and fsynced to staging, renamed into place, the switch
//! transaction with the search index) against a plain copy of the same bytes on the same
//! filesystem, once with an fsync per file (as install does) and once without. Measured on the
//! real default pack (`content/default`) and on a generated pack of 200 lessons and ~40 MB of
//! incompressible "images". A report at the end, from a few rounds that run install and the
//! copies back to back (fsync latency on a shared disk drifts), gives MB/s of each, the
//! install/copy time ratios and a rough split of install time into phases; it sets no goal.
//!
//! Everything is generated from a fixed seed (no network, same bytes on every run) and written
//! under the system temp folder: set `TMPDIR` to measure another disk. Each iteration starts
//! from the same state (pack removed, copy folder fresh); that reset is not timed.

use std::fs::{self, File};
use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use yannong_core::cancel::Cancel;
use yannong_core::lessons::search::{IndexedLesson, index_pack, warm_up};
use yannong_core::lessons::{
    InstallOutcome, LessonLibrary, LibraryError, Manifest, PackReader, PackSigner, TrustedKeys,
    build_pack,
};
use yannong_core::store::{Store, StoreError};

const SEED: [u8; 32] = [0x17; 32];
const GEN_LESSONS: usize = 200;
const GEN_IMAGES: usize = 100;
const GEN_IMAGE_BYTES: usize = 400 * 1024;
/// Paired rounds of install and the copies for the report (medians taken).
const ROUNDS: usize = 5;
/// Repetitions of each in-memory phase timed for the report (median taken).
const PHASE_RUNS: usize = 3;

const WORDS: &[&str] = &[
    "烘烤",
    "烟叶",
    "烤房",
    "变黄期",
    "定色期",
    "干筋期",
    "干球温度",
    "湿球温度",
    "升温",
    "稳温",
    "排湿",
    "采收",
    "成熟度",
    "上部叶",
    "中部叶",
    "下部叶",
    "叶片",
    "温度",
    "湿度",
    "注意",
    "及时",
    "检查",
    "颜色",
    "水分",
    "控制",
    "观察",
    "避免",
    "保持",
    "阶段",
    "小时",
    "明显",
    "正常",
];

/// xorshift64*: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn word(&mut self) -> &'static str {
        WORDS[(self.next() % WORDS.len() as u64) as usize]
    }
}

/// A content folder (see `core/src/lessons/build.rs`) of `GEN_LESSONS` lessons of ~1.5 KB
/// Chinese Markdown and `GEN_IMAGES` pseudo-random files of `GEN_IMAGE_BYTES`.
fn generate_content(dir: &Path) {
    let mut rng = Rng(0x5EED_1A57_A11C_0007);
    fs::create_dir_all(dir.join("lessons")).expect("lessons folder");
    fs::create_dir_all(dir.join("images")).expect("images folder");
    fs::write(
        dir.join("pack.toml"),
        "id = \"bench-large\"\nversion = 1\nlanguage = \"zh-Hans\"\n\
         title = \"基准课程包\"\ntitle_en = \"Benchmark pack\"\n",
    )
    .expect("pack.toml");
    for n in 0..GEN_LESSONS {
        let title = format!("{}{}要点", rng.word(), rng.word());
        let tags = format!("\"{}\", \"{}\"", rng.word(), rng.word());
        let mut md = format!(
            "+++\nid = \"lesson-{n:03}\"\ntitle = \"{title}\"\ntitle_en = \"Lesson {n}\"\n\
             tags = [{tags}]\nminutes = 3\n+++\n# {title}\n\n![图](images/photo-{:03}.jpg)\n\n",
            n % GEN_IMAGES
        );
        for section in 0..4 {
            md.push_str(&format!("## 第{}节 {}\n\n", section + 1, rng.word()));
            for _ in 0..4 {
                for _ in 0..6 {
                    md.push_str(rng.word());
                }
                md.push('。');
            }
            md.push_str("\n\n");
        }
        fs::write(dir.join(format!("lessons/{n:03}-lesson.md")), md).expect("lesson");
    }
    let mut image = vec![0u8; GEN_IMAGE_BYTES];
    for n in 0..GEN_IMAGES {
        for chunk in image.chunks_mut(8) {
            let bytes = rng.next().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        fs::write(dir.join(format!("images/photo-{n:03}.jpg")), &image).expect("image");
    }
}

/// A built pack and the files an install of it writes.
struct Pack {
    name: &'static str,
    manifest: Manifest,
    archive: Vec<u8>,
    /// Every file install writes (the pack's files, `manifest.json`, `manifest.sig`).
    files: Vec<(String, Vec<u8>)>,
}

impl Pack {
    fn build(name: &'static str, content: &Path, signer: &PackSigner, keys: &TrustedKeys) -> Pack {
        let (manifest, archive) = build_pack(content, signer).expect("pack builds");
        let mut files = Vec::new();
        let verified = PackReader::new(keys)
            .read(&archive[..], |entry, data| {
                files.push((entry.path.clone(), data.to_vec()));
                Ok(())
            })
            .expect("pack verifies");
        files.push(("manifest.json".into(), verified.manifest_bytes));
        files.push(("manifest.sig".into(), verified.signature));
        Pack {
            name,
            manifest,
            archive,
            files,
        }
    }

    fn bytes(&self) -> u64 {
        self.files.iter().map(|(_, d)| d.len() as u64).sum()
    }

    fn file(&self, path: &str) -> &[u8] {
        &self
            .files
            .iter()
            .find(|(p, _)| p == path)
            .expect("listed file")
            .1
    }
}

#[derive(Clone, Copy)]
enum Sync {
    /// No fsync: the page cache only.
    None,
    /// `sync_all` right after each file is written, as install's staging writes do.
    EachFile,
    /// Every file written first, then each `sync_all`ed (report only: what batching would give).
    AtEnd,
}

/// The reference: every file of the pack written to `dst` with `File::create` + `write_all`
/// (what `std::fs::write` does), synced as `sync` says.
fn copy(files: &[(String, Vec<u8>)], dst: &Path, sync: Sync) {
    let mut open = Vec::new();
    for (path, data) in files {
        let to = dst.join(path);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).expect("copy folder");
        }
        let mut f = File::create(&to).expect("create");
        f.write_all(data).expect("write");
        match sync {
            Sync::None => {}
            Sync::EachFile => f.sync_all().expect("fsync"),
            Sync::AtEnd => open.push(f),
        }
    }
    for f in open {
        f.sync_all().expect("fsync");
    }
}

fn remove_dir(dir: &Path) {
    match fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => panic!("remove {}: {e}", dir.display()),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_unstable_by(f64::total_cmp);
    v[v.len() / 2]
}

fn timed(f: impl FnOnce()) -> Duration {
    let started = Instant::now();
    f();
    started.elapsed()
}

fn median_of(mut f: impl FnMut() -> Duration) -> Duration {
    let mut v: Vec<Duration> = (0..PHASE_RUNS).map(|_| f()).collect();
    v.sort_unstable();
    v[v.len() / 2]
}

/// A library and a copy folder for one pack; every timed call starts from the same state.
struct Bench<'p> {
    pack: &'p Pack,
    lib: LessonLibrary,
    cancel: Cancel,
    copy_dir: PathBuf,
}

impl<'p> Bench<'p> {
    fn new(pack: &'p Pack, keys: &TrustedKeys, tmp: &Path) -> Self {
        let store = Store::open_in_dir(&tmp.join(format!("db-{}", pack.name))).expect("db");
        let root = tmp.join(format!("lessons-{}", pack.name));
        Bench {
            lib: LessonLibrary::open(Arc::new(store), root, keys.clone()).expect("library"),
            cancel: Cancel::new(false),
            copy_dir: tmp.join(format!("copy-{}", pack.name)),
            pack,
        }
    }

    fn remove_pack(&self) {
        match self.lib.remove(&self.pack.manifest.id) {
            Ok(()) | Err(LibraryError::NotInstalled(_)) => {}
            Err(e) => panic!("remove {}: {e}", self.pack.manifest.id),
        }
    }

    /// One full install into a library without the pack (the removal is not timed).
    fn install(&self) -> Duration {
        self.remove_pack();
        let started = Instant::now();
        let outcome = self
            .lib
            .install(black_box(&self.pack.archive[..]), &self.cancel);
        let took = started.elapsed();
        assert!(matches!(outcome, Ok(InstallOutcome::Installed { .. })));
        took
    }

    /// One copy into a fresh folder, removed again untimed (so unsynced pages are dropped
    /// rather than written back during the next measurement).
    fn copy(&self, sync: Sync) -> Duration {
        remove_dir(&self.copy_dir);
        fs::create_dir_all(&self.copy_dir).expect("copy folder");
        let took = timed(|| copy(black_box(&self.pack.files), &self.copy_dir, sync));
        remove_dir(&self.copy_dir);
        took
    }
}

fn sum(iters: u64, mut f: impl FnMut() -> Duration) -> Duration {
    (0..iters).map(|_| f()).sum()
}

fn bench_pack(c: &mut Criterion, bench: &Bench<'_>) {
    let mut group = c.benchmark_group(format!("lesson_install/{}", bench.pack.name));
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Bytes(bench.pack.bytes()));
    group.bench_function(BenchmarkId::from_parameter("install"), |b| {
        b.iter_custom(|iters| sum(iters, || bench.install()))
    });
    group.bench_function(BenchmarkId::from_parameter("copy_fsync"), |b| {
        b.iter_custom(|iters| sum(iters, || bench.copy(Sync::EachFile)))
    });
    group.bench_function(BenchmarkId::from_parameter("copy"), |b| {
        b.iter_custom(|iters| sum(iters, || bench.copy(Sync::None)))
    });
    group.finish();
}

fn mb_s(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / 1e6 / secs
}

/// The report: `ROUNDS` rounds of install, copy+fsync, copy and copy-then-fsync back to back
/// (on a shared disk fsync latency drifts with other writers, so the ratio is taken per round),
/// and install phases timed apart: verifying the archive in memory, SHA-256 alone, and the
/// search index in its own transaction.
fn report(bench: &Bench<'_>, keys: &TrustedKeys, tmp: &Path) {
    let pack = bench.pack;
    let name = pack.name;
    let bytes = pack.bytes();
    let rounds: Vec<[f64; 4]> = (0..ROUNDS)
        .map(|_| {
            [
                bench.install(),
                bench.copy(Sync::EachFile),
                bench.copy(Sync::None),
                bench.copy(Sync::AtEnd),
            ]
            .map(|d| d.as_secs_f64())
        })
        .collect();
    bench.remove_pack();
    let col = |i: usize| median(rounds.iter().map(|r| r[i]).collect());
    let ratio = |i: usize| median(rounds.iter().map(|r| r[0] / r[i]).collect());
    let (install, copy_fsync, copy, copy_sync_end) = (col(0), col(1), col(2), col(3));
    eprintln!(
        "lesson_install/{name}: {} files, {} lessons, {:.2} MB written ({:.2} MB archive); \
         medians of {ROUNDS} paired rounds:",
        pack.files.len(),
        pack.manifest.lessons.len(),
        bytes as f64 / 1e6,
        pack.archive.len() as f64 / 1e6,
    );
    eprintln!(
        "lesson_install/{name}:   install {:.1} ms = {:.1} MB/s; copy+fsync {:.1} ms = {:.1} \
         MB/s; copy {:.1} ms = {:.1} MB/s",
        install * 1e3,
        mb_s(bytes, install),
        copy_fsync * 1e3,
        mb_s(bytes, copy_fsync),
        copy * 1e3,
        mb_s(bytes, copy),
    );
    eprintln!(
        "lesson_install/{name}:   install/copy+fsync {:.2}× the time, install/copy {:.1}×",
        ratio(1),
        ratio(2),
    );

    let verify = median_of(|| {
        timed(|| {
            PackReader::new(keys)
                .read(black_box(&pack.archive[..]), |_, data| {
                    black_box(data);
                    Ok(())
                })
                .expect("verifies");
        })
    })
    .as_secs_f64();
    let sha = median_of(|| {
        timed(|| {
            for (_, data) in &pack.files {
                black_box(Sha256::digest(data));
            }
        })
    })
    .as_secs_f64();
    let store = Store::open_in_dir(&tmp.join(format!("index-{name}"))).expect("db");
    let lessons: Vec<IndexedLesson<'_>> = pack
        .manifest
        .lessons
        .iter()
        .map(|l| IndexedLesson {
            lesson_id: &l.id,
            title: &l.title,
            tags: &l.tags,
            markdown: std::str::from_utf8(pack.file(&l.file)).expect("UTF-8 lesson"),
        })
        .collect();
    let index = median_of(|| {
        timed(|| {
            store
                .write(|tx| -> Result<(), StoreError> {
                    Ok(index_pack(tx, &pack.manifest.id, &lessons)?)
                })
                .expect("index");
        })
    })
    .as_secs_f64();
    let rest = install - verify - copy_fsync - index;
    let share = |t: f64| 100.0 * t / install;
    eprintln!(
        "lesson_install/{name}:   install ≈ verify {:.1} ms ({:.0}%; SHA-256 alone {:.1} ms) \
         + write+fsync {:.1} ms ({:.0}%) + search index {:.1} ms ({:.0}%) + rest {:+.1} ms \
         ({:+.0}%: dir syncs, rename, lesson rows, commit, sweep; a difference, so noisy)",
        verify * 1e3,
        share(verify),
        sha * 1e3,
        copy_fsync * 1e3,
        share(copy_fsync),
        index * 1e3,
        share(index),
        rest * 1e3,
        share(rest),
    );
    eprintln!(
        "lesson_install/{name}:   for comparison, copy with one fsync per file after all writes: \
         {:.1} ms = {:.1} MB/s ({:.2}× copy+fsync)",
        copy_sync_end * 1e3,
        mb_s(bytes, copy_sync_end),
        median(rounds.iter().map(|r| r[3] / r[1]).collect()),
    );
}

fn lesson_install(c: &mut Criterion) {
    let signer = PackSigner::from_seed(SEED);
    let keys = TrustedKeys::from_hex([signer.public_key_hex().as_str()]).expect("key");
    let tmp = TempDir::new().expect("temp dir");

    let started = Instant::now();
    let default_dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/default");
    let default = Pack::build("default", &default_dir, &signer, &keys);
    let content = tmp.path().join("content-large");
    generate_content(&content);
    let large = Pack::build("large", &content, &signer, &keys);
    fs::remove_dir_all(&content).expect("remove content");
    warm_up();
    eprintln!(
        "lesson_install: packs built in {:.1} s, temp folder {}",
        started.elapsed().as_secs_f64(),
        tmp.path().display()
    );

    let benches = [
        Bench::new(&default, &keys, tmp.path()),
        Bench::new(&large, &keys, tmp.path()),
    ];
    for bench in &benches {
        bench_pack(c, bench);
    }
    for bench in &benches {
        report(bench, &keys, tmp.path());
    }
}

criterion_group!(benches, lesson_install);
criterion_main!(benches);
