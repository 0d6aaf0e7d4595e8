//! Xiaomi MiPush, `/v3/message/regid`. Urgent alarms go as notification messages on the app's
//! alarm channel (MIUI shows them even when it has stopped the app, the payload rides along
//! for the tap); the rest as pass-through messages the running app receives silently.

use crate::push::config::MiPush;
use crate::push::message::{Message, clip};
use crate::push::request::{Body, Outcome, Outgoing, Reply};

/// MiPush's payload limit is 4 KB.
pub const LIMIT: usize = 4000;

pub fn send(cfg: &MiPush, token: &str, msg: &Message) -> Outgoing {
    let mut form = vec![
        ("registration_id", token.to_owned()),
        ("restricted_package_name", cfg.package_name.clone()),
        ("payload", msg.data_object(LIMIT).to_string()),
        ("time_to_live", "86400000".to_owned()),
    ];
    if msg.urgent() {
        form.extend([
            ("pass_through", "0".to_owned()),
            ("title", clip(&msg.title, 50)),
            ("description", clip(&msg.body, 128)),
            // -1: sound, vibration and light.
            ("notify_type", "-1".to_owned()),
            // The same alarm's updates replace its notification.
            (
                "notify_id",
                (msg.event.alarm.id.0 % i64::from(i32::MAX)).to_string(),
            ),
            ("extra.channel_id", msg.android_channel().to_owned()),
        ]);
    } else {
        form.push(("pass_through", "1".to_owned()));
    }
    Outgoing {
        url: format!("{}/v3/message/regid", cfg.endpoint.trim_end_matches('/')),
        headers: vec![("authorization", format!("key={}", cfg.app_secret.expose()))],
        body: Body::Form(form),
    }
}

pub fn outcome(reply: &Reply) -> Outcome {
    if !(200..300).contains(&reply.status) {
        return Outcome::from_status(reply);
    }
    let v = reply.json().unwrap_or_default();
    if v["result"].as_str() == Some("ok") && v["code"].as_i64() == Some(0) {
        return Outcome::Delivered;
    }
    let why = format!("MiPush {}: {}", v["code"], reply.excerpt());
    // MiPush tells bad registration ids and auth errors apart only in prose; a refused
    // message is skipped (catch-up delivers it) rather than retried forever.
    if v["reason"].as_str().unwrap_or("").contains("regid")
        || v["description"].as_str().unwrap_or("").contains("regid")
    {
        Outcome::Unregistered(why)
    } else {
        Outcome::Rejected(why)
    }
}
