//! The OpenAPI document and the router describe the same API: every documented operation is
//! routed (answers with the API's own errors, not the router's 404/405), and every route the
//! router serves is documented.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::world;
use yannong_core::barn::api::paths;

/// Every (method, path) the router serves, except the document itself and /healthz.
const ROUTES: &[(&str, &str)] = &[
    ("post", paths::LOGIN),
    ("post", paths::LOGOUT),
    ("post", paths::REFRESH),
    ("get", paths::ME),
    ("get", paths::BARNS),
    ("get", "/api/v1/barns/{id}"),
    ("get", "/api/v1/barns/{id}/curings"),
    ("post", "/api/v1/barns/{id}/curings"),
    ("get", "/api/v1/barns/{id}/readings"),
    ("get", "/api/v1/barns/{id}/images"),
    ("get", "/api/v1/barns/{id}/stream"),
    ("get", "/api/v1/images/{id}"),
    ("post", "/api/v1/curings/{id}/advance"),
    ("get", paths::SYNC),
    ("post", "/api/v1/ingest/{id}/readings"),
    ("post", "/api/v1/ingest/{id}/images"),
    ("get", paths::ALARMS),
    ("post", "/api/v1/alarms/{id}/ack"),
    ("get", paths::ALARM_EVENTS),
    ("get", paths::ALARM_KEYS),
    ("get", paths::ALARM_STREAM),
    ("get", paths::DEVICES),
    ("post", paths::DEVICES),
    ("delete", "/api/v1/devices/{id}"),
    ("get", paths::LESSON_PACKS),
    ("get", "/api/v1/lesson-packs/{id}/{version}/manifest.json"),
    ("get", "/api/v1/lesson-packs/{id}/{version}/manifest.sig"),
    ("get", "/api/v1/lesson-packs/{id}/{version}/pack.ynpack"),
    ("get", "/api/v1/lesson-packs/{id}/{version}/files/{path}"),
    ("get", paths::LESSON_PROGRESS),
    ("put", paths::LESSON_PROGRESS),
    ("get", paths::LEAF_MODELS),
    ("get", "/api/v1/leaf-models/{version}/{file}"),
];

#[tokio::test]
async fn document_and_router_agree() {
    let w = world();
    let doc: serde_json::Value = w.get(paths::OPENAPI, None).await.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push((method.clone(), path.clone()));
        }
    }
    documented.sort();
    let mut routed: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    routed.sort();
    assert_eq!(documented, routed);

    for (method, path) in &documented {
        let concrete = path
            .replace("{id}", "1")
            .replace("{version}", "1")
            .replace("{path}", "a.md");
        let body = (method == "post" || method == "put").then(|| b"{}".to_vec());
        let r = w.call(&method.to_uppercase(), &concrete, None, body).await;
        // Unauthenticated calls reach the handler's extractors: the API's JSON errors, never
        // the router's empty 404 or 405.
        assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(!r.body.is_empty(), "{method} {path}: {}", r.status);
    }
    // Every schema a document references exists.
    let text = doc.to_string();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for part in text.split("#/components/schemas/").skip(1) {
        let name: String = part.chars().take_while(|c| *c != '"').collect();
        assert!(schemas.contains_key(&name), "missing schema {name}");
    }
}
