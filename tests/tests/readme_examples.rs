//! README.md's "Use from Kotlin" and "Use from Swift" code blocks are the compiled examples:
//! each block must equal, after removing common indentation, the region between
//! `// README:<name> begin` and `// README:<name> end` in
//! android/core/src/test/kotlin/cn/yannong/ReadmeExamples.kt (compiled and partly run by the
//! Kotlin step of `cargo xtask test`) or ios/Tests/YannongChecks/ReadmeExamples.swift (compiled
//! by its Swift step), in the same order. Edit the example file, then copy the region into
//! the README (or the other way round).

use std::path::{Path, PathBuf};

const KOTLIN_EXAMPLES: &str = "android/core/src/test/kotlin/cn/yannong/ReadmeExamples.kt";
const SWIFT_EXAMPLES: &str = "ios/Tests/YannongChecks/ReadmeExamples.swift";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

fn read(relative: &str) -> String {
    let path = repo_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The text of the README section under `## {heading}`, up to the next `## ` heading.
fn section<'a>(readme: &'a str, heading: &str) -> &'a str {
    let title = format!("## {heading}\n");
    let start = readme
        .find(&title)
        .unwrap_or_else(|| panic!("README.md has no section `## {heading}`"))
        + title.len();
    let rest = &readme[start..];
    let end = rest.find("\n## ").map_or(rest.len(), |i| i + 1);
    &rest[..end]
}

/// Every fenced code block of `text` as (info string, body lines).
fn code_blocks(text: &str) -> Vec<(String, Vec<String>)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in text.lines() {
        let fence = line.trim_start().starts_with("```");
        match (&mut current, fence) {
            (None, true) => {
                let info = line.trim_start().trim_start_matches('`').trim().to_owned();
                current = Some((info, Vec::new()));
            }
            (Some(_), true) => blocks.extend(current.take()),
            (Some((_, body)), false) => body.push(line.to_owned()),
            (None, false) => {}
        }
    }
    assert!(current.is_none(), "an unclosed code block");
    blocks
}

/// The `// README:<name> begin` … `// README:<name> end` regions of `source`, in order, as
/// (name, body lines).
fn regions(source: &str, file: &str) -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    let mut open: Option<(String, Vec<String>)> = None;
    for (n, line) in source.lines().enumerate() {
        let marker = line.trim().strip_prefix("// README:");
        match (marker.and_then(|m| m.strip_suffix(" begin")), &mut open) {
            (Some(name), None) => open = Some((name.to_owned(), Vec::new())),
            (Some(name), Some((outer, _))) => {
                panic!("{file}:{}: region `{name}` begins inside `{outer}`", n + 1)
            }
            (None, Some((name, body))) => {
                if marker == Some(&format!("{name} end")) {
                    found.extend(open.take());
                } else {
                    assert!(marker.is_none(), "{file}:{}: stray README marker", n + 1);
                    body.push(line.to_owned());
                }
            }
            (None, None) => assert!(marker.is_none(), "{file}:{}: an end without a begin", n + 1),
        }
    }
    if let Some((name, _)) = open {
        panic!("{file}: region `{name}` has no end");
    }
    found
}

/// Without the indentation all non-blank lines share, blank lines empty, and without
/// trailing blank lines. Anything else (trailing spaces included) must match.
fn dedent(lines: &[String]) -> Vec<String> {
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out: Vec<String> = lines
        .iter()
        .map(|l| {
            if l.trim().is_empty() {
                String::new()
            } else {
                l[indent..].to_owned()
            }
        })
        .collect();
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

/// What is wrong, or `None` when the README section shows exactly the file's regions.
fn compare(
    readme_section: &str,
    heading: &str,
    language: &str,
    source: &str,
    file: &str,
) -> Option<String> {
    let blocks = code_blocks(readme_section);
    let regions = regions(source, file);
    if regions.is_empty() {
        return Some(format!("{file} has no `// README:<name> begin` regions"));
    }
    if blocks.len() != regions.len() {
        let names: Vec<&str> = regions.iter().map(|(n, _)| n.as_str()).collect();
        return Some(format!(
            "README \"{heading}\" has {} code blocks, {file} has {} regions ({})",
            blocks.len(),
            regions.len(),
            names.join(", ")
        ));
    }
    for ((info, block), (name, region)) in blocks.iter().zip(&regions) {
        if info != language {
            return Some(format!(
                "README \"{heading}\": the block for `{name}` is ```{info}, not ```{language}"
            ));
        }
        let (shown, compiled) = (dedent(block), dedent(region));
        if shown == compiled {
            continue;
        }
        let line = shown
            .iter()
            .zip(&compiled)
            .position(|(a, b)| a != b)
            .unwrap_or(shown.len().min(compiled.len()));
        let at = |lines: &[String]| lines.get(line).cloned().unwrap_or("<end>".into());
        return Some(format!(
            "README \"{heading}\" differs from {file} region `{name}` at line {} of the block:\n  \
             README: {}\n  {file}: {}\n\
             the README must show the compiled region exactly (copy it over)",
            line + 1,
            at(&shown),
            at(&compiled)
        ));
    }
    None
}

fn check(heading: &str, language: &str, file: &str) {
    let readme = read("README.md");
    let problem = compare(
        section(&readme, heading),
        heading,
        language,
        &read(file),
        file,
    );
    if let Some(problem) = problem {
        panic!("{problem}");
    }
}

#[test]
fn readme_kotlin_examples_are_the_compiled_ones() {
    check("Use from Kotlin", "kotlin", KOTLIN_EXAMPLES);
}

#[test]
fn readme_swift_examples_are_the_compiled_ones() {
    check("Use from Swift", "swift", SWIFT_EXAMPLES);
}

#[test]
fn the_comparison_notices_one_changed_character() {
    let source = "fun f() {\n    // README:k-a begin\n    val x = 1\n    if (x > 0) {\n        g(x)\n    }\n    // README:k-a end\n}\n";
    let section = "Text.\n\n```kotlin\nval x = 1\nif (x > 0) {\n    g(x)\n}\n```\n\nMore text.\n";
    assert_eq!(compare(section, "K", "kotlin", source, "f.kt"), None);

    let changed = section.replace("g(x)", "g(y)");
    let problem = compare(&changed, "K", "kotlin", source, "f.kt").unwrap_or_default();
    assert!(problem.contains("line 3"), "{problem}");
    let in_source = source.replace("val x = 1", "val x = 2");
    assert!(compare(section, "K", "kotlin", &in_source, "f.kt").is_some());
    let other_language = section.replace("```kotlin", "```swift");
    assert!(compare(&other_language, "K", "kotlin", source, "f.kt").is_some());
    let extra = format!("{section}```kotlin\nval y = 2\n```\n");
    assert!(compare(&extra, "K", "kotlin", source, "f.kt").is_some());
    assert!(compare(section, "K", "kotlin", "no regions", "f.kt").is_some());
}

#[test]
fn a_section_ends_at_the_next_heading() {
    let readme = "## A\n\none\n\n## B\n\ntwo\n";
    assert_eq!(section(readme, "A"), "\none\n\n");
    assert_eq!(section(readme, "B"), "\ntwo\n");
}
