//! API latency under load on loopback: 10 000 barn controllers each POST one reading per
//! simulated minute (open loop, arrivals spread evenly, the clock accelerated) while a few
//! phones (technicians and farmers) poll the changes feed and a barn's readings. Latency runs
//! from each request's scheduled send time, so a backed-up server cannot hide its queue.
//! Reference in the same run: the same client and rate against `/healthz`.
//!
//! `API_LOAD_SECS` (default 20): length of each phase. `API_LOAD_MINUTE_MS` (default 4000):
//! real milliseconds per simulated minute, i.e. 10 000 / 4 s = 2 500 requests/s. On the shared
//! 2-core box 5 000/s (2 s) saturated ingest (p99 ~1.8 s) while `/healthz` kept up, so the
//! default is half that. Exits non-zero if any request fails or the run overstays its bound.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;
use yannong_core::Timestamp;
use yannong_core::barn::api::{
    BarnKind, ChangesPage, Fan, HeatPump, IngestBatch, Reading, Role, UserId, paths,
};
use yannong_server::auth::new_token;
use yannong_server::clock::Clock;
use yannong_server::platform::Platform;
use yannong_server::store::{NewBarn, NewUser, PlatformStore, SqliteStore};

const BARNS: usize = 10_000;
/// One technician per ~50 barns, two barns per farmer.
const PER_TECHNICIAN: usize = 50;
const PER_FARMER: usize = 2;
/// Tasks sending controller requests; bounds the connections, not the offered rate.
const WORKERS: usize = 256;
const PHONE_EVERY: Duration = Duration::from_millis(500);
const TIMEOUT: Duration = Duration::from_secs(10);

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Latencies of one endpoint, and its failures.
#[derive(Debug, Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
}

impl Tally {
    async fn record(
        &mut self,
        scheduled: Instant,
        result: Result<reqwest::Response, reqwest::Error>,
    ) {
        self.latencies.push(scheduled.elapsed());
        let err = match result {
            Ok(r) if r.status().is_success() => return,
            Ok(r) => format!("HTTP {} {}", r.status(), r.text().await.unwrap_or_default()),
            Err(e) => e.to_string(),
        };
        self.errors += 1;
        self.first_error.get_or_insert(err);
    }

    fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn p(&self, q: f64) -> Duration {
        let i = ((self.latencies.len() as f64 * q).ceil() as usize).saturating_sub(1);
        self.latencies.get(i).copied().unwrap_or_default()
    }

    fn report(&mut self, name: &str) {
        self.latencies.sort();
        println!(
            "{name:<22} n {:>7}  errors {:>3}  p50 {:>9.2?}  p99 {:>9.2?}  max {:>9.2?}{}",
            self.latencies.len(),
            self.errors,
            self.p(0.50),
            self.p(0.99),
            self.p(1.0),
            self.first_error
                .as_ref()
                .map_or(String::new(), |e| format!("  first error: {e}"))
        );
    }
}

struct World {
    _dir: tempfile::TempDir,
    platform: Platform,
    /// Controller token of each barn, by index; barn ids are `ids[i]`.
    ids: Vec<i64>,
    controllers: Vec<String>,
    /// Session tokens of the phones, with one barn each may see.
    phones: Vec<(String, i64)>,
}

