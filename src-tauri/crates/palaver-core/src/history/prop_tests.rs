//! Property tests: hostile import files and arbitrary search text.
//!
//! - Both importers, on arbitrary JSON and on ChatGPT- and Palaver-shaped files with random
//!   trees (loops, missing parents, duplicate ids), never panic and never hang (each case
//!   runs under a time bound), and whatever they import can be read back.
//! - Search, on arbitrary Unicode text and queries (with letters whose lowercase has another
//!   length, final sigma, combining marks, the mark characters themselves), never panics,
//!   and every span between U+0002 and U+0003 is a case-insensitive match of the query in
//!   the original text.
//!
//! CI runs a bounded number of cases (64 per property, 256 for the snippet function alone;
//! a few seconds in all). To run longer:
//!
//! ```sh
//! PROPTEST_CASES=20000 cargo test --lib history::prop_tests
//! ```

use super::search::{snippet, MARK_END, MARK_START};
use super::{HistoryDb, Source, TurnKind, TurnRequest};
use crate::llm::FinishReason;
use proptest::prelude::*;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

/// How long one case may take before it counts as a hang.
const CASE_LIMIT: Duration = Duration::from_secs(20);

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Runs `f` on its own thread: a panic or a run past [`CASE_LIMIT`] fails the case.
fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, TestCaseError> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(CASE_LIMIT) {
        Ok(value) => Ok(value),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            Err(TestCaseError::fail(format!("no answer in {CASE_LIMIT:?}")))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(TestCaseError::fail("it panicked")),
    }
}

/// A failure of the code under test, as the failing case's reason.
fn failed(e: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

fn memory_db() -> HistoryDb {
    HistoryDb::open(Path::new(":memory:")).unwrap()
}

// ---- search ----

/// Characters that make case-insensitive matching hard, mixed with anything at all.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::sample::select(vec![
            'a', 'b', 'i', 'I', 'k', 's', 'S', ' ', 'é', 'É', 'İ', 'ı', 'ß', 'ẞ', 'Σ', 'σ',
            'ς', '\u{212A}', '\u{212B}', 'ǅ', 'ﬁ', '\u{307}', '\u{2}', '\u{3}', '\n', '数',
            '東', '😀',
        ]),
        1 => any::<char>(),
    ]
}

fn tricky_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(tricky_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

/// A query: a piece of the text (so that matches happen), maybe in another case, or
/// anything.
fn text_and_query() -> impl Strategy<Value = (String, String)> {
    tricky_text(80).prop_flat_map(|text| {
        let chars: Vec<char> = text.chars().collect();
        let n = chars.len();
        let piece = (0..=n, 1..5usize, any::<bool>()).prop_map(move |(at, len, upper)| {
            let piece: String = chars.iter().skip(at).take(len).collect();
            if upper {
                piece.to_uppercase()
            } else {
                piece
            }
        });
        (Just(text), prop_oneof![2 => piece, 1 => tricky_text(5)])
    })
}

fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// The spans between the marks; fails if the marks are not in pairs.
fn marked_spans(snippet: &str) -> Result<Vec<String>, TestCaseError> {
    let mut spans = Vec::new();
    let mut open: Option<String> = None;
    for c in snippet.chars() {
        match (c, &mut open) {
            (MARK_START, None) => open = Some(String::new()),
            (MARK_END, Some(_)) => spans.extend(open.take()),
            (MARK_START | MARK_END, _) => {
                return Err(TestCaseError::fail(format!("unpaired mark in {snippet:?}")))
            }
            (c, Some(span)) => span.push(c),
            (_, None) => {}
        }
    }
    match open {
        Some(_) => Err(TestCaseError::fail(format!("unclosed mark in {snippet:?}"))),
        None => Ok(spans),
    }
}

/// Every marked span is in the text and matches one of the terms, ignoring case.
fn check_highlights(snippet: &str, text: &str, terms: &[String]) -> Result<(), TestCaseError> {
    let plain: String = text
        .chars()
        .filter(|c| *c != MARK_START && *c != MARK_END)
        .collect();
    for span in marked_spans(snippet)? {
        if !plain.contains(&span) {
            return Err(TestCaseError::fail(format!(
                "{span:?} is not in the text {plain:?}"
            )));
        }
        let folded = fold(&span);
        if !terms.iter().any(|t| folded.contains(&fold(t))) {
            return Err(TestCaseError::fail(format!(
                "{span:?} does not match any of {terms:?}"
            )));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: config().cases * 4, ..config() })]

    #[test]
    fn prop_snippets_mark_only_real_matches_and_find_the_first((text, query) in text_and_query()) {
        let out = snippet(&text, &[query.as_str()]);
        check_highlights(&out, &text, std::slice::from_ref(&query))?;
        let plain: String = text.chars().filter(|c| *c != MARK_START && *c != MARK_END).collect();
        if !fold(&query).is_empty() && fold(&plain).contains(&fold(&query)) {
            prop_assert!(out.contains(MARK_START), "no mark for {query:?} in {out:?}");
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn prop_search_never_panics_and_highlights_real_matches((text, query) in text_and_query()) {
        let result = bounded(move || {
            let db = memory_db();
            let turn = db.begin_turn(&TurnRequest {
                conversation_id: None,
                kind: TurnKind::Ask { text: text.clone() },
                model: "m".into(),
                system_prompt: String::new(),
                profile: String::new(),
                source: Source::App,
            }).map_err(failed)?;
            db.finish_reply(&turn.assistant_message_id, &text, "", None, &Ok(FinishReason::Stop))
                .map_err(failed)?;
            let hits = db.search(&query, 10).map_err(failed)?;
            let mut terms: Vec<String> = query.split_whitespace().map(str::to_owned).collect();
            terms.push(query.trim().to_owned());
            let terms: Vec<String> = terms
                .into_iter()
                // Search drops the marks and NUL from a query, as it documents.
                .map(|t| {
                    t.chars()
                        .filter(|c| *c != MARK_START && *c != MARK_END && *c != '\0')
                        .collect::<String>()
                })
                .filter(|t| !t.trim().is_empty())
                .collect();
            for hit in hits {
                let source = if hit.message_id.is_some() { text.clone() } else { hit.title.clone() };
                check_highlights(&hit.snippet, &source, &terms)?;
            }
            Ok::<(), TestCaseError>(())
        });
        result.and_then(|r| r)?;
    }
}

// ---- imports ----

/// Keys the importers look at, so random objects often take the paths that matter.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "format", "version", "exportedAt", "conversations", "id", "title", "createdAt",
            "updatedAt", "source", "currentLeafId", "messages", "parentId", "role", "content",
            "status", "mapping", "parent", "message", "author", "parts", "current_node",
            "conversation_id", "create_time", "children", "metadata",
        ])
        .prop_map(str::to_owned),
        1 => "[a-z]{0,4}",
    ]
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        prop::sample::select(vec![
            "palaver-history",
            "user",
            "assistant",
            "system",
            "tool",
            "complete",
            "streaming",
            "pondering",
            "chatgpt",
            "cli",
            "a",
            "b",
            "c",
            "",
        ])
        .prop_map(serde_json::Value::from),
        tricky_text(6).prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Small id pools make duplicates, loops and dangling parents likely.
