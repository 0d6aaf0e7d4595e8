//! Quiet hours: the part of the local day in which alarms below critical are shown without
//! sound. The user's choice is kept in the `settings` table.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError};

const MINUTES_PER_DAY: u16 = 1440;
const KEY: &str = "quiet_hours";

/// From `start` (inclusive) to `end` (exclusive), minutes of the local day; wraps midnight
/// when `end < start` (22:00–06:00 is `1320..360`). Always valid once built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QuietHours {
    start: u16,
    end: u16,
}

/// Why quiet hours were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QuietHoursError {
    #[error("minute {0} is not in a day (0–1439)")]
    OutOfRange(u16),
    /// Equal ends would mean either never or always; the user turns quiet hours off instead.
    #[error("quiet hours must start and end at different times")]
    Empty,
}

impl QuietHours {
    pub fn new(start_minute: u16, end_minute: u16) -> Result<QuietHours, QuietHoursError> {
        for m in [start_minute, end_minute] {
            if m >= MINUTES_PER_DAY {
                return Err(QuietHoursError::OutOfRange(m));
            }
        }
        if start_minute == end_minute {
            return Err(QuietHoursError::Empty);
        }
        Ok(QuietHours {
            start: start_minute,
            end: end_minute,
        })
    }

    pub fn start_minute(&self) -> u16 {
        self.start
    }

    pub fn end_minute(&self) -> u16 {
        self.end
    }

    /// Whether `minute` of the local day falls inside.
    pub fn contains(&self, minute: u16) -> bool {
        if self.start < self.end {
            (self.start..self.end).contains(&minute)
        } else {
            minute >= self.start || minute < self.end
        }
    }
}

/// The user's quiet hours; `None` when off (the default).
pub fn load_quiet_hours(store: &Store) -> Result<Option<QuietHours>, StoreError> {
    store.read(read)
}

/// Saves the user's quiet hours; `None` turns them off.
pub fn save_quiet_hours(store: &Store, quiet: Option<QuietHours>) -> Result<(), StoreError> {
    let json = quiet
        .map(|q| serde_json::to_string(&q))
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("quiet hours: {e}")))?;
    store.write(|tx| {
        match json {
            Some(v) => tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![KEY, v],
            )?,
            None => tx.execute("DELETE FROM settings WHERE key = ?1", [KEY])?,
        };
        Ok(())
    })
}

pub(crate) fn read(c: &Connection) -> Result<Option<QuietHours>, StoreError> {
    let value: Option<String> = c
        .query_row("SELECT value FROM settings WHERE key = ?1", [KEY], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(value) = value else {
        return Ok(None);
    };
    // Decoding bypasses `new`: validate again so a bad row cannot reach the planner.
    let raw: QuietHours = serde_json::from_str(&value)
        .map_err(|e| StoreError::Corrupt(format!("quiet hours {value:?}: {e}")))?;
    QuietHours::new(raw.start, raw.end)
        .map(Some)
        .map_err(|e| StoreError::Corrupt(format!("quiet hours {value:?}: {e}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn quiet_hours_wrap_midnight_with_exact_boundaries() {
        let q = QuietHours::new(1320, 360).unwrap();
        let inside: Vec<_> = [1319, 1320, 1439, 0, 359, 360, 720]
            .into_iter()
            .map(|m| q.contains(m))
            .collect();
        assert_eq!(inside, [false, true, true, true, true, false, false]);
        let day = QuietHours::new(780, 840).unwrap(); // 13:00–14:00 nap, no wrap
        let inside: Vec<_> = [779, 780, 839, 840]
            .into_iter()
            .map(|m| day.contains(m))
            .collect();
        assert_eq!(inside, [false, true, true, false]);
    }

    #[test]
    fn quiet_hours_are_validated() {
        assert_eq!(
            QuietHours::new(1440, 0),
            Err(QuietHoursError::OutOfRange(1440))
        );
        assert_eq!(
            QuietHours::new(0, 2000),
            Err(QuietHoursError::OutOfRange(2000))
        );
        assert_eq!(QuietHours::new(600, 600), Err(QuietHoursError::Empty));
        let q = QuietHours::new(1439, 0).unwrap();
        assert_eq!((q.start_minute(), q.end_minute()), (1439, 0));
    }

    #[test]
    fn quiet_hours_round_trip_through_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in_dir(dir.path()).unwrap();
        assert_eq!(load_quiet_hours(&store).unwrap(), None);
        let q = QuietHours::new(1350, 330).unwrap();
        save_quiet_hours(&store, Some(q)).unwrap();
        assert_eq!(load_quiet_hours(&store).unwrap(), Some(q));
        let later = QuietHours::new(60, 120).unwrap();
        save_quiet_hours(&store, Some(later)).unwrap();
        assert_eq!(load_quiet_hours(&store).unwrap(), Some(later));
        save_quiet_hours(&store, None).unwrap();
        assert_eq!(load_quiet_hours(&store).unwrap(), None);
    }

    #[test]
    fn a_tampered_setting_is_refused_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in_dir(dir.path()).unwrap();
        for bad in [
            r#"{"start":1500,"end":60}"#,
            r#"{"start":60,"end":60}"#,
            "22-6",
        ] {
            store
                .write(|tx| {
                    tx.execute(
                        "INSERT OR REPLACE INTO settings (key, value) VALUES ('quiet_hours', ?1)",
                        [bad],
                    )
                    .map_err(StoreError::from)
                })
                .unwrap();
            let err = load_quiet_hours(&store).unwrap_err();
            assert!(matches!(err, StoreError::Corrupt(_)), "{bad}: {err}");
        }
    }
}
