//! OpenAI Responses events, as `api.openai.com/v1/responses` streams them:
//! `event: <type>` then `data: {"type": "<type>", …}`.
//!
//! A well-behaved answer is [`created`], [`text_delta`]s, [`completed`]; [`answer`]
//! builds one.

use crate::Reply;

/// `event: <type>\ndata: <json>\n\n`, the type also set in the JSON.
pub fn event(kind: &str, mut value: serde_json::Value) -> String {
    if let Some(object) = value.as_object_mut() {
        object.insert("type".into(), kind.into());
    }
    format!("event: {kind}\ndata: {value}\n\n")
}

fn response(status: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut response = serde_json::json!({
        "id": "resp_mock", "object": "response", "status": status, "model": "mock-model",
        "output": [], "usage": null
    });
    if let (Some(r), Some(extra)) = (response.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            r.insert(k.clone(), v.clone());
        }
    }
    response
}

pub fn created() -> String {
    event(
        "response.created",
        serde_json::json!({ "response": response("in_progress", serde_json::json!({})) }),
    )
}

pub fn in_progress() -> String {
    event(
        "response.in_progress",
        serde_json::json!({ "response": response("in_progress", serde_json::json!({})) }),
    )
}

/// `response.output_item.added` for a message: bookkeeping a client skips.
pub fn output_item_added() -> String {
    event(
        "response.output_item.added",
        serde_json::json!({ "output_index": 1, "item": {
            "id": "msg_mock", "type": "message", "status": "in_progress", "role": "assistant", "content": []
        }}),
    )
}

pub fn text_delta(text: &str) -> String {
    event(
        "response.output_text.delta",
        serde_json::json!({
            "item_id": "msg_mock", "output_index": 1, "content_index": 0, "delta": text
        }),
    )
}

pub fn refusal_delta(text: &str) -> String {
    event(
        "response.refusal.delta",
        serde_json::json!({
            "item_id": "msg_mock", "output_index": 1, "content_index": 0, "delta": text
        }),
    )
}

/// A piece of reasoning summary part `summary_index`.
pub fn summary_delta(summary_index: u32, text: &str) -> String {
    event(
        "response.reasoning_summary_text.delta",
        serde_json::json!({
            "item_id": "rs_mock", "output_index": 0, "summary_index": summary_index, "delta": text
        }),
    )
}

/// `response.output_text.done`, carrying the whole text again: a client must not show it twice.
pub fn text_done(text: &str) -> String {
    event(
        "response.output_text.done",
        serde_json::json!({
            "item_id": "msg_mock", "output_index": 1, "content_index": 0, "text": text
        }),
    )
}

fn usage(input: u64, output: u64) -> serde_json::Value {
    serde_json::json!({ "usage": {
        "input_tokens": input, "output_tokens": output, "total_tokens": input + output
    }})
}

pub fn completed(input_tokens: u64, output_tokens: u64) -> String {
    event(
        "response.completed",
        serde_json::json!({ "response": response("completed", usage(input_tokens, output_tokens)) }),
    )
}

/// `response.incomplete` with a reason (`max_output_tokens`, `content_filter`).
pub fn incomplete(reason: &str, input_tokens: u64, output_tokens: u64) -> String {
    let mut extra = usage(input_tokens, output_tokens);
    if let Some(o) = extra.as_object_mut() {
        o.insert(
            "incomplete_details".into(),
            serde_json::json!({ "reason": reason }),
        );
    }
    event(
        "response.incomplete",
        serde_json::json!({ "response": response("incomplete", extra) }),
    )
}

pub fn failed(code: &str, message: &str) -> String {
    event(
        "response.failed",
        serde_json::json!({ "response": response("failed", serde_json::json!({
            "error": { "code": code, "message": message }
        })) }),
    )
}

/// The top-level `error` event.
pub fn error_event(code: &str, message: &str) -> String {
    event(
        "error",
        serde_json::json!({ "code": code, "message": message, "param": null }),
    )
}

/// A complete answer, one write per token; 5 prompt tokens.
pub fn answer(tokens: &[&str]) -> Reply {
    let mut reply = Reply::sse().write(created() + &output_item_added());
    for t in tokens {
        reply = reply.write(text_delta(t));
    }
    reply
        .write(text_done(&tokens.concat()))
        .write(completed(5, tokens.len() as u64))
}

/// Appends the same event as [`text_delta`] for text that needs no JSON escaping.
pub(crate) fn push_token_delta(out: &mut String, plain: &str) {
    out.push_str("event: response.output_text.delta\ndata: ");
    out.push_str(r#"{"content_index":0,"delta":""#);
    out.push_str(plain);
    out.push_str(r#"","item_id":"msg_mock","output_index":1,"type":"response.output_text.delta"}"#);
    out.push_str("\n\n");
}
