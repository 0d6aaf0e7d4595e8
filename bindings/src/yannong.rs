//! The app's entry object: owns the store; every capability hangs off it.

use std::path::PathBuf;
use std::sync::Arc;

use yannong_core::store::Store;
use yannong_core::text::Locale;

use crate::YannongError;
use crate::runtime::blocking;

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct YannongConfig {
    /// The app's private data directory (Android `Context.filesDir`, iOS Application Support).
    pub data_dir: String,
    /// BCP-47 tag of the user's language, e.g. "zh-CN" or "en"; anything not English reads Chinese.
    pub locale: String,
}

#[derive(Debug, uniffi::Object)]
pub struct Yannong {
    pub(crate) store: Arc<Store>,
    pub(crate) locale: Locale,
}

#[uniffi::export]
impl Yannong {
    /// Opens (creating if needed) the app's database in `config.data_dir`, migrating it to the
    /// current schema. Runs off the caller's thread.
    #[uniffi::constructor]
    pub async fn open(config: YannongConfig) -> Result<Arc<Yannong>, YannongError> {
        if config.data_dir.trim().is_empty() {
            return Err(YannongError::InvalidInput {
                detail: "data_dir must name the app's data directory".to_owned(),
                field: Some("data_dir".to_owned()),
                step: None,
            });
        }
        let locale = Locale::from_tag(&config.locale);
        let dir = PathBuf::from(config.data_dir);
        let store = blocking(move |_| Ok(Store::open_in_dir(&dir)?)).await?;
        tracing::info!(locale = ?locale, "Yannong opened");
        Ok(Arc::new(Yannong {
            store: Arc::new(store),
            locale,
        }))
    }

    /// Path of the database file, for support screens.
    pub fn database_path(&self) -> String {
        self.store.path().display().to_string()
    }

    /// Closes the database's connections, releasing its file locks; the next call that needs
    /// the database opens it again. For an app that shares the database with another process
    /// (an iOS app and its notification extension in an app group container: iOS ends a
    /// suspended app that holds a lock there). Waits for reads and writes in progress; runs
    /// off the caller's thread.
    pub async fn close_database(&self) -> Result<(), YannongError> {
        let store = Arc::clone(&self.store);
        blocking(move |_| Ok(store.close()?)).await
    }
}
