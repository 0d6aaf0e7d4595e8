//! Log in, refresh, log out.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use yannong_core::barn::api::{LoginRequest, Session, User};

use super::access::bearer;
use super::{ApiErr, AuthUser, blocking};
use crate::auth::{TOKEN_LIFETIME_HOURS, decoy_hash, new_token, token_hash, verify_password};
use crate::platform::Platform;

fn issue(platform: &Platform, user: User) -> Result<Session, ApiErr> {
    let (token, hash) = new_token().map_err(ApiErr::internal)?;
    let expires_at = yannong_core::Timestamp::now().add_hours(TOKEN_LIFETIME_HOURS);
    platform.store.insert_token(&hash, user.id, expires_at)?;
    Ok(Session {
        token,
        expires_at,
        user,
    })
}

#[utoipa::path(post, path = "/api/v1/auth/login", request_body = LoginRequest,
    responses((status = 200, body = Session), (status = 401, body = yannong_core::barn::api::ApiError)))]
pub(super) async fn login(
    State(p): State<Platform>,
    Json(req): Json<LoginRequest>,
) -> Result<Json<Session>, ApiErr> {
    blocking(move || {
        let found = p.store.user_by_phone(req.phone.trim())?;
        // Verify against a decoy for unknown numbers: same work, same time, no hint.
        let hash = found
            .as_ref()
            .map_or_else(|| decoy_hash().to_owned(), |(_, h)| h.clone());
        let ok = verify_password(&req.password, &hash);
        match found {
            Some((user, _)) if ok => issue(&p, user).map(Json),
            _ => Err(ApiErr::unauthorized("wrong phone number or password")),
        }
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/auth/refresh", responses((status = 200, body = Session)),
    security(("bearer" = [])))]
pub(super) async fn refresh(
    State(p): State<Platform>,
    AuthUser(user): AuthUser,
    headers: HeaderMap,
) -> Result<Json<Session>, ApiErr> {
    let old = bearer(&headers).map(token_hash);
    blocking(move || {
        let session = issue(&p, user)?;
        if let Some(old) = old {
            p.store.revoke_token(&old)?;
        }
        Ok(Json(session))
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/auth/logout", responses((status = 204)), security(("bearer" = [])))]
pub(super) async fn logout(
    State(p): State<Platform>,
    _user: AuthUser,
    headers: HeaderMap,
) -> Result<StatusCode, ApiErr> {
    let hash = bearer(&headers).map(token_hash);
    blocking(move || {
        if let Some(hash) = hash {
            p.store.revoke_token(&hash)?;
        }
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = User)), security(("bearer" = [])))]
pub(super) async fn me(AuthUser(user): AuthUser) -> Json<User> {
    Json(user)
}
