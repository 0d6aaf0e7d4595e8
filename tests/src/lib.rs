//! Shared set-up for the end-to-end tests: a platform with farmers, a technician and barns,
//! served on a loopback port, and a phone-side `Barns` with its own data folder.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;

pub mod lesson_pack;
pub mod proxy;
use yannong_core::Timestamp;
use yannong_core::barn::api::{Barn, BarnKind, IngestBatch, IngestReport, Reading, Role, User};
use yannong_core::barn::{Barns, ClientConfig, SecretStore};
use yannong_core::store::Store;
use yannong_server::auth::hash_password;
use yannong_server::clock::Clock;
use yannong_server::platform::Platform;
use yannong_server::store::{NewBarn, NewUser, PlatformStore, SqliteStore};

pub const PASSWORD: &str = "yan-nong-2026";

/// A platform whose database outlives restarts of its HTTP server.
#[derive(Debug)]
pub struct TestPlatform {
    pub dir: tempfile::TempDir,
    pub platform: Platform,
    pub addr: SocketAddr,
    server: Option<(JoinHandle<()>, tokio::sync::oneshot::Sender<()>)>,
    pub farmer: User,
    pub other_farmer: User,
    pub technician: User,
    pub barns: Vec<Barn>,
}

impl TestPlatform {
    /// Two farmers: the first owns barns 1 and 2 (technician assigned), the other barn 3.
    pub async fn start() -> TestPlatform {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("platform.db")).unwrap());
        let now = Timestamp::now();
        let hash = hash_password(PASSWORD).unwrap();
        let user = |phone: &str, role| {
            store
                .create_user(
                    NewUser {
                        phone: phone.into(),
                        name: phone.into(),
                        role,
                        password_hash: hash.clone(),
                    },
                    now,
                )
                .unwrap()
        };
        let farmer = user("13800000001", Role::Farmer);
        let other_farmer = user("13800000002", Role::Farmer);
        let technician = user("13900000001", Role::Technician);
        let barns = [(&farmer, true), (&farmer, true), (&other_farmer, false)]
            .iter()
            .enumerate()
            .map(|(i, (owner, assigned))| {
                store
                    .create_barn(
                        NewBarn {
                            name: format!("{}号烤房", i + 1),
                            village: "郏县".into(),
                            owner: owner.id,
                            technician: assigned.then_some(technician.id),
                            kind: BarnKind::HeatPump,
                            capacity_kg: 4500,
                        },
                        now,
                    )
                    .unwrap()
            })
            .collect();
        let platform = Platform::new(store, Clock::real());
        let mut p = TestPlatform {
            dir,
            platform,
            addr: "127.0.0.1:0".parse().unwrap(),
            server: None,
            farmer,
            other_farmer,
            technician,
            barns,
        };
        p.restart().await;
        p
    }

    /// (Re)starts the HTTP server, on the same port after the first time.
    pub async fn restart(&mut self) {
        let (listener, addr) = loop {
            match yannong_server::serve::bind(self.addr).await {
                Ok(ok) => break ok,
                // The old socket may linger a moment after a stop.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            }
        };
        self.addr = addr;
        let platform = self.platform.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            yannong_server::serve::serve(listener, platform, shutdown)
                .await
                .unwrap();
        });
        self.server = Some((task, stop));
    }

    /// Stops the HTTP server: live streams end, new connections are refused.
    pub async fn stop(&mut self) {
        if let Some((task, stop)) = self.server.take() {
            let _ = stop.send(());
            let _ = task.await;
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Readings arriving from barn `barn`'s controller, through the same path as HTTP ingest.
    pub fn ingest(&self, barn: &Barn, batch_id: &str, readings: Vec<Reading>) -> IngestReport {
        self.platform
            .ingest(
                barn.id,
                IngestBatch {
                    batch_id: batch_id.into(),
                    readings,
                },
            )
            .unwrap()
    }

    pub fn client_config(&self) -> ClientConfig {
        ClientConfig {
            base_url: self.url(),
            extra_roots_pem: None,
        }
    }

    /// A phone: its own data folder and secrets.
    pub fn phone(&self) -> Phone {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open_in_dir(dir.path()).unwrap());
        let secrets = Arc::new(Keychain::default());
        let barns = Barns::new(&self.client_config(), store.clone(), secrets.clone()).unwrap();
        Phone {
            _dir: dir,
            store,
            secrets,
            barns,
        }
    }
}

impl TestPlatform {
    /// The platform of a barn simulation on `clock`: `n` (at least 2) simulated barns, each
    /// with its farmer, all looked after by the technician, every account with [`PASSWORD`],
    /// served on loopback like [`TestPlatform::start`]'s. `farmer` and `other_farmer` are the
    /// owners of barns 1 and 2; `barns` are all of them. Drive the barns with
    /// [`Simulation::tick`] after moving the clock (`Clock::manual`).
    pub async fn simulated(
        n: usize,
        clock: Clock,
    ) -> (TestPlatform, Arc<yannong_server::simulate::Simulation>) {
        use yannong_server::simulate::{Simulation, TECHNICIAN_PHONE, farmer_phone};
        assert!(n >= 2, "two farmers at least");
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("platform.db")).unwrap());
        let platform = Platform::new(store, clock);
        let sim = Simulation::seed(platform.clone(), n, PASSWORD).unwrap();
        let user = |phone: &str| platform.store.user_by_phone(phone).unwrap().unwrap().0;
        let technician = user(TECHNICIAN_PHONE);
        let barns = platform.store.visible_barns(&technician).unwrap();
        let mut p = TestPlatform {
            dir,
            farmer: user(&farmer_phone(1)),
            other_farmer: user(&farmer_phone(2)),
            technician,
            barns,
            platform,
            addr: "127.0.0.1:0".parse().unwrap(),
            server: None,
        };
        p.restart().await;
        (p, Arc::new(sim))
    }

    /// Whether the HTTP server is running (between [`TestPlatform::restart`] and
    /// [`TestPlatform::stop`]).
    pub fn serving(&self) -> bool {
        self.server.is_some()
    }
}

