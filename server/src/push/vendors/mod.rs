//! The vendors' send APIs: one module per vendor builds its requests and reads its replies;
//! [`Vendors`] holds the HTTP clients and access tokens and sends.

pub mod apns;
pub mod fcm;
pub mod hms;
pub mod honor;
pub mod mipush;
pub mod oppo;
pub mod vivo;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use yannong_core::Timestamp;
use yannong_core::alarm::PushChannel;

use super::config::PushConfig;
use super::message::Message;
use super::request::{Body, Outcome, Outgoing, Reply};

const TIMEOUT: Duration = Duration::from_secs(15);
/// A vendor's reply body is read up to this size (error bodies are small).
const MAX_REPLY: usize = 64 * 1024;
/// Renew access tokens this long before they expire.
const MARGIN_MS: i64 = 60_000;
/// APNs provider tokens are renewed after 50 minutes (Apple: at most hourly).
const APNS_TOKEN_MS: i64 = 50 * 60_000;

pub struct Vendors {
    cfg: PushConfig,
    http: reqwest::Client,
    /// APNs speaks HTTP/2 only.
    apns_http: reqwest::Client,
    tokens: Mutex<HashMap<PushChannel, (String, i64)>>,
}

impl std::fmt::Debug for Vendors {
    // Access tokens are secrets: never printed, not even by a debug log of the dispatcher.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let configured: Vec<&str> = PushChannel::ALL
            .into_iter()
            .filter(|c| self.configured(*c))
            .map(PushChannel::as_str)
            .collect();
        write!(f, "Vendors({configured:?})")
    }
}

fn tls(alpn: &[&[u8]]) -> Result<rustls::ClientConfig, String> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

