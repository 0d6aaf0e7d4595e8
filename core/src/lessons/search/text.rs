//! Plain text from lesson Markdown, and the one token stream that the index, the query and the
//! highlighter all use, so that what FTS5 matches and what gets `<mark>`ed cannot drift apart.

/// A CJK unified ideograph (basic block, extension A, compatibility block, extensions B–H):
/// each one is a token of its own.
pub(super) fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{323AF}')
}

/// Folds what people type interchangeably: full-width ASCII (`ＡＢ１`) to ASCII, the ideographic
/// space to a space, ASCII capitals to lower case. One char in, one char out, so positions in the
/// folded text are positions in the original.
pub(super) fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
    c.to_ascii_lowercase()
}

/// One token: a Han character, or a run of other letters and digits (lower-cased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tok {
    Han(char),
    Word(String),
}

impl Tok {
    /// The token as FTS5 sees it once it is written into a column.
    pub(super) fn push_to(&self, out: &mut String) {
        match self {
            Tok::Han(c) => out.push(*c),
            Tok::Word(w) => out.push_str(w),
        }
    }
}

/// A token and where it sits in the text, in chars: `start..end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) tok: Tok,
}

/// Splits `text` the way the index does: every Han character is a token, every maximal run of
/// other letters and digits is a token, everything else (punctuation, symbols, emoji, spaces)
/// separates. This is also how SQLite's `unicode61` tokenizer reads the space-joined columns,
/// so a column written from these tokens holds exactly these tokens.
pub(super) fn tokenize(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut word_start = 0;
    let mut n = 0;
    for (i, c) in text.chars().enumerate() {
        n = i + 1;
        let c = fold(c);
        if !is_han(c) && c.is_alphanumeric() {
            if word.is_empty() {
                word_start = i;
            }
            word.extend(c.to_lowercase());
            continue;
        }
        if !word.is_empty() {
            out.push(Span {
                start: word_start,
                end: i,
                tok: Tok::Word(std::mem::take(&mut word)),
            });
        }
        if is_han(c) {
            out.push(Span {
                start: i,
                end: i + 1,
                tok: Tok::Han(c),
            });
        }
    }
    if !word.is_empty() {
        out.push(Span {
            start: word_start,
            end: n,
            tok: Tok::Word(word),
        });
    }
    out
}

/// The text of an index column: the tokens of `text`, space-separated.
pub(super) fn column(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 4 / 3);
    for span in tokenize(text) {
        if !out.is_empty() {
            out.push(' ');
        }
        span.tok.push_to(&mut out);
    }
    out
}

/// Plain text of a lesson's Markdown, for indexing and snippets: block markers (`#`, `>`, list
/// bullets), emphasis and code marks, table pipes and rules, link and image syntax (the link text
/// and the image's alt text are kept, the addresses dropped) and backslash escapes are removed;
/// whitespace collapses to single spaces. HTML is left as text: it is escaped when shown.
/// Hand-written on purpose: search needs readable words, not a faithful rendering.
pub(super) fn markdown_to_text(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut fence: Option<&str> = None;
    // Whether the previous line was a paragraph line that a soft line break continues.
    let mut continues = false;
    for raw in md.lines() {
        let line = raw.trim();
        if let Some(marker) = fence {
            if line.starts_with(marker) {
                fence = None;
                continues = false;
            } else {
                push_block(&mut out, line, false);
            }
            continue;
        }
        if line.starts_with("```") || line.starts_with("~~~") {
            fence = Some(&line[..3]);
            continues = false;
            continue;
        }
        if line.is_empty() || is_rule(line) || is_link_definition(line) {
            continues = false;
            continue;
        }
        let (content, plain_paragraph) = strip_block_markers(line);
        let is_table_row = content.starts_with('|');
        push_block(&mut out, &inline(content), continues);
        continues = plain_paragraph && !is_table_row;
    }
    out
}

/// Appends one line of text; a soft-wrapped paragraph continues without a space between two
/// Chinese characters, any other line starts after a space.
fn push_block(out: &mut String, text: &str, continues: bool) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    if !out.is_empty() {
        let joined_han = continues
            && out.chars().next_back().is_some_and(is_han)
            && text.chars().next().is_some_and(is_han);
        if !joined_han {
            out.push(' ');
        }
    }
    let mut last_space = out.ends_with(' ');
    for c in text.chars() {
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    while out.ends_with(' ') {
        out.pop();
    }
}

/// `---`, `***`, `___`, `===` (setext underline) and table separator rows like `|---|:--:|`.
fn is_rule(line: &str) -> bool {
    let body: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    if body.len() >= 3
        && ['-', '*', '_', '=']
            .iter()
            .any(|&m| body.chars().all(|c| c == m))
    {
        return true;
    }
    body.contains('-') && body.contains('|') && body.chars().all(|c| matches!(c, '|' | '-' | ':'))
}

/// `[label]: https://…` reference definitions carry no readable text.
fn is_link_definition(line: &str) -> bool {
    line.starts_with('[') && !line.starts_with("[^") && line.contains("]:")
}

