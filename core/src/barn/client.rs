//! HTTP client of the barn platform: HTTPS with certificate checks against Mozilla's root set
//! (plus a platform's own CA when configured), timeouts on every request, typed errors.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, Response, StatusCode, Url};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde::Serialize;
use serde::de::DeserializeOwned;

mod lessons;

pub use lessons::FileBody;

use super::BarnError;
use super::api::{
    Alarm, AlarmId, ApiError, BarnId, ChangesPage, ImageId, LoginRequest, PushDevice,
    RegisterDevice, Session, SignedAlarmEvent, paths,
};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Whole request, for everything but the live stream. 2G can be slow; a sync page is small.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(45);
/// Between bytes of any response; the live stream sends a keep-alive every 20 s.
const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest JSON answer accepted (a full sync page is far smaller).
const MAX_BODY: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// e.g. `https://barns.example.cn`; `http://` only for loopback (the embedded platform).
    pub base_url: String,
    /// PEM certificates of a platform's own CA, trusted in addition to the public roots.
    pub extra_roots_pem: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PlatformClient {
    http: reqwest::Client,
    base: Url,
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Parses and checks the platform address: https anywhere, http on loopback only.
pub fn platform_url(base: &str) -> Result<Url, BarnError> {
    let bad = |reason: &str| BarnError::BadUrl {
        url: base.to_owned(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(base.trim()).map_err(|e| bad(&e.to_string()))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(BarnError::Insecure {
                url: base.to_owned(),
            });
        }
        other => return Err(bad(&format!("unsupported scheme {other}"))),
    }
    if url.host().is_none() || !url.username().is_empty() || url.password().is_some() {
        return Err(bad("needs a host and no credentials"));
    }
    Ok(url)
}

fn tls_config(extra_roots_pem: Option<&str>) -> Result<rustls::ClientConfig, BarnError> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = extra_roots_pem {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| BarnError::BadUrl {
                url: "extra_roots_pem".into(),
                reason: e.to_string(),
            })?;
            roots.add(cert).map_err(|e| BarnError::BadUrl {
                url: "extra_roots_pem".into(),
                reason: e.to_string(),
            })?;
            added += 1;
        }
        if added == 0 {
            return Err(BarnError::BadUrl {
                url: "extra_roots_pem".into(),
                reason: "no PEM certificate found".into(),
            });
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| BarnError::Network(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

impl PlatformClient {
    pub fn new(config: &ClientConfig) -> Result<PlatformClient, BarnError> {
        let base = platform_url(&config.base_url)?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config(config.extra_roots_pem.as_deref())?)
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .user_agent(concat!("yannong/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(PlatformClient { http, base })
    }

    /// The platform address, as a stable key for what this device stored from it.
    pub fn base(&self) -> &str {
        self.base.as_str()
    }

    fn url(&self, path: &str) -> Result<Url, BarnError> {
        self.base.join(path).map_err(|e| BarnError::BadUrl {
            url: path.to_owned(),
            reason: e.to_string(),
        })
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
        timeout: Option<Duration>,
    ) -> Result<Response, BarnError> {
        let mut req = self.http.request(method, self.url(path)?);
        if let Some(t) = timeout {
            req = req.timeout(t);
        }
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let res = req.send().await?;
        if res.status().is_success() {
            return Ok(res);
        }
        Err(refusal(res).await)
    }

    async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Result<T, BarnError> {
        let res = self
            .send(method, path, token, body, Some(REQUEST_TIMEOUT))
            .await?;
        let bytes = read_capped(res).await?;
        serde_json::from_slice(&bytes).map_err(|e| BarnError::Decode(e.to_string()))
    }

    fn body<B: Serialize>(b: &B) -> Result<Vec<u8>, BarnError> {
        serde_json::to_vec(b).map_err(|e| BarnError::Decode(e.to_string()))
    }

    pub async fn login(&self, phone: &str, password: &str) -> Result<Session, BarnError> {
        let body = Self::body(&LoginRequest {
            phone: phone.to_owned(),
            password: password.to_owned(),
        })?;
        self.json(Method::POST, paths::LOGIN, None, Some(body))
            .await
    }

    pub async fn refresh(&self, token: &str) -> Result<Session, BarnError> {
        self.json(Method::POST, paths::REFRESH, Some(token), None)
            .await
    }

    pub async fn logout(&self, token: &str) -> Result<(), BarnError> {
        self.send(
            Method::POST,
            paths::LOGOUT,
            Some(token),
            None,
            Some(REQUEST_TIMEOUT),
        )
        .await
        .map(drop)
    }

    pub async fn changes(
        &self,
        token: &str,
        cursor: &str,
        limit: usize,
    ) -> Result<ChangesPage, BarnError> {
        let mut url = self.url(paths::SYNC)?;
        url.query_pairs_mut()
            .append_pair("cursor", cursor)
            .append_pair("limit", &limit.to_string());
        let path = format!("{}?{}", url.path(), url.query().unwrap_or(""));
        self.json(Method::GET, &path, Some(token), None).await
    }

    /// The caller's signed alarm events after sequence number `after`, at most `limit`.
    pub async fn alarm_events(
        &self,
        token: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<SignedAlarmEvent>, BarnError> {
        let path = format!("{}?after={after}&limit={limit}", paths::ALARM_EVENTS);
        self.json(Method::GET, &path, Some(token), None).await
    }

    /// Acknowledges alarm `id` and returns it as the platform now has it. Idempotent: again
    /// changes nothing; NotFound for an alarm not on the caller's barns. The platform stamps
    /// its own time (the endpoint takes no body).
    pub async fn acknowledge_alarm(&self, token: &str, id: AlarmId) -> Result<Alarm, BarnError> {
        self.json(Method::POST, &paths::alarm_ack(id), Some(token), None)
            .await
    }

    /// A camera picture's JPEG bytes.
    pub async fn image(&self, token: &str, id: ImageId) -> Result<Vec<u8>, BarnError> {
        let res = self
            .send(
                Method::GET,
                &paths::image(id),
                Some(token),
                None,
                Some(REQUEST_TIMEOUT),
            )
            .await?;
        read_capped(res).await
    }

    /// Registers this phone's push token for the caller (`POST /api/v1/devices`).
    pub async fn register_device(
        &self,
        token: &str,
        device: &RegisterDevice,
    ) -> Result<PushDevice, BarnError> {
        let body = Self::body(device)?;
        self.json(Method::POST, paths::DEVICES, Some(token), Some(body))
            .await
    }

    pub async fn unregister_device(&self, token: &str, id: i64) -> Result<(), BarnError> {
        self.send(
            Method::DELETE,
            &paths::device(id),
            Some(token),
            None,
            Some(REQUEST_TIMEOUT),
        )
        .await
        .map(drop)
    }

    /// Opens the caller's alarm feed as server-sent events after sequence number `after`.
    pub async fn alarm_stream(&self, token: &str, after: u64) -> Result<Response, BarnError> {
        let path = format!("{}?after={after}", paths::ALARM_STREAM);
        self.send(Method::GET, &path, Some(token), None, None).await
    }

    /// Opens the live stream of `barn` (server-sent events; see [`super::sse`]).
    pub async fn stream(&self, token: &str, barn: BarnId) -> Result<Response, BarnError> {
        self.send(
            Method::GET,
            &paths::barn_stream(barn),
            Some(token),
            None,
            None,
        )
        .await
    }
}

/// Reads a body, refusing more than [`MAX_BODY`] bytes.
async fn read_capped(mut res: Response) -> Result<Vec<u8>, BarnError> {
    let mut out = Vec::new();
    while let Some(chunk) = res.chunk().await? {
        if out.len() + chunk.len() > MAX_BODY {
            return Err(BarnError::Decode(format!(
                "answer larger than {MAX_BODY} bytes"
            )));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Seconds to wait from a `Retry-After` header; a missing or HTTP-date value waits a minute
/// (the platform sends seconds).
fn retry_after_s(headers: &HeaderMap) -> u32 {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(60)
}

/// Turns a non-success answer into a typed error, using the platform's error body if present.
async fn refusal(res: Response) -> BarnError {
    let status = res.status();
    if status == StatusCode::TOO_MANY_REQUESTS {
        return BarnError::RateLimited {
            retry_after_s: retry_after_s(res.headers()),
        };
    }
    let body = res.bytes().await.unwrap_or_default();
    let api: Option<ApiError> = serde_json::from_slice(&body).ok();
    let message = api.as_ref().map_or_else(
        || status.canonical_reason().unwrap_or("").to_owned(),
        |a| a.message.clone(),
    );
    match status {
        StatusCode::UNAUTHORIZED => BarnError::Unauthorized(message),
        StatusCode::NOT_FOUND => BarnError::NotFound(message),
        _ => BarnError::Rejected {
            status: status.as_u16(),
            code: api.map_or_else(|| "http".to_owned(), |a| a.code),
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_is_refused_except_on_loopback() {
        for ok in [
            "https://barns.example.cn",
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
        ] {
            assert!(platform_url(ok).is_ok(), "{ok}");
        }
        assert!(matches!(
            platform_url("http://barns.example.cn"),
            Err(BarnError::Insecure { .. })
        ));
        assert!(matches!(
            platform_url("http://10.0.0.1"),
            Err(BarnError::Insecure { .. })
        ));
        for bad in ["ftp://x", "not a url", "https://user:pw@host", ""] {
            assert!(
                matches!(platform_url(bad), Err(BarnError::BadUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn retry_after_is_read_in_seconds_with_a_fallback() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after_s(&h), 60);
        h.insert(RETRY_AFTER, " 900".parse().unwrap());
        assert_eq!(retry_after_s(&h), 900);
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after_s(&h), 60);
    }

    #[test]
    fn a_bad_extra_root_is_refused() {
        let cfg = |pem: &str| ClientConfig {
            base_url: "https://barns.example.cn".into(),
            extra_roots_pem: Some(pem.into()),
        };
        assert!(PlatformClient::new(&cfg("no certificate here")).is_err());
        assert!(
            PlatformClient::new(&ClientConfig {
                base_url: "https://barns.example.cn".into(),
                extra_roots_pem: None
            })
            .is_ok()
        );
    }
}
