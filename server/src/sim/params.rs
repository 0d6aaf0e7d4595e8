//! What a simulated barn and its load are made of. Defaults describe a Henan heat-pump bulk
//! barn (密集烤房, chamber 8 m × 2.7 m × 3.5 m, curing-domain.md §1) loaded with ripe middle
//! leaves. Numbers marked ENG are engineering estimates, not measurements.

use yannong_core::Timestamp;
use yannong_core::curing::LeafPosition;

use super::psychro;

/// Physical parameters of one barn and its load.
#[derive(Debug, Clone, PartialEq)]
pub struct BarnParams {
    /// Fresh leaf loaded, kg. A full 8 m bulk barn holds 4 000–5 000 kg (ENG, from 3 tiers ×
    /// ~360 sticks/clips × 4–5 kg).
    pub capacity_kg: f64,
    pub position: LeafPosition,
    /// Water in fresh leaf, fraction of fresh mass: ~0.90 lower to ~0.80 upper leaves [N5].
    pub water_fraction: f64,
    /// Yellowed area of the leaf as loaded, 0..1: ripe leaves arrive 黄绿/浅黄 (ENG 0.05–0.10).
    pub initial_yellowing: f64,
    /// Daily mean outside air temperature, °C (Henan curing season July–September: 24–28).
    pub ambient_mean_c: f64,
    /// Half the day/night range, °C; the warmest hour is 15:00 local time.
    pub ambient_swing_c: f64,
    /// Outside relative humidity at the daily mean temperature; the absolute humidity of the
    /// outside air is held constant through the day.
    pub ambient_rh: f64,
    /// Local time offset from UTC, hours (China: 8), placing the day/night cycle.
    pub utc_offset_h: f64,
    /// Rated heating output of the heat pump, kW, at 20 °C outside / 45 °C barn (ENG: barn heat
    /// pumps are sold at 30–60 kW heating; 50 kW covers the ~45 kg/h evaporation peak in
    /// colour fixing plus vent and envelope losses).
    pub heat_pump_kw: f64,
    /// Envelope heat loss coefficient UA, W/K (ENG: ~118 m² of walls, roof and door at
    /// U ≈ 1 W/m²K — insulated panels or plastered brick — plus leaks).
    pub envelope_ua_w_per_k: f64,
    /// Heat capacity of structure, racks and floor slab that exchange heat with the air, J/K
    /// (ENG: ~5 t of concrete/steel at ~0.6 kJ/kgK).
    pub structure_j_per_k: f64,
    /// Air volume of the chamber and heating room, m³ (8 × 2.7 × 3.5 = 75.6).
    pub air_volume_m3: f64,
    /// Fresh-air exchange with the dehumidifying vent fully open and the fan running, kg/s
    /// (ENG: ~3 000 m³/h through 排湿窗/进风门 under circulation-fan pressure).
    pub vent_max_kg_per_s: f64,
    /// Circulation air flow with the fan on high, kg/s (ENG: a 1.5 kW axial fan, ~25 000 m³/h;
    /// low speed gives half).
    pub fan_high_kg_per_s: f64,
    /// A second dry-bulb sensor in the lower tier (reported as `dry_bulb_low_c`).
    pub two_tiers: bool,
}

impl Default for BarnParams {
    fn default() -> BarnParams {
        BarnParams::for_leaf(LeafPosition::Middle)
    }
}

impl BarnParams {
    /// The default barn loaded with ripe leaves from `position`: water and initial colour
    /// follow the position (curing-domain.md §1, §4).
    pub fn for_leaf(position: LeafPosition) -> BarnParams {
        // Lower leaves are small and thin: the same sticks carry less (ENG).
        let (capacity_kg, water_fraction, initial_yellowing) = match position {
            LeafPosition::Lower => (3800.0, 0.88, 0.06),
            LeafPosition::Middle => (4500.0, 0.85, 0.05),
            LeafPosition::Upper => (4800.0, 0.80, 0.10),
        };
        BarnParams {
            capacity_kg,
            position,
            water_fraction,
            initial_yellowing,
            ambient_mean_c: 25.0,
            ambient_swing_c: 4.0,
            ambient_rh: 0.70,
            utc_offset_h: 8.0,
            heat_pump_kw: 60.0,
            envelope_ua_w_per_k: 150.0,
            structure_j_per_k: 3.0e6,
            air_volume_m3: 8.0 * 2.7 * 3.5,
            vent_max_kg_per_s: 1.0,
            fan_high_kg_per_s: 7.5,
            two_tiers: true,
        }
    }

    /// Outside air temperature at `t`, °C: a cosine day/night cycle peaking at 15:00 local.
    pub fn ambient_c(&self, t: Timestamp) -> f64 {
        let hours = t.millis() as f64 / 3_600_000.0 + self.utc_offset_h;
        let phase = (hours - 15.0) / 24.0 * std::f64::consts::TAU;
        self.ambient_mean_c + self.ambient_swing_c * phase.cos()
    }

    /// Humidity ratio of outside air, kg/kg.
    pub fn ambient_humidity_ratio(&self) -> f64 {
        let e = self.ambient_rh.clamp(0.0, 1.0) * psychro::saturation_hpa(self.ambient_mean_c);
        psychro::ratio_from_vapour(e)
    }
}
