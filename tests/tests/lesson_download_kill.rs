//! The phone app is killed (SIGKILL) in the middle of a lesson pack download, three times at
//! growing points, then once as it installs. After every kill the library holds no pack or
//! the whole pack, never part of one, and what was fetched is kept: the restarted app's
//! download resumes from it and installs the pack whole.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;

use yannong_core::cancel::Cancel;
use yannong_core::lessons::download::DownloadPhase;
use yannong_core::lessons::{InstallOutcome, LessonLibrary};
use yannong_e2e::lesson_pack::{
    PACK, PICTURE_BYTES, content, downloader, downloads_dir, library, platform, quick_retries,
};
use yannong_e2e::proxy::FlakyProxy;

/// Set by the parent in the phone process it starts.
const CHILD_DIR: &str = "YANNONG_LESSON_KILL_DIR";
const CHILD_URL: &str = "YANNONG_LESSON_KILL_URL";

/// Not a test by itself: the phone process the parent starts and kills. It prints each
/// progress report as `progress <phase> <bytes done> <bytes total>`.
#[test]
#[allow(clippy::print_stdout)]
fn phone_process() {
    let (Ok(dir), Ok(url)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_URL)) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let lib = library(Path::new(&dir));
        let mut report = |p: &yannong_core::lessons::download::DownloadProgress| {
            let phase = match p.phase {
                DownloadPhase::Installing => "installing",
                DownloadPhase::Done => "done",
                _ => "fetching",
            };
            println!("progress {phase} {} {}", p.bytes_done, p.bytes_total);
        };
        downloader(url, quick_retries())
            .download(&lib, PACK, &mut report, &Cancel::new(false))
            .await
            .unwrap();
    });
}

/// Starts the phone and kills it (SIGKILL: nothing is flushed or rolled back) at the first
/// report that `kill_at` accepts; returns that report, or `None` if it finished first.
fn run_and_kill(
    dir: &Path,
    url: &str,
    kill_at: impl Fn(&str, u64, u64) -> bool,
) -> Option<(u64, u64)> {
    let mut child: Child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "phone_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir)
        .env(CHILD_URL, url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    for line in out.lines() {
        let line = line.unwrap();
        let Some(report) = line.strip_prefix("progress ") else {
            continue; // the test harness's own lines
        };
        let mut words = report.split(' ');
        let (Some(phase), Some(done), Some(total)) = (words.next(), words.next(), words.next())
        else {
            continue;
        };
        let (done, total) = (done.parse().unwrap(), total.parse().unwrap());
        if kill_at(phase, done, total) {
            child.kill().unwrap();
            child.wait().unwrap();
            return Some((done, total));
        }
    }
    child.wait().unwrap();
    None
}

/// No pack, or the whole pack: every file of an installed version verifies.
fn whole_or_nothing(lib: &LessonLibrary, picture: &[u8]) -> bool {
    let installed = lib.installed().unwrap();
    if installed.is_empty() {
        return false;
    }
    assert_eq!(installed[0].id, PACK);
    assert_eq!(lib.file(PACK, "images/field.png").unwrap(), picture);
    for l in lib.lessons().unwrap() {
        lib.lesson_markdown(PACK, &l.lesson_id).unwrap();
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_killed_again_and_again_resumes_and_installs_whole() {
    let (p, _shelf) = platform().await;
    let proxy = FlakyProxy::start(p.addr).await;
    // ~0.6 MB at 512 KB/s: a second or so to kill into.
    proxy.rate.store(512 * 1024, Ordering::Relaxed);
    let phone = tempfile::tempdir().unwrap();
    let picture = content(tempfile::tempdir().unwrap().path(), 1, "");

    let mut last = 0;
    for fraction in [0.2, 0.45, 0.7] {
        let url = proxy.url();
        let killed = run_and_kill(phone.path(), &url, |phase, done, total| {
            phase == "fetching" && total > 0 && done as f64 >= fraction * total as f64
        });
        let (done, total) = killed.expect("killed before the end");
        assert!(
            done >= last,
            "a restarted download starts from what it had: {done} < {last}"
        );
        assert!(done < total);
        last = done;
        let lib = library(phone.path());
        assert!(
            !whole_or_nothing(&lib, &picture),
            "nothing installed mid-download"
        );
        assert!(
            downloads_dir(phone.path())
                .join(format!("{PACK}-v1"))
                .exists()
        );
    }

    // Killed as it installs (on loopback at full speed): either way, whole or nothing.
    proxy.rate.store(0, Ordering::Relaxed);
    run_and_kill(phone.path(), &proxy.url(), |phase, _, _| {
        phase == "installing"
    });
    let lib = library(phone.path());
    let installed = whole_or_nothing(&lib, &picture);

    // The restarted app finishes (or finds it finished) without fetching what it had.
    let report = downloader(p.url(), quick_retries())
        .download(&lib, PACK, &mut |_| {}, &Cancel::new(false))
        .await
        .unwrap();
    if installed {
        assert!(matches!(
            report.outcome,
            InstallOutcome::AlreadyInstalled { .. }
        ));
    } else {
        assert!(matches!(report.outcome, InstallOutcome::Installed { .. }));
        assert_eq!(
            report.fetched_bytes, 0,
            "everything was on the phone: {report:?}"
        );
        assert!(report.resumed_bytes > PICTURE_BYTES as u64);
    }
    assert!(whole_or_nothing(&lib, &picture));
    assert!(
        !downloads_dir(phone.path())
            .join(format!("{PACK}-v1"))
            .exists()
    );
}
