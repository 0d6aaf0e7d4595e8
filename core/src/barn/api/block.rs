//! Readings of one barn as columns. A barn-day is 1 440 one-minute readings whose values change
//! slowly; as delta-coded integer columns they compress (gzip/zstd) to a few KB, where the same
//! readings as an array of JSON objects stay tens of KB.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use super::{BarnId, Fan, HeatPump, Reading};
use crate::Timestamp;

/// Readings of one barn in time order, column by column. `at_ms`, `dry_dc` and `wet_dc` are
/// delta-coded (first value absolute, then differences); temperatures are tenths of °C.
/// `flags` packs fan (2 bits), heat pump (2 bits), mains power and door per reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReadingBlock {
    pub barn_id: BarnId,
    pub at_ms: Vec<i64>,
    pub dry_dc: Vec<i32>,
    pub wet_dc: Vec<i32>,
    pub dry_low_dc: Vec<Option<i32>>,
    pub dry_set_dc: Vec<Option<i32>>,
    pub wet_set_dc: Vec<Option<i32>>,
    pub step: Vec<Option<u32>>,
    pub heating_pct: Vec<u8>,
    pub fan_current_pct: Vec<u8>,
    pub vent_pct: Vec<u8>,
    pub vent_cmd_pct: Vec<u8>,
    pub flags: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    #[error("reading block of barn {barn}: column {column} has {got} values, expected {expected}")]
    Ragged {
        barn: BarnId,
        column: &'static str,
        got: usize,
        expected: usize,
    },
    #[error("reading block of barn {barn}: value {index} of column {column} is out of range")]
    Overflow {
        barn: BarnId,
        column: &'static str,
        index: usize,
    },
}

fn deci(v: f64) -> i32 {
    (v * 10.0).round() as i32
}

fn from_deci(v: i32) -> f64 {
    f64::from(v) / 10.0
}

fn fan_bits(f: Fan) -> u8 {
    match f {
        Fan::Off => 0,
        Fan::Low => 1,
        Fan::High => 2,
    }
}

fn heat_pump_bits(h: HeatPump) -> u8 {
    match h {
        HeatPump::Off => 0,
        HeatPump::Heating => 1,
        HeatPump::Defrost => 2,
        HeatPump::Fault => 3,
    }
}

const MAINS: u8 = 1 << 4;
const DOOR: u8 = 1 << 5;

/// Fan, heat pump, mains and door of a reading in one byte (the platform stores it so too).
pub fn pack_flags(r: &Reading) -> u8 {
    fan_bits(r.fan)
        | heat_pump_bits(r.heat_pump) << 2
        | if r.mains_power { MAINS } else { 0 }
        | if r.door_open { DOOR } else { 0 }
}

/// The inverse of [`pack_flags`]; `None` for bits no version has defined.
pub fn unpack_flags(f: u8) -> Option<(Fan, HeatPump, bool, bool)> {
    let fan = match f & 3 {
        0 => Fan::Off,
        1 => Fan::Low,
        2 => Fan::High,
        _ => return None,
    };
    let hp = match (f >> 2) & 3 {
        0 => HeatPump::Off,
        1 => HeatPump::Heating,
        2 => HeatPump::Defrost,
        _ => HeatPump::Fault,
    };
    if f >> 6 != 0 {
        return None;
    }
    Some((fan, hp, f & MAINS != 0, f & DOOR != 0))
}

fn deltas<T: Copy + std::ops::Sub<Output = T>>(values: impl Iterator<Item = T>) -> Vec<T> {
    let mut prev = None;
    values
        .map(|v| {
            let out = prev.map_or(v, |p| v - p);
            prev = Some(v);
            out
        })
        .collect()
}

impl ReadingBlock {
    /// Encodes `readings` (time order expected, not required) at 0.1 °C.
    pub fn encode(barn_id: BarnId, readings: &[Reading]) -> ReadingBlock {
        ReadingBlock {
            barn_id,
            at_ms: deltas(readings.iter().map(|r| r.at.0)),
            dry_dc: deltas(readings.iter().map(|r| deci(r.dry_bulb_c))),
            wet_dc: deltas(readings.iter().map(|r| deci(r.wet_bulb_c))),
            dry_low_dc: readings
                .iter()
                .map(|r| r.dry_bulb_low_c.map(deci))
                .collect(),
            dry_set_dc: readings
                .iter()
                .map(|r| r.dry_bulb_set_c.map(deci))
                .collect(),
            wet_set_dc: readings
                .iter()
                .map(|r| r.wet_bulb_set_c.map(deci))
                .collect(),
            step: readings.iter().map(|r| r.step).collect(),
            heating_pct: readings.iter().map(|r| r.heating_pct).collect(),
            fan_current_pct: readings.iter().map(|r| r.fan_current_pct).collect(),
            vent_pct: readings.iter().map(|r| r.vent_pct).collect(),
            vent_cmd_pct: readings.iter().map(|r| r.vent_cmd_pct).collect(),
            flags: readings.iter().map(pack_flags).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.at_ms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.at_ms.is_empty()
    }

    /// Decodes the readings, refusing ragged columns and overflowing deltas (a block comes from
    /// the network, so it is checked, never trusted).
    pub fn decode(&self) -> Result<Vec<Reading>, BlockError> {
        let n = self.at_ms.len();
        let barn = self.barn_id;
        let lens = [
            ("dry_dc", self.dry_dc.len()),
            ("wet_dc", self.wet_dc.len()),
            ("dry_low_dc", self.dry_low_dc.len()),
            ("dry_set_dc", self.dry_set_dc.len()),
            ("wet_set_dc", self.wet_set_dc.len()),
            ("step", self.step.len()),
            ("heating_pct", self.heating_pct.len()),
            ("fan_current_pct", self.fan_current_pct.len()),
            ("vent_pct", self.vent_pct.len()),
            ("vent_cmd_pct", self.vent_cmd_pct.len()),
            ("flags", self.flags.len()),
        ];
        if let Some(&(column, got)) = lens.iter().find(|(_, l)| *l != n) {
            return Err(BlockError::Ragged {
                barn,
                column,
                got,
                expected: n,
            });
        }
        let overflow = |column, index| BlockError::Overflow {
            barn,
            column,
            index,
        };
        let (mut at, mut dry, mut wet) = (0i64, 0i32, 0i32);
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            at = at.checked_add(self.at_ms[i]).ok_or(overflow("at_ms", i))?;
            dry = dry
                .checked_add(self.dry_dc[i])
                .ok_or(overflow("dry_dc", i))?;
            wet = wet
                .checked_add(self.wet_dc[i])
                .ok_or(overflow("wet_dc", i))?;
            let (fan, heat_pump, mains_power, door_open) =
                unpack_flags(self.flags[i]).ok_or(overflow("flags", i))?;
            out.push(Reading {
                at: Timestamp(at),
                dry_bulb_c: from_deci(dry),
                wet_bulb_c: from_deci(wet),
                dry_bulb_low_c: self.dry_low_dc[i].map(from_deci),
                dry_bulb_set_c: self.dry_set_dc[i].map(from_deci),
                wet_bulb_set_c: self.wet_set_dc[i].map(from_deci),
                step: self.step[i],
                heat_pump,
                heating_pct: self.heating_pct[i],
                fan,
                fan_current_pct: self.fan_current_pct[i],
                vent_pct: self.vent_pct[i],
                vent_cmd_pct: self.vent_cmd_pct[i],
                mains_power,
                door_open,
            });
        }
        Ok(out)
    }
}
