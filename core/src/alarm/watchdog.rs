//! The phone's own watchdog, for when every push channel is dead and nobody can tell the
//! phone that the platform or a barn went quiet. On each wake-up [`check`] measures the
//! silence of the platform and of each barn with a running cure and reports the local
//! alarms raised, escalated and cleared since the last check, each change once (the state
//! lives in `watchdog_alarms`), like the platform's own lifecycle.
//!
//! Thresholds (curing-domain.md §3, A13): a barn with a running cure silent
//! [`BARN_MAJOR_AFTER`] → major, [`BARN_CRITICAL_AFTER`] → critical, cleared once its newest
//! reading is fresher than [`BARN_CLEAR_BELOW`]; the platform not reached for
//! [`PLATFORM_MAJOR_AFTER`] → major. A13's 10-minute minor level is left to the platform:
//! phones wake every 15 minutes or so, too coarse to say anything at 10.

mod state;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

pub use state::record_contact;

use super::notify::{self, NotificationPlan, PlanContext, Subject};
use crate::barn::BarnError;
use crate::barn::api::{AlarmEventKind, BarnId, Severity};
use crate::barn::local;
use crate::store::Store;
use crate::text::Locale;
use crate::{Text, Timestamp};

pub const BARN_MAJOR_AFTER: Duration = Duration::from_secs(30 * 60);
/// A13 keeps this level for Y2–F2; the phone raises it in any step, since with the push
/// channels dead it may be the only one still watching.
pub const BARN_CRITICAL_AFTER: Duration = Duration::from_secs(60 * 60);
/// Hysteresis: A13's first level, below which the platform itself calls a barn fine.
pub const BARN_CLEAR_BELOW: Duration = Duration::from_secs(10 * 60);
pub const PLATFORM_MAJOR_AFTER: Duration = Duration::from_secs(30 * 60);

/// What went quiet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LocalAlarmKind {
    PlatformSilent,
    BarnSilent { barn_id: BarnId },
}

impl LocalAlarmKind {
    /// Notification tag; also the alarm's key in the store.
    pub fn tag(self) -> String {
        match self {
            LocalAlarmKind::PlatformSilent => "watchdog-platform".into(),
            LocalAlarmKind::BarnSilent { barn_id } => format!("watchdog-barn-{barn_id}"),
        }
    }

    fn group_key(self) -> String {
        match self {
            LocalAlarmKind::PlatformSilent => "platform".into(),
            LocalAlarmKind::BarnSilent { barn_id } => notify::barn_group(barn_id),
        }
    }
}

/// One change of a local alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAlarm {
    pub kind: LocalAlarmKind,
    /// `Raised`, `Escalated` or `Cleared`.
    pub change: AlarmEventKind,
    /// The worst it got; it never goes down while active.
    pub severity: Severity,
    pub silent_for: Duration,
    pub title: Text,
    pub body: Text,
    pub notification: NotificationPlan,
}

/// What one check saw of a subject.
#[derive(Debug)]
struct Seen {
    name: Option<String>,
    silent_ms: i64,
    level: Option<Severity>,
    /// Quiet enough to clear an active alarm (or no longer watched at all).
    calm: bool,
}

/// Measures every silence at `ctx.now` and returns the changes since the last check, in one
/// transaction: two wake-ups racing cannot both tell the same change.
pub fn check(store: &Store, ctx: &PlanContext) -> Result<Vec<LocalAlarm>, BarnError> {
    store.write(|tx| {
        let seen = observe(tx, ctx.now)?;
        let active = state::active(tx)?;
        let kinds: BTreeSet<LocalAlarmKind> = seen.keys().chain(active.keys()).copied().collect();
        let mut out = Vec::new();
        for kind in kinds {
            let s = seen.get(&kind);
            let was = active.get(&kind).copied();
            let (change, now_active) = match (was, s) {
                (None, Some(s)) => match s.level {
                    Some(severity) => {
                        let a = state::Active {
                            severity,
                            raised_at: ctx.now,
                        };
                        (AlarmEventKind::Raised, a)
                    }
                    None => continue,
                },
                (Some(a), Some(s)) if !s.calm => match s.level {
                    Some(severity) if severity > a.severity => {
                        (AlarmEventKind::Escalated, state::Active { severity, ..a })
                    }
                    _ => continue,
                },
                (Some(a), _) => (AlarmEventKind::Cleared, a),
                (None, None) => continue,
            };
            if change == AlarmEventKind::Cleared {
                state::remove(tx, kind)?;
            } else {
                state::put(tx, kind, now_active)?;
            }
            let silent_ms = s.map_or(0, |s| s.silent_ms);
            let name = s.and_then(|s| s.name.as_deref());
            out.push(local_alarm(kind, change, now_active, silent_ms, name, ctx));
        }
        Ok(out)
    })
}

