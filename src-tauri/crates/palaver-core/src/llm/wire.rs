//! The common shape of what a stream brings, whatever protocol carried it.
//!
//! Each protocol's decoder (see [`super::protocol`]) turns one server-sent event into a
//! [`ChunkContent`]: answer text, thinking, usage, why it finished. Error bodies of every
//! protocol share the `{"error": {"message", "type", "code"}}` core that [`ErrorBody`]
//! reads, and [`kind_for_code`] maps their codes to an [`ErrorKind`].

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
    pub(crate) fn from_wire(reason: &str) -> FinishReason {
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

/// `Option<Cow<str>>` fields allocate even under `#[serde(borrow)]`; going through a
/// newtype keeps unescaped strings borrowed from the payload.
pub(crate) fn borrowed_str<'de: 'a, 'a, D>(d: D) -> Result<Option<Cow<'a, str>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);
    Option::<Borrowed<'a>>::deserialize(d).map(|o| o.map(|b| b.0))
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

/// An error that a server reported inside a 200 stream, in any protocol: the kind its code
/// or message points to ([`ErrorKind::Server`] when neither says more), and its message.
pub(crate) fn mid_stream_error(code: Option<&str>, message: Option<&str>) -> ChatError {
    let message = message
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .unwrap_or("no details given");
    let kind = kind_for_code(code, message).unwrap_or(ErrorKind::Server);
    ChatError::new(
        kind,
        format!("The server reported an error mid-answer: {message}"),
    )
}

/// The kind an error code (OpenAI's `code` or `type`, Anthropic's `error.type`) or message
/// points to, when it is specific.
pub(crate) fn kind_for_code(code: Option<&str>, message: &str) -> Option<ErrorKind> {
    match code {
        Some("insufficient_quota") => return Some(ErrorKind::Quota),
        Some("context_length_exceeded" | "string_above_max_length") => {
            return Some(ErrorKind::ContextTooLong)
        }
        Some("rate_limit_exceeded" | "rate_limit_error") => return Some(ErrorKind::RateLimited),
        // Anthropic's (also sent with HTTP 529) and OpenAI Responses' `server_error`.
        Some("overloaded_error" | "api_error" | "server_error") => return Some(ErrorKind::Server),
        Some("request_too_large") => return Some(ErrorKind::ContextTooLong),
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
        || lower.contains("prompt is too long")
    {
        return Some(ErrorKind::ContextTooLong);
    }
    match code {
        Some("invalid_request_error" | "not_found_error") => Some(ErrorKind::BadRequest),
        _ => None,
    }
}
