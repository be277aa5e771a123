//! Anthropic Messages: `POST {base}/messages` with `x-api-key` and `anthropic-version`.
//!
//! The request differs from Chat Completions in ways the API enforces: `max_tokens` is
//! required (a default per model applies), system messages go to a top-level `system`,
//! roles must alternate (consecutive messages of one role are merged) and no message may
//! be empty (empty ones are left out), and `temperature` lies in 0–1 (clamped).
//!
//! The stream is a sequence of named events whose data carries the same name in `type`:
//! `message_start` (the prompt's token count), `content_block_start/delta/stop` (text as
//! `text_delta`, thinking as `thinking_delta`; signatures and tool-input JSON are not
//! shown), `message_delta` (the stop reason and the reply's token count), `message_stop`
//! (the end), `ping`, and `error`. Event types this module does not know are skipped, so a
//! new kind of block or event does not break old clients.
//!
//! A `message_delta` with a stop reason completes the answer, as `finish_reason` does in
//! Chat Completions; `message_stop` ends the stream. A stream that closes before either is
//! interrupted.

use crate::llm::error::ChatError;
use crate::llm::request::{ChatRequest, Role};
use crate::llm::wire::{
    borrowed_str, mid_stream_error, ChunkContent, ErrorWire, FinishReason, Payload, Usage,
};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The API version every request names; the one whose stream format this module reads.
pub(crate) const ANTHROPIC_VERSION: &str = "2023-06-01";

/// The reply's token cap when the request sets none: the most each model family accepts
/// without a beta header, bounded so that a default never asks for more than a chat needs.
pub(crate) fn default_max_tokens(model: &str) -> u32 {
    let model = model.trim().to_ascii_lowercase();
    if model.starts_with("claude-3-5") || model.starts_with("claude-3.5") {
        8192
    } else if ["claude-3-haiku", "claude-3-opus", "claude-3-sonnet"]
        .iter()
        .any(|family| model.starts_with(family))
    {
        4096
    } else {
        16384
    }
}

#[derive(Serialize)]
struct WireRequest<'a> {
    model: &'a str,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<String>,
    messages: Vec<WireMessage<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    stream: bool,
}

#[derive(Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    content: Cow<'a, str>,
}

/// The Messages body for `request`, with `stream: true`.
pub(crate) fn body(request: &ChatRequest) -> Result<Vec<u8>, serde_json::Error> {
    let system: Vec<&str> = request
        .messages
        .iter()
        .filter(|m| m.role == Role::System && !m.content.trim().is_empty())
        .map(|m| m.content.as_str())
        .collect();
    let mut messages: Vec<WireMessage<'_>> = Vec::new();
    for message in &request.messages {
        let role = match message.role {
            Role::System => continue,
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        // The API rejects empty content; an assistant turn that failed before its first
        // token is stored empty.
        if message.content.trim().is_empty() {
            continue;
        }
        match messages.last_mut() {
            Some(last) if last.role == role => {
                let merged = last.content.to_mut();
                merged.push_str("\n\n");
                merged.push_str(&message.content);
            }
            _ => messages.push(WireMessage {
                role,
                content: Cow::Borrowed(&message.content),
            }),
        }
    }
    serde_json::to_vec(&WireRequest {
        model: &request.model,
        max_tokens: request
            .max_tokens
            .unwrap_or_else(|| default_max_tokens(&request.model)),
        system: (!system.is_empty()).then(|| system.join("\n\n")),
        messages,
        temperature: request.temperature.map(|t| t.clamp(0.0, 1.0)),
        stream: true,
    })
}

#[derive(Deserialize)]
struct EventWire<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    delta: Option<DeltaWire<'a>>,
    #[serde(default)]
    message: Option<MessageWire>,
    #[serde(default)]
    usage: Option<UsageWire>,
    #[serde(borrow, default)]
    error: Option<ErrorWire<'a>>,
}

#[derive(Deserialize)]
struct DeltaWire<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed_str")]
    text: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed_str")]
    thinking: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    stop_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct MessageWire {
    #[serde(default)]
    usage: Option<UsageWire>,
}

#[derive(Deserialize)]
struct UsageWire {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
}

/// Reads one stream's events; remembers the prompt's token count until the end.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    input_tokens: u64,
    /// The stream ended with an `overloaded_error` event.
    overloaded: bool,
}