#[derive(Debug)]
pub struct Phone {
    pub _dir: tempfile::TempDir,
    pub store: Arc<Store>,
    pub secrets: Arc<Keychain>,
    pub barns: Barns,
}

/// A phone's secure storage that tests can look into. Given a file it outlives the process,
/// as the Keystore outlives an app that is killed; the file is replaced whole (written aside,
/// then renamed), so a kill leaves the old or the new contents.
#[derive(Debug, Default)]
pub struct Keychain {
    file: Option<PathBuf>,
    entries: Mutex<BTreeMap<String, String>>,
}

impl Keychain {
    /// Opens (or starts) the keychain kept in `file`; lines of `key\tvalue`.
    pub fn at(file: PathBuf) -> Keychain {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let entries = text
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Keychain {
            file: Some(file),
            entries: Mutex::new(entries),
        }
    }

    pub fn entries(&self) -> BTreeMap<String, String> {
        self.entries.lock().unwrap().clone()
    }

    fn save(&self, entries: &BTreeMap<String, String>) -> Result<(), String> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let text: String = entries.iter().map(|(k, v)| format!("{k}\t{v}\n")).collect();
        let aside = file.with_extension("new");
        std::fs::write(&aside, text).map_err(|e| e.to_string())?;
        std::fs::rename(&aside, file).map_err(|e| e.to_string())
    }
}

impl SecretStore for Keychain {
    fn get(&self, key: &str) -> Result<Option<String>, String> {
        Ok(self.entries.lock().unwrap().get(key).cloned())
    }

    fn set(&self, key: &str, value: &str) -> Result<(), String> {
        let mut entries = self.entries.lock().unwrap();
        entries.insert(key.to_owned(), value.to_owned());
        self.save(&entries)
    }

    fn delete(&self, key: &str) -> Result<(), String> {
        let mut entries = self.entries.lock().unwrap();
        entries.remove(key);
        self.save(&entries)
    }
}

/// A plausible reading at `at`.
pub fn reading(at: Timestamp, dry: f64) -> Reading {
    use yannong_core::barn::api::{Fan, HeatPump};
    Reading {
        at,
        dry_bulb_c: dry,
        wet_bulb_c: dry - 2.0,
        dry_bulb_low_c: None,
        dry_bulb_set_c: Some(38.0),
        wet_bulb_set_c: Some(36.0),
        step: Some(1),
        heat_pump: HeatPump::Heating,
        heating_pct: 35,
        fan: Fan::Low,
        fan_current_pct: 97,
        vent_pct: 0,
        vent_cmd_pct: 0,
        mains_power: true,
        door_open: false,
    }
}

/// Starts a cure in each of the farmer's first `n` barns and stops its fan: one A10 alarm
/// each. Returns their ids, newest first.
pub fn raise_fan_alarms(p: &TestPlatform, n: usize) -> Vec<yannong_core::barn::api::AlarmId> {
    for barn in &p.barns[..n] {
        stop_fan(p, barn);
    }
    let alarms = p.platform.store.alarms(&p.farmer, true, 100).unwrap();
    assert_eq!(alarms.len(), n, "{alarms:?}");
    alarms.iter().map(|a| a.id).collect()
}

/// Starts a middle cure in `barn` whose fan stopped 40 minutes ago (A10 is raised).
pub fn stop_fan(p: &TestPlatform, barn: &Barn) {
    use yannong_core::curing::{LeafPosition, Maturity, WaterContent, builtin_recipe};
    let start = yannong_core::barn::api::StartCuringRequest {
        position: LeafPosition::Middle,
        maturity: Maturity::Ripe,
        water: WaterContent::Normal,
        recipe: None,
        ambient_c: 25.0,
    };
    let now = Timestamp::now();
    let recipe = builtin_recipe("middle").unwrap();
    p.platform
        .store
        .start_curing(barn.id, &start, recipe, now)
        .unwrap();
    let stopped = (30..=40)
        .rev()
        .map(|m| {
            let mut r = reading(Timestamp(now.0 - m * 60_000), 38.0);
            r.fan = yannong_core::barn::api::Fan::Off;
            r.fan_current_pct = 0;
            r
        })
        .collect();
    p.ingest(barn, &format!("fan-off-{}", barn.id), stopped);
}

/// How many `Acknowledged` events about `alarm` are in `user`'s signed alarm feed.
pub fn acknowledged_events(
    p: &TestPlatform,
    user: &User,
    alarm: yannong_core::barn::api::AlarmId,
) -> usize {
    let keys = [p.platform.alarms.public_key()];
    let feed = p.platform.store.alarm_events(user, 0, 500).unwrap();
    feed.iter()
        .map(|e| e.open(&keys).unwrap())
        .filter(|e| e.alarm.id == alarm)
        .filter(|e| e.kind == yannong_core::barn::api::AlarmEventKind::Acknowledged)
        .count()
}
