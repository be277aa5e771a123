//! Export to Markdown and to Palaver's JSON (lossless: every version of every message, with
//! the tree), and import of Palaver's JSON and of ChatGPT's data export
//! (`conversations.json`). Importing the same file twice adds nothing the second time.
//!
//! An import file is untrusted: each conversation's tree is checked before it is written
//! (see `check_tree`), every walk over its parents is bounded and stops at a loop, and a
//! bad conversation is reported by name while the good ones are imported. Export reads
//! messages with the store's own row mapper.

use super::store::{
    message, summary, StoredMessage, MESSAGE_COLUMNS, SUMMARY_COLUMNS, SUMMARY_LEN,
};
use super::{
    new_id, now_ms, HistoryDb, HistoryError, MessageStatus, Result, Source, MAX_TREE_DEPTH,
};
use crate::llm::Role;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;

pub const FORMAT: &str = "palaver-history";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportFile {
    pub format: String,
    pub version: u32,
    pub exported_at: i64,
    pub conversations: Vec<ExportedConversation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportedConversation {
    pub id: String,
    pub title: String,
    pub created_at: i64,
    pub updated_at: i64,
    #[serde(default)]
    pub pinned: bool,
    #[serde(default)]
    pub model: String,
    /// The provider profile (its id) the conversation uses; absent in older files.
    #[serde(default)]
    pub profile: String,
    #[serde(default)]
    pub system_prompt: String,
    #[serde(default)]
    pub source: String,
    pub current_leaf_id: Option<String>,
    pub messages: Vec<ExportedMessage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportedMessage {
    pub id: String,
    pub parent_id: Option<String>,
    pub role: Role,
    pub content: String,
    #[serde(default)]
    pub reasoning: String,
    #[serde(default = "complete")]
    pub status: String,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub error_kind: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub profile: String,
    #[serde(default)]
    pub prompt_tokens: Option<u64>,
    #[serde(default)]
    pub completion_tokens: Option<u64>,
    pub created_at: i64,
}

fn complete() -> String {
    "complete".to_owned()
}

/// What an import did. Conversations are committed one by one: whatever was added before a
/// rejection, an error or a cancellation stays.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub conversations_added: usize,
    pub conversations_skipped: usize,
    pub messages_added: usize,
    /// Conversations left out because they are malformed, with the reason for each.
    pub rejected: Vec<RejectedConversation>,
    /// The import was stopped before the end of the file.
    pub cancelled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RejectedConversation {
    /// The conversation's id in the file; empty when it has none.
    pub id: String,
    pub title: String,
    pub reason: String,
}

impl std::fmt::Display for RejectedConversation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let title = if self.title.is_empty() {
            "(untitled)"
        } else {
            &self.title
        };
        if self.id.is_empty() {
            write!(f, "“{title}”: {}", self.reason)
        } else {
            write!(f, "“{title}” ({}): {}", self.id, self.reason)
        }
    }
}

/// Reported after each conversation of an import, accepted, skipped or rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportProgress {
    pub done: usize,
    pub total: usize,
}

