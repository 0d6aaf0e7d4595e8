//! The signed description of a pack: what it is, its lessons, and every file with its size
//! and SHA-256. Nothing in a pack is trusted unless the manifest lists it.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::error::PackError;
use crate::Text;

pub const FORMAT_VERSION: u32 = 1;
/// Caps that keep a hostile pack from filling a phone. Real packs are a few MB.
pub const MAX_FILES: usize = 5_000;
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
pub const MAX_PACK_BYTES: u64 = 512 * 1024 * 1024;
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
const MAX_PATH_BYTES: usize = 200;

/// Leaf-check results, diseases and alarm rules a lesson can be linked from ("学一学").
pub const LEAF_CLASSES: &[&str] = &["unripe", "under_ripe", "ripe", "over_ripe", "false_ripe"];
pub const DISEASES: &[&str] = &[
    "brown_spot",
    "frogeye",
    "wildfire",
    "angular_leaf_spot",
    "tmv",
    "cmv_pvy",
    "weather_fleck",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    pub id: String,
    pub version: u32,
    /// BCP-47 tag of the lessons' language, e.g. `zh-Hans`.
    pub language: String,
    pub title: Text,
    pub lessons: Vec<LessonEntry>,
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessonEntry {
    pub id: String,
    pub title: Text,
    /// The lesson's Markdown, a path listed in `files`.
    pub file: String,
    pub tags: Vec<String>,
    #[serde(default)]
    pub links: LessonLinks,
    /// Estimated reading time.
    pub minutes: u32,
}

/// What a lesson teaches about, so diagnosis and alarm screens can point to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessonLinks {
    #[serde(default)]
    pub leaf_classes: Vec<String>,
    #[serde(default)]
    pub diseases: Vec<String>,
    #[serde(default)]
    pub alarms: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    /// Lowercase hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// Audio/video that is downloaded only on request; the pack works without it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
}

impl Manifest {
    /// Parses and checks a manifest (call only on bytes whose signature verified).
    pub fn from_json(bytes: &[u8]) -> Result<Manifest, PackError> {
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| {
            PackError::manifest(format!("清单格式错误：{e}"), format!("not valid JSON: {e}"))
        })?;
        m.validate()?;
        Ok(m)
    }

    /// Canonical bytes: what the builder writes and the signature covers.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self)
            .unwrap_or_else(|e| unreachable!("manifests always serialise: {e}"));
        out.push(b'\n');
        out
    }

    pub fn file(&self, path: &str) -> Option<&FileEntry> {
        self.files.iter().find(|f| f.path == path)
    }

    /// Total bytes of the files a phone must have (optional media excluded).
    pub fn required_bytes(&self) -> u64 {
        self.files
            .iter()
            .filter(|f| !f.optional)
            .map(|f| f.size)
            .sum()
    }

    pub fn validate(&self) -> Result<(), PackError> {
        if self.format != FORMAT_VERSION {
            return Err(PackError::manifest(
                format!("不支持的课程包格式 {}", self.format),
                format!("unsupported pack format {}", self.format),
            ));
        }
        check_id("id", &self.id)?;
        if self.version == 0 {
            return Err(PackError::manifest(
                "版本号必须大于 0",
                "version must be at least 1",
            ));
        }
        if self.files.len() > MAX_FILES {
            return Err(PackError::TooLarge {
                what: "file count",
                actual: self.files.len() as u64,
                limit: MAX_FILES as u64,
            });
        }
        let mut paths = HashSet::new();
        let mut total = 0u64;
        for f in &self.files {
            check_path(&f.path)?;
            // Case-folded: "A.md" and "a.md" are one file on case-insensitive file systems.
            if !paths.insert(f.path.to_ascii_lowercase()) {
                return Err(PackError::Duplicate(f.path.clone()));
            }
            if f.size > MAX_FILE_BYTES {
                return Err(PackError::TooLarge {
                    what: "a file",
                    actual: f.size,
                    limit: MAX_FILE_BYTES,
                });
            }
            total = total.saturating_add(f.size);
            if f.sha256.len() != 64
                || !f
                    .sha256
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            {
                return Err(PackError::manifest(
                    format!("文件 {} 的校验值格式错误", f.path),
                    format!("file {}: sha256 must be 64 lowercase hex digits", f.path),
                ));
            }
        }
        if total > MAX_PACK_BYTES {
            return Err(PackError::TooLarge {
                what: "the pack",
                actual: total,
                limit: MAX_PACK_BYTES,
            });
        }
        let mut lesson_ids = HashSet::new();
        for l in &self.lessons {
            check_id("lesson id", &l.id)?;
            if !lesson_ids.insert(l.id.as_str()) {
                return Err(PackError::Duplicate(format!("lesson {}", l.id)));
            }
            match self.file(&l.file) {
                Some(f) if !f.optional => {}
                _ => {
                    return Err(PackError::manifest(
                        format!("课程 {} 的文件 {} 不在清单中", l.id, l.file),
                        format!(
                            "lesson {}: file {} is not a required file of the pack",
                            l.id, l.file
                        ),
                    ));
                }
            }
            l.links.validate(&l.id)?;
        }
        Ok(())
    }
}

impl LessonLinks {
    fn validate(&self, lesson: &str) -> Result<(), PackError> {
        let bad = |kind: &str, v: &str| {
            Err(PackError::manifest(
                format!("课程 {lesson}：未知的{kind} {v}"),
                format!("lesson {lesson}: unknown {kind} `{v}`"),
            ))
        };
        for c in &self.leaf_classes {
            if !LEAF_CLASSES.contains(&c.as_str()) {
                return bad("leaf class", c);
            }
        }
        for d in &self.diseases {
            if !DISEASES.contains(&d.as_str()) {
                return bad("disease", d);
            }
        }
        for a in &self.alarms {
            let ok = a.len() == 3
                && a.starts_with('A')
                && a[1..].parse::<u8>().is_ok_and(|n| (1..=99).contains(&n));
            if !ok {
                return bad("alarm rule", a);
            }
        }
        Ok(())
    }
}

fn check_id(what: &str, id: &str) -> Result<(), PackError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && id.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(PackError::manifest(
            format!("{what} “{id}” 无效"),
            format!("invalid {what} `{id}`: 1–64 of a-z 0-9 -"),
        ))
    }
}

/// A pack path must stay inside the pack folder on every platform: relative, `/`-separated,
/// no `.`/`..`/empty components, and only characters every file system accepts.
pub(crate) fn check_path(path: &str) -> Result<(), PackError> {
    let unsafe_entry = |reason| {
        Err(PackError::UnsafeEntry {
            path: path.to_owned(),
            reason,
        })
    };
    if path.is_empty() || path.len() > MAX_PATH_BYTES {
        return unsafe_entry("empty or too long");
    }
    if path.starts_with('/') {
        return unsafe_entry("absolute path");
    }
    for component in path.split('/') {
        if component.is_empty() || component == "." || component == ".." {
            return unsafe_entry("escapes or confuses the pack folder");
        }
        let ok = component
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !ok {
            return unsafe_entry("only a-z A-Z 0-9 - _ . are allowed in names");
        }
    }
    if path == MANIFEST_PATH || path == SIGNATURE_PATH {
        return unsafe_entry("reserved name");
    }
    Ok(())
}

pub(crate) const MANIFEST_PATH: &str = "manifest.json";
pub(crate) const SIGNATURE_PATH: &str = "manifest.sig";
