//! A platform full of simulated barns: farmers, a technician, barns with cures under way, and
//! controllers that report through the same ingest path as real ones, on an accelerated clock.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use yannong_core::Timestamp;
use yannong_core::barn::api::{
    Barn, BarnId, BarnKind, Curing, IngestBatch, Role, StartCuringRequest, User,
};
use yannong_core::curing::{LeafPosition, Maturity, WaterContent, recipe_for_leaf};

use crate::auth::hash_password;
use crate::platform::Platform;
use crate::sim::{BarnParams, Fault, SimBarn};
use crate::store::{NewBarn, NewUser, StoreError, StoreResult};

/// Controllers report once a simulated minute, as the real ones do.
const SAMPLE: Duration = Duration::from_secs(60);
/// A camera picture every simulated hour, as barn cameras upload over a 4G router.
const PICTURE_EVERY_MS: i64 = 60 * 60 * 1000;
/// Cures in the demo started up to this long before the clock's start, so barns are spread
/// over the stages.
const SPREAD_HOURS: f64 = 36.0;

pub const ADMIN_PHONE: &str = "13700000000";
pub const TECHNICIAN_PHONE: &str = "13900000001";

/// The n-th farmer's phone number (1-based).
pub fn farmer_phone(n: usize) -> String {
    format!("138{n:08}")
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗",
];
const VILLAGES: &[&str] = &[
    "茨芭镇",
    "堂街镇",
    "黄道镇",
    "安良镇",
    "薛店镇",
    "冢头镇",
    "李口镇",
    "渣园乡",
];

struct SimState {
    barn: Barn,
    curing: Curing,
    sim: SimBarn,
    next_picture: i64,
    recorded_advances: usize,
}

/// The simulated barns of a platform. `tick` brings them to the platform clock's "now".
pub struct Simulation {
    platform: Platform,
    barns: Mutex<BTreeMap<BarnId, SimState>>,
    picture_every_ms: std::sync::atomic::AtomicI64,
}

impl std::fmt::Debug for Simulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulation").finish_non_exhaustive()
    }
}

fn leaf_for(n: usize) -> (LeafPosition, Maturity, WaterContent) {
    let position = [
        LeafPosition::Middle,
        LeafPosition::Lower,
        LeafPosition::Upper,
    ][n % 3];
    let maturity = if n % 7 == 3 {
        Maturity::UnderRipe
    } else {
        Maturity::Ripe
    };
    let water = if n % 11 == 5 {
        WaterContent::High
    } else {
        WaterContent::Normal
    };
    (position, maturity, water)
}

impl Simulation {
    /// Creates (or, on a platform that has them, finds) the demo accounts and `n` barns, and
    /// starts a cure in each barn that has none running. All accounts get `password`.
    pub fn seed(platform: Platform, n: usize, password: &str) -> StoreResult<Simulation> {
        let store = &platform.store;
        let now = platform.clock.now();
        let hash = hash_password(password).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let account = |phone: &str, name: &str, role: Role| -> StoreResult<User> {
            match store.user_by_phone(phone)? {
                Some((u, _)) => Ok(u),
                None => store.create_user(
                    NewUser {
                        phone: phone.into(),
                        name: name.into(),
                        role,
                        password_hash: hash.clone(),
                    },
                    now,
                ),
            }
        };
        account(ADMIN_PHONE, "烟站管理员", Role::Admin)?;
        let technician = account(TECHNICIAN_PHONE, "烘烤师 王工", Role::Technician)?;
        let mut existing: BTreeMap<i64, Barn> = BTreeMap::new();
        for b in store.visible_barns(&technician)? {
            existing.insert(b.owner.0, b);
        }
        let mut states = BTreeMap::new();
        for i in 1..=n {
            let name = format!(
                "{}{}",
                SURNAMES[(i - 1) % SURNAMES.len()],
                ["大伯", "师傅", "婶", "哥"][i % 4]
            );
            let farmer = account(&farmer_phone(i), &name, Role::Farmer)?;
            let barn = match existing.remove(&farmer.id.0) {
                Some(b) => b,
                None => store.create_barn(
                    NewBarn {
                        name: format!("{i}号烤房"),
                        village: VILLAGES[i % VILLAGES.len()].to_owned(),
                        owner: farmer.id,
                        technician: Some(technician.id),
                        kind: BarnKind::HeatPump,
                        capacity_kg: 4000 + (i as u32 % 5) * 250,
                    },
                    now,
                )?,
            };
            let state = Self::resume_or_start(&platform, barn, i, now)?;
            states.insert(state.barn.id, state);
        }
        Ok(Simulation {
            platform,
            barns: Mutex::new(states),
            picture_every_ms: PICTURE_EVERY_MS.into(),
        })
    }

