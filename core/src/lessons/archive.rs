//! The pack archive: an uncompressed ustar file holding `manifest.json`, `manifest.sig` and
//! then every listed file. Uncompressed on purpose: images and media are compressed already,
//! and with no decompression there is no decompression bomb; sizes are capped by the signed
//! manifest instead. Deterministic: same manifest and files → same bytes.

use std::collections::HashSet;
use std::io::{self, Read};

use sha2::{Digest, Sha256};

use super::error::PackError;
use super::manifest::{
    FileEntry, MANIFEST_PATH, MAX_MANIFEST_BYTES, Manifest, SIGNATURE_PATH, check_path,
};
use super::sign::TrustedKeys;

const MAX_SIGNATURE_BYTES: u64 = 4096;

/// Writes a pack archive. `files` must be the manifest's files, in manifest order.
pub fn write_archive(
    manifest: &[u8],
    signature: &[u8],
    files: &[(&FileEntry, &[u8])],
) -> Result<Vec<u8>, PackError> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut add = |path: &str, data: &[u8]| {
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, path, data)
            .map_err(|e| PackError::io(path, e))
    };
    add(MANIFEST_PATH, manifest)?;
    add(SIGNATURE_PATH, signature)?;
    for (entry, data) in files {
        add(&entry.path, data)?;
    }
    builder
        .into_inner()
        .map_err(|e| PackError::io("archive", e))
}

/// A pack whose signature verified and whose files all matched the manifest.
#[derive(Debug, Clone)]
pub struct VerifiedPack {
    pub manifest: Manifest,
    /// The exact signed bytes, kept so the installed pack can be re-verified.
    pub manifest_bytes: Vec<u8>,
    pub signature: Vec<u8>,
}

/// Reads a pack archive entry by entry, verifying as it goes. File contents are handed to a
/// sink (a staging folder, memory) only after their path and size were checked; the sink's
/// work must be thrown away unless [`PackReader::read`] returns `Ok`.
#[derive(Debug)]
pub struct PackReader<'k> {
    keys: &'k TrustedKeys,
}

impl<'k> PackReader<'k> {
    pub fn new(keys: &'k TrustedKeys) -> Self {
        PackReader { keys }
    }

    /// Verifies the archive in `input`; `sink(entry, bytes)` receives every file's bytes
    /// (already checked against the manifest's size and hash).
    pub fn read(
        &self,
        input: impl Read,
        mut sink: impl FnMut(&FileEntry, &[u8]) -> Result<(), PackError>,
    ) -> Result<VerifiedPack, PackError> {
        let mut archive = tar::Archive::new(input);
        let mut entries = archive.entries().map_err(malformed)?;
        let mut next = |expected: &str, limit: u64| -> Result<Vec<u8>, PackError> {
            let mut entry = entries
                .next()
                .ok_or_else(|| PackError::Malformed(format!("no {expected}")))?
                .map_err(malformed)?;
            let path = entry_path(&entry)?;
            if path != expected {
                return Err(PackError::Malformed(format!(
                    "expected {expected} first, found `{path}`"
                )));
            }
            read_entry(&mut entry, &path, limit)
        };
        let manifest_bytes = next(MANIFEST_PATH, MAX_MANIFEST_BYTES)?;
        let signature = next(SIGNATURE_PATH, MAX_SIGNATURE_BYTES)?;
        // Nothing else is read before the signature checks out.
        self.keys.verify(&manifest_bytes, &signature)?;
        let manifest = Manifest::from_json(&manifest_bytes)?;

        let mut seen = HashSet::new();
        for entry in entries {
            let mut entry = entry.map_err(malformed)?;
            let path = entry_path(&entry)?;
            let listed = manifest
                .file(&path)
                .ok_or_else(|| PackError::Unlisted(path.clone()))?;
            if !seen.insert(path.clone()) {
                return Err(PackError::Duplicate(path));
            }
            if entry.size() != listed.size {
                return Err(PackError::Mismatch {
                    path,
                    reason: format!("{} bytes, manifest says {}", entry.size(), listed.size),
                });
            }
            let data = read_entry(&mut entry, &path, listed.size)?;
            let digest = hex::encode(Sha256::digest(&data));
            if digest != listed.sha256 {
                return Err(PackError::Mismatch {
                    path,
                    reason: "SHA-256 differs".into(),
                });
            }
            sink(listed, &data)?;
        }
        if let Some(missing) = manifest
            .files
            .iter()
            .find(|f| !f.optional && !seen.contains(&f.path))
        {
            return Err(PackError::Missing(missing.path.clone()));
        }
        Ok(VerifiedPack {
            manifest,
            manifest_bytes,
            signature,
        })
    }
}

fn malformed(e: io::Error) -> PackError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        PackError::Malformed("the archive is truncated".into())
    } else {
        PackError::Malformed(e.to_string())
    }
}

/// The entry's path, refused unless it is a plain file with a safe name.
fn entry_path<R: Read>(entry: &tar::Entry<'_, R>) -> Result<String, PackError> {
    let path = String::from_utf8(entry.path_bytes().into_owned())
        .map_err(|_| PackError::Malformed("an entry name is not UTF-8".into()))?;
    let kind = entry.header().entry_type();
    if !kind.is_file() {
        return Err(PackError::UnsafeEntry {
            path,
            reason: if kind.is_symlink() || kind.is_hard_link() {
                "links are not allowed"
            } else {
                "only plain files are allowed"
            },
        });
    }
    if path != MANIFEST_PATH && path != SIGNATURE_PATH {
        check_path(&path)?;
    }
    Ok(path)
}

fn read_entry<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    path: &str,
    limit: u64,
) -> Result<Vec<u8>, PackError> {
    if entry.size() > limit {
        return Err(PackError::TooLarge {
            what: "an archive entry",
            actual: entry.size(),
            limit,
        });
    }
    let mut data = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
    entry.read_to_end(&mut data).map_err(malformed)?;
    if data.len() as u64 != entry.size() {
        return Err(PackError::Malformed(format!("`{path}` is truncated")));
    }
    Ok(data)
}
