//! Anthropic Messages events, as `api.anthropic.com` streams them: `event: <type>` then
//! `data: {"type": "<type>", …}`.
//!
//! A well-behaved answer is [`message_start`], [`text_block_start`], [`text_delta`]s,
//! [`content_block_stop`], [`message_delta`], [`message_stop`]; [`answer`] builds one.

use crate::Reply;

/// `event: <type>\ndata: <json>\n\n`, the type also set in the JSON.
pub fn event(kind: &str, mut value: serde_json::Value) -> String {
    if let Some(object) = value.as_object_mut() {
        object.insert("type".into(), kind.into());
    }
    format!("event: {kind}\ndata: {value}\n\n")
}

pub fn message_start(input_tokens: u64) -> String {
    event(
        "message_start",
        serde_json::json!({ "message": {
            "id": "msg_mock", "type": "message", "role": "assistant", "model": "mock-claude",
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": { "input_tokens": input_tokens, "output_tokens": 1 }
        }}),
    )
}

pub fn text_block_start(index: u32) -> String {
    event(
        "content_block_start",
        serde_json::json!({ "index": index, "content_block": { "type": "text", "text": "" } }),
    )
}

pub fn thinking_block_start(index: u32) -> String {
    event(
        "content_block_start",
        serde_json::json!({ "index": index, "content_block": { "type": "thinking", "thinking": "" } }),
    )
}

pub fn text_delta(text: &str) -> String {
    event(
        "content_block_delta",
        serde_json::json!({ "index": 0, "delta": { "type": "text_delta", "text": text } }),
    )
}

pub fn thinking_delta(text: &str) -> String {
    event(
        "content_block_delta",
        serde_json::json!({ "index": 0, "delta": { "type": "thinking_delta", "thinking": text } }),
    )
}

/// The signature that closes a thinking block; not text anyone reads.
pub fn signature_delta(signature: &str) -> String {
    event(
        "content_block_delta",
        serde_json::json!({ "index": 0, "delta": { "type": "signature_delta", "signature": signature } }),
    )
}

pub fn content_block_stop(index: u32) -> String {
    event("content_block_stop", serde_json::json!({ "index": index }))
}

/// The stop reason (`end_turn`, `max_tokens`, `refusal`, `tool_use`, …) and the reply's
/// token count.
pub fn message_delta(stop_reason: &str, output_tokens: u64) -> String {
    event(
        "message_delta",
        serde_json::json!({
            "delta": { "stop_reason": stop_reason, "stop_sequence": null },
            "usage": { "output_tokens": output_tokens }
        }),
    )
}

pub fn message_stop() -> String {
    event("message_stop", serde_json::json!({}))
}

pub fn ping() -> String {
    event("ping", serde_json::json!({}))
}

/// An `error` event in the stream, e.g. `error_event("overloaded_error", "Overloaded")`.
pub fn error_event(kind: &str, message: &str) -> String {
    event(
        "error",
        serde_json::json!({ "error": { "type": kind, "message": message } }),
    )
}

/// An HTTP error with Anthropic's JSON body.
pub fn error_reply(status: u16, kind: &str, message: &str) -> Reply {
    let body = serde_json::json!({
        "type": "error",
        "error": { "type": kind, "message": message },
        "request_id": "req_mock"
    });
    Reply::status(status, "application/json", &body.to_string())
}

/// What precedes the first text: the message and its text block.
pub fn head(input_tokens: u64) -> String {
    message_start(input_tokens) + &text_block_start(0)
}

/// What follows the last text: the block's end, the stop reason with usage, the end.
pub fn tail(stop_reason: &str, output_tokens: u64) -> String {
    content_block_stop(0) + &message_delta(stop_reason, output_tokens) + &message_stop()
}

/// A complete answer, one write per token, ending `end_turn`; 5 prompt tokens.
pub fn answer(tokens: &[&str]) -> Reply {
    let mut reply = Reply::sse().write(head(5));
    for t in tokens {
        reply = reply.write(text_delta(t));
    }
    reply.write(tail("end_turn", tokens.len() as u64))
}

/// Appends the same event as [`text_delta`] for text that needs no JSON escaping.
pub(crate) fn push_token_delta(out: &mut String, plain: &str) {
    out.push_str("event: content_block_delta\ndata: ");
    out.push_str(r#"{"delta":{"text":""#);
    out.push_str(plain);
    out.push_str(r#"","type":"text_delta"},"index":0,"type":"content_block_delta"}"#);
    out.push_str("\n\n");
}