/// 10 000 barns with controller tokens, their farmers and technicians, straight into the store.
fn world() -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(SqliteStore::open(&dir.path().join("p.db")).expect("open"));
    let now = Timestamp::now();
    let user = |n: usize, role| {
        store
            .create_user(
                NewUser {
                    phone: format!("1{n:010}"),
                    name: format!("u{n}"),
                    role,
                    // Nobody logs in: phones get session tokens minted below.
                    password_hash: "-".into(),
                },
                now,
            )
            .expect("user")
            .id
    };
    let technicians: Vec<UserId> = (0..BARNS / PER_TECHNICIAN)
        .map(|n| user(n, Role::Technician))
        .collect();
    let farmers: Vec<UserId> = (0..BARNS / PER_FARMER)
        .map(|n| user(100_000 + n, Role::Farmer))
        .collect();
    let (mut ids, mut controllers) = (Vec::new(), Vec::new());
    for i in 0..BARNS {
        let barn = store
            .create_barn(
                NewBarn {
                    name: format!("{}号烤房", i + 1),
                    village: "郏县".into(),
                    owner: farmers[i / PER_FARMER],
                    technician: Some(technicians[i / PER_TECHNICIAN]),
                    kind: BarnKind::HeatPump,
                    capacity_kg: 4500,
                },
                now,
            )
            .expect("barn");
        let (token, hash) = new_token().expect("token");
        store.set_controller_token(barn.id, &hash).expect("token");
        ids.push(barn.id.0);
        controllers.push(token);
    }
    let session = |user: UserId| {
        let (token, hash) = new_token().expect("token");
        store
            .insert_token(&hash, user, now.add_hours(24.0))
            .expect("session");
        token
    };
    let phones = vec![
        (session(technicians[0]), ids[7]),
        (session(technicians[100]), ids[100 * PER_TECHNICIAN + 3]),
        (session(farmers[0]), ids[1]),
        (session(farmers[4000]), ids[4000 * PER_FARMER]),
    ];
    World {
        _dir: dir,
        platform: Platform::new(store, Clock::real()),
        ids,
        controllers,
        phones,
    }
}

fn reading(at: Timestamp, dry: f64) -> Reading {
    Reading {
        at,
        dry_bulb_c: dry,
        wet_bulb_c: dry - 2.0,
        dry_bulb_low_c: Some(dry - 0.5),
        dry_bulb_set_c: Some(38.0),
        wet_bulb_set_c: Some(36.0),
        step: Some(1),
        heat_pump: HeatPump::Heating,
        heating_pct: 40,
        fan: Fan::Low,
        fan_current_pct: 97,
        vent_pct: 5,
        vent_cmd_pct: 5,
        mains_power: true,
        door_open: false,
    }
}

/// Sends `total` requests, the k-th at `t0 + k * gap`, from a fixed pool of tasks. Tokio's
/// timer has 1 ms ticks, so sends leave in small bursts per millisecond.
async fn open_loop<F>(total: usize, gap: Duration, request: F) -> Tally
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let next = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now() + Duration::from_millis(50);
    let tasks: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (request, next) = (request.clone(), next.clone());
            tokio::spawn(async move {
                let mut tally = Tally::default();
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= total {
                        return tally;
                    }
                    let scheduled = t0 + gap * k as u32;
                    tokio::time::sleep_until(scheduled).await;
                    tally.record(scheduled, request(k).send().await).await;
                }
            })
        })
        .collect();
    let mut all = Tally::default();
    for t in tasks {
        all.merge(t.await.expect("worker"));
    }
    all
}

/// One phone polling: changes since its cursor, then one barn's last day of readings.
async fn phone(base: String, token: String, barn: i64, until: Instant) -> (Tally, Tally) {
    let http = client();
    // Cursors are `v1.<seq>.<view>`: nothing to escape.
    let sync = |cursor: &str| {
        http.get(format!("{base}{}?cursor={cursor}", paths::SYNC))
            .bearer_auth(&token)
    };
    // The first sync is the phone catching up once; the load measures the polls after it.
    let first = sync("").send().await.expect("first sync");
    let mut cursor = first.json::<ChangesPage>().await.expect("page").cursor;
    let (mut changes, mut readings) = (Tally::default(), Tally::default());
    let mut scheduled = Instant::now();
    while scheduled < until {
        tokio::time::sleep_until(scheduled).await;
        match sync(&cursor).send().await {
            Ok(r) if r.status().is_success() => match r.json::<ChangesPage>().await {
                Ok(page) => {
                    changes.latencies.push(scheduled.elapsed());
                    cursor = page.cursor;
                }
                Err(e) => changes.record(scheduled, Err(e)).await,
            },
            other => changes.record(scheduled, other).await,
        }
        let at = Instant::now();
        let res = http
            .get(format!("{base}/api/v1/barns/{barn}/readings"))
            .bearer_auth(&token)
            .send()
            .await;
        readings.record(at, res).await;
        scheduled += PHONE_EVERY;
    }
    (changes, readings)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .expect("client")
}

