//! The platform process is killed (SIGKILL) in the middle of ingest and in the middle of a
//! phone's sync, then restarted on the same data: no reading is lost or stored twice, and the
//! phone's copy ends equal to the platform's.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::reading;
use yannong_core::Timestamp;
use yannong_core::barn::api::{BarnKind, IngestBatch, IngestReport, Role, paths};
use yannong_core::barn::{Barns, ClientConfig, MemorySecrets, local};
use yannong_core::cancel::Cancel;
use yannong_core::store::Store;
use yannong_server::auth::{hash_password, new_token};
use yannong_server::store::{NewBarn, NewUser, PlatformStore, SqliteStore};

const PASSWORD: &str = "kill-test";
/// Days of readings per barn in the sync test: 8 barns × 6 days is seven sync pages.
const DAYS: i64 = 6;
const TECHNICIAN: &str = "13900000001";

struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(data: &Path, listen: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_yannong-server"))
            .args(["--data", data.to_str().unwrap(), "--listen", listen])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap()
            .to_owned();
        Server { child, url }
    }

    fn port(&self) -> &str {
        self.url.rsplit(':').next().unwrap()
    }

    fn kill(mut self) {
        self.child.kill().unwrap(); // SIGKILL: no shutdown code runs
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A platform database with a technician and `barns` barns; returns the first barn's
/// controller token.
fn seed(
    data: &Path,
    barns: usize,
) -> (
    Arc<SqliteStore>,
    Vec<yannong_core::barn::api::BarnId>,
    String,
) {
    let store = Arc::new(SqliteStore::open(&data.join("platform.db")).unwrap());
    let now = Timestamp::now();
    let hash = hash_password(PASSWORD).unwrap();
    let tech = store
        .create_user(
            NewUser {
                phone: TECHNICIAN.into(),
                name: "t".into(),
                role: Role::Technician,
                password_hash: hash.clone(),
            },
            now,
        )
        .unwrap();
    let farmer = store
        .create_user(
            NewUser {
                phone: "13800000001".into(),
                name: "f".into(),
                role: Role::Farmer,
                password_hash: hash,
            },
            now,
        )
        .unwrap();
    let ids: Vec<_> = (0..barns)
        .map(|i| {
            store
                .create_barn(
                    NewBarn {
                        name: format!("{i}"),
                        village: "v".into(),
                        owner: farmer.id,
                        technician: Some(tech.id),
                        kind: BarnKind::HeatPump,
                        capacity_kg: 4500,
                    },
                    now,
                )
                .unwrap()
                .id
        })
        .collect();
    let (token, token_hash) = new_token().unwrap();
    store.set_controller_token(ids[0], &token_hash).unwrap();
    (store, ids, token)
}

fn http() -> reqwest::Client {
    // reqwest is built without a default TLS provider (the app brings ring); plain http here.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_platform_mid_ingest_loses_and_duplicates_nothing() {
    let data = tempfile::tempdir().unwrap();
    let (store, barns, token) = seed(data.path(), 1);
    drop(store);
    let start = Timestamp::now().add_hours(-48.0).0;
    let batches: Vec<IngestBatch> = (0..60)
        .map(|b| IngestBatch {
            batch_id: format!("c-{b}"),
            readings: (0..40)
                .map(|i| reading(Timestamp(start + (b * 40 + i) * 60_000), 38.0))
                .collect(),
        })
        .collect();

    let mut server = Some(Server::start(data.path(), "127.0.0.1:0"));
    let port = server.as_ref().unwrap().port().to_owned();
    let client = http();
    let mut next = 0;
    let mut killed = false;
    while next < batches.len() {
        let url = format!("http://127.0.0.1:{port}{}", paths::ingest(barns[0]));
        if next == 25 && !killed {
            // Kill while a batch is in flight: the controller never learns whether it landed.
            let req = client
                .post(&url)
                .bearer_auth(&token)
                .json(&batches[next])
                .send();
            let s = server.take().unwrap();
            let (_r, ()) = tokio::join!(req, async { s.kill() });
            killed = true;
            server = Some(Server::start(data.path(), &format!("127.0.0.1:{port}")));
            continue; // resend the same batch, as a controller does after a lost response
        }
        match client
            .post(&url)
            .bearer_auth(&token)
            .json(&batches[next])
            .send()
            .await
        {
            Ok(res) if res.status().is_success() => {
                let report: IngestReport = res.json().await.unwrap();
                assert!(report.rejected.is_empty());
                next += 1;
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    drop(server);
    let store = SqliteStore::open(&data.path().join("platform.db")).unwrap();
    let stored = store
        .readings(
            barns[0],
            Timestamp(start),
            Timestamp(start + 10_000 * 60_000),
            100_000,
        )
        .unwrap();
    assert_eq!(stored.len(), 60 * 40, "every reading exactly once");
    assert!(stored.windows(2).all(|w| w[0].at < w[1].at));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_cut_by_a_platform_crash_resumes_and_ends_identical() {
    let data = tempfile::tempdir().unwrap();
    let (store, barns, _) = seed(data.path(), 8);
    let start = Timestamp::now().add_hours(-72.0).0;
    for (i, b) in barns.iter().enumerate() {
        let rs: Vec<_> = (0..DAYS * 1440)
            .map(|m| reading(Timestamp(start + m * 60_000), 35.0 + i as f64))
            .collect();
        for (n, chunk) in rs.chunks(1440).enumerate() {
            store
                .ingest(*b, &format!("{n}"), chunk, vec![], Timestamp::now())
                .unwrap();
        }
    }
    drop(store);
    let total = barns.len() * DAYS as usize * 1440;

    let server = Server::start(data.path(), "127.0.0.1:0");
    let port = server.port().to_owned();
    let phone_dir = tempfile::tempdir().unwrap();
    let phone_store = Arc::new(Store::open_in_dir(phone_dir.path()).unwrap());
    let phone = Arc::new(
        Barns::new(
            &ClientConfig {
                base_url: server.url.clone(),
                extra_roots_pem: None,
            },
            phone_store.clone(),
            Arc::new(MemorySecrets::default()),
        )
        .unwrap(),
    );
    phone.login(TECHNICIAN, PASSWORD).await.unwrap();
    let syncing = {
        let phone = phone.clone();
        tokio::spawn(async move { phone.sync(&Cancel::default()).await })
    };
    // Kill as soon as the first pages have landed on the phone.
    let count = |s: &Store| {
        s.read(|c| {
            c.query_row("SELECT count(*) FROM readings", [], |r| r.get::<_, i64>(0))
                .map_err(yannong_core::store::StoreError::from)
        })
        .unwrap()
    };
    tokio::time::timeout(Duration::from_secs(30), async {
        while count(&phone_store) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
    server.kill();
    let first = syncing.await.unwrap();
    let partial = count(&phone_store) as usize;
    // Seven pages take far longer than noticing the first one, so the kill lands mid-sync.
    assert!(first.is_err(), "the sync outlived the platform: {first:?}");
    assert!(0 < partial && partial < total, "{partial} of {total}");

    let _server = Server::start(data.path(), &format!("127.0.0.1:{port}"));
    let report = phone.sync(&Cancel::default()).await.unwrap();
    assert_eq!(
        partial + report.readings as usize,
        total,
        "resumed where it stopped, nothing twice"
    );
    let platform = SqliteStore::open(&data.path().join("platform.db")).unwrap();
    for b in &barns {
        let theirs = platform
            .readings(*b, Timestamp(0), Timestamp(i64::MAX), 100_000)
            .unwrap();
        let ours = phone_store
            .read(|c| local::readings(c, *b, Timestamp(0), Timestamp(i64::MAX)))
            .unwrap();
        assert_eq!(ours, theirs, "barn {b}");
    }
}
