//! Turns a content folder into a signed pack, deterministically.
//!
//! Layout: `pack.toml` (id, version, language, title, title_en), `lessons/*.md` each starting
//! with TOML front matter between `+++` lines (id, title, title_en, tags, leaf_classes,
//! diseases, alarms, minutes), `images/**` for pictures and `media/**` for optional
//! audio/video. Anything else (README.md, …) is not packed.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::archive::write_archive;
use super::error::PackError;
use super::manifest::{FORMAT_VERSION, FileEntry, LessonEntry, LessonLinks, Manifest, check_path};
use super::sign::PackSigner;
use crate::Text;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackToml {
    id: String,
    version: u32,
    language: String,
    title: String,
    title_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    title: String,
    title_en: String,
    tags: Vec<String>,
    #[serde(default)]
    leaf_classes: Vec<String>,
    #[serde(default)]
    diseases: Vec<String>,
    #[serde(default)]
    alarms: Vec<String>,
    minutes: u32,
}

/// Folders whose files are packed; files under `media/` are optional downloads.
const PACKED_DIRS: &[&str] = &["lessons", "images", "media"];

/// Builds the pack in `dir`, signed by `signer`: its manifest and archive bytes.
pub fn build_pack(dir: &Path, signer: &PackSigner) -> Result<(Manifest, Vec<u8>), PackError> {
    let pack: PackToml = toml::from_str(&read_text(&dir.join("pack.toml"))?)
        .map_err(|e| PackError::Content(format!("pack.toml: {e}")))?;
    let mut files: Vec<(FileEntry, Vec<u8>)> = Vec::new();
    let mut lessons = Vec::new();
    for rel in packed_files(dir)? {
        let path = dir.join(&rel);
        let mut data = std::fs::read(&path).map_err(|e| PackError::io(path.display(), e))?;
        if rel.starts_with("lessons/") && rel.ends_with(".md") {
            let text = String::from_utf8(data)
                .map_err(|_| PackError::Content(format!("{rel} is not UTF-8")))?;
            let (front, body) = split_front_matter(&text)
                .ok_or_else(|| PackError::Content(format!("{rel}: no +++ front matter")))?;
            let fm: FrontMatter =
                toml::from_str(front).map_err(|e| PackError::Content(format!("{rel}: {e}")))?;
            lessons.push(LessonEntry {
                id: fm.id,
                title: Text::new(fm.title, fm.title_en),
                file: rel.clone(),
                tags: fm.tags,
                links: LessonLinks {
                    leaf_classes: fm.leaf_classes,
                    diseases: fm.diseases,
                    alarms: fm.alarms,
                },
                minutes: fm.minutes,
            });
            data = body.trim_start().as_bytes().to_vec();
        }
        let entry = FileEntry {
            sha256: hex::encode(Sha256::digest(&data)),
            size: data.len() as u64,
            optional: rel.starts_with("media/"),
            path: rel,
        };
        files.push((entry, data));
    }
    let manifest = Manifest {
        format: FORMAT_VERSION,
        id: pack.id,
        version: pack.version,
        language: pack.language,
        title: Text::new(pack.title, pack.title_en),
        lessons,
        files: files.iter().map(|(e, _)| e.clone()).collect(),
    };
    manifest.validate()?;
    let manifest_bytes = manifest.to_json();
    let signature = signer.sign(&manifest_bytes);
    // Optional media travel separately, so the pack a phone downloads stays small.
    let packed: Vec<(&FileEntry, &[u8])> = files
        .iter()
        .filter(|(e, _)| !e.optional)
        .map(|(e, d)| (e, d.as_slice()))
        .collect();
    let archive = write_archive(&manifest_bytes, &signature, &packed)?;
    Ok((manifest, archive))
}

// Here rather than in manifest.rs: only the builder knows that an optional file is copied
// verbatim from the content folder (lessons lose their front matter, media never change).
impl Manifest {
    /// The optional files (media, not in the archive) of a pack built from `content_dir`,
    /// each with the file it was built from, in manifest order. Whoever publishes the media
    /// copies these; the bytes must still match the entry (the folder may have changed).
    pub fn optional_sources(&self, content_dir: &Path) -> Vec<(&FileEntry, PathBuf)> {
        self.files
            .iter()
            .filter(|e| e.optional)
            .map(|e| (e, content_dir.join(&e.path)))
            .collect()
    }
}

fn read_text(path: &Path) -> Result<String, PackError> {
    std::fs::read_to_string(path).map_err(|e| PackError::io(path.display(), e))
}

/// `(front matter, body)` of a file that starts with a `+++` block.
fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let rest = text
        .strip_prefix("+++")?
        .strip_prefix('\n')
        .or_else(|| text.strip_prefix("+++\r\n"))?;
    let end = rest.find("\n+++")?;
    let body = &rest[end + 4..];
    Some((&rest[..end], body.strip_prefix('\n').unwrap_or(body)))
}

/// Every file under the packed folders, as sorted `/`-separated relative paths.
fn packed_files(dir: &Path) -> Result<Vec<String>, PackError> {
    let mut out = Vec::new();
    for top in PACKED_DIRS {
        walk(&dir.join(top), top, &mut out)?;
    }
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) -> Result<(), PackError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(PackError::io(dir.display(), e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| PackError::io(dir.display(), e))?;
        let name = entry.file_name().into_string().map_err(|n| {
            PackError::Content(format!("{}: file name {n:?} is not UTF-8", dir.display()))
        })?;
        let rel = format!("{rel}/{name}");
        let kind = entry.file_type().map_err(|e| PackError::io(&rel, e))?;
        let path: PathBuf = entry.path();
        if kind.is_dir() {
            walk(&path, &rel, out)?;
        } else if kind.is_file() {
            check_path(&rel).map_err(|e| PackError::Content(e.to_string()))?;
            out.push(rel);
        } else {
            return Err(PackError::Content(format!("{rel}: links are not packed")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn optional_sources_name_the_media_files_the_archive_leaves_out() {
        let dir = tempfile::tempdir().unwrap();
        let write = |rel: &str, data: &[u8]| {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, data).unwrap();
        };
        write(
            "pack.toml",
            b"id = \"p\"\nversion = 1\nlanguage = \"zh-Hans\"\ntitle = \"t\"\ntitle_en = \"t\"\n",
        );
        write(
            "lessons/a.md",
            b"+++\nid = \"a\"\ntitle = \"a\"\ntitle_en = \"a\"\ntags = []\nminutes = 1\n+++\nbody\n",
        );
        write("media/x/clip.mp4", b"not really a video");
        let signer = PackSigner::from_seed([3; 32]);
        let (manifest, archive) = build_pack(dir.path(), &signer).unwrap();
        let sources = manifest.optional_sources(dir.path());
        assert_eq!(sources.len(), 1);
        let (entry, source) = &sources[0];
        assert_eq!(entry.path, "media/x/clip.mp4");
        let bytes = std::fs::read(source).unwrap();
        assert_eq!(entry.size, bytes.len() as u64);
        assert_eq!(entry.sha256, hex::encode(Sha256::digest(&bytes)));
        assert!(!archive.windows(8).any(|w| w == b"not real"));
    }
}
