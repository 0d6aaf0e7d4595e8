//! URL paths of the platform API, shared by the server's router and the client.

pub const LOGIN: &str = "/api/v1/auth/login";
pub const LOGOUT: &str = "/api/v1/auth/logout";
pub const REFRESH: &str = "/api/v1/auth/refresh";
pub const ME: &str = "/api/v1/me";
pub const BARNS: &str = "/api/v1/barns";
pub const SYNC: &str = "/api/v1/sync";
pub const ALARMS: &str = "/api/v1/alarms";
pub const ALARM_EVENTS: &str = "/api/v1/alarm-events";
pub const ALARM_KEYS: &str = "/api/v1/alarm-keys";
pub const DEVICES: &str = "/api/v1/devices";
/// Server-sent events: the caller's alarm feed as it grows (the self-hosted push channel).
pub const ALARM_STREAM: &str = "/api/v1/alarm-stream";
/// The lesson packs the platform serves (public); a version's files are below
/// [`lesson_pack_file`].
pub const LESSON_PACKS: &str = "/api/v1/lesson-packs";
/// The caller's reading progress: `GET` it, `PUT` a batch to merge.
pub const LESSON_PROGRESS: &str = "/api/v1/lesson-progress";
/// The leaf-check model the platform offers (public); files below [`leaf_model_file`].
pub const LEAF_MODELS: &str = "/api/v1/leaf-models";
pub const OPENAPI: &str = "/api/v1/openapi.json";

pub fn barn(id: super::BarnId) -> String {
    format!("{BARNS}/{id}")
}

pub fn barn_readings(id: super::BarnId) -> String {
    format!("{BARNS}/{id}/readings")
}

pub fn barn_curings(id: super::BarnId) -> String {
    format!("{BARNS}/{id}/curings")
}

pub fn barn_stream(id: super::BarnId) -> String {
    format!("{BARNS}/{id}/stream")
}

pub fn barn_images(id: super::BarnId) -> String {
    format!("{BARNS}/{id}/images")
}

pub fn image(id: super::ImageId) -> String {
    format!("/api/v1/images/{id}")
}

pub fn curing_advance(id: super::CuringId) -> String {
    format!("/api/v1/curings/{id}/advance")
}

/// Controllers post batches here with their barn's device token.
pub fn ingest(id: super::BarnId) -> String {
    format!("/api/v1/ingest/{id}/readings")
}

/// Controllers upload camera JPEGs here.
pub fn ingest_image(id: super::BarnId) -> String {
    format!("/api/v1/ingest/{id}/images")
}

pub fn alarm_ack(id: super::AlarmId) -> String {
    format!("{ALARMS}/{id}/ack")
}

pub fn device(id: i64) -> String {
    format!("{DEVICES}/{id}")
}

/// A file of a pack version, `path` as the manifest lists it (byte ranges supported).
/// `manifest.json`, `manifest.sig` and `pack.ynpack` (the whole archive) sit beside `files/`.
pub fn lesson_pack_file(id: &str, version: u32, path: &str) -> String {
    format!("{LESSON_PACKS}/{id}/{version}/files/{path}")
}

pub fn lesson_pack_manifest(id: &str, version: u32) -> String {
    format!("{LESSON_PACKS}/{id}/{version}/manifest.json")
}

pub fn lesson_pack_signature(id: &str, version: u32) -> String {
    format!("{LESSON_PACKS}/{id}/{version}/manifest.sig")
}

pub fn lesson_pack_archive(id: &str, version: u32) -> String {
    format!("{LESSON_PACKS}/{id}/{version}/pack.ynpack")
}

/// A file of a model version: `manifest.json`, `manifest.sig` or `model`.
pub fn leaf_model_file(version: u32, file: &str) -> String {
    format!("{LEAF_MODELS}/{version}/{file}")
}
