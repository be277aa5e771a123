//! OpenAI Chat Completions, spoken by OpenAI, Azure and nearly every other server: the
//! request body, and reading one `data:` payload at a time.
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

use crate::llm::error::{ChatError, ErrorKind};
use crate::llm::request::{ChatRequest, Message};
use crate::llm::wire::{
    borrowed_str, mid_stream_error, ChunkContent, ErrorWire, FinishReason, Payload, Usage,
};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

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

#[derive(Deserialize)]
struct UsageWire {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
}
/// Parses one `data:` payload.
pub fn parse_payload(data: &str) -> Result<Payload<'_>, ChatError> {
    let data = data.trim_matches(|c: char| c.is_ascii_whitespace());
    if data == "[DONE]" {
        return Ok(Payload::Done);
    }
    let chunk: ChunkWire<'_> = super::parse_event(data, "chat chunk")?;
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
    mid_stream_error(error.code(), error.message())
}

/// The name under which a server takes the reply's token cap. OpenAI (and Azure) replaced
/// `max_tokens` with `max_completion_tokens`, which their reasoning models require; other
/// servers know only `max_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MaxTokensField {
    MaxTokens,
    MaxCompletionTokens,
}

#[derive(Serialize)]
struct WireRequest<'a> {
    model: &'a str,
    messages: &'a [Message],
    stream: bool,
    stream_options: StreamOptions,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

/// The `chat/completions` body with `stream: true`. We ask for `stream_options.include_usage`
/// because OpenAI, vLLM, llama.cpp, Ollama and OpenRouter accept it; a server that rejects
/// it says so in a 400, which is reported as-is rather than silently retried without it.
pub(crate) fn body(
    request: &ChatRequest,
    max_tokens_field: MaxTokensField,
) -> Result<Vec<u8>, serde_json::Error> {
    let (max_tokens, max_completion_tokens) = match max_tokens_field {
        MaxTokensField::MaxTokens => (request.max_tokens, None),
        MaxTokensField::MaxCompletionTokens => (None, request.max_tokens),
    };
    serde_json::to_vec(&WireRequest {
        model: &request.model,
        messages: &request.messages,
        stream: true,
        stream_options: StreamOptions {
            include_usage: true,
        },
        temperature: request.temperature,
        max_tokens,
        max_completion_tokens,
    })
}

/// Reads Chat Completions events. Stateless: every payload stands alone.
pub(crate) fn decode<'a>(event: &str, data: &'a str) -> Result<Payload<'a>, ChatError> {
    if event == "error" {
        return Err(ChatError::new(
            ErrorKind::Server,
            format!("The server reported an error mid-answer: {}", data.trim()),
        ));
    }
    parse_payload(data)
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
