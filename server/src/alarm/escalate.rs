//! Escalation of unacknowledged critical alarms (curing-domain.md §3: push + SMS/call,
//! repeated every 15 min until acknowledged). The schedule is data (`escalation.json`): steps
//! that text or call the farmer, then the technician, then the station; and a `Reminder` in
//! the feed of everyone reached so far every `repeat_min`. Only critical alarms escalate; one
//! that becomes critical later starts its schedule then. Acknowledging stops it everywhere.
//! A critical alarm that cleared but is not acknowledged keeps escalating: the damage may be
//! done (scald after a fan stop) and nobody has looked yet; only the texts say it is over.

use serde::Deserialize;
use yannong_core::Timestamp;
use yannong_core::barn::api::UserId;

use super::hook::{Notifier, mask, texts};
use crate::store::{
    BarnContacts, Contact, EscalationState, EscalationStep, PlatformStore, Sealer, StoreResult,
};

/// The schedule the platform ships.
pub const BUILTIN: &str = include_str!("escalation.json");

/// No step or repeat is further apart than a day: a schedule is about minutes.
const MAX_MIN: u32 = 24 * 60;
const MS_PER_MIN: i64 = 60_000;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationPolicy {
    pub version: u32,
    pub source: String,
    /// Everyone reached so far gets a `Reminder` this often.
    pub repeat_min: u32,
    /// Sorted by `after_min`; each is carried out once.
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Minutes after the schedule's start.
    pub after_min: u32,
    pub to: Target,
    pub by: Vec<Channel>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Owner,
    Technician,
    /// Every admin.
    Station,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A `Reminder` event in the feed (the push dispatcher sends it on).
    Push,
    Sms,
    Call,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("escalation policy: {0}")]
pub struct PolicyError(pub String);

/// What one check does for one alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub to: EscalationState,
    pub next_at: Timestamp,
    /// A `Reminder` in these people's feeds.
    pub remind: Vec<Target>,
    /// Texts and calls, in order.
    pub notify: Vec<(Channel, Target)>,
}

impl EscalationPolicy {
    pub fn builtin() -> EscalationPolicy {
        // The shipped file is checked by a test; failing here is a build defect.
        #[allow(clippy::expect_used)]
        EscalationPolicy::from_json(BUILTIN).expect("the shipped escalation policy is valid")
    }

    pub fn from_json(json: &str) -> Result<EscalationPolicy, PolicyError> {
        let p: EscalationPolicy =
            serde_json::from_str(json).map_err(|e| PolicyError(e.to_string()))?;
        p.validate()?;
        Ok(p)
    }

    fn validate(&self) -> Result<(), PolicyError> {
        let bad = |why: &str| Err(PolicyError(why.into()));
        if !(1..=MAX_MIN).contains(&self.repeat_min) {
            return bad("repeat_min must be 1–1440");
        }
        if self.steps.is_empty() {
            return bad("no steps");
        }
        if self
            .steps
            .windows(2)
            .any(|w| w[0].after_min > w[1].after_min)
        {
            return bad("steps must be sorted by after_min");
        }
        for s in &self.steps {
            if s.after_min > MAX_MIN {
                return bad("after_min must be at most 1440");
            }
            if s.by.is_empty() || s.by.iter().enumerate().any(|(i, c)| s.by[..i].contains(c)) {
                return bad("each step needs its channels, each once");
            }
            // The raise (or the escalation to critical) is itself that push.
            if s.after_min == 0 && s.by.contains(&Channel::Push) {
                return bad("a push at 0 min repeats the alarm's own event");
            }
        }
        Ok(())
    }

    /// What is due at `now` for a schedule standing at `s`. Overdue steps (the platform was
    /// down) are all carried out once; missed reminder rounds become one reminder.
    pub fn plan(&self, s: EscalationState, now: Timestamp) -> Plan {
        let at = |ms: i64| Timestamp(s.started_at.0.saturating_add(ms));
        let step_at = |st: &Step| at(i64::from(st.after_min) * MS_PER_MIN);
        let done = (s.steps_done as usize).min(self.steps.len());
        let due = self.steps[done..]
            .iter()
            .take_while(|st| step_at(st) <= now)
            .count();
        let steps_done = done + due;
        let repeat_ms = i64::from(self.repeat_min) * MS_PER_MIN;
        let round = u32::try_from((now.0 - s.started_at.0).max(0) / repeat_ms).unwrap_or(u32::MAX);
        let mut remind = Vec::new();
        if round > s.reminders {
            // Owner and technician were told by the alarm's own event; the rest by steps.
            let told = self.steps[..steps_done].iter().map(|st| st.to);
            for t in [Target::Owner, Target::Technician].into_iter().chain(told) {
                add(&mut remind, t);
            }
        }
        let mut notify = Vec::new();
        for st in &self.steps[done..steps_done] {
            for &ch in &st.by {
                match ch {
                    Channel::Push => add(&mut remind, st.to),
                    _ => notify.push((ch, st.to)),
                }
            }
        }
        let reminders = round.max(s.reminders);
        let next_round = at(repeat_ms.saturating_mul(i64::from(reminders) + 1));
        Plan {
            to: EscalationState {
                started_at: s.started_at,
                steps_done: steps_done as u32,
                reminders,
            },
            next_at: self
                .steps
                .get(steps_done)
                .map_or(next_round, |st| step_at(st).min(next_round)),
            remind,
            notify,
        }
    }
}