    fn resume_or_start(
        platform: &Platform,
        barn: Barn,
        n: usize,
        now: Timestamp,
    ) -> StoreResult<SimState> {
        let running = platform
            .store
            .curings(barn.id)?
            .into_iter()
            .find(|c| c.finished_at.is_none());
        let (position, maturity, water) = leaf_for(n);
        let (recipe, started) = match &running {
            Some(c) => (c.recipe.0.clone(), c.started_at),
            None => (
                recipe_for_leaf(position, maturity, water)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?,
                now.add_hours(-SPREAD_HOURS * ((n * 37) % 101) as f64 / 100.0),
            ),
        };
        let mut params = BarnParams::for_leaf(running.as_ref().map_or(position, |c| c.position));
        // The load is what the leaf position usually fills, never more than the barn holds.
        params.capacity_kg = params.capacity_kg.min(f64::from(barn.capacity_kg));
        // The same seed after a restart replays the same cure, so readings already stored are
        // recognised as duplicates.
        let sim = SimBarn::new(params, recipe.clone(), started, barn.id.0 as u64);
        let curing = match running {
            Some(c) => c,
            None => {
                // The cure starts from the air the simulated barn really starts in, so the
                // recorded expected curve matches the simulated one from the first ramp.
                let request = StartCuringRequest {
                    position,
                    maturity,
                    water,
                    recipe: None,
                    ambient_c: (sim.ambient_start_c() * 10.0).round() / 10.0,
                };
                platform
                    .store
                    .start_curing(barn.id, &request, recipe, started)?
            }
        };
        let recorded_advances = curing.advances.len();
        Ok(SimState {
            next_picture: curing.started_at.0,
            barn,
            curing,
            sim,
            recorded_advances,
        })
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<BarnId, SimState>> {
        self.barns.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How often each barn's camera uploads a picture (drawing pictures is most of the
    /// simulation's cost; the demo takes fewer).
    pub fn set_picture_interval(&self, every: Duration) {
        let ms = i64::try_from(every.as_millis())
            .unwrap_or(i64::MAX)
            .max(60_000);
        self.picture_every_ms
            .store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn barn_ids(&self) -> Vec<BarnId> {
        self.lock().keys().copied().collect()
    }

    /// Injects a fault into a simulated barn; false for an unknown barn.
    pub fn inject(&self, barn: BarnId, fault: Fault) -> bool {
        self.lock()
            .get_mut(&barn)
            .map(|s| s.sim.inject(fault))
            .is_some()
    }

    /// Clears a fault of the same kind as `fault`.
    pub fn clear(&self, barn: BarnId, fault: Fault) -> bool {
        self.lock()
            .get_mut(&barn)
            .map(|s| s.sim.clear(fault.kind()))
            .is_some()
    }

    /// Runs every barn up to the platform clock: readings through ingest, step advances and
    /// pictures into the store. Blocking and CPU-bound: call from a blocking thread.
    pub fn tick(&self) -> StoreResult<()> {
        let target = self.platform.clock.now();
        let mut barns = self.lock();
        for state in barns.values_mut() {
            self.run_barn(state, target)?;
        }
        drop(barns);
        self.platform.check_alarm_clock()?;
        Ok(())
    }

    fn run_barn(&self, s: &mut SimState, target: Timestamp) -> StoreResult<()> {
        let mut readings = Vec::new();
        while !s.sim.finished() && s.sim.now().0 + SAMPLE.as_millis() as i64 <= target.0 {
            s.sim.advance(SAMPLE);
            if s.sim.advances().len() > s.recorded_advances {
                // The platform hears of a step change before the readings that follow it, as
                // it would from an operator's phone: a batch never spans one.
                self.flush(s.barn.id, &mut readings)?;
                self.record_advances(s)?;
            }
            if let Some(r) = s.sim.reading() {
                readings.push(r);
            }
            if s.sim.now().0 >= s.next_picture {
                let jpeg = s.sim.camera_jpeg(320, 240);
                self.platform
                    .store
                    .put_image(s.barn.id, s.sim.now(), &jpeg, true)?;
                s.next_picture += self
                    .picture_every_ms
                    .load(std::sync::atomic::Ordering::Relaxed);
            }
            // Batches of at most a day keep each ingest transaction short.
            if readings.len() >= 1440 {
                self.flush(s.barn.id, &mut readings)?;
            }
        }
        self.flush(s.barn.id, &mut readings)?;
        self.record_advances(s)
    }

    fn record_advances(&self, s: &mut SimState) -> StoreResult<()> {
        let advances = s.sim.advances();
        for a in &advances[s.recorded_advances.min(advances.len())..] {
            s.curing = self.platform.store.advance_curing(
                s.curing.id,
                a.step,
                a.leaf_state.clone(),
                a.at,
            )?;
        }
        s.recorded_advances = advances.len();
        Ok(())
    }

    fn flush(
        &self,
        barn: BarnId,
        readings: &mut Vec<yannong_core::barn::api::Reading>,
    ) -> StoreResult<()> {
        let Some(first) = readings.first() else {
            return Ok(());
        };
        let batch = IngestBatch {
            batch_id: format!("sim-{}-{}", barn, first.at.0),
            readings: std::mem::take(readings),
        };
        self.platform.ingest(barn, batch).map(drop)
    }

    /// Ticks every `every` of wall time until the process ends.
    pub async fn run(self: Arc<Self>, every: Duration) {
        loop {
            let sim = self.clone();
            match tokio::task::spawn_blocking(move || sim.tick()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "simulation tick failed"),
                Err(e) => tracing::error!(error = %e, "simulation tick panicked"),
            }
            tokio::time::sleep(every).await;
        }
    }
}
