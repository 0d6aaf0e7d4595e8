//! The platform's clock. Demos and tests run barns on an accelerated or hand-driven clock (an
//! 8-day cure in minutes), and readings are judged against that clock, not the wall clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use yannong_core::Timestamp;

#[derive(Debug, Clone)]
pub struct Clock {
    origin_wall: Instant,
    origin: Timestamp,
    speed: f64,
    /// Added by [`Clock::advance`]; shared by every clone.
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// Real time.
    pub fn real() -> Clock {
        Clock::accelerated(Timestamp::now(), 1.0)
    }

    /// Starts at `origin` and runs `speed` times faster than the wall clock.
    pub fn accelerated(origin: Timestamp, speed: f64) -> Clock {
        Clock {
            origin_wall: Instant::now(),
            origin,
            speed: if speed.is_finite() && speed >= 0.0 {
                speed
            } else {
                1.0
            },
            offset_ms: Arc::new(AtomicI64::new(0)),
        }
    }

    /// Stands still at `origin` until [`Clock::advance`]d: the demo runs days as fast as the
    /// CPU allows, and tests step exactly.
    pub fn manual(origin: Timestamp) -> Clock {
        Clock::accelerated(origin, 0.0)
    }

    pub fn now(&self) -> Timestamp {
        let ms = self.origin_wall.elapsed().as_secs_f64() * 1000.0 * self.speed;
        Timestamp(
            self.origin
                .0
                .saturating_add(ms as i64)
                .saturating_add(self.offset_ms.load(Ordering::Relaxed)),
        )
    }

    /// Moves the clock (and every clone of it) forward by `d`.
    pub fn advance(&self, d: Duration) {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced_and_clones_follow() {
        let c = Clock::manual(Timestamp(1_000));
        let twin = c.clone();
        assert_eq!(c.now(), Timestamp(1_000));
        c.advance(Duration::from_secs(3600));
        assert_eq!(twin.now(), Timestamp(3_601_000));
    }

    #[test]
    fn an_accelerated_clock_runs_ahead() {
        let c = Clock::accelerated(Timestamp(0), 1000.0);
        std::thread::sleep(Duration::from_millis(20));
        assert!(c.now().0 >= 20_000, "{:?}", c.now());
    }
}
