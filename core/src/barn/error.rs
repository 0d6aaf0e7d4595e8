//! What can go wrong talking to the barn platform, in terms a screen can act on.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum BarnError {
    /// Plain HTTP to anything but this device: refused, tokens would travel in clear text.
    #[error("refusing {url}: the platform must be reached over https (http only on loopback)")]
    Insecure { url: String },
    #[error("invalid platform address {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    /// No network, DNS, timeout, TLS (including a certificate that does not verify).
    #[error("network: {0}")]
    Network(String),
    /// No login on this device.
    #[error("not logged in")]
    NotLoggedIn,
    /// The platform refused the credentials or the token (expired, revoked): log in again.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("{0}")]
    NotFound(String),
    /// Too many attempts (failed logins); the platform takes none before `retry_after_s`.
    #[error("too many attempts: try again in {retry_after_s} s")]
    RateLimited { retry_after_s: u32 },
    /// Any other refusal, with the platform's machine code and message.
    #[error("platform answered {status} ({code}): {message}")]
    Rejected {
        status: u16,
        code: String,
        message: String,
    },
    /// The answer was not what the API promises (garbage JSON, ragged reading blocks).
    #[error("unreadable answer from the platform: {0}")]
    Decode(String),
    /// Downloaded bytes do not match their announced checksum.
    #[error("integrity: {0}")]
    Integrity(String),
    #[error("secure storage: {0}")]
    Secrets(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cancelled")]
    Cancelled,
}

impl From<rusqlite::Error> for BarnError {
    fn from(e: rusqlite::Error) -> BarnError {
        BarnError::Store(e.into())
    }
}

impl From<reqwest::Error> for BarnError {
    /// reqwest's message plus its causes (the TLS reason is in a cause); URLs carry no secrets
    /// here since tokens travel in headers.
    fn from(e: reqwest::Error) -> BarnError {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        BarnError::Network(message)
    }
}
