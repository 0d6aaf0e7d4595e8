//! Killing the app in the middle of installs: afterwards the live pack is the old or the new
//! version, whole (every file verifies), and nothing half-written is left behind.
//!
//! The parent test re-runs this test binary as a child that installs and rolls back in a
//! loop, kills it with SIGKILL at varying moments, and inspects what is on disk.

#![allow(clippy::unwrap_used)] // test helpers may panic

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use yannong_core::cancel::Cancel;
use yannong_core::lessons::{LessonLibrary, PackSigner, TrustedKeys, build_pack};
use yannong_core::store::Store;

const CHILD_ENV: &str = "YANNONG_KILL_TEST_DIR";
const SEED: [u8; 32] = [11; 32];

fn keys() -> TrustedKeys {
    TrustedKeys::from_hex([PackSigner::from_seed(SEED).public_key_hex().as_str()]).unwrap()
}

fn library(dir: &Path) -> LessonLibrary {
    let store = Arc::new(Store::open_in_dir(dir).unwrap());
    LessonLibrary::open(store, dir.join("lessons"), keys()).unwrap()
}

/// The default pack as version `v`, every lesson stamped with its version.
fn pack(v: u32, out: &Path) -> PathBuf {
    let content = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/default");
    for sub in ["lessons", "images"] {
        std::fs::create_dir_all(content.path().join(sub)).unwrap();
        for e in std::fs::read_dir(src.join(sub)).unwrap().flatten() {
            let mut data = std::fs::read(e.path()).unwrap();
            if sub == "lessons" {
                data.extend_from_slice(format!("\n版本标记 v{v}\n").as_bytes());
            }
            std::fs::write(content.path().join(sub).join(e.file_name()), data).unwrap();
        }
    }
    let toml = std::fs::read_to_string(src.join("pack.toml")).unwrap();
    std::fs::write(
        content.path().join("pack.toml"),
        toml.replace("version = 1", &format!("version = {v}")),
    )
    .unwrap();
    let (_, archive) = build_pack(content.path(), &PackSigner::from_seed(SEED)).unwrap();
    let path = out.join(format!("v{v}.ynpack"));
    std::fs::write(&path, archive).unwrap();
    path
}

/// Run only as the child of `kill_during_install_leaves_a_whole_version`.
#[test]
#[ignore = "child process of kill_during_install_leaves_a_whole_version"]
fn child_installs_until_killed() {
    let dir = PathBuf::from(std::env::var(CHILD_ENV).expect("started by the parent test"));
    let lib = library(&dir);
    let v2 = std::fs::read(dir.join("v2.ynpack")).unwrap();
    loop {
        lib.install(v2.as_slice(), &Cancel::new(false)).unwrap();
        lib.rollback("yannong-default").unwrap();
    }
}

#[test]
fn kill_during_install_leaves_a_whole_version() {
    let dir = tempfile::tempdir().unwrap();
    pack(2, dir.path());
    let v1 = std::fs::read(pack(1, dir.path())).unwrap();
    library(dir.path())
        .install(v1.as_slice(), &Cancel::new(false))
        .unwrap();

    let mut seen = [false; 3];
    // Keep killing, later and later, until both sides of the switch were seen (bounded).
    for round in 0..40u64 {
        if round >= 12 && seen[1] && seen[2] {
            break;
        }
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_installs_until_killed",
                "--ignored",
                "--nocapture",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(40 + (round % 12) * 23 + round * 5));
        child.kill().unwrap(); // SIGKILL: no destructors, no flushing
        child.wait().unwrap();

        let lib = library(dir.path());
        let packs = lib.installed().unwrap();
        assert_eq!(packs.len(), 1, "round {round}");
        let live = packs[0].version;
        assert!(live == 1 || live == 2, "round {round}: v{live}");
        seen[live as usize] = true;
        for l in lib.lessons().unwrap() {
            let text = lib.lesson_markdown(&l.pack_id, &l.lesson_id).unwrap();
            assert!(
                text.ends_with(&format!("版本标记 v{live}\n")),
                "round {round}: {} is from another version",
                l.lesson_id
            );
        }
        let staging = dir.path().join("lessons/.staging");
        assert_eq!(
            std::fs::read_dir(&staging).map(|d| d.count()).unwrap_or(0),
            0,
            "round {round}"
        );
        let versions: Vec<String> = std::fs::read_dir(dir.path().join("lessons/yannong-default"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            versions.iter().all(|v| v == "v1" || v == "v2"),
            "round {round}: {versions:?}"
        );
    }
    // Kills must have landed on both sides of the switch, or the test proved little.
    assert!(seen[1] && seen[2], "only saw versions {seen:?}");
}
