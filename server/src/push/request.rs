//! A vendor request as data: built by pure functions (tested without a network), sent by
//! the dispatcher, and the vendor's reply classified into what to do next.

use std::time::Duration;

/// One HTTP POST to a vendor.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Json(serde_json::Value),
    /// `application/x-www-form-urlencoded` (MiPush, OPPO, OAuth token endpoints).
    Form(Vec<(&'static str, String)>),
}

/// A vendor's answer, as the dispatcher read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body for a log line: short, printable.
    pub fn excerpt(&self) -> String {
        String::from_utf8_lossy(&self.body)
            .chars()
            .take(200)
            .collect()
    }
}

/// What a send came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Overloaded, rate-limited or down: the same message later.
    Retry {
        after: Option<Duration>,
        reason: String,
    },
    /// Our access token expired or was refused: fetch a new one, then retry.
    AuthExpired(String),
    /// The device token is gone (app removed, token rotated): stop pushing to it.
    Unregistered(String),
    /// This message can never be sent as it is: skip it (catch-up delivers it).
    Rejected(String),
}

impl Outcome {
    /// The usual reading of HTTP statuses; vendors refine it from their bodies.
    pub fn from_status(reply: &Reply) -> Outcome {
        let reason = format!("HTTP {}: {}", reply.status, reply.excerpt());
        match reply.status {
            200..=299 => Outcome::Delivered,
            401 => Outcome::AuthExpired(reason),
            404 | 410 => Outcome::Unregistered(reason),
            408 | 429 | 500..=599 => Outcome::Retry {
                after: reply.retry_after,
                reason,
            },
            _ => Outcome::Rejected(reason),
        }
    }
}
