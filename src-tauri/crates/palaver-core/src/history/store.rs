//! Conversations and the message tree: turns, checkpoints, branches, list, rename, delete.
//!
//! Enums are stored as their snake_case names through one `ToSql`/`FromSql` each; a value
//! this version does not know is an error on read, never quietly another value. Message rows
//! are read through one column list and one mapper ([`MESSAGE_COLUMNS`], [`message`]),
//! which also adds the appended text of a reply still streaming.

use super::{new_id, now_ms, writers, HistoryDb, HistoryError, Result, MAX_TREE_DEPTH};
use crate::llm::{ChatError, ErrorKind, FinishReason, Message, Role, Usage};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// A stored name this version of Palaver does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown {what} “{value}” in the history")]
struct UnknownValue {
    what: &'static str,
    value: String,
}

/// `ToSql`/`FromSql` through `as_str`/`parse` for a stored enum.
macro_rules! stored_as_text {
    ($ty:ty, $what:literal, $as_str:path, $parse:path) => {
        impl ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from($as_str(*self)))
            }
        }
        impl FromSql for $ty {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = value.as_str()?;
                $parse(text).ok_or_else(|| {
                    FromSqlError::Other(Box::new(UnknownValue {
                        what: $what,
                        value: text.to_owned(),
                    }))
                })
            }
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
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

    pub fn parse(s: &str) -> Option<MessageStatus> {
        Some(match s {
            "complete" => MessageStatus::Complete,
            "streaming" => MessageStatus::Streaming,
            "cancelled" => MessageStatus::Cancelled,
            "interrupted" => MessageStatus::Interrupted,
            "error" => MessageStatus::Error,
            _ => return None,
        })
    }
}

stored_as_text!(
    MessageStatus,
    "message status",
    MessageStatus::as_str,
    MessageStatus::parse
);

/// Where a conversation started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
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
    pub fn parse(s: &str) -> Option<Source> {
        Some(match s {
            "app" => Source::App,
            "cli" => Source::Cli,
            "quick_ask" => Source::QuickAsk,
            "import" => Source::Import,
            _ => return None,
        })
    }
}

stored_as_text!(Source, "conversation source", Source::as_str, Source::parse);

