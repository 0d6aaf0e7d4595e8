//! The platform's clock. Demos and tests run barns on an accelerated clock (an 8-day cure in
//! minutes), and readings are judged against that clock, not the wall clock.

use std::time::Instant;

use yannong_core::Timestamp;

#[derive(Debug, Clone)]
pub struct Clock {
    origin_wall: Instant,
    origin: Timestamp,
    speed: f64,
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
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
        }
    }

    pub fn now(&self) -> Timestamp {
        let ms = self.origin_wall.elapsed().as_secs_f64() * 1000.0 * self.speed;
        Timestamp(self.origin.0.saturating_add(ms as i64))
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }
}
