//! Which push vendors the platform sends through, with their endpoints and credentials. Read
//! from a JSON file (`--push-config`); a vendor left out is simply not used. Endpoints are
//! configurable so tests (and a vendor's sandbox) can stand in for the real servers.

use std::path::Path;

use serde::Deserialize;

/// A credential: readable by the code that needs it, never printed.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushConfig {
    pub fcm: Option<Fcm>,
    pub hms: Option<Hms>,
    pub honor: Option<Honor>,
    pub mipush: Option<MiPush>,
    pub oppo: Option<Oppo>,
    pub vivo: Option<Vivo>,
    pub apns: Option<Apns>,
}

/// FCM HTTP v1 with a service account (OAuth 2.0 JWT bearer grant).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fcm {
    #[serde(default = "fcm_endpoint")]
    pub endpoint: String,
    pub project_id: String,
    pub client_email: String,
    /// The service account's RSA private key, PEM.
    pub private_key: Secret,
    #[serde(default = "google_token_uri")]
    pub token_uri: String,
}

/// Huawei Push Kit (client-credentials OAuth).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hms {
    #[serde(default = "hms_endpoint")]
    pub endpoint: String,
    #[serde(default = "hms_token_uri")]
    pub token_uri: String,
    pub app_id: String,
    pub client_secret: Secret,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Honor {
    #[serde(default = "honor_endpoint")]
    pub endpoint: String,
    #[serde(default = "honor_token_uri")]
    pub token_uri: String,
    pub app_id: String,
    pub client_id: String,
    pub client_secret: Secret,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MiPush {
    #[serde(default = "mipush_endpoint")]
    pub endpoint: String,
    pub app_secret: Secret,
    pub package_name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Oppo {
    #[serde(default = "oppo_endpoint")]
    pub endpoint: String,
    pub app_key: String,
    pub master_secret: Secret,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vivo {
    #[serde(default = "vivo_endpoint")]
    pub endpoint: String,
    pub app_id: String,
    pub app_key: String,
    pub app_secret: Secret,
}

/// APNs with a token-based (.p8) provider key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Apns {
    #[serde(default = "apns_endpoint")]
    pub endpoint: String,
    pub team_id: String,
    pub key_id: String,
    /// The .p8 key's PEM (PKCS#8 P-256).
    pub private_key: Secret,
    /// The app's bundle id.
    pub topic: String,
}

fn fcm_endpoint() -> String {
    "https://fcm.googleapis.com".into()
}
fn google_token_uri() -> String {
    "https://oauth2.googleapis.com/token".into()
}
fn hms_endpoint() -> String {
    "https://push-api.cloud.huawei.com".into()
}
fn hms_token_uri() -> String {
    "https://oauth-login.cloud.huawei.com/oauth2/v3/token".into()
}
fn honor_endpoint() -> String {
    "https://push-api.cloud.honor.com".into()
}
fn honor_token_uri() -> String {
    "https://iam.developer.honor.com/auth/token".into()
}
fn mipush_endpoint() -> String {
    "https://api.xmpush.xiaomi.com".into()
}
fn oppo_endpoint() -> String {
    "https://api.push.oppomobile.com".into()
}
fn vivo_endpoint() -> String {
    "https://api-push.vivo.com.cn".into()
}
fn apns_endpoint() -> String {
    "https://api.push.apple.com".into()
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("push config {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("push config: {0}")]
    Parse(#[from] serde_json::Error),
}

impl PushConfig {
    pub fn load(path: &Path) -> Result<PushConfig, ConfigError> {
        let text = std::fs::read(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Ok(serde_json::from_slice(&text)?)
    }

    pub fn parse(json: &str) -> Result<PushConfig, ConfigError> {
        Ok(serde_json::from_str(json)?)
    }
}
