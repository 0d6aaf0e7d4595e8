//! The HTTP API (axum). Paths come from `yannong_core::barn::api::paths`, bodies are the wire
//! types of `barn::api`, and every barn-scoped handler goes through [`visible_barn`], which
//! answers 404 for a barn the caller may not see — the same as for one that does not exist.

mod access;
mod alarms;
mod auth;
mod barns;
mod devices;
mod error;
mod ingest;
mod lessons;
pub mod limit;
pub mod openapi;
mod sync;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use axum::{Extension, Router};
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::trace::TraceLayer;
use yannong_core::barn::api::paths;

pub use access::{AuthUser, visible_barn};
pub use error::ApiErr;

use crate::platform::Platform;

/// Largest request body: a full ingest batch of JSON readings, or a camera JPEG.
const BODY_LIMIT: usize = 2 * 1024 * 1024;
/// SSE keep-alive: below the idle timeouts of Chinese carriers' NATs.
pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(20);

pub fn router(platform: Platform) -> Router {
    // Lesson pack files are served byte for byte: a compressed 206 would carry offsets that
    // are not the file's and break resuming, so these routes join after the compression
    // layer (and take no request body).
    let packs = Router::new()
        .route(
            "/api/v1/lesson-packs/{id}/{version}/manifest.json",
            get(lessons::manifest),
        )
        .route(
            "/api/v1/lesson-packs/{id}/{version}/manifest.sig",
            get(lessons::signature),
        )
        .route(
            "/api/v1/lesson-packs/{id}/{version}/pack.ynpack",
            get(lessons::archive),
        )
        .route(
            "/api/v1/lesson-packs/{id}/{version}/files/{*path}",
            get(lessons::file),
        )
        .route(
            "/api/v1/leaf-models/{version}/{file}",
            get(lessons::model_file),
        );
    Router::new()
        .route(paths::LOGIN, post(auth::login))
        .route(paths::LOGOUT, post(auth::logout))
        .route(paths::REFRESH, post(auth::refresh))
        .route(paths::ME, get(auth::me))
        .route(paths::BARNS, get(barns::list))
        .route("/api/v1/barns/{id}", get(barns::one))
        .route(
            "/api/v1/barns/{id}/curings",
            get(barns::curings).post(barns::start_curing),
        )
        .route("/api/v1/barns/{id}/readings", get(barns::readings))
        .route("/api/v1/barns/{id}/images", get(barns::images))
        .route("/api/v1/barns/{id}/stream", get(sync::stream))
        .route("/api/v1/images/{id}", get(barns::image))
        .route("/api/v1/curings/{id}/advance", post(barns::advance))
        .route(paths::SYNC, get(sync::changes))
        .route(paths::ALARMS, get(alarms::list))
        .route("/api/v1/alarms/{id}/ack", post(alarms::acknowledge))
        .route(paths::ALARM_EVENTS, get(alarms::events))
        .route(paths::ALARM_KEYS, get(alarms::keys))
        .route(paths::ALARM_STREAM, get(devices::stream))
        .route(paths::DEVICES, get(devices::list).post(devices::register))
        .route("/api/v1/devices/{id}", delete(devices::unregister))
        .route("/api/v1/ingest/{id}/readings", post(ingest::readings))
        .route("/api/v1/ingest/{id}/images", post(ingest::image))
        .route(paths::LESSON_PACKS, get(lessons::catalogue))
        .route(paths::LEAF_MODELS, get(lessons::models))
        .route(
            paths::LESSON_PROGRESS,
            get(lessons::progress).put(lessons::merge_progress),
        )
        .route(paths::OPENAPI, get(openapi::document))
        .route("/healthz", get(|| async { "ok" }))
        .layer(Extension(Arc::new(limit::LoginLimiter::default())))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(RequestDecompressionLayer::new())
        .layer(CompressionLayer::new())
        .merge(packs)
        .layer(TraceLayer::new_for_http())
        .with_state(platform)
}

/// Runs blocking store work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiErr> + Send + 'static,
) -> Result<T, ApiErr> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiErr::internal(format!("worker failed: {e}")))?
}
