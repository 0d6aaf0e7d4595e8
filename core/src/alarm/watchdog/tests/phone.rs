//! A phone with one barn curing, and the clock in minutes from T0.

use rusqlite::params;

use crate::Timestamp;
use crate::alarm::notify::PlanContext;
use crate::alarm::watchdog::{LocalAlarm, LocalAlarmKind, check};
use crate::barn::api::{
    AlarmEventKind, Barn, BarnId, BarnKind, Curing, CuringId, Fan, HeatPump, Reading, Severity,
    UserId, WireRecipe,
};
use crate::barn::rows;
use crate::curing::{LeafPosition, Maturity, WaterContent, builtin_recipe};
use crate::store::{Store, StoreError};
use crate::text::Locale;

/// 2026-06-01 08:00 in China.
pub(super) const T0: i64 = 1_780_272_000_000;
pub(super) const MIN: i64 = 60_000;
pub(super) const BARN: BarnId = BarnId(3);

pub(super) struct Phone {
    _dir: tempfile::TempDir,
    pub(super) store: Store,
}

pub(super) fn at(min: i64) -> Timestamp {
    Timestamp(T0 + min * MIN)
}

pub(super) fn ctx(now_min: i64) -> PlanContext {
    PlanContext {
        now: at(now_min),
        utc_offset_minutes: 480,
        quiet_hours: None,
        locale: Locale::Zh,
    }
}

fn reading(t: Timestamp) -> Reading {
    Reading {
        at: t,
        dry_bulb_c: 38.0,
        wet_bulb_c: 36.0,
        dry_bulb_low_c: None,
        dry_bulb_set_c: None,
        wet_bulb_set_c: None,
        step: None,
        heat_pump: HeatPump::Heating,
        heating_pct: 40,
        fan: Fan::High,
        fan_current_pct: 95,
        vent_pct: 0,
        vent_cmd_pct: 0,
        mains_power: true,
        door_open: false,
    }
}

impl Phone {
    /// Logged in, barn 3 ("3号烤房") curing since minute 0, synced at minute 0.
    pub(super) fn new() -> Phone {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in_dir(dir.path()).unwrap();
        let phone = Phone { _dir: dir, store };
        phone.sql(
            "INSERT INTO barn_sync (id, platform, user_id, user, expires_at, cursor) \
             VALUES (1, 'https://p', 1, '{}', 0, '')",
            params![],
        );
        let barn = Barn {
            id: BARN,
            name: "3号烤房".into(),
            village: "石桥村".into(),
            owner: UserId(1),
            owner_name: "李".into(),
            technician: None,
            kind: BarnKind::HeatPump,
            capacity_kg: 4000,
            updated_at: at(0),
        };
        let json = serde_json::to_string(&barn).unwrap();
        phone.sql(
            "INSERT INTO barns (id, json) VALUES (?1, ?2)",
            params![BARN.0, json],
        );
        phone.cure(None);
        phone.synced(0, 0);
        phone
    }

    pub(super) fn sql(&self, sql: &str, p: impl rusqlite::Params) {
        self.store
            .write(|tx| tx.execute(sql, p).map_err(StoreError::from))
            .unwrap();
    }

    pub(super) fn cure(&self, finished_at: Option<Timestamp>) {
        let curing = Curing {
            id: CuringId(1),
            barn_id: BARN,
            recipe: WireRecipe(builtin_recipe("middle").unwrap()),
            position: LeafPosition::Middle,
            maturity: Maturity::Ripe,
            water: WaterContent::Normal,
            started_at: at(0),
            ambient_c: 25.0,
            current_step: 0,
            advances: vec![],
            finished_at,
            updated_at: at(0),
        };
        let json = serde_json::to_string(&curing).unwrap();
        self.sql(
            "INSERT OR REPLACE INTO curings (id, barn_id, started_at, json) VALUES (1, ?1, ?2, ?3)",
            params![BARN.0, curing.started_at.0, json],
        );
    }

    /// The barn reported at minute `min`.
    pub(super) fn reading(&self, min: i64) {
        self.store
            .write(|tx| {
                let mut stmt = tx.prepare(&format!(
                    "INSERT INTO readings (barn_id, {}) VALUES (?1, {})",
                    rows::COLUMNS,
                    rows::placeholders(2)
                ))?;
                rows::insert(&mut stmt, &[&BARN.0], &reading(at(min)))?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }

    /// A sync page landed at device minute `device`, the platform's clock saying `platform`.
    pub(super) fn synced(&self, device: i64, platform: i64) {
        self.sql(
            "UPDATE barn_sync SET synced_at = ?1, server_time = ?2",
            params![at(device).0, at(platform).0],
        );
    }

    pub(super) fn check(&self, now_min: i64) -> Vec<LocalAlarm> {
        check(&self.store, &ctx(now_min)).unwrap()
    }
}

pub(super) fn summary(
    alarms: &[LocalAlarm],
) -> Vec<(LocalAlarmKind, AlarmEventKind, Severity, u64)> {
    alarms
        .iter()
        .map(|a| (a.kind, a.change, a.severity, a.silent_for.as_secs() / 60))
        .collect()
}

pub(super) const B3: LocalAlarmKind = LocalAlarmKind::BarnSilent { barn_id: BARN };
