//! Wall-clock instants as Unix milliseconds: exact, `Copy`, and trivially stored in SQLite.
//! The FFI layer converts them to `java.time.Instant` / `Date`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

pub const MS_PER_HOUR: f64 = 3_600_000.0;

impl Timestamp {
    pub fn now() -> Timestamp {
        Timestamp::from(SystemTime::now())
    }

    pub fn from_secs(secs: i64) -> Timestamp {
        Timestamp(secs.saturating_mul(1000))
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    /// `self + hours`, rounded to the millisecond.
    pub fn add_hours(self, hours: f64) -> Timestamp {
        Timestamp(self.0.saturating_add((hours * MS_PER_HOUR).round() as i64))
    }

    /// Hours from `earlier` to `self` (negative when `self` is earlier).
    pub fn hours_since(self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0) as f64 / MS_PER_HOUR
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Timestamp {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            Err(e) => Timestamp(-i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX)),
        }
    }
}

impl From<Timestamp> for SystemTime {
    fn from(t: Timestamp) -> SystemTime {
        let magnitude = Duration::from_millis(t.0.unsigned_abs());
        if t.0 >= 0 {
            UNIX_EPOCH + magnitude
        } else {
            UNIX_EPOCH - magnitude
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_system_time() {
        for ms in [0, 1, 1_732_000_000_123, -86_400_000] {
            let t = Timestamp(ms);
            assert_eq!(Timestamp::from(SystemTime::from(t)), t);
        }
    }

    #[test]
    fn hour_arithmetic() {
        let t = Timestamp::from_secs(1_000);
        assert_eq!(t.add_hours(1.5).hours_since(t), 1.5);
        assert_eq!(t.hours_since(t.add_hours(2.0)), -2.0);
    }
}
