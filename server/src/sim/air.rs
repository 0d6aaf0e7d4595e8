//! Heat and moisture balance of the barn air, the leaves and the structure.
//!
//! Three heat capacities — air, leaves, structure — coupled by conductances, integrated with
//! backward Euler so the sub-step can be 30 s although the air alone would settle in under a
//! second (80 kg of air against ~40 kW/K of leaf surface with the fan on):
//!
//! ```text
//! C_a dT_a/dt = Q_hp + P_fan − G_al(T_a − T_l) − G_as(T_a − T_s) − (UA + ṁ_v c_p)(T_a − T_out)
//! C_l dT_l/dt = G_al(T_a − T_l) − L·E
//! C_s dT_s/dt = G_as(T_a − T_s)
//! M_a dx/dt   = E − ṁ_v (x − x_out)
//! ```
//! with E = g·(e_s(T_l) − e) the evaporation (kg/s), g the leaves' vapour conductance, e the
//! air's vapour pressure and L ≈ 2.4 MJ/kg the latent heat. The humidity equation is solved
//! implicitly too, with E linearised in x, because evaporation and venting reach balance within
//! minutes. The two tier sensors sit on the air path (downdraught barn, 气流下降式): the upper
//! one just after the heat pump's supply, the lower one after the air has given heat to the
//! leaves, so their offsets from the mean air follow heat flow / (circulation flow × c_p).

use yannong_core::barn::api::Fan;

use super::controller::Commands;
use super::leaf::Leaf;
use super::params::BarnParams;
use super::psychro;

const SUB_DEFROST_EVERY_S: f64 = 50.0 * 60.0;
const DEFROST_S: f64 = 6.0 * 60.0;
/// Air leaking through the shell with the vents shut, kg/s (ENG: ~0.8 air changes per hour).
const INFILTRATION_KG_S: f64 = 0.02;
/// Exchange through an open door, kg/s (ENG: 1 m × 2 m door, a few cm/s of net flow).
const DOOR_KG_S: f64 = 0.6;

/// Heat-transfer figures of the circulation fan at one speed.
struct FanFigures {
    /// Circulation air flow, kg/s.
    flow: f64,
    /// Air–leaf heat-transfer conductance, W/K (ENG: ~25 000 m² of leaf, h ≈ 1.6 W/m²K
    /// effective on high; forced convection scales with velocity^0.6; still air ~6 %).
    leaf_w_k: f64,
    /// Air–structure conductance, W/K.
    structure_w_k: f64,
    /// Motor power ending up as heat, W.
    motor_w: f64,
}

fn fan_figures(fan: Fan, p: &BarnParams) -> FanFigures {
    match fan {
        Fan::High => FanFigures {
            flow: p.fan_high_kg_per_s,
            leaf_w_k: 40e3,
            structure_w_k: 1.2e3,
            motor_w: 1500.0,
        },
        Fan::Low => FanFigures {
            flow: 0.5 * p.fan_high_kg_per_s,
            leaf_w_k: 26e3,
            structure_w_k: 0.8e3,
            motor_w: 600.0,
        },
        // Natural convection only.
        Fan::Off => FanFigures {
            flow: 0.15,
            leaf_w_k: 2.5e3,
            structure_w_k: 0.3e3,
            motor_w: 0.0,
        },
    }
}

/// What acts on the barn during one sub-step besides the controller.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Conditions {
    pub mains: bool,
    pub fan_broken: bool,
    pub heat_pump_fault: bool,
    pub vent_stuck: Option<f64>,
    pub door_open: bool,
    pub outside_c: f64,
    pub outside_x: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct Air {
    /// Mean barn air temperature, °C.
    pub temp_c: f64,
    pub structure_c: f64,
    /// Humidity ratio, kg/kg.
    pub x: f64,
    /// Heat-pump output now, W (the compressor follows demand within a couple of minutes).
    pub heat_w: f64,
    /// Vent opening 0..1.
    pub vent: f64,
    /// Upper / lower tier air minus mean air, K.
    pub up_offset: f64,
    pub low_offset: f64,
    /// The fan actually turning.
    pub fan: Fan,
    pub defrost_left_s: f64,
    heating_since_defrost_s: f64,
}

impl Air {
    pub fn new(temp_c: f64, x: f64) -> Air {
        Air {
            temp_c,
            structure_c: temp_c,
            x,
            heat_w: 0.0,
            vent: 0.0,
            up_offset: 0.0,
            low_offset: 0.0,
            fan: Fan::Off,
            defrost_left_s: 0.0,
            heating_since_defrost_s: 0.0,
        }
    }

    pub fn defrosting(&self) -> bool {
        self.defrost_left_s > 0.0
    }

    /// Vapour pressure of the barn air, hPa.
    pub fn vapour_hpa(&self) -> f64 {
        psychro::vapour_from_ratio(self.x)
    }

