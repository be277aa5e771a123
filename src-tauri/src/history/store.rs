//! Conversations and the message tree: turns, checkpoints, branches, list, rename, delete.

use super::{new_id, now_ms, HistoryDb, HistoryError, Result};
use crate::llm::{ChatError, ErrorKind, FinishReason, Message, Role, Usage};
use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Complete,
    Streaming,
    Cancelled,
    Interrupted,
    Error,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Complete => "complete",
            MessageStatus::Streaming => "streaming",
            MessageStatus::Cancelled => "cancelled",
            MessageStatus::Interrupted => "interrupted",
            MessageStatus::Error => "error",
        }
    }

    fn parse(s: &str) -> MessageStatus {
        match s {
            "streaming" => MessageStatus::Streaming,
            "cancelled" => MessageStatus::Cancelled,
            "interrupted" => MessageStatus::Interrupted,
            "error" => MessageStatus::Error,
            _ => MessageStatus::Complete,
        }
    }
}

/// Where a conversation started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    App,
    Cli,
    QuickAsk,
    Import,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::App => "app",
            Source::Cli => "cli",
            Source::QuickAsk => "quick_ask",
            Source::Import => "import",
        }
    }
    fn parse(s: &str) -> Source {
        match s {
            "cli" => Source::Cli,
            "quick_ask" => Source::QuickAsk,
            "import" => Source::Import,
            _ => Source::App,
        }
    }
}