/// Removes leading `>`, `#`, list bullets, ordered-list numbers and task boxes. Returns the rest
/// and whether the line is ordinary paragraph text (which a soft line break may continue).
fn strip_block_markers(mut line: &str) -> (&str, bool) {
    let mut plain = true;
    loop {
        let before = line;
        if let Some(rest) = line.strip_prefix('>') {
            line = rest.trim_start();
        }
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if (1..=6).contains(&hashes) {
            let rest = &line[hashes..];
            if rest.is_empty() || rest.starts_with(char::is_whitespace) {
                line = rest.trim();
                line = line.trim_end_matches('#').trim_end();
                plain = false;
            }
        }
        for bullet in ["- ", "* ", "+ "] {
            if let Some(rest) = line.strip_prefix(bullet) {
                line = rest.trim_start();
                plain = false;
            }
        }
        let digits = line.chars().take_while(char::is_ascii_digit).count();
        if (1..=9).contains(&digits) {
            let rest = &line[digits..];
            if let Some(rest) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
                line = rest.trim_start();
                plain = false;
            }
        }
        for task in ["[ ] ", "[x] ", "[X] "] {
            if let Some(rest) = line.strip_prefix(task) {
                line = rest.trim_start();
            }
        }
        if line == before {
            return (line, plain);
        }
    }
}

/// Inline syntax: emphasis and code marks, links and images, escapes, table pipes.
fn inline(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    inline_into(&chars, &mut out);
    out
}

fn inline_into(chars: &[char], out: &mut String) {
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if chars.get(i + 1).is_some_and(char::is_ascii_punctuation) => {
                out.push(chars[i + 1]);
                i += 2;
                continue;
            }
            '!' if chars.get(i + 1) == Some(&'[') => {
                // An image: keep its alt text like a link's text.
                i += 1;
                continue;
            }
            '[' => {
                if let Some((text, next)) = link(chars, i) {
                    if text.first() != Some(&'^') {
                        inline_into(text, out);
                    }
                    i = next;
                    continue;
                }
                out.push(c);
            }
            '*' | '`' | '~' => {}
            '_' => {
                let inside_word = i > 0
                    && chars[i - 1].is_alphanumeric()
                    && chars.get(i + 1).is_some_and(|c| c.is_alphanumeric());
                if inside_word {
                    out.push(c);
                }
            }
            '|' => out.push(' '),
            _ => out.push(c),
        }
        i += 1;
    }
}

/// A link or image starting at the `[` at `open`: `[text](url)`, `[text][ref]`, `[text]` before
/// a `(…)` or `[…]`, and footnote marks `[^1]`. Returns the text and the index after the link.
fn link(chars: &[char], open: usize) -> Option<(&[char], usize)> {
    let close = matching(chars, open, '[', ']')?;
    let text = &chars[open + 1..close];
    match chars.get(close + 1) {
        Some('(') => {
            let end = matching(chars, close + 1, '(', ')')?;
            Some((text, end + 1))
        }
        Some('[') => {
            let end = matching(chars, close + 1, '[', ']')?;
            Some((text, end + 1))
        }
        _ if text.first() == Some(&'^') => Some((text, close + 1)),
        _ => None,
    }
}

/// Index of the bracket closing the one at `open`, counting nesting.
fn matching(chars: &[char], open: usize, left: char, right: char) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &c) in chars.iter().enumerate().skip(open) {
        if c == left {
            depth += 1;
        } else if c == right {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_full_width_and_case() {
        let s: String = "ＡＢｃ１２Hk\u{3000}变".chars().map(fold).collect();
        assert_eq!(s, "abc12hk 变");
    }

    #[test]
    fn tokens_are_han_chars_and_words() {
        let toks: Vec<Tok> = tokenize("变黄期38℃ pH值，HK😀烤")
            .into_iter()
            .map(|s| s.tok)
            .collect();
        assert_eq!(
            toks,
            vec![
                Tok::Han('变'),
                Tok::Han('黄'),
                Tok::Han('期'),
                Tok::Word("38".into()),
                Tok::Word("ph".into()),
                Tok::Han('值'),
                Tok::Word("hk".into()),
                Tok::Han('烤'),
            ]
        );
        let spans = tokenize("ab变");
        assert_eq!((spans[0].start, spans[0].end), (0, 2));
        assert_eq!((spans[1].start, spans[1].end), (2, 3));
        assert_eq!(column("变黄 期, OK"), "变 黄 期 ok");
    }

    #[test]
    fn strips_markdown() {
        let md = "# 变黄期怎么烤\n\n\
            > **要点**：稳温*排湿*，看`湿球`。\n\n\
            - 第一步\n- 第二步 [看图](https://x.cn/a.png)\n\n\
            1. 编号一\n\n\
            ![烤房示意图](img/kf.png)\n\n\
            | 阶段 | 干球 |\n|---|:--:|\n| 变黄 | 38℃ |\n\n\
            ---\n\
            ```\ncode 行\n```\n\
            正文第一行\n接着第二行 snake_case \\*星号\\*\n\
            [ref]: https://example.com\n\
            注释[^1] <script>alert(1)</script>";
        let text = markdown_to_text(md);
        assert_eq!(
            text,
            "变黄期怎么烤 要点：稳温排湿，看湿球。 第一步 第二步 看图 编号一 烤房示意图 \
             阶段 干球 变黄 38℃ code 行 正文第一行接着第二行 snake_case *星号* \
             注释 <script>alert(1)</script>"
        );
    }

    #[test]
    fn odd_markdown_does_not_panic() {
        for md in [
            "[", "![", "[a](", "\\", "#", "1.", "```", "|", "[^", "__", "> > >", "][",
        ] {
            let _ = markdown_to_text(md);
        }
    }
}
