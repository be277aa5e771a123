//! Reading what an OpenAI-compatible server sends: one `data:` payload at a time.
//!
//! Servers differ in small ways and we accept all of them:
//! - `[DONE]` ends the stream; it is compared as text *before* any JSON parse.
//! - `choices` may be empty (Azure's first content-filter chunk; the final usage chunk).
//! - `delta.content` may be missing or `null` (role-only first delta, tool calls).
//! - thinking arrives as `reasoning_content` (DeepSeek, vLLM) or `reasoning` (OpenRouter,
//!   Ollama); it is reported apart and never mixed into the answer.
//! - `refusal` text is what the model says instead of an answer, so it is shown as answer text.
//! - an `error` object (or a bare string) can arrive in the middle of a stream.
//!
//! Unknown fields are skipped without allocating: content is borrowed from the event data
//! unless it contains escapes.

use super::error::{ChatError, ErrorKind};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Token counts, as the server reports them at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    #[ts(type = "number")]
    pub prompt_tokens: u64,
    #[ts(type = "number")]
    pub completion_tokens: u64,
}

/// Why an answer ended. `length` and `content_filter` are complete answers that the user
/// should be told about; `cancelled` is the user's own stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    Stop,
    Length,
    ContentFilter,
    ToolCalls,
    Cancelled,
}

impl FinishReason {
    fn from_wire(reason: &str) -> FinishReason {
        match reason {
            "length" | "max_tokens" => FinishReason::Length,
            "content_filter" => FinishReason::ContentFilter,
            "tool_calls" | "function_call" => FinishReason::ToolCalls,
            // "stop", "eos", "end_turn" and whatever else a server invents for a normal end.
            _ => FinishReason::Stop,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ContentFilter => "content_filter",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::Cancelled => "cancelled",
        }
    }
}

/// What one payload carried, in the order a reader should see it.
#[derive(Debug, Default, PartialEq)]
pub struct ChunkContent<'a> {
    pub reasoning: Option<Cow<'a, str>>,
    pub text: Option<Cow<'a, str>>,
    pub usage: Option<Usage>,
    pub finish_reason: Option<FinishReason>,
}

#[derive(Debug, PartialEq)]
pub enum Payload<'a> {
    Done,
    Chunk(ChunkContent<'a>),
}

#[derive(Deserialize)]
struct ChunkWire<'a> {
    #[serde(borrow, default)]
    choices: Option<Vec<ChoiceWire<'a>>>,
    #[serde(default)]
    usage: Option<UsageWire>,
    #[serde(borrow, default)]
    error: Option<ErrorWire<'a>>,
}

#[derive(Deserialize)]
struct ChoiceWire<'a> {
    /// Streaming chunks carry `delta`; a whole (non-streamed) completion carries `message`.
    #[serde(borrow, default, alias = "message")]
    delta: Option<DeltaWire<'a>>,
    #[serde(borrow, default)]
    finish_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct DeltaWire<'a> {
    #[serde(borrow, default, deserialize_with = "borrowed_str")]
    content: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed_str")]
    reasoning_content: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed_str")]
    reasoning: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed_str")]
    refusal: Option<Cow<'a, str>>,
}

/// `Option<Cow<str>>` fields allocate even under `#[serde(borrow)]`; going through a
/// newtype keeps unescaped strings borrowed from the payload.
fn borrowed_str<'de: 'a, 'a, D>(d: D) -> Result<Option<Cow<'a, str>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);
    Option::<Borrowed<'a>>::deserialize(d).map(|o| o.map(|b| b.0))
}

#[derive(Deserialize)]
struct UsageWire {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
}

/// `{"error": {"message": …, "type": …, "code": …}}` or `{"error": "text"}` (Ollama).
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum ErrorWire<'a> {
    Object {
        #[serde(borrow, default)]
        message: Option<Cow<'a, str>>,
        #[serde(borrow, default, rename = "type")]
        kind: Option<Cow<'a, str>>,
        #[serde(default)]
        code: Option<serde_json::Value>,
    },
    Text(#[serde(borrow)] Cow<'a, str>),
}

impl ErrorWire<'_> {
    pub(crate) fn message(&self) -> Option<&str> {
        match self {
            ErrorWire::Object { message, .. } => message.as_deref(),
            ErrorWire::Text(text) => Some(text),
        }
    }

    /// The machine-readable code: `code` when it is a string, else `type`.
    pub(crate) fn code(&self) -> Option<&str> {
        match self {
            ErrorWire::Object { code, kind, .. } => {
                code.as_ref().and_then(|c| c.as_str()).or(kind.as_deref())
            }
            ErrorWire::Text(_) => None,
        }
    }
}

/// The `error` member of a JSON error body, if the body is one.
#[derive(Deserialize)]
pub(crate) struct ErrorBody<'a> {
    #[serde(borrow)]
    pub error: Option<ErrorWire<'a>>,
    /// FastAPI-style servers answer `{"detail": "…"}`; others `{"message": "…"}`.
    #[serde(borrow, default)]
    pub detail: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub message: Option<Cow<'a, str>>,
}

/// How far into a bad payload an error message quotes it.
const EXCERPT_CHARS: usize = 120;

