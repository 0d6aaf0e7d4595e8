//! Lesson packs: building, verifying, refusing unsafe or tampered archives, and installing
//! atomically with rollback and removal.

#![allow(clippy::unwrap_used)] // test helpers may panic

use std::path::Path;
use std::sync::Arc;

use tempfile::TempDir;
use yannong_core::cancel::Cancel;
use yannong_core::lessons::*;
use yannong_core::store::Store;

const SEED: [u8; 32] = [7; 32];
const OTHER_SEED: [u8; 32] = [9; 32];

fn signer() -> PackSigner {
    PackSigner::from_seed(SEED)
}

fn trusted() -> TrustedKeys {
    TrustedKeys::from_hex([signer().public_key_hex().as_str()]).unwrap()
}

fn lesson(id: &str, title: &str, body: &str) -> String {
    format!(
        "+++\nid = \"{id}\"\ntitle = \"{title}\"\ntitle_en = \"{id}\"\ntags = [\"烘烤\"]\nalarms = [\"A01\"]\nminutes = 2\n+++\n{body}\n"
    )
}

/// A content folder with two lessons, an image and an optional video.
fn content(version: u32, yellowing_body: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    let p = dir.path();
    std::fs::write(
        p.join("pack.toml"),
        format!("id = \"test-pack\"\nversion = {version}\nlanguage = \"zh-Hans\"\ntitle = \"测试\"\ntitle_en = \"Test\"\n"),
    )
    .unwrap();
    std::fs::create_dir_all(p.join("lessons")).unwrap();
    std::fs::create_dir_all(p.join("images")).unwrap();
    std::fs::create_dir_all(p.join("media")).unwrap();
    std::fs::write(
        p.join("lessons/01-yellowing.md"),
        lesson("yellowing", "变黄期怎么烤", yellowing_body),
    )
    .unwrap();
    std::fs::write(
        p.join("lessons/02-fixing.md"),
        lesson("fixing", "定色期怎么烤", "# 定色期\n\n每 2–3 小时升 1 ℃。"),
    )
    .unwrap();
    std::fs::write(
        p.join("images/curve.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .unwrap();
    std::fs::write(p.join("media/intro.mp4"), vec![1u8; 1000]).unwrap();
    std::fs::write(p.join("README.md"), "not packed").unwrap();
    dir
}

fn build(version: u32) -> (Manifest, Vec<u8>) {
    let c = content(version, "# 变黄期\n\n35 ℃ 起烤。![曲线](images/curve.svg)");
    build_pack(c.path(), &signer()).unwrap()
}

fn read(archive: &[u8]) -> Result<VerifiedPack, PackError> {
    PackReader::new(&trusted()).read(archive, |_, _| Ok(()))
}

#[test]
fn builds_deterministically_and_verifies() {
    let (manifest, a) = build(1);
    let (_, b) = build(1);
    assert_eq!(a, b, "same input, same bytes");
    assert_eq!(manifest.lessons.len(), 2);
    assert_eq!(manifest.lessons[0].id, "yellowing");
    assert_eq!(manifest.lessons[0].links.alarms, ["A01"]);
    let paths: Vec<_> = manifest
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.optional))
        .collect();
    assert_eq!(
        paths,
        [
            ("images/curve.svg", false),
            ("lessons/01-yellowing.md", false),
            ("lessons/02-fixing.md", false),
            ("media/intro.mp4", true)
        ]
    );
    let mut got = Vec::new();
    let pack = PackReader::new(&trusted())
        .read(a.as_slice(), |f, data| {
            got.push((f.path.clone(), data.to_vec()));
            Ok(())
        })
        .unwrap();
    assert_eq!(pack.manifest, manifest);
    // Front matter is stripped from the packed Markdown; optional media are not in the archive.
    let yellowing = &got
        .iter()
        .find(|(p, _)| p == "lessons/01-yellowing.md")
        .unwrap()
        .1;
    assert!(String::from_utf8_lossy(yellowing).starts_with("# 变黄期"));
    assert!(!got.iter().any(|(p, _)| p.starts_with("media/")));
}

