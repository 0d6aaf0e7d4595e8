//! The OpenAPI document, generated from the handlers and the shared wire types so it cannot
//! drift from what the server does.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use yannong_core::barn::api;

use super::{alarms, auth, barns, devices, ingest, lessons, sync};

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        for name in ["bearer", "controller"] {
            components.add_security_scheme(
                name,
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Yannong barn platform", description = "Barns, curings, readings, pictures, the changes feed, alarms and lesson packs."),
    paths(
        auth::login, auth::refresh, auth::logout, auth::me,
        barns::list, barns::one, barns::curings, barns::start_curing, barns::advance,
        barns::readings, barns::images, barns::image,
        sync::changes, sync::stream,
        alarms::list, alarms::acknowledge, alarms::events, alarms::keys,
        devices::register, devices::list, devices::unregister, devices::stream,
        ingest::readings, ingest::image,
        lessons::catalogue, lessons::manifest, lessons::signature, lessons::archive, lessons::file,
        lessons::progress, lessons::merge_progress, lessons::models, lessons::model_file,
    ),
    components(schemas(
        api::Reading, api::ReadingBlock, api::RejectReason, api::Rejected, api::Alarm, api::Severity, api::SignedAlarmEvent,
        api::RegisterDevice, api::PushDevice,
        api::PackCatalogue, api::OfferedPack, api::ProgressBatch, api::LessonProgress,
        api::ModelCatalogue, api::OfferedModel,
    )),
    modifiers(&Security),
)]
pub struct ApiDoc;

pub(super) async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
