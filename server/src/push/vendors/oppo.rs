//! OPPO Push: notification messages only (OPPO has no pass-through for ordinary apps). The
//! system draws the notification; the event rides in `action_parameters`, which the app
//! receives when the farmer taps it. OPPO keeps those short, so a large event becomes the
//! catch-up hint.

use serde_json::json;
use sha2::{Digest, Sha256};
use yannong_core::Timestamp;

use crate::push::config::Oppo;
use crate::push::message::{Message, clip};
use crate::push::request::{Body, Outcome, Outgoing, Reply};

pub const LIMIT: usize = 1000;

/// `sign = sha256(app_key + timestamp + master_secret)`, hex.
pub fn auth(cfg: &Oppo, now: Timestamp) -> Outgoing {
    let ts = now.0.to_string();
    let sign = hex::encode(Sha256::digest(
        format!("{}{ts}{}", cfg.app_key, cfg.master_secret.expose()).as_bytes(),
    ));
    Outgoing {
        url: format!("{}/server/v1/auth", cfg.endpoint.trim_end_matches('/')),
        headers: Vec::new(),
        body: Body::Form(vec![
            ("app_key", cfg.app_key.clone()),
            ("timestamp", ts),
            ("sign", sign),
        ]),
    }
}

pub fn send(cfg: &Oppo, access: &str, token: &str, msg: &Message) -> Outgoing {
    let message = json!({
        "target_type": 2,
        "target_value": token,
        "notification": {
            "title": clip(&msg.title, 50),
            "content": clip(&msg.body, 200),
            // 0: open the app; the parameters arrive as the launch intent's extras.
            "click_action_type": 0,
            "action_parameters": msg.data_object(LIMIT).to_string(),
            "channel_id": msg.android_channel(),
            "category": "DEVICE_REMINDER",
            // 16: banner, lock screen, sound and vibration; 2: shade and lock screen only.
            "notify_level": if msg.urgent() { 16 } else { 2 },
            "off_line_ttl": 86400,
        }
    });
    Outgoing {
        url: format!(
            "{}/server/v1/message/notification/unicast",
            cfg.endpoint.trim_end_matches('/')
        ),
        headers: vec![("auth_token", access.to_owned())],
        body: Body::Form(vec![("message", message.to_string())]),
    }
}

pub fn outcome(reply: &Reply) -> Outcome {
    if !(200..300).contains(&reply.status) {
        return Outcome::from_status(reply);
    }
    let code = reply.json().and_then(|v| v["code"].as_i64()).unwrap_or(-1);
    let why = format!("OPPO {code}: {}", reply.excerpt());
    match code {
        0 => Outcome::Delivered,
        // Invalid auth_token.
        11 => Outcome::AuthExpired(why),
        // Over the rate limit.
        33 => Outcome::Retry {
            after: reply.retry_after,
            reason: why,
        },
        _ => Outcome::Rejected(why),
    }
}