fn main() -> ExitCode {
    // reqwest is built without a default TLS provider (the app brings ring); plain http here.
    let _ = rustls::crypto::ring::default_provider().install_default();
    // The server logs the cause of a 500 (`ApiErr::internal`); nothing below warnings.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let secs = env_u64("API_LOAD_SECS", 20);
    let minute = Duration::from_millis(env_u64("API_LOAD_MINUTE_MS", 4000).max(1));
    let minutes = (Duration::from_secs(secs).as_secs_f64() / minute.as_secs_f64()).ceil() as usize;
    let total = minutes * BARNS;
    let gap = minute / BARNS as u32;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    let setup = std::time::Instant::now();
    let w = world();
    println!(
        "api_load: {BARNS} barns, {} phones, set up in {:.1?}; {:.0} requests/s (1 simulated minute = {minute:?}) for {secs} s per phase",
        w.phones.len(),
        setup.elapsed(),
        BARNS as f64 / minute.as_secs_f64()
    );
    println!(
        "note: server and load generator share this machine's {cores} cores (2 runtimes, 2 workers each)"
    );
    let rt = |name: &str| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(name)
            .enable_all()
            .build()
            .expect("runtime")
    };
    let server = rt("server");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (listener, addr) = server
        .block_on(yannong_server::serve::bind(
            "127.0.0.1:0".parse().expect("addr"),
        ))
        .expect("bind");
    let served = server.spawn(yannong_server::serve::serve(
        listener,
        w.platform.clone(),
        async move {
            let _ = stopped.await;
        },
    ));
    let base = format!("http://{addr}");
    let load = rt("load");
    // Setup, both phases and the drain of late requests must fit in this.
    let bound = Duration::from_secs(2 * secs + 60);
    let run = load.block_on(async {
        tokio::time::timeout(bound, async {
            let http = client();
            let url = format!("{base}/healthz");
            let h = http.clone();
            let mut reference = open_loop(total, gap, move |_| h.get(&url)).await;

            let until = Instant::now() + Duration::from_secs(secs);
            let phones: Vec<_> = w
                .phones
                .iter()
                .map(|(token, barn)| tokio::spawn(phone(base.clone(), token.clone(), *barn, until)))
                .collect();
            let start = Timestamp::now().add_hours(-1.0);
            let (ids, tokens) = (w.ids.clone(), w.controllers.clone());
            let mut ingest = open_loop(total, gap, move |k| {
                let (barn, minute) = (k % BARNS, k / BARNS);
                let at = Timestamp(start.0 + minute as i64 * 60_000);
                let dry = 38.0 + (barn % 10) as f64 * 0.1 + (minute % 3) as f64 * 0.1;
                http.post(format!("{base}/api/v1/ingest/{}/readings", ids[barn]))
                    .bearer_auth(&tokens[barn])
                    .json(&IngestBatch {
                        batch_id: format!("m{minute}"),
                        readings: vec![reading(at, dry)],
                    })
            })
            .await;
            let (mut changes, mut readings) = (Tally::default(), Tally::default());
            for p in phones {
                let (c, r) = p.await.expect("phone");
                changes.merge(c);
                readings.merge(r);
            }
            reference.report("reference GET /healthz");
            ingest.report("POST ingest readings");
            changes.report("GET sync (phones)");
            readings.report("GET barn readings");
            println!(
                "ratio p99 ingest / p99 reference: {:.2}",
                ingest.p(0.99).as_secs_f64() / reference.p(0.99).as_secs_f64()
            );
            reference.errors + ingest.errors + changes.errors + readings.errors
        })
        .await
    });
    let _ = stop.send(());
    let _ = server.block_on(served);
    match run {
        Ok(0) => ExitCode::SUCCESS,
        Ok(errors) => {
            println!("FAILED: {errors} requests failed");
            ExitCode::FAILURE
        }
        Err(_) => {
            println!("FAILED: the run took longer than {bound:?}");
            ExitCode::FAILURE
        }
    }
}
