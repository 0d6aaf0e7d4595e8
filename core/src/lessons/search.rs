//! Full-text search over installed lessons: Chinese words, pinyin ("hongkao", "hong kao",
//! "bianhuan") and initials ("hk", "bhq"), ranked and highlighted, all offline in SQLite FTS5.
//!
//! # Design
//!
//! * **Index: one token per Han character.** Each lesson's title, tags and plain text (Markdown
//!   stripped) are written into FTS5 columns as space-separated tokens: every Han character is a
//!   token, every run of other letters and digits is one (`unicode61` reads them back exactly).
//!   A Chinese query word is then a *phrase* of its characters, which matches exactly where the
//!   word occurs as a substring. Indexing jieba words instead makes a match depend on jieba
//!   cutting the lesson and the query alike, and it often does not: `变黄期` is one token of a
//!   lesson ("变黄" is not in jieba's dictionary; the HMM glues the three characters), so the
//!   query "变黄" would miss it. Character phrases have no such gap, and the index does not need
//!   the segmenter at all.
//! * **Query: segmented with jieba.** "烘烤变黄" → `烘烤`, `变黄`; "烟叶变黄了怎么办" →
//!   `烟叶`, `变黄` (question words and particles are dropped when other words remain). The
//!   first search wants every word (`AND`); when it finds fewer than `limit` lessons, a second
//!   search wants any word, or any character pair of a word of three or more characters (so a
//!   word the segmenter glued, like "烤烟变黄", still finds its parts), and its hits follow.
//!   Lessons with every word come first, then partial matches: partial matches ranked by bm25
//!   alone let a lesson with one rare word in its title beat one that has every word.
//! * **Segmenter dictionary: trimmed.** jieba's own dictionary (349 046 words) adds ~3.2 MB to the
//!   binary even compressed, ~30 MB of memory and ~190 ms of loading on a desktop. Since the
//!   dictionary only splits queries here, `search/dict.txt` keeps every single character and the
//!   40 000 most frequent words (567 KB, stored deflated by `build.rs`: 277 KB in the
//!   library; ~6 MB of memory, ~10 ms to load), regenerated with
//!   `search/trim_dict.py` (jieba's dictionary: MIT licence, © 2013 Sun Junyi);
//!   `search/domain.txt` adds tobacco words (变黄期, 干湿球, 赤星病, …).
//!   A smaller dictionary can only split a query into more, shorter words, which still match.
//! * **Pinyin.** For every Han character of titles, tags and text, `*_py` columns hold its
//!   toneless syllable (`pinyin` crate, `ü` typed as `v`), and for titles and tags `*_ini` columns
//!   hold its first letter. A Latin word of a query is tried as the start of an English word or
//!   number (`{title tags body} : "word"*`), as pinyin split into the fewest syllables with the
//!   last one unfinished (`"bian huan"*` matches 变黄), and, up to 8 letters, as initials (`"b h
//!   q"`). Body text has no initials column: a run of initials matches almost anywhere in a long
//!   text. A polyphonic character is indexed with its most common reading only.
//! * **Ranking.** bm25 with column weights title 10 > tags 5 > body 1 (and the same for the
//!   pinyin and initials columns), so a title match beats a body-only one.
//! * **Highlighting** is done here, not by FTS5 (the index is contentless and holds tokens, not
//!   the text): the same tokenizer and matching rules find the matches in the stored plain title
//!   and text, which are HTML-escaped and wrapped in `<mark>`.
//! * **Safety.** User text reaches FTS5 only as quoted tokens of letters, digits and Han
//!   characters; queries are cut at 64 characters and 8 words.
//!
//! Storage (schema step 4): `lesson_search_docs` keeps the plain title and text; the contentless
//! FTS5 table `lesson_search` (rowid = docs id) keeps only the index. Changing how text is
//! tokenized needs a migration that empties both tables, after which installed packs must be
//! indexed again.

mod highlight;
mod query;
mod romanize;
mod text;

use rusqlite::{Connection, Transaction, params};

use crate::Text;
use crate::text::Locale;

use highlight::Marked;
use query::Unit;

/// Most hits one search returns.
const MAX_LIMIT: usize = 200;

/// bm25 weights, in the FTS5 table's column order:
/// title, tags, body, title_py, tags_py, body_py, title_ini, tags_ini.
const RANK: &str = "bm25(lesson_search, 10.0, 5.0, 1.0, 10.0, 5.0, 1.0, 10.0, 5.0)";

/// One lesson to index.
#[derive(Debug, Clone, Copy)]
pub struct IndexedLesson<'a> {
    pub lesson_id: &'a str,
    pub title: &'a Text,
    pub tags: &'a [String],
    /// The lesson's Markdown; indexed as plain text.
    pub markdown: &'a str,
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub pack_id: String,
    pub lesson_id: String,
    /// Chinese title, plain text.
    pub title: String,
    /// The title, HTML-escaped, matches wrapped in `<mark>`.
    pub title_html: String,
    /// About 60 characters of the lesson text around the best match, HTML-escaped, matches
    /// wrapped in `<mark>`, `…` where the text goes on.
    pub snippet_html: String,
    /// Relevance, higher is better; never increases down a result list.
    pub score: f64,
}

