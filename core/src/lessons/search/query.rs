//! From what a user typed to FTS5 query expressions. User text never reaches FTS5 syntax as is:
//! it is cut into tokens (letters, digits, Han characters) and every token is written inside
//! double quotes, so quotes, `*`, `AND`, `NEAR(`, `^`, `:` and the like are only ever words.

use std::sync::LazyLock;

use jieba_rs::Jieba;

use super::romanize;
use super::text::{Tok, fold, tokenize};

/// Longer queries are cut: nobody types more into a search box, and the FTS5 expression stays
/// small (its parser has a depth limit).
pub(super) const MAX_QUERY_CHARS: usize = 64;
/// At most this many words of a query count.
const MAX_UNITS: usize = 8;
/// Pinyin readings of one typed word tried at once.
const MAX_READINGS: usize = 3;
/// Latin words this long or shorter are also tried as initials ("bhq" → 变黄期).
const MAX_INITIALS: usize = 8;

const TEXT_COLUMNS: &str = "{title tags body}";
const PINYIN_COLUMNS: &str = "{title_py tags_py body_py}";
/// The body has no initials column: one letter per character matches nearly anything in a long
/// text.
const INITIALS_COLUMNS: &str = "{title_ini tags_ini}";

/// Question words and particles: dropped from a query that has other words, so that
/// "烟叶变黄了怎么办" needs 烟叶 and 变黄 and not 怎么办.
const STOP_WORDS: &[&str] = &[
    "的",
    "了",
    "吗",
    "呢",
    "吧",
    "啊",
    "呀",
    "是",
    "在",
    "和",
    "与",
    "及",
    "或",
    "有",
    "要",
    "会",
    "能",
    "我",
    "你",
    "他",
    "这",
    "那",
    "个",
    "着",
    "把",
    "被",
    "让",
    "给",
    "就",
    "都",
    "也",
    "还",
    "怎么",
    "怎么办",
    "怎样",
    "怎么样",
    "如何",
    "什么",
    "为什么",
    "为何",
    "哪些",
    "哪个",
    "一下",
    "可以",
    "应该",
    "需要",
    "是否",
    "什么样",
    "多少",
];

/// The query-time segmenter, loaded once (see the module docs for the dictionary).
static JIEBA: LazyLock<Jieba> = LazyLock::new(|| {
    let mut jieba = Jieba::with_dict(&mut dictionary().as_slice())
        // Both files are part of the source and a unit test loads them; an empty dictionary
        // would still segment (with the HMM), just less well.
        .unwrap_or_else(|_| Jieba::empty());
    let _ = jieba.load_dict(&mut include_str!("domain.txt").as_bytes());
    jieba
});

/// `dict.txt`, deflated by build.rs (half the size in the library).
const DICT_DEFLATED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/dict.txt.deflate"));

/// `dict.txt` inflated; empty if that failed, which the tests rule out.
fn dictionary() -> Vec<u8> {
    miniz_oxide::inflate::decompress_to_vec(DICT_DEFLATED).unwrap_or_default()
}

/// Loads the segmenter and the pinyin tables.
pub(super) fn warm_up() {
    LazyLock::force(&JIEBA);
    romanize::warm_up();
}

/// One word of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Unit {
    /// Tokens that must appear in this order (a Chinese word, as a phrase of its characters).
    Phrase(Vec<Tok>),
    /// A Latin word: the start of an English word or number, pinyin syllables, or initials.
    Latin {
        word: String,
        readings: Vec<Vec<String>>,
        initials: bool,
    },
}

impl Unit {
    fn latin(word: String) -> Unit {
        let readings = romanize::readings(&word, MAX_READINGS)
            .into_iter()
            .map(|r| r.into_iter().map(str::to_owned).collect())
            .collect();
        let initials = word.len() <= MAX_INITIALS && word.bytes().all(|b| b.is_ascii_lowercase());
        Unit::Latin {
            word,
            readings,
            initials,
        }
    }

    /// This word as an FTS5 expression.
    fn expr(&self) -> String {
        match self {
            Unit::Phrase(toks) => {
                let mut phrase = String::new();
                for (i, t) in toks.iter().enumerate() {
                    if i > 0 {
                        phrase.push(' ');
                    }
                    t.push_to(&mut phrase);
                }
                format!("{TEXT_COLUMNS} : {}", quote(&phrase))
            }
            Unit::Latin {
                word,
                readings,
                initials,
            } => {
                let mut alternatives = vec![format!("{TEXT_COLUMNS} : {}*", quote(word))];
                for r in readings {
                    alternatives.push(format!("{PINYIN_COLUMNS} : {}*", quote(&r.join(" "))));
                }
                if *initials {
                    let letters: Vec<String> = word.chars().map(String::from).collect();
                    alternatives.push(format!(
                        "{INITIALS_COLUMNS} : {}",
                        quote(&letters.join(" "))
                    ));
                }
                format!("({})", alternatives.join(" OR "))
            }
        }
    }
}

