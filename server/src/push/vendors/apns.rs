//! Apple Push Notification service over HTTP/2 with a provider token (ES256 JWT). The alert
//! is drawn by iOS; `mutable-content` lets the app's Notification Service Extension hand the
//! event to the core before it shows.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use yannong_core::Timestamp;
use yannong_core::alarm::channel::EVENT_KEY;

use crate::push::config::Apns;
use crate::push::message::Message;
use crate::push::request::{Body, Outcome, Outgoing, Reply};

/// APNs refuses payloads over 4096 bytes.
pub const LIMIT: usize = 4096;

/// The provider token; Apple wants it renewed at most hourly and at least every 20 minutes
/// apart, so it is cached for 50 minutes.
pub fn provider_token(cfg: &Apns, now: Timestamp) -> Result<String, String> {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(cfg.key_id.clone());
    let key = EncodingKey::from_ec_pem(cfg.private_key.expose().as_bytes())
        .map_err(|e| format!("APNs key: {e}"))?;
    jsonwebtoken::encode(
        &header,
        &json!({ "iss": cfg.team_id, "iat": now.0 / 1000 }),
        &key,
    )
    .map_err(|e| format!("APNs token: {e}"))
}

pub fn send(cfg: &Apns, jwt: &str, token: &str, msg: &Message) -> Result<Outgoing, String> {
    let level = match (msg.critical(), msg.urgent()) {
        (true, _) => "critical",
        (false, true) => "time-sensitive",
        _ => "active",
    };
    let sound = if msg.critical() {
        json!({ "critical": 1, "name": "default", "volume": 1.0 })
    } else {
        json!("default")
    };
    let mut aps = json!({
        "alert": { "title": msg.title, "body": msg.body },
        "interruption-level": level,
        "mutable-content": 1,
        "thread-id": msg.group(),
    });
    if msg.urgent() {
        aps["sound"] = sound;
    }
    let mut body = json!({ "aps": aps, EVENT_KEY: msg.signed_json });
    if body.to_string().len() > LIMIT {
        let (k, v) = msg.data_entry(0);
        body = json!({ "aps": aps, k: v });
    }
    let expires = msg.event.issued_at.0 / 1000 + 86_400;
    Ok(Outgoing {
        url: format!("{}/3/device/{token}", cfg.endpoint.trim_end_matches('/')),
        headers: vec![
            ("authorization", format!("bearer {jwt}")),
            ("apns-topic", cfg.topic.clone()),
            ("apns-push-type", "alert".to_owned()),
            (
                "apns-priority",
                if msg.urgent() { "10" } else { "5" }.to_owned(),
            ),
            ("apns-expiration", expires.to_string()),
            ("apns-collapse-id", msg.collapse_id()),
        ],
        body: Body::Json(body),
    })
}

pub fn outcome(reply: &Reply) -> Outcome {
    let reason = reply
        .json()
        .and_then(|v| v["reason"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let why = format!("APNs {}: {reason}", reply.status);
    match (reply.status, reason.as_str()) {
        (200, _) => Outcome::Delivered,
        (410, _) | (400, "BadDeviceToken" | "DeviceTokenNotForTopic") => Outcome::Unregistered(why),
        (403, "ExpiredProviderToken" | "InvalidProviderToken") => Outcome::AuthExpired(why),
        _ => Outcome::from_status(reply),
    }
}
