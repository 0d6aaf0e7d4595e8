//! Curing runs: start, advance step by step, list.

use rusqlite::{Connection, Row, Transaction, params};
use yannong_core::Timestamp;
use yannong_core::barn::api::{
    BarnId, Curing, CuringId, StartCuringRequest, StepAdvance, WireRecipe,
};
use yannong_core::curing::Recipe;

use super::codec::{collect, from_key, key, next_seq};
use super::{StoreError, StoreResult};

const SELECT: &str = "SELECT id, barn_id, recipe, position, maturity, water, started_at, ambient_c, \
     current_step, advances, finished_at, updated_at FROM curings";

fn from_row(row: &Row<'_>) -> StoreResult<Curing> {
    let recipe = Recipe::from_json(&row.get::<_, String>(2)?)
        .map_err(|e| StoreError::Corrupt(format!("stored recipe: {e}")))?;
    let advances: Vec<StepAdvance> = serde_json::from_str(&row.get::<_, String>(9)?)
        .map_err(|e| StoreError::Corrupt(format!("stored advances: {e}")))?;
    Ok(Curing {
        id: CuringId(row.get(0)?),
        barn_id: BarnId(row.get(1)?),
        recipe: WireRecipe(recipe),
        position: from_key(row.get(3)?)?,
        maturity: from_key(row.get(4)?)?,
        water: from_key(row.get(5)?)?,
        started_at: Timestamp(row.get(6)?),
        ambient_c: row.get(7)?,
        current_step: row.get(8)?,
        advances,
        finished_at: row.get::<_, Option<i64>>(10)?.map(Timestamp),
        updated_at: Timestamp(row.get(11)?),
    })
}

pub(super) fn start(
    tx: &Transaction<'_>,
    barn: BarnId,
    req: &StartCuringRequest,
    recipe: Recipe,
    now: Timestamp,
) -> StoreResult<Curing> {
    let running: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM curings WHERE barn_id = ?1 AND finished_at IS NULL)",
        [barn.0],
        |r| r.get(0),
    )?;
    if running {
        return Err(StoreError::Conflict(format!(
            "barn {barn} is curing already"
        )));
    }
    if !req.ambient_c.is_finite() || !(-30.0..=45.0).contains(&req.ambient_c) {
        return Err(StoreError::Invalid(format!("ambient_c {}", req.ambient_c)));
    }
    let seq = next_seq(tx, 1)?;
    tx.execute(
        "INSERT INTO curings (barn_id, recipe, position, maturity, water, started_at, ambient_c, \
         current_step, advances, finished_at, updated_at, seq) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, '[]', NULL, ?6, ?8)",
        params![
            barn.0,
            recipe.to_json(),
            key(&req.position)?,
            key(&req.maturity)?,
            key(&req.water)?,
            now.0,
            req.ambient_c,
            seq
        ],
    )?;
    get(tx, CuringId(tx.last_insert_rowid()))?
        .ok_or_else(|| StoreError::NotFound("new curing".into()))
}

pub(super) fn advance(
    tx: &Transaction<'_>,
    id: CuringId,
    from_step: u32,
    leaf_state: Option<String>,
    at: Timestamp,
) -> StoreResult<Curing> {
    let mut c = get(tx, id)?.ok_or_else(|| StoreError::NotFound(format!("curing {id}")))?;
    if c.advances.iter().any(|a| a.step == from_step) {
        return Ok(c);
    }
    if from_step != c.current_step || c.finished_at.is_some() {
        return Err(StoreError::Conflict(format!(
            "curing {id} is at step {}, not {from_step}",
            c.current_step
        )));
    }
    if c.advances.last().is_some_and(|a| a.at > at) || at < c.started_at {
        return Err(StoreError::Invalid(
            "an advance cannot precede the previous one".into(),
        ));
    }
    c.advances.push(StepAdvance {
        step: from_step,
        at,
        leaf_state,
    });
    c.current_step += 1;
    if c.current_step as usize >= c.recipe.0.steps.len() {
        c.finished_at = Some(at);
        c.current_step = c.recipe.0.steps.len() as u32 - 1;
    }
    let advances =
        serde_json::to_string(&c.advances).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let seq = next_seq(tx, 1)?;
    tx.execute(
        "UPDATE curings SET current_step = ?1, advances = ?2, finished_at = ?3, updated_at = ?4, \
         seq = ?5 WHERE id = ?6",
        params![
            c.current_step,
            advances,
            c.finished_at.map(|t| t.0),
            at.0,
            seq,
            id.0
        ],
    )?;
    c.updated_at = at;
    Ok(c)
}

pub(super) fn get(c: &Connection, id: CuringId) -> StoreResult<Option<Curing>> {
    let mut stmt = c.prepare_cached(&format!("{SELECT} WHERE id = ?1"))?;
    let mut rows = stmt.query([id.0])?;
    rows.next()?.map(from_row).transpose()
}

pub(super) fn of_barn(c: &Connection, barn: BarnId) -> StoreResult<Vec<Curing>> {
    let mut stmt = c.prepare_cached(&format!("{SELECT} WHERE barn_id = ?1 ORDER BY started_at"))?;
    collect(stmt.query([barn.0])?, from_row)
}

/// Curings of visible barns changed in (after, upto].
pub(super) fn changed(
    c: &Connection,
    visible: &[BarnId],
    after: i64,
    upto: i64,
) -> StoreResult<Vec<Curing>> {
    let mut stmt = c.prepare_cached(&format!(
        "{SELECT} WHERE barn_id = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY seq"
    ))?;
    let mut out = Vec::new();
    for b in visible {
        out.extend(collect(stmt.query(params![b.0, after, upto])?, from_row)?);
    }
    Ok(out)
}