fn role_str(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

fn parse_role(s: &str) -> Role {
    match s {
        "system" => Role::System,
        "assistant" => Role::Assistant,
        _ => Role::User,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationSummary {
    pub id: String,
    pub title: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub pinned: bool,
    pub model: String,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredMessage {
    pub id: String,
    pub parent_id: Option<String>,
    pub role: Role,
    pub content: String,
    pub reasoning: String,
    pub status: MessageStatus,
    pub finish_reason: Option<String>,
    pub error_kind: Option<String>,
    pub error_message: Option<String>,
    pub model: String,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    pub created_at: i64,
    /// This message's versions (itself and its siblings), oldest first: "2 / 3".
    pub versions: Vec<String>,
}

impl StoredMessage {
    pub fn version_index(&self) -> usize {
        self.versions
            .iter()
            .position(|v| *v == self.id)
            .unwrap_or(0)
    }
}

/// A conversation as shown: the messages along its current branch, root first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationView {
    pub conversation: ConversationSummary,
    pub system_prompt: String,
    pub messages: Vec<StoredMessage>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TurnKind {
    /// A new question after the shown branch.
    Ask { text: String },
    /// Another answer to the question that `assistant_id` answered.
    Regenerate { assistant_id: String },
    /// A new version of the question `user_id`, answered afresh.
    Edit { user_id: String, text: String },
}

#[derive(Debug, Clone)]
pub struct TurnRequest {
    pub conversation_id: Option<String>,
    pub kind: TurnKind,
    pub model: String,
    pub system_prompt: String,
    pub profile: String,
    pub source: Source,
}

/// What to send and where the reply goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub conversation_id: String,
    pub user_message_id: String,
    pub assistant_message_id: String,
    /// The whole branch up to the question, system prompt first.
    pub context: Vec<Message>,
}

const SUMMARY_COLUMNS: &str = "id, title, created_at, updated_at, pinned, model, source";
const MESSAGE_COLUMNS: &str = "id, parent_id, role, content, reasoning, status, finish_reason, error_kind, error_message, model, prompt_tokens, completion_tokens, created_at";

fn summary(row: &Row<'_>) -> rusqlite::Result<ConversationSummary> {
    Ok(ConversationSummary {
        id: row.get(0)?,
        title: row.get(1)?,
        created_at: row.get(2)?,
        updated_at: row.get(3)?,
        pinned: row.get::<_, i64>(4)? != 0,
        model: row.get(5)?,
        source: Source::parse(&row.get::<_, String>(6)?),
    })
}

fn message(row: &Row<'_>) -> rusqlite::Result<StoredMessage> {
    Ok(StoredMessage {
        id: row.get(0)?,
        parent_id: row.get(1)?,
        role: parse_role(&row.get::<_, String>(2)?),
        content: row.get(3)?,
        reasoning: row.get(4)?,
        status: MessageStatus::parse(&row.get::<_, String>(5)?),
        finish_reason: row.get(6)?,
        error_kind: row.get(7)?,
        error_message: row.get(8)?,
        model: row.get(9)?,
        prompt_tokens: row.get::<_, Option<i64>>(10)?.map(|v| v as u64),
        completion_tokens: row.get::<_, Option<i64>>(11)?.map(|v| v as u64),
        created_at: row.get(12)?,
        versions: Vec::new(),
    })
}

/// A title from the first question: its first line, cut at a word near 60 characters.
pub fn title_from(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("New chat");
    if line.chars().count() <= 60 {
        return line.to_owned();
    }
    let cut: String = line.chars().take(60).collect();
    let at = cut.rfind(' ').filter(|&i| i > 30).unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end())
}

fn process_alive(pid: i64) -> bool {
    if cfg!(target_os = "linux") {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    } else {
        // Without a cheap portable check, assume the writer is gone: at worst a reply being
        // written by another Palaver process right now is shown as interrupted.
        false
    }
}

impl HistoryDb {
    /// Marks replies left `streaming` by a process that is gone as `interrupted`, text kept.
    pub fn recover_interrupted(&self) -> Result<usize> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT id, writer_pid FROM messages WHERE status = 'streaming'")?;
        let rows: Vec<(String, Option<i64>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let me = std::process::id() as i64;
        let mut recovered = 0;
        for (id, pid) in rows {
            let alive = pid.is_some_and(|p| p != me && process_alive(p));
            if !alive {
                recovered += conn.execute(
                    "UPDATE messages SET status = 'interrupted', writer_pid = NULL WHERE id = ?1",
                    [&id],
                )?;
            }
        }
        Ok(recovered)
    }

    /// Newest first, pinned on top.
    pub fn list_conversations(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<ConversationSummary>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM conversations ORDER BY pinned DESC, updated_at DESC LIMIT ?1 OFFSET ?2"
        ))?;
        let rows = stmt
            .query_map(params![limit as i64, offset as i64], summary)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn conversation_count(&self) -> Result<usize> {
        let n: i64 = self
            .conn()
            .query_row("SELECT count(*) FROM conversations", [], |r| r.get(0))?;
        Ok(n as usize)
    }

    /// The conversation whose id is, or starts with, `prefix` (as printed by `history list`).
    pub fn find_conversation(&self, prefix: &str) -> Result<String> {
        let prefix = prefix.trim();
        if prefix.is_empty() {
            return Err(HistoryError::NotFound("conversation"));
        }
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT id FROM conversations WHERE substr(id, 1, length(?1)) = ?1 LIMIT 2")?;
        let ids: Vec<String> = stmt
            .query_map([prefix], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        match ids.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(HistoryError::NotFound("conversation")),
            _ => Err(HistoryError::Invalid(format!(
                "“{prefix}” matches more than one conversation; give more of the id."
            ))),
        }
    }

    /// The most recently active conversation, for `palaver ask --continue`.
    pub fn latest_conversation_id(&self) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id FROM conversations ORDER BY updated_at DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn conversation(&self, id: &str) -> Result<ConversationView> {
        let conn = self.conn();
        let (conversation, system_prompt, leaf): (ConversationSummary, String, Option<String>) = conn
            .query_row(
                &format!("SELECT {SUMMARY_COLUMNS}, system_prompt, current_leaf_id FROM conversations WHERE id = ?1"),
                [id],
                |r| Ok((summary(r)?, r.get(7)?, r.get(8)?)),
            )
            .optional()?
            .ok_or(HistoryError::NotFound("conversation"))?;
        let messages = match leaf {
            Some(leaf) => branch(&conn, &leaf)?,
            None => Vec::new(),
        };
        Ok(ConversationView {
            conversation,
            system_prompt,
            messages,
        })
    }

    /// Stores the question (before anything is sent) and an empty `streaming` reply.
    pub fn begin_turn(&self, request: &TurnRequest) -> Result<Turn> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = now_ms();
        let conversation_id = match &request.conversation_id {
            Some(id) => {
                let exists: bool = tx
                    .query_row("SELECT 1 FROM conversations WHERE id = ?1", [id], |_| {
                        Ok(true)
                    })
                    .optional()?
                    .unwrap_or(false);
                if !exists {
                    return Err(HistoryError::NotFound("conversation"));
                }
                id.clone()
            }
            None => {
                let TurnKind::Ask { text } = &request.kind else {
                    return Err(HistoryError::Invalid(
                        "Only a new question can start a conversation.".into(),
                    ));
                };
                let id = new_id();
                tx.execute(
                    "INSERT INTO conversations (id, title, created_at, updated_at, model, system_prompt, profile, source)
                     VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7)",
                    params![id, title_from(text), now, request.model, request.system_prompt, request.profile, request.source.as_str()],
                )?;
                id
            }
        };

        // The question the reply answers.
        let user_id = match &request.kind {
            TurnKind::Ask { text } => {
                let leaf: Option<String> = tx.query_row(
                    "SELECT current_leaf_id FROM conversations WHERE id = ?1",
                    [&conversation_id],
                    |r| r.get(0),
                )?;
                insert_message(
                    &tx,
                    &conversation_id,
                    leaf.as_deref(),
                    Role::User,
                    text,
                    now,
                )?
            }
            TurnKind::Edit { user_id, text } => {
                let parent: Option<String> = tx
                    .query_row(
                        "SELECT parent_id FROM messages WHERE id = ?1 AND conversation_id = ?2 AND role = 'user'",
                        [user_id, &conversation_id],
                        |r| r.get(0),
                    )
                    .optional()?
                    .ok_or(HistoryError::NotFound("message"))?;
                insert_message(
                    &tx,
                    &conversation_id,
                    parent.as_deref(),
                    Role::User,
                    text,
                    now,
                )?
            }
            TurnKind::Regenerate { assistant_id } => {
                let (parent, content, status): (Option<String>, String, String) = tx
                    .query_row(
                        "SELECT parent_id, content, status FROM messages WHERE id = ?1 AND conversation_id = ?2 AND role = 'assistant'",
                        [assistant_id, &conversation_id],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()?
                    .ok_or(HistoryError::NotFound("message"))?;
                let parent = parent.ok_or(HistoryError::Invalid(
                    "That reply answers no question.".into(),
                ))?;
                // A failed reply with no text is not worth keeping as a version.
                if content.is_empty() && status != "streaming" {
                    tx.execute("DELETE FROM messages WHERE id = ?1", [assistant_id])?;
                }
                parent
            }
        };
        let assistant_id = new_id();
        tx.execute(
            "INSERT INTO messages (id, conversation_id, parent_id, role, status, model, writer_pid, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'assistant', 'streaming', ?4, ?5, ?6, ?6)",
            params![assistant_id, conversation_id, user_id, request.model, std::process::id() as i64, now],
        )?;
        tx.execute(
            "UPDATE conversations SET current_leaf_id = ?2, updated_at = ?3, model = ?4, system_prompt = ?5 WHERE id = ?1",
            params![conversation_id, assistant_id, now, request.model, request.system_prompt],
        )?;
        let path = branch(&tx, &user_id)?;
        tx.commit()?;

        let mut context = Vec::with_capacity(path.len() + 1);
        if !request.system_prompt.trim().is_empty() {
            context.push(Message::system(request.system_prompt.clone()));
        }
        context.extend(
            path.into_iter()
                .filter(|m| !m.content.is_empty())
                .map(|m| Message {
                    role: m.role,
                    content: m.content,
                }),
        );
        Ok(Turn {
            conversation_id,
            user_message_id: user_id,
            assistant_message_id: assistant_id,
            context,
        })
    }

    /// Saves the reply so far. Called at most every half second while it streams.
    pub fn checkpoint(&self, message_id: &str, text: &str, reasoning: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE messages SET content = ?2, reasoning = ?3, updated_at = ?4 WHERE id = ?1",
            params![message_id, text, reasoning, now_ms()],
        )?;
        Ok(())
    }

    /// Saves how the reply ended, with all its text.
    pub fn finish_reply(
        &self,
        message_id: &str,
        text: &str,
        reasoning: &str,
        usage: Option<Usage>,
        result: &std::result::Result<FinishReason, ChatError>,
    ) -> Result<()> {
        let (status, finish, error): (MessageStatus, Option<&str>, Option<&ChatError>) =
            match result {
                Ok(FinishReason::Cancelled) => (MessageStatus::Cancelled, Some("cancelled"), None),
                Ok(reason) => (MessageStatus::Complete, Some(reason.as_str()), None),
                Err(e) if e.kind == ErrorKind::Interrupted => {
                    (MessageStatus::Interrupted, None, Some(e))
                }
                Err(e) => (MessageStatus::Error, None, Some(e)),
            };
        let conn = self.conn();
        conn.execute(
            "UPDATE messages SET content = ?2, reasoning = ?3, status = ?4, finish_reason = ?5,
                 error_kind = ?6, error_message = ?7, prompt_tokens = ?8, completion_tokens = ?9,
                 writer_pid = NULL, updated_at = ?10
             WHERE id = ?1",
            params![
                message_id,
                text,
                reasoning,
                status.as_str(),
                finish,
                error.map(|e| e.kind.as_str()),
                error.map(|e| e.message.as_str()),
                usage.map(|u| u.prompt_tokens as i64),
                usage.map(|u| u.completion_tokens as i64),
                now_ms()
            ],
        )?;
        conn.execute(
            "UPDATE conversations SET updated_at = ?2 WHERE id = (SELECT conversation_id FROM messages WHERE id = ?1)",
            params![message_id, now_ms()],
        )?;
        Ok(())
    }

    /// Shows the branch through `message_id` (a version picked with the "2 / 3" arrows):
    /// from it, the newest child at each step down to a leaf.
    pub fn show_version(&self, message_id: &str) -> Result<ConversationView> {
        let conversation_id = {
            let conn = self.conn();
            let conversation_id: String = conn
                .query_row(
                    "SELECT conversation_id FROM messages WHERE id = ?1",
                    [message_id],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or(HistoryError::NotFound("message"))?;
            let mut leaf = message_id.to_owned();
            loop {
                let child: Option<String> = conn
                    .query_row(
                        "SELECT id FROM messages WHERE parent_id = ?1 ORDER BY created_at DESC, id DESC LIMIT 1",
                        [&leaf],
                        |r| r.get(0),
                    )
                    .optional()?;
                match child {
                    Some(c) => leaf = c,
                    None => break,
                }
            }
            conn.execute(
                "UPDATE conversations SET current_leaf_id = ?2 WHERE id = ?1",
                params![conversation_id, leaf],
            )?;
            conversation_id
        };
        self.conversation(&conversation_id)
    }

    pub fn rename(&self, id: &str, title: &str) -> Result<()> {
        let title = title.trim();
        if title.is_empty() {
            return Err(HistoryError::Invalid("A title cannot be empty.".into()));
        }
        let n = self.conn().execute(
            "UPDATE conversations SET title = ?2, title_is_custom = 1 WHERE id = ?1",
            params![id, title],
        )?;
        if n == 0 {
            return Err(HistoryError::NotFound("conversation"));
        }
        Ok(())
    }

    pub fn set_pinned(&self, id: &str, pinned: bool) -> Result<()> {
        let n = self.conn().execute(
            "UPDATE conversations SET pinned = ?2 WHERE id = ?1",
            params![id, pinned as i64],
        )?;
        if n == 0 {
            return Err(HistoryError::NotFound("conversation"));
        }
        Ok(())
    }

    /// Deletes a conversation, its messages and their index entries, and pushes the change
    /// out of the write-ahead log so the text is gone from disk too.
    pub fn delete(&self, id: &str) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Children first would be needed without cascades; foreign keys cascade for us.
        let n = tx.execute("DELETE FROM conversations WHERE id = ?1", [id])?;
        tx.commit()?;
        if n == 0 {
            return Err(HistoryError::NotFound("conversation"));
        }
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }
}