impl Decoder {
    pub(crate) fn decode<'a>(
        &mut self,
        event: &str,
        data: &'a str,
    ) -> Result<Payload<'a>, ChatError> {
        let wire: EventWire<'a> = super::parse_event(data, "Anthropic event")?;
        let kind = wire.kind.as_deref().unwrap_or(event);
        let mut content = ChunkContent::default();
        match kind {
            "message_start" => {
                if let Some(tokens) = wire
                    .message
                    .and_then(|m| m.usage)
                    .and_then(|u| u.input_tokens)
                {
                    self.input_tokens = tokens;
                }
            }
            "content_block_delta" => {
                if let Some(delta) = wire.delta {
                    match delta.kind.as_deref() {
                        Some("text_delta") => content.text = delta.text.filter(|t| !t.is_empty()),
                        Some("thinking_delta") => {
                            content.reasoning = delta.thinking.filter(|t| !t.is_empty())
                        }
                        // `signature_delta`, `input_json_delta`, and what comes later.
                        _ => {}
                    }
                }
            }
            "message_delta" => {
                if let Some(usage) = wire.usage {
                    // Newer API versions repeat the prompt's count here, cumulative.
                    if let Some(input) = usage.input_tokens {
                        self.input_tokens = input;
                    }
                    content.usage = Some(Usage {
                        prompt_tokens: self.input_tokens,
                        completion_tokens: usage.output_tokens.unwrap_or(0),
                    });
                }
                content.finish_reason = wire
                    .delta
                    .and_then(|d| d.stop_reason)
                    .map(|reason| stop_reason(&reason));
            }
            "message_stop" => return Ok(Payload::Done),
            "error" => {
                let error = wire.error.as_ref();
                let code = error.and_then(|e| e.code());
                let mut failure = mid_stream_error(code, error.and_then(|e| e.message()));
                if code == Some("overloaded_error") {
                    self.overloaded = true;
                    failure.message = format!(
                        "Anthropic is overloaded and stopped the answer — try again in a moment. ({})",
                        failure.message
                    );
                }
                return Err(failure);
            }
            // `ping`, `content_block_start`, `content_block_stop` and unknown events.
            _ => {}
        }
        Ok(Payload::Chunk(content))
    }
}

impl Decoder {
    /// Whether the stream ended because Anthropic was overloaded.
    pub(crate) fn overloaded(&self) -> bool {
        self.overloaded
    }
}

