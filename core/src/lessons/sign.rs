//! Ed25519 signatures over the manifest bytes. The platform signs; the app ships the public
//! keys it trusts and verifies before it reads anything else in a pack.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::error::PackError;

/// The signature file stored next to the manifest.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureFile {
    key_id: String,
    ed25519: String,
}

pub use crate::keys::key_id;
use crate::keys::public_key_from_hex;

/// Signs manifests with a platform key.
pub struct PackSigner {
    key: SigningKey,
}

impl std::fmt::Debug for PackSigner {
    // Never print the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PackSigner(key {})", key_id(&self.key.verifying_key()))
    }
}

impl PackSigner {
    /// From a 32-byte secret seed written as 64 hex digits (surrounding whitespace ignored).
    pub fn from_seed_hex(text: &str) -> Result<PackSigner, PackError> {
        let mut seed = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut seed).map_err(|_| {
            PackError::Content(
                "the signing key must be 64 hex digits (a 32-byte Ed25519 seed)".into(),
            )
        })?;
        Ok(PackSigner {
            key: SigningKey::from_bytes(&seed),
        })
    }

    pub fn from_seed(seed: [u8; 32]) -> PackSigner {
        PackSigner {
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// The public key to ship in the app, as 64 hex digits.
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }

    /// The contents of `manifest.sig` for these manifest bytes.
    pub fn sign(&self, manifest: &[u8]) -> Vec<u8> {
        let file = SignatureFile {
            key_id: key_id(&self.key.verifying_key()),
            ed25519: hex::encode(self.key.sign(manifest).to_bytes()),
        };
        let mut out = serde_json::to_vec_pretty(&file)
            .unwrap_or_else(|e| unreachable!("signature files always serialise: {e}"));
        out.push(b'\n');
        out
    }
}

/// The public keys an app accepts packs from.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys(Vec<VerifyingKey>);

impl TrustedKeys {
    /// From public keys written as 64 hex digits each.
    pub fn from_hex<'a>(keys: impl IntoIterator<Item = &'a str>) -> Result<TrustedKeys, PackError> {
        keys.into_iter()
            .map(|k| {
                public_key_from_hex(k).ok_or_else(|| {
                    PackError::Content(format!("`{k}` is not an Ed25519 public key"))
                })
            })
            .collect::<Result<_, _>>()
            .map(TrustedKeys)
    }

    /// Checks `signature` (a `manifest.sig` file) over `manifest` with a trusted key.
    pub fn verify(&self, manifest: &[u8], signature: &[u8]) -> Result<(), PackError> {
        let file: SignatureFile = serde_json::from_slice(signature)
            .map_err(|e| PackError::Malformed(format!("manifest.sig: {e}")))?;
        let key = self
            .0
            .iter()
            .find(|k| key_id(k) == file.key_id)
            .ok_or_else(|| PackError::UnknownKey(file.key_id.clone()))?;
        let mut bytes = [0u8; 64];
        hex::decode_to_slice(&file.ed25519, &mut bytes).map_err(|_| PackError::BadSignature {
            key_id: file.key_id.clone(),
        })?;
        // verify_strict rejects the malleable and small-order forms plain verify lets through.
        key.verify_strict(manifest, &Signature::from_bytes(&bytes))
            .map_err(|_| PackError::BadSignature {
                key_id: file.key_id,
            })
    }
}
