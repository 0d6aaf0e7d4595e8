//! The phone app is killed (SIGKILL) again and again in the middle of a long first sync, at
//! varied moments. After every kill its store holds exactly what its cursor covers (a page is in
//! or out, never torn) and the cursor has not moved back; a final sync by the restarted app ends
//! with a copy equal to the platform's, nothing missing and nothing twice.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use yannong_core::Timestamp;
use yannong_core::barn::api::{BarnId, BarnKind};
use yannong_core::barn::{Barns, ClientConfig, local};
use yannong_core::cancel::Cancel;
use yannong_core::store::{DB_FILE_NAME, Store};
use yannong_e2e::{Keychain, PASSWORD, TestPlatform, reading};
use yannong_server::store::{Cursor, NewBarn};

/// Set by the parent in the phone process it starts: data folder, platform, login.
const CHILD_DIR: &str = "YANNONG_SYNC_KILL_DIR";
const CHILD_URL: &str = "YANNONG_SYNC_KILL_URL";
const CHILD_PHONE: &str = "YANNONG_SYNC_KILL_PHONE";
const KEYCHAIN: &str = "keychain.tsv";
/// 6 technician barns × 10 days of one-minute readings: 86 400 readings, nine sync pages.
const EXTRA_BARNS: usize = 4;
const DAYS: i64 = 10;
const ROUNDS: usize = 8;
const SEED: u64 = 0x5eed_2026;

fn open_phone(dir: &Path, url: &str) -> (Arc<Store>, Arc<Keychain>, Barns) {
    let store = Arc::new(Store::open_in_dir(dir).unwrap());
    let keychain = Arc::new(Keychain::at(dir.join(KEYCHAIN)));
    let config = ClientConfig {
        base_url: url.to_owned(),
        extra_roots_pem: None,
    };
    let barns = Barns::new(&config, store.clone(), keychain.clone()).unwrap();
    (store, keychain, barns)
}

/// Not a test by itself: the phone process the parent test starts and kills. Without the
/// parent's variables it returns at once.
#[test]
#[allow(clippy::print_stdout)]
fn phone_process() {
    let (Ok(dir), Ok(url), Ok(phone)) = (
        std::env::var(CHILD_DIR),
        std::env::var(CHILD_URL),
        std::env::var(CHILD_PHONE),
    ) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (_store, keychain, barns) = open_phone(Path::new(&dir), &url);
        // A restarted app is still logged in: the token is in the keychain.
        if keychain.entries().is_empty() {
            barns.login(&phone, PASSWORD).await.unwrap();
        }
        println!("syncing");
        barns.sync(&Cancel::default()).await.unwrap();
        println!("synced");
    });
}

/// Kills the phone process when dropped, so a failing parent leaves none behind. Holds its
/// stdout open (it writes there) and the file of its stderr.
struct PhoneProcess {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    stderr: PathBuf,
}

impl PhoneProcess {
    /// Starts the phone app and returns once it has begun its sync.
    fn start(dir: &Path, url: &str, phone: &str) -> PhoneProcess {
        let errors = dir.join("phone-stderr.txt");
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "phone_process",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, dir)
            .env(CHILD_URL, url)
            .env(CHILD_PHONE, phone)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&errors).unwrap())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut said = String::new();
        while !said.ends_with("syncing\n") {
            if out.read_line(&mut said).unwrap() == 0 {
                let _ = child.wait();
                let e = std::fs::read_to_string(&errors).unwrap_or_default();
                panic!("the phone process ended before syncing:\n{said}\n{e}");
            }
        }
        PhoneProcess {
            child,
            _stdout: out,
            stderr: errors,
        }
    }

    fn finished(&mut self) -> bool {
        let status = self.child.try_wait().unwrap();
        if let Some(s) = status {
            let e = std::fs::read_to_string(&self.stderr).unwrap_or_default();
            assert!(s.success(), "the phone process failed: {s}\n{e}");
        }
        status.is_some()
    }

    /// SIGKILL: no destructor, rollback or flush runs in the phone process. True if it had
    /// finished the sync before.
    fn kill(mut self) -> bool {
        let finished = self.finished();
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        finished
    }
}

impl Drop for PhoneProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// xorshift64: varied kill moments, the same on every run.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// The stored cursor as (change number, view), `(0, 0)` before the first page.
fn stored_cursor(db: &rusqlite::Connection) -> (i64, i64) {
    let text: String = db
        .query_row("SELECT coalesce(max(cursor), '') FROM barn_sync", [], |r| {
            r.get(0)
        })
        .unwrap();
    let c = Cursor::parse(&text).unwrap();
    (c.seq, c.view)
}

