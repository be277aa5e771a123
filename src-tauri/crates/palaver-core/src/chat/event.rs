//! The event protocol between the core and every front end.
//!
//! Serialized as `{"type": "delta", "text": "…"}` and so on: the GUI receives these over a
//! Tauri Channel, `palaver ask --json` prints them as NDJSON. Field names are camelCase.

use crate::llm::{ChatError, FinishReason};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ChatEvent {
    #[serde(rename_all = "camelCase")]
    Started {
        stream_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        conversation_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        message_id: Option<String>,
        model: String,
    },
    /// Answer text, in order.
    Delta {
        text: String,
    },
    /// Thinking text, shown apart from the answer.
    Reasoning {
        text: String,
    },
    #[serde(rename_all = "camelCase")]
    Usage {
        #[ts(type = "number")]
        prompt_tokens: u64,
        #[ts(type = "number")]
        completion_tokens: u64,
    },
    #[serde(rename_all = "camelCase")]
    Finished {
        finish_reason: FinishReason,
    },
    Failed {
        error: ChatError,
    },
}

/// Who a stream belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamIds {
    pub stream_id: String,
    pub conversation_id: Option<String>,
    pub message_id: Option<String>,
}

/// Receives a reply's events in order.
pub trait ChatSink: Send {
    fn send(&mut self, event: ChatEvent);
}

impl<F: FnMut(ChatEvent) + Send> ChatSink for F {
    fn send(&mut self, event: ChatEvent) {
        self(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::ErrorKind;

    #[test]
    fn events_serialize_as_the_documented_protocol() {
        let json = |e: &ChatEvent| serde_json::to_string(e).unwrap();
        assert_eq!(
            json(&ChatEvent::Delta { text: "Hi".into() }),
            r#"{"type":"delta","text":"Hi"}"#
        );
        assert_eq!(
            json(&ChatEvent::Finished {
                finish_reason: FinishReason::ContentFilter
            }),
            r#"{"type":"finished","finishReason":"content_filter"}"#
        );
        assert_eq!(
            json(&ChatEvent::Usage {
                prompt_tokens: 3,
                completion_tokens: 4
            }),
            r#"{"type":"usage","promptTokens":3,"completionTokens":4}"#
        );
        assert_eq!(
            json(&ChatEvent::Failed {
                error: ChatError::new(ErrorKind::Auth, "nope").with_status(401)
            }),
            r#"{"type":"failed","error":{"kind":"auth","message":"nope","status":401}}"#
        );
        assert_eq!(
            json(&ChatEvent::Started {
                stream_id: "s1".into(),
                conversation_id: None,
                message_id: None,
                model: "m".into()
            }),
            r#"{"type":"started","streamId":"s1","model":"m"}"#
        );
    }
}
