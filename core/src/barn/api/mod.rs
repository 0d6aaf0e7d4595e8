//! Wire types of the barn platform's HTTP API (JSON). The server publishes them as an OpenAPI
//! document (feature `openapi`); the client decodes the same structs.
//!
//! Temperatures travel in °C with 0.1 °C resolution — the resolution of barn controllers — so
//! the platform quantises on ingest and what a phone stores equals what the platform stored.

mod alarm;
mod block;
mod ingest;
mod lessons;
mod models;
pub mod paths;
mod push;

pub use alarm::{Alarm, AlarmEvent, AlarmEventKind, EventError, Severity, SignedAlarmEvent};

pub use block::{BlockError, ReadingBlock, pack_flags, unpack_flags};
pub use ingest::{
    EARLIEST, IngestBatch, IngestReport, MAX_BATCH, MAX_FUTURE_MS, MAX_TEMP_C, MIN_TEMP_C,
    RejectReason, Rejected, validate_reading,
};
pub use lessons::{LessonProgress, MAX_PROGRESS_BATCH, OfferedPack, PackCatalogue, ProgressBatch};
pub use models::{ModelCatalogue, OfferedModel};
pub use push::{MAX_PUSH_TOKEN, PushDevice, RegisterDevice};

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::curing::{LeafPosition, Maturity, Recipe, WaterContent};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A platform account.
    UserId
);
id_type!(
    /// A curing barn.
    BarnId
);
id_type!(
    /// One curing run of a barn.
    CuringId
);
id_type!(
    /// A barn camera picture.
    ImageId
);
id_type!(
    /// One alarm: a rule's condition on a barn, from raised to cleared.
    AlarmId
);

/// What an account may see and do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 烟农: their own barns only.
    Farmer,
    /// 烘烤师: the barns assigned to them.
    Technician,
    /// 烟站: everything.
    Admin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct User {
    pub id: UserId,
    pub phone: String,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LoginRequest {
    pub phone: String,
    pub password: String,
}

/// A bearer token and when it stops working. The token is a secret: never log it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Session {
    pub token: String,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub expires_at: Timestamp,
    pub user: User,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("user", &self.user)
            .finish()
    }
}

/// Heat source of a barn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BarnKind {
    /// 热泵密集烤房
    HeatPump,
    /// 燃煤密集烤房
    Coal,
    /// 生物质密集烤房
    Biomass,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Barn {
    pub id: BarnId,
    pub name: String,
    pub village: String,
    pub owner: UserId,
    pub owner_name: String,
    pub technician: Option<UserId>,
    pub kind: BarnKind,
    /// Fresh leaf a full load holds, kg.
    pub capacity_kg: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub updated_at: Timestamp,
}

/// The operator moved the cure on from `step` (its leaf state was reached).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StepAdvance {
    /// Index of the step that ended.
    pub step: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub at: Timestamp,
    /// What the operator saw, e.g. "黄片青筋，凋萎塌架".
    pub leaf_state: Option<String>,
}

/// One curing run. The recipe travels whole so a phone can draw the expected curve offline,
/// custom recipes included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Curing {
    pub id: CuringId,
    pub barn_id: BarnId,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub recipe: WireRecipe,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub position: LeafPosition,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub maturity: Maturity,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub water: WaterContent,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub started_at: Timestamp,
    /// Air temperature when heating started; the first ramp starts from it.
    pub ambient_c: f64,
    pub current_step: u32,
    pub advances: Vec<StepAdvance>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub finished_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub updated_at: Timestamp,
}

/// A recipe on the wire: decoding runs the same validation as a recipe file, so a malformed
/// recipe from the network is refused, not drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct WireRecipe(pub Recipe);

impl Serialize for WireRecipe {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for WireRecipe {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        Recipe::from_json(&value.to_string())
            .map(WireRecipe)
            .map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StartCuringRequest {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub position: LeafPosition,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub maturity: Maturity,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub water: WaterContent,
    /// A recipe to use instead of the recommended one for this load.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub recipe: Option<WireRecipe>,
    pub ambient_c: f64,
}

/// Move a cure on from `from_step`. Naming the step makes the request idempotent: a retry
/// after the first one landed changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AdvanceRequest {
    pub from_step: u32,
    pub leaf_state: Option<String>,
}

/// Heat-pump state as the controller reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HeatPump {
    Off,
    Heating,
    Defrost,
    /// Compressor trip: high/low pressure, overload, phase loss.
    Fault,
}

/// Circulation fan (循环风机).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Fan {
    Off,
    Low,
    High,
}

/// One controller sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Reading {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub at: Timestamp,
    /// 干球温度 (upper tier sensor).
    pub dry_bulb_c: f64,
    /// 湿球温度.
    pub wet_bulb_c: f64,
    /// Lower tier dry bulb, for barns with a second sensor.
    pub dry_bulb_low_c: Option<f64>,
    /// The controller's active set points and step, when it reports them.
    pub dry_bulb_set_c: Option<f64>,
    pub wet_bulb_set_c: Option<f64>,
    pub step: Option<u32>,
    pub heat_pump: HeatPump,
    /// Heating demand, % of full power.
    pub heating_pct: u8,
    pub fan: Fan,
    /// Fan motor current, % of rated.
    pub fan_current_pct: u8,
    /// Dehumidifying vent (排湿窗) measured and commanded opening, %.
    pub vent_pct: u8,
    pub vent_cmd_pct: u8,
    pub mains_power: bool,
    pub door_open: bool,
}

impl Reading {
    /// The reading with temperatures at the wire's 0.1 °C resolution.
    pub fn quantised(mut self) -> Reading {
        fn q(v: f64) -> f64 {
            (v * 10.0).round() / 10.0
        }
        self.dry_bulb_c = q(self.dry_bulb_c);
        self.wet_bulb_c = q(self.wet_bulb_c);
        self.dry_bulb_low_c = self.dry_bulb_low_c.map(q);
        self.dry_bulb_set_c = self.dry_bulb_set_c.map(q);
        self.wet_bulb_set_c = self.wet_bulb_set_c.map(q);
        self
    }
}

/// A barn camera picture's metadata; the JPEG itself is fetched once by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ImageMeta {
    pub id: ImageId,
    pub barn_id: BarnId,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub at: Timestamp,
    pub bytes: u32,
    /// Hex SHA-256 of the JPEG, checked by the client after download.
    pub sha256: String,
    /// Drawn by the barn simulator, not taken by a camera.
    pub simulated: bool,
}

/// One page of the changes feed: everything the caller may see that changed since its cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ChangesPage {
    /// Pass back as `cursor` to get what changed after this page.
    pub cursor: String,
    /// More pages are waiting now.
    pub more: bool,
    /// The caller's view changed (a barn was assigned or taken away): drop the local copy and
    /// keep syncing from this page on.
    pub reset: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub server_time: Timestamp,
    pub barns: Vec<Barn>,
    pub curings: Vec<Curing>,
    pub readings: Vec<ReadingBlock>,
    pub images: Vec<ImageMeta>,
}

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApiError {
    /// Stable machine code: `unauthorized`, `forbidden`, `not_found`, `invalid`, `conflict`,
    /// `too_large`, `internal`.
    pub code: String,
    pub message: String,
}

#[cfg(test)]
mod tests;