/// A string token for FTS5: inside double quotes, any double quote doubled.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// What to look for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Plan {
    /// The words of the query; the first search wants all of them.
    pub(super) units: Vec<Unit>,
    /// Character pairs of the longer Chinese words, for the second search, which wants any
    /// word: a word the segmenter glued together ("烤烟变黄") still finds its parts.
    pub(super) pairs: Vec<Unit>,
}

impl Plan {
    pub(super) fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// Every word must match.
    pub(super) fn all(&self) -> String {
        join(&self.units, " AND ")
    }

    /// Whether a search for any word could find more than [`Plan::all`].
    pub(super) fn has_fallback(&self) -> bool {
        self.units.len() > 1 || !self.pairs.is_empty()
    }

    /// Any word, or any character pair of a longer Chinese word, may match.
    pub(super) fn any(&self) -> String {
        let all: Vec<Unit> = self.units.iter().chain(&self.pairs).cloned().collect();
        join(&all, " OR ")
    }
}

fn join(units: &[Unit], op: &str) -> String {
    units.iter().map(Unit::expr).collect::<Vec<_>>().join(op)
}

/// Reads a query: folds it, cuts it into words with jieba, drops question words, and keeps each
/// distinct word once.
pub(super) fn plan(query: &str) -> Plan {
    let folded: String = query.chars().take(MAX_QUERY_CHARS).map(fold).collect();
    let mut units: Vec<Unit> = Vec::new();
    let mut stop: Vec<Unit> = Vec::new();
    for token in JIEBA.cut(&folded, true) {
        let toks: Vec<Tok> = tokenize(token.word).into_iter().map(|s| s.tok).collect();
        let unit = match toks.as_slice() {
            [] => continue,
            [Tok::Word(w)] if w.is_ascii() => Unit::latin(w.clone()),
            _ => Unit::Phrase(toks),
        };
        let target = if STOP_WORDS.contains(&token.word) {
            &mut stop
        } else {
            &mut units
        };
        if !target.contains(&unit) {
            target.push(unit);
        }
    }
    if units.is_empty() {
        units = stop;
    }
    units.truncate(MAX_UNITS);
    let mut pairs = Vec::new();
    for unit in &units {
        let Unit::Phrase(toks) = unit else { continue };
        if toks.len() < 3 {
            continue;
        }
        for w in toks.windows(2) {
            let pair = Unit::Phrase(w.to_vec());
            let all_han = w.iter().all(|t| matches!(t, Tok::Han(_)));
            if all_han && !units.contains(&pair) && !pairs.contains(&pair) {
                pairs.push(pair);
            }
        }
    }
    Plan { units, pairs }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn han(s: &str) -> Unit {
        Unit::Phrase(s.chars().map(Tok::Han).collect())
    }

    #[test]
    fn dictionaries_load() {
        assert_eq!(dictionary(), include_bytes!("dict.txt"));
        assert!(Jieba::with_dict(&mut dictionary().as_slice()).is_ok());
        let mut j = Jieba::empty();
        assert!(
            j.load_dict(&mut include_str!("domain.txt").as_bytes())
                .is_ok()
        );
        assert!(JIEBA.has_word("变黄期") && JIEBA.has_word("我们"));
    }

    #[test]
    fn chinese_queries_become_words() {
        assert_eq!(plan("烘烤变黄").units, vec![han("烘烤"), han("变黄")]);
        let p = plan("烟叶变黄了怎么办？");
        assert_eq!(p.units, vec![han("烟叶"), han("变黄")]);
        assert!(p.pairs.is_empty());
        // Only question words: they are the query.
        assert_eq!(plan("怎么办").units, vec![han("怎么办")]);
        let p = plan("变黄期");
        assert_eq!(p.units, vec![han("变黄期")]);
        assert_eq!(p.pairs, vec![han("变黄"), han("黄期")]);
        assert_eq!(p.all(), "{title tags body} : \"变 黄 期\"");
    }

    #[test]
    fn latin_queries_try_pinyin_and_initials() {
        let p = plan("HongKao");
        assert_eq!(
            p.all(),
            "({title tags body} : \"hongkao\"* OR {title_py tags_py body_py} : \"hong kao\"* \
             OR {title_ini tags_ini} : \"h o n g k a o\")"
        );
        assert_eq!(
            plan("hk").all(),
            "({title tags body} : \"hk\"* OR {title_ini tags_ini} : \"h k\")"
        );
        assert_eq!(plan("hong kao").units.len(), 2);
        assert_eq!(plan("38℃").all(), "({title tags body} : \"38\"*)");
    }

    #[test]
    fn hostile_text_stays_inside_quotes() {
        for q in [
            "\"",
            "*",
            "AND",
            "NEAR(",
            "a OR",
            "'); DROP TABLE lessons;--",
            "😀",
            "^a:b",
            "-x",
        ] {
            let p = plan(q);
            for unit in &p.units {
                let expr = unit.expr();
                assert!(
                    !expr.contains("AND ") && !expr.contains("NEAR("),
                    "{q}: {expr}"
                );
            }
        }
        assert!(plan("\"*").is_empty());
        assert!(plan("😀 🚀").is_empty());
        assert!(plan(&"烤".repeat(10_000)).units.len() <= MAX_UNITS);
    }
}