impl HistoryDb {
    /// Every conversation (or the given ones) with all their messages.
    pub fn export(&self, ids: Option<&[String]>) -> Result<ExportFile> {
        let conn = self.conn();
        let mut list = conn.prepare(&format!(
            "SELECT {SUMMARY_COLUMNS}, system_prompt, current_leaf_id
             FROM conversations ORDER BY created_at"
        ))?;
        let mut conversations: Vec<ExportedConversation> = list
            .query_map([], |r| {
                let c = summary(r)?;
                Ok(ExportedConversation {
                    id: c.id,
                    title: c.title,
                    created_at: c.created_at,
                    updated_at: c.updated_at,
                    pinned: c.pinned,
                    model: c.model,
                    profile: c.profile,
                    system_prompt: r.get(SUMMARY_LEN)?,
                    source: c.source.as_str().to_owned(),
                    current_leaf_id: r.get(SUMMARY_LEN + 1)?,
                    messages: Vec::new(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        if let Some(ids) = ids {
            conversations.retain(|c| ids.contains(&c.id));
            if conversations.len() != ids.len() {
                return Err(HistoryError::NotFound("conversation"));
            }
        }
        let mut messages = conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.conversation_id = ?1
             ORDER BY m.created_at, m.id"
        ))?;
        for c in &mut conversations {
            c.messages = messages
                .query_map([&c.id], |r| message(r).map(ExportedMessage::from))?
                .collect::<rusqlite::Result<_>>()?;
        }
        Ok(ExportFile {
            format: FORMAT.to_owned(),
            version: FORMAT_VERSION,
            exported_at: now_ms(),
            conversations,
        })
    }

    /// The shown branch of a conversation as Markdown.
    pub fn export_markdown(&self, id: &str) -> Result<String> {
        let view = self.conversation(id)?;
        let mut out = format!("# {}\n\n", view.conversation.title);
        if !view.system_prompt.trim().is_empty() {
            out.push_str(&format!("> System: {}\n\n", view.system_prompt.trim()));
        }
        for m in &view.messages {
            out.push_str(&markdown_turn(m));
        }
        Ok(out)
    }

    /// Imports Palaver's JSON export or ChatGPT's `conversations.json`: see [`import_with`].
    ///
    /// [`import_with`]: HistoryDb::import_with
    pub fn import(&self, json: &[u8]) -> Result<ImportReport> {
        self.import_with(json, &mut |_| ControlFlow::Continue(()))
    }

    /// Imports Palaver's JSON export or ChatGPT's `conversations.json`, calling `progress`
    /// after each conversation; `ControlFlow::Break` stops the import there (the report
    /// then says `cancelled`).
    ///
    /// Each conversation is checked before anything of it is written — unique message ids,
    /// parents that exist, no loop, at most [`MAX_TREE_DEPTH`] deep, known statuses — and
    /// committed on its own, so a malformed one is listed in `rejected` while the others
    /// are imported, and the database is not held for the whole file. A file that is not
    /// one of the two formats is an error.
    pub fn import_with(
        &self,
        json: &[u8],
        progress: &mut dyn FnMut(ImportProgress) -> ControlFlow<()>,
    ) -> Result<ImportReport> {
        let value: serde_json::Value = serde_json::from_slice(json)
            .map_err(|e| HistoryError::Invalid(format!("The file is not JSON: {e}")))?;
        let candidates = if value.get("format").and_then(|f| f.as_str()) == Some(FORMAT) {
            from_palaver(value)?
        } else if value.is_array() {
            from_chatgpt(&value)?
        } else {
            return Err(HistoryError::Invalid(
                "This is neither a Palaver export nor ChatGPT's conversations.json.".into(),
            ));
        };
        let mut report = ImportReport::default();
        let total = candidates.len();
        for (index, candidate) in candidates.into_iter().enumerate() {
            let checked = candidate.and_then(|c| match check_tree(&c) {
                Ok(()) => Ok(c),
                Err(reason) => Err(rejected(&c.id, &c.title, reason.0)),
            });
            match checked {
                Ok(c) => self.import_conversation(&c, &mut report)?,
                Err(r) => report.rejected.push(r),
            }
            let done = index + 1;
            if progress(ImportProgress { done, total }).is_break() {
                report.cancelled = done < total;
                break;
            }
        }
        Ok(report)
    }

    /// Writes one checked conversation in its own transaction, or skips it if it is
    /// already here, or rejects it if its message ids belong to another conversation.
    fn import_conversation(
        &self,
        c: &ExportedConversation,
        report: &mut ImportReport,
    ) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch("PRAGMA defer_foreign_keys = ON;")?;
        let exists = tx
            .query_row(
                "SELECT 1 FROM conversations WHERE id = ?1 OR external_id = ?1",
                [&c.id],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if exists {
            report.conversations_skipped += 1;
            return Ok(());
        }
        let foreign = c.source == CHATGPT;
        // Imported message ids are kept for Palaver files (merges stay idempotent) and
        // replaced for foreign ones (ChatGPT's ids could collide with anything).
        let mut ids: HashMap<&str, String> = HashMap::new();
        for m in &c.messages {
            let new = if foreign { new_id() } else { m.id.clone() };
            ids.insert(m.id.as_str(), new);
        }
        if !foreign {
            let mut taken = tx.prepare_cached("SELECT 1 FROM messages WHERE id = ?1")?;
            for id in ids.values() {
                if taken.exists([id])? {
                    report.rejected.push(rejected(
                        &c.id,
                        &c.title,
                        format!("its message “{id}” already belongs to another conversation"),
                    ));
                    return Ok(());
                }
            }
        }
        let (id, external) = if foreign {
            (new_id(), Some(c.id.clone()))
        } else {
            (c.id.clone(), None)
        };
        let source = Source::parse(&c.source).unwrap_or(Source::Import);
        tx.execute(
            "INSERT INTO conversations (id, title, created_at, updated_at, pinned, model, system_prompt, source, external_id, profile)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![id, c.title, c.created_at, c.updated_at, c.pinned as i64, c.model, c.system_prompt, source, external, c.profile],
        )?;
        let mut added = 0;
        for m in &c.messages {
            // check_tree made sure each status is known.
            let status = match MessageStatus::parse(&m.status) {
                Some(MessageStatus::Streaming) | None => MessageStatus::Interrupted,
                Some(status) => status,
            };
            added += tx.execute(
                "INSERT INTO messages (id, conversation_id, parent_id, role, content, reasoning, status,
                     finish_reason, error_kind, error_message, model, prompt_tokens, completion_tokens, created_at, updated_at, profile)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?15)",
                params![
                    ids.get(m.id.as_str()),
                    id,
                    m.parent_id.as_deref().and_then(|p| ids.get(p)),
                    m.role,
                    m.content,
                    m.reasoning,
                    status,
                    m.finish_reason,
                    m.error_kind,
                    m.error_message,
                    m.model,
                    m.prompt_tokens.map(|v| v as i64),
                    m.completion_tokens.map(|v| v as i64),
                    m.created_at,
                    m.profile,
                ],
            )?;
        }
        let leaf = c
            .current_leaf_id
            .as_deref()
            .and_then(|l| ids.get(l))
            .or_else(|| c.messages.last().and_then(|m| ids.get(m.id.as_str())));
        tx.execute(
            "UPDATE conversations SET current_leaf_id = ?2 WHERE id = ?1",
            params![id, leaf],
        )?;
        tx.commit()?;
        report.messages_added += added;
        report.conversations_added += 1;
        Ok(())
    }
}

impl From<StoredMessage> for ExportedMessage {
    fn from(m: StoredMessage) -> Self {
        ExportedMessage {
            id: m.id,
            parent_id: m.parent_id,
            role: m.role,
            content: m.content,
            reasoning: m.reasoning,
            status: m.status.as_str().to_owned(),
            finish_reason: m.finish_reason,
            error_kind: m.error_kind,
            error_message: m.error_message,
            model: m.model,
            profile: m.profile,
            prompt_tokens: m.prompt_tokens,
            completion_tokens: m.completion_tokens,
            created_at: m.created_at,
        }
    }
}

/// The `source` given to conversations converted from ChatGPT's export.
const CHATGPT: &str = "chatgpt";

/// A conversation of the file, or why it is left out.
type Candidate = std::result::Result<ExportedConversation, RejectedConversation>;

/// Why an imported conversation cannot be used, for people ("its source “x” is unknown").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
struct Unusable(String);

fn rejected(id: &str, title: &str, reason: String) -> RejectedConversation {
    RejectedConversation {
        id: id.to_owned(),
        title: title.to_owned(),
        reason,
    }
}

/// Palaver's export, read conversation by conversation so one malformed entry does not
/// cost the others.
fn from_palaver(value: serde_json::Value) -> Result<Vec<Candidate>> {
    let serde_json::Value::Object(mut file) = value else {
        return Err(HistoryError::Invalid(
            "The Palaver export is not readable.".into(),
        ));
    };
    let Some(serde_json::Value::Array(items)) = file.remove("conversations") else {
        return Err(HistoryError::Invalid(
            "The Palaver export is not readable: it has no list of conversations.".into(),
        ));
    };
    Ok(items
        .into_iter()
        .map(|item| {
            let text = |key: &str| {
                item.get(key)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let (id, title) = (text("id"), text("title"));
            serde_json::from_value::<ExportedConversation>(item)
                .map_err(|e| rejected(&id, &title, format!("it is not readable: {e}")))
        })
        .collect())
}

/// Whether a conversation's messages form a tree Palaver can show: unique ids, parents that
/// exist, no loop, at most [`MAX_TREE_DEPTH`] deep, and statuses it knows.
fn check_tree(c: &ExportedConversation) -> std::result::Result<(), Unusable> {
    if c.source != CHATGPT && !c.source.is_empty() && Source::parse(&c.source).is_none() {
        return Err(Unusable(format!("its source “{}” is unknown", c.source)));
    }
    let mut parents: HashMap<&str, Option<&str>> = HashMap::with_capacity(c.messages.len());
    for m in &c.messages {
        if m.id.is_empty() {
            return Err(Unusable("one of its messages has no id".into()));
        }
        if MessageStatus::parse(&m.status).is_none() {
            return Err(Unusable(format!(
                "message “{}” has an unknown status “{}”",
                m.id, m.status
            )));
        }
        if parents.insert(&m.id, m.parent_id.as_deref()).is_some() {
            return Err(Unusable(format!(
                "two of its messages have the id “{}”",
                m.id
            )));
        }
    }
    // Depth of each message, each walked once: a walk stops at a message already measured.
    let mut depth: HashMap<&str, usize> = HashMap::with_capacity(parents.len());
    for m in &c.messages {
        let mut path: Vec<&str> = Vec::new();
        let mut on_path: HashSet<&str> = HashSet::new();
        let mut current = m.id.as_str();
        let base = loop {
            if let Some(&d) = depth.get(current) {
                break d;
            }
            if !on_path.insert(current) {
                return Err(Unusable(format!(
                    "message “{current}” is its own ancestor (its replies loop back to it)"
                )));
            }
            path.push(current);
            match parents.get(current) {
                Some(Some(parent)) => {
                    if !parents.contains_key(parent) {
                        return Err(Unusable(format!(
                            "message “{current}” answers “{parent}”, which is not in the conversation"
                        )));
                    }
                    current = parent;
                }
                // A root: depth 1 for itself, counted below.
                Some(None) => break 0,
                None => break 0,
            }
            if path.len() > MAX_TREE_DEPTH {
                return Err(Unusable(format!(
                    "its messages are nested more than {MAX_TREE_DEPTH} deep"
                )));
            }
        };
        for (i, id) in path.iter().rev().enumerate() {
            let d = base + i + 1;
            if d > MAX_TREE_DEPTH {
                return Err(Unusable(format!(
                    "its messages are nested more than {MAX_TREE_DEPTH} deep"
                )));
            }
            depth.insert(id, d);
        }
    }
    Ok(())
}

fn markdown_turn(m: &StoredMessage) -> String {
    let who = match m.role {
        Role::User => "**You**".to_owned(),
        Role::Assistant if m.model.is_empty() => "**Assistant**".to_owned(),
        Role::Assistant => format!("**Assistant** ({})", m.model),
        Role::System => "**System**".to_owned(),
    };
    let mut out = format!("{who}\n\n{}\n\n", m.content.trim_end());
    match m.status {
        MessageStatus::Complete => {}
        other => out.push_str(&format!("_({})_\n\n", other.as_str())),
    }
    out
}

/// ChatGPT's export: an array of conversations, each a `mapping` of nodes with parents.
/// An entry that cannot be read (no mapping, a loop in its parents) is rejected alone; a
/// file where no entry has a mapping is not ChatGPT's.
fn from_chatgpt(value: &serde_json::Value) -> Result<Vec<Candidate>> {
    let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
    if !items.is_empty()
        && !items
            .iter()
            .any(|i| i.get("mapping").is_some_and(|m| m.is_object()))
    {
        return Err(HistoryError::Invalid(
            "This JSON array does not look like ChatGPT's conversations.json (no \"mapping\")."
                .into(),
        ));
    }
    Ok(items.iter().map(chatgpt_conversation).collect())
}

fn chatgpt_conversation(item: &serde_json::Value) -> Candidate {
    let external = item
        .get("conversation_id")
        .or_else(|| item.get("id"))
        .and_then(|v| v.as_str())
        .map(|id| format!("chatgpt:{id}"))
        .unwrap_or_else(|| format!("chatgpt:{}", new_id()));
    let title = item
        .get("title")
        .and_then(|t| t.as_str())
        .unwrap_or("Imported chat")
        .to_owned();
    let Some(mapping) = item.get("mapping").and_then(|m| m.as_object()) else {
        return Err(rejected(&external, &title, "it has no \"mapping\"".into()));
    };
    let secs =
        |v: Option<&serde_json::Value>| v.and_then(|t| t.as_f64()).map(|t| (t * 1000.0) as i64);
    let created = secs(item.get("create_time")).unwrap_or_else(now_ms);
    let updated = secs(item.get("update_time")).unwrap_or(created);

    // Keep user/assistant/system nodes with text; hang each on its nearest kept ancestor.
    let mut kept: Vec<(&str, &serde_json::Value, Role, String)> = Vec::new();
    for (id, node) in mapping {
        if let Some((role, content)) = chatgpt_text(node) {
            kept.push((id.as_str(), node, role, content));
        }
    }
    let mut resolver = Ancestors {
        mapping,
        kept: kept.iter().map(|(id, ..)| *id).collect(),
        memo: HashMap::new(),
    };
    let fail = |reason: Unusable| rejected(&external, &title, reason.0);
    let mut messages = Vec::with_capacity(kept.len());
    for (id, node, role, content) in kept.iter().cloned() {
        let parent = resolver
            .nearest_kept(chatgpt_parent(mapping, id))
            .map_err(fail)?;
        messages.push(ExportedMessage {
            id: id.to_owned(),
            parent_id: parent.map(str::to_owned),
            role,
            content,
            reasoning: String::new(),
            status: complete(),
            finish_reason: None,
            error_kind: None,
            error_message: None,
            model: node
                .pointer("/message/metadata/model_slug")
                .and_then(|m| m.as_str())
                .unwrap_or("")
                .to_owned(),
            profile: String::new(),
            prompt_tokens: None,
            completion_tokens: None,
            created_at: secs(node.pointer("/message/create_time")).unwrap_or(created),
        });
    }
    let current = resolver
        .nearest_kept(item.get("current_node").and_then(|c| c.as_str()))
        .map_err(fail)?;
    // Parents before children, so ids resolve in order.
    messages.sort_by_key(|m| m.created_at);
    Ok(ExportedConversation {
        id: external.clone(),
        title: title.clone(),
        created_at: created,
        updated_at: updated,
        pinned: false,
        model: String::new(),
        profile: String::new(),
        system_prompt: String::new(),
        source: CHATGPT.to_owned(),
        current_leaf_id: current.map(str::to_owned),
        messages,
    })
}

type Mapping = serde_json::Map<String, serde_json::Value>;

/// The role and text of a ChatGPT node worth keeping: a user, assistant or system message
/// with text (tool calls and hidden empty system nodes are skipped).
fn chatgpt_text(node: &serde_json::Value) -> Option<(Role, String)> {
    let message = node.get("message")?;
    let role = match message.pointer("/author/role")?.as_str()? {
        "user" => Role::User,
        "assistant" => Role::Assistant,
        "system" => Role::System,
        _ => return None,
    };
    let parts = message.pointer("/content/parts")?.as_array()?;
    let text: Vec<String> = parts
        .iter()
        .map(|p| {
            p.as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| "[attachment]".to_owned())
        })
        .collect();
    let text = text.join("\n");
    (!text.trim().is_empty()).then_some((role, text))
}

fn chatgpt_parent<'a>(mapping: &'a Mapping, id: &str) -> Option<&'a str> {
    mapping.get(id)?.get("parent")?.as_str()
}

