//! Full-text search over titles and message text.
//!
//! The trigram tokenizer matches any substring of three characters or more, in any script —
//! Chinese and Japanese have no spaces to split words at. Shorter queries fall back to a
//! scan. Snippets mark the match with U+0002 and U+0003 so the UI can highlight it without
//! ever treating message text as HTML; a marked span is always a case-insensitive match of
//! the query in the original text, found on its own character boundaries.

use super::{HistoryDb, Result};
use rusqlite::params;
use serde::Serialize;
use std::ops::Range;

pub const MARK_START: char = '\u{2}';
pub const MARK_END: char = '\u{3}';

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub conversation_id: String,
    /// The matching message; none when the title matched.
    pub message_id: Option<String>,
    pub title: String,
    pub snippet: String,
    #[ts(type = "number")]
    pub updated_at: i64,
}

/// An FTS5 query that matches every term (of three characters or more) as a substring.
fn fts_query(query: &str) -> Option<String> {
    let terms: Vec<String> = query
        .split_whitespace()
        .filter(|t| t.chars().count() >= 3)
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

fn like_pattern(query: &str) -> String {
    let escaped = query
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// How much text a snippet shows around its first match, in characters.
const BEFORE: usize = 30;
const AFTER: usize = 50;
/// A snippet of text with no match found: its start.
const NO_MATCH: usize = 80;

/// `s` lowercased character by character: the comparison both sides of a match use.
/// (`str::to_lowercase` differs only for a final sigma, which would make the two disagree.)
fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// The case-insensitive matches of any of `terms` in `text`, as byte ranges on `text`'s own
/// character boundaries, from the first match to [`AFTER`] characters past it.
///
/// Lowercasing can change a text's length (`İ` becomes two characters, three bytes), so
/// offsets found in the lowercased text are never used on the original: each folded byte
/// remembers the original character it came from, and a match covers the whole original
/// characters it touches. Overlapping matches are merged.
fn matches(text: &str, terms: &[&str]) -> Vec<Range<usize>> {
    let needles: Vec<String> = terms
        .iter()
        .map(|t| fold(t))
        .filter(|n| !n.is_empty())
        .collect();
    if needles.is_empty() {
        return Vec::new();
    }
    let mut folded = String::with_capacity(text.len());
    let mut origin: Vec<usize> = Vec::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        folded.extend(c.to_lowercase());
        origin.resize(folded.len(), at);
    }
    let char_end = |at: usize| at + text[at..].chars().next().map_or(0, char::len_utf8);
    // Each needle's next occurrence at or after `from` (None: not looked for yet). As `from`
    // only grows, an occurrence found earlier stays the next one until it is passed.
    let mut next: Vec<Option<Option<usize>>> = vec![None; needles.len()];
    let mut found: Vec<Range<usize>> = Vec::new();
    let mut stop = text.len();
    let mut from = 0;
    loop {
        let mut best: Option<(usize, usize)> = None;
        for (n, needle) in needles.iter().enumerate() {
            let stale = match next[n] {
                None => true,
                Some(Some(at)) => at < from,
                Some(None) => false,
            };
            if stale {
                next[n] = Some(
                    folded
                        .get(from..)
                        .and_then(|rest| rest.find(needle.as_str()))
                        .map(|i| from + i),
                );
            }
            if let Some(Some(at)) = next[n] {
                let end = at + needle.len();
                if best.is_none_or(|(s, e)| at < s || (at == s && end > e)) {
                    best = Some((at, end));
                }
            }
        }
        let Some((s, e)) = best else {
            break;
        };
        let range = origin[s]..char_end(origin[e - 1]);
        if range.start >= stop {
            break;
        }
        match found.last_mut() {
            Some(last) if range.start < last.end => last.end = last.end.max(range.end),
            _ => {
                if found.is_empty() {
                    stop = text[range.end..]
                        .char_indices()
                        .nth(AFTER)
                        .map_or(text.len(), |(i, _)| range.end + i);
                }
                found.push(range);
            }
        }
        from = e;
    }
    found
}

/// A snippet of `text` around its first match of `terms`, each match in it between
/// [`MARK_START`] and [`MARK_END`]. The marks are taken out of the text first, so every
/// marked span is a match.
pub(super) fn snippet(text: &str, terms: &[&str]) -> String {
    let text: String = text.chars().filter(|c| !is_mark(*c)).collect();
    let found = matches(&text, terms);
    let (Some(first), Some(last)) = (found.first(), found.last()) else {
        let mut out: String = text.chars().take(NO_MATCH).collect();
        if out.len() < text.len() {
            out.push('…');
        }
        return out;
    };
    let start = text[..first.start]
        .char_indices()
        .rev()
        .nth(BEFORE - 1)
        .map_or(0, |(i, _)| i);
    let end = text[first.end..]
        .char_indices()
        .nth(AFTER)
        .map_or(text.len(), |(i, _)| first.end + i)
        .max(last.end);
    let mut out = String::with_capacity(end - start + 16);
    if start > 0 {
        out.push('…');
    }
    let mut cursor = start;
    for m in &found {
        out.push_str(&text[cursor..m.start]);
        out.push(MARK_START);
        out.push_str(&text[m.clone()]);
        out.push(MARK_END);
        cursor = m.end;
    }
    out.push_str(&text[cursor..end]);
    if end < text.len() {
        out.push('…');
    }
    out
}

fn is_mark(c: char) -> bool {
    c == MARK_START || c == MARK_END
}

/// Every query selects (conversation id, message id or NULL, title, text, time); the text
/// becomes the snippet.
fn hit(r: &rusqlite::Row<'_>) -> rusqlite::Result<SearchHit> {
    Ok(SearchHit {
        conversation_id: r.get(0)?,
        message_id: r.get(1)?,
        title: r.get(2)?,
        snippet: r.get(3)?,
        updated_at: r.get(4)?,
    })
}

fn run(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<SearchHit>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let hits = stmt
        .query_map(params, hit)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(hits)
}

const TITLES: &str = "SELECT c.id, NULL, c.title, c.title, c.updated_at
     FROM conversations_fts JOIN conversations c ON c.rowid = conversations_fts.rowid
     WHERE conversations_fts MATCH ?1 ORDER BY c.updated_at DESC LIMIT ?2";

/// Newest matches first, straight from the index in rowid order (rows are added as messages
/// are written), so only the rows shown are read.
const MESSAGES: &str = "WITH hits AS (
         SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1
         ORDER BY rowid DESC LIMIT ?2
     )
     SELECT m.conversation_id, m.id, c.title, m.content, m.created_at
     FROM hits
     JOIN messages m ON m.rowid = hits.rowid
     JOIN conversations c ON c.id = m.conversation_id
     ORDER BY hits.rowid DESC";