/// Carries out every escalation due at `now`; returns how many moved.
pub fn run(
    policy: &EscalationPolicy,
    store: &dyn PlatformStore,
    notifier: &dyn Notifier,
    seal: Sealer<'_>,
    now: Timestamp,
) -> StoreResult<usize> {
    let mut moved = 0;
    for due in store.due_escalations(now)? {
        let Some(contacts) = store.barn_contacts(due.alarm.barn_id)? else {
            continue;
        };
        let plan = policy.plan(due.state, now);
        let mut remind: Vec<UserId> = Vec::new();
        for c in plan.remind.iter().flat_map(|t| people(&contacts, *t)) {
            add(&mut remind, c.user);
        }
        let step = EscalationStep {
            alarm: due.alarm.id,
            from: due.state,
            to: plan.to,
            next_at: plan.next_at,
            remind,
            at: now,
        };
        // Claimed (reminders numbered) before anything is sent: a crash in between loses at
        // most this round's texts, never sends them twice, and an acknowledgement that won
        // the race stops them.
        if !store.advance_escalation(&step, seal)? {
            continue;
        }
        moved += 1;
        let (sms, call) = texts(&due.alarm, &contacts);
        for &(channel, target) in &plan.notify {
            for c in people(&contacts, target) {
                let sent = match channel {
                    Channel::Call => notifier.call(c, &call),
                    _ => notifier.sms(c, &sms),
                };
                if let Err(e) = sent {
                    tracing::error!(alarm = due.alarm.id.0, to = %mask(&c.phone), error = %e, "escalation message not sent");
                }
            }
        }
    }
    Ok(moved)
}

fn add<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

fn people(c: &BarnContacts, t: Target) -> Vec<&Contact> {
    match t {
        Target::Owner => vec![&c.owner],
        Target::Technician => c.technician.iter().collect(),
        Target::Station => c.station.iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn state(steps_done: u32, reminders: u32) -> EscalationState {
        EscalationState {
            started_at: Timestamp(0),
            steps_done,
            reminders,
        }
    }

    fn min(m: i64) -> Timestamp {
        Timestamp(m * MS_PER_MIN)
    }

    #[test]
    fn the_default_schedule_widens_then_keeps_reminding() {
        let p = EscalationPolicy::builtin();
        let start = p.plan(state(0, 0), min(0));
        assert_eq!(start.notify, [(Channel::Sms, Target::Owner)]);
        assert!(start.remind.is_empty());
        assert_eq!(start.next_at, min(15));
        let q = p.plan(start.to, min(15));
        assert_eq!(
            q.notify,
            [
                (Channel::Call, Target::Owner),
                (Channel::Sms, Target::Technician)
            ]
        );
        assert_eq!(q.remind, [Target::Owner, Target::Technician]);
        let hour = p.plan(state(4, 3), min(60));
        assert_eq!(hour.notify, [(Channel::Sms, Target::Station)]);
        assert_eq!(
            hour.remind,
            [Target::Owner, Target::Technician, Target::Station]
        );
        assert_eq!((hour.to.steps_done, hour.next_at), (5, min(75)));
        // Nothing is due between rounds; after the last step only reminders follow.
        assert!(p.plan(hour.to, min(70)).remind.is_empty());
        assert!(p.plan(hour.to, min(75)).notify.is_empty());
        // A platform that was down catches up once: every step due, one reminder.
        let late = p.plan(state(1, 0), min(47));
        assert_eq!(late.notify.len(), 3, "{late:?}");
        assert_eq!((late.to.steps_done, late.to.reminders), (4, 3));
        assert_eq!(late.remind, [Target::Owner, Target::Technician]);
        assert_eq!(late.next_at, min(60));
    }

    #[test]
    fn broken_policies_are_refused() {
        let edit = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut v: serde_json::Value = serde_json::from_str(BUILTIN).unwrap();
            f(&mut v);
            EscalationPolicy::from_json(&v.to_string()).unwrap_err().0
        };
        assert!(edit(&|v| v["repeat_min"] = 0.into()).contains("repeat_min"));
        assert!(edit(&|v| v["steps"][1]["after_min"] = 90.into()).contains("sorted"));
        assert!(edit(&|v| v["steps"][4]["after_min"] = 2000.into()).contains("1440"));
        assert!(edit(&|v| v["steps"][0]["by"] = serde_json::json!(["push"])).contains("0 min"));
        assert!(edit(&|v| v["steps"][0]["by"] = serde_json::json!([])).contains("channels"));
        assert!(edit(&|v| v["steps"][0]["to"] = "mayor".into()).contains("mayor"));
        assert!(edit(&|v| v["steps"] = serde_json::json!([])).contains("no steps"));
    }
}
