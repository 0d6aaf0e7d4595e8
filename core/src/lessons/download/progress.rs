//! What a download tells the screen: bytes, percent, speed and time left, at most a few
//! times a second.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Where a pack download is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownloadPhase {
    /// Asking the platform what it offers and checking the signed manifest.
    Checking,
    Downloading,
    /// The connection dropped; trying again after `wait`.
    Retrying {
        attempt: u32,
        wait: Duration,
    },
    /// Verified and being switched in.
    Installing,
    Done,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DownloadProgress {
    pub pack_id: String,
    pub version: u32,
    pub phase: DownloadPhase,
    /// Bytes of the files this version needs from the network that are on the phone now,
    /// including what an earlier, interrupted download left.
    pub bytes_done: u64,
    pub bytes_total: u64,
    /// Over the last few seconds; 0 before anything arrived.
    pub bytes_per_second: u64,
    /// At the current speed; `None` while the speed is unknown.
    pub seconds_left: Option<u64>,
}

impl DownloadProgress {
    /// 0–100. While checking, the total is not known yet: 0. After that, a download with
    /// nothing to fetch (every file unchanged) is complete.
    pub fn percent(&self) -> f64 {
        if self.bytes_total == 0 {
            return if self.phase == DownloadPhase::Checking {
                0.0
            } else {
                100.0
            };
        }
        (self.bytes_done as f64 * 100.0 / self.bytes_total as f64).min(100.0)
    }
}

/// Speed over a sliding window, so a stall shows as falling speed rather than an average
/// since the start.
const WINDOW: Duration = Duration::from_secs(5);
/// The screen needs no more than this; phase changes always go out.
const EVERY: Duration = Duration::from_millis(200);

/// One meter that several file fetches running at once report to. Locked only for a count,
/// never across an await.
pub(crate) struct SharedMeter<'m, 'a>(Mutex<&'m mut Meter<'a>>);

impl<'m, 'a> SharedMeter<'m, 'a> {
    pub(crate) fn new(meter: &'m mut Meter<'a>) -> Self {
        SharedMeter(Mutex::new(meter))
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Meter<'a>) -> R) -> R {
        // A panic elsewhere leaves the counts as they were: still fine to show.
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

pub(crate) struct Meter<'a> {
    state: DownloadProgress,
    samples: VecDeque<(Instant, u64)>,
    last_sent: Option<Instant>,
    sink: &'a mut (dyn FnMut(&DownloadProgress) + Send),
}

impl<'a> Meter<'a> {
    pub(crate) fn new(
        pack_id: &str,
        version: u32,
        sink: &'a mut (dyn FnMut(&DownloadProgress) + Send),
    ) -> Meter<'a> {
        Meter {
            state: DownloadProgress {
                pack_id: pack_id.to_owned(),
                version,
                phase: DownloadPhase::Checking,
                bytes_done: 0,
                bytes_total: 0,
                bytes_per_second: 0,
                seconds_left: None,
            },
            samples: VecDeque::new(),
            last_sent: None,
            sink,
        }
    }

    pub(crate) fn start(&mut self, version: u32, done: u64, total: u64) {
        self.state.version = version;
        self.state.bytes_done = done;
        self.state.bytes_total = total;
        self.phase(DownloadPhase::Downloading);
    }

    pub(crate) fn phase(&mut self, phase: DownloadPhase) {
        self.state.phase = phase;
        if matches!(phase, DownloadPhase::Retrying { .. }) {
            // The stall is not speed: start measuring afresh when bytes flow again.
            self.samples.clear();
            self.state.bytes_per_second = 0;
            self.state.seconds_left = None;
        }
        self.send(Instant::now());
    }

    pub(super) fn add(&mut self, bytes: u64) {
        self.add_at(bytes, Instant::now());
    }

    fn add_at(&mut self, bytes: u64, now: Instant) {
        self.state.bytes_done = self.state.bytes_done.saturating_add(bytes);
        self.samples.push_back((now, self.state.bytes_done));
        while self
            .samples
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > WINDOW)
        {
            self.samples.pop_front();
        }
        self.estimate(now);
        if self
            .last_sent
            .is_none_or(|t| now.duration_since(t) >= EVERY)
        {
            self.send(now);
        }
    }

    /// Takes a file back to zero bytes (its copy failed its checksum and is fetched again).
    pub(super) fn take_back(&mut self, bytes: u64) {
        self.state.bytes_done = self.state.bytes_done.saturating_sub(bytes);
        self.samples.clear();
    }

    fn estimate(&mut self, now: Instant) {
        let Some(&(t0, b0)) = self.samples.front() else {
            return;
        };
        let secs = now.duration_since(t0).as_secs_f64();
        // Less than half a second of samples says little about speed.
        if secs < 0.5 {
            return;
        }
        let speed = (self.state.bytes_done - b0) as f64 / secs;
        self.state.bytes_per_second = speed as u64;
        let left = self.state.bytes_total.saturating_sub(self.state.bytes_done);
        self.state.seconds_left = (speed >= 1.0).then(|| (left as f64 / speed).ceil() as u64);
    }

    fn send(&mut self, now: Instant) {
        self.last_sent = Some(now);
        (self.sink)(&self.state);
    }

    #[cfg(test)]
    pub(super) fn state(&self) -> &DownloadProgress {
        &self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_and_time_left_come_from_the_last_seconds() {
        let mut seen = Vec::new();
        let mut sink = |p: &DownloadProgress| seen.push(p.clone());
        let mut m = Meter::new("p", 1, &mut sink);
        m.start(1, 0, 10_000);
        let t0 = Instant::now();
        // 1 000 bytes a second for 4 s, in 100 ms steps.
        for i in 1..=40 {
            m.add_at(100, t0 + Duration::from_millis(100 * i));
        }
        let s = m.state().clone();
        assert_eq!(s.bytes_done, 4_000);
        assert!((950..=1_050).contains(&s.bytes_per_second), "{s:?}");
        assert!((5..=7).contains(&s.seconds_left.unwrap_or(0)), "{s:?}");
        assert!((s.percent() - 40.0).abs() < 1e-9);
        // A stall then a trickle: the speed follows the trickle, not the average.
        for i in 1..=10 {
            m.add_at(
                10,
                t0 + Duration::from_secs(10) + Duration::from_millis(100 * i),
            );
        }
        assert!(m.state().bytes_per_second <= 150, "{:?}", m.state());
        drop(m);
        // Throttled: 50 additions and two phases, far fewer reports.
        assert!(seen.len() < 30, "{} reports", seen.len());
        assert_eq!(seen[0].phase, DownloadPhase::Downloading);
    }

    #[test]
    fn retrying_forgets_the_speed_and_nothing_to_fetch_is_complete() {
        let mut sink = |_: &DownloadProgress| {};
        let mut m = Meter::new("p", 1, &mut sink);
        assert_eq!(m.state().percent(), 0.0, "checking: nothing known yet");
        m.start(1, 0, 0);
        assert_eq!(m.state().percent(), 100.0);
        m.start(1, 0, 1000);
        let t0 = Instant::now();
        m.add_at(100, t0);
        m.add_at(100, t0 + Duration::from_secs(1));
        assert!(m.state().bytes_per_second > 0);
        m.phase(DownloadPhase::Retrying {
            attempt: 1,
            wait: Duration::from_secs(1),
        });
        assert_eq!(m.state().bytes_per_second, 0);
        assert_eq!(m.state().seconds_left, None);
        m.take_back(150);
        assert_eq!(m.state().bytes_done, 50);
    }
}
