//! Export to Markdown and to Palaver's JSON (lossless: every version of every message, with
//! the tree), and import of Palaver's JSON and of ChatGPT's data export
//! (`conversations.json`). Importing the same file twice adds nothing the second time.

use super::store::StoredMessage;
use super::{new_id, now_ms, HistoryDb, HistoryError, Result};
use crate::llm::Role;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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
    pub prompt_tokens: Option<u64>,
    #[serde(default)]
    pub completion_tokens: Option<u64>,
    pub created_at: i64,
}

fn complete() -> String {
    "complete".to_owned()
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub conversations_added: usize,
    pub conversations_skipped: usize,
    pub messages_added: usize,
}

impl HistoryDb {
    /// Every conversation (or the given ones) with all their messages.
    pub fn export(&self, ids: Option<&[String]>) -> Result<ExportFile> {
        let conn = self.conn();
        let mut list = conn.prepare(
            "SELECT id, title, created_at, updated_at, pinned, model, system_prompt, source, current_leaf_id
             FROM conversations ORDER BY created_at",
        )?;
        let mut conversations: Vec<ExportedConversation> = list
            .query_map([], |r| {
                Ok(ExportedConversation {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    created_at: r.get(2)?,
                    updated_at: r.get(3)?,
                    pinned: r.get::<_, i64>(4)? != 0,
                    model: r.get(5)?,
                    system_prompt: r.get(6)?,
                    source: r.get(7)?,
                    current_leaf_id: r.get(8)?,
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
        let mut messages = conn.prepare_cached(
            "SELECT id, parent_id, role, content, reasoning, status, finish_reason, error_kind,
                    error_message, model, prompt_tokens, completion_tokens, created_at
             FROM messages WHERE conversation_id = ?1 ORDER BY created_at, id",
        )?;
        for c in &mut conversations {
            c.messages = messages
                .query_map([&c.id], |r| {
                    Ok(ExportedMessage {
                        id: r.get(0)?,
                        parent_id: r.get(1)?,
                        role: match r.get::<_, String>(2)?.as_str() {
                            "system" => Role::System,
                            "assistant" => Role::Assistant,
                            _ => Role::User,
                        },
                        content: r.get(3)?,
                        reasoning: r.get(4)?,
                        status: r.get(5)?,
                        finish_reason: r.get(6)?,
                        error_kind: r.get(7)?,
                        error_message: r.get(8)?,
                        model: r.get(9)?,
                        prompt_tokens: r.get::<_, Option<i64>>(10)?.map(|v| v as u64),
                        completion_tokens: r.get::<_, Option<i64>>(11)?.map(|v| v as u64),
                        created_at: r.get(12)?,
                    })
                })?
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

    /// Imports Palaver's JSON export or ChatGPT's `conversations.json`.
    pub fn import(&self, json: &[u8]) -> Result<ImportReport> {
        let value: serde_json::Value = serde_json::from_slice(json)
            .map_err(|e| HistoryError::Invalid(format!("The file is not JSON: {e}")))?;
        let file = if value.get("format").and_then(|f| f.as_str()) == Some(FORMAT) {
            serde_json::from_value::<ExportFile>(value).map_err(|e| {
                HistoryError::Invalid(format!("The Palaver export is not readable: {e}"))
            })?
        } else if value.is_array() {
            from_chatgpt(&value)?
        } else {
            return Err(HistoryError::Invalid(
                "This is neither a Palaver export nor ChatGPT's conversations.json.".into(),
            ));
        };
        self.import_file(&file)
    }

    fn import_file(&self, file: &ExportFile) -> Result<ImportReport> {
        let mut report = ImportReport::default();
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch("PRAGMA defer_foreign_keys = ON;")?;
        for c in &file.conversations {
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
                continue;
            }
            let (id, external) = if c.source == "chatgpt" {
                (new_id(), Some(c.id.clone()))
            } else {
                (c.id.clone(), None)
            };
            let source = if c.source == "chatgpt" {
                "import"
            } else {
                c.source.as_str()
            };
            tx.execute(
                "INSERT INTO conversations (id, title, created_at, updated_at, pinned, model, system_prompt, source, external_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![id, c.title, c.created_at, c.updated_at, c.pinned as i64, c.model, c.system_prompt, if source.is_empty() { "import" } else { source }, external],
            )?;
            // Imported message ids are kept for Palaver files (merges stay idempotent) and
            // replaced for foreign ones (ChatGPT's ids could collide with anything).
            let mut ids: HashMap<&str, String> = HashMap::new();
            for m in &c.messages {
                let new = if external.is_some() {
                    new_id()
                } else {
                    m.id.clone()
                };
                ids.insert(m.id.as_str(), new);
            }
            for m in &c.messages {
                let status = if m.status == "streaming" {
                    "interrupted"
                } else {
                    m.status.as_str()
                };
                report.messages_added += tx.execute(
                    "INSERT OR IGNORE INTO messages (id, conversation_id, parent_id, role, content, reasoning, status,
                         finish_reason, error_kind, error_message, model, prompt_tokens, completion_tokens, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
                    params![
                        ids[m.id.as_str()],
                        id,
                        m.parent_id.as_deref().and_then(|p| ids.get(p)),
                        match m.role { Role::System => "system", Role::User => "user", Role::Assistant => "assistant" },
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
                    ],
                )?;
            }
            let leaf = c
                .current_leaf_id
                .as_deref()
                .and_then(|l| ids.get(l))
                .cloned()
                .or_else(|| c.messages.last().map(|m| ids[m.id.as_str()].clone()));
            tx.execute(
                "UPDATE conversations SET current_leaf_id = ?2 WHERE id = ?1",
                params![id, leaf],
            )?;
            report.conversations_added += 1;
        }
        tx.commit()?;
        Ok(report)
    }
}

fn markdown_turn(m: &StoredMessage) -> String {
    let who = match m.role {
        Role::User => "**You**".to_owned(),
        Role::Assistant if m.model.is_empty() => "**Assistant**".to_owned(),
        Role::Assistant => format!("**Assistant** ({})", m.model),
        Role::System => "**System**".to_owned(),
    };
    let mut out = format!("{who}\n\n{}\n\n", m.content.trim_end());
    match m.status.as_str() {
        "complete" => {}
        other => out.push_str(&format!("_({other})_\n\n")),
    }
    out
}

/// ChatGPT's export: an array of conversations, each a `mapping` of nodes with parents.
fn from_chatgpt(value: &serde_json::Value) -> Result<ExportFile> {
    let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
    let mut conversations = Vec::new();
    for item in items {
        let Some(mapping) = item.get("mapping").and_then(|m| m.as_object()) else {
            return Err(HistoryError::Invalid(
                "This JSON array does not look like ChatGPT's conversations.json (no \"mapping\")."
                    .into(),
            ));
        };
        let external = item
            .get("conversation_id")
            .or_else(|| item.get("id"))
            .and_then(|v| v.as_str())
            .map(|id| format!("chatgpt:{id}"))
            .unwrap_or_else(|| format!("chatgpt:{}", new_id()));
        let secs =
            |v: Option<&serde_json::Value>| v.and_then(|t| t.as_f64()).map(|t| (t * 1000.0) as i64);
        let created = secs(item.get("create_time")).unwrap_or_else(now_ms);
        let updated = secs(item.get("update_time")).unwrap_or(created);

        // Keep user/assistant/system nodes with text; hang each on its nearest kept ancestor.
        let nearest_kept = |id: Option<&str>| nearest_kept(mapping, id);
        let mut messages = Vec::new();
        for (id, node) in mapping {
            let Some((role, content)) = chatgpt_text(node) else {
                continue;
            };
            messages.push(ExportedMessage {
                id: id.clone(),
                parent_id: nearest_kept(chatgpt_parent(mapping, id)),
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
                prompt_tokens: None,
                completion_tokens: None,
                created_at: secs(node.pointer("/message/create_time")).unwrap_or(created),
            });
        }
        // Parents before children, so ids resolve in order.
        messages.sort_by_key(|m| m.created_at);
        conversations.push(ExportedConversation {
            id: external,
            title: item
                .get("title")
                .and_then(|t| t.as_str())
                .unwrap_or("Imported chat")
                .to_owned(),
            created_at: created,
            updated_at: updated,
            pinned: false,
            model: String::new(),
            system_prompt: String::new(),
            source: "chatgpt".to_owned(),
            current_leaf_id: nearest_kept(item.get("current_node").and_then(|c| c.as_str())),
            messages,
        });
    }
    Ok(ExportFile {
        format: FORMAT.to_owned(),
        version: FORMAT_VERSION,
        exported_at: now_ms(),
        conversations,
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

fn nearest_kept<'a>(mapping: &'a Mapping, mut id: Option<&'a str>) -> Option<String> {
    while let Some(current) = id {
        if mapping.get(current).and_then(chatgpt_text).is_some() {
            return Some(current.to_owned());
        }
        id = chatgpt_parent(mapping, current);
    }
    None
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
        let fixture = include_bytes!("../../../tests/fixtures/chatgpt-conversations.json");
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
}
