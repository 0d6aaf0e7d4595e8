//! Firebase Cloud Messaging, HTTP v1 API: a data message (the app's service handles it even
//! in the background), high priority when the alarm needs the farmer now.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use yannong_core::Timestamp;

use crate::push::config::Fcm;
use crate::push::message::Message;
use crate::push::request::{Body, Outcome, Outgoing, Reply};

/// FCM's limit for the data payload; leave room for the key.
pub const LIMIT: usize = 4000;
const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

/// OAuth 2.0 JWT bearer grant: a self-signed assertion traded for an access token.
pub fn auth(cfg: &Fcm, now: Timestamp) -> Result<Outgoing, String> {
    let iat = now.0 / 1000;
    let claims = json!({
        "iss": cfg.client_email, "scope": SCOPE, "aud": cfg.token_uri,
        "iat": iat, "exp": iat + 3600,
    });
    let key = EncodingKey::from_rsa_pem(cfg.private_key.expose().as_bytes())
        .map_err(|e| format!("FCM private key: {e}"))?;
    let jwt = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key)
        .map_err(|e| format!("FCM assertion: {e}"))?;
    Ok(Outgoing {
        url: cfg.token_uri.clone(),
        headers: Vec::new(),
        body: Body::Form(vec![
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:jwt-bearer".into(),
            ),
            ("assertion", jwt),
        ]),
    })
}

pub fn send(cfg: &Fcm, access: &str, token: &str, msg: &Message) -> Outgoing {
    let (k, v) = msg.data_entry(LIMIT);
    let priority = if msg.urgent() { "HIGH" } else { "NORMAL" };
    Outgoing {
        url: format!(
            "{}/v1/projects/{}/messages:send",
            cfg.endpoint.trim_end_matches('/'),
            cfg.project_id
        ),
        headers: vec![("authorization", format!("Bearer {access}"))],
        body: Body::Json(json!({
            "message": {
                "token": token,
                "data": { k: v },
                "android": { "priority": priority, "ttl": "86400s" },
            }
        })),
    }
}

pub fn outcome(reply: &Reply) -> Outcome {
    let status = reply
        .json()
        .and_then(|v| v["error"]["status"].as_str().map(str::to_owned))
        .unwrap_or_default();
    match (reply.status, status.as_str()) {
        (404, _) | (_, "UNREGISTERED") | (403, "SENDER_ID_MISMATCH") => {
            Outcome::Unregistered(format!("FCM {}: {status}", reply.status))
        }
        _ => Outcome::from_status(reply),
    }
}
