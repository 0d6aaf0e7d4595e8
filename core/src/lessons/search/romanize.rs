//! Pinyin for the index (one toneless syllable per Han character, and its initial letter) and
//! for reading typed Latin letters as syllables.

use std::collections::HashSet;
use std::sync::LazyLock;

use pinyin::ToPinyin;

/// Longest syllables (`zhuang`, `shuang`, `chuang`) have six letters.
const MAX_SYLLABLE: usize = 6;

/// The toneless syllable of `c` as people type it (`ü` as `v`: 绿 → `lv`), or `None` for a
/// character without a reading. A polyphonic character gets its most common reading only.
pub(super) fn syllable(c: char) -> Option<&'static str> {
    let plain = c.to_pinyin()?.plain();
    Some(match plain {
        "lü" => "lv",
        "lüe" => "lve",
        "nü" => "nv",
        "nüe" => "nve",
        other => other,
    })
}

/// The first letter of `c`'s syllable: 烘 → `h`, 知 → `z` (people type one letter per character).
pub(super) fn initial(c: char) -> Option<char> {
    syllable(c).and_then(|s| s.chars().next())
}

/// Every syllable the index can contain, taken from the same pinyin table so the two always
/// agree; readings without a vowel (`m`, `n`, `ng`, `hm`, `hng`) are left out, or they would
/// read initials such as "hm" as a syllable.
static SYLLABLES: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    ('\u{4E00}'..='\u{9FFF}')
        .filter_map(syllable)
        .filter(|s| s.is_ascii() && s.contains(['a', 'e', 'i', 'o', 'u', 'v']))
        .collect()
});

/// Every non-empty prefix of a syllable: the last thing typed may be unfinished.
static PREFIXES: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    SYLLABLES
        .iter()
        .flat_map(|s| (1..=s.len()).map(move |n| &s[..n]))
        .collect()
});

/// Loads the tables (a few milliseconds), so the first search does not pay for it.
pub(super) fn warm_up() {
    LazyLock::force(&PREFIXES);
}

/// Reads `letters` (ASCII lower case) as pinyin: the ways to split it into the fewest
/// syllables, the last of which may be unfinished ("bianhuan" → `bian huan`; "hongk" →
/// `hong k`). At most `max` readings; none when the letters are not pinyin (e.g. "hk").
pub(super) fn readings(letters: &str, max: usize) -> Vec<Vec<&str>> {
    let n = letters.len();
    if n == 0 || !letters.bytes().all(|b| b.is_ascii_lowercase()) {
        return Vec::new();
    }
    // fewest[i]: the fewest pieces `letters[i..]` splits into, if it splits at all.
    let mut fewest: Vec<Option<usize>> = vec![None; n + 1];
    fewest[n] = Some(0);
    for i in (0..n).rev() {
        for j in (i + 1)..=(i + MAX_SYLLABLE).min(n) {
            if !fits(&letters[i..j], j == n) {
                continue;
            }
            if let Some(rest) = fewest[j] {
                fewest[i] = Some(fewest[i].map_or(rest + 1, |f: usize| f.min(rest + 1)));
            }
        }
    }
    let mut out = Vec::new();
    if fewest[0].is_some() {
        let mut path = Vec::new();
        collect(letters, 0, &fewest, &mut path, &mut out, max);
    }
    out
}

fn fits(piece: &str, last: bool) -> bool {
    if last {
        PREFIXES.contains(piece)
    } else {
        SYLLABLES.contains(piece)
    }
}

/// Walks every split that keeps to the fewest pieces, in order of the first piece's length
/// (longest first: "fangan" → `fang an` before `fan gan`).
fn collect<'a>(
    letters: &'a str,
    i: usize,
    fewest: &[Option<usize>],
    path: &mut Vec<&'a str>,
    out: &mut Vec<Vec<&'a str>>,
    max: usize,
) {
    let n = letters.len();
    if out.len() >= max {
        return;
    }
    if i == n {
        out.push(path.clone());
        return;
    }
    let Some(need) = fewest[i] else { return };
    for j in ((i + 1)..=(i + MAX_SYLLABLE).min(n)).rev() {
        if fits(&letters[i..j], j == n) && fewest[j].is_some_and(|rest| rest + 1 == need) {
            path.push(&letters[i..j]);
            collect(letters, j, fewest, path, out, max);
            path.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables_and_initials() {
        assert_eq!(syllable('烘'), Some("hong"));
        assert_eq!(syllable('烤'), Some("kao"));
        assert_eq!(syllable('绿'), Some("lv"));
        assert_eq!(syllable('a'), None);
        assert_eq!(initial('变'), Some('b'));
        assert_eq!(initial('知'), Some('z'));
        assert!(SYLLABLES.contains("zhuang"));
        assert!(!SYLLABLES.contains("hm"));
        assert!(SYLLABLES.len() > 380, "{}", SYLLABLES.len());
    }

    #[test]
    fn reads_typed_pinyin() {
        assert_eq!(readings("hongkao", 3), vec![vec!["hong", "kao"]]);
        assert_eq!(
            readings("bianhuangqi", 3),
            vec![vec!["bian", "huang", "qi"]]
        );
        assert_eq!(readings("bianhuan", 3)[0], vec!["bian", "huan"]);
        assert_eq!(readings("hongk", 3), vec![vec!["hong", "k"]]);
        assert_eq!(
            readings("fangan", 3),
            vec![vec!["fang", "an"], vec!["fan", "gan"]]
        );
        assert_eq!(readings("xian", 3), vec![vec!["xian"]]);
        assert!(readings("hk", 3).is_empty());
        assert!(readings("bh", 3).is_empty());
        assert!(readings("", 3).is_empty());
        assert!(readings("hong kao", 3).is_empty());
        assert!(readings(&"a".repeat(200), 3).len() <= 3);
    }
}