/// Queries under three characters cannot use the trigram index: scan, newest rows first,
/// stopping at the limit.
const SCAN: &str = "SELECT m.conversation_id, m.id, c.title, m.content, m.created_at
     FROM messages m JOIN conversations c ON c.id = m.conversation_id
     WHERE m.content LIKE ?1 ESCAPE '\\'
     ORDER BY m.rowid DESC LIMIT ?2";

impl HistoryDb {
    /// Titles and messages matching `query`, newest first, each with a marked snippet.
    /// Snippets are made here rather than by FTS5's `snippet()`, so that both kinds of
    /// query mark matches the same way and text that itself holds the mark characters
    /// cannot fake a highlight. The mark characters and NUL are dropped from the query.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        // A NUL ends an FTS5 query string early ("unterminated string"): it never matches.
        let query: String = query
            .chars()
            .filter(|c| !is_mark(*c) && *c != '\0')
            .collect();
        let query = query.trim();
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let conn = self.conn();
        let mut hits = match fts_query(query) {
            Some(fts) => {
                let args = params![fts, limit as i64];
                let titles = run(&conn, TITLES, args)?;
                let messages = run(&conn, MESSAGES, args)?;
                // A title match adds nothing when the same conversation's messages matched.
                let mut hits: Vec<SearchHit> = titles
                    .into_iter()
                    .filter(|t| {
                        !messages
                            .iter()
                            .any(|m| m.conversation_id == t.conversation_id)
                    })
                    .collect();
                hits.extend(messages);
                let terms: Vec<&str> = query
                    .split_whitespace()
                    .filter(|t| t.chars().count() >= 3)
                    .collect();
                for h in &mut hits {
                    h.snippet = snippet(&h.snippet, &terms);
                }
                hits
            }
            None => {
                let mut scanned = run(&conn, SCAN, params![like_pattern(query), limit as i64])?;
                for h in &mut scanned {
                    h.snippet = snippet(&h.snippet, &[query]);
                }
                scanned
            }
        };
        hits.truncate(limit);
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Source, TurnKind, TurnRequest, FILE_NAME};

    fn db_with(texts: &[&str]) -> (tempfile::TempDir, HistoryDb) {
        let dir = tempfile::tempdir().unwrap();
        let db = HistoryDb::open(&dir.path().join(FILE_NAME)).unwrap();
        for t in texts {
            let turn = db
                .begin_turn(&TurnRequest {
                    conversation_id: None,
                    kind: TurnKind::Ask { text: (*t).into() },
                    model: "m".into(),
                    system_prompt: String::new(),
                    profile: String::new(),
                    source: Source::App,
                })
                .unwrap();
            db.finish_reply(
                &turn.assistant_message_id,
                &format!("Answer to: {t}"),
                "",
                None,
                &Ok(crate::llm::FinishReason::Stop),
            )
            .unwrap();
        }
        (dir, db)
    }

    #[test]
    fn finds_substrings_with_highlighted_snippets() {
        let (_d, db) = db_with(&[
            "How do I configure nginx reverse proxies?",
            "Best pasta recipes",
        ]);
        let hits = db.search("reverse prox", 10).unwrap();
        assert!(!hits.is_empty());
        assert!(hits.iter().all(|h| h.title.contains("nginx")));
        let in_message = hits.iter().find(|h| h.message_id.is_some()).unwrap();
        assert!(
            in_message.snippet.contains("\u{2}reverse\u{3}"),
            "{}",
            in_message.snippet
        );
    }

    #[test]
    fn chinese_and_japanese_are_found() {
        let (_d, db) = db_with(&["数据库的索引是如何工作的", "東京の天気はどうですか"]);
        assert_eq!(
            db.search("索引是", 10)
                .unwrap()
                .first()
                .map(|h| h.title.as_str()),
            Some("数据库的索引是如何工作的")
        );
        assert!(!db.search("天気は", 10).unwrap().is_empty());
    }

    #[test]
    fn short_queries_fall_back_to_a_scan() {
        let (_d, db) = db_with(&["Use Go or Rust?", "Nothing here"]);
        let hits = db.search("Go", 10).unwrap();
        assert!(
            hits.iter().any(|h| h.snippet.contains("\u{2}Go\u{3}")),
            "{hits:?}"
        );
        assert!(
            db.search("%", 10).unwrap().is_empty(),
            "LIKE wildcards are literal"
        );
    }

    #[test]
    fn quotes_in_queries_are_harmless() {
        let (_d, db) = db_with(&["say \"hello world\" twice"]);
        assert!(!db.search("\"hello", 10).unwrap().is_empty());
        assert!(db.search("AND OR NOT", 10).is_ok());
    }

    #[test]
    fn short_queries_over_text_that_changes_length_when_lowercased_do_not_crash() {
        let (_d, db) = db_with(&["İİİ ab"]);
        let hits = db.search("b", 10).unwrap();
        assert!(!hits.is_empty());
        assert!(
            hits.iter().all(|h| h.snippet.contains("a\u{2}b\u{3}")),
            "{hits:?}"
        );
    }

    #[test]
    fn a_short_highlight_covers_the_match_itself() {
        let (_d, db) = db_with(&["İİ café noir"]);
        let hits = db.search("é", 10).unwrap();
        assert!(!hits.is_empty());
        assert!(
            hits.iter()
                .all(|h| h.snippet.contains("caf\u{2}é\u{3} noir")),
            "{hits:?}"
        );
    }

    #[test]
    fn a_nul_in_a_query_is_not_an_error() {
        let (_d, db) = db_with(&["plain text"]);
        assert!(db.search("aa\0", 10).unwrap().is_empty());
        assert!(!db.search("pla\0in", 10).unwrap().is_empty());
    }
}
