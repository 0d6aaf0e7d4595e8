//! Huawei Push Kit: a data message (`message.data` is a string) with HIGH urgency for alarms
//! that need the farmer now; Huawei holds NORMAL data messages while the phone dozes.

use serde_json::json;

use crate::push::config::Hms;
use crate::push::message::Message;
use crate::push::request::{Body, Outcome, Outgoing, Reply};

/// Push Kit's data message limit is 4096 bytes.
pub const LIMIT: usize = 4000;

pub fn auth(cfg: &Hms) -> Outgoing {
    Outgoing {
        url: cfg.token_uri.clone(),
        headers: Vec::new(),
        body: Body::Form(vec![
            ("grant_type", "client_credentials".into()),
            ("client_id", cfg.app_id.clone()),
            ("client_secret", cfg.client_secret.expose().to_owned()),
        ]),
    }
}

pub fn send(cfg: &Hms, access: &str, token: &str, msg: &Message) -> Outgoing {
    let mut android = json!({ "ttl": "86400s", "bi_tag": msg.request_id() });
    if msg.urgent() {
        android["urgency"] = "HIGH".into();
        // High-priority data messages must name their purpose; alarms are device reminders.
        android["category"] = "DEVICE_REMINDER".into();
    } else {
        android["urgency"] = "NORMAL".into();
    }
    Outgoing {
        url: format!(
            "{}/v1/{}/messages:send",
            cfg.endpoint.trim_end_matches('/'),
            cfg.app_id
        ),
        headers: vec![("authorization", format!("Bearer {access}"))],
        body: Body::Json(json!({
            "validate_only": false,
            "message": {
                "data": msg.data_object(LIMIT).to_string(),
                "android": android,
                "token": [token],
            }
        })),
    }
}

/// Push Kit answers 200 with its own result code.
pub fn outcome(reply: &Reply) -> Outcome {
    if !(200..300).contains(&reply.status) {
        return Outcome::from_status(reply);
    }
    let code = reply
        .json()
        .and_then(|v| v["code"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let why = format!("HMS {code}: {}", reply.excerpt());
    match code.as_str() {
        "80000000" => Outcome::Delivered,
        // Some tokens invalid (ours is the only one) / token invalid.
        "80100000" | "80300007" => Outcome::Unregistered(why),
        "80200001" | "80200003" => Outcome::AuthExpired(why),
        "81000001" => Outcome::Retry {
            after: reply.retry_after,
            reason: why,
        },
        _ => Outcome::Rejected(why),
    }
}
