//! Push registrations of the caller's phones, and the self-hosted push channel: the caller's
//! alarm feed as server-sent events.

use std::convert::Infallible;
use std::time::Duration;

use axum::Extension;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use serde::Deserialize;
use tokio_stream::wrappers::ReceiverStream;
use yannong_core::alarm::PushChannel;
use yannong_core::barn::api::{MAX_PUSH_TOKEN, PushDevice, RegisterDevice, User};

use super::{ApiErr, AuthUser, blocking};
use crate::platform::Platform;
use crate::serve::Stopping;

/// How often an open stream looks for new events in the feed.
const STREAM_POLL: Duration = Duration::from_secs(1);
const STREAM_PAGE: usize = 100;

/// Registers a push token for the caller (moving it from another account if the phone
/// changed hands). Pushes start with the caller's next alarm event.
#[utoipa::path(post, path = "/api/v1/devices", request_body = RegisterDevice,
    responses((status = 201, body = PushDevice), (status = 400, body = yannong_core::barn::api::ApiError)),
    security(("bearer" = [])))]
pub(super) async fn register(
    State(p): State<Platform>,
    AuthUser(user): AuthUser,
    Json(req): Json<RegisterDevice>,
) -> Result<(StatusCode, Json<PushDevice>), ApiErr> {
    let channel = PushChannel::parse(&req.channel)
        .filter(|c| *c != PushChannel::Stream)
        .ok_or_else(|| {
            ApiErr::invalid(format!(
                "channel {:?}: use fcm, hms, honor, mipush, oppo, vivo or apns",
                req.channel.chars().take(20).collect::<String>()
            ))
        })?;
    let token = req.token.trim();
    if token.is_empty()
        || token.len() > MAX_PUSH_TOKEN
        || !token.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(ApiErr::invalid(
            "token must be 1 to 4096 printable ASCII characters",
        ));
    }
    let token = token.to_owned();
    blocking(move || {
        let d = p
            .store
            .register_device(user.id, channel.as_str(), &token, p.clock.now())?;
        tracing::info!(user = user.id.0, device = d.id, %channel, "push device registered");
        Ok((StatusCode::CREATED, Json(d)))
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/devices",
    responses((status = 200, body = Vec<PushDevice>)), security(("bearer" = [])))]
pub(super) async fn list(
    State(p): State<Platform>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<PushDevice>>, ApiErr> {
    blocking(move || Ok(Json(p.store.devices(user.id)?))).await
}

/// Stops pushes to one of the caller's devices (logout).
#[utoipa::path(delete, path = "/api/v1/devices/{id}", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = yannong_core::barn::api::ApiError)),
    security(("bearer" = [])))]
pub(super) async fn unregister(
    State(p): State<Platform>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiErr> {
    blocking(move || {
        if p.store.unregister_device(user.id, id)? {
            Ok(StatusCode::NO_CONTENT)
        } else {
            Err(ApiErr::not_found(format!("device {id}")))
        }
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct StreamQuery {
    /// Start after this sequence number (else after `Last-Event-ID`, else at the feed's end).
    after: Option<u64>,
}

/// The caller's alarm feed as it grows: one `alarm` event per signed event, `id` = its
/// sequence number, so a reconnecting client resumes with `Last-Event-ID`. The app keeps it
/// open while in the foreground or in a foreground service: a push channel that no vendor
/// can hold back.
#[utoipa::path(get, path = "/api/v1/alarm-stream", params(StreamQuery),
    responses((status = 200, content_type = "text/event-stream")), security(("bearer" = [])))]
pub(super) async fn stream(
    State(p): State<Platform>,
    AuthUser(user): AuthUser,
    Query(q): Query<StreamQuery>,
    headers: HeaderMap,
    stopping: Option<Extension<Stopping>>,
) -> Result<Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>>, ApiErr> {
    let last_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let after = match q.after.or(last_id) {
        Some(a) => a,
        None => {
            let (p, id) = (p.clone(), user.id);
            blocking(move || Ok(p.store.feed_head(id)?)).await?
        }
    };
    let (tx, rx) = tokio::sync::mpsc::channel(STREAM_PAGE);
    // Without a server around the router (tests), a channel that never says stop.
    let stop = stopping.map_or_else(
        || tokio::sync::watch::channel(false).1,
        |Extension(Stopping(rx))| rx,
    );
    tokio::spawn(feed(p, user, after, tx, stop));
    Ok(Sse::new(ReceiverStream::new(rx)).keep_alive(KeepAlive::new().interval(super::KEEP_ALIVE)))
}

/// Sends the feed after `after` until the client goes away.
async fn feed(
    p: Platform,
    user: User,
    mut after: u64,
    tx: tokio::sync::mpsc::Sender<Result<Event, Infallible>>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let key = p.alarms.public_key();
    loop {
        let (p2, u) = (p.clone(), user.clone());
        let page =
            tokio::task::spawn_blocking(move || p2.store.alarm_events(&u, after, STREAM_PAGE))
                .await;
        let page = match page {
            Ok(Ok(page)) => page,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "alarm stream read failed");
                return;
            }
            Err(_) => return,
        };
        for signed in &page {
            // Our own signature over our own store: only a damaged row fails here.
            let Ok(event) = signed.open(&[key]) else {
                tracing::error!(user = user.id.0, after, "unreadable stored alarm event");
                return;
            };
            let Ok(data) = serde_json::to_string(signed) else {
                return;
            };
            let e = Event::default()
                .event("alarm")
                .id(event.seq.to_string())
                .data(data);
            if tx.send(Ok(e)).await.is_err() {
                return;
            }
            after = event.seq;
        }
        if page.len() < STREAM_PAGE {
            tokio::select! {
                _ = tokio::time::sleep(STREAM_POLL) => {}
                _ = tx.closed() => return,
                // The server is stopping: end the stream so shutdown need not wait for it.
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }
}
