//! Who is calling, and what they may see.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use yannong_core::barn::api::{Barn, BarnId, Role, User};

use super::{ApiErr, blocking};
use crate::auth::token_hash;
use crate::platform::Platform;

/// The bearer token of the request, if any.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// A logged-in person (farmer, technician or admin).
#[derive(Debug, Clone)]
pub struct AuthUser(pub User);

impl FromRequestParts<Platform> for AuthUser {
    type Rejection = ApiErr;

    async fn from_request_parts(parts: &mut Parts, platform: &Platform) -> Result<Self, ApiErr> {
        let token = bearer(&parts.headers).ok_or_else(|| ApiErr::unauthorized("log in first"))?;
        let hash = token_hash(token);
        let p = platform.clone();
        let user =
            blocking(move || Ok(p.store.token_user(&hash, yannong_core::Timestamp::now())?))
                .await?;
        user.map(AuthUser)
            .ok_or_else(|| ApiErr::unauthorized("the token is unknown, expired or revoked"))
    }
}

/// The barn if `user` may see it, else 404 (never 403: other farmers' barn ids stay secret).
pub async fn visible_barn(platform: &Platform, user: &User, barn: BarnId) -> Result<Barn, ApiErr> {
    let p = platform.clone();
    let u = user.clone();
    blocking(move || Ok(p.store.visible_barn(&u, barn)?))
        .await?
        .ok_or_else(|| ApiErr::not_found(format!("barn {barn}")))
}

/// Operating a barn (starting a cure, advancing a step) is for its farmer, its technician and
/// admins — everyone who can see it.
pub fn may_operate(user: &User, barn: &Barn) -> bool {
    match user.role {
        Role::Admin => true,
        Role::Farmer => barn.owner == user.id,
        Role::Technician => barn.technician == Some(user.id),
    }
}
