//! One file of a pack version, appended to its partial copy from where that stops, retried
//! with backoff when the connection drops, checked against the manifest when complete.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::progress::{DownloadPhase, SharedMeter};
use super::{DownloadError, DownloadOptions};
use crate::barn::Backoff;
use crate::barn::BarnError;
use crate::barn::client::PlatformClient;
use crate::cancel::{Cancel, cancelled, sleep_or_cancel, wait_cancel};
use crate::lessons::error::PackError;
use crate::lessons::manifest::FileEntry;

/// How one attempt ended, when not with the whole file.
enum Stop {
    /// Worth another try (dropped connection, 5xx, a bad range answer); `progressed`: bytes
    /// arrived before it stopped, so the retry budget starts afresh.
    Retry {
        error: BarnError,
        progressed: bool,
    },
    Fail(DownloadError),
}

impl From<std::io::Error> for Stop {
    fn from(e: std::io::Error) -> Self {
        Stop::Fail(PackError::io("download", e).into())
    }
}

/// Fetches `f` from `url` into `to` (resuming a partial copy) and returns the bytes that
/// came over the network.
pub(crate) async fn file(
    client: &PlatformClient,
    options: &DownloadOptions,
    url: &str,
    to: &Path,
    f: &FileEntry,
    meter: &SharedMeter<'_, '_>,
    cancel: &Cancel,
) -> Result<u64, DownloadError> {
    let mut backoff = Backoff::starting_at(options.first_retry);
    let (mut attempt, mut received, mut refetched) = (0, 0, false);
    loop {
        if cancelled(cancel) {
            return Err(DownloadError::Cancelled);
        }
        match once(client, url, to, f, meter, cancel, &mut received).await {
            Ok(()) => {}
            Err(Stop::Fail(e)) => return Err(e),
            Err(Stop::Retry { error, progressed }) => {
                if progressed {
                    attempt = 0;
                    backoff.reset();
                }
                attempt += 1;
                if attempt >= options.attempts {
                    return Err(error.into());
                }
                let wait = match &error {
                    BarnError::RateLimited { retry_after_s } => {
                        std::time::Duration::from_secs(u64::from(*retry_after_s))
                    }
                    _ => backoff.next_delay(),
                };
                tracing::info!(url, attempt, ?wait, error = %error, "lesson download retrying");
                meter.with(|m| m.phase(DownloadPhase::Retrying { attempt, wait }));
                if sleep_or_cancel(wait, cancel).await {
                    return Err(DownloadError::Cancelled);
                }
                meter.with(|m| m.phase(DownloadPhase::Downloading));
                continue;
            }
        }
        // Whole: does it hash to the manifest's? A copy damaged on disk is fetched once more;
        // a platform serving other bytes than it signed is refused.
        if sha256_of(to)? == f.sha256 {
            return Ok(received);
        }
        let _ = fs::remove_file(to);
        meter.with(|m| m.take_back(f.size));
        if refetched {
            return Err(PackError::Mismatch {
                path: f.path.clone(),
                reason: "SHA-256 differs from the signed manifest".into(),
            }
            .into());
        }
        refetched = true;
    }
}

/// One request: from the partial copy's end to the file's end.
async fn once(
    client: &PlatformClient,
    url: &str,
    to: &Path,
    f: &FileEntry,
    meter: &SharedMeter<'_, '_>,
    cancel: &Cancel,
    received: &mut u64,
) -> Result<(), Stop> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut out = OpenOptions::new().create(true).append(true).open(to)?;
    let mut have = out.metadata()?.len();
    if have > f.size {
        // Longer than the signed size: not this file's bytes.
        out.set_len(0)?;
        meter.with(|m| m.take_back(f.size));
        have = 0;
    }
    if have == f.size {
        return Ok(());
    }
    let body = match client.lesson_file_from(url, have).await {
        Ok(b) => b,
        Err(e) => return Err(classify(e, false)),
    };
    if body.offset != have {
        // The platform sent the whole file: start the copy over.
        out.set_len(0)?;
        meter.with(|m| m.take_back(have));
        have = 0;
    }
    let mut res = body.response;
    let mut progressed = false;
    loop {
        let chunk = tokio::select! {
            c = res.chunk() => c,
            () = wait_cancel(cancel) => {
                out.flush()?;
                return Err(Stop::Fail(DownloadError::Cancelled));
            }
        };
        let chunk = match chunk {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => return Err(classify(e.into(), progressed)),
        };
        let n = chunk.len() as u64;
        if have + n > f.size {
            drop(out);
            let _ = fs::remove_file(to);
            meter.with(|m| m.take_back(have));
            return Err(Stop::Fail(
                PackError::Mismatch {
                    path: f.path.clone(),
                    reason: format!("the platform sent more than the signed {} bytes", f.size),
                }
                .into(),
            ));
        }
        // Small appends to the page cache: not worth a blocking-pool hop per chunk.
        out.write_all(&chunk)?;
        have += n;
        *received += n;
        progressed = true;
        meter.with(|m| m.add(n));
    }
    if have < f.size {
        return Err(Stop::Retry {
            error: BarnError::Network(format!(
                "{url}: the connection ended at byte {have} of {}",
                f.size
            )),
            progressed,
        });
    }
    out.sync_all()?;
    Ok(())
}

/// Network trouble and the platform's temporary refusals are retried; anything else
/// (404: the version is gone, 401, …) ends the download.
fn classify(e: BarnError, progressed: bool) -> Stop {
    let retry = match &e {
        BarnError::Network(_) | BarnError::Decode(_) | BarnError::RateLimited { .. } => true,
        BarnError::Rejected { status, .. } => *status >= 500,
        _ => false,
    };
    if retry {
        Stop::Retry {
            error: e,
            progressed,
        }
    } else {
        Stop::Fail(e.into())
    }
}

fn sha256_of(path: &Path) -> Result<String, DownloadError> {
    let io = |e| DownloadError::from(PackError::io(path.display(), e));
    let mut file = File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}
