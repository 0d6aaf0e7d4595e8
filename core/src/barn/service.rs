//! `Barns`: log in, sync the changes feed into the local store, watch a barn live. Every
//! screen reads the store, so all of it works offline and "last updated" is the truth.

use std::sync::Arc;
use std::time::Duration;

use super::BarnError;
use super::api::{AlarmId, BarnId, ChangesPage, ImageId, ImageMeta, Reading, User};
use super::client::{ClientConfig, PlatformClient};
use super::local::{self, LocalSession};
use super::pictures::{self, PictureCache};
use super::secrets::SecretStore;
use super::sse::SseParser;
use crate::Timestamp;
use crate::alarm::outbox::{self, AckOutcome, FlushReport, Pressed};
use crate::alarm::{Inbox, Received};
use crate::cancel::{Cancel, cancelled, sleep_or_cancel, wait_cancel};
use crate::store::Store;

/// Sending the acknowledgement outbox; only `Barns` uses it.
mod acks;
/// Push registration and the self-hosted alarm stream.
mod alarm_push;
mod reading_sync;

pub use alarm_push::AlarmWatchEvent;

/// Readings per sync page: about a barn-week; small enough for 2G, few round trips.
const PAGE_LIMIT: usize = 10_000;
/// Refresh the token when it has less than this left.
const REFRESH_BEFORE_HOURS: f64 = 7.0 * 24.0;
const TOKEN_KEY: &str = "barn-platform-token";

/// What one `sync` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub pages: u32,
    pub barns: u32,
    pub curings: u32,
    pub readings: u32,
    pub images: u32,
    /// The platform asked for a fresh copy (the set of visible barns changed).
    pub reset: bool,
}

/// What the live watch reports to the screen.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchEvent {
    /// Connected; readings follow as they arrive.
    Live,
    Reading(Reading),
    /// The stream dropped; the watch reconnects after `retry_in` and syncs what it missed.
    Offline {
        retry_in: Duration,
        reason: String,
    },
}

#[derive(Debug)]
pub struct Barns {
    client: PlatformClient,
    store: Arc<Store>,
    secrets: Arc<dyn SecretStore>,
    pictures: PictureCache,
}

