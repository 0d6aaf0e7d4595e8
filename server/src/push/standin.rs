//! Stand-ins for the push vendors' servers on loopback, for the demo and the tests (the real
//! ones cannot be reached from here): one port answers every vendor's token and send
//! endpoints the way the vendor documents, records each request, and fails on demand.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Version};
use axum::response::{IntoResponse, Response};

/// Stand-in credentials (see `standin_keys/README.md`): FCM's service-account RSA key and
/// APNs' P-256 provider key, with their public halves for tests that check signatures.
pub const RSA_PEM: &str = include_str!("standin_keys/rsa.pem");
pub const RSA_PUBLIC_PEM: &str = include_str!("standin_keys/rsa.pub.pem");
pub const P256_PEM: &str = include_str!("standin_keys/p256.pem");
pub const P256_PUBLIC_PEM: &str = include_str!("standin_keys/p256.pub.pem");

/// One request as the vendor received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
    pub version: Version,
    pub body: String,
}

impl Seen {
    pub fn header(&self, k: &str) -> &str {
        self.headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The body as JSON (`Null` when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_default()
    }

    /// The body as a form.
    pub fn form(&self) -> HashMap<String, String> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .into_owned()
            .collect()
    }
}

/// A scripted failure: status, body and an optional Retry-After (seconds).
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<u64>,
}

#[derive(Debug, Default)]
pub struct StandIn {
    seen: Mutex<Vec<Seen>>,
    /// Path prefix → failures answered (in order) before the normal answer.
    failures: Mutex<HashMap<String, VecDeque<Failure>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl StandIn {
    pub fn fail_next(&self, path_prefix: &str, f: Failure) {
        lock(&self.failures)
            .entry(path_prefix.to_owned())
            .or_default()
            .push_back(f);
    }

    /// Requests whose path starts with `path_prefix`, oldest first.
    pub fn seen(&self, path_prefix: &str) -> Vec<Seen> {
        lock(&self.seen)
            .iter()
            .filter(|s| s.path.starts_with(path_prefix))
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        lock(&self.seen).clear();
    }
}

/// Starts the stand-ins on a loopback port: HTTP/1.1, and HTTP/2 with prior knowledge for
/// APNs.
pub async fn start() -> std::io::Result<(Arc<StandIn>, SocketAddr)> {
    let state = Arc::new(StandIn::default());
    let app = Router::new().fallback(answer).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "push stand-in stopped");
        }
    });
    Ok((state, addr))
}

