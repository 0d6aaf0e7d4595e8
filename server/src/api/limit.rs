//! Login throttling. Failed logins are counted per phone number and per client address over a
//! sliding window; past the limit the platform answers 429 without checking the password, so a
//! right guess during a lockout tells an attacker nothing.
//!
//! Hand-written rather than `governor`: that limits requests, where this counts failures only
//! and forgets a phone number's failures when its owner gets in.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Mutex, PoisonError};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use yannong_core::Timestamp;

use super::ApiErr;

const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failed logins per phone number per window: enough for typos, too few to guess.
pub const PHONE_FAILURES: usize = 5;
/// Failed logins per client address per window, across numbers. Villages share carrier NAT
/// addresses, so this is looser than the per-number limit.
pub const IP_FAILURES: usize = 20;
/// Keys remembered per kind (~100 bytes each); beyond, the longest idle are forgotten.
const MAX_KEYS: usize = 50_000;

/// Failure times (ms, ascending) per key, at most `limit` each.
#[derive(Debug)]
struct Failures<K> {
    limit: usize,
    max_keys: usize,
    by_key: HashMap<K, VecDeque<i64>>,
}

impl<K: Hash + Eq + Clone> Failures<K> {
    fn new(limit: usize, max_keys: usize) -> Failures<K> {
        Failures {
            limit,
            max_keys,
            by_key: HashMap::new(),
        }
    }

    /// Milliseconds until `key` may try again, if it is over the limit.
    fn wait_ms(&self, key: &K, now: i64) -> Option<i64> {
        let times = self.by_key.get(key)?;
        let mut recent = times.iter().filter(|&&t| t > now - WINDOW_MS);
        let oldest = *recent.next()?;
        (1 + recent.count() >= self.limit).then(|| oldest + WINDOW_MS - now)
    }

    fn record(&mut self, key: K, now: i64) {
        if !self.by_key.contains_key(&key) && self.by_key.len() >= self.max_keys {
            self.evict(now);
        }
        let times = self.by_key.entry(key).or_default();
        times.retain(|&t| t > now - WINDOW_MS);
        times.push_back(now);
        while times.len() > self.limit {
            times.pop_front();
        }
    }

    /// Takes back one failure recorded at `at`.
    fn unrecord(&mut self, key: &K, at: i64) {
        if let Some(times) = self.by_key.get_mut(key) {
            if let Some(i) = times.iter().rposition(|&t| t == at) {
                times.remove(i);
            }
            if times.is_empty() {
                self.by_key.remove(key);
            }
        }
    }

    /// Drops expired keys; if live keys still fill the map (a flood of numbers or addresses),
    /// the tenth idle longest go: their owners get a fresh count, memory stays bounded.
    fn evict(&mut self, now: i64) {
        self.by_key
            .retain(|_, t| t.back().is_some_and(|&last| last > now - WINDOW_MS));
        if self.by_key.len() < self.max_keys {
            return;
        }
        let mut idle: Vec<(i64, K)> = self
            .by_key
            .iter()
            .map(|(k, t)| (t.back().copied().unwrap_or(i64::MIN), k.clone()))
            .collect();
        let n = (self.max_keys / 10).clamp(1, idle.len());
        idle.select_nth_unstable_by_key(n - 1, |(last, _)| *last);
        for (_, k) in &idle[..n] {
            self.by_key.remove(k);
        }
    }
}

#[derive(Debug)]
struct Counts {
    phones: Failures<[u8; 32]>,
    ips: Failures<IpAddr>,
}

/// The platform's login throttle; one per router.
#[derive(Debug)]
pub struct LoginLimiter(Mutex<Counts>);

impl Default for LoginLimiter {
    fn default() -> LoginLimiter {
        LoginLimiter::with_capacity(MAX_KEYS)
    }
}

/// A login being checked; counted as a failure unless [`LoginLimiter::succeeded`].
#[derive(Debug)]
pub(crate) struct Attempt {
    phone: [u8; 32],
    ip: Option<IpAddr>,
    at: i64,
}

/// Hashed: a key of fixed size whatever the request holds, and no numbers kept in memory.
fn phone_key(phone: &str) -> [u8; 32] {
    Sha256::digest(phone.trim().as_bytes()).into()
}

/// An IPv6 client owns at least a /64, so that is what is counted.
fn ip_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & (u128::MAX << 64))),
        v4 => v4,
    }
}

