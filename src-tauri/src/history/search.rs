//! Full-text search over titles and message text.
//!
//! The trigram tokenizer matches any substring of three characters or more, in any script —
//! Chinese and Japanese have no spaces to split words at. Shorter queries fall back to a
//! scan. Snippets mark the match with U+0002 and U+0003 so the UI can highlight it without
//! ever treating message text as HTML.

use super::{HistoryDb, Result};
use rusqlite::params;
use serde::Serialize;

pub const MARK_START: char = '\u{2}';
pub const MARK_END: char = '\u{3}';

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub conversation_id: String,
    /// The matching message; none when the title matched.
    pub message_id: Option<String>,
    pub title: String,
    pub snippet: String,
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

/// A snippet around the first match for a scanned (short) query, marked like FTS5's.
fn scan_snippet(text: &str, query: &str) -> String {
    let lower = text.to_lowercase();
    let Some(at) = lower.find(&query.to_lowercase()) else {
        return text.chars().take(80).collect();
    };
    // Work in chars to stay on boundaries.
    let before: String = text[..at]
        .chars()
        .rev()
        .take(30)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let hit_len = text[at..]
        .char_indices()
        .nth(query.chars().count())
        .map(|(i, _)| i)
        .unwrap_or(text.len() - at);
    let after: String = text[at + hit_len..].chars().take(50).collect();
    format!(
        "…{before}{MARK_START}{}{MARK_END}{after}…",
        &text[at..at + hit_len]
    )
}

/// Every query selects (conversation id, message id or NULL, title, snippet, time).
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

const TITLES: &str =
    "SELECT c.id, NULL, c.title, highlight(conversations_fts, 0, ?2, ?3), c.updated_at
     FROM conversations_fts JOIN conversations c ON c.rowid = conversations_fts.rowid
     WHERE conversations_fts MATCH ?1 ORDER BY c.updated_at DESC LIMIT ?4";

/// Newest matches first, straight from the index in rowid order (rows are added as messages
/// are written), so only the rows shown get snippets.
const MESSAGES: &str = "WITH hits AS (
         SELECT rowid, snippet(messages_fts, 0, ?2, ?3, '…', 64) AS snip
         FROM messages_fts WHERE messages_fts MATCH ?1
         ORDER BY rowid DESC LIMIT ?4
     )
     SELECT m.conversation_id, m.id, c.title, hits.snip, m.created_at
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
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let query = query.trim();
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let conn = self.conn();
        let (start, end) = (MARK_START.to_string(), MARK_END.to_string());
        let mut hits = match fts_query(query) {
            Some(fts) => {
                let args = params![fts, start, end, limit as i64];
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
                hits
            }
            None => {
                let mut scanned = run(&conn, SCAN, params![like_pattern(query), limit as i64])?;
                for h in &mut scanned {
                    h.snippet = scan_snippet(&h.snippet, query);
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
}