/// Finds the nearest kept ancestor-or-self of ChatGPT nodes. Each node is walked over once
/// (results are remembered for the whole path), a walk is bounded by [`MAX_TREE_DEPTH`],
/// and a loop in the parents is an error. A parent missing from the mapping ends the walk
/// (the message becomes a root), as ChatGPT's own exports sometimes need.
struct Ancestors<'a> {
    mapping: &'a Mapping,
    kept: HashSet<&'a str>,
    memo: HashMap<&'a str, Option<&'a str>>,
}

impl<'a> Ancestors<'a> {
    fn nearest_kept(
        &mut self,
        start: Option<&'a str>,
    ) -> std::result::Result<Option<&'a str>, Unusable> {
        let mut path: Vec<&'a str> = Vec::new();
        let mut on_path: HashSet<&'a str> = HashSet::new();
        let mut current = start;
        let found = loop {
            let Some(id) = current else {
                break None;
            };
            if let Some(&known) = self.memo.get(id) {
                break known;
            }
            let Some((key, node)) = self.mapping.get_key_value(id) else {
                break None;
            };
            let key = key.as_str();
            if self.kept.contains(key) {
                break Some(key);
            }
            if !on_path.insert(key) {
                return Err(Unusable(format!(
                    "node “{key}” is its own ancestor (a loop in \"mapping\")"
                )));
            }
            if path.len() >= MAX_TREE_DEPTH {
                return Err(Unusable(format!(
                    "its messages are nested more than {MAX_TREE_DEPTH} deep"
                )));
            }
            path.push(key);
            current = node.get("parent").and_then(|p| p.as_str());
        };
        for id in path {
            self.memo.insert(id, found);
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Source, TurnKind, TurnRequest, FILE_NAME};
    use crate::llm::FinishReason;

