//! Writes the seed corpora in `fuzz/corpus/<target>/`: small real inputs the fuzzer starts
//! from. Run after a format change (docs/fuzzing.md):
//!
//! ```text
//! cargo run --manifest-path fuzz/Cargo.toml --target-dir target/fuzz/seeds --example seeds
//! ```

#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};

use yannong_core::alarm::PushChannel;
use yannong_core::barn::api::{
    Alarm, AlarmEvent, AlarmEventKind, AlarmId, BarnId, CuringId, Severity, SignedAlarmEvent,
};
use yannong_core::lessons::{FileEntry, PackReader, build_pack};
use yannong_core::{Text, Timestamp};
use yannong_fuzz::{
    ME, NOW, alarm_key, frame, pack_signer, push_shape, stranger_key, trusted_pack_keys,
};

fn main() {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    push_payload(&fuzz.join("corpus/push_payload"));
    lessons(&fuzz, &fuzz.join("../content/default"));
}

fn push_payload(dir: &Path) {
    let event = AlarmEvent {
        recipient: ME,
        seq: 7,
        kind: AlarmEventKind::Raised,
        alarm: Alarm {
            id: AlarmId(42),
            barn_id: BarnId(1),
            curing_id: Some(CuringId(3)),
            rule: "A05".into(),
            rules_version: 1,
            severity: Severity::Critical,
            title: Text::new("循环风机停转", "Circulation fan stopped"),
            action: Text::new(
                "立即检查风机电源和皮带",
                "Check the fan's power and belt now",
            ),
            raised_at: Timestamp(NOW.0 - 120_000),
            updated_at: Timestamp(NOW.0 - 120_000),
            cleared_at: None,
            acked_at: None,
            acked_by: None,
        },
        issued_at: Timestamp(NOW.0 - 60_000),
    };
    let signed = |event: &AlarmEvent, key: &ed25519_dalek::SigningKey| {
        serde_json::to_string(&SignedAlarmEvent::seal(event, key)).expect("serialises")
    };
    let json = signed(&event, &alarm_key());
    // One file per shape, named after the channels that hand it over.
    let mut shapes: Vec<(Vec<u8>, Vec<&str>)> = Vec::new();
    for ch in PushChannel::ALL {
        let raw = push_shape(ch, &json);
        match shapes.iter_mut().find(|(r, _)| *r == raw) {
            Some((_, names)) => names.push(ch.as_str()),
            None => shapes.push((raw, vec![ch.as_str()])),
        }
    }
    for (raw, names) in shapes {
        write(&dir.join(format!("{}.json", names.join("-"))), &raw);
    }
    let mut cleared = event.clone();
    cleared.seq = 8;
    cleared.kind = AlarmEventKind::Cleared;
    cleared.alarm.cleared_at = Some(Timestamp(NOW.0 - 1_000));
    write(
        &dir.join("fcm-cleared.json"),
        &push_shape(PushChannel::Fcm, &signed(&cleared, &alarm_key())),
    );
    // The hint vendors carry when the event does not fit (OPPO and vivo: 1000 bytes).
    write(&dir.join("oppo-hint.json"), br#"{"yn_seq":"42"}"#);
    write(&dir.join("vivo-hint.json"), br#"{"yn_seq":42}"#);
    write(
        &dir.join("stream-forged.json"),
        signed(&event, &stranger_key()).as_bytes(),
    );
}

fn lessons(fuzz: &Path, default_content: &Path) {
    let signer = pack_signer();
    // The default pack's manifest, as the platform signs it.
    let (manifest, _) = build_pack(default_content, &signer).expect("the default pack builds");
    write(
        &fuzz.join("corpus/lesson_manifest/default.json"),
        &manifest.to_json(),
    );

    // A tiny pack: one lesson with a picture and an optional video.
    let content = tempfile::tempdir().expect("a temp folder");
    let c = content.path();
    let put = |rel: &str, text: &str| {
        let path = c.join(rel);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    put(
        "pack.toml",
        "id = \"tiny\"\nversion = 1\nlanguage = \"zh-Hans\"\ntitle = \"小\"\ntitle_en = \"Tiny\"\n",
    );
    put(
        "lessons/01-yellowing.md",
        "+++\nid = \"yellowing\"\ntitle = \"变黄期怎么烤\"\ntitle_en = \"Yellowing\"\n\
         tags = [\"变黄\", \"烘烤\"]\nleaf_classes = [\"ripe\"]\nalarms = [\"A05\"]\nminutes = 2\n+++\n\
         # 变黄期\n\n干球 **38 ℃**，湿球 36 ℃。\n\n![曲线](images/curve.svg)\n\n| 阶段 | ℃ |\n|---|---|\n| 变黄 | 38 |\n",
    );
    put(
        "images/curve.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 4 4\"><path d=\"M0 4L4 0\"/></svg>",
    );
    put("media/intro.mp4", "not really a video");
    let (tiny, archive) = build_pack(c, &signer).expect("the tiny pack builds");
    assert!(tiny.file("media/intro.mp4").is_some_and(|f| f.optional));
    PackReader::new(&trusted_pack_keys())
        .read(archive.as_slice(), |_, _| Ok(()))
        .expect("the tiny pack verifies with the key the target trusts");
    write(&fuzz.join("corpus/lesson_pack/tiny.ynpack"), &archive);
    write(
        &fuzz.join("corpus/lesson_manifest/tiny.json"),
        &tiny.to_json(),
    );

    // The same pack framed (the target signs the manifest itself), and framed with hostile
    // entries for the fuzzer to start from: a link, a folder, a path out of the pack.
    let files: Vec<(&FileEntry, Vec<u8>)> = tiny
        .files
        .iter()
        .filter(|f| !f.optional)
        .map(|f| {
            let data = read_back(&archive, &f.path);
            (f, data)
        })
        .collect();
    let entries: Vec<(u8, &[u8], &[u8])> = files
        .iter()
        .map(|(f, data)| (b'0', f.path.as_bytes(), data.as_slice()))
        .collect();
    let manifest = tiny.to_json();
    write(
        &fuzz.join("corpus/lesson_pack/tiny.framed"),
        &frame(&manifest, &entries),
    );
    let mut hostile = entries.clone();
    hostile.push((b'2', b"images/link.svg", b""));
    hostile.push((b'5', b"images/", b""));
    hostile.push((b'0', b"../escape.md", b"x"));
    write(
        &fuzz.join("corpus/lesson_pack/hostile.framed"),
        &frame(&manifest, &hostile),
    );
}

/// A file's bytes from a pack archive.
fn read_back(archive: &[u8], path: &str) -> Vec<u8> {
    let mut found = None;
    PackReader::new(&trusted_pack_keys())
        .read(archive, |entry, data| {
            if entry.path == path {
                found = Some(data.to_vec());
            }
            Ok(())
        })
        .expect("verifies");
    found.expect("the file is in the pack")
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
    println!("{} ({} bytes)", path.display(), bytes.len());
}
