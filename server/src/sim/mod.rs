//! Barn simulator ("digital twin", issue #5 item 6): a lumped physical model of a heat-pump
//! bulk curing barn, its controller and its load, cheap enough to run dozens of barns on an
//! accelerated clock.
//!
//! - [`air`]: heat and moisture balance of air, leaves and structure; tier sensors.
//! - [`leaf`]: water in lamina and midribs, yellowing, viability, scald; §1 milestones.
//! - [`controller`]: recipe set points with ramps, PI heating and venting, fan by stage, step
//!   advances on leaf state.
//! - [`psychro`]: vapour pressure, relative humidity and wet bulb (P = 1000 hPa).
//! - [`faults`], [`camera`]: injected faults and the simulated camera picture.
//!
//! The model integrates on a fixed 30 s grid from the start, so the state at a given time does
//! not depend on how `advance` calls were chunked; a barn is deterministic for its seed.

mod air;
mod camera;
mod controller;
mod faults;
mod leaf;
mod params;
pub mod psychro;

use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use yannong_core::Timestamp;
use yannong_core::barn::api::{Fan, HeatPump, Reading, StepAdvance};
use yannong_core::curing::Recipe;

pub use faults::{Fault, FaultKind};
pub use leaf::LeafState;
pub use params::BarnParams;

use air::{Air, Conditions};
use controller::Controller;
use faults::Faults;
use leaf::Leaf;

/// Integration sub-step, ms.
const SUB_MS: i64 = 30_000;

/// One simulated barn with its load and controller.
#[derive(Debug, Clone)]
pub struct SimBarn {
    params: BarnParams,
    start: Timestamp,
    now: Timestamp,
    /// Time integrated so far, ms after `start` (a multiple of `SUB_MS`).
    integrated_ms: i64,
    ambient_start_c: f64,
    outside_x: f64,
    air: Air,
    leaf: Leaf,
    controller: Controller,
    faults: Faults,
    /// Wet-bulb wick dryness 0..1 (1 = reads like a dry bulb).
    wick_dry: f64,
    rng: SmallRng,
    /// Sensor noise: upper dry bulb, lower dry bulb, wet bulb (°C), fan current (%).
    noise: [f64; 4],
    seed: u64,
}

/// What the sensors read now.
struct Measured {
    dry: f64,
    dry_low: f64,
    wet: f64,
}

impl SimBarn {
    /// A barn loaded and starting `recipe` at `start` from the outside temperature then.
    pub fn new(params: BarnParams, recipe: Recipe, start: Timestamp, seed: u64) -> SimBarn {
        let ambient = params.ambient_c(start);
        let outside_x = params.ambient_humidity_ratio();
        let leaf = Leaf::new(&params, ambient);
        let controller = Controller::new(recipe, params.position, start, ambient);
        SimBarn {
            start,
            now: start,
            integrated_ms: 0,
            ambient_start_c: ambient,
            outside_x,
            air: Air::new(ambient, outside_x),
            leaf,
            controller,
            faults: Faults::default(),
            wick_dry: 0.0,
            rng: SmallRng::seed_from_u64(seed),
            noise: [0.0; 4],
            seed,
            params,
        }
    }

    pub fn params(&self) -> &BarnParams {
        &self.params
    }

    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// Outside temperature when the cure started: the first ramp starts from it, so pass it
    /// to `ExpectedCurve::new` as `ambient_c`.
    pub fn ambient_start_c(&self) -> f64 {
        self.ambient_start_c
    }

    /// Outside temperature now.
    pub fn ambient_c(&self) -> f64 {
        self.params.ambient_c(self.now)
    }

    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Moves simulated time on by `dt`, integrating every 30 s grid point passed.
    pub fn advance(&mut self, dt: Duration) {
        let dt_ms = i64::try_from(dt.as_millis()).unwrap_or(i64::MAX / 4);
        self.now = Timestamp(self.now.millis().saturating_add(dt_ms));
        let elapsed = self.now.millis() - self.start.millis();
        while self.integrated_ms + SUB_MS <= elapsed {
            self.sub_step();
        }
    }

