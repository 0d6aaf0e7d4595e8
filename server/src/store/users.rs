//! Accounts, tokens and barns.

use rusqlite::{Connection, OptionalExtension, Transaction, named_params, params};
use yannong_core::Timestamp;
use yannong_core::barn::api::{Barn, BarnId, User, UserId};

use super::codec::{
    BARN_SELECT, USER_COLUMNS, VISIBLE, barn_from_row, collect, kind_key, next_seq, role_key,
    user_from_row,
};
use super::{NewBarn, NewUser, StoreError, StoreResult};

pub(super) fn create_user(tx: &Transaction<'_>, u: NewUser, now: Timestamp) -> StoreResult<User> {
    let taken: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE phone = ?1)",
        [&u.phone],
        |r| r.get(0),
    )?;
    if taken {
        return Err(StoreError::Conflict(format!(
            "phone {} is registered",
            u.phone
        )));
    }
    tx.execute(
        "INSERT INTO users (phone, name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![u.phone, u.name, role_key(u.role), u.password_hash, now.0],
    )?;
    Ok(User {
        id: UserId(tx.last_insert_rowid()),
        phone: u.phone,
        name: u.name,
        role: u.role,
    })
}

pub(super) fn user_by_phone(c: &Connection, phone: &str) -> StoreResult<Option<(User, String)>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {USER_COLUMNS}, password_hash FROM users WHERE phone = ?1"
    ))?;
    let mut rows = stmt.query([phone])?;
    match rows.next()? {
        Some(row) => Ok(Some((user_from_row(row)?, row.get(4)?))),
        None => Ok(None),
    }
}

pub(super) fn token_user(
    c: &Connection,
    hash: &[u8; 32],
    now: Timestamp,
) -> StoreResult<Option<User>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE id = (SELECT user_id FROM tokens \
         WHERE hash = ?1 AND revoked = 0 AND expires_at > ?2)"
    ))?;
    let mut rows = stmt.query(params![hash.as_slice(), now.0])?;
    rows.next()?.map(user_from_row).transpose()
}

pub(super) fn create_barn(tx: &Transaction<'_>, b: NewBarn, now: Timestamp) -> StoreResult<Barn> {
    let seq = next_seq(tx, 1)?;
    tx.execute(
        "INSERT INTO barns (name, village, owner, technician, kind, capacity_kg, updated_at, seq) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            b.name,
            b.village,
            b.owner.0,
            b.technician.map(|t| t.0),
            kind_key(b.kind),
            b.capacity_kg,
            now.0,
            seq
        ],
    )?;
    let id = BarnId(tx.last_insert_rowid());
    barn(tx, id)?.ok_or_else(|| StoreError::NotFound(format!("barn {id}")))
}

pub(super) fn assign_technician(
    tx: &Transaction<'_>,
    id: BarnId,
    technician: Option<UserId>,
    now: Timestamp,
) -> StoreResult<Barn> {
    let before = barn(tx, id)?.ok_or_else(|| StoreError::NotFound(format!("barn {id}")))?;
    if before.technician == technician {
        return Ok(before);
    }
    let seq = next_seq(tx, 1)?;
    tx.execute(
        "UPDATE barns SET technician = ?1, updated_at = ?2, seq = ?3 WHERE id = ?4",
        params![technician.map(|t| t.0), now.0, seq, id.0],
    )?;
    // Both the technician who lost the barn and the one who gained it see a different set now.
    for user in [before.technician, technician].into_iter().flatten() {
        tx.execute(
            "INSERT OR IGNORE INTO view_changes (user_id, seq) VALUES (?1, ?2)",
            params![user.0, seq],
        )?;
    }
    barn(tx, id)?.ok_or_else(|| StoreError::NotFound(format!("barn {id}")))
}

pub(super) fn barn(c: &Connection, id: BarnId) -> StoreResult<Option<Barn>> {
    let mut stmt = c.prepare_cached(&format!("{BARN_SELECT} WHERE b.id = ?1"))?;
    let mut rows = stmt.query([id.0])?;
    rows.next()?.map(barn_from_row).transpose()
}

pub(super) fn visible_barns(
    c: &Connection,
    user: &User,
    only: Option<BarnId>,
) -> StoreResult<Vec<Barn>> {
    let mut stmt = c.prepare_cached(&format!(
        "{BARN_SELECT} WHERE ({VISIBLE}) AND (:only IS NULL OR b.id = :only) ORDER BY b.id"
    ))?;
    let rows = stmt.query(named_params! {
        ":role": role_key(user.role),
        ":uid": user.id.0,
        ":only": only.map(|b| b.0),
    })?;
    collect(rows, barn_from_row)
}

pub(super) fn controller_barn(c: &Connection, hash: &[u8; 32]) -> StoreResult<Option<BarnId>> {
    Ok(c.query_row(
        "SELECT id FROM barns WHERE controller_token = ?1",
        [hash.as_slice()],
        |r| r.get(0),
    )
    .optional()?
    .map(BarnId))
}
