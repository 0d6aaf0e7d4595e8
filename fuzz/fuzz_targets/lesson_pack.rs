//! The lesson-pack reader and verifier on hostile archives. The input is read twice: as a
//! whole `.ynpack` file, and framed (`yannong_fuzz::framed_pack`) as a manifest the trusted
//! key signs plus raw archive entries, which takes the fuzzer past the signature to the
//! entry checks. Either way `PackReader::read` returns a verified pack or a typed error and
//! never panics, and hands its sink only listed, plain, relative paths. A pack that verifies
//! is then installed for real into a library in a temp folder, each lesson rendered and
//! searched, and removed again: afterwards the temp folder holds exactly what it held before
//! (nothing written outside the library, nothing left behind, also when the install fails
//! after its files were moved into place), and nothing is installed.
//!
//! Known: such a failed install leaves its pack folder `<id>/`, empty, until the library next
//! opens and sweeps (fuzz/artifacts-found/README.md). The target allows exactly that, then
//! reopens the library and checks the sweep removed it.

#![no_main]

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, LazyLock};

use libfuzzer_sys::fuzz_target;
use yannong_core::lessons::{InstallOutcome, LessonLibrary, PackReader, PackSigner, TrustedKeys};
use yannong_core::store::Store;
use yannong_fuzz::{framed_pack, pack_signer, scratch, trusted_pack_keys};

struct Env {
    signer: PackSigner,
    keys: TrustedKeys,
    /// Holds the store's folder and the library's root, nothing else.
    scratch: PathBuf,
    store: Arc<Store>,
    library: LessonLibrary,
}

const DB_DIR: &str = "db";
const LIBRARY_DIR: &str = "lessons";

static ENV: LazyLock<Env> = LazyLock::new(|| {
    let scratch = scratch("lesson_pack");
    let store =
        Arc::new(Store::open_in_dir(&scratch.join(DB_DIR)).expect("a store in a temp folder"));
    let keys = trusted_pack_keys();
    let library = LessonLibrary::open(Arc::clone(&store), scratch.join(LIBRARY_DIR), keys.clone())
        .expect("a library in a temp folder");
    Env {
        signer: pack_signer(),
        keys,
        scratch,
        store,
        library,
    }
});

fuzz_target!(|data: &[u8]| {
    check(data);
    check(&framed_pack(data, &ENV.signer));
});

fn check(archive: &[u8]) {
    let env = &*ENV;
    let mut handed = HashSet::new();
    let read = PackReader::new(&env.keys).read(archive, |entry, data| {
        assert!(
            is_relative_inside(&entry.path),
            "sink got an unsafe path {:?}",
            entry.path
        );
        assert!(
            handed.insert(entry.path.clone()),
            "sink got {:?} twice",
            entry.path
        );
        assert_eq!(data.len() as u64, entry.size, "{}: size", entry.path);
        Ok(())
    });
    let pack = match read {
        Ok(pack) => pack,
        // Refused with a typed PackError: fine, whatever the reason.
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    for f in &pack.manifest.files {
        assert!(is_relative_inside(&f.path), "manifest lists {:?}", f.path);
        assert_eq!(
            handed.contains(&f.path),
            !f.optional,
            "{}: a required file not handed over, or an optional one handed over",
            f.path
        );
    }

    let lib = &env.library;
    let root = env.scratch.join(LIBRARY_DIR);
    match lib.install(archive, &AtomicBool::new(false)) {
        Ok(InstallOutcome::Installed { id, .. }) => {
            assert_eq!(id, pack.manifest.id);
            for lesson in &pack.manifest.lessons {
                let page = lib.lesson_page(&id, &lesson.id);
                assert!(page.is_ok(), "{}/{}: {page:?}", id, lesson.id);
                let hits = lib.search(&lesson.title.zh, 3);
                assert!(hits.is_ok(), "search {:?}: {hits:?}", lesson.title.zh);
            }
            lib.remove(&id).expect("an installed pack can be removed");
        }
        Ok(other) => panic!("nothing is installed between inputs, yet: {other:?}"),
        // Verified, yet not installable (a lesson that is not UTF-8, a file where another
        // needs a folder): a typed error, nothing of it live and nothing of it left.
        Err(e) => {
            let _ = e.to_string();
            // The known leftover (see the top of this file): an empty pack folder.
            let pack_dir = root.join(&pack.manifest.id);
            if pack_dir.is_dir() {
                assert_only(&pack_dir, &[]);
                LessonLibrary::open(Arc::clone(&env.store), root.clone(), env.keys.clone())
                    .expect("the library reopens");
            }
        }
    }
    assert!(lib.installed().expect("installed packs").is_empty());
    assert_only(&env.scratch, &[DB_DIR, LIBRARY_DIR]);
    assert_only(&root, &[".staging"]);
    assert_only(&root.join(".staging"), &[]);
}

fn is_relative_inside(path: &str) -> bool {
    let components: Vec<Component<'_>> = Path::new(path).components().collect();
    !components.is_empty() && components.iter().all(|c| matches!(c, Component::Normal(_)))
}

/// `dir` holds no entries but `allowed` (which may be absent).
fn assert_only(dir: &Path, allowed: &[&str]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        assert!(
            allowed.iter().any(|a| name == *a),
            "{} was left in {}",
            name.to_string_lossy(),
            dir.display()
        );
    }
}
