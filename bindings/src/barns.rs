//! Barn monitoring on the FFI: log in to the platform, sync its barns into the local store,
//! read them offline, watch one barn live.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use yannong_core::barn::api::{self as api, BarnId};
use yannong_core::barn::{self as core, ClientConfig, LocalSession, SecretStore, local};
use yannong_core::cancel::Cancel;

use crate::runtime::{blocking, on_runtime, runtime};
use crate::{Yannong, YannongError};

/// The phone's secure storage for the platform token: Android Keystore-backed preferences,
/// iOS Keychain. Keys are short ASCII names; values are secrets, never log them.
#[uniffi::export(with_foreign)]
pub trait SecureStore: Send + Sync {
    fn get(&self, key: String) -> Result<Option<String>, YannongError>;
    fn set(&self, key: String, value: String) -> Result<(), YannongError>;
    fn delete(&self, key: String) -> Result<(), YannongError>;
}

struct ForeignSecrets(Arc<dyn SecureStore>);

impl std::fmt::Debug for ForeignSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ForeignSecrets")
    }
}

impl SecretStore for ForeignSecrets {
    fn get(&self, key: &str) -> Result<Option<String>, String> {
        self.0.get(key.to_owned()).map_err(|e| e.to_string())
    }

    fn set(&self, key: &str, value: &str) -> Result<(), String> {
        self.0
            .set(key.to_owned(), value.to_owned())
            .map_err(|e| e.to_string())
    }

