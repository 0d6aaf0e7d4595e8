//! The one error type Kotlin and Swift see. Every core error is mapped here, in one place, to a
//! variant a UI can act on; the detail is in the user's language.

use yannong_core::barn::BarnError;
use yannong_core::curing::RecipeError;
use yannong_core::lessons::{LibraryError, PackError};
use yannong_core::store::StoreError;
use yannong_core::text::Locale;

/// `Display` is exported so Swift's `localizedDescription` and Kotlin's `toString()` show the
/// user-facing detail rather than a dump of the enum.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum YannongError {
    /// The caller sent something unusable; `field` (and `step`, zero-based) say where.
    #[error("{detail}")]
    InvalidInput {
        detail: String,
        field: Option<String>,
        step: Option<u32>,
    },
    #[error("{detail}")]
    NotFound { detail: String },
    /// The platform could not be reached (no signal, timeout, TLS); retry later. What was
    /// synced before is still there to show.
    #[error("{detail}")]
    Network { detail: String },
    /// Not logged in, or the platform refused the login or the token: ask the user to log in.
    #[error("{detail}")]
    Unauthorized { detail: String },
    /// The local database or disk failed; `disk_full` asks the user to free space.
    #[error("{detail}")]
    Storage { detail: String, disk_full: bool },
    /// Stored or received data failed a check (corrupt file, bad signature).
    #[error("{detail}")]
    Integrity { detail: String },
    /// The call was cancelled before it finished.
    #[error("cancelled")]
    Cancelled,
    /// A bug in the core; the detail is for the bug report.
    #[error("{detail}")]
    Internal { detail: String },
}

impl YannongError {
    pub(crate) fn from_recipe(e: RecipeError, locale: Locale) -> YannongError {
        let reason = e.reason().map(|t| t.get(locale).to_owned());
        match e {
            RecipeError::Step {
                index, code, field, ..
            } => YannongError::InvalidInput {
                detail: match locale {
                    Locale::Zh => format!(
                        "第 {} 步（{code}）{field}：{}",
                        index + 1,
                        reason.unwrap_or_default()
                    ),
                    Locale::En => format!(
                        "step {} ({code}), {field}: {}",
                        index + 1,
                        reason.unwrap_or_default()
                    ),
                },
                field: Some(field.to_owned()),
                step: u32::try_from(index).ok(),
            },
            RecipeError::Field { field, .. } => YannongError::InvalidInput {
                detail: format!("{field}: {}", reason.unwrap_or_default()),
                field: Some(field.to_owned()),
                step: None,
            },
            RecipeError::Advances(_) => YannongError::InvalidInput {
                detail: reason.unwrap_or_default(),
                field: Some("step_advances".to_owned()),
                step: None,
            },
            e @ (RecipeError::Json { .. } | RecipeError::TooLarge { .. }) => {
                YannongError::InvalidInput {
                    detail: e.to_string(),
                    field: None,
                    step: None,
                }
            }
            e @ RecipeError::BuiltIn(_) => YannongError::InvalidInput {
                detail: e.to_string(),
                field: Some("id".to_owned()),
                step: None,
            },
            e @ RecipeError::NotFound(_) => YannongError::NotFound {
                detail: e.to_string(),
            },
            RecipeError::Cancelled => YannongError::Cancelled,
            RecipeError::Store(s) => s.into(),
        }
    }
}

impl YannongError {
    pub(crate) fn from_library(e: LibraryError, locale: Locale) -> YannongError {
        let detail = e.to_string();
        match e {
            LibraryError::Pack(PackError::Manifest(reason)) => YannongError::Integrity {
                detail: reason.get(locale).to_owned(),
            },
            LibraryError::Pack(PackError::Io { .. }) | LibraryError::Io { .. } => {
                YannongError::Storage {
                    detail,
                    disk_full: false,
                }
            }
            // Bad keys configured by the app are the caller's input, not the pack's fault.
            LibraryError::Pack(PackError::Content(_)) => YannongError::InvalidInput {
                detail,
                field: Some("trusted_keys".to_owned()),
                step: None,
            },
            LibraryError::Pack(_) | LibraryError::Damaged(_) => YannongError::Integrity { detail },
            LibraryError::Store(s) => s.into(),
            LibraryError::NotInstalled(_)
            | LibraryError::NoLesson { .. }
            | LibraryError::NoPrevious(_) => YannongError::NotFound { detail },
            LibraryError::Downgrade { .. } => YannongError::InvalidInput {
                detail,
                field: Some("version".to_owned()),
                step: None,
            },
            LibraryError::Cancelled => YannongError::Cancelled,
        }
    }
}

impl From<StoreError> for YannongError {
    fn from(e: StoreError) -> YannongError {
        match e {
            StoreError::Corrupt(_) => YannongError::Integrity {
                detail: e.to_string(),
            },
            e => YannongError::Storage {
                disk_full: e.is_disk_full(),
                detail: e.to_string(),
            },
        }
    }
}

impl From<BarnError> for YannongError {
    fn from(e: BarnError) -> YannongError {
        let detail = e.to_string();
        match e {
            BarnError::Network(_) => YannongError::Network { detail },
            BarnError::NotLoggedIn | BarnError::Unauthorized(_) => {
                YannongError::Unauthorized { detail }
            }
            BarnError::NotFound(_) => YannongError::NotFound { detail },
            // Only logins are throttled: the login screen shows when to try again. No variant
            // of its own, so the Kotlin and Swift wrappers' exhaustive matches stay valid.
            BarnError::RateLimited { retry_after_s } => {
                let minutes = retry_after_s.div_ceil(60).max(1);
                YannongError::Unauthorized {
                    detail: format!(
                        "登录失败次数过多，请 {minutes} 分钟后再试 \
                         (too many failed logins: try again in {minutes} min)"
                    ),
                }
            }
            BarnError::Insecure { .. } | BarnError::BadUrl { .. } => YannongError::InvalidInput {
                detail,
                field: Some("base_url".to_owned()),
                step: None,
            },
            // The platform refused a well-formed call: report it as the network layer's problem
            // for 5xx (retry later) and as invalid input for 4xx.
            BarnError::Rejected { status, .. } if status >= 500 => YannongError::Network { detail },
            BarnError::Rejected { .. } => YannongError::InvalidInput {
                detail,
                field: None,
                step: None,
            },
            BarnError::Decode(_) | BarnError::Integrity(_) => YannongError::Integrity { detail },
            BarnError::Secrets(_) => YannongError::Storage {
                detail,
                disk_full: false,
            },
            BarnError::Store(s) => s.into(),
            BarnError::Cancelled => YannongError::Cancelled,
        }
    }
}

/// A foreign callback (secure store, listener) threw something it should not have.
impl From<uniffi::UnexpectedUniFFICallbackError> for YannongError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> YannongError {
        YannongError::Internal {
            detail: format!("app callback failed: {}", e.reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_lockout_says_how_long_to_wait() {
        let e = YannongError::from(BarnError::RateLimited { retry_after_s: 61 });
        assert!(
            matches!(&e, YannongError::Unauthorized { detail } if detail.contains("2 分钟")),
            "{e}"
        );
    }
}
