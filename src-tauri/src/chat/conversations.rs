//! The turns of each open conversation, kept in memory for the length of a session.
//!
//! Each request carries the whole conversation (system prompt first), never a silently
//! trimmed tail. A reply that failed before any text arrived leaves no assistant turn, and
//! its question is taken back too, so that "Retry" asks again without repeating it; a reply
//! with text, even partial, stays in the context the model sees next.

use crate::llm::{Message, Role};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct Conversations {
    turns: Mutex<HashMap<String, Vec<Message>>>,
}

impl Conversations {
    /// Adds the user's message and returns the conversation id with the messages to send.
    /// `retry` first takes back a trailing failed exchange for the same question.
    pub fn begin_turn(
        &self,
        conversation_id: Option<&str>,
        text: &str,
        retry: bool,
        system_prompt: Option<&str>,
    ) -> (String, Vec<Message>) {
        let id = conversation_id
            .map(str::to_owned)
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        let mut all = self.turns.lock().unwrap_or_else(|p| p.into_inner());
        let turns = all.entry(id.clone()).or_default();
        if retry {
            if turns.last().is_some_and(|m| m.role == Role::Assistant) {
                turns.pop();
            }
            if turns.last().is_some_and(|m| m.role == Role::User && m.content == text) {
                turns.pop();
            }
        }
        turns.push(Message::user(text));
        let mut messages = Vec::with_capacity(turns.len() + 1);
        if let Some(system) = system_prompt.filter(|s| !s.trim().is_empty()) {
            messages.push(Message::system(system));
        }
        messages.extend(turns.iter().cloned());
        (id, messages)
    }

    /// Records how the turn ended.
    pub fn finish_turn(&self, conversation_id: &str, reply_text: &str) {
        let mut all = self.turns.lock().unwrap_or_else(|p| p.into_inner());
        let Some(turns) = all.get_mut(conversation_id) else {
            return;
        };
        if reply_text.is_empty() {
            if turns.last().is_some_and(|m| m.role == Role::User) {
                turns.pop();
            }
        } else {
            turns.push(Message::assistant(reply_text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_conversation_is_sent_system_prompt_first() {
        let c = Conversations::default();
        let (id, first) = c.begin_turn(None, "Hi", false, Some("Be brief."));
        assert_eq!(first.len(), 2);
        c.finish_turn(&id, "Hello!");
        let (_, second) = c.begin_turn(Some(&id), "How are you?", false, Some("Be brief."));
        let roles: Vec<Role> = second.iter().map(|m| m.role).collect();
        assert_eq!(roles, [Role::System, Role::User, Role::Assistant, Role::User]);
    }

    #[test]
    fn a_failed_turn_can_be_retried_without_repeating_the_question() {
        let c = Conversations::default();
        let (id, _) = c.begin_turn(None, "Question", false, None);
        c.finish_turn(&id, "");
        let (_, messages) = c.begin_turn(Some(&id), "Question", true, None);
        assert_eq!(messages, vec![Message::user("Question")]);
        c.finish_turn(&id, "Partial ans");
        let (_, messages) = c.begin_turn(Some(&id), "Question", true, None);
        assert_eq!(messages, vec![Message::user("Question")]);
    }
}
