//! Arbitrary bytes never crash the pack reader or the manifest parser: they are refused with a
//! typed error (the property-test stand-in for a fuzz target on stable Rust).

use std::sync::LazyLock;

use proptest::prelude::*;
use yannong_core::lessons::{Manifest, PackReader, PackSigner, TrustedKeys, build_pack};

static PACK: LazyLock<(TrustedKeys, Vec<u8>)> = LazyLock::new(|| {
    let signer = PackSigner::from_seed([5; 32]);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../content/default");
    let (_, archive) = build_pack(std::path::Path::new(dir), &signer).expect("default pack builds");
    let keys = TrustedKeys::from_hex([signer.public_key_hex().as_str()]).expect("key");
    (keys, archive)
});

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let (keys, _) = &*PACK;
        prop_assert!(PackReader::new(keys).read(bytes.as_slice(), |_, _| Ok(())).is_err());
        let _ = Manifest::from_json(&bytes);
    }

    /// Any single corrupted byte of a real pack, or any truncation, is refused or (if the byte
    /// was padding nobody reads) accepted unchanged; it never panics or yields other content.
    #[test]
    fn corrupted_real_packs_never_pass_altered(at in 0usize..1_000_000, xor in 1u8..=255, cut in 0usize..1_000_000) {
        let (keys, archive) = &*PACK;
        let mut bad = archive.clone();
        let i = at % bad.len();
        bad[i] ^= xor;
        let mut files = Vec::new();
        if let Ok(_pack) = PackReader::new(keys).read(bad.as_slice(), |f, d| { files.push((f.path.clone(), d.to_vec())); Ok(()) }) {
            // Accepted: the flipped byte was tar padding, and every file is exactly the original.
            let mut original = Vec::new();
            PackReader::new(keys).read(archive.as_slice(), |f, d| { original.push((f.path.clone(), d.to_vec())); Ok(()) }).unwrap();
            prop_assert_eq!(files, original);
        }
        let cut = cut % archive.len();
        let truncated = PackReader::new(keys).read(&archive[..cut], |_, _| Ok(()));
        prop_assert!(truncated.is_err() || cut >= archive.len() - 1024);
    }
}
