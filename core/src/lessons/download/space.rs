//! Free space where the library lives, checked before a download starts so a full phone gets
//! a clear "needs N MB" instead of a half-written pack.

use std::path::Path;

/// Bytes an unprivileged app may still write on the file system holding `path`; `None` when
/// the platform cannot say (then the download goes ahead and a full disk is an I/O error).
pub(crate) fn available(path: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        let s = rustix::fs::statvfs(path).ok()?;
        Some(s.f_bavail.saturating_mul(s.f_frsize))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_temp_folder_has_some_space() {
        let dir = tempfile::tempdir().unwrap();
        let free = super::available(dir.path()).unwrap();
        assert!(free > 0);
        assert_eq!(super::available(&dir.path().join("missing")), None);
    }
}
