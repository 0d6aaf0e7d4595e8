//! Logging in, tokens, controllers' device tokens, and the login throttle.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use common::{PASSWORD, Reply, World, world};
use http_body_util::BodyExt;
use tower::ServiceExt;
use yannong_core::barn::api::{Session, User, paths};
use yannong_server::api::limit::{IP_FAILURES, PHONE_FAILURES};

#[tokio::test]
async fn login_gives_a_token_that_works_until_logout() {
    let w = world();
    let r = w
        .post(
            paths::LOGIN,
            None,
            &serde_json::json!({"phone": w.farmer_a.phone, "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let session: Session = r.json();
    assert_eq!(session.user, w.farmer_a);
    assert!(session.expires_at > yannong_core::Timestamp::now());

    let me = w.get(paths::ME, Some(&session.token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json::<User>(), w.farmer_a);

    assert_eq!(
        w.call("POST", paths::LOGOUT, Some(&session.token), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let after = w.get(paths::ME, Some(&session.token)).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.code(), "unauthorized");
    assert_eq!(after.headers["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn wrong_password_and_unknown_phone_look_the_same() {
    let w = world();
    let wrong = w
        .post(
            paths::LOGIN,
            None,
            &serde_json::json!({"phone": w.farmer_a.phone, "password": "nope"}),
        )
        .await;
    let unknown = w
        .post(
            paths::LOGIN,
            None,
            &serde_json::json!({"phone": "10000000000", "password": PASSWORD}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, unknown.body);
}

#[tokio::test]
async fn refresh_issues_a_new_token_and_revokes_the_old() {
    let w = world();
    let old = w.login(&w.technician).await;
    let r = w.call("POST", paths::REFRESH, Some(&old), None).await;
    assert_eq!(r.status, StatusCode::OK);
    let new: Session = r.json();
    assert_ne!(new.token, old);
    assert_eq!(
        w.get(paths::ME, Some(&old)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        w.get(paths::ME, Some(&new.token)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn garbage_tokens_and_bodies_get_typed_errors() {
    let w = world();
    for token in ["", "x", "Bearer", &"a".repeat(5000)] {
        assert_eq!(
            w.get(paths::ME, Some(token)).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        w.get(paths::ME, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = w
        .call("POST", paths::LOGIN, None, Some(b"{not json".to_vec()))
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
}

#[tokio::test]
async fn a_person_token_is_not_a_controller_token_and_vice_versa() {
    let w = world();
    let person = w.login(&w.admin).await;
    let batch = serde_json::json!({"batch_id": "b1", "readings": []});
    let r = w
        .post(&paths::ingest(w.barn_a.id), Some(&person), &batch)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        w.get(paths::BARNS, Some(&w.controller_a)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// A login from the socket address `peer` (a real server knows it; the bare router does not),
/// optionally through a proxy's `X-Forwarded-For`.
async fn login_from(
    w: &World,
    peer: Option<&str>,
    forwarded: Option<&str>,
    phone: &str,
    password: &str,
) -> Reply {
    let body = serde_json::json!({"phone": phone, "password": password}).to_string();
    let mut req = Request::post(paths::LOGIN).header(header::CONTENT_TYPE, "application/json");
    if let Some(f) = forwarded {
        req = req.header("x-forwarded-for", f);
    }
    let mut req = req.body(Body::from(body)).unwrap();
    if let Some(p) = peer {
        let addr: SocketAddr = format!("{p}:40000").parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(addr));
    }
    let res = w.router.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes().to_vec(),
    }
}

async fn login(w: &World, phone: &str, password: &str) -> Reply {
    login_from(w, None, None, phone, password).await
}

/// A 429 with the API's code and a `Retry-After` within the window.
fn assert_throttled(r: &Reply) {
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.code(), "too_many_requests");
    let wait: u32 = r.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&wait), "{wait}");
}

#[tokio::test]
async fn the_sixth_wrong_password_is_throttled_and_so_is_the_right_one() {
    let w = world();
    let phone = &w.farmer_a.phone;
    for _ in 0..PHONE_FAILURES {
        assert_eq!(
            login(&w, phone, "guess").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_throttled(&login(&w, phone, "guess").await);
    // No oracle: during the lockout the right password is refused the same way.
    assert_throttled(&login(&w, phone, PASSWORD).await);
    // The lock is on the number, not the platform.
    assert_eq!(
        login(&w, &w.farmer_b.phone, PASSWORD).await.status,
        StatusCode::OK
    );

    w.platform.clock.advance(Duration::from_secs(15 * 60 + 1));
    let r = login(&w, phone, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json::<Session>().user, w.farmer_a);
}

#[tokio::test]
async fn a_successful_login_clears_the_numbers_failures() {
    let w = world();
    let phone = &w.technician.phone;
    for _ in 0..PHONE_FAILURES - 1 {
        assert_eq!(
            login(&w, phone, "typo").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(login(&w, phone, PASSWORD).await.status, StatusCode::OK);
    for _ in 0..PHONE_FAILURES {
        assert_eq!(
            login(&w, phone, "typo").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_throttled(&login(&w, phone, "typo").await);
}

#[tokio::test]
async fn one_address_is_throttled_across_numbers() {
    let w = world();
    let attacker = Some("203.0.113.7");
    for i in 0..IP_FAILURES {
        let r = login_from(&w, attacker, None, &format!("1500000{i:04}"), "guess").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    assert_throttled(&login_from(&w, attacker, None, &w.admin.phone, PASSWORD).await);
    // Behind the local TLS proxy the address is the one it appended last.
    let proxied = login_from(
        &w,
        Some("127.0.0.1"),
        Some("198.51.100.1, 203.0.113.7"),
        &w.admin.phone,
        PASSWORD,
    )
    .await;
    assert_throttled(&proxied);
    // Other addresses are unaffected, and only a local proxy is believed.
    let ok = login_from(&w, Some("198.51.100.2"), None, &w.admin.phone, PASSWORD).await;
    assert_eq!(ok.status, StatusCode::OK);
    let spoofed = login_from(
        &w,
        Some("198.51.100.3"),
        Some("203.0.113.7"),
        &w.admin.phone,
        PASSWORD,
    )
    .await;
    assert_eq!(spoofed.status, StatusCode::OK);
}

/// Collects every log line of this test binary.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_password_or_token_reaches_the_log() {
    let logs = Logs::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let w = world();
    let wrong = "wrong-烟叶-secret";
    for _ in 0..=PHONE_FAILURES {
        login_from(&w, Some("203.0.113.8"), None, &w.farmer_b.phone, wrong).await;
    }
    let token = w.login(&w.farmer_a).await;
    let refreshed: Session = w
        .call("POST", paths::REFRESH, Some(&token), None)
        .await
        .json();
    w.get(paths::ME, Some(&refreshed.token)).await;
    w.get(paths::ME, Some(&token)).await;

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("too many failures"),
        "the throttle logged: {text}"
    );
    for secret in [PASSWORD, wrong, &token, &refreshed.token] {
        assert!(!text.contains(secret), "{secret} logged");
    }
}