async fn answer(State(v): State<Arc<StandIn>>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let headers = req.headers().clone();
    let version = req.version();
    let body = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .unwrap_or_else(|_| Bytes::new());
    lock(&v.seen).push(Seen {
        path: path.clone(),
        headers,
        version,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let failure = lock(&v.failures)
        .iter_mut()
        .find(|(prefix, q)| path.starts_with(prefix.as_str()) && !q.is_empty())
        .and_then(|(_, q)| q.pop_front());
    if let Some(f) = failure {
        let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = (status, f.body).into_response();
        if let Some(s) = f.retry_after.and_then(|s| s.to_string().parse().ok()) {
            r.headers_mut().insert("retry-after", s);
        }
        return r;
    }
    let ok = |json: &'static str| {
        (StatusCode::OK, [("content-type", "application/json")], json).into_response()
    };
    match path.as_str() {
        "/fcm/token" => {
            ok(r#"{"access_token":"fcm-access","expires_in":3599,"token_type":"Bearer"}"#)
        }
        "/hms/token" => {
            ok(r#"{"access_token":"hms-access","expires_in":3600,"token_type":"Bearer"}"#)
        }
        "/honor/token" => ok(r#"{"access_token":"honor-access","expires_in":3600}"#),
        "/server/v1/auth" => ok(
            r#"{"code":0,"message":"Success","data":{"auth_token":"oppo-access","create_time":1}}"#,
        ),
        "/message/auth" => ok(r#"{"result":0,"desc":"请求成功","authToken":"vivo-access"}"#),
        p if p.starts_with("/v1/projects/") => ok(r#"{"name":"projects/yannong/messages/1"}"#),
        p if p.starts_with("/v1/") => ok(r#"{"code":"80000000","msg":"Success","requestId":"1"}"#),
        p if p.starts_with("/api/v1/") => ok(r#"{"code":200,"message":"success","data":{}}"#),
        "/v3/message/regid" => ok(
            r#"{"result":"ok","trace_id":"x","code":0,"data":{"id":"m1"},"description":"成功","info":"Received push messages for 1 REGID"}"#,
        ),
        "/server/v1/message/notification/unicast" => {
            ok(r#"{"code":0,"message":"Success","data":{"messageId":"o1"}}"#)
        }
        "/message/send" => ok(r#"{"result":0,"desc":"请求成功","requestId":"r","taskId":"t"}"#),
        p if p.starts_with("/3/device/") => (
            StatusCode::OK,
            [("apns-id", "00000000-0000-0000-0000-000000000001")],
        )
            .into_response(),
        _ => (StatusCode::NOT_FOUND, "no such vendor path").into_response(),
    }
}

/// A push configuration sending every vendor to the stand-ins at `base` (`http://addr`),
/// with the stand-in credentials (the stand-ins do not check signatures; tests that care
/// decode them with the public halves).
pub fn config(base: &str) -> serde_json::Value {
    let (rsa_pem, p256_pem) = (RSA_PEM, P256_PEM);
    serde_json::json!({
        "fcm": { "endpoint": base, "project_id": "yannong", "client_email": "push@yannong.iam",
                 "private_key": rsa_pem, "token_uri": format!("{base}/fcm/token") },
        "hms": { "endpoint": base, "token_uri": format!("{base}/hms/token"), "app_id": "10086",
                 "client_secret": "hms-secret" },
        "honor": { "endpoint": base, "token_uri": format!("{base}/honor/token"), "app_id": "20086",
                   "client_id": "honor-client", "client_secret": "honor-secret" },
        "mipush": { "endpoint": base, "app_secret": "mi-secret", "package_name": "cn.yannong.app" },
        "oppo": { "endpoint": base, "app_key": "oppo-key", "master_secret": "oppo-master" },
        "vivo": { "endpoint": base, "app_id": "30086", "app_key": "vivo-key", "app_secret": "vivo-secret" },
        "apns": { "endpoint": base, "team_id": "TEAM123456", "key_id": "KEY1234567",
                  "private_key": p256_pem, "topic": "cn.yannong.app" },
    })
}

/// The path each vendor's send request goes to at the stand-ins.
pub fn send_path(ch: yannong_core::alarm::PushChannel) -> &'static str {
    use yannong_core::alarm::PushChannel as C;
    match ch {
        C::Fcm => "/v1/projects/yannong/messages:send",
        C::Hms => "/v1/10086/messages:send",
        C::Honor => "/api/v1/20086/sendMessage",
        C::MiPush => "/v3/message/regid",
        C::Oppo => "/server/v1/message/notification/unicast",
        C::Vivo => "/message/send",
        C::Apns => "/3/device/",
        C::Stream => "/-",
    }
}

/// What the phone's receiver of `ch` hands the core, from the request its vendor got.
pub fn phone_payload(ch: yannong_core::alarm::PushChannel, seen: &Seen) -> Vec<u8> {
    use yannong_core::alarm::PushChannel as C;
    let s = match ch {
        C::Fcm => seen.json()["message"]["data"].to_string(),
        C::Hms => seen.json()["message"]["data"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        C::Honor => seen.json()["data"].as_str().unwrap_or_default().to_owned(),
        C::MiPush => seen.form().remove("payload").unwrap_or_default(),
        C::Oppo => {
            let msg: serde_json::Value = seen
                .form()
                .get("message")
                .and_then(|m| serde_json::from_str(m).ok())
                .unwrap_or_default();
            msg["notification"]["action_parameters"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
        C::Vivo => seen.json()["clientCustomMap"].to_string(),
        C::Apns | C::Stream => seen.body.clone(),
    };
    s.into_bytes()
}
