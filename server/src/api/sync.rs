//! The changes feed phones sync from, and the live stream of one barn.

use std::convert::Infallible;

use axum::Extension;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use serde::Deserialize;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::{BroadcastStream, WatchStream};
use yannong_core::barn::api::{BarnId, ChangesPage};

use super::{ApiErr, AuthUser, blocking, visible_barn};
use crate::platform::Platform;
use crate::serve::Stopping;
use crate::store::Cursor;

/// Default readings per page: about one barn-week; a 2G phone fetches it in seconds.
const PAGE: usize = 10_000;
const MAX_PAGE: usize = 50_000;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct SyncQuery {
    /// The `cursor` of the last page applied; absent for a first sync.
    cursor: Option<String>,
    /// Most readings in the page.
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/sync", params(SyncQuery),
    responses((status = 200, body = ChangesPage), (status = 400, body = yannong_core::barn::api::ApiError)),
    security(("bearer" = [])))]
pub(super) async fn changes(
    State(p): State<Platform>,
    AuthUser(user): AuthUser,
    Query(q): Query<SyncQuery>,
) -> Result<Json<ChangesPage>, ApiErr> {
    let cursor = Cursor::parse(q.cursor.as_deref().unwrap_or(""))
        .ok_or_else(|| ApiErr::invalid("malformed cursor"))?;
    let limit = q.limit.unwrap_or(PAGE).clamp(1, MAX_PAGE);
    blocking(move || Ok(Json(p.store.changes(&user, cursor, limit)?))).await
}

/// Server-sent events: `reading` events carry one `Reading` as JSON. A subscriber that falls
/// behind gets a `lagged` event and should sync.
#[utoipa::path(get, path = "/api/v1/barns/{id}/stream", params(("id" = i64, Path)),
    responses((status = 200, content_type = "text/event-stream", body = String)), security(("bearer" = [])))]
pub(super) async fn stream(
    State(p): State<Platform>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
    stopping: Option<Extension<Stopping>>,
) -> Result<Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>>, ApiErr> {
    let barn = visible_barn(&p, &user, BarnId(id)).await?;
    let events = BroadcastStream::new(p.subscribe()).filter_map(move |item| match item {
        Ok((b, reading)) if b == barn.id => Event::default()
            .event("reading")
            .json_data(&reading)
            .ok()
            .map(Some),
        Ok(_) => None,
        Err(_lagged) => Some(Some(Event::default().event("lagged").data("sync"))),
    });
    // `None` marks the server stopping; the stream ends there.
    // Without a server around the router (tests), a closed channel that never says stop.
    let rx = stopping.map_or_else(
        || tokio::sync::watch::channel(false).1,
        |Extension(Stopping(rx))| rx,
    );
    let stop = WatchStream::new(rx).filter(|s| *s).map(|_| None);
    let events = events.merge(stop).map_while(|e| e.map(Ok));
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(super::KEEP_ALIVE)))
}