    fn open() -> (tempfile::TempDir, HistoryDb) {
        let dir = tempfile::tempdir().unwrap();
        let db = HistoryDb::open(&dir.path().join(FILE_NAME)).unwrap();
        (dir, db)
    }

    fn chat(db: &HistoryDb, q: &str, a: &str) -> String {
        let t = db
            .begin_turn(&TurnRequest {
                conversation_id: None,
                kind: TurnKind::Ask { text: q.into() },
                model: "gpt-test".into(),
                system_prompt: "Be kind.".into(),
                profile: "openai".into(),
                source: Source::App,
            })
            .unwrap();
        db.finish_reply(
            &t.assistant_message_id,
            a,
            "",
            None,
            &Ok(FinishReason::Stop),
        )
        .unwrap();
        t.conversation_id
    }

    #[test]
    fn json_export_round_trips_losslessly_and_reimport_adds_nothing() {
        let (_a, source) = open();
        let id = chat(&source, "Question one", "Answer one");
        let exported = source.export(None).unwrap();
        let bytes = serde_json::to_vec(&exported).unwrap();

        let (_b, target) = open();
        let first = target.import(&bytes).unwrap();
        assert_eq!((first.conversations_added, first.messages_added), (1, 2));
        assert_eq!(
            target.export(None).unwrap().conversations,
            exported.conversations
        );
        let second = target.import(&bytes).unwrap();
        assert_eq!(
            (
                second.conversations_added,
                second.conversations_skipped,
                second.messages_added
            ),
            (0, 1, 0)
        );
        assert_eq!(target.conversation(&id).unwrap().messages.len(), 2);
    }