fn insert_message(
    conn: &rusqlite::Connection,
    conversation_id: &str,
    parent: Option<&str>,
    role: Role,
    text: &str,
    now: i64,
) -> Result<String> {
    let id = new_id();
    conn.execute(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, status, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'complete', ?6, ?6)",
        params![id, conversation_id, parent, role_str(role), text, now],
    )?;
    Ok(id)
}

/// The messages from the root down to `leaf`, each with its versions.
fn branch(conn: &rusqlite::Connection, leaf: &str) -> Result<Vec<StoredMessage>> {
    let mut stmt = conn.prepare_cached(&format!(
        "WITH RECURSIVE path(id, depth) AS (
             SELECT ?1, 0
             UNION ALL
             SELECT m.parent_id, path.depth + 1 FROM messages m JOIN path ON m.id = path.id
             WHERE m.parent_id IS NOT NULL
         )
         SELECT {} FROM path JOIN messages m ON m.id = path.id ORDER BY path.depth DESC",
        MESSAGE_COLUMNS
            .split(", ")
            .map(|c| format!("m.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))?;
    let mut messages: Vec<StoredMessage> = stmt
        .query_map([leaf], message)?
        .collect::<rusqlite::Result<_>>()?;
    // Every message's versions in one pass over the conversation's (parent, id) pairs.
    let mut all = conn.prepare_cached(
        "SELECT parent_id, id FROM messages
         WHERE conversation_id = (SELECT conversation_id FROM messages WHERE id = ?1)
         ORDER BY created_at, id",
    )?;
    let mut by_parent: std::collections::HashMap<Option<String>, Vec<String>> =
        std::collections::HashMap::new();
    let pairs = all.query_map([leaf], |r| {
        Ok((r.get::<_, Option<String>>(0)?, r.get::<_, String>(1)?))
    })?;
    for pair in pairs {
        let (parent, id) = pair?;
        by_parent.entry(parent).or_default().push(id);
    }
    for m in &mut messages {
        m.versions = by_parent
            .get(&m.parent_id)
            .cloned()
            .unwrap_or_else(|| vec![m.id.clone()]);
    }
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::FILE_NAME;

    fn db() -> (tempfile::TempDir, HistoryDb) {
        let dir = tempfile::tempdir().unwrap();
        let db = HistoryDb::open(&dir.path().join(FILE_NAME)).unwrap();
        (dir, db)
    }

    fn ask(db: &HistoryDb, conversation: Option<&str>, text: &str) -> Turn {
        db.begin_turn(&TurnRequest {
            conversation_id: conversation.map(str::to_owned),
            kind: TurnKind::Ask { text: text.into() },
            model: "m".into(),
            system_prompt: "Be brief.".into(),
            profile: "openai".into(),
            source: Source::App,
        })
        .unwrap()
    }

    fn answer(db: &HistoryDb, turn: &Turn, text: &str) {
        db.finish_reply(
            &turn.assistant_message_id,
            text,
            "",
            None,
            &Ok(FinishReason::Stop),
        )
        .unwrap();
    }

    #[test]
    fn the_question_is_stored_before_the_reply_and_the_context_is_the_whole_branch() {
        let (_d, db) = db();
        let t1 = ask(&db, None, "What is Rust?\nIn one line.");
        let view = db.conversation(&t1.conversation_id).unwrap();
        assert_eq!(view.conversation.title, "What is Rust?");
        assert_eq!(view.messages.len(), 2);
        assert_eq!(view.messages[1].status, MessageStatus::Streaming);
        answer(&db, &t1, "A language.");
        let t2 = ask(&db, Some(&t1.conversation_id), "Who made it?");
        let roles: Vec<Role> = t2.context.iter().map(|m| m.role).collect();
        assert_eq!(
            roles,
            [Role::System, Role::User, Role::Assistant, Role::User]
        );
        assert_eq!(t2.context[2].content, "A language.");
    }

    #[test]
    fn regenerate_keeps_the_earlier_answer_as_a_version() {
        let (_d, db) = db();
        let t1 = ask(&db, None, "Pick a number");
        answer(&db, &t1, "Seven");
        let t2 = db
            .begin_turn(&TurnRequest {
                conversation_id: Some(t1.conversation_id.clone()),
                kind: TurnKind::Regenerate {
                    assistant_id: t1.assistant_message_id.clone(),
                },
                model: "m".into(),
                system_prompt: String::new(),
                profile: String::new(),
                source: Source::App,
            })
            .unwrap();
        assert_eq!(
            t2.context,
            vec![Message::user("Pick a number")],
            "the old answer is not sent"
        );
        answer(&db, &t2, "Three");
        let view = db.conversation(&t1.conversation_id).unwrap();
        let reply = &view.messages[1];
        assert_eq!(reply.content, "Three");
        assert_eq!(reply.versions.len(), 2);
        assert_eq!(reply.version_index(), 1);
        let older = db.show_version(&reply.versions[0]).unwrap();
        assert_eq!(older.messages[1].content, "Seven");
        assert_eq!(older.messages[1].version_index(), 0);
    }

    #[test]
    fn edit_starts_a_new_branch_and_the_old_one_stays() {
        let (_d, db) = db();
        let t1 = ask(&db, None, "Hello");
        answer(&db, &t1, "Hi!");
        let t2 = ask(&db, Some(&t1.conversation_id), "Tell me a joke");
        answer(&db, &t2, "Knock knock");
        let t3 = db
            .begin_turn(&TurnRequest {
                conversation_id: Some(t1.conversation_id.clone()),
                kind: TurnKind::Edit {
                    user_id: t2.user_message_id.clone(),
                    text: "Tell me a fact".into(),
                },
                model: "m".into(),
                system_prompt: String::new(),
                profile: String::new(),
                source: Source::App,
            })
            .unwrap();
        answer(&db, &t3, "Water is wet");
        let view = db.conversation(&t1.conversation_id).unwrap();
        let texts: Vec<&str> = view.messages.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(texts, ["Hello", "Hi!", "Tell me a fact", "Water is wet"]);
        assert_eq!(view.messages[2].versions.len(), 2);
        let old = db.show_version(&t2.user_message_id).unwrap();
        let texts: Vec<&str> = old.messages.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(texts, ["Hello", "Hi!", "Tell me a joke", "Knock knock"]);
    }

    #[test]
    fn checkpoints_survive_and_streaming_rows_become_interrupted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let (conversation, reply) = {
            let db = HistoryDb::open(&path).unwrap();
            let t = ask(&db, None, "Long answer please");
            db.checkpoint(&t.assistant_message_id, "The first half", "")
                .unwrap();
            // Pretend the writer was another process that has since died.
            db.conn()
                .execute(
                    "UPDATE messages SET writer_pid = 999999999 WHERE id = ?1",
                    [&t.assistant_message_id],
                )
                .unwrap();
            (t.conversation_id, t.assistant_message_id)
        };
        let db = HistoryDb::open(&path).unwrap();
        assert_eq!(db.recover_interrupted().unwrap(), 1);
        let view = db.conversation(&conversation).unwrap();
        let m = view.messages.iter().find(|m| m.id == reply).unwrap();
        assert_eq!(m.status, MessageStatus::Interrupted);
        assert_eq!(m.content, "The first half");
    }

    #[test]
    fn failures_keep_their_text_and_kind() {
        let (_d, db) = db();
        let t = ask(&db, None, "q");
        let err = ChatError::new(ErrorKind::RateLimited, "slow down");
        db.finish_reply(&t.assistant_message_id, "partial", "", None, &Err(err))
            .unwrap();
        let m = db
            .conversation(&t.conversation_id)
            .unwrap()
            .messages
            .pop()
            .unwrap();
        assert_eq!(
            (m.status, m.content.as_str()),
            (MessageStatus::Error, "partial")
        );
        assert_eq!(m.error_kind.as_deref(), Some("rate_limited"));
    }

    #[test]
    fn list_is_newest_first_with_pinned_on_top() {
        let (_d, db) = db();
        let a = ask(&db, None, "first");
        std::thread::sleep(std::time::Duration::from_millis(3));
        let b = ask(&db, None, "second");
        let ids: Vec<String> = db
            .list_conversations(10, 0)
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, [b.conversation_id.clone(), a.conversation_id.clone()]);
        db.set_pinned(&a.conversation_id, true).unwrap();
        let ids: Vec<String> = db
            .list_conversations(10, 0)
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, [a.conversation_id.clone(), b.conversation_id]);
        db.rename(&a.conversation_id, "  Renamed ").unwrap();
        assert_eq!(db.list_conversations(1, 0).unwrap()[0].title, "Renamed");
        assert!(db.rename(&a.conversation_id, " ").is_err());
    }

    #[test]
    fn titles_are_cut_at_a_word() {
        assert_eq!(title_from("\n  Short one  \nsecond line"), "Short one");
        let long =
            "Explain the difference between processes and threads in modern operating systems";
        let t = title_from(long);
        assert!(t.ends_with('…') && t.chars().count() <= 61, "{t}");
        assert!(long.starts_with(t.trim_end_matches('…')));
    }

    #[test]
    fn delete_removes_the_text_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let db = HistoryDb::open(&path).unwrap();
        let secret = "my bank password is hunter2-unique-marker";
        let t = ask(&db, None, secret);
        answer(&db, &t, "noted");
        db.delete(&t.conversation_id).unwrap();
        assert!(db.conversation(&t.conversation_id).is_err());
        assert!(db.search(secret, 10).unwrap().is_empty());
        drop(db);
        for entry in std::fs::read_dir(dir.path()).unwrap().flatten() {
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} still holds the text",
                entry.path().display()
            );
        }
    }
}
