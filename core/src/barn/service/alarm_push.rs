//! The phone's side of alarm delivery besides catch-up: registering vendor push tokens with
//! the platform, and holding the platform's own alarm stream open (the channel no vendor can
//! hold back, for while the app or its foreground service runs).

use std::time::Duration;

use super::{Backoff, Barns};
use crate::Timestamp;
use crate::alarm::{Inbox, PushChannel, PushError, Pushed, Received};
use crate::barn::BarnError;
use crate::barn::api::{PushDevice, RegisterDevice};
use crate::barn::sse::SseParser;
use crate::cancel::{Cancel, cancelled, sleep_or_cancel, wait_cancel};

/// What the alarm stream reports.
#[derive(Debug, Clone, PartialEq)]
pub enum AlarmWatchEvent {
    /// Connected (after catching up on what was missed).
    Live,
    /// An event arrived (new or already here through another channel).
    Received(Received),
    Offline {
        retry_in: Duration,
        reason: String,
    },
}

impl Barns {
    /// Tells the platform where to push this account's alarms. Call after login and whenever
    /// the vendor hands the app a new token. (The stream is not registered: the platform
    /// refuses it; hold it open with [`Barns::watch_alarms`].)
    pub async fn register_push(
        &self,
        channel: PushChannel,
        token: &str,
    ) -> Result<PushDevice, BarnError> {
        let auth = self.live_token().await?;
        let device = RegisterDevice {
            channel: channel.as_str().to_owned(),
            token: token.trim().to_owned(),
        };
        self.client.register_device(&auth, &device).await
    }

    /// Stops pushes to a device registered before (on logout, or when the user turns a
    /// channel off).
    pub async fn unregister_push(&self, device_id: i64) -> Result<(), BarnError> {
        let auth = self.live_token().await?;
        self.client.unregister_device(&auth, device_id).await
    }

    /// Catches up, then holds the alarm stream open, handing each event to `inbox` and
    /// reporting it, until `cancel` is raised or the account is no longer valid. Reconnects
    /// with backoff, catching up on what the drop lost.
    pub async fn watch_alarms(
        &self,
        inbox: &Inbox,
        cancel: &Cancel,
        mut on_event: impl FnMut(AlarmWatchEvent) + Send,
    ) -> Result<(), BarnError> {
        let mut backoff = Backoff::new();
        while !cancelled(cancel) {
            let reason = match self
                .alarm_stream_once(inbox, cancel, &mut on_event, &mut backoff)
                .await
            {
                Ok(()) => return Ok(()),
                Err(e @ (BarnError::Unauthorized(_) | BarnError::NotLoggedIn)) => return Err(e),
                Err(e) => e.to_string(),
            };
            let retry_in = backoff.next_delay();
            on_event(AlarmWatchEvent::Offline { retry_in, reason });
            if sleep_or_cancel(retry_in, cancel).await {
                break;
            }
        }
        Ok(())
    }

    async fn alarm_stream_once(
        &self,
        inbox: &Inbox,
        cancel: &Cancel,
        on_event: &mut (impl FnMut(AlarmWatchEvent) + Send),
        backoff: &mut Backoff,
    ) -> Result<(), BarnError> {
        self.catch_up_alarms(inbox).await?;
        let me = self.session()?.ok_or(BarnError::NotLoggedIn)?.user.id;
        let token = self.live_token().await?;
        let after = inbox.contiguous(me).map_err(refused)?;
        let mut res = self.client.alarm_stream(&token, after).await?;
        on_event(AlarmWatchEvent::Live);
        backoff.reset();
        let mut parser = SseParser::default();
        loop {
            let chunk = tokio::select! {
                c = res.chunk() => c?,
                () = wait_cancel(cancel) => return Ok(()),
            };
            let Some(chunk) = chunk else {
                return Err(BarnError::Network(
                    "the platform closed the alarm stream".into(),
                ));
            };
            self.store
                .write(|tx| crate::alarm::record_contact(tx, Timestamp::now()))?;
            let events = parser
                .feed(&chunk)
                .map_err(|e| BarnError::Decode(e.to_string()))?;
            for ev in events.into_iter().filter(|e| e.event == "alarm") {
                let got = inbox
                    .on_push(
                        PushChannel::Stream,
                        ev.data.as_bytes(),
                        me,
                        Timestamp::now(),
                    )
                    .map_err(refused)?;
                let gap = matches!(
                    got,
                    Pushed::Received(Received::New { gap: true, .. }) | Pushed::CatchUp { .. }
                );
                if let Pushed::Received(r) = got {
                    on_event(AlarmWatchEvent::Received(r));
                }
                if gap {
                    self.catch_up_alarms(inbox).await?;
                }
            }
        }
    }
}

/// An inbox refusal as the barn side reports it (also for catch-up).
pub(super) fn refused(e: PushError) -> BarnError {
    match e {
        PushError::Store(e) => BarnError::Store(e),
        other => BarnError::Integrity(other.to_string()),
    }
}
