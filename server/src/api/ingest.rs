//! Uploads from barn controllers, authenticated by their barn's device token.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use yannong_core::barn::api::{BarnId, ImageMeta, IngestBatch, IngestReport};

use super::access::bearer;
use super::{ApiErr, blocking};
use crate::auth::token_hash;
use crate::platform::Platform;

/// JPEG files start with SOI and a marker.
const JPEG_MAGIC: [u8; 3] = [0xFF, 0xD8, 0xFF];
const MAX_IMAGE: usize = 1024 * 1024;

/// A barn controller: its device token names the one barn it may write to.
#[derive(Debug)]
pub(super) struct Controller(BarnId);

impl FromRequestParts<Platform> for Controller {
    type Rejection = ApiErr;

    async fn from_request_parts(parts: &mut Parts, p: &Platform) -> Result<Self, ApiErr> {
        let token = bearer(&parts.headers)
            .ok_or_else(|| ApiErr::unauthorized("controller token missing"))?;
        let hash = token_hash(token);
        let store = p.store.clone();
        blocking(move || Ok(store.controller_barn(&hash)?))
            .await?
            .map(Controller)
            .ok_or_else(|| ApiErr::unauthorized("unknown controller token"))
    }
}

fn own_barn(controller: &Controller, id: i64) -> Result<BarnId, ApiErr> {
    if controller.0 == BarnId(id) {
        Ok(controller.0)
    } else {
        Err(ApiErr::forbidden(
            "a controller writes to its own barn only",
        ))
    }
}

#[utoipa::path(post, path = "/api/v1/ingest/{id}/readings", params(("id" = i64, Path)), request_body = IngestBatch,
    responses((status = 200, body = IngestReport), (status = 400, body = yannong_core::barn::api::ApiError)),
    security(("controller" = [])))]
pub(super) async fn readings(
    State(p): State<Platform>,
    controller: Controller,
    Path(id): Path<i64>,
    Json(batch): Json<IngestBatch>,
) -> Result<Json<IngestReport>, ApiErr> {
    let barn = own_barn(&controller, id)?;
    blocking(move || Ok(Json(p.ingest(barn, batch)?))).await
}

#[utoipa::path(post, path = "/api/v1/ingest/{id}/images", params(("id" = i64, Path)),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 200, body = ImageMeta)), security(("controller" = [])))]
pub(super) async fn image(
    State(p): State<Platform>,
    controller: Controller,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<ImageMeta>, ApiErr> {
    let barn = own_barn(&controller, id)?;
    if body.len() > MAX_IMAGE || !body.starts_with(&JPEG_MAGIC) {
        return Err(ApiErr::invalid("expected a JPEG of at most 1 MiB"));
    }
    blocking(move || {
        Ok(Json(p.store.put_image(
            barn,
            p.clock.now(),
            &body,
            false,
        )?))
    })
    .await
}
