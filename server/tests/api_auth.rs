//! Logging in, tokens, and controllers' device tokens.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{PASSWORD, world};
use yannong_core::barn::api::{Session, User, paths};

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