/// (barn, at) of the readings `sql` selects.
fn keys(
    db: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> BTreeSet<(i64, i64)> {
    let mut stmt = db.prepare(sql).unwrap();
    let rows = stmt
        .query_map(params, |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

/// Kills the phone process `ROUNDS` times and checks its store after each kill; returns the
/// last cursor and how many kills cut a sync short.
fn kill_rounds(dir: &Path, url: &str, phone: &str, platform_db: &Path) -> ((i64, i64), usize) {
    let mut seed = SEED;
    let mut last = (0, 0);
    let mut cut_short = 0;
    let db_path = dir.join(DB_FILE_NAME);
    for round in 0..ROUNDS {
        let mut process = PhoneProcess::start(dir, url, phone);
        if round > 0 {
            // Let each later round apply a page or more before the kill.
            let db = rusqlite::Connection::open(&db_path).unwrap();
            while stored_cursor(&db) == last && !process.finished() {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        let bound = if round == 0 { 30 } else { 80 };
        std::thread::sleep(Duration::from_millis(next(&mut seed) % bound));
        let finished = process.kill();
        cut_short += usize::from(!finished);

        let db = rusqlite::Connection::open(&db_path).unwrap();
        let cursor = stored_cursor(&db);
        assert!(
            cursor >= last,
            "round {round}: cursor went back from {last:?} to {cursor:?}"
        );
        last = cursor;
        eprintln!("round {round}: killed at cursor {cursor:?}, sync finished: {finished}");
        let ours = keys(&db, "SELECT barn_id, at FROM readings", []);
        let count: i64 = db
            .query_row("SELECT count(*) FROM readings", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            count as usize,
            ours.len(),
            "round {round}: a reading stored twice"
        );
        let platform = rusqlite::Connection::open(platform_db).unwrap();
        let theirs = keys(
            &platform,
            "SELECT barn_id, at FROM readings WHERE seq <= ?1",
            [cursor.0],
        );
        assert!(
            ours == theirs,
            "round {round}: {} readings stored for a cursor covering {}",
            ours.len(),
            theirs.len()
        );
        if finished {
            break;
        }
    }
    (last, cut_short)
}

/// Four more barns for the technician, and `DAYS` of readings in every technician barn.
fn seed_platform(p: &TestPlatform) -> Vec<BarnId> {
    let store = &p.platform.store;
    let mut barns: Vec<BarnId> = vec![p.barns[0].id, p.barns[1].id];
    for i in 0..EXTRA_BARNS {
        let barn = store
            .create_barn(
                NewBarn {
                    name: format!("{}号烤房", i + 4),
                    village: "郏县".into(),
                    owner: p.farmer.id,
                    technician: Some(p.technician.id),
                    kind: BarnKind::HeatPump,
                    capacity_kg: 4500,
                },
                Timestamp::now(),
            )
            .unwrap();
        barns.push(barn.id);
    }
    let start = Timestamp::now().add_hours(-24.0 * DAYS as f64).0;
    for (i, &b) in barns.iter().enumerate() {
        for day in 0..DAYS {
            let rs: Vec<_> = (0..1440)
                .map(|m| {
                    reading(
                        Timestamp(start + (day * 1440 + m) * 60_000),
                        35.0 + i as f64,
                    )
                })
                .collect();
            store
                .ingest(b, &format!("d{day}"), &rs, vec![], Timestamp::now())
                .unwrap();
        }
    }
    barns
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_killed_mid_sync_resumes_from_its_cursor() {
    let p = TestPlatform::start().await;
    let barns = seed_platform(&p);
    let phone_dir = tempfile::tempdir().unwrap();

    // The platform keeps serving in this process while phone processes come and go.
    let (dir, url, phone): (PathBuf, _, _) = (
        phone_dir.path().to_owned(),
        p.url(),
        p.technician.phone.clone(),
    );
    let platform_db = p.dir.path().join("platform.db");
    let (last, cut_short) =
        tokio::task::spawn_blocking(move || kill_rounds(&dir, &url, &phone, &platform_db))
            .await
            .unwrap();
    assert!(cut_short > 0, "no kill landed before the sync finished");

    // The app starts once more, still logged in, and syncs to the end.
    let (store, keychain, phone) = open_phone(phone_dir.path(), &p.url());
    assert_eq!(keychain.entries().len(), 1, "the token survived the kills");
    phone.sync(&Cancel::default()).await.unwrap();
    let cursor = Cursor::parse(&phone.session().unwrap().unwrap().cursor).unwrap();
    assert!(
        (cursor.seq, cursor.view) >= last,
        "cursor went back to {cursor:?}"
    );

    let mut ours = BTreeSet::new();
    let mut theirs = BTreeSet::new();
    for &b in &barns {
        let platform = p
            .platform
            .store
            .readings(b, Timestamp(0), Timestamp(i64::MAX), 1_000_000)
            .unwrap();
        let local = store
            .read(|c| local::readings(c, b, Timestamp(0), Timestamp(i64::MAX)))
            .unwrap();
        assert_eq!(local.len(), DAYS as usize * 1440, "barn {b}");
        assert_eq!(local, platform, "barn {b}");
        ours.extend(local.iter().map(|r| (b, r.at)));
        theirs.extend(platform.iter().map(|r| (b, r.at)));
    }
    assert_eq!(ours, theirs);
    let stored: i64 = store
        .read(|c| {
            c.query_row("SELECT count(*) FROM readings", [], |r| r.get(0))
                .map_err(yannong_core::store::StoreError::from)
        })
        .unwrap();
    assert_eq!(
        stored as usize,
        barns.len() * DAYS as usize * 1440,
        "nothing twice"
    );
}
