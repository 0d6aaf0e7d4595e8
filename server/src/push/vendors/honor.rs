//! Honor Push: a data message to one token, with the request time in a `timestamp` header.

use serde_json::json;
use yannong_core::Timestamp;

use crate::push::config::Honor;
use crate::push::message::Message;
use crate::push::request::{Body, Outcome, Outgoing, Reply};

pub const LIMIT: usize = 4000;

pub fn auth(cfg: &Honor) -> Outgoing {
    Outgoing {
        url: cfg.token_uri.clone(),
        headers: Vec::new(),
        body: Body::Form(vec![
            ("grant_type", "client_credentials".into()),
            ("client_id", cfg.client_id.clone()),
            ("client_secret", cfg.client_secret.expose().to_owned()),
        ]),
    }
}

pub fn send(cfg: &Honor, access: &str, token: &str, msg: &Message, now: Timestamp) -> Outgoing {
    Outgoing {
        url: format!(
            "{}/api/v1/{}/sendMessage",
            cfg.endpoint.trim_end_matches('/'),
            cfg.app_id
        ),
        headers: vec![
            ("authorization", format!("Bearer {access}")),
            ("timestamp", now.0.to_string()),
        ],
        body: Body::Json(json!({
            "data": msg.data_object(LIMIT).to_string(),
            "token": [token],
            "android": { "ttl": "86400s", "biTag": msg.request_id() },
        })),
    }
}

pub fn outcome(reply: &Reply) -> Outcome {
    if !(200..300).contains(&reply.status) {
        return Outcome::from_status(reply);
    }
    let code = reply.json().and_then(|v| v["code"].as_i64()).unwrap_or(-1);
    let why = format!("Honor {code}: {}", reply.excerpt());
    match code {
        200 | 80000000 => Outcome::Delivered,
        80300007 | 80100000 => Outcome::Unregistered(why),
        80200001 | 80200003 => Outcome::AuthExpired(why),
        _ => Outcome::Rejected(why),
    }
}
