//! Rows ↔ wire types, and the shared change counter.

use rusqlite::{Connection, Row};
use yannong_core::Timestamp;
use yannong_core::barn::api::{Barn, BarnId, BarnKind, ImageId, ImageMeta, Role, User, UserId};

use super::{StoreError, StoreResult};

/// The serde name of a unit enum variant (`"middle"`), the form the API uses too.
pub(super) fn key<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(StoreError::Invalid("not a unit enum".into())),
    }
}

pub(super) fn from_key<T: serde::de::DeserializeOwned>(s: String) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::String(s.clone()))
        .map_err(|_| StoreError::Corrupt(format!("enum value {s:?}")))
}

pub(super) fn role_key(role: Role) -> &'static str {
    match role {
        Role::Farmer => "farmer",
        Role::Technician => "technician",
        Role::Admin => "admin",
    }
}

pub(super) fn role_from(key: &str) -> StoreResult<Role> {
    match key {
        "farmer" => Ok(Role::Farmer),
        "technician" => Ok(Role::Technician),
        "admin" => Ok(Role::Admin),
        other => Err(StoreError::Corrupt(format!("role {other:?}"))),
    }
}

pub(super) fn kind_key(kind: BarnKind) -> &'static str {
    match kind {
        BarnKind::HeatPump => "heat_pump",
        BarnKind::Coal => "coal",
        BarnKind::Biomass => "biomass",
    }
}

fn kind_from(key: &str) -> StoreResult<BarnKind> {
    match key {
        "heat_pump" => Ok(BarnKind::HeatPump),
        "coal" => Ok(BarnKind::Coal),
        "biomass" => Ok(BarnKind::Biomass),
        other => Err(StoreError::Corrupt(format!("barn kind {other:?}"))),
    }
}

pub(super) const USER_COLUMNS: &str = "id, phone, name, role";

pub(super) fn user_from_row(row: &Row<'_>) -> StoreResult<User> {
    Ok(User {
        id: UserId(row.get(0)?),
        phone: row.get(1)?,
        name: row.get(2)?,
        role: role_from(&row.get::<_, String>(3)?)?,
    })
}

/// Barn columns, joined with the owner's name (`b` is barns, `u` the owner).
pub(super) const BARN_SELECT: &str = "SELECT b.id, b.name, b.village, b.owner, u.name, \
     b.technician, b.kind, b.capacity_kg, b.updated_at FROM barns b JOIN users u ON u.id = b.owner";

pub(super) fn barn_from_row(row: &Row<'_>) -> StoreResult<Barn> {
    Ok(Barn {
        id: BarnId(row.get(0)?),
        name: row.get(1)?,
        village: row.get(2)?,
        owner: UserId(row.get(3)?),
        owner_name: row.get(4)?,
        technician: row.get::<_, Option<i64>>(5)?.map(UserId),
        kind: kind_from(&row.get::<_, String>(6)?)?,
        capacity_kg: row.get(7)?,
        updated_at: Timestamp(row.get(8)?),
    })
}

pub(super) const IMAGE_COLUMNS: &str = "id, barn_id, at, bytes, sha256, simulated";

pub(super) fn image_from_row(row: &Row<'_>) -> StoreResult<ImageMeta> {
    Ok(ImageMeta {
        id: ImageId(row.get(0)?),
        barn_id: BarnId(row.get(1)?),
        at: Timestamp(row.get(2)?),
        bytes: row.get(3)?,
        sha256: row.get(4)?,
        simulated: row.get(5)?,
    })
}

/// Collects rows through a fallible mapper (rusqlite's own mapper cannot return our errors).
pub(super) fn collect<T>(
    mut rows: rusqlite::Rows<'_>,
    f: impl Fn(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(f(row)?);
    }
    Ok(out)
}

/// Reserves `n` change numbers and returns the first. Callers hold the write transaction, so
/// numbers are handed out in commit order.
pub(super) fn next_seq(conn: &Connection, n: i64) -> StoreResult<i64> {
    let last: i64 = conn.query_row(
        "UPDATE change_seq SET value = value + ?1 WHERE id = 1 RETURNING value",
        [n],
        |r| r.get(0),
    )?;
    Ok(last - n + 1)
}

/// The barns a user may see, as a SQL condition on `b` with parameters `?role`, `?uid`.
pub(super) const VISIBLE: &str = "CASE :role WHEN 'admin' THEN 1 \
     WHEN 'farmer' THEN b.owner = :uid ELSE b.technician = :uid END";
