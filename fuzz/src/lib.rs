//! What the fuzz targets (`fuzz_targets/`) and their seed generator (`examples/seeds.rs`)
//! share: the fixed keys the targets trust, the clock they pretend it is, the shapes push
//! channels hand payloads over in, and the framing of `lesson_pack`'s second reading of its
//! input. See docs/fuzzing.md.

use std::path::PathBuf;

use ed25519_dalek::SigningKey;
use serde_json::json;
use yannong_core::Timestamp;
use yannong_core::alarm::PushChannel;
use yannong_core::alarm::channel::EVENT_KEY;
use yannong_core::barn::api::UserId;
use yannong_core::lessons::{PackSigner, TrustedKeys};

/// Seed of the platform key whose alarm events the `push_payload` target trusts.
pub const ALARM_KEY_SEED: [u8; 32] = [0x41; 32];
/// Seed of a key the targets do not trust (forgeries).
pub const STRANGER_KEY_SEED: [u8; 32] = [0x58; 32];
/// Seed of the platform key whose lesson packs the `lesson_pack` target trusts.
pub const PACK_KEY_SEED: [u8; 32] = [0x50; 32];

/// The phone's clock in `push_payload` (2026-05-28): fixed, so a run is repeatable.
pub const NOW: Timestamp = Timestamp(1_780_000_000_000);
/// The account the seeds' events are for.
pub const ME: UserId = UserId(13);

pub fn alarm_key() -> SigningKey {
    SigningKey::from_bytes(&ALARM_KEY_SEED)
}

pub fn stranger_key() -> SigningKey {
    SigningKey::from_bytes(&STRANGER_KEY_SEED)
}

pub fn pack_signer() -> PackSigner {
    PackSigner::from_seed(PACK_KEY_SEED)
}

pub fn trusted_pack_keys() -> TrustedKeys {
    TrustedKeys::from_hex([pack_signer().public_key_hex().as_str()])
        .expect("a signer's public key parses")
}

/// What `channel`'s receiver hands the core when the platform sent `signed_json` (a
/// `SignedAlarmEvent` as compact JSON), following docs/push.md: the stream's SSE line is the
/// event itself; APNs' `userInfo` has the `aps` dictionary beside it; every other vendor's
/// data map (or data string, or notification extras) holds it as a string under `yn`.
pub fn push_shape(channel: PushChannel, signed_json: &str) -> Vec<u8> {
    let value = match channel {
        PushChannel::Stream => return signed_json.as_bytes().to_vec(),
        PushChannel::Apns => json!({
            "aps": {
                "alert": { "title": "【严重】1号烤房：循环风机停转", "body": "立即检查风机电源" },
                "sound": "default",
                "interruption-level": "critical",
                "mutable-content": 1,
            },
            EVENT_KEY: signed_json,
        }),
        PushChannel::Fcm
        | PushChannel::Hms
        | PushChannel::Honor
        | PushChannel::MiPush
        | PushChannel::Oppo
        | PushChannel::Vivo => json!({ EVENT_KEY: signed_json }),
    };
    value.to_string().into_bytes()
}

/// Separates the pieces of a framed `lesson_pack` input (see [`framed_pack`]).
pub const FRAME_SPLIT: &[u8] = b"\xffYN\xff";

/// The second reading of a `lesson_pack` input, which gets the fuzzer past the signature:
/// pieces separated by [`FRAME_SPLIT`]; the first is `manifest.json`, signed here with the
/// trusted key, and each further piece is one archive entry: its tar type byte (`b'0'` a
/// plain file), its raw name bytes up to the first `\n` (at most 100 used), then its data.
/// Headers get correct checksums, so the fuzzer spends its time on names, types and contents.
pub fn framed_pack(input: &[u8], signer: &PackSigner) -> Vec<u8> {
    let mut pieces = split(input, FRAME_SPLIT);
    let manifest = pieces.next().unwrap_or_default();
    let mut out = Vec::new();
    tar_entry(&mut out, b'0', b"manifest.json", manifest);
    tar_entry(&mut out, b'0', b"manifest.sig", &signer.sign(manifest));
    for piece in pieces {
        let (kind, rest) = piece.split_first().unwrap_or((&b'0', &[]));
        let (name, data) = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &[][..]),
        };
        tar_entry(&mut out, *kind, name, data);
    }
    // End of archive: two zero blocks.
    out.extend_from_slice(&[0; 1024]);
    out
}

