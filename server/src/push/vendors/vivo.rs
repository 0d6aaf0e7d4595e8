//! vivo Push: a notification message classified as a system message (alarms qualify; vivo
//! limits operational messages to a few a day), with the event in `clientCustomMap`, which
//! the app receives with the tap. vivo drops repeated `requestId`s, which makes our retries
//! safe.

use serde_json::json;
use yannong_core::Timestamp;

use crate::push::config::Vivo;
use crate::push::message::{Message, clip};
use crate::push::request::{Body, Outcome, Outgoing, Reply};

pub const LIMIT: usize = 1000;

/// `sign = md5(appId + appKey + timestamp + appSecret)`, lowercase hex.
pub fn auth(cfg: &Vivo, now: Timestamp) -> Outgoing {
    use md5::Digest;
    let ts = now.0.to_string();
    let sign = hex::encode(md5::Md5::digest(
        format!(
            "{}{}{ts}{}",
            cfg.app_id,
            cfg.app_key,
            cfg.app_secret.expose()
        )
        .as_bytes(),
    ));
    Outgoing {
        url: format!("{}/message/auth", cfg.endpoint.trim_end_matches('/')),
        headers: Vec::new(),
        body: Body::Json(json!({
            "appId": cfg.app_id, "appKey": cfg.app_key, "timestamp": ts, "sign": sign,
        })),
    }
}

pub fn send(cfg: &Vivo, access: &str, token: &str, msg: &Message) -> Outgoing {
    let (k, v) = msg.data_entry(LIMIT);
    Outgoing {
        url: format!("{}/message/send", cfg.endpoint.trim_end_matches('/')),
        headers: vec![("authtoken", access.to_owned())],
        body: Body::Json(json!({
            "regId": token,
            // 4: sound and vibration; 1: silent.
            "notifyType": if msg.urgent() { 4 } else { 1 },
            "title": clip(&msg.title, 40),
            "content": clip(&msg.body, 100),
            "skipType": 1,
            "timeToLive": 86400,
            "requestId": msg.request_id(),
            "classification": 1,
            "category": "DEVICE_REMINDER",
            "clientCustomMap": { k: v },
        })),
    }
}

pub fn outcome(reply: &Reply) -> Outcome {
    if !(200..300).contains(&reply.status) {
        return Outcome::from_status(reply);
    }
    let code = reply
        .json()
        .and_then(|v| v["result"].as_i64())
        .unwrap_or(-1);
    let why = format!("vivo {code}: {}", reply.excerpt());
    match code {
        0 => Outcome::Delivered,
        // authToken missing, invalid or expired.
        10000 | 10050 => Outcome::AuthExpired(why),
        _ => Outcome::Rejected(why),
    }
}