#[test]
fn untrusted_or_tampered_signatures_are_refused() {
    let (_, archive) = build(1);
    let other =
        TrustedKeys::from_hex([PackSigner::from_seed(OTHER_SEED).public_key_hex().as_str()])
            .unwrap();
    assert!(matches!(
        PackReader::new(&other).read(archive.as_slice(), |_, _| Ok(())),
        Err(PackError::UnknownKey(_))
    ));

    // Flip one byte inside the manifest text ("zh-Hans" → "zh-Hant").
    let at = find(&archive, b"zh-Hans") + 6;
    let mut tampered = archive.clone();
    tampered[at] = b't';
    assert!(
        matches!(read(&tampered), Err(PackError::BadSignature { .. })),
        "{:?}",
        read(&tampered)
    );
}

#[test]
fn a_changed_file_is_a_mismatch_and_nothing_reaches_the_sink_after_it() {
    let (_, archive) = build(1);
    let mut tampered = archive.clone();
    let at = find(&tampered, "35 ℃".as_bytes());
    tampered[at] = b'9';
    let err = read(&tampered).unwrap_err();
    assert!(
        matches!(&err, PackError::Mismatch { path, .. } if path == "lessons/01-yellowing.md"),
        "{err}"
    );
}

#[test]
fn truncated_archives_are_malformed() {
    let (_, archive) = build(1);
    for cut in [10, 600, archive.len() / 2, archive.len() - 1030] {
        let err = read(&archive[..cut]).unwrap_err();
        assert!(
            matches!(err, PackError::Malformed(_) | PackError::Missing(_)),
            "cut at {cut}: {err}"
        );
    }
}

