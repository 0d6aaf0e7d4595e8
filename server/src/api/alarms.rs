//! Alarms on the barns a person may see, and acknowledging them.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use yannong_core::barn::api::{Alarm, AlarmEvent, AlarmId, SignedAlarmEvent};

use super::{ApiErr, AuthUser, blocking};
use crate::platform::Platform;

const MAX_LIST: usize = 500;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct ListQuery {
    /// Only alarms still active or not yet acknowledged (default true).
    open: Option<bool>,
    /// At most this many, newest first (default and maximum 500).
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/alarms", params(ListQuery),
    responses((status = 200, body = Vec<Alarm>)), security(("bearer" = [])))]
pub(super) async fn list(
    State(p): State<Platform>,
    AuthUser(user): AuthUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<Alarm>>, ApiErr> {
    let limit = q.limit.unwrap_or(MAX_LIST).clamp(1, MAX_LIST);
    blocking(move || {
        Ok(Json(p.store.alarms(
            &user,
            q.open.unwrap_or(true),
            limit,
        )?))
    })
    .await
}

/// Acknowledging twice is harmless: the first person and time stay.
#[utoipa::path(post, path = "/api/v1/alarms/{id}/ack", params(("id" = i64, Path)),
    responses((status = 200, body = Alarm), (status = 404, body = yannong_core::barn::api::ApiError)),
    security(("bearer" = [])))]
pub(super) async fn acknowledge(
    State(p): State<Platform>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<Alarm>, ApiErr> {
    blocking(move || {
        let now = p.clock.now();
        let seal = |e: &AlarmEvent| p.alarms.seal(e);
        match p.store.acknowledge_alarm(&user, AlarmId(id), now, &seal)? {
            Some(a) => {
                tracing::info!(alarm = id, user = user.id.0, "alarm acknowledged");
                Ok(Json(a))
            }
            None => Err(ApiErr::not_found(format!("alarm {id}"))),
        }
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct EventsQuery {
    /// The highest sequence number the phone holds without a gap (0 for none).
    after: Option<u64>,
    /// At most this many (default and maximum 500).
    limit: Option<usize>,
}

/// The caller's alarm feed after `after`: signed events numbered 1, 2, 3… per person, the
/// same ones the push channels carry, for catching up on what they lost.
#[utoipa::path(get, path = "/api/v1/alarm-events", params(EventsQuery),
    responses((status = 200, body = Vec<SignedAlarmEvent>)), security(("bearer" = [])))]
pub(super) async fn events(
    State(p): State<Platform>,
    AuthUser(user): AuthUser,
    Query(q): Query<EventsQuery>,
) -> Result<Json<Vec<SignedAlarmEvent>>, ApiErr> {
    let limit = q.limit.unwrap_or(MAX_LIST).clamp(1, MAX_LIST);
    blocking(move || {
        Ok(Json(p.store.alarm_events(
            &user,
            q.after.unwrap_or(0),
            limit,
        )?))
    })
    .await
}

/// A public key alarm events are signed with.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(super) struct AlarmKey {
    key_id: String,
    /// The Ed25519 public key, 64 hex digits.
    ed25519: String,
}

/// The platform's alarm-signing public keys. Apps ship them; this is for set-up and tests.
#[utoipa::path(get, path = "/api/v1/alarm-keys", responses((status = 200, body = Vec<AlarmKey>)))]
pub(super) async fn keys(State(p): State<Platform>) -> Json<Vec<AlarmKey>> {
    Json(vec![AlarmKey {
        key_id: p.alarms.key_id(),
        ed25519: hex::encode(p.alarms.public_key().as_bytes()),
    }])
}