impl Barns {
    pub fn new(
        config: &ClientConfig,
        store: Arc<Store>,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<Barns, BarnError> {
        Ok(Barns {
            client: PlatformClient::new(config)?,
            pictures: PictureCache::beside(&store, pictures::DEFAULT_CAP_BYTES),
            store,
            secrets,
        })
    }

    /// Caps the camera-picture cache at `bytes` (trimmed on the next download).
    pub fn with_picture_cap(mut self, bytes: u64) -> Barns {
        self.pictures = PictureCache::beside(&self.store, bytes);
        self
    }

    /// Fetches the alarm events `inbox` lacks (everything after its last unbroken sequence
    /// number) and hands them to it: on app start, periodic wake-up and reconnect, so the
    /// inbox ends up as the platform's list whatever the push channels lost. Returns how
    /// many were new.
    pub async fn catch_up_alarms(&self, inbox: &Inbox) -> Result<u32, BarnError> {
        const PAGE: usize = 500;
        let token = self.live_token().await?;
        let me = self.session()?.ok_or(BarnError::NotLoggedIn)?.user.id;
        let refused = alarm_push::refused;
        let mut new = 0;
        loop {
            let after = inbox.contiguous(me).map_err(refused)?;
            let page = self.client.alarm_events(&token, after, PAGE).await?;
            for e in &page {
                let got = inbox.receive(e, "catch-up", me, Timestamp::now());
                if let Received::New { .. } = got.map_err(refused)? {
                    new += 1;
                }
            }
            // A short page is the end; a page that filled no gap would repeat forever.
            if page.len() < PAGE || inbox.contiguous(me).map_err(refused)? == after {
                return Ok(new);
            }
        }
    }

    /// The person pressed "acknowledge" on alarm `id` (in the app or the notification):
    /// saved in the outbox and shown acknowledged in the inbox at once, then sent. Offline or
    /// refused for now it stays `Queued` for [`Barns::flush_acks`]. Unauthorized (or no token)
    /// is an error, but the press is kept and goes after this account logs in again.
    pub async fn acknowledge_alarm(&self, id: AlarmId) -> Result<AckOutcome, BarnError> {
        let me = self.session()?.ok_or(BarnError::NotLoggedIn)?.user.id;
        let row = match outbox::acknowledge(&self.store, me, id, Timestamp::now())? {
            Pressed::AlreadyAcknowledged { at, by } => {
                return Ok(AckOutcome::AlreadyAcknowledged { at, by });
            }
            Pressed::Queued(row) | Pressed::AlreadyQueued(row) => row,
        };
        let sent = match self.live_token().await {
            Ok(token) => acks::send(&self.client, &self.store, &token, &row).await,
            Err(e) => Err(e),
        };
        acks::outcome(id, self.forget_refused_token(sent))
    }

    /// Sends every acknowledgement due: on app start, periodic wake-up and when the network
    /// returns. A row goes only once the platform answered; offline, 5xx and 429 keep it with
    /// backoff; Unauthorized stops with the rows kept.
    pub async fn flush_acks(&self) -> Result<FlushReport, BarnError> {
        self.send_acks(Timestamp::now()).await
    }

    async fn send_acks(&self, due_by: Timestamp) -> Result<FlushReport, BarnError> {
        let me = self.session()?.ok_or(BarnError::NotLoggedIn)?.user.id;
        let due = outbox::pending(&self.store, me, due_by)?;
        if due.is_empty() {
            return acks::waiting(&self.store, me, FlushReport::default());
        }
        let token = self.live_token().await?;
        let report = acks::flush(&self.client, &self.store, &token, me, &due).await;
        self.forget_refused_token(report)
    }

    /// A token the platform refused is dead: forget it, as `sync` does.
    fn forget_refused_token<T>(&self, r: Result<T, BarnError>) -> Result<T, BarnError> {
        if let Err(BarnError::Unauthorized(_)) = &r {
            self.secrets.delete(TOKEN_KEY).map_err(BarnError::Secrets)?;
        }
        r
    }

    /// A barn camera picture's JPEG: from the cache, else downloaded once, checked against
    /// its announced SHA-256 and cached. Offline, only cached pictures are there.
    pub async fn picture(&self, id: ImageId) -> Result<(ImageMeta, Vec<u8>), BarnError> {
        let meta = self
            .store
            .read(|c| local::image(c, id))?
            .ok_or_else(|| BarnError::NotFound(format!("picture {id} is not in this account")))?;
        if let Some(jpeg) = self.pictures.get(&self.store, &meta, Timestamp::now())? {
            return Ok((meta, jpeg));
        }
        let token = self.live_token().await?;
        let jpeg = self.client.image(&token, id).await?;
        self.pictures
            .put(&self.store, &meta, &jpeg, Timestamp::now())?;
        Ok((meta, jpeg))
    }

    fn token(&self) -> Result<String, BarnError> {
        self.secrets
            .get(TOKEN_KEY)
            .map_err(BarnError::Secrets)?
            .ok_or(BarnError::NotLoggedIn)
    }

    pub async fn login(&self, phone: &str, password: &str) -> Result<User, BarnError> {
        let session = self.client.login(phone, password).await?;
        self.secrets
            .set(TOKEN_KEY, &session.token)
            .map_err(BarnError::Secrets)?;
        let platform = self.client.base().to_owned();
        self.store.write(|tx| {
            acks::on_login(tx, &platform, &session)?;
            local::begin(tx, &platform, &session)
        })?;
        self.pictures.trim(&self.store)?; // Another account's pictures go with its barns.
        tracing::info!(user = %session.user.id, "logged in to the barn platform");
        Ok(session.user)
    }

    /// Logs out here and on the platform (best effort: offline, the token still dies here).
    /// Presses not yet delivered get one last try, then go with the account's inbox.
    pub async fn logout(&self) -> Result<(), BarnError> {
        if self.token().is_ok()
            && let Err(e) = self.send_acks(Timestamp(i64::MAX)).await
        {
            tracing::warn!(error = %e, "acknowledgements not delivered before logout");
        }
        if let Ok(token) = self.token()
            && let Err(e) = self.client.logout(&token).await
        {
            tracing::warn!(error = %e, "platform logout failed; forgetting the token anyway");
        }
        self.secrets.delete(TOKEN_KEY).map_err(BarnError::Secrets)?;
        let dropped = self.store.write(|tx| {
            local::end(tx)?;
            Ok::<_, BarnError>(outbox::forget(tx)?)
        })?;
        if dropped > 0 {
            tracing::warn!(dropped, "undelivered acknowledgements dropped at logout");
        }
        // The next person on a shared phone must not find this account's barn pictures.
        self.pictures.trim(&self.store)
    }

    /// Who is logged in and when sync last finished, from the store (no network).
    pub fn session(&self) -> Result<Option<LocalSession>, BarnError> {
        self.store.read(local::session)
    }

    /// A token refreshed if it is close to expiry. A refused token is forgotten: the screen
    /// asks for a new login, the stored barns stay readable.
    async fn live_token(&self) -> Result<String, BarnError> {
        let token = self.token()?;
        let Some(session) = self.session()? else {
            return Err(BarnError::NotLoggedIn);
        };
        if session.expires_at.hours_since(Timestamp::now()) > REFRESH_BEFORE_HOURS {
            return Ok(token);
        }
        match self.client.refresh(&token).await {
            Ok(fresh) => {
                self.secrets
                    .set(TOKEN_KEY, &fresh.token)
                    .map_err(BarnError::Secrets)?;
                let platform = self.client.base().to_owned();
                self.store.write(|tx| local::begin(tx, &platform, &fresh))?;
                Ok(fresh.token)
            }
            Err(e @ BarnError::Unauthorized(_)) => {
                self.secrets.delete(TOKEN_KEY).map_err(BarnError::Secrets)?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Pulls every change since the stored cursor, one transaction per page. Interrupted (no
    /// network, app killed, cancelled) it resumes from the last page applied.
    pub async fn sync(&self, cancel: &Cancel) -> Result<SyncReport, BarnError> {
        let token = self.live_token().await?;
        let mut report = SyncReport::default();
        loop {
            if cancelled(cancel) {
                return Err(BarnError::Cancelled);
            }
            let cursor = self.session()?.map(|s| s.cursor).unwrap_or_default();
            let page = match self.client.changes(&token, &cursor, PAGE_LIMIT).await {
                Err(e @ BarnError::Unauthorized(_)) => {
                    self.secrets.delete(TOKEN_KEY).map_err(BarnError::Secrets)?;
                    return Err(e);
                }
                other => other?,
            };
            self.apply(&page, &mut report)?;
            if !page.more {
                return Ok(report);
            }
        }
    }

    fn apply(&self, page: &ChangesPage, report: &mut SyncReport) -> Result<(), BarnError> {
        // Decode before opening the transaction: a malformed page changes nothing.
        let readings = page
            .readings
            .iter()
            .map(|b| {
                Ok((
                    b.barn_id,
                    b.decode().map_err(|e| BarnError::Decode(e.to_string()))?,
                ))
            })
            .collect::<Result<Vec<_>, BarnError>>()?;
        let now = Timestamp::now();
        self.store
            .write(|tx| local::apply(tx, page, &readings, now))?;
        report.pages += 1;
        report.barns += page.barns.len() as u32;
        report.curings += page.curings.len() as u32;
        report.readings += readings.iter().map(|(_, r)| r.len() as u32).sum::<u32>();
        report.images += page.images.len() as u32;
        report.reset |= page.reset;
        Ok(())
    }

    /// Watches `barn` live until `cancel` is raised: stream readings into the store and to
    /// `on_event`; when the stream drops, sync (fills the gap) and reconnect with jittered
    /// exponential backoff, so a flapping 2G link neither hammers the platform nor goes blind.
    pub async fn watch(
        &self,
        barn: BarnId,
        cancel: &Cancel,
        mut on_event: impl FnMut(WatchEvent) + Send,
    ) -> Result<(), BarnError> {
        let mut backoff = Backoff::new();
        while !cancelled(cancel) {
            let reason = match self
                .stream_once(barn, cancel, &mut on_event, &mut backoff)
                .await
            {
                Ok(()) => return Ok(()),
                Err(
                    e @ (BarnError::Unauthorized(_)
                    | BarnError::NotLoggedIn
                    | BarnError::NotFound(_)),
                ) => {
                    return Err(e);
                }
                Err(e) => e.to_string(),
            };
            let retry_in = backoff.next_delay();
            on_event(WatchEvent::Offline { retry_in, reason });
            if sleep_or_cancel(retry_in, cancel).await {
                break;
            }
            // Fill what the stream missed while down; failure just means still offline.
            if let Err(e) = self.sync(cancel).await {
                tracing::debug!(error = %e, "sync while reconnecting failed");
            }
        }
        Ok(())
    }

    async fn stream_once(
        &self,
        barn: BarnId,
        cancel: &Cancel,
        on_event: &mut (impl FnMut(WatchEvent) + Send),
        backoff: &mut Backoff,
    ) -> Result<(), BarnError> {
        let token = self.live_token().await?;
        let mut res = self.client.stream(&token, barn).await?;
        on_event(WatchEvent::Live);
        backoff.reset();
        let mut parser = SseParser::default();
        loop {
            let chunk = tokio::select! {
                c = res.chunk() => c?,
                () = wait_cancel(cancel) => return Ok(()),
            };
            let Some(chunk) = chunk else {
                return Err(BarnError::Network("the platform closed the stream".into()));
            };
            // Any bytes, keep-alives included, show the platform is reachable (the watchdog).
            self.store
                .write(|tx| crate::alarm::record_contact(tx, Timestamp::now()))?;
            for ev in parser
                .feed(&chunk)
                .map_err(|e| BarnError::Decode(e.to_string()))?
            {
                match ev.event.as_str() {
                    "reading" => {
                        let r: Reading = serde_json::from_str(&ev.data)
                            .map_err(|e| BarnError::Decode(e.to_string()))?;
                        let r = r.quantised();
                        self.store
                            .write(|tx| local::put_readings(tx, barn, std::slice::from_ref(&r)))?;
                        on_event(WatchEvent::Reading(r));
                    }
                    "lagged" => {
                        self.sync(cancel).await?;
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Exponential backoff 1 s → 5 min with ±25 % jitter so a village of phones that lost the
/// same tower does not reconnect in lockstep.
#[derive(Debug)]
pub(crate) struct Backoff {
    attempt: u32,
    seed: u64,
    first_ms: u64,
}

impl Backoff {
    pub(crate) fn new() -> Backoff {
        Backoff::starting_at(Duration::from_secs(1))
    }

    /// The same growth from `first` (tests shorten the wait).
    pub(crate) fn starting_at(first: Duration) -> Backoff {
        let seed = Timestamp::now().0 as u64 | 1;
        let first_ms = u64::try_from(first.as_millis()).unwrap_or(u64::MAX).max(1);
        Backoff {
            attempt: 0,
            seed,
            first_ms,
        }
    }

    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }

    pub(crate) fn next_delay(&mut self) -> Duration {
        let base = self
            .first_ms
            .saturating_mul(1 << self.attempt.min(9))
            .min(300_000);
        self.attempt += 1;
        // xorshift: jitter needs no cryptographic randomness.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let jitter = (self.seed % 501) as i64 - 250; // ±25 % in thousandths
        let ms = base as i64 + base as i64 * jitter / 1000;
        Duration::from_millis((ms as u64).max(self.first_ms.min(100)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_a_cap_with_jitter() {
        let mut b = Backoff::new();
        let delays: Vec<u128> = (0..15).map(|_| b.next_delay().as_millis()).collect();
        assert!((750..=1250).contains(&delays[0]), "{delays:?}");
        assert!(delays[3] > delays[0]);
        assert!(delays.iter().all(|&d| d <= 375_000), "{delays:?}");
        assert!(delays[14] >= 225_000, "{delays:?}");
        b.reset();
        assert!(b.next_delay().as_millis() <= 1250);
    }
}