/// Appends raw tar entries (bypassing the tar crate's own path checks) after the real ones.
fn with_extra_entries(archive: &[u8], extra: &[(&[u8], tar::EntryType, &[u8])]) -> Vec<u8> {
    // Drop the two zero blocks that end the archive, then add entries and end again.
    let mut out = archive[..archive.len() - 1024].to_vec();
    while out.ends_with(&[0u8; 512]) {
        out.truncate(out.len() - 512);
    }
    for (name, kind, data) in extra {
        let mut h = tar::Header::new_ustar();
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.set_size(data.len() as u64);
        h.set_entry_type(*kind);
        h.set_mode(0o644);
        if kind.is_symlink() {
            h.set_link_name("/etc/passwd").unwrap();
        }
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

#[test]
fn unsafe_entries_are_refused() {
    let (_, archive) = build(1);
    let cases: [(&[u8], tar::EntryType); 5] = [
        (b"../evil.md", tar::EntryType::Regular),
        (b"/etc/evil", tar::EntryType::Regular),
        (b"images/link.svg", tar::EntryType::Symlink),
        (b"images/dir", tar::EntryType::Directory),
        (b"images/a b.svg", tar::EntryType::Regular),
    ];
    for (name, kind) in cases {
        let bad = with_extra_entries(&archive, &[(name, kind, b"x")]);
        let err = read(&bad).unwrap_err();
        assert!(
            matches!(err, PackError::UnsafeEntry { .. }),
            "{}: {err}",
            String::from_utf8_lossy(name)
        );
    }
}

#[test]
fn unlisted_and_duplicate_entries_are_refused() {
    let (manifest, archive) = build(1);
    let extra = with_extra_entries(
        &archive,
        &[(b"images/extra.svg", tar::EntryType::Regular, b"<svg/>")],
    );
    assert!(matches!(read(&extra), Err(PackError::Unlisted(p)) if p == "images/extra.svg"));
    let svg = manifest.file("images/curve.svg").unwrap();
    let body = b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
    assert_eq!(svg.size, body.len() as u64);
    let dup = with_extra_entries(
        &archive,
        &[(b"images/curve.svg", tar::EntryType::Regular, body)],
    );
    assert!(matches!(read(&dup), Err(PackError::Duplicate(p)) if p == "images/curve.svg"));
}

#[test]
fn manifest_limits_and_paths_are_checked() {
    let (mut m, _) = build(1);
    m.files[0].size = 10 * 1024 * 1024 * 1024;
    assert!(matches!(m.validate(), Err(PackError::TooLarge { .. })));
    let (mut m, _) = build(1);
    m.files[0].path = "images/../../x".into();
    assert!(matches!(m.validate(), Err(PackError::UnsafeEntry { .. })));
    let (mut m, _) = build(1);
    m.files[1].path = "IMAGES/CURVE.SVG".into();
    assert!(
        matches!(m.validate(), Err(PackError::Duplicate(_))),
        "case-insensitive file systems"
    );
    let (mut m, _) = build(1);
    m.lessons[0].links.diseases = vec!["dragon_pox".into()];
    assert!(matches!(m.validate(), Err(PackError::Manifest(_))));
    let (mut m, _) = build(1);
    m.lessons[0].file = "media/intro.mp4".into();
    assert!(
        matches!(m.validate(), Err(PackError::Manifest(_))),
        "a lesson must be a required file"
    );
}

// ---- installing ----

struct Env {
    _dir: TempDir,
    store: Arc<Store>,
    root: std::path::PathBuf,
}

fn env() -> Env {
    let dir = TempDir::new().unwrap();
    let store = Arc::new(Store::open_in_dir(dir.path()).unwrap());
    let root = dir.path().join("lessons");
    Env {
        _dir: dir,
        store,
        root,
    }
}

impl Env {
    fn library(&self) -> LessonLibrary {
        LessonLibrary::open(Arc::clone(&self.store), self.root.clone(), trusted()).unwrap()
    }
}

fn no_cancel() -> Cancel {
    Cancel::new(false)
}

fn build_with(version: u32, body: &str) -> Vec<u8> {
    build_pack(content(version, body).path(), &signer())
        .unwrap()
        .1
}

/// Top-level folders of the library and the version folders inside each pack folder.
fn dirs(root: &Path) -> Vec<String> {
    let names = |dir: &Path| -> Vec<String> {
        let mut out: Vec<String> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.flatten()
                    .filter(|e| e.path().is_dir())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    };
    let mut out = Vec::new();
    for top in names(root) {
        let sub = if top == ".staging" {
            Vec::new()
        } else {
            names(&root.join(&top))
        };
        out.push(top.clone());
        out.extend(sub.into_iter().map(|v| format!("{top}/{v}")));
    }
    out
}

#[test]
fn install_update_rollback_remove() {
    let env = env();
    let lib = env.library();
    let v1 = build_with(1, "# 变黄期 第一版");
    let v2 = build_with(2, "# 变黄期 第二版");
    assert_eq!(
        lib.install(v1.as_slice(), &no_cancel()).unwrap(),
        InstallOutcome::Installed {
            id: "test-pack".into(),
            version: 1
        }
    );
    assert!(
        lib.lesson_markdown("test-pack", "yellowing")
            .unwrap()
            .contains("第一版")
    );
    assert_eq!(
        lib.install(v1.as_slice(), &no_cancel()).unwrap(),
        InstallOutcome::AlreadyInstalled {
            id: "test-pack".into(),
            version: 1
        }
    );
    lib.install(v2.as_slice(), &no_cancel()).unwrap();
    let installed = lib.installed().unwrap();
    assert_eq!(installed.len(), 1);
    assert_eq!(
        (
            installed[0].version,
            installed[0].previous_version,
            installed[0].lessons
        ),
        (2, Some(1), 2)
    );
    assert!(
        lib.lesson_markdown("test-pack", "yellowing")
            .unwrap()
            .contains("第二版")
    );
    assert!(matches!(
        lib.install(v1.as_slice(), &no_cancel()),
        Err(LibraryError::Downgrade {
            installed: 2,
            offered: 1,
            ..
        })
    ));

    assert_eq!(lib.rollback("test-pack").unwrap(), 1);
    assert!(
        lib.lesson_markdown("test-pack", "yellowing")
            .unwrap()
            .contains("第一版")
    );
    assert!(matches!(
        lib.rollback("test-pack"),
        Err(LibraryError::NoPrevious(_))
    ));
    assert_eq!(dirs(&env.root), [".staging", "test-pack", "test-pack/v1"]);

    lib.remove("test-pack").unwrap();
    assert!(lib.installed().unwrap().is_empty());
    assert!(
        !env.root.join("test-pack").exists(),
        "removal frees the space"
    );
    assert!(matches!(
        lib.remove("test-pack"),
        Err(LibraryError::NotInstalled(_))
    ));
}

#[test]
fn a_bad_update_leaves_the_old_version_working_and_no_leftovers() {
    let env = env();
    let lib = env.library();
    lib.install(build_with(1, "# 第一版").as_slice(), &no_cancel())
        .unwrap();
    let mut v2 = build_with(2, "# 第二版 被改过");
    let at = find(&v2, "被改过".as_bytes());
    v2[at] = b'X';
    assert!(matches!(
        lib.install(v2.as_slice(), &no_cancel()),
        Err(LibraryError::Pack(PackError::Mismatch { .. }))
    ));
    assert!(matches!(
        lib.install(&v2[..v2.len() / 2], &no_cancel()),
        Err(LibraryError::Pack(_))
    ));
    assert!(
        lib.lesson_markdown("test-pack", "yellowing")
            .unwrap()
            .contains("第一版")
    );
    assert_eq!(dirs(&env.root), [".staging", "test-pack", "test-pack/v1"]);
    assert_eq!(
        std::fs::read_dir(env.root.join(".staging"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn cancelling_an_install_changes_nothing() {
    let env = env();
    let lib = env.library();
    let cancel = Cancel::new(true);
    assert!(matches!(
        lib.install(build_with(1, "x").as_slice(), &cancel),
        Err(LibraryError::Cancelled)
    ));
    assert!(lib.installed().unwrap().is_empty());
}

#[test]
fn leftovers_of_a_killed_install_are_swept_on_open() {
    let env = env();
    env.library()
        .install(build_with(1, "# 第一版").as_slice(), &no_cancel())
        .unwrap();
    // A kill mid-staging, and a kill after the rename but before the switch:
    std::fs::create_dir_all(env.root.join(".staging/999-0/lessons")).unwrap();
    std::fs::create_dir_all(env.root.join("test-pack/v2/lessons")).unwrap();
    std::fs::create_dir_all(env.root.join("never-switched/v1")).unwrap();
    let lib = env.library();
    assert_eq!(dirs(&env.root), [".staging", "test-pack", "test-pack/v1"]);
    assert_eq!(
        std::fs::read_dir(env.root.join(".staging"))
            .unwrap()
            .count(),
        0
    );
    assert!(
        lib.lesson_markdown("test-pack", "yellowing")
            .unwrap()
            .contains("第一版")
    );
}

#[test]
fn a_file_damaged_on_disk_is_reported_not_shown() {
    let env = env();
    let lib = env.library();
    lib.install(build_with(1, "# 第一版").as_slice(), &no_cancel())
        .unwrap();
    std::fs::write(
        env.root.join("test-pack/v1/lessons/01-yellowing.md"),
        "# 坏了",
    )
    .unwrap();
    assert!(matches!(
        lib.lesson_markdown("test-pack", "yellowing"),
        Err(LibraryError::Damaged(_))
    ));
    assert!(matches!(
        lib.lesson_markdown("test-pack", "nope"),
        Err(LibraryError::NoLesson { .. })
    ));
    assert!(
        lib.file("test-pack", "images/curve.svg")
            .unwrap()
            .starts_with(b"<svg")
    );

    // A damaged picture leaves its description; the rest of the lesson still shows.
    lib.install(
        build_with(2, "# 第二版 ![曲线](images/curve.svg)").as_slice(),
        &no_cancel(),
    )
    .unwrap();
    let page = lib.lesson_page("test-pack", "yellowing").unwrap();
    assert!(
        page.contains("<img src=\"data:image/svg+xml;base64,"),
        "{page}"
    );
    std::fs::write(
        env.root.join("test-pack/v2/images/curve.svg"),
        "<svg>evil</svg>",
    )
    .unwrap();
    let page = lib.lesson_page("test-pack", "yellowing").unwrap();
    assert!(!page.contains("<img"), "{page}");
    assert!(page.contains("第二版") && page.contains("曲线"), "{page}");
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("needle in archive")
}

#[test]
fn links_progress_and_continue_reading() {
    let env = env();
    let lib = env.library();
    lib.install(build_with(1, "# 变黄期").as_slice(), &no_cancel())
        .unwrap();
    let all = lib.lessons().unwrap();
    assert_eq!(
        all.iter().map(|l| l.lesson_id.as_str()).collect::<Vec<_>>(),
        ["yellowing", "fixing"]
    );
    assert!(all.iter().all(|l| l.progress.is_none()));

    let for_alarm = lib.lessons_for(LinkKind::Alarm, "A01").unwrap();
    assert_eq!(for_alarm.len(), 2);
    assert!(lib.lessons_for(LinkKind::Alarm, "A09").unwrap().is_empty());
    assert!(
        lib.lessons_for(LinkKind::Disease, "A01")
            .unwrap()
            .is_empty(),
        "kinds are separate"
    );

    assert!(lib.continue_reading().unwrap().is_none());
    lib.record_progress("test-pack", "yellowing", 0.4, false)
        .unwrap();
    let next = lib.continue_reading().unwrap().unwrap();
    assert_eq!(next.lesson_id, "yellowing");
    assert_eq!(next.progress.unwrap().position, 0.4);

    lib.record_progress("test-pack", "yellowing", 7.0, true)
        .unwrap();
    // Finished lessons are not offered again; a later partial read does not un-finish one.
    assert!(lib.continue_reading().unwrap().is_none());
    lib.record_progress("test-pack", "yellowing", 0.1, false)
        .unwrap();
    let p = lib.lessons().unwrap()[0].progress.unwrap();
    assert!(p.completed);
    assert_eq!(p.position, 0.1);
    assert!(matches!(
        lib.record_progress("test-pack", "nope", 0.5, false),
        Err(LibraryError::NoLesson { .. })
    ));

    // Progress survives an update of the pack.
    lib.install(build_with(2, "# 变黄期 新版").as_slice(), &no_cancel())
        .unwrap();
    assert!(lib.lessons().unwrap()[0].progress.unwrap().completed);
}

#[test]
fn the_default_pack_builds_installs_and_links_every_alarm() {
    let env = env();
    let lib = env.library();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../content/default");
    let (manifest, archive) = build_pack(Path::new(dir), &signer()).unwrap();
    assert!(manifest.lessons.len() >= 25);
    lib.install(archive.as_slice(), &no_cancel()).unwrap();
    for n in 1..=20 {
        let id = format!("A{n:02}");
        assert!(
            !lib.lessons_for(LinkKind::Alarm, &id).unwrap().is_empty(),
            "no lesson for {id}"
        );
    }
    for class in ["unripe", "under_ripe", "ripe", "over_ripe", "false_ripe"] {
        assert!(
            !lib.lessons_for(LinkKind::LeafClass, class)
                .unwrap()
                .is_empty(),
            "{class}"
        );
    }
    let mut pictures = 0;
    for l in &manifest.lessons {
        let page = lib.lesson_page(&manifest.id, &l.id).unwrap();
        assert!(page.contains("<h1>"), "{} renders a heading", l.id);
        assert!(!page.contains("<script"), "{}", l.id);
        pictures += page
            .matches("<img src=\"data:image/svg+xml;base64,")
            .count();
    }
    assert!(
        pictures >= 8,
        "the pack's diagrams are embedded ({pictures})"
    );
}

#[test]
fn two_libraries_on_one_folder_take_turns() {
    let env = env();
    let (a, b) = (Arc::new(env.library()), Arc::new(env.library()));
    let (v1, v2) = (build_with(1, "# 第一版"), build_with(2, "# 第二版"));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let lib = Arc::clone(if i % 2 == 0 { &a } else { &b });
            let pack = if i % 3 == 0 { v1.clone() } else { v2.clone() };
            std::thread::spawn(move || {
                // Downgrades may be refused; anything else must succeed.
                match lib.install(pack.as_slice(), &no_cancel()) {
                    Ok(_) | Err(LibraryError::Downgrade { .. }) => {}
                    Err(e) => panic!("install failed: {e}"),
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let live = a.installed().unwrap()[0].version;
    assert_eq!(live, 2);
    assert!(
        b.lesson_markdown("test-pack", "yellowing")
            .unwrap()
            .contains("第二版")
    );
    assert_eq!(
        std::fs::read_dir(env.root.join(".staging"))
            .unwrap()
            .count(),
        0
    );
}
