//! Log in, refresh, log out.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use yannong_core::barn::api::{ApiError, LoginRequest, Session, User};

use super::access::bearer;
use super::limit::{ClientIp, LoginLimiter, too_many};
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

/// Log in with a phone number and password.
///
/// After 5 failed logins for a number, or 20 from one address, within 15 minutes, its logins
/// get 429 whatever the password until the window moves on; a success clears the number.
#[utoipa::path(post, path = "/api/v1/auth/login", request_body = LoginRequest,
    responses((status = 200, body = Session), (status = 401, body = ApiError),
        (status = 429, description = "too many failed logins", body = ApiError,
            headers(("Retry-After" = u32, description = "seconds until a login is taken again")))))]
pub(super) async fn login(
    State(p): State<Platform>,
    Extension(limiter): Extension<Arc<LoginLimiter>>,
    ClientIp(ip): ClientIp,
    Json(req): Json<LoginRequest>,
) -> Result<Json<Session>, Response> {
    let attempt = limiter
        .begin(&req.phone, ip, p.clock.now())
        .map_err(|wait| {
            // Not the number nor the password: the address is what an operator can block.
            tracing::warn!(client = ?ip, retry_after_s = wait, "login refused: too many failures");
            too_many(wait)
        })?;
    let session = blocking(move || {
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
    .map_err(IntoResponse::into_response)?;
    limiter.succeeded(&attempt);
    Ok(session)
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