/// Replaces every index row of `pack_id` with these lessons (call in the install transaction).
pub fn index_pack(
    tx: &Transaction<'_>,
    pack_id: &str,
    lessons: &[IndexedLesson<'_>],
) -> rusqlite::Result<()> {
    remove_pack(tx, pack_id)?;
    let mut doc = tx.prepare_cached(
        "INSERT INTO lesson_search_docs (pack_id, lesson_id, title, body) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut fts = tx.prepare_cached(
        "INSERT INTO lesson_search
            (rowid, title, tags, body, title_py, tags_py, body_py, title_ini, tags_ini)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for lesson in lessons {
        let title = lesson.title.get(Locale::Zh);
        let body = text::markdown_to_text(lesson.markdown);
        // Lessons usually open with their title as a heading: the snippet should not repeat it.
        let body = match body.strip_prefix(title) {
            Some(rest) if !title.is_empty() => rest.trim_start().to_owned(),
            _ => body,
        };
        let tags = lesson.tags.join(" ");
        doc.execute(params![pack_id, lesson.lesson_id, title, body])?;
        let id = tx.last_insert_rowid();
        // The English title is searchable too (it is never shown by this module).
        let title_words = if lesson.title.en.trim().is_empty() || lesson.title.en == title {
            title.to_owned()
        } else {
            format!("{title} {}", lesson.title.en)
        };
        fts.execute(params![
            id,
            text::column(&title_words),
            text::column(&tags),
            text::column(&body),
            pinyin_column(title),
            pinyin_column(&tags),
            pinyin_column(&body),
            initials_column(title),
            initials_column(&tags),
        ])?;
    }
    Ok(())
}

/// Removes every index row of `pack_id`.
pub fn remove_pack(tx: &Transaction<'_>, pack_id: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "DELETE FROM lesson_search
         WHERE rowid IN (SELECT id FROM lesson_search_docs WHERE pack_id = ?1)",
    )?
    .execute([pack_id])?;
    tx.prepare_cached("DELETE FROM lesson_search_docs WHERE pack_id = ?1")?
        .execute([pack_id])?;
    Ok(())
}

/// Searches installed lessons, best first, at most `limit` (capped at 200). An empty or
/// whitespace query, or one with nothing searchable (only punctuation or emoji), finds nothing.
/// Any user text is safe: it never reaches FTS5 query syntax unquoted.
pub fn search(conn: &Connection, query: &str, limit: usize) -> rusqlite::Result<Vec<SearchHit>> {
    let limit = limit.min(MAX_LIMIT);
    let plan = query::plan(query);
    if limit == 0 || plan.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows = run(conn, &plan.all(), limit)?;
    let complete = rows.len();
    if complete < limit && plan.has_fallback() {
        for row in run(conn, &plan.any(), limit + complete)? {
            if rows.len() == limit {
                break;
            }
            if !rows.iter().any(|r| r.id == row.id) {
                rows.push(row);
            }
        }
    }
    // Partial matches never score above the complete ones before them.
    let mut ceiling = f64::INFINITY;
    let mut hits = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        let score = row.score.min(ceiling);
        ceiling = score;
        hits.push((i < complete, row, score));
    }
    let everything: Vec<Unit> = plan.units.iter().chain(&plan.pairs).cloned().collect();
    Ok(hits
        .into_iter()
        .map(|(complete, row, score)| {
            let units = if complete { &plan.units } else { &everything };
            SearchHit {
                title_html: Marked::new(&row.title, units, true).html(),
                snippet_html: Marked::new(&row.body, units, false).snippet(),
                pack_id: row.pack_id,
                lesson_id: row.lesson_id,
                title: row.title,
                score,
            }
        })
        .collect())
}

/// Loads the query segmenter's dictionary and the pinyin tables (~10 ms on a desktop, more on
/// a phone), which the first search would otherwise pay for. Call it off the main thread at
/// start-up if the first search must be quick.
pub fn warm_up() {
    query::warm_up();
}

#[derive(Debug)]
struct Row {
    id: i64,
    pack_id: String,
    lesson_id: String,
    title: String,
    body: String,
    score: f64,
}

fn run(conn: &Connection, expr: &str, limit: usize) -> rusqlite::Result<Vec<Row>> {
    // Rank inside FTS5 first and join the stored text of the few best only.
    let sql = format!(
        "SELECT d.id, d.pack_id, d.lesson_id, d.title, d.body, f.score
         FROM (SELECT rowid AS id, -{RANK} AS score FROM lesson_search
               WHERE lesson_search MATCH ?1 ORDER BY score DESC LIMIT ?2) AS f
         JOIN lesson_search_docs AS d ON d.id = f.id
         ORDER BY f.score DESC, d.pack_id, d.lesson_id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    stmt.query_map(params![expr, limit], |r| {
        Ok(Row {
            id: r.get(0)?,
            pack_id: r.get(1)?,
            lesson_id: r.get(2)?,
            title: r.get(3)?,
            body: r.get(4)?,
            score: r.get(5)?,
        })
    })?
    .collect()
}

/// The pinyin column: one syllable per Han character of `text`.
fn pinyin_column(text: &str) -> String {
    han_chars(text)
        .filter_map(romanize::syllable)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The initials column: one letter per Han character of `text`.
fn initials_column(text: &str) -> String {
    let mut out = String::new();
    for letter in han_chars(text).filter_map(romanize::initial) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push(letter);
    }
    out
}

fn han_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    text::tokenize(text)
        .into_iter()
        .filter_map(|s| match s.tok {
            text::Tok::Han(c) => Some(c),
            text::Tok::Word(_) => None,
        })
}
