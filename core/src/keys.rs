//! Naming of the platform's Ed25519 public keys, shared by lesson packs and alarm events.

use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha256};

/// Short, stable name of a public key: the first 8 bytes of its SHA-256, in hex.
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}