    #[test]
    fn markdown_has_the_title_and_the_turns() {
        let (_a, db) = open();
        let id = chat(&db, "What is 2+2?", "4");
        let md = db.export_markdown(&id).unwrap();
        assert_eq!(md, "# What is 2+2?\n\n> System: Be kind.\n\n**You**\n\nWhat is 2+2?\n\n**Assistant** (gpt-test)\n\n4\n\n");
    }

    #[test]
    fn chatgpt_export_with_its_tree_imports_once() {
        let fixture = include_bytes!("../../../../../tests/fixtures/chatgpt-conversations.json");
        let (_a, db) = open();
        let report = db.import(fixture).unwrap();
        assert_eq!(report.conversations_added, 2);
        let list = db.list_conversations(10, 0).unwrap();
        let paris = list
            .iter()
            .find(|c| c.title == "Capital of France")
            .unwrap();
        let view = db.conversation(&paris.id).unwrap();
        let texts: Vec<&str> = view.messages.iter().map(|m| m.content.as_str()).collect();
        // The current node's branch, with the hidden system node skipped.
        assert_eq!(
            texts,
            [
                "What is the capital of France?",
                "Paris is the capital of France."
            ]
        );
        assert_eq!(
            view.messages[1].versions.len(),
            2,
            "the regenerated answer is kept as a version"
        );
        let again = db.import(fixture).unwrap();
        assert_eq!(
            (again.conversations_added, again.conversations_skipped),
            (0, 2)
        );
        assert!(!db.search("capital of France", 10).unwrap().is_empty());
    }

