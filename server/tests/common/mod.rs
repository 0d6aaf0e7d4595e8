//! A platform on a temporary database with two farmers, a technician and an admin, driven
//! through the real router without a socket.
#![allow(clippy::unwrap_used, dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower::ServiceExt;
use yannong_core::Timestamp;
use yannong_core::barn::api::{Barn, BarnKind, Fan, HeatPump, Reading, Role, User};
use yannong_server::auth::{hash_password, new_token};
use yannong_server::clock::Clock;
use yannong_server::platform::Platform;
use yannong_server::store::{NewBarn, NewUser, PlatformStore, SqliteStore};

pub const PASSWORD: &str = "yan-nong-2026";

pub struct World {
    pub _dir: tempfile::TempDir,
    pub platform: Platform,
    pub router: Router,
    pub farmer_a: User,
    pub farmer_b: User,
    pub technician: User,
    pub admin: User,
    pub barn_a: Barn,
    pub barn_b: Barn,
    /// Device tokens of barn A's and barn B's controllers.
    pub controller_a: String,
    pub controller_b: String,
}

pub fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("platform.db")).unwrap());
    let now = Timestamp::now();
    let hash = hash_password(PASSWORD).unwrap();
    let user = |phone: &str, name: &str, role| {
        store
            .create_user(
                NewUser {
                    phone: phone.into(),
                    name: name.into(),
                    role,
                    password_hash: hash.clone(),
                },
                now,
            )
            .unwrap()
    };
    let farmer_a = user("13800000001", "张三", Role::Farmer);
    let farmer_b = user("13800000002", "李四", Role::Farmer);
    let technician = user("13900000001", "王师傅", Role::Technician);
    let admin = user("13700000001", "烟站", Role::Admin);
    let barn = |name: &str, owner: &User, technician: Option<&User>| {
        store
            .create_barn(
                NewBarn {
                    name: name.into(),
                    village: "郏县".into(),
                    owner: owner.id,
                    technician: technician.map(|t| t.id),
                    kind: BarnKind::HeatPump,
                    capacity_kg: 4500,
                },
                now,
            )
            .unwrap()
    };
    let barn_a = barn("1号烤房", &farmer_a, Some(&technician));
    let barn_b = barn("2号烤房", &farmer_b, None);
    let controller = |b: &Barn| {
        let (token, hash) = new_token().unwrap();
        store.set_controller_token(b.id, &hash).unwrap();
        token
    };
    let controller_a = controller(&barn_a);
    let controller_b = controller(&barn_b);
    let platform = Platform::new(store, Clock::real());
    World {
        router: yannong_server::api::router(platform.clone()),
        platform,
        _dir: dir,
        farmer_a,
        farmer_b,
        technician,
        admin,
        barn_a,
        barn_b,
        controller_a,
        controller_b,
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn code(&self) -> String {
        self.json::<yannong_core::barn::api::ApiError>().code
    }
}

impl World {
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Reply {
        self.call_with(method, path, token, body, &[]).await
    }

    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(body.map_or_else(Body::empty, Body::from)).unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn post<B: Serialize>(&self, path: &str, token: Option<&str>, body: &B) -> Reply {
        self.call("POST", path, token, Some(serde_json::to_vec(body).unwrap()))
            .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call("GET", path, token, None).await
    }

    /// Logs `user` in and returns the bearer token.
    pub async fn login(&self, user: &User) -> String {
        let r = self
            .post(
                yannong_core::barn::api::paths::LOGIN,
                None,
                &serde_json::json!({"phone": user.phone, "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        r.json::<yannong_core::barn::api::Session>().token
    }
}

/// A plausible yellowing reading at `at`.
pub fn reading(at: Timestamp, dry: f64) -> Reading {
    Reading {
        at,
        dry_bulb_c: dry,
        wet_bulb_c: dry - 2.0,
        dry_bulb_low_c: None,
        dry_bulb_set_c: Some(38.0),
        wet_bulb_set_c: Some(36.0),
        step: Some(1),
        heat_pump: HeatPump::Heating,
        heating_pct: 35,
        fan: Fan::Low,
        fan_current_pct: 97,
        vent_pct: 0,
        vent_cmd_pct: 0,
        mains_power: true,
        door_open: false,
    }
}
