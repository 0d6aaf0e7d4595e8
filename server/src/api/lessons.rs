//! Lesson packs and reading progress.
//!
//! Pack versions are public and immutable: every file is its own URL, served with byte
//! ranges so a phone on a weak link resumes a dropped file where it stopped, a strong ETag
//! (the file's SHA-256) so `If-Range` can tell it whether its half still fits, and a year of
//! caching. These routes sit outside the compression layer (see `router`): byte offsets of a
//! gzip body are not the file's. Progress is per account, like the other per-user routes.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, RANGE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tower_http::services::ServeFile;
use yannong_core::Timestamp;
use yannong_core::barn::api::{ModelCatalogue, PackCatalogue, ProgressBatch};

use super::{ApiErr, AuthUser, blocking};
use crate::lessons::{Item, Served, parse_version, validate_progress};
use crate::platform::Platform;

/// A version's URLs never change content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The newest version of each pack (public).
#[utoipa::path(get, path = "/api/v1/lesson-packs",
    responses((status = 200, body = PackCatalogue)))]
pub(super) async fn catalogue(State(p): State<Platform>) -> Response {
    // Revalidated every time: a new version must reach phones at their next look.
    let headers = [(CACHE_CONTROL, "no-cache")];
    (headers, Json(p.lessons.catalogue())).into_response()
}

/// The signed manifest of a pack version, exact bytes.
#[utoipa::path(get, path = "/api/v1/lesson-packs/{id}/{version}/manifest.json",
    params(("id" = String, Path), ("version" = u32, Path)),
    responses((status = 200, content_type = "application/json", description = "manifest bytes"),
        (status = 404, body = yannong_core::barn::api::ApiError)))]
pub(super) async fn manifest(
    State(p): State<Platform>,
    at: Result<Path<(String, String)>, PathRejection>,
    req: Request,
) -> Result<Response, ApiErr> {
    let Path((id, version)) = at.map_err(|_| gone())?;
    send(&p, &id, &version, Item::Manifest, req).await
}

/// `manifest.sig` of a pack version, exact bytes.
#[utoipa::path(get, path = "/api/v1/lesson-packs/{id}/{version}/manifest.sig",
    params(("id" = String, Path), ("version" = u32, Path)),
    responses((status = 200, content_type = "application/json", description = "signature bytes"),
        (status = 404, body = yannong_core::barn::api::ApiError)))]
pub(super) async fn signature(
    State(p): State<Platform>,
    at: Result<Path<(String, String)>, PathRejection>,
    req: Request,
) -> Result<Response, ApiErr> {
    let Path((id, version)) = at.map_err(|_| gone())?;
    send(&p, &id, &version, Item::Signature, req).await
}

/// The whole `.ynpack` archive (sideloading), with byte ranges.
#[utoipa::path(get, path = "/api/v1/lesson-packs/{id}/{version}/pack.ynpack",
    params(("id" = String, Path), ("version" = u32, Path)),
    responses((status = 200, content_type = "application/octet-stream", description = "the archive"),
        (status = 206, description = "the requested byte range"),
        (status = 416, description = "the range is beyond the end"),
        (status = 404, body = yannong_core::barn::api::ApiError)))]
pub(super) async fn archive(
    State(p): State<Platform>,
    at: Result<Path<(String, String)>, PathRejection>,
    req: Request,
) -> Result<Response, ApiErr> {
    let Path((id, version)) = at.map_err(|_| gone())?;
    send(&p, &id, &version, Item::Archive, req).await
}

/// One file of a pack version, `path` as its manifest lists it, with byte ranges
/// (`Range: bytes=N-` resumes) and `If-Range` on the ETag.
#[utoipa::path(get, path = "/api/v1/lesson-packs/{id}/{version}/files/{path}",
    params(("id" = String, Path), ("version" = u32, Path),
        ("path" = String, Path, description = "the manifest's path, `/`-separated")),
    responses((status = 200, content_type = "application/octet-stream", description = "the file"),
        (status = 206, description = "the requested byte range"),
        (status = 416, description = "the range is beyond the end"),
        (status = 404, body = yannong_core::barn::api::ApiError)))]
pub(super) async fn file(
    State(p): State<Platform>,
    at: Result<Path<(String, String, String)>, PathRejection>,
    req: Request,
) -> Result<Response, ApiErr> {
    let Path((id, version, path)) = at.map_err(|_| gone())?;
    send(&p, &id, &version, Item::File(&path), req).await
}

/// The newest leaf-check model (public).
#[utoipa::path(get, path = "/api/v1/leaf-models",
    responses((status = 200, body = ModelCatalogue)))]
pub(super) async fn models(State(p): State<Platform>) -> Response {
    let headers = [(CACHE_CONTROL, "no-cache")];
    (headers, Json(p.models.catalogue())).into_response()
}