impl Vendors {
    pub fn new(cfg: PushConfig) -> Result<Vendors, String> {
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls(&[b"h2", b"http/1.1"])?)
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| e.to_string())?;
        let mut apns = reqwest::Client::builder()
            .tls_backend_preconfigured(tls(&[b"h2"])?)
            .timeout(TIMEOUT);
        // A plain-HTTP endpoint is a local stand-in (tests): no ALPN to agree on HTTP/2.
        if cfg
            .apns
            .as_ref()
            .is_some_and(|a| a.endpoint.starts_with("http://"))
        {
            apns = apns.http2_prior_knowledge();
        }
        Ok(Vendors {
            cfg,
            http,
            apns_http: apns.build().map_err(|e| e.to_string())?,
            tokens: Mutex::new(HashMap::new()),
        })
    }

    pub fn configured(&self, ch: PushChannel) -> bool {
        let c = &self.cfg;
        match ch {
            PushChannel::Fcm => c.fcm.is_some(),
            PushChannel::Hms => c.hms.is_some(),
            PushChannel::Honor => c.honor.is_some(),
            PushChannel::MiPush => c.mipush.is_some(),
            PushChannel::Oppo => c.oppo.is_some(),
            PushChannel::Vivo => c.vivo.is_some(),
            PushChannel::Apns => c.apns.is_some(),
            PushChannel::Stream => false,
        }
    }

    /// Sends `msg` to one device; an expired access token is renewed once.
    pub async fn deliver(&self, ch: PushChannel, device: &str, msg: &Message) -> Outcome {
        let mut out = self.try_deliver(ch, device, msg).await;
        if let Outcome::AuthExpired(why) = &out {
            tracing::info!(channel = %ch, %why, "push access token refused, renewing");
            self.forget_token(ch);
            out = self.try_deliver(ch, device, msg).await;
        }
        out
    }

    async fn try_deliver(&self, ch: PushChannel, device: &str, msg: &Message) -> Outcome {
        let access = match self.access(ch).await {
            Ok(a) => a,
            // Credentials the vendor refuses now may be fixed by an operator: keep the
            // message and retry later rather than skip it.
            Err(reason) => {
                return Outcome::Retry {
                    after: None,
                    reason,
                };
            }
        };
        let c = &self.cfg;
        let req = match (ch, c) {
            (PushChannel::Fcm, PushConfig { fcm: Some(f), .. }) => {
                Ok(fcm::send(f, &access, device, msg))
            }
            (PushChannel::Hms, PushConfig { hms: Some(h), .. }) => {
                Ok(hms::send(h, &access, device, msg))
            }
            (PushChannel::Honor, PushConfig { honor: Some(h), .. }) => {
                Ok(honor::send(h, &access, device, msg, Timestamp::now()))
            }
            (
                PushChannel::MiPush,
                PushConfig {
                    mipush: Some(m), ..
                },
            ) => Ok(mipush::send(m, device, msg)),
            (PushChannel::Oppo, PushConfig { oppo: Some(o), .. }) => {
                Ok(oppo::send(o, &access, device, msg))
            }
            (PushChannel::Vivo, PushConfig { vivo: Some(v), .. }) => {
                Ok(vivo::send(v, &access, device, msg))
            }
            (PushChannel::Apns, PushConfig { apns: Some(a), .. }) => {
                apns::send(a, &access, device, msg)
            }
            _ => Err(format!("{ch} is not configured on this platform")),
        };
        let req = match req {
            Ok(r) => r,
            Err(e) => return Outcome::Rejected(e),
        };
        let reply = match self.post(ch, req).await {
            Ok(r) => r,
            Err(reason) => {
                return Outcome::Retry {
                    after: None,
                    reason,
                };
            }
        };
        match ch {
            PushChannel::Fcm => fcm::outcome(&reply),
            PushChannel::Hms => hms::outcome(&reply),
            PushChannel::Honor => honor::outcome(&reply),
            PushChannel::MiPush => mipush::outcome(&reply),
            PushChannel::Oppo => oppo::outcome(&reply),
            PushChannel::Vivo => vivo::outcome(&reply),
            PushChannel::Apns => apns::outcome(&reply),
            PushChannel::Stream => Outcome::Rejected("not a vendor".into()),
        }
    }

    fn forget_token(&self, ch: PushChannel) {
        self.lock().remove(&ch);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PushChannel, (String, i64)>> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The vendor access token, from the cache or freshly fetched. Vendors check these
    /// timestamps against real time, so the wall clock is used, never the platform's.
    async fn access(&self, ch: PushChannel) -> Result<String, String> {
        let now = Timestamp::now();
        if let Some((t, until)) = self.lock().get(&ch)
            && now.0 + MARGIN_MS < *until
        {
            return Ok(t.clone());
        }
        let c = &self.cfg;
        let (request, parse): (Outgoing, TokenParser) = match (ch, c) {
            (PushChannel::MiPush, _) => return Ok(String::new()),
            (PushChannel::Apns, PushConfig { apns: Some(a), .. }) => {
                let jwt = apns::provider_token(a, now)?;
                self.lock().insert(ch, (jwt.clone(), now.0 + APNS_TOKEN_MS));
                return Ok(jwt);
            }
            (PushChannel::Fcm, PushConfig { fcm: Some(f), .. }) => (fcm::auth(f, now)?, oauth),
            (PushChannel::Hms, PushConfig { hms: Some(h), .. }) => (hms::auth(h), oauth),
            (PushChannel::Honor, PushConfig { honor: Some(h), .. }) => (honor::auth(h), oauth),
            (PushChannel::Oppo, PushConfig { oppo: Some(o), .. }) => (oppo::auth(o, now), |v| {
                let t = v["data"]["auth_token"].as_str()?;
                Some((t.to_owned(), 86_400))
            }),
            (PushChannel::Vivo, PushConfig { vivo: Some(v), .. }) => (vivo::auth(v, now), |v| {
                (v["result"].as_i64() == Some(0))
                    .then(|| v["authToken"].as_str().map(|t| (t.to_owned(), 86_400)))?
            }),
            _ => return Err(format!("{ch} is not configured on this platform")),
        };
        let reply = self.post(ch, request).await?;
        let found = reply
            .json()
            .filter(|_| (200..300).contains(&reply.status))
            .and_then(|v| parse(&v));
        let Some((token, secs)) = found else {
            // Never log the reply whole: a misparsed body could hold the token.
            return Err(format!(
                "{ch} refused our credentials (HTTP {})",
                reply.status
            ));
        };
        self.lock()
            .insert(ch, (token.clone(), now.0 + secs.saturating_mul(1000)));
        Ok(token)
    }

    async fn post(&self, ch: PushChannel, req: Outgoing) -> Result<Reply, String> {
        let client = if ch == PushChannel::Apns {
            &self.apns_http
        } else {
            &self.http
        };
        let mut b = client.post(&req.url);
        for (k, v) in &req.headers {
            b = b.header(*k, v);
        }
        b = match req.body {
            Body::Json(v) => b.json(&v),
            Body::Form(f) => b.form(&f),
        };
        let resp = b.send().await.map_err(|e| format!("{ch}: {e}"))?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let mut body = resp
            .bytes()
            .await
            .map_err(|e| format!("{ch}: {e}"))?
            .to_vec();
        body.truncate(MAX_REPLY);
        Ok(Reply {
            status,
            retry_after,
            body,
        })
    }
}

/// Reads an access token and its lifetime in seconds from a token endpoint's JSON.
type TokenParser = fn(&serde_json::Value) -> Option<(String, i64)>;

/// RFC 6749 token response: `access_token` and `expires_in` seconds.
fn oauth(v: &serde_json::Value) -> Option<(String, i64)> {
    let t = v["access_token"].as_str()?;
    Some((t.to_owned(), v["expires_in"].as_i64().unwrap_or(3600)))
}