pub(crate) fn excerpt(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// Parses one `data:` payload.
pub fn parse_payload(data: &str) -> Result<Payload<'_>, ChatError> {
    let data = data.trim_matches(|c: char| c.is_ascii_whitespace());
    if data == "[DONE]" {
        return Ok(Payload::Done);
    }
    let chunk: ChunkWire<'_> = serde_json::from_str(data).map_err(|e| {
        ChatError::new(
            ErrorKind::Protocol,
            format!(
                "The server sent an event that is not a valid chat chunk ({e}): {}",
                excerpt(data)
            ),
        )
    })?;
    if let Some(error) = chunk.error {
        return Err(stream_error(&error));
    }
    let mut content = ChunkContent {
        usage: chunk.usage.map(|u| Usage {
            prompt_tokens: u.prompt_tokens.unwrap_or(0),
            completion_tokens: u.completion_tokens.unwrap_or(0),
        }),
        ..ChunkContent::default()
    };
    // Only the first choice is shown: we never ask for `n > 1`.
    if let Some(choice) = chunk.choices.and_then(|c| c.into_iter().next()) {
        if let Some(delta) = choice.delta {
            content.reasoning = delta
                .reasoning_content
                .or(delta.reasoning)
                .filter(|s| !s.is_empty());
            content.text = delta.content.or(delta.refusal).filter(|s| !s.is_empty());
        }
        content.finish_reason = choice.finish_reason.as_deref().map(FinishReason::from_wire);
    }
    Ok(Payload::Chunk(content))
}

/// An error object that arrived inside a 200 stream.
fn stream_error(error: &ErrorWire<'_>) -> ChatError {
    let message = error
        .message()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or("no details given");
    let kind = kind_for_code(error.code(), message).unwrap_or(ErrorKind::Server);
    ChatError::new(
        kind,
        format!("The server reported an error mid-answer: {message}"),
    )
}

/// The kind an OpenAI-style error code or message points to, when it is specific.
pub(crate) fn kind_for_code(code: Option<&str>, message: &str) -> Option<ErrorKind> {
    match code {
        Some("insufficient_quota") => return Some(ErrorKind::Quota),
        Some("context_length_exceeded" | "string_above_max_length") => {
            return Some(ErrorKind::ContextTooLong)
        }
        Some("rate_limit_exceeded" | "rate_limit_error") => return Some(ErrorKind::RateLimited),
        Some("invalid_api_key" | "authentication_error" | "permission_error") => {
            return Some(ErrorKind::Auth)
        }
        _ => {}
    }
    let lower = message.to_ascii_lowercase();
    if lower.contains("maximum context length")
        || lower.contains("context length")
        || lower.contains("context window")
        || lower.contains("too many tokens")
    {
        return Some(ErrorKind::ContextTooLong);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(data: &str) -> ChunkContent<'_> {
        match parse_payload(data) {
            Ok(Payload::Chunk(c)) => c,
            other => panic!("expected a chunk, got {other:?}"),
        }
    }

    #[test]
    fn done_is_text_not_json() {
        assert_eq!(parse_payload("[DONE]"), Ok(Payload::Done));
        assert_eq!(parse_payload(" [DONE]\n"), Ok(Payload::Done));
    }

    #[test]
    fn content_is_borrowed_when_unescaped() {
        let c =
            chunk(r#"{"choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}]}"#);
        assert!(matches!(c.text, Some(Cow::Borrowed("Hello"))));
    }

    #[test]
    fn escapes_and_unicode_are_decoded() {
        let c = chunk(r#"{"choices":[{"delta":{"content":"a\nb \u00e9 \"q\""}}]}"#);
        assert_eq!(c.text.as_deref(), Some("a\nb é \"q\""));
    }

    #[test]
    fn reasoning_is_kept_apart_from_the_answer() {
        let c = chunk(r#"{"choices":[{"delta":{"reasoning_content":"hmm","content":null}}]}"#);
        assert_eq!(c.reasoning.as_deref(), Some("hmm"));
        assert_eq!(c.text, None);
        let c = chunk(r#"{"choices":[{"delta":{"reasoning":"think"}}]}"#);
        assert_eq!(c.reasoning.as_deref(), Some("think"));
    }

    #[test]
    fn usage_chunk_with_empty_choices() {
        let c = chunk(
            r#"{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}}"#,
        );
        assert_eq!(
            c.usage,
            Some(Usage {
                prompt_tokens: 9,
                completion_tokens: 12
            })
        );
    }

    #[test]
    fn finish_reasons_map_to_stable_values() {
        let c = chunk(r#"{"choices":[{"delta":{},"finish_reason":"length"}]}"#);
        assert_eq!(c.finish_reason, Some(FinishReason::Length));
        let c = chunk(r#"{"choices":[{"delta":{},"finish_reason":"eos"}]}"#);
        assert_eq!(c.finish_reason, Some(FinishReason::Stop));
    }

    #[test]
    fn error_objects_and_strings_fail_with_the_servers_message() {
        let e = parse_payload(r#"{"error":{"message":"overloaded","type":"server_error"}}"#)
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Server);
        assert!(e.message.contains("overloaded"));
        let e = parse_payload(r#"{"error":"model crashed"}"#).unwrap_err();
        assert!(e.message.contains("model crashed"));
    }

    #[test]
    fn malformed_payload_names_what_was_wrong() {
        let e = parse_payload(r#"{"choices":[{"delta":{"content":"x"}"#).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Protocol);
        assert!(e.message.contains("EOF while parsing"), "{}", e.message);
        assert!(e.message.contains(r#"{"choices""#), "{}", e.message);
    }
}
