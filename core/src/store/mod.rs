//! The app's one SQLite database: WAL, foreign keys, busy timeout, one writer connection and a
//! small pool of read-only connections, versioned migrations.

mod connection;
mod error;
pub mod migrations;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, Transaction};

pub use error::StoreError;
pub use migrations::Schema;

/// File name of the database inside the app's data directory.
pub const DB_FILE_NAME: &str = "yannong.db";

/// Readers kept open; phones have few cores and WAL readers are cheap.
const READERS: usize = 2;

/// Handle to the database. `Send + Sync`; share it behind an `Arc`.
///
/// A connection slot is empty after [`Store::close`] and is filled again by the next
/// [`Store::read`] or [`Store::write`] that needs it.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    writer: Mutex<Option<Connection>>,
    readers: Vec<Mutex<Option<Connection>>>,
}

impl Store {
    /// Opens (creating if needed) `yannong.db` in `dir` and migrates it to the current schema.
    pub fn open_in_dir(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        Store::open(&dir.join(DB_FILE_NAME))
    }

    /// Opens the database file at `path` and migrates it to the current schema. A database
    /// written by a newer app version is refused with [`StoreError::TooNew`], untouched.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with_schema(path, &migrations::APP, READERS)
    }

    /// Opens a database of another schema (the platform's) with `readers` read connections.
    pub fn open_with_schema(
        path: &Path,
        schema: &Schema,
        readers: usize,
    ) -> Result<Store, StoreError> {
        let mut writer = connection::open_writer(path)?;
        schema.migrate_to_latest(&mut writer)?;
        let readers = (0..readers.max(1))
            .map(|_| connection::open_reader(path).map(|c| Mutex::new(Some(c))))
            .collect::<Result<Vec<_>, _>>()?;
        tracing::debug!(path = %path.display(), "store opened");
        Ok(Store {
            path: path.to_path_buf(),
            writer: Mutex::new(Some(writer)),
            readers,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in one write transaction, committed only if `f` succeeds.
    pub fn write<T, E>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut slot = lock(&self.writer);
        let conn = reopened(&mut slot, || connection::open_writer(&self.path))?;
        let tx = conn.transaction().map_err(StoreError::from)?;
        let value = f(&tx)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(value)
    }

    /// Runs `f` on a read-only connection; concurrent with the writer thanks to WAL.
    pub fn read<T, E>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error>,
    {
        let mut slot = self
            .readers
            .iter()
            .find_map(|r| r.try_lock().ok())
            .unwrap_or_else(|| lock(&self.readers[0]));
        let conn = reopened(&mut slot, || connection::open_reader(&self.path))?;
        f(conn)
    }

    /// Closes every connection, which releases the database's file locks; the next read or
    /// write opens what it needs again. Waits for reads and writes in progress.
    ///
    /// For a database shared with another process: iOS ends an app that is suspended while
    /// it holds a lock on a file in an app group container (`0xdead10cc`), so an app sharing
    /// the database with its notification extension closes it before it is suspended. The
    /// writer closes last, so SQLite checkpoints the WAL into the database and removes it.
    pub fn close(&self) -> Result<(), StoreError> {
        for slot in self.readers.iter().chain([&self.writer]) {
            let mut slot = lock(slot);
            if let Some(conn) = slot.take()
                && let Err((conn, e)) = conn.close()
            {
                *slot = Some(conn);
                return Err(e.into());
            }
        }
        tracing::debug!(path = %self.path.display(), "store closed");
        Ok(())
    }

    /// The schema version the database is at (always the latest once opened).
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        self.read(migrations::schema_version)
    }
}

/// The slot's connection, opened again with `open` if [`Store::close`] emptied the slot.
fn reopened<E>(
    slot: &mut Option<Connection>,
    open: impl FnOnce() -> Result<Connection, E>,
) -> Result<&mut Connection, E> {
    match slot {
        Some(conn) => Ok(conn),
        None => Ok(slot.insert(open()?)),
    }
}

/// A poisoned lock only means another thread panicked mid-call; SQLite rolled back whatever it
/// was doing, so the connection is still sound.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests;