pub(crate) fn role_str(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

pub(crate) fn parse_role(s: &str) -> Option<Role> {
    Some(match s {
        "system" => Role::System,
        "user" => Role::User,
        "assistant" => Role::Assistant,
        _ => return None,
    })
}

stored_as_text!(Role, "message role", role_str, parse_role);

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ConversationSummary {
    pub id: String,
    pub title: String,
    #[ts(type = "number")]
    pub created_at: i64,
    #[ts(type = "number")]
    pub updated_at: i64,
    pub pinned: bool,
    /// The model the conversation uses now, and the profile it is reached through.
    pub model: String,
    pub profile: String,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
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
    /// For a reply: the model that wrote it, and the profile it was reached through.
    pub model: String,
    pub profile: String,
    #[ts(type = "number | null")]
    pub prompt_tokens: Option<u64>,
    #[ts(type = "number | null")]
    pub completion_tokens: Option<u64>,
    #[ts(type = "number")]
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
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
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

pub(crate) const SUMMARY_COLUMNS: &str =
    "id, title, created_at, updated_at, pinned, model, source, profile";
/// How many columns [`SUMMARY_COLUMNS`] names: the index of the first column after them.
pub(crate) const SUMMARY_LEN: usize = 8;

/// The columns [`message`] maps, from `messages m`. A reply still streaming keeps its text
/// in `message_parts`: it is added to what `messages` holds, in checkpoint order (only for
/// such rows: `CASE` spares the others the lookup).
pub(crate) const MESSAGE_COLUMNS: &str = "m.id, m.parent_id, m.role,
    CASE WHEN m.status = 'streaming' THEN m.content || coalesce((SELECT group_concat(p.content, '' ORDER BY p.seq) FROM message_parts p WHERE p.message_id = m.id), '') ELSE m.content END,
    CASE WHEN m.status = 'streaming' THEN m.reasoning || coalesce((SELECT group_concat(p.reasoning, '' ORDER BY p.seq) FROM message_parts p WHERE p.message_id = m.id), '') ELSE m.reasoning END,
    m.status, m.finish_reason, m.error_kind, m.error_message, m.model, m.prompt_tokens,
    m.completion_tokens, m.created_at, m.profile";

pub(crate) fn summary(row: &Row<'_>) -> rusqlite::Result<ConversationSummary> {
    Ok(ConversationSummary {
        id: row.get(0)?,
        title: row.get(1)?,
        created_at: row.get(2)?,
        updated_at: row.get(3)?,
        pinned: row.get::<_, i64>(4)? != 0,
        model: row.get(5)?,
        source: row.get(6)?,
        profile: row.get(7)?,
    })
}

pub(crate) fn message(row: &Row<'_>) -> rusqlite::Result<StoredMessage> {
    Ok(StoredMessage {
        id: row.get(0)?,
        parent_id: row.get(1)?,
        role: row.get(2)?,
        content: row.get(3)?,
        reasoning: row.get(4)?,
        status: row.get(5)?,
        finish_reason: row.get(6)?,
        error_kind: row.get(7)?,
        error_message: row.get(8)?,
        model: row.get(9)?,
        prompt_tokens: row.get::<_, Option<i64>>(10)?.map(|v| v as u64),
        completion_tokens: row.get::<_, Option<i64>>(11)?.map(|v| v as u64),
        created_at: row.get(12)?,
        profile: row.get(13)?,
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

/// Ends a streaming reply: its appended text joins `messages.content` (and so the index,
/// once the status is no longer `streaming`) and its parts are dropped.
fn fold_parts(conn: &rusqlite::Connection, message_id: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE messages SET
             content = content || coalesce((SELECT group_concat(p.content, '' ORDER BY p.seq) FROM message_parts p WHERE p.message_id = ?1), ''),
             reasoning = reasoning || coalesce((SELECT group_concat(p.reasoning, '' ORDER BY p.seq) FROM message_parts p WHERE p.message_id = ?1), '')
         WHERE id = ?1",
        [message_id],
    )?;
    conn.execute(
        "DELETE FROM message_parts WHERE message_id = ?1",
        [message_id],
    )?;
    Ok(())
}

impl HistoryDb {
    fn writer_id(&self) -> Option<&str> {
        self.writer.as_ref().map(writers::WriterLock::id)
    }

    /// Whether the writer that streams into a row is still at work. A row from before
    /// writer ids (only a process id) is alive only if it is this process's.
    fn writer_alive(&self, writer_id: Option<&str>, writer_pid: Option<i64>) -> bool {
        match writer_id {
            Some(id) if Some(id) == self.writer_id() => true,
            Some(id) => {
                writers::writers_dir(&self.path).is_some_and(|dir| writers::is_alive(&dir, id))
            }
            None => writer_pid == Some(i64::from(std::process::id())),
        }
    }

    /// Marks replies left `streaming` by a writer that is gone as `interrupted`, text kept,
    /// and removes the lock files such writers left behind.
    pub fn recover_interrupted(&self) -> Result<usize> {
        let mut conn = self.conn();
        let rows: Vec<(String, Option<String>, Option<i64>)> = {
            let mut stmt = conn.prepare(
                "SELECT id, writer_id, writer_pid FROM messages WHERE status = 'streaming'",
            )?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            rows
        };
        let mut recovered = 0;
        for (id, writer_id, writer_pid) in rows {
            if self.writer_alive(writer_id.as_deref(), writer_pid) {
                continue;
            }
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Re-checked under the write lock: the reply may have ended meanwhile.
            let still: bool = tx
                .query_row(
                    "SELECT 1 FROM messages WHERE id = ?1 AND status = 'streaming'",
                    [&id],
                    |_| Ok(true),
                )
                .optional()?
                .unwrap_or(false);
            if still {
                fold_parts(&tx, &id)?;
                recovered += tx.execute(
                    "UPDATE messages SET status = 'interrupted', writer_pid = NULL, writer_id = NULL
                     WHERE id = ?1",
                    [&id],
                )?;
            }
            tx.commit()?;
        }
        if let (Some(dir), Some(me)) = (writers::writers_dir(&self.path), self.writer_id()) {
            writers::remove_stale(&dir, me);
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
                |r| Ok((summary(r)?, r.get(SUMMARY_LEN)?, r.get(SUMMARY_LEN + 1)?)),
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
                    params![id, title_from(text), now, request.model, request.system_prompt, request.profile, request.source],
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
            "INSERT INTO messages (id, conversation_id, parent_id, role, status, model, profile, writer_pid, writer_id, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'assistant', 'streaming', ?4, ?5, ?6, ?7, ?8, ?8)",
            params![assistant_id, conversation_id, user_id, request.model, request.profile, i64::from(std::process::id()), self.writer_id(), now],
        )?;
        tx.execute(
            "UPDATE conversations SET current_leaf_id = ?2, updated_at = ?3, model = ?4, system_prompt = ?5, profile = ?6 WHERE id = ?1",
            params![conversation_id, assistant_id, now, request.model, request.system_prompt, request.profile],
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

    /// Saves the reply so far (`text` and `reasoning` are all of it, as shown). Called at
    /// most every half second while it streams.
    ///
    /// Costs what is new, not the whole reply: the store remembers how many bytes it holds
    /// and appends the rest as one more part; nothing is indexed until the reply ends. The
    /// text is expected to grow at its end; if it did not (shorter, or the saved length is
    /// not a character boundary), the parts are replaced by the whole text once. A reply
    /// that has already ended is left as it is.
    pub fn checkpoint(&self, message_id: &str, text: &str, reasoning: &str) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let status: MessageStatus = tx
            .query_row(
                "SELECT status FROM messages WHERE id = ?1",
                [message_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(HistoryError::NotFound("message"))?;
        if status != MessageStatus::Streaming {
            return Ok(());
        }
        let last: Option<(i64, i64, i64)> = tx
            .query_row(
                "SELECT seq, content_end, reasoning_end FROM message_parts
                 WHERE message_id = ?1 ORDER BY seq DESC LIMIT 1",
                [message_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (mut seq, mut text_saved, mut reasoning_saved) = match last {
            Some((seq, text_end, reasoning_end)) => (
                seq + 1,
                usize::try_from(text_end).unwrap_or(usize::MAX),
                usize::try_from(reasoning_end).unwrap_or(usize::MAX),
            ),
            None => (0, 0, 0),
        };
        let grows = |whole: &str, saved: usize| whole.is_char_boundary(saved);
        if !grows(text, text_saved) || !grows(reasoning, reasoning_saved) {
            tx.execute(
                "DELETE FROM message_parts WHERE message_id = ?1",
                [message_id],
            )?;
            (seq, text_saved, reasoning_saved) = (0, 0, 0);
        }
        let (new_text, new_reasoning) = (&text[text_saved..], &reasoning[reasoning_saved..]);
        if new_text.is_empty() && new_reasoning.is_empty() {
            tx.commit()?;
            return Ok(());
        }
        tx.execute(
            "INSERT INTO message_parts (message_id, seq, content, reasoning, content_end, reasoning_end)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                message_id,
                seq,
                new_text,
                new_reasoning,
                text.len() as i64,
                reasoning.len() as i64
            ],
        )?;
        tx.execute(
            "UPDATE messages SET updated_at = ?2 WHERE id = ?1",
            params![message_id, now_ms()],
        )?;
        tx.commit()?;
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
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "DELETE FROM message_parts WHERE message_id = ?1",
            [message_id],
        )?;
        // The whole text, indexed once now that the status is no longer `streaming`.
        tx.execute(
            "UPDATE messages SET content = ?2, reasoning = ?3, status = ?4, finish_reason = ?5,
                 error_kind = ?6, error_message = ?7, prompt_tokens = ?8, completion_tokens = ?9,
                 writer_pid = NULL, writer_id = NULL, updated_at = ?10
             WHERE id = ?1",
            params![
                message_id,
                text,
                reasoning,
                status,
                finish,
                error.map(|e| e.kind.as_str()),
                error.map(|e| e.message.as_str()),
                usage.map(|u| u.prompt_tokens as i64),
                usage.map(|u| u.completion_tokens as i64),
                now_ms()
            ],
        )?;
        tx.execute(
            "UPDATE conversations SET updated_at = ?2 WHERE id = (SELECT conversation_id FROM messages WHERE id = ?1)",
            params![message_id, now_ms()],
        )?;
        tx.commit()?;
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
            // Bounded, and stopped at a loop a damaged file may hold.
            let mut seen = HashSet::from([leaf.clone()]);
            while seen.len() <= MAX_TREE_DEPTH {
                let child: Option<String> = conn
                    .query_row(
                        "SELECT id FROM messages WHERE parent_id = ?1 ORDER BY created_at DESC, id DESC LIMIT 1",
                        [&leaf],
                        |r| r.get(0),
                    )
                    .optional()?;
                match child {
                    Some(c) if seen.insert(c.clone()) => leaf = c,
                    _ => break,
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

    /// The profile and model the conversation's next reply comes from.
    pub fn model_of(&self, id: &str) -> Result<(String, String)> {
        self.conn()
            .query_row(
                "SELECT profile, model FROM conversations WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or(HistoryError::NotFound("conversation"))
    }

    /// Makes `model` on `profile` the conversation's choice for its next replies.
    pub fn set_model(&self, id: &str, profile: &str, model: &str) -> Result<()> {
        let model = model.trim();
        if model.is_empty() {
            return Err(HistoryError::Invalid("Choose a model.".into()));
        }
        let changed = self.conn().execute(
            "UPDATE conversations SET profile = ?2, model = ?3 WHERE id = ?1",
            params![id, profile, model],
        )?;
        if changed == 0 {
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
        params![id, conversation_id, parent, role, text, now],
    )?;
    Ok(id)
}

/// The messages from the root down to `leaf`, each with its versions.
///
/// The walk up is bounded by [`MAX_TREE_DEPTH`], and a message met twice (a loop, written
/// by an older import) is kept once, at its first depth: such a tree shows the path up to
/// the loop instead of hanging the read.
fn branch(conn: &rusqlite::Connection, leaf: &str) -> Result<Vec<StoredMessage>> {
    let mut stmt = conn.prepare_cached(&format!(
        "WITH RECURSIVE path(id, parent, depth) AS (
             SELECT id, parent_id, 0 FROM messages WHERE id = ?1
             UNION ALL
             SELECT m.id, m.parent_id, path.depth + 1 FROM messages m JOIN path ON m.id = path.parent
             WHERE path.depth < ?2
         ),
         once AS (SELECT id, min(depth) AS depth FROM path GROUP BY id)
         SELECT {MESSAGE_COLUMNS} FROM once JOIN messages m ON m.id = once.id
         ORDER BY once.depth DESC"
    ))?;
    let mut messages: Vec<StoredMessage> = stmt
        .query_map(params![leaf, MAX_TREE_DEPTH as i64], message)?
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

    #[test]
    fn each_reply_keeps_the_model_and_profile_that_wrote_it() {
        let (_dir, db) = db();
        let first = ask(&db, None, "Hello");
        answer(&db, &first, "Hi from m");
        let id = first.conversation_id.clone();
        db.set_model(&id, "claude", "claude-sonnet-4-5").unwrap();
        let view = db.conversation(&id).unwrap();
        assert_eq!(
            (
                view.conversation.profile.as_str(),
                view.conversation.model.as_str()
            ),
            ("claude", "claude-sonnet-4-5")
        );
        let second = db
            .begin_turn(&TurnRequest {
                conversation_id: Some(id.clone()),
                kind: TurnKind::Ask {
                    text: "And you?".into(),
                },
                model: "claude-sonnet-4-5".into(),
                system_prompt: String::new(),
                profile: "claude".into(),
                source: Source::App,
            })
            .unwrap();
        answer(&db, &second, "Hi from Claude");
        let replies: Vec<(String, String)> = db
            .conversation(&id)
            .unwrap()
            .messages
            .into_iter()
            .filter(|m| m.role == Role::Assistant)
            .map(|m| (m.profile, m.model))
            .collect();
        assert_eq!(
            replies,
            [
                ("openai".to_owned(), "m".to_owned()),
                ("claude".to_owned(), "claude-sonnet-4-5".to_owned())
            ]
        );
        assert!(db.set_model("nope", "p", "m").is_err());
        assert!(db.set_model(&id, "p", " ").is_err());
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
            if !entry.path().is_file() {
                continue;
            }
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} still holds the text",
                entry.path().display()
            );
        }
    }

    /// Every file of the history (the database, its WAL and anything else beside it).
    fn file_bytes(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| (e.path(), std::fs::read(e.path()).unwrap()))
            .collect()
    }

    fn trigrams_in_index(db: &HistoryDb, text: &str) -> Vec<String> {
        let conn = db.conn();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.messages_vocab USING fts5vocab(main, messages_fts, 'row');
             CREATE VIRTUAL TABLE IF NOT EXISTS temp.titles_vocab USING fts5vocab(main, conversations_fts, 'row');",
        )
        .unwrap();
        let chars: Vec<char> = text.to_lowercase().chars().collect();
        let mut found = Vec::new();
        for w in chars.windows(3) {
            let tri: String = w.iter().collect();
            for table in ["temp.messages_vocab", "temp.titles_vocab"] {
                let n: i64 = conn
                    .query_row(
                        &format!("SELECT count(*) FROM {table} WHERE term = ?1"),
                        [&tri],
                        |r| r.get(0),
                    )
                    .unwrap();
                if n > 0 {
                    found.push(format!("{table}: {tri}"));
                }
            }
        }
        found
    }

    /// Any trigram of `text` still present as bytes in the raw FTS blocks.
    fn trigrams_in_fts_blocks(db: &HistoryDb, text: &str) -> Vec<String> {
        let conn = db.conn();
        let mut blocks: Vec<Vec<u8>> = Vec::new();
        for table in ["messages_fts_data", "conversations_fts_data"] {
            let mut stmt = conn.prepare(&format!("SELECT block FROM {table}")).unwrap();
            blocks.extend(
                stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))
                    .unwrap()
                    .map(|b| b.unwrap()),
            );
        }
        let chars: Vec<char> = text.to_lowercase().chars().collect();
        chars
            .windows(3)
            .map(|w| w.iter().collect::<String>())
            .filter(|tri| {
                blocks
                    .iter()
                    .any(|b| b.windows(tri.len()).any(|x| x == tri.as_bytes()))
            })
            .collect()
    }

    // A marker made of trigrams nothing else in these tests contains.
    const MARKER: &str = "qzxj-wvkq-marker-7731-jqxz";

    #[test]
    fn deleted_text_leaves_no_trigrams_in_the_index_or_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let db = HistoryDb::open(&path).unwrap();
        let keep = ask(&db, None, "something else entirely");
        answer(&db, &keep, "kept");
        let t = ask(&db, None, &format!("title {MARKER}"));
        answer(&db, &t, &format!("the reply repeats {MARKER}"));
        assert!(!trigrams_in_index(&db, MARKER).is_empty());
        db.delete(&t.conversation_id).unwrap();
        assert_eq!(trigrams_in_index(&db, MARKER), Vec::<String>::new());
        assert_eq!(trigrams_in_fts_blocks(&db, MARKER), Vec::<String>::new());
        for (file, bytes) in file_bytes(dir.path()) {
            assert!(
                !bytes.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()),
                "{} still holds the text",
                file.display()
            );
        }
    }

    #[test]
    fn a_file_from_before_secure_delete_forgets_deleted_text_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        {
            // A history written by the first schema, as older Palavers left it.
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(crate::history::MIGRATIONS[0]).unwrap();
            conn.execute_batch("PRAGMA user_version = 1; PRAGMA journal_mode = WAL;")
                .unwrap();
            conn.execute(
                "INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('old', ?1, 1, 1)",
                [format!("old {MARKER}")],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO messages (id, conversation_id, role, content, created_at, updated_at)
                 VALUES ('old-q', 'old', 'user', ?1, 1, 1)",
                [format!("an old question {MARKER}")],
            )
            .unwrap();
        }
        let db = HistoryDb::open(&path).unwrap();
        db.delete("old").unwrap();
        assert_eq!(trigrams_in_index(&db, MARKER), Vec::<String>::new());
        assert_eq!(trigrams_in_fts_blocks(&db, MARKER), Vec::<String>::new());
        for (file, bytes) in file_bytes(dir.path()) {
            if file.to_string_lossy().contains(".before-v") {
                continue;
            }
            assert!(
                !bytes.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()),
                "{} still holds the text",
                file.display()
            );
        }
    }

    #[test]
    fn text_deleted_before_the_upgrade_leaves_the_index_at_the_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        {
            // An older Palaver deleted this conversation: its terms stayed in the index.
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(crate::history::MIGRATIONS[0]).unwrap();
            conn.execute_batch("PRAGMA user_version = 1; PRAGMA secure_delete = ON;")
                .unwrap();
            conn.execute(
                "INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('gone', 't', 1, 1)",
                [],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO messages (id, conversation_id, role, content, created_at, updated_at)
                 VALUES ('gone-q', 'gone', 'user', ?1, 1, 1)",
                [format!("deleted long ago {MARKER}")],
            )
            .unwrap();
            conn.execute("DELETE FROM conversations WHERE id = 'gone'", [])
                .unwrap();
        }
        let db = HistoryDb::open(&path).unwrap();
        assert_eq!(trigrams_in_fts_blocks(&db, MARKER), Vec::<String>::new());
    }

    fn total_size(dir: &std::path::Path) -> u64 {
        file_bytes(dir).iter().map(|(_, b)| b.len() as u64).sum()
    }

    #[test]
    fn checkpoints_cost_what_is_new_and_stay_out_of_the_index_until_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let db = HistoryDb::open(&dir.path().join(FILE_NAME)).unwrap();
        let t = ask(&db, None, "Runaway");
        let piece = "runaway reply text ".repeat(100 * 1024 / 19);
        let mut text = String::new();
        for _ in 0..20 {
            text.push_str(&piece);
            db.checkpoint(&t.assistant_message_id, &text, "").unwrap();
        }
        let size = total_size(dir.path());
        assert!(
            size < 3 * text.len() as u64,
            "{size} bytes on disk for a {} byte reply",
            text.len()
        );
        let view = db.conversation(&t.conversation_id).unwrap();
        assert_eq!(view.messages[1].content, text, "the text so far is shown");
        assert!(
            db.search("runaway reply", 10)
                .unwrap()
                .iter()
                .all(|h| h.message_id.as_deref() != Some(&t.assistant_message_id)),
            "a reply still streaming is not in the index"
        );
        answer(&db, &t, &text);
        let hits = db.search("runaway reply", 10).unwrap();
        assert!(hits
            .iter()
            .any(|h| h.message_id.as_deref() == Some(&t.assistant_message_id)));
        let view = db.conversation(&t.conversation_id).unwrap();
        assert_eq!(view.messages[1].content, text);
    }

    #[test]
    fn an_unknown_stored_value_is_an_error_not_a_default() {
        let (_d, db) = db();
        let t = ask(&db, None, "q");
        db.conn()
            .execute(
                "UPDATE conversations SET source = 'martian' WHERE id = ?1",
                [&t.conversation_id],
            )
            .unwrap();
        assert!(db.list_conversations(10, 0).is_err());
        db.conn()
            .execute_batch("PRAGMA ignore_check_constraints = ON;")
            .unwrap();
        db.conn()
            .execute(
                "UPDATE conversations SET source = 'cli' WHERE id = ?1",
                [&t.conversation_id],
            )
            .unwrap();
        db.conn()
            .execute(
                "UPDATE messages SET status = 'pondering' WHERE id = ?1",
                [&t.assistant_message_id],
            )
            .unwrap();
        assert!(db.conversation(&t.conversation_id).is_err());
        assert!(db.export(None).is_err());
    }

    #[test]
    fn a_live_writers_reply_is_left_alone_and_a_dead_ones_is_recovered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        // Two handles on one file hold their locks as two processes would.
        let writer = HistoryDb::open(&path).unwrap();
        let other = HistoryDb::open(&path).unwrap();
        let t = ask(&writer, None, "Still thinking");
        writer
            .checkpoint(&t.assistant_message_id, "so far", "")
            .unwrap();
        assert_eq!(other.recover_interrupted().unwrap(), 0);
        let status =
            |db: &HistoryDb| db.conversation(&t.conversation_id).unwrap().messages[1].status;
        assert_eq!(status(&other), MessageStatus::Streaming);
        drop(writer);
        assert_eq!(other.recover_interrupted().unwrap(), 1);
        assert_eq!(status(&other), MessageStatus::Interrupted);
        let view = other.conversation(&t.conversation_id).unwrap();
        assert_eq!(view.messages[1].content, "so far");
    }
}