    fn delete(&self, key: &str) -> Result<(), String> {
        self.0.delete(key.to_owned()).map_err(|e| e.to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BarnPlatformConfig {
    /// e.g. `https://barns.example.cn`; `http://` is accepted only for this device (loopback).
    pub base_url: String,
    /// PEM certificates of the platform's own CA, trusted besides the public roots.
    pub extra_roots_pem: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PlatformRole {
    Farmer,
    Technician,
    Admin,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PlatformUser {
    pub id: i64,
    pub phone: String,
    pub name: String,
    pub role: PlatformRole,
}

impl From<api::User> for PlatformUser {
    fn from(u: api::User) -> Self {
        PlatformUser {
            id: u.id.0,
            phone: u.phone,
            name: u.name,
            role: match u.role {
                api::Role::Farmer => PlatformRole::Farmer,
                api::Role::Technician => PlatformRole::Technician,
                api::Role::Admin => PlatformRole::Admin,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PlatformSession {
    pub platform: String,
    pub user: PlatformUser,
    pub expires_at: SystemTime,
    /// When the last sync finished (this device's clock); `None` before the first. Show it as
    /// "last updated" next to anything read from the store.
    pub synced_at: Option<SystemTime>,
}

impl From<LocalSession> for PlatformSession {
    fn from(s: LocalSession) -> Self {
        PlatformSession {
            platform: s.platform,
            user: s.user.into(),
            expires_at: s.expires_at.into(),
            synced_at: s.synced_at.map(Into::into),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncSummary {
    pub pages: u32,
    pub barns: u32,
    pub curings: u32,
    pub readings: u32,
    pub images: u32,
    /// The set of barns this account sees changed; the local copy was rebuilt.
    pub reset: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FanState {
    Off,
    Low,
    High,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HeatPumpState {
    Off,
    Heating,
    Defrost,
    Fault,
}

/// One controller sample.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BarnReading {
    pub at: SystemTime,
    pub dry_bulb_c: f64,
    pub wet_bulb_c: f64,
    pub dry_bulb_set_c: Option<f64>,
    pub wet_bulb_set_c: Option<f64>,
    /// The controller's active recipe step (zero-based), when it reports it.
    pub step: Option<u32>,
    pub heat_pump: HeatPumpState,
    pub fan: FanState,
    pub vent_pct: u8,
    pub mains_power: bool,
    pub door_open: bool,
}

impl From<api::Reading> for BarnReading {
    fn from(r: api::Reading) -> Self {
        BarnReading {
            at: r.at.into(),
            dry_bulb_c: r.dry_bulb_c,
            wet_bulb_c: r.wet_bulb_c,
            dry_bulb_set_c: r.dry_bulb_set_c,
            wet_bulb_set_c: r.wet_bulb_set_c,
            step: r.step,
            heat_pump: match r.heat_pump {
                api::HeatPump::Off => HeatPumpState::Off,
                api::HeatPump::Heating => HeatPumpState::Heating,
                api::HeatPump::Defrost => HeatPumpState::Defrost,
                api::HeatPump::Fault => HeatPumpState::Fault,
            },
            fan: match r.fan {
                api::Fan::Off => FanState::Off,
                api::Fan::Low => FanState::Low,
                api::Fan::High => FanState::High,
            },
            vent_pct: r.vent_pct,
            mains_power: r.mains_power,
            door_open: r.door_open,
        }
    }
}

/// A barn as the local store has it, with its newest reading.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BarnSummary {
    pub id: i64,
    pub name: String,
    pub village: String,
    pub owner_name: String,
    pub capacity_kg: u32,
    pub latest: Option<BarnReading>,
}

/// What a live watch reports.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum BarnWatchEvent {
    /// Connected; readings follow as they arrive.
    Live,
    Reading {
        reading: BarnReading,
    },
    /// The stream dropped; the watch reconnects by itself after `retry_in` and syncs the gap.
    Offline {
        retry_in: std::time::Duration,
        reason: String,
    },
    /// The watch stopped for good: closed by the app (`reason` is `None`), or the account
    /// or barn is gone (`needs_login` when the user must log in again).
    Ended {
        reason: Option<String>,
        needs_login: bool,
    },
}

/// Receives a watch's events, on a core thread.
#[uniffi::export(with_foreign)]
pub trait BarnWatchListener: Send + Sync {
    fn on_event(&self, event: BarnWatchEvent);
}

/// Stops a watch when stopped or released.
#[derive(Debug, uniffi::Object)]
pub struct BarnWatch {
    cancel: Arc<Cancel>,
}

#[uniffi::export]
impl BarnWatch {
    /// Stops watching; an `Ended` event with no reason follows. (Not `close`: the generated
    /// Kotlin class already has `close()` from `AutoCloseable`, which releases the handle.)
    pub fn stop(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

impl Drop for BarnWatch {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

#[derive(Debug, uniffi::Object)]
pub struct Barns {
    pub(crate) inner: Arc<core::Barns>,
    pub(crate) store: Arc<yannong_core::store::Store>,
    pub(crate) locale: yannong_core::text::Locale,
}

#[uniffi::export]
impl Yannong {
    /// Barn monitoring against the platform at `config.base_url`, keeping the token in
    /// `secure_store`. Nothing is sent until [`Barns::login`] or [`Barns::sync`].
    pub fn barns(
        &self,
        config: BarnPlatformConfig,
        secure_store: Arc<dyn SecureStore>,
    ) -> Result<Arc<Barns>, YannongError> {
        let inner = core::Barns::new(
            &ClientConfig {
                base_url: config.base_url,
                extra_roots_pem: config.extra_roots_pem,
            },
            self.store.clone(),
            Arc::new(ForeignSecrets(secure_store)),
        )?;
        Ok(Arc::new(Barns {
            inner: Arc::new(inner),
            store: self.store.clone(),
            locale: self.locale,
        }))
    }
}

#[uniffi::export]
impl Barns {
    /// Logs in with a phone number and password; the token goes to the secure store. Logging
    /// in as another account starts from an empty local copy.
    pub async fn login(
        &self,
        phone: String,
        password: String,
    ) -> Result<PlatformUser, YannongError> {
        let inner = self.inner.clone();
        on_runtime(async move { Ok(inner.login(&phone, &password).await?.into()) }).await
    }

    /// Logs out (on the platform too when reachable) and removes the local copy.
    pub async fn logout(&self) -> Result<(), YannongError> {
        let inner = self.inner.clone();
        on_runtime(async move { Ok(inner.logout().await?) }).await
    }

    /// Who is logged in and when the last sync finished. Local only.
    pub async fn session(&self) -> Result<Option<PlatformSession>, YannongError> {
        let inner = self.inner.clone();
        blocking(move |_| Ok(inner.session()?.map(Into::into))).await
    }

    /// Pulls everything that changed on the platform into the local store. Safe to cancel or
    /// to lose the network halfway: the next sync resumes where this one stopped.
    pub async fn sync(&self) -> Result<SyncSummary, YannongError> {
        let inner = self.inner.clone();
        on_runtime(async move {
            let cancel = Cancel::new(false);
            let r = inner.sync(&cancel).await?;
            Ok(SyncSummary {
                pages: r.pages,
                barns: r.barns,
                curings: r.curings,
                readings: r.readings,
                images: r.images,
                reset: r.reset,
            })
        })
        .await
    }

    /// The barns in the local store with their newest readings. Works offline.
    pub async fn barns(&self) -> Result<Vec<BarnSummary>, YannongError> {
        let store = self.store.clone();
        blocking(move |_| {
            Ok(store.read(|c| {
                local::barns(c)?
                    .into_iter()
                    .map(|b| {
                        let latest = local::latest_reading(c, b.id)?;
                        Ok(crate::barn_views::summary(b, latest))
                    })
                    .collect::<Result<Vec<_>, core::BarnError>>()
            })?)
        })
        .await
    }

    /// Watches one barn live. Events go to `listener` until the returned handle is stopped or
    /// released; the watch reconnects by itself when the network comes back.
    pub fn watch(&self, barn_id: i64, listener: Arc<dyn BarnWatchListener>) -> Arc<BarnWatch> {
        let cancel = Arc::new(Cancel::new(false));
        let inner = self.inner.clone();
        let flag = cancel.clone();
        runtime().spawn(async move {
            let l = listener.clone();
            let result = inner
                .watch(BarnId(barn_id), &flag, move |ev| {
                    l.on_event(match ev {
                        core::WatchEvent::Live => BarnWatchEvent::Live,
                        core::WatchEvent::Reading(r) => {
                            BarnWatchEvent::Reading { reading: r.into() }
                        }
                        core::WatchEvent::Offline { retry_in, reason } => {
                            BarnWatchEvent::Offline { retry_in, reason }
                        }
                    });
                })
                .await;
            let error = result.err().map(YannongError::from);
            listener.on_event(BarnWatchEvent::Ended {
                needs_login: matches!(error, Some(YannongError::Unauthorized { .. })),
                reason: error.map(|e| e.to_string()),
            });
        });
        Arc::new(BarnWatch { cancel })
    }
}