    #[test]
    fn other_json_is_refused_clearly() {
        let (_a, db) = open();
        assert!(db
            .import(b"{\"hello\": 1}")
            .unwrap_err()
            .to_string()
            .contains("neither"));
        assert!(db
            .import(b"not json")
            .unwrap_err()
            .to_string()
            .contains("not JSON"));
    }

    /// Runs `f` on its own thread and fails the test if it has not finished in time: an
    /// import or a read that loops forever must fail the test, not hang the suite.
    fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(std::time::Duration::from_secs(secs))
            .expect("did not finish in time")
    }

    fn chatgpt_node(id: &str, parent: Option<&str>, role: &str, text: &str) -> serde_json::Value {
        serde_json::json!({
            "id": id,
            "parent": parent,
            "message": {
                "author": { "role": role },
                "create_time": 1_700_000_000.0,
                "content": { "parts": [text] }
            }
        })
    }

    #[test]
    fn a_chatgpt_mapping_with_a_parent_cycle_is_rejected_and_the_good_ones_import() {
        let file = serde_json::json!([
            {
                "title": "Loop",
                "conversation_id": "loop-1",
                "mapping": {
                    "a": { "id": "a", "parent": "a", "message": null },
                    "c": chatgpt_node("c", Some("a"), "user", "stuck in a loop")
                }
            },
            {
                "title": "Fine",
                "conversation_id": "fine-1",
                "mapping": {
                    "q": chatgpt_node("q", None, "user", "a fine question"),
                    "r": chatgpt_node("r", Some("q"), "assistant", "a fine answer")
                }
            }
        ]);
        let bytes = serde_json::to_vec(&file).unwrap();
        let (dir, db) = open();
        let db = std::sync::Arc::new(db);
        let importer = db.clone();
        let _ = within(20, move || importer.import(&bytes).map(|_| ()));
        let titles: Vec<String> = db
            .list_conversations(10, 0)
            .unwrap()
            .into_iter()
            .map(|c| c.title)
            .collect();
        assert_eq!(titles, ["Fine"]);
        drop(dir);
    }

    #[test]
    fn a_palaver_file_whose_message_is_its_own_parent_is_rejected() {
        let (_a, source) = open();
        chat(&source, "A good one", "Fine");
        let mut exported = source.export(None).unwrap();
        let mut bad = exported.conversations[0].clone();
        bad.id = "bad-conversation".into();
        bad.title = "Self-parented".into();
        for m in &mut bad.messages {
            m.id = format!("bad-{}", m.id);
            m.parent_id = Some(m.id.clone());
        }
        bad.current_leaf_id = bad.messages.last().map(|m| m.id.clone());
        exported.conversations.push(bad);
        let bytes = serde_json::to_vec(&exported).unwrap();

        let (_b, target) = open();
        let _ = target.import(&bytes);
        let titles: Vec<String> = target
            .list_conversations(10, 0)
            .unwrap()
            .into_iter()
            .map(|c| c.title)
            .collect();
        assert_eq!(titles, ["A good one"]);
    }

    #[test]
    fn a_cycle_already_in_the_file_never_hangs_a_read() {
        let (dir, db) = open();
        let id = chat(&db, "Question", "Answer");
        let view = db.conversation(&id).unwrap();
        let (q, a) = (view.messages[0].id.clone(), view.messages[1].id.clone());
        // What an older Palaver could import: the question is the answer's child too.
        db.conn()
            .execute("UPDATE messages SET parent_id = ?2 WHERE id = ?1", [&q, &a])
            .unwrap();
        let db = std::sync::Arc::new(db);
        let reader = db.clone();
        let shown = within(20, move || {
            reader.conversation(&id).map(|v| v.messages.len())
        });
        assert!(shown.unwrap() >= 1);
        let reader = db.clone();
        let picked = within(20, move || {
            reader.show_version(&q).map(|v| v.messages.len())
        });
        assert!(picked.unwrap() >= 1);
        drop(dir);
    }

    fn three_conversations_one_bad() -> Vec<u8> {
        let node = chatgpt_node;
        serde_json::to_vec(&serde_json::json!([
            { "title": "First", "conversation_id": "c1",
              "mapping": { "q": node("q", None, "user", "one") } },
            { "title": "Loop", "conversation_id": "c2",
              "mapping": {
                  "x": node("x", Some("y"), "user", "x"),
                  "y": node("y", Some("x"), "assistant", "y")
              } },
            { "title": "Third", "conversation_id": "c3",
              "mapping": { "q": node("q", None, "user", "three") } }
        ]))
        .unwrap()
    }

    #[test]
    fn an_import_names_what_it_left_out_and_reports_progress() {
        let (_a, db) = open();
        let mut seen = Vec::new();
        let report = db
            .import_with(&three_conversations_one_bad(), &mut |p| {
                seen.push((p.done, p.total));
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(seen, [(1, 3), (2, 3), (3, 3)]);
        assert_eq!(report.conversations_added, 2);
        assert!(!report.cancelled);
        assert_eq!(report.rejected.len(), 1, "{report:?}");
        let shown = report.rejected[0].to_string();
        assert!(
            shown.starts_with("“Loop” (chatgpt:c2): ") && shown.contains("own ancestor"),
            "{shown}"
        );
    }

    #[test]
    fn a_cancelled_import_keeps_what_it_imported_and_says_so() {
        let (_a, db) = open();
        let bytes = three_conversations_one_bad();
        let report = db
            .import_with(&bytes, &mut |_| ControlFlow::Break(()))
            .unwrap();
        assert!(report.cancelled);
        assert_eq!(report.conversations_added, 1);
        assert_eq!(db.conversation_count().unwrap(), 1);
        let rest = db.import(&bytes).unwrap();
        assert_eq!(
            (rest.conversations_added, rest.conversations_skipped),
            (1, 1)
        );
    }

    #[test]
    fn palaver_files_with_a_bad_tree_are_refused_with_the_reason() {
        let message = |id: &str, parent: Option<&str>| {
            serde_json::json!({ "id": id, "parentId": parent, "role": "user",
                                "content": "text", "createdAt": 1 })
        };
        let conversation = |id: &str, messages: Vec<serde_json::Value>| {
            serde_json::json!({ "id": id, "title": id, "createdAt": 1, "updatedAt": 1,
                                "currentLeafId": null, "messages": messages })
        };
        let file = serde_json::json!({
            "format": FORMAT, "version": 1, "exportedAt": 0,
            "conversations": [
                conversation("dangling", vec![message("m1", Some("nowhere"))]),
                conversation("twice", vec![message("m2", None), message("m2", None)]),
                conversation("unreadable", vec![serde_json::json!({ "id": 5 })]),
                conversation("fine", vec![message("m3", None), message("m4", Some("m3"))]),
            ]
        });
        let (_a, db) = open();
        let report = db.import(&serde_json::to_vec(&file).unwrap()).unwrap();
        assert_eq!(report.conversations_added, 1);
        let reasons: Vec<String> = report.rejected.iter().map(|r| r.to_string()).collect();
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(reasons[0].contains("“nowhere”, which is not in the conversation"));
        assert!(reasons[1].contains("two of its messages have the id “m2”"));
        assert!(reasons[2].starts_with("“unreadable” (unreadable): it is not readable"));
    }
}
