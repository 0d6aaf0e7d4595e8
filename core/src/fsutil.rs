//! Durable file writes shared by the lesson library and the picture cache: a file is either
//! absent or whole after a crash or a killed process.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

/// Writes `data` to `path` (creating parent folders) and syncs it to disk.
pub(crate) fn write_synced(path: &Path, data: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut f = File::create(path)?;
    f.write_all(data)?;
    f.sync_all()
}

/// Writes `data` beside `path` under a name no other writer uses (`<path>.<n>.tmp`), syncs
/// it, then renames it over `path`: concurrent writers of one path never see each other's
/// half-written file.
pub(crate) fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}-{n}.tmp", std::process::id()));
    let tmp = Path::new(&tmp);
    write_synced(tmp, data)?;
    fs::rename(tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(tmp);
    })?;
    if let Some(parent) = path.parent() {
        sync_dir(parent);
    }
    Ok(())
}

/// Makes a folder's entries (new files, renames) durable. Best effort: not every platform
/// lets a directory be opened for syncing, and the data files themselves are already synced.
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}
