//! Stand-ins for the push vendors' servers on loopback: they answer every vendor's token and
//! send endpoints the way the vendor documents, record each request, and fail on demand.
// Test support: a failed stand-in should stop the test loudly.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Version};
use axum::response::{IntoResponse, Response};

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
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }

    pub fn form(&self) -> HashMap<String, String> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .into_owned()
            .collect()
    }
}

/// A scripted failure: status, body and an optional Retry-After.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<u64>,
}

#[derive(Debug, Default)]
pub struct Vendors {
    pub seen: Mutex<Vec<Seen>>,
    /// Path prefix → failures answered (in order) before the normal answer.
    failures: Mutex<HashMap<String, VecDeque<Failure>>>,
}

impl Vendors {
    pub fn fail_next(&self, path_prefix: &str, f: Failure) {
        self.failures
            .lock()
            .unwrap()
            .entry(path_prefix.to_owned())
            .or_default()
            .push_back(f);
    }

    pub fn seen(&self, path_prefix: &str) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path.starts_with(path_prefix))
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        self.seen.lock().unwrap().clear();
    }
}

/// Serves HTTP/1.1 and (prior-knowledge) HTTP/2 for APNs on one port.
pub async fn start() -> (Arc<Vendors>, SocketAddr) {
    let state = Arc::new(Vendors::default());
    let app = Router::new().fallback(answer).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (state, addr)
}

async fn answer(State(v): State<Arc<Vendors>>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let headers = req.headers().clone();
    let version = req.version();
    let body = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .unwrap_or_else(|_| Bytes::new());
    v.seen.lock().unwrap().push(Seen {
        path: path.clone(),
        headers,
        version,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let failure = {
        let mut f = v.failures.lock().unwrap();
        f.iter_mut()
            .find(|(prefix, q)| path.starts_with(prefix.as_str()) && !q.is_empty())
            .and_then(|(_, q)| q.pop_front())
    };
    if let Some(f) = failure {
        let mut r = (StatusCode::from_u16(f.status).unwrap(), f.body).into_response();
        if let Some(s) = f.retry_after {
            r.headers_mut()
                .insert("retry-after", s.to_string().parse().unwrap());
        }
        return r;
    }
    let ok = |json: &str| {
        (
            StatusCode::OK,
            [("content-type", "application/json")],
            json.to_owned(),
        )
            .into_response()
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