fn stop_reason(reason: &str) -> FinishReason {
    match reason {
        "max_tokens" | "model_context_window_exceeded" => FinishReason::Length,
        "refusal" => FinishReason::ContentFilter,
        "tool_use" => FinishReason::ToolCalls,
        // `end_turn`, `stop_sequence`, `pause_turn` and whatever comes later.
        _ => FinishReason::Stop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::error::ErrorKind;
    use crate::llm::request::Message;

    fn chunk<'a>(decoder: &mut Decoder, event: &str, data: &'a str) -> ChunkContent<'a> {
        match decoder.decode(event, data) {
            Ok(Payload::Chunk(c)) => c,
            other => panic!("expected a chunk, got {other:?}"),
        }
    }

    #[test]
    fn text_and_thinking_are_kept_apart_and_borrowed() {
        let mut d = Decoder::default();
        let c = chunk(
            &mut d,
            "content_block_delta",
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Hi"}}"#,
        );
        assert!(matches!(c.text, Some(Cow::Borrowed("Hi"))));
        assert_eq!(c.reasoning, None);
        let c = chunk(
            &mut d,
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Hmm\n"}}"#,
        );
        assert_eq!(c.reasoning.as_deref(), Some("Hmm\n"));
        assert_eq!(c.text, None);
        let c = chunk(
            &mut d,
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQB"}}"#,
        );
        assert_eq!(c, ChunkContent::default());
    }

    #[test]
    fn usage_joins_the_prompt_count_from_the_start_and_the_reply_count_from_the_end() {
        let mut d = Decoder::default();
        chunk(
            &mut d,
            "message_start",
            r#"{"type":"message_start","message":{"id":"m","usage":{"input_tokens":25,"output_tokens":1}}}"#,
        );
        let c = chunk(
            &mut d,
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":15}}"#,
        );
        assert_eq!(
            c.usage,
            Some(Usage {
                prompt_tokens: 25,
                completion_tokens: 15
            })
        );
        assert_eq!(c.finish_reason, Some(FinishReason::Length));
        assert_eq!(
            d.decode("message_stop", r#"{"type":"message_stop"}"#),
            Ok(Payload::Done)
        );
    }

    #[test]
    fn stop_reasons_map_to_stable_values() {
        for (wire, expected) in [
            ("end_turn", FinishReason::Stop),
            ("stop_sequence", FinishReason::Stop),
            ("max_tokens", FinishReason::Length),
            ("refusal", FinishReason::ContentFilter),
            ("tool_use", FinishReason::ToolCalls),
        ] {
            let data = format!(r#"{{"type":"message_delta","delta":{{"stop_reason":"{wire}"}}}}"#);
            let mut d = Decoder::default();
            assert_eq!(
                chunk(&mut d, "message_delta", &data).finish_reason,
                Some(expected),
                "{wire}"
            );
        }
    }

    #[test]
    fn error_events_name_their_kind() {
        let mut d = Decoder::default();
        let e = d
            .decode(
                "error",
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            )
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Server);
        assert!(
            e.message.contains("Anthropic is overloaded"),
            "{}",
            e.message
        );
        assert!(e.message.contains("Overloaded)"), "{}", e.message);
        let e = d
            .decode(
                "error",
                r#"{"type":"error","error":{"type":"rate_limit_error","message":"Slow down"}}"#,
            )
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::RateLimited);
    }

    #[test]
    fn unknown_and_ping_events_are_skipped() {
        let mut d = Decoder::default();
        assert_eq!(
            chunk(&mut d, "ping", r#"{"type": "ping"}"#),
            ChunkContent::default()
        );
        assert_eq!(
            chunk(
                &mut d,
                "future_event",
                r#"{"type":"future_event","x":[1,2]}"#
            ),
            ChunkContent::default()
        );
    }

    #[test]
    fn malformed_data_is_a_protocol_error() {
        let e = Decoder::default()
            .decode("content_block_delta", r#"{"type":"content_bl"#)
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Protocol);
        assert!(
            e.message.contains("not a valid Anthropic event"),
            "{}",
            e.message
        );
    }

    #[test]
    fn body_merges_roles_moves_system_and_clamps_temperature() {
        let request = ChatRequest {
            model: "claude-sonnet-4-5".into(),
            messages: vec![
                Message::system("Be brief."),
                Message::user("One"),
                Message::assistant(""),
                Message::user("Two"),
                Message::system("Use metric units."),
                Message::assistant("Answer"),
            ],
            temperature: Some(1.7),
            max_tokens: None,
        };
        let body: serde_json::Value = serde_json::from_slice(&body(&request).unwrap()).unwrap();
        assert_eq!(body["system"], "Be brief.\n\nUse metric units.");
        assert_eq!(body["max_tokens"], 16384);
        assert_eq!(body["temperature"], 1.0);
        assert_eq!(body["stream"], true);
        assert_eq!(
            body["messages"],
            serde_json::json!([
                {"role": "user", "content": "One\n\nTwo"},
                {"role": "assistant", "content": "Answer"},
            ])
        );
    }

    #[test]
    fn no_system_field_without_system_messages_and_the_cap_is_kept() {
        let request = ChatRequest {
            model: "claude-3-5-haiku-latest".into(),
            messages: vec![Message::user("Hi")],
            temperature: None,
            max_tokens: Some(300),
        };
        let body: serde_json::Value = serde_json::from_slice(&body(&request).unwrap()).unwrap();
        assert!(body.get("system").is_none());
        assert!(body.get("temperature").is_none());
        assert_eq!(body["max_tokens"], 300);
    }

    #[test]
    fn default_caps_per_model_family() {
        assert_eq!(default_max_tokens("claude-3-haiku-20240307"), 4096);
        assert_eq!(default_max_tokens("claude-3-opus-latest"), 4096);
        assert_eq!(default_max_tokens("claude-3-5-sonnet-20241022"), 8192);
        assert_eq!(default_max_tokens("claude-3-7-sonnet-latest"), 16384);
        assert_eq!(default_max_tokens("claude-opus-4-1"), 16384);
    }
}
