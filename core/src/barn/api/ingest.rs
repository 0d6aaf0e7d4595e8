//! Controller uploads: a batch of readings with an id, so a controller resending a batch after
//! a lost response creates no duplicates; every reading is checked on its own, so one bad
//! sample does not cost the rest of the batch.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use super::Reading;
use crate::Timestamp;

/// Most readings one batch may carry (a day of one-minute readings fits).
pub const MAX_BATCH: usize = 2_000;
/// Physically possible sensor range. Faulty sensors stuck at a rail (−40, 120 °C) are inside it
/// on purpose: the alarm engine needs those readings to raise a sensor fault.
pub const MIN_TEMP_C: f64 = -60.0;
pub const MAX_TEMP_C: f64 = 200.0;
/// Controller clocks drift; beyond this a timestamp in the future is a broken clock.
pub const MAX_FUTURE_MS: i64 = 5 * 60 * 1000;
/// 2020-01-01: older timestamps are an unset clock (controllers boot at 1970 or 2000).
pub const EARLIEST: Timestamp = Timestamp(1_577_836_800_000);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct IngestBatch {
    /// Chosen by the controller, unique per barn; a batch id seen before is acknowledged again
    /// without storing anything.
    pub batch_id: String,
    pub readings: Vec<Reading>,
}

/// Why one reading of a batch was refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RejectReason {
    NotFinite { field: String },
    OutOfRange { field: String, value: f64 },
    InFuture { at: i64 },
    TooOld { at: i64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Rejected {
    /// Index of the reading in the batch.
    pub index: u32,
    pub reason: RejectReason,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct IngestReport {
    pub batch_id: String,
    /// Stored now.
    pub accepted: u32,
    /// Already stored (same barn and timestamp, or a replayed batch).
    pub duplicates: u32,
    pub rejected: Vec<Rejected>,
    /// The batch id was seen before; nothing was stored.
    pub replayed: bool,
}

/// Checks one reading against what a barn controller can physically report.
pub fn validate_reading(r: &Reading, now: Timestamp) -> Result<(), RejectReason> {
    let temps = [
        ("dry_bulb_c", Some(r.dry_bulb_c)),
        ("wet_bulb_c", Some(r.wet_bulb_c)),
        ("dry_bulb_low_c", r.dry_bulb_low_c),
        ("dry_bulb_set_c", r.dry_bulb_set_c),
        ("wet_bulb_set_c", r.wet_bulb_set_c),
    ];
    for (field, value) in temps {
        let Some(v) = value else { continue };
        if !v.is_finite() {
            return Err(RejectReason::NotFinite {
                field: field.into(),
            });
        }
        if !(MIN_TEMP_C..=MAX_TEMP_C).contains(&v) {
            return Err(RejectReason::OutOfRange {
                field: field.into(),
                value: v,
            });
        }
    }
    let pcts = [
        ("heating_pct", r.heating_pct),
        ("fan_current_pct", r.fan_current_pct),
        ("vent_pct", r.vent_pct),
        ("vent_cmd_pct", r.vent_cmd_pct),
    ];
    // Fan current may exceed rated (a blocked fan draws more), the others are positions.
    for (field, v) in pcts {
        let max = if field == "fan_current_pct" { 250 } else { 100 };
        if v > max {
            return Err(RejectReason::OutOfRange {
                field: field.into(),
                value: f64::from(v),
            });
        }
    }
    if r.at.0 > now.0.saturating_add(MAX_FUTURE_MS) {
        return Err(RejectReason::InFuture { at: r.at.0 });
    }
    if r.at < EARLIEST {
        return Err(RejectReason::TooOld { at: r.at.0 });
    }
    Ok(())
}