    /// Advances the barn by `dt` seconds.
    pub fn step(
        &mut self,
        leaf: &mut Leaf,
        cmd: &Commands,
        c: &Conditions,
        p: &BarnParams,
        dt: f64,
    ) {
        self.fan = if c.mains && !c.fan_broken {
            cmd.fan
        } else {
            Fan::Off
        };
        let fan = fan_figures(self.fan, p);

        // Heat pump: defrost cycles when the outdoor coil ices (cold outside air).
        let heating = c.mains && !c.heat_pump_fault && cmd.heat > 0.01;
        if self.defrost_left_s > 0.0 {
            self.defrost_left_s -= dt;
        } else if heating && c.outside_c < 5.0 {
            self.heating_since_defrost_s += dt;
            if self.heating_since_defrost_s >= SUB_DEFROST_EVERY_S {
                self.heating_since_defrost_s = 0.0;
                self.defrost_left_s = DEFROST_S;
            }
        }
        // Capacity falls as the lift between outside and barn grows (ENG: ~1.2 %/K of outside
        // temperature, ~0.4 %/K of condensing temperature); without circulation the condenser
        // cannot shed its heat and the unit runs at a fraction.
        let lift =
            (1.0 + 0.012 * (c.outside_c - 20.0) - 0.004 * (self.temp_c - 45.0)).clamp(0.5, 1.15);
        // The compressor's discharge limit: no heat once the barn nears 75–78 °C.
        let limit = ((78.0 - self.temp_c) / 6.0).clamp(0.0, 1.0);
        let starved = if self.fan == Fan::Off { 0.4 } else { 1.0 };
        let target = if heating && !self.defrosting() {
            cmd.heat * p.heat_pump_kw * 1e3 * lift * limit * starved
        } else {
            0.0
        };
        self.heat_w += (target - self.heat_w) * (1.0 - (-dt / 90.0).exp());

        // Vent damper: ~60 s end to end; holds its place without power.
        if let Some(at) = c.vent_stuck {
            self.vent = at;
        } else if c.mains {
            let max = dt / 60.0;
            self.vent += (cmd.vent - self.vent).clamp(-max, max);
        }
        let pushed = if self.fan == Fan::Off { 0.3 } else { 1.0 };
        let door = if c.door_open { DOOR_KG_S } else { 0.0 };
        let exchange = self.vent * p.vent_max_kg_per_s * pushed + INFILTRATION_KG_S + door;

        // Moisture: implicit in x with evaporation linearised around the current state.
        let air_kg = p.air_volume_m3 * psychro::P_HPA * 100.0 / (287.05 * (self.temp_c + 273.15));
        let e = self.vapour_hpa();
        let rh = (e / psychro::saturation_hpa(self.temp_c)).clamp(0.0, 1.0);
        let (g_lamina, g_stem) = leaf.conductances(rh);
        let g = g_lamina + g_stem;
        let deficit = psychro::saturation_hpa(leaf.temp_c) - e;
        let (e0, de_dx) = if deficit > 0.0 {
            (g * deficit, -g * psychro::vapour_slope(self.x))
        } else {
            (0.0, 0.0)
        };
        let m = air_kg / dt;
        let x_guess =
            (m * self.x + e0 - de_dx * self.x + exchange * c.outside_x) / (m + exchange - de_dx);
        let evap = (e0 + de_dx * (x_guess - self.x)).max(0.0);
        // Re-solve with the evaporation fixed so water is conserved exactly.
        self.x = (m * self.x + evap + exchange * c.outside_x) / (m + exchange);
        if g > 0.0 {
            leaf.evaporate(evap * dt * g_lamina / g, evap * dt * g_stem / g);
        }

        // Heat: backward Euler on the three capacities, T_l and T_s eliminated into T_a.
        let cp = 1006.0 + 1860.0 * self.x;
        let c_air = air_kg * cp / dt;
        let g_out = p.envelope_ua_w_per_k + exchange * cp;
        let latent = (2.501e6 - 2370.0 * leaf.temp_c) * evap;
        let a_l = leaf.heat_capacity() / dt + fan.leaf_w_k;
        let b_l = leaf.heat_capacity() / dt * leaf.temp_c - latent;
        let a_s = p.structure_j_per_k / dt + fan.structure_w_k;
        let b_s = p.structure_j_per_k / dt * self.structure_c;
        let num = c_air * self.temp_c
            + self.heat_w
            + fan.motor_w
            + g_out * c.outside_c
            + fan.leaf_w_k * b_l / a_l
            + fan.structure_w_k * b_s / a_s;
        let den = c_air + fan.leaf_w_k + fan.structure_w_k + g_out
            - fan.leaf_w_k * fan.leaf_w_k / a_l
            - fan.structure_w_k * fan.structure_w_k / a_s;
        self.temp_c = num / den;
        leaf.temp_c = (b_l + fan.leaf_w_k * self.temp_c) / a_l;
        self.structure_c = (b_s + fan.structure_w_k * self.temp_c) / a_s;

        // Tier sensors: supply side warmed by the heat pump, cooled along the leaves.
        let mcp = fan.flow * cp;
        let from_hp = self.heat_w / mcp;
        let to_leaf = fan.leaf_w_k * (self.temp_c - leaf.temp_c).max(0.0) / mcp;
        let up = (0.5 * from_hp - to_leaf / 3.0).clamp(-15.0, 15.0);
        // Without circulation the heat pump's warm air stratifies above the load: the lower
        // tier sees cold air sinking instead.
        let hp_low = if self.fan == Fan::Off { -0.5 } else { 0.5 };
        // Air passing evaporating leaves cools toward them, not below.
        let floor = leaf.temp_c.min(self.temp_c) - 2.0 - self.temp_c;
        let low = (hp_low * from_hp - to_leaf * 2.0 / 3.0).clamp(floor.min(0.0), 15.0);
        // Mixing takes minutes with the fan on, much longer in still air.
        let tau = if self.fan == Fan::Off { 900.0 } else { 180.0 };
        let k = 1.0 - (-dt / tau).exp();
        self.up_offset += (up - self.up_offset) * k;
        self.low_offset += (low - self.low_offset) * k;

        let rh_now = (self.vapour_hpa() / psychro::saturation_hpa(self.temp_c)).clamp(0.0, 1.0);
        leaf.live(dt, rh_now);
    }
}