impl LoginLimiter {
    fn with_capacity(max_keys: usize) -> LoginLimiter {
        LoginLimiter(Mutex::new(Counts {
            phones: Failures::new(PHONE_FAILURES, max_keys),
            ips: Failures::new(IP_FAILURES, max_keys),
        }))
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts the attempt before the password is checked, so parallel guesses cannot slip past
    /// the limit. `Err` holds the seconds to wait.
    pub(crate) fn begin(
        &self,
        phone: &str,
        ip: Option<IpAddr>,
        now: Timestamp,
    ) -> Result<Attempt, u32> {
        let (phone, ip, at) = (phone_key(phone), ip.map(ip_key), now.0);
        let mut c = self.counts();
        let wait = c
            .phones
            .wait_ms(&phone, at)
            .max(ip.and_then(|ip| c.ips.wait_ms(&ip, at)));
        if let Some(ms) = wait {
            return Err(u32::try_from((ms + 999) / 1000).unwrap_or(u32::MAX).max(1));
        }
        c.phones.record(phone, at);
        if let Some(ip) = ip {
            c.ips.record(ip, at);
        }
        Ok(Attempt { phone, ip, at })
    }

    /// The password was right: the number's failures are forgiven and the attempt does not
    /// count against the address (the address's earlier failures stay).
    pub(crate) fn succeeded(&self, a: &Attempt) {
        let mut c = self.counts();
        c.phones.by_key.remove(&a.phone);
        if let Some(ip) = &a.ip {
            c.ips.unrecord(ip, a.at);
        }
    }
}

/// 429 with `Retry-After` in seconds.
pub(crate) fn too_many(retry_after_s: u32) -> Response {
    let err = ApiErr::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        format!("too many failed logins: try again in {retry_after_s} s"),
    );
    ([(header::RETRY_AFTER, retry_after_s.to_string())], err).into_response()
}

/// The caller's address: the socket peer, or, when the peer is a proxy on this host, the
/// address it appended to `X-Forwarded-For` (the server is meant to sit behind a local TLS
/// proxy). `None` without a socket (tests driving the router directly).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientIp, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip());
        let forwarded = || {
            let last = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .next_back()?;
            last.to_str().ok()?.rsplit(',').next()?.trim().parse().ok()
        };
        Ok(ClientIp(match peer {
            Some(p) if p.is_loopback() => forwarded().or(Some(p)),
            other => other,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn a_number_is_locked_after_its_failures_until_the_window_moves_on() {
        let l = LoginLimiter::default();
        for i in 0..PHONE_FAILURES as i64 {
            assert!(l.begin(" 138 ", None, Timestamp(i * MIN)).is_ok());
        }
        // Locked until 15 min after the first failure.
        let t = Timestamp(5 * MIN);
        assert_eq!(l.begin("138", None, t).unwrap_err(), 10 * 60);
        assert!(l.begin("139", None, t).is_ok(), "other numbers are free");
        assert!(l.begin("138", None, Timestamp(15 * MIN + 1)).is_ok());
    }

    #[test]
    fn success_forgives_the_number_but_not_the_address() {
        let l = LoginLimiter::default();
        let ip = Some("203.0.113.9".parse().unwrap());
        for _ in 0..PHONE_FAILURES - 1 {
            l.begin("138", ip, Timestamp(0)).unwrap();
        }
        let ok = l.begin("138", ip, Timestamp(0)).unwrap();
        l.succeeded(&ok);
        for _ in 0..PHONE_FAILURES {
            l.begin("138", ip, Timestamp(0)).unwrap();
        }
        let c = l.counts();
        assert_eq!(
            c.ips.by_key.values().next().unwrap().len(),
            2 * PHONE_FAILURES - 1
        );
    }

    #[test]
    fn an_address_is_locked_across_numbers_and_ipv6_by_its_64() {
        let l = LoginLimiter::default();
        for i in 0..IP_FAILURES {
            let ip = format!("2001:db8::{i:x}").parse().unwrap();
            l.begin(&format!("n{i}"), Some(ip), Timestamp(0)).unwrap();
        }
        let same_64 = Some("2001:db8::ffff".parse().unwrap());
        assert!(l.begin("fresh", same_64, Timestamp(0)).is_err());
        let other = Some("2001:db8:0:1::1".parse().unwrap());
        assert!(l.begin("fresh", other, Timestamp(0)).is_ok());
    }

    #[test]
    fn memory_stays_bounded_under_a_flood_of_numbers() {
        let l = LoginLimiter::with_capacity(100);
        for i in 0..10_000 {
            l.begin(&i.to_string(), None, Timestamp(i)).unwrap();
        }
        assert!(l.counts().phones.by_key.len() <= 100);
        // The newest stay counted.
        for _ in 1..PHONE_FAILURES {
            l.begin("9999", None, Timestamp(10_000)).unwrap();
        }
        assert!(l.begin("9999", None, Timestamp(10_000)).is_err());
    }
}