/// A file of a model version: `manifest.json`, `manifest.sig` (exact bytes) or `model`
/// (the model file, with byte ranges).
#[utoipa::path(get, path = "/api/v1/leaf-models/{version}/{file}",
    params(("version" = u32, Path), ("file" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream", description = "the file"),
        (status = 206, description = "the requested byte range"),
        (status = 404, body = yannong_core::barn::api::ApiError)))]
pub(super) async fn model_file(
    State(p): State<Platform>,
    at: Result<Path<(String, String)>, PathRejection>,
    req: Request,
) -> Result<Response, ApiErr> {
    let Path((version, file)) = at.map_err(|_| gone())?;
    let served = parse_version(&version)
        .and_then(|v| p.models.served(v, &file))
        .ok_or_else(|| ApiErr::not_found("leaf model file"))?;
    send_file(served, req).await
}

/// The caller's reading progress.
#[utoipa::path(get, path = "/api/v1/lesson-progress",
    responses((status = 200, body = ProgressBatch)), security(("bearer" = [])))]
pub(super) async fn progress(
    State(p): State<Platform>,
    AuthUser(user): AuthUser,
) -> Result<Json<ProgressBatch>, ApiErr> {
    blocking(move || {
        Ok(Json(ProgressBatch {
            entries: p.store.lesson_progress(user.id)?,
        }))
    })
    .await
}

/// Merges a batch into the caller's progress (per lesson: the newest position, the earliest
/// completion) and answers the caller's whole progress.
#[utoipa::path(put, path = "/api/v1/lesson-progress", request_body = ProgressBatch,
    responses((status = 200, body = ProgressBatch),
        (status = 400, body = yannong_core::barn::api::ApiError)),
    security(("bearer" = [])))]
pub(super) async fn merge_progress(
    State(p): State<Platform>,
    AuthUser(user): AuthUser,
    Json(batch): Json<ProgressBatch>,
) -> Result<Json<ProgressBatch>, ApiErr> {
    // The phones' clocks, not the platform's (which runs fast in a simulation).
    validate_progress(&batch, Timestamp::now()).map_err(ApiErr::invalid)?;
    blocking(move || {
        Ok(Json(ProgressBatch {
            entries: p.store.merge_lesson_progress(user.id, &batch.entries)?,
        }))
    })
    .await
}

/// One answer for every version URL that names nothing (the same whatever was wrong).
fn gone() -> ApiErr {
    ApiErr::not_found("lesson pack file")
}

async fn send(
    p: &Platform,
    id: &str,
    version: &str,
    item: Item<'_>,
    req: Request,
) -> Result<Response, ApiErr> {
    let served = parse_version(version)
        .and_then(|v| p.lessons.version(id, v))
        .and_then(|v| v.item(item))
        .ok_or_else(gone)?;
    send_file(served, req).await
}

/// Serves a stored file with tower-http's `ServeFile` (ranges, `Accept-Ranges`, 416), adding
/// what it lacks: the ETag, `If-None-Match` and `If-Range`, and the cache policy.
async fn send_file(served: Served, mut req: Request) -> Result<Response, ApiErr> {
    let headers = req.headers_mut();
    if let Some(tags) = headers.get(IF_NONE_MATCH) {
        if none_match_hits(tags, &served.etag) {
            let mut res = StatusCode::NOT_MODIFIED.into_response();
            validators(res.headers_mut(), &served)?;
            return Ok(res);
        }
        // If-None-Match alone decides (RFC 9110 §13.2.2), not the file's mtime.
        headers.remove(IF_MODIFIED_SINCE);
    }
    // A phone's partial copy is only continued if it is of these very bytes; a date or a
    // weak tag never proves that, so the whole file comes back instead.
    if headers
        .get(IF_RANGE)
        .is_some_and(|v| !v.to_str().is_ok_and(|v| v.trim() == served.etag))
    {
        headers.remove(RANGE);
    }
    let res = ServeFile::new(&served.path)
        .try_call(req)
        .await
        .map_err(|e| ApiErr::internal(format!("{}: {e}", served.path.display())))?;
    let mut res = res.map(Body::new);
    match res.status() {
        StatusCode::OK | StatusCode::PARTIAL_CONTENT | StatusCode::NOT_MODIFIED => {
            validators(res.headers_mut(), &served)?;
            if let Some(kind) = served.content_type {
                res.headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static(kind));
            }
        }
        // Listed in a verified manifest but gone from disk: the shelf was damaged under us.
        StatusCode::NOT_FOUND => {
            return Err(ApiErr::internal(format!(
                "{} is missing from the shelf",
                served.path.display()
            )));
        }
        _ => {}
    }
    Ok(res)
}

fn validators(headers: &mut HeaderMap, served: &Served) -> Result<(), ApiErr> {
    let etag = HeaderValue::from_str(&served.etag).map_err(ApiErr::internal)?;
    headers.insert(ETAG, etag);
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    Ok(())
}

/// `If-None-Match`: `*` or any listed tag, compared weakly.
fn none_match_hits(tags: &HeaderValue, etag: &str) -> bool {
    tags.to_str().is_ok_and(|tags| {
        tags.split(',')
            .map(str::trim)
            .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
    })
}