fn node_id() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "c", "d", "e", "f"]).prop_map(str::to_owned)
}

fn role() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["user", "assistant", "system", "tool"])
}

fn chatgpt_file() -> impl Strategy<Value = serde_json::Value> {
    let node = (
        node_id(),
        prop::option::of(node_id()),
        role(),
        tricky_text(8),
        any::<bool>(),
    );
    let conversation = (
        prop::collection::vec(node, 0..8),
        prop::option::of(node_id()),
        tricky_text(6),
    )
        .prop_map(|(nodes, current, title)| {
            let mapping: serde_json::Map<String, serde_json::Value> = nodes
                .into_iter()
                .map(|(id, parent, role, text, has_message)| {
                    let message = has_message.then(|| {
                        serde_json::json!({
                            "author": { "role": role },
                            "create_time": 1_700_000_000.0,
                            "content": { "parts": [text] }
                        })
                    });
                    (
                        id.clone(),
                        serde_json::json!({ "id": id, "parent": parent, "message": message }),
                    )
                })
                .collect();
            serde_json::json!({
                "title": title,
                "conversation_id": title,
                "current_node": current,
                "mapping": mapping,
            })
        });
    prop::collection::vec(conversation, 0..4).prop_map(serde_json::Value::Array)
}

fn palaver_file() -> impl Strategy<Value = serde_json::Value> {
    let message = (
        node_id(),
        prop::option::of(node_id()),
        prop::sample::select(vec!["user", "assistant", "system"]),
        prop::sample::select(vec!["complete", "streaming", "error", "pondering"]),
        tricky_text(8),
    )
        .prop_map(|(id, parent, role, status, content)| {
            serde_json::json!({
                "id": id, "parentId": parent, "role": role, "content": content,
                "status": status, "createdAt": 1,
            })
        });
    let conversation = (
        node_id(),
        prop::collection::vec(message, 0..7),
        prop::option::of(node_id()),
        tricky_text(6),
    )
        .prop_map(|(id, messages, leaf, title)| {
            serde_json::json!({
                "id": format!("conversation-{id}"), "title": title, "createdAt": 1,
                "updatedAt": 2, "currentLeafId": leaf, "messages": messages,
            })
        });
    prop::collection::vec(conversation, 0..4).prop_map(|conversations| {
        serde_json::json!({
            "format": "palaver-history", "version": 1, "exportedAt": 0,
            "conversations": conversations,
        })
    })
}

/// Imports `file` twice and reads back every conversation, all under the time bound.
fn import_and_read(file: serde_json::Value) -> Result<(), TestCaseError> {
    let bytes = serde_json::to_vec(&file).map_err(failed)?;
    bounded(move || {
        let db = memory_db();
        for _ in 0..2 {
            let _ = db.import(&bytes);
        }
        for c in db.list_conversations(100, 0).map_err(failed)? {
            let view = db.conversation(&c.id).map_err(failed)?;
            for m in &view.messages {
                db.show_version(&m.id).map_err(failed)?;
            }
        }
        db.export(None).map_err(failed)?;
        Ok(())
    })
    .and_then(|r| r)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn prop_import_of_arbitrary_json_never_panics_or_hangs(value in json_value()) {
        import_and_read(value)?;
    }

    #[test]
    fn prop_chatgpt_import_of_random_trees_never_panics_or_hangs(file in chatgpt_file()) {
        import_and_read(file)?;
    }

    #[test]
    fn prop_palaver_import_of_random_trees_never_panics_or_hangs(file in palaver_file()) {
        import_and_read(file)?;
    }
}
