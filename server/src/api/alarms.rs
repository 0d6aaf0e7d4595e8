//! Alarms on the barns a person may see, and acknowledging them.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use yannong_core::barn::api::{Alarm, AlarmId};

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
        match p.store.acknowledge_alarm(&user, AlarmId(id), now)? {
            Some(a) => {
                tracing::info!(alarm = id, user = user.id.0, "alarm acknowledged");
                Ok(Json(a))
            }
            None => Err(ApiErr::not_found(format!("alarm {id}"))),
        }
    })
    .await
}