fn observe(
    c: &rusqlite::Connection,
    now: Timestamp,
) -> Result<BTreeMap<LocalAlarmKind, Seen>, BarnError> {
    let mut seen = BTreeMap::new();
    let Some(sync) = state::sync_state(c)? else {
        return Ok(seen); // Logged out: nothing is watched, whatever was active clears.
    };
    // Before the first sync there is no contact to measure from.
    if let Some(contact) = sync.synced_at.max(sync.last_contact) {
        let silent_ms = (now.0 - contact.0).max(0);
        let level = (silent_ms >= ms(PLATFORM_MAJOR_AFTER)).then_some(Severity::Major);
        let calm = level.is_none();
        let name = None;
        seen.insert(
            LocalAlarmKind::PlatformSilent,
            Seen {
                name,
                silent_ms,
                level,
                calm,
            },
        );
    }
    // Barns are judged as of the last sync, on the platform's clock (no skew with the phone):
    // while the phone is offline their silence is unknown, and one platform alarm says so
    // instead of one alarm per barn.
    let Some(as_of) = sync.server_time else {
        return Ok(seen);
    };
    // An active A13 from the platform already told the user: one notification, not two.
    let told = state::told_by_platform(c)?;
    for barn in local::barns(c)? {
        let running = if told.contains(&barn.id) {
            None
        } else {
            state::running_since(c, barn.id)?
        };
        let observed = match running {
            None => Seen {
                name: Some(barn.name),
                silent_ms: 0,
                level: None,
                calm: true,
            },
            Some(started) => {
                let newest = state::newest_reading(c, barn.id)?;
                let since = newest.map_or(started, |t| t.max(started));
                let silent_ms = (as_of.0 - since.0).max(0);
                let level = if silent_ms >= ms(BARN_CRITICAL_AFTER) {
                    Some(Severity::Critical)
                } else if silent_ms >= ms(BARN_MAJOR_AFTER) {
                    Some(Severity::Major)
                } else {
                    None
                };
                let calm = silent_ms < ms(BARN_CLEAR_BELOW);
                Seen {
                    name: Some(barn.name),
                    silent_ms,
                    level,
                    calm,
                }
            }
        };
        seen.insert(LocalAlarmKind::BarnSilent { barn_id: barn.id }, observed);
    }
    Ok(seen)
}

fn ms(d: Duration) -> i64 {
    d.as_millis() as i64
}

fn local_alarm(
    kind: LocalAlarmKind,
    change: AlarmEventKind,
    a: state::Active,
    silent_ms: i64,
    name: Option<&str>,
    ctx: &PlanContext,
) -> LocalAlarm {
    let n = silent_ms / 60_000;
    let cleared = change == AlarmEventKind::Cleared;
    let (headline, body) = match (kind, cleared) {
        (LocalAlarmKind::PlatformSilent, false) => (
            Text::new(
                format!("已 {n} 分钟未连上平台，报警可能收不到"),
                format!("Platform not reached for {n} min: alarms may not arrive"),
            ),
            Text::new(
                "请检查手机网络，并打开应用同步",
                "Check the phone's network and open the app to sync",
            ),
        ),
        (LocalAlarmKind::PlatformSilent, true) => (
            Text::new("已重新连上平台", "Platform reached again"),
            Text::new("报警恢复接收", "Alarms arrive again"),
        ),
        (LocalAlarmKind::BarnSilent { .. }, false) => (
            Text::new(format!("已 {n} 分钟无数据"), format!("no data for {n} min")),
            Text::new("烤房通讯中断，请到现场查看", "Barn offline, check on site"),
        ),
        (LocalAlarmKind::BarnSilent { .. }, true) => (
            Text::new("数据已恢复", "data back"),
            Text::new("烤房通讯已恢复", "Barn back online"),
        ),
    };
    let place = match kind {
        LocalAlarmKind::PlatformSilent => None,
        LocalAlarmKind::BarnSilent { barn_id } => Some(match name {
            Some(n) if !n.trim().is_empty() => Text::new(n, n),
            _ => Text::new(
                notify::barn_label(barn_id, Locale::Zh),
                notify::barn_label(barn_id, Locale::En),
            ),
        }),
    };
    let title = match &place {
        Some(p) => Text::new(
            format!("{}{}", p.zh, headline.zh),
            format!("{}: {}", p.en, headline.en),
        ),
        None => headline.clone(),
    };
    let notification = notify::plan_subject(
        &Subject {
            tag: kind.tag(),
            alarm_id: None,
            group_key: kind.group_key(),
            place: place.map(|p| p.get(ctx.locale).to_owned()),
            severity: a.severity,
            headline: &headline,
            action: &body,
            when: a.raised_at,
            kind: change,
            cleared,
            acked: None,
        },
        ctx,
    );
    LocalAlarm {
        kind,
        change,
        severity: a.severity,
        silent_for: Duration::from_millis(silent_ms.max(0) as u64),
        title,
        body,
        notification,
    }
}