    fn sub_step(&mut self) {
        let t = Timestamp(self.start.millis() + self.integrated_ms);
        let dt = SUB_MS as f64 / 1000.0;
        let m = self.measure();
        self.controller.update(t, dt, m.dry, m.wet);
        let conditions = Conditions {
            mains: self.faults.mains(),
            fan_broken: self.faults.has(FaultKind::FanStop),
            heat_pump_fault: self.faults.has(FaultKind::HeatPumpFault),
            vent_stuck: self.faults.vent_stuck(),
            door_open: self.faults.has(FaultKind::DoorOpen),
            outside_c: self.params.ambient_c(t),
            outside_x: self.outside_x,
        };
        self.air.step(
            &mut self.leaf,
            &self.controller.cmd,
            &conditions,
            &self.params,
            dt,
        );
        // A drying wick creeps toward the dry bulb over ~10 min; refilled it wets in ~3 min.
        let (target, tau) = if self.faults.has(FaultKind::DryWick) {
            (1.0, 600.0)
        } else {
            (0.0, 180.0)
        };
        self.wick_dry += (target - self.wick_dry) * (1.0 - (-dt / tau).exp());
        // Sensor noise: AR(1), ~0.1 °C standard deviation, correlated over a few minutes.
        for (i, n) in self.noise.iter_mut().enumerate() {
            let amp = if i == 3 { 1.5 } else { 0.1 };
            *n = 0.8 * *n + self.rng.random_range(-amp..amp);
        }
        self.integrated_ms += SUB_MS;
        // The operator looks at the leaves the state has now reached.
        let facts = self.leaf.facts();
        let milestone = self.leaf.milestone(&facts).map_or("鲜烟叶", |m| m.zh);
        let t_end = Timestamp(self.start.millis() + self.integrated_ms);
        self.controller.maybe_advance(t_end, &facts, milestone);
    }

    fn measure(&self) -> Measured {
        let up = self.air.temp_c + self.air.up_offset;
        let low = self.air.temp_c + self.air.low_offset;
        let wet_true = psychro::wet_bulb(up, self.air.vapour_hpa());
        // A dry wick reads a little under the dry bulb (residual evaporation, radiation).
        let wet = wet_true + self.wick_dry * (up - 0.3 - wet_true) + self.noise[2];
        let dry = self
            .faults
            .dry_bulb_override()
            .unwrap_or(up + self.noise[0]);
        Measured {
            dry,
            dry_low: low + self.noise[1],
            wet,
        }
    }

    /// What the controller reports now; `None` while it is silent.
    pub fn reading(&self) -> Option<Reading> {
        if self.faults.has(FaultKind::ControllerSilent) {
            return None;
        }
        let m = self.measure();
        let mains = self.faults.mains();
        let cmd = self.controller.cmd;
        let setpoint = self.controller.setpoint(self.now);
        let heat_pump = if !mains {
            HeatPump::Off
        } else if self.faults.has(FaultKind::HeatPumpFault) {
            HeatPump::Fault
        } else if self.air.defrosting() {
            HeatPump::Defrost
        } else if cmd.heat > 0.01 {
            HeatPump::Heating
        } else {
            HeatPump::Off
        };
        let fan_current = match self.air.fan {
            Fan::High => 100.0 + self.noise[3],
            Fan::Low => 45.0 + self.noise[3],
            Fan::Off => 0.0,
        };
        let pct = |v: f64| (v * 100.0).round().clamp(0.0, 100.0) as u8;
        let reading = Reading {
            at: self.now,
            dry_bulb_c: m.dry,
            wet_bulb_c: m.wet,
            dry_bulb_low_c: self.params.two_tiers.then_some(m.dry_low),
            dry_bulb_set_c: setpoint.map(|s| s.0),
            wet_bulb_set_c: setpoint.map(|s| s.1),
            step: Some(self.controller.step() as u32),
            heat_pump,
            heating_pct: if mains { pct(cmd.heat) } else { 0 },
            fan: if mains { cmd.fan } else { Fan::Off },
            fan_current_pct: fan_current.round().clamp(0.0, 100.0) as u8,
            vent_pct: pct(self.air.vent),
            vent_cmd_pct: pct(cmd.vent),
            mains_power: mains,
            door_open: self.faults.has(FaultKind::DoorOpen),
        };
        Some(reading.quantised())
    }

    /// Index of the recipe step the controller runs (the last one once finished).
    pub fn current_step(&self) -> usize {
        self.controller.step()
    }

    /// Step advances so far, for the platform to record.
    pub fn advances(&self) -> &[StepAdvance] {
        self.controller.advances()
    }

    /// The last step (D2) is done: all stems dry, heating off.
    pub fn finished(&self) -> bool {
        self.controller.finished()
    }

    pub fn leaf(&self) -> LeafState {
        self.leaf.state()
    }

    /// True mean barn air temperature and humidity ratio (not what the sensors say).
    pub fn air_truth(&self) -> (f64, f64) {
        (self.air.temp_c, self.air.x)
    }

    pub fn inject(&mut self, fault: Fault) {
        self.faults.inject(fault);
    }

    pub fn clear(&mut self, fault: FaultKind) {
        self.faults.clear(fault);
    }

    pub fn faults(&self) -> Vec<Fault> {
        self.faults.list()
    }

    /// A simulated camera picture of the leaves as JPEG, marked SIMULATED.
    pub fn camera_jpeg(&self, width: u32, height: u32) -> Vec<u8> {
        camera::draw(&self.leaf.state(), self.seed, width, height)
    }
}
