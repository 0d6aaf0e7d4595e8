//! Marks what a query matched in a title or a lesson text, with the same tokens and the same
//! rules as the FTS5 expressions, and renders it as escaped HTML with `<mark>`.

use super::query::Unit;
use super::romanize;
use super::text::{Span, Tok, tokenize};
use crate::lessons::render::push_escaped;

/// Length of a snippet, in characters (a Chinese character is one).
pub(super) const SNIPPET_CHARS: usize = 60;
/// Characters of context kept before the first match in a snippet.
const SNIPPET_LEAD: usize = 12;
/// Matches looked at when choosing a snippet; a long lesson can have hundreds of a common word.
const MAX_HITS: usize = 256;

/// A text with its matched characters.
#[derive(Debug)]
pub(super) struct Marked {
    chars: Vec<char>,
    marked: Vec<bool>,
    /// Where each match starts (in chars) and which query word it is, in text order.
    hits: Vec<(usize, usize)>,
}

impl Marked {
    /// Finds `units` in `text`. `initials`: whether initials count here (they are indexed for
    /// titles and tags only).
    pub(super) fn new(text: &str, units: &[Unit], initials: bool) -> Marked {
        let chars: Vec<char> = text.chars().collect();
        let mut marked = vec![false; chars.len()];
        let mut hits = Vec::new();
        let spans = tokenize(text);
        let wants_pinyin = units.iter().any(|u| match u {
            Unit::Latin {
                readings,
                initials: i,
                ..
            } => !readings.is_empty() || (*i && initials),
            Unit::Phrase(_) => false,
        });
        // The pinyin columns hold one syllable per Han character that has one, in order.
        let han: Vec<(&Span, &'static str)> = if wants_pinyin {
            spans
                .iter()
                .filter_map(|s| match s.tok {
                    Tok::Han(c) => romanize::syllable(c).map(|py| (s, py)),
                    Tok::Word(_) => None,
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut mark = |from: &Span, to: &Span, unit: usize| {
            for m in &mut marked[from.start..to.end] {
                *m = true;
            }
            hits.push((from.start, unit));
        };
        for (u, unit) in units.iter().enumerate() {
            match unit {
                Unit::Phrase(toks) => {
                    if toks.is_empty() {
                        continue;
                    }
                    for w in spans.windows(toks.len()) {
                        if w.iter().zip(toks).all(|(s, t)| s.tok == *t) {
                            mark(&w[0], &w[w.len() - 1], u);
                        }
                    }
                }
                Unit::Latin {
                    word,
                    readings,
                    initials: as_initials,
                } => {
                    for s in &spans {
                        if let Tok::Word(w) = &s.tok
                            && w.starts_with(word.as_str())
                        {
                            mark(s, s, u);
                        }
                    }
                    for r in readings.iter().filter(|r| !r.is_empty()) {
                        let last = r.len() - 1;
                        for w in han.windows(r.len()) {
                            let fits = w.iter().zip(r).enumerate().all(|(k, ((_, py), want))| {
                                if k == last {
                                    py.starts_with(want.as_str())
                                } else {
                                    py == want
                                }
                            });
                            if fits {
                                mark(w[0].0, w[last].0, u);
                            }
                        }
                    }
                    if *as_initials && initials && !word.is_empty() {
                        for w in han.windows(word.len()) {
                            if w.iter()
                                .zip(word.bytes())
                                .all(|((_, py), b)| py.as_bytes()[0] == b)
                            {
                                mark(w[0].0, w[w.len() - 1].0, u);
                            }
                        }
                    }
                }
            }
        }
        hits.sort_unstable();
        hits.truncate(MAX_HITS);
        Marked {
            chars,
            marked,
            hits,
        }
    }

    /// The whole text as HTML.
    pub(super) fn html(&self) -> String {
        self.html_range(0, self.chars.len())
    }

    /// About [`SNIPPET_CHARS`] characters around the best match as HTML, with `…` where the
    /// text goes on. The best place has the most different query words, then the most
    /// matches, then comes first. Without a match, the start of the text.
    pub(super) fn snippet(&self) -> String {
        let len = self.chars.len();
        if len <= SNIPPET_CHARS {
            return self.html();
        }
        let latest = len - SNIPPET_CHARS;
        let mut best = (0usize, 0usize, 0usize);
        for &(at, _) in &self.hits {
            let start = at.saturating_sub(SNIPPET_LEAD).min(latest);
            let end = start + SNIPPET_CHARS;
            let inside: Vec<usize> = self
                .hits
                .iter()
                .filter(|(s, _)| (start..end).contains(s))
                .map(|&(_, u)| u)
                .collect();
            let mut distinct = inside.clone();
            distinct.sort_unstable();
            distinct.dedup();
            if (distinct.len(), inside.len()) > (best.0, best.1) {
                best = (distinct.len(), inside.len(), start);
            }
        }
        let mut start = best.2;
        while start > 0 && start < len && self.chars[start].is_whitespace() {
            start += 1;
        }
        let end = (start + SNIPPET_CHARS).min(len);
        let mut out = String::new();
        if start > 0 {
            out.push('…');
        }
        out.push_str(self.html_range(start, end).trim_end());
        if end < len {
            out.push('…');
        }
        out
    }

    fn html_range(&self, from: usize, to: usize) -> String {
        let mut out = String::with_capacity((to - from) * 3 + 16);
        let mut open = false;
        for i in from..to {
            if self.marked[i] != open {
                out.push_str(if open { "</mark>" } else { "<mark>" });
                open = self.marked[i];
            }
            push_escaped(self.chars[i], &mut out);
        }
        if open {
            out.push_str("</mark>");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::query::plan;
    use super::*;

    fn marked(text: &str, query: &str, initials: bool) -> String {
        Marked::new(text, &plan(query).units, initials).html()
    }

    #[test]
    fn marks_words_pinyin_and_initials() {
        assert_eq!(
            marked("变黄期怎么烤", "变黄", true),
            "<mark>变黄</mark>期怎么烤"
        );
        assert_eq!(
            marked("变黄期怎么烤", "烤 变黄", true),
            "<mark>变黄</mark>期怎么<mark>烤</mark>"
        );
        assert_eq!(
            marked("烘烤与变黄", "hongkao", true),
            "<mark>烘烤</mark>与变黄"
        );
        assert_eq!(
            marked("烘烤与变黄", "bianhua", true),
            "烘烤与<mark>变黄</mark>"
        );
        assert_eq!(marked("烘烤与变黄", "hk", true), "<mark>烘烤</mark>与变黄");
        assert_eq!(marked("烘烤与变黄", "hk", false), "烘烤与变黄");
        assert_eq!(
            marked("调 pH值 PHOTO", "ph", true),
            "调 <mark>pH</mark>值 <mark>PHOTO</mark>"
        );
    }

    #[test]
    fn escapes_html() {
        assert_eq!(
            marked("<script>变黄</script> & \"'", "变黄", false),
            "&lt;script&gt;<mark>变黄</mark>&lt;/script&gt; &amp; &quot;&#39;"
        );
    }

    #[test]
    fn snippet_centres_on_the_best_match() {
        let text = format!(
            "{}赤星病多发于成熟期。{}",
            "开头".repeat(40),
            "结尾".repeat(40)
        );
        let s = Marked::new(&text, &plan("赤星病").units, false).snippet();
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("<mark>赤星病</mark>多发于成熟期"), "{s}");
        assert_eq!(
            s.replace("<mark>", "")
                .replace("</mark>", "")
                .chars()
                .count(),
            62
        );
        let none = Marked::new(&text, &plan("野火病").units, false).snippet();
        assert!(none.starts_with("开头开头") && none.ends_with('…'));
        let short = Marked::new("短文赤星病", &plan("赤星病").units, false).snippet();
        assert_eq!(short, "短文<mark>赤星病</mark>");
    }
}
