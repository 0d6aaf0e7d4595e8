//! Barns, curings, readings and pictures, as a person sees them.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use serde::Deserialize;
use yannong_core::Timestamp;
use yannong_core::barn::api::{
    AdvanceRequest, Barn, BarnId, Curing, CuringId, ImageId, ImageMeta, ReadingBlock,
    StartCuringRequest,
};
use yannong_core::curing::recipe_for_leaf;

use super::access::may_operate;
use super::{ApiErr, AuthUser, blocking, visible_barn};
use crate::platform::Platform;

/// Most readings one range request returns (8 days of one-minute readings fit).
const MAX_RANGE: usize = 20_000;

#[utoipa::path(get, path = "/api/v1/barns", responses((status = 200, body = Vec<Barn>)), security(("bearer" = [])))]
pub(super) async fn list(
    State(p): State<Platform>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Barn>>, ApiErr> {
    blocking(move || Ok(Json(p.store.visible_barns(&user)?))).await
}

#[utoipa::path(get, path = "/api/v1/barns/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = Barn), (status = 404, body = yannong_core::barn::api::ApiError)), security(("bearer" = [])))]
pub(super) async fn one(
    State(p): State<Platform>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<Barn>, ApiErr> {
    visible_barn(&p, &user, BarnId(id)).await.map(Json)
}

#[utoipa::path(get, path = "/api/v1/barns/{id}/curings", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Curing>)), security(("bearer" = [])))]
pub(super) async fn curings(
    State(p): State<Platform>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Curing>>, ApiErr> {
    let barn = visible_barn(&p, &user, BarnId(id)).await?;
    blocking(move || Ok(Json(p.store.curings(barn.id)?))).await
}

#[utoipa::path(post, path = "/api/v1/barns/{id}/curings", params(("id" = i64, Path)), request_body = StartCuringRequest,
    responses((status = 200, body = Curing), (status = 409, body = yannong_core::barn::api::ApiError)), security(("bearer" = [])))]
pub(super) async fn start_curing(
    State(p): State<Platform>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
    Json(req): Json<StartCuringRequest>,
) -> Result<Json<Curing>, ApiErr> {
    let barn = visible_barn(&p, &user, BarnId(id)).await?;
    if !may_operate(&user, &barn) {
        return Err(ApiErr::forbidden(
            "only the barn's farmer, technician or an admin may start a cure",
        ));
    }
    let recipe = match &req.recipe {
        Some(r) => r.0.clone(),
        None => recipe_for_leaf(req.position, req.maturity, req.water)
            .map_err(|e| ApiErr::invalid(e.to_string()))?,
    };
    blocking(move || {
        Ok(Json(p.store.start_curing(
            barn.id,
            &req,
            recipe,
            p.clock.now(),
        )?))
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/curings/{id}/advance", params(("id" = i64, Path)), request_body = AdvanceRequest,
    responses((status = 200, body = Curing), (status = 409, body = yannong_core::barn::api::ApiError)), security(("bearer" = [])))]
pub(super) async fn advance(
    State(p): State<Platform>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
    Json(req): Json<AdvanceRequest>,
) -> Result<Json<Curing>, ApiErr> {
    let store = p.store.clone();
    let curing = blocking(move || Ok(store.curing(CuringId(id))?))
        .await?
        .ok_or_else(|| ApiErr::not_found(format!("curing {id}")))?;
    let barn = visible_barn(&p, &user, curing.barn_id)
        .await
        .map_err(|_| ApiErr::not_found(format!("curing {id}")))?;
    if !may_operate(&user, &barn) {
        return Err(ApiErr::forbidden(
            "only the barn's farmer, technician or an admin may advance a cure",
        ));
    }
    blocking(move || {
        // Through the platform: the event rules (A15, A20) judge the advance at once.
        Ok(Json(p.advance_curing(
            curing.id,
            req.from_step,
            req.leaf_state,
        )?))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct RangeQuery {
    /// Unix ms, inclusive (default: 24 h before `to`).
    from: Option<i64>,
    /// Unix ms, exclusive (default: now).
    to: Option<i64>,
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/barns/{id}/readings", params(("id" = i64, Path), RangeQuery),
    responses((status = 200, body = ReadingBlock)), security(("bearer" = [])))]
pub(super) async fn readings(
    State(p): State<Platform>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
    Query(q): Query<RangeQuery>,
) -> Result<Json<ReadingBlock>, ApiErr> {
    let barn = visible_barn(&p, &user, BarnId(id)).await?;
    let to = q.to.map_or_else(|| p.clock.now(), Timestamp);
    let from = q.from.map_or_else(|| to.add_hours(-24.0), Timestamp);
    let limit = q.limit.unwrap_or(MAX_RANGE).min(MAX_RANGE);
    blocking(move || {
        let rs = p.store.readings(barn.id, from, to, limit)?;
        Ok(Json(ReadingBlock::encode(barn.id, &rs)))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct LimitQuery {
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/barns/{id}/images", params(("id" = i64, Path), LimitQuery),
    responses((status = 200, body = Vec<ImageMeta>)), security(("bearer" = [])))]
pub(super) async fn images(
    State(p): State<Platform>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
    Query(q): Query<LimitQuery>,
) -> Result<Json<Vec<ImageMeta>>, ApiErr> {
    let barn = visible_barn(&p, &user, BarnId(id)).await?;
    let limit = q.limit.unwrap_or(50).min(500);
    blocking(move || Ok(Json(p.store.images(barn.id, limit)?))).await
}

#[utoipa::path(get, path = "/api/v1/images/{id}", params(("id" = i64, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>)), security(("bearer" = [])))]
pub(super) async fn image(
    State(p): State<Platform>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiErr> {
    let store = p.store.clone();
    let (meta, jpeg) = blocking(move || Ok(store.image(ImageId(id))?))
        .await?
        .ok_or_else(|| ApiErr::not_found(format!("image {id}")))?;
    visible_barn(&p, &user, meta.barn_id)
        .await
        .map_err(|_| ApiErr::not_found(format!("image {id}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg".to_owned()),
            // Pictures never change once taken: phones cache them for good.
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable".to_owned(),
            ),
            (header::ETAG, format!("\"{}\"", meta.sha256)),
        ],
        jpeg,
    ))
}