/// The inverse of [`framed_pack`], for seeds: `(type, name, data)` entries after a manifest.
pub fn frame(manifest: &[u8], entries: &[(u8, &[u8], &[u8])]) -> Vec<u8> {
    let mut out = manifest.to_vec();
    for (kind, name, data) in entries {
        out.extend_from_slice(FRAME_SPLIT);
        out.push(*kind);
        out.extend_from_slice(name);
        out.push(b'\n');
        out.extend_from_slice(data);
    }
    out
}

fn split<'a>(input: &'a [u8], separator: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = Some(input);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.windows(separator.len()).position(|w| w == separator) {
            Some(i) => {
                rest = Some(&r[i + separator.len()..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// One ustar entry with raw name bytes (no checks: hostile names are the point).
fn tar_entry(out: &mut Vec<u8>, kind: u8, name: &[u8], data: &[u8]) {
    let mut header = tar::Header::new_ustar();
    let field = &mut header.as_old_mut().name;
    let n = name.len().min(field.len());
    field[..n].copy_from_slice(&name[..n]);
    header.set_mode(0o644);
    header.set_size(data.len() as u64);
    header.set_entry_type(tar::EntryType::new(kind));
    header.set_cksum();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().next_multiple_of(512), 0);
}

/// A new folder for this process's files under the temp folder (`cargo xtask fuzz` points
/// `TMPDIR` at a folder it deletes afterwards). Kept: libFuzzer exits without destructors.
pub fn scratch(target: &str) -> PathBuf {
    tempfile::Builder::new()
        .prefix(&format!("yannong-fuzz-{target}-"))
        .tempdir()
        .expect("a scratch folder under the temp folder")
        .keep()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_empty_pieces() {
        let pieces: Vec<&[u8]> = split(b"a--b----", b"--").collect();
        assert_eq!(pieces, [&b"a"[..], b"b", b"", b""]);
        assert_eq!(split(b"", b"--").count(), 1);
    }

    #[test]
    fn framed_pack_holds_the_entries_it_was_given_after_a_signed_manifest() {
        use std::io::Read;
        let input = frame(
            b"{}",
            &[(b'0', b"lessons/a.md", b"# a\n"), (b'2', b"../x", b"")],
        );
        let archive = framed_pack(&input, &pack_signer());
        let mut entries = Vec::new();
        for entry in tar::Archive::new(archive.as_slice()).entries().unwrap() {
            let mut entry = entry.unwrap();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            let kind = entry.header().entry_type().as_byte();
            entries.push((kind, entry.path_bytes().into_owned(), data));
        }
        let names: Vec<&[u8]> = entries.iter().map(|(_, n, _)| n.as_slice()).collect();
        assert_eq!(
            names,
            [
                &b"manifest.json"[..],
                b"manifest.sig",
                b"lessons/a.md",
                b"../x"
            ]
        );
        assert_eq!(
            entries[2],
            (b'0', b"lessons/a.md".to_vec(), b"# a\n".to_vec())
        );
        assert_eq!(entries[3].0, b'2');
        // The signature verifies: "{}" is refused as a manifest, not as a forgery.
        let read = yannong_core::lessons::PackReader::new(&trusted_pack_keys())
            .read(archive.as_slice(), |_, _| Ok(()));
        assert!(
            matches!(read, Err(yannong_core::lessons::PackError::Manifest(_))),
            "{read:?}"
        );
    }

    /// The pack seeds still verify (else regenerate them, see examples/seeds.rs), the framed
    /// one once the target has signed its manifest: they take the fuzzer to the installer.
    #[test]
    fn pack_seeds_verify() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/lesson_pack");
        let read = |archive: &[u8]| {
            yannong_core::lessons::PackReader::new(&trusted_pack_keys())
                .read(archive, |_, _| Ok(()))
                .map(|pack| pack.manifest.id)
        };
        let file = std::fs::read(dir.join("tiny.ynpack")).unwrap();
        assert_eq!(read(&file).unwrap(), "tiny");
        let framed = std::fs::read(dir.join("tiny.framed")).unwrap();
        assert_eq!(read(&framed_pack(&framed, &pack_signer())).unwrap(), "tiny");
    }
}
