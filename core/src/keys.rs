//! Naming of the platform's Ed25519 public keys, shared by lesson packs and alarm events.

use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha256};

/// Short, stable name of a public key: the first 8 bytes of its SHA-256, in hex.
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

pub use ed25519_dalek::VerifyingKey as PublicKey;

/// A public key written as 64 hex digits (surrounding whitespace ignored).
pub fn public_key_from_hex(text: &str) -> Option<VerifyingKey> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut bytes).ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}
