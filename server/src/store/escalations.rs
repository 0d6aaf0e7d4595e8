//! Where the escalation of each unacknowledged critical alarm stands (the schedule itself is
//! policy: `alarm::escalate`), and who to tell.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use yannong_core::Timestamp;
use yannong_core::barn::api::{Alarm, AlarmEventKind, AlarmId, BarnId, Severity, UserId};

use super::codec::{collect, key};
use super::{Sealer, StoreError, StoreResult, alarms};

/// How far one alarm's schedule has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscalationState {
    /// The schedule's zero: when the platform's clock first found the alarm critical and
    /// unacknowledged (not the reading's time: a late batch must not fire an hour of steps).
    pub started_at: Timestamp,
    /// Steps of the policy carried out.
    pub steps_done: u32,
    /// Reminder rounds (every `repeat_min` after the start) told.
    pub reminders: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DueEscalation {
    pub alarm: Alarm,
    pub state: EscalationState,
}

/// Moves a schedule from `from` to `to`, telling `remind` in their feeds.
#[derive(Debug, Clone, PartialEq)]
pub struct EscalationStep {
    pub alarm: AlarmId,
    pub from: EscalationState,
    pub to: EscalationState,
    pub next_at: Timestamp,
    pub remind: Vec<UserId>,
    pub at: Timestamp,
}

/// Someone to text or call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub user: UserId,
    pub name: String,
    pub phone: String,
}

/// The people of a barn's alarm: its farmer, its technician and the station's staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarnContacts {
    pub barn: String,
    pub village: String,
    pub owner: Contact,
    pub technician: Option<Contact>,
    /// Every admin (station staff).
    pub station: Vec<Contact>,
}

/// Stops the schedules of acknowledged alarms, starts one for each critical alarm that is
/// active, unacknowledged and has none (so one escalated to critical later starts then), and
/// returns the schedules due at `now`.
pub(super) fn due(tx: &Transaction<'_>, now: Timestamp) -> StoreResult<Vec<DueEscalation>> {
    tx.execute(
        "UPDATE alarm_escalations SET next_at = NULL WHERE next_at IS NOT NULL \
         AND (SELECT acked_at FROM alarms WHERE id = alarm_id) IS NOT NULL",
        [],
    )?;
    tx.execute(
        "INSERT INTO alarm_escalations (alarm_id, started_at, steps_done, reminders, next_at) \
         SELECT a.id, ?1, 0, 0, ?1 FROM alarms a WHERE a.cleared_at IS NULL \
         AND a.acked_at IS NULL AND a.severity = ?2 \
         AND NOT EXISTS (SELECT 1 FROM alarm_escalations e WHERE e.alarm_id = a.id)",
        params![now.0, key(&Severity::Critical)?],
    )?;
    let mut stmt = tx.prepare_cached(
        "SELECT alarm_id, started_at, steps_done, reminders FROM alarm_escalations \
         WHERE next_at IS NOT NULL AND next_at <= ?1 ORDER BY next_at, alarm_id",
    )?;
    let rows = collect(stmt.query([now.0])?, |r| {
        Ok((
            AlarmId(r.get(0)?),
            EscalationState {
                started_at: Timestamp(r.get(1)?),
                steps_done: r.get(2)?,
                reminders: r.get(3)?,
            },
        ))
    })?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, state) in rows {
        let alarm = alarms::get(tx, id)?
            .ok_or_else(|| StoreError::Corrupt(format!("escalation of missing alarm {id:?}")))?;
        out.push(DueEscalation { alarm, state });
    }
    Ok(out)
}

/// Carries out `step` if the schedule still stands at `step.from` and the alarm is still
/// unacknowledged: the reminders are numbered into the feeds in the same transaction.
/// `false` when another check got there first or someone acknowledged meanwhile.
pub(super) fn advance(
    tx: &Transaction<'_>,
    step: &EscalationStep,
    seal: Sealer<'_>,
) -> StoreResult<bool> {
    let moved = tx.execute(
        "UPDATE alarm_escalations SET steps_done = ?2, reminders = ?3, next_at = ?4 \
         WHERE alarm_id = ?1 AND steps_done = ?5 AND reminders = ?6 AND next_at IS NOT NULL \
         AND (SELECT acked_at FROM alarms WHERE id = ?1) IS NULL",
        params![
            step.alarm.0,
            step.to.steps_done,
            step.to.reminders,
            step.next_at.0,
            step.from.steps_done,
            step.from.reminders
        ],
    )?;
    if moved == 0 {
        return Ok(false);
    }
    if !step.remind.is_empty() {
        let alarm = alarms::get(tx, step.alarm)?
            .ok_or_else(|| StoreError::NotFound(format!("alarm {:?}", step.alarm)))?;
        for u in &step.remind {
            tx.execute(
                "INSERT OR IGNORE INTO alarm_audience (alarm_id, user_id) VALUES (?1, ?2)",
                params![step.alarm.0, u.0],
            )?;
        }
        alarms::emit_to(
            tx,
            &alarm,
            AlarmEventKind::Reminder,
            step.at,
            seal,
            &step.remind,
        )?;
    }
    Ok(true)
}

pub(super) fn contacts(c: &Connection, barn: BarnId) -> StoreResult<Option<BarnContacts>> {
    let person = |id: Option<i64>, name: Option<String>, phone: Option<String>| {
        Some(Contact {
            user: UserId(id?),
            name: name?,
            phone: phone?,
        })
    };
    let Some(mut found) = c
        .query_row(
            "SELECT b.name, b.village, o.id, o.name, o.phone, t.id, t.name, t.phone \
             FROM barns b JOIN users o ON o.id = b.owner LEFT JOIN users t ON t.id = b.technician \
             WHERE b.id = ?1",
            [barn.0],
            |r| {
                Ok(BarnContacts {
                    barn: r.get(0)?,
                    village: r.get(1)?,
                    owner: Contact {
                        user: UserId(r.get(2)?),
                        name: r.get(3)?,
                        phone: r.get(4)?,
                    },
                    technician: person(r.get(5)?, r.get(6)?, r.get(7)?),
                    station: Vec::new(),
                })
            },
        )
        .optional()?
    else {
        return Ok(None);
    };
    let mut stmt =
        c.prepare_cached("SELECT id, name, phone FROM users WHERE role = 'admin' ORDER BY id")?;
    found.station = collect(stmt.query([])?, |r| {
        Ok(Contact {
            user: UserId(r.get(0)?),
            name: r.get(1)?,
            phone: r.get(2)?,
        })
    })?;
    Ok(Some(found))
}
