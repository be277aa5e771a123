//! The demo assistant: what the mock server answers when nothing was scripted.
//!
//! It answers in the protocol the path asks for: `POST …/chat/completions` (also Azure's
//! `…/openai/deployments/NAME/chat/completions?api-version=…`) in Chat Completions,
//! `POST …/messages` in Anthropic Messages, `POST …/responses` in OpenAI Responses; errors
//! come in that protocol's JSON shape. Every answer starts with the model it was asked for
//! (“mock-small here.”), so a test can see which model answered.
//!
//! Tags in the last user message pick the behaviour, so an end-to-end test (or a person
//! trying the app) can provoke every path from the composer:
//!
//! | tag | answer |
//! |---|---|
//! | (none) | a short markdown answer with a list and a code block, token by token |
//! | `[long N]` | N generated tokens (see [`crate::token`]) |
//! | `[rate R N SHAPE]` | N tokens at R a second, shaped as `markdown` (the default) or one long `paragraph`, every 50th a marker word whose send time `GET /_mock/sent` tells (see [`crate::paced`]) |
//! | `[burst N SHAPE]` | the same N tokens all at once, in large writes |
//! | `[slow]` | the default answer at 150 ms a token |
//! | `[reasoning]` | thinking tokens (`reasoning_content`, `thinking_delta`, reasoning summary), then the answer |
//! | `[401]`, `[429]`, `[500]`, `[quota]` | that HTTP error, in the protocol's shape |
//! | `[529]` | 529, Anthropic's “overloaded” (an OpenAI-style 529 elsewhere) |
//! | `[midstream-error]` | a few tokens, then the protocol's error event |
//! | `[interrupt]` | a few tokens, then the connection closes without a finish |
//! | `[stall]` | a few tokens, then nothing, with the connection open |
//! | `[xss]` | markdown carrying script tags, event handlers, a `javascript:` link, a remote image |
//! | `[length]` | a short answer ending with `finish_reason: length` |
//! | `[echo]` | the rest of the message after the tag, verbatim, token by token (exact markdown for a test); other tags in that rest are echoed, not obeyed |
//!
//! `GET …/models` (also Azure's `…/openai/models`) lists [`DemoOptions::models`], in a shape
//! every client reads (`data[].id`, Anthropic's `display_name` and `has_more`). With
//! `require_key`, requests that carry the key in none of `Authorization: Bearer`,
//! `x-api-key` or `api-key` get a 401.

use crate::{
    anthropic, chunk, finish_chunk, reasoning_chunk, responses, role_chunk, usage_chunk,
    RecordedRequest, Reply, Wire, DONE,
};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Pause between tokens of the default answer.
    pub token_delay: Duration,
    /// When set, requests must carry this key.
    pub require_key: Option<String>,
    /// The ids `GET …/models` lists.
    pub models: Vec<String>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            token_delay: Duration::from_millis(30),
            require_key: None,
            models: MODELS.iter().map(|m| (*m).to_owned()).collect(),
        }
    }
}

pub const MODELS: [&str; 2] = ["mock-small", "mock-large"];

/// The default answer from `model`, split into tokens the way a model would stream it.
pub fn default_answer(model: &str, question: &str) -> Vec<String> {
    let topic: String = question.chars().take(60).collect();
    let text = format!(
        "{} here. Here is a short answer about “{}”.\n\n\
         Three things to know:\n\n\
         1. **Streaming** shows each token as it arrives.\n\
         2. *Markdown* is rendered once a block is complete.\n\
         3. Code keeps its formatting:\n\n\
         ```rust\nfn main() {{\n    println!(\"Hello, Palaver!\");\n}}\n```\n\n\
         | Feature | Status |\n|---|---|\n| Keyring | ✔ |\n| Offline history | ✔ |\n\n\
         That is all — ask a follow-up any time.",
        model_name(model),
        topic.trim()
    );
    split_tokens(&text)
}

fn model_name(model: &str) -> &str {
    if model.trim().is_empty() {
        "mock"
    } else {
        model.trim()
    }
}

/// Splits text into word-sized tokens that keep their leading whitespace.
pub fn split_tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if (c == ' ' || c == '\n') && !current.trim().is_empty() {
            tokens.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

/// The last user message of a Chat Completions or Messages (`messages`) or Responses
/// (`input`) body.
fn last_user_message(request: &RecordedRequest) -> String {
    let body = request.json();
    let messages = body["messages"]
        .as_array()
        .or_else(|| body["input"].as_array());
    messages
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_owned()
}

/// The model a chat request names: the body's `model`, else Azure's deployment.
fn requested_model(request: &RecordedRequest, path: &str) -> String {
    if let Some(model) = request.json()["model"].as_str() {
        return model.to_owned();
    }
    path.split("/deployments/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("")
        .to_owned()
}

/// How each protocol frames the pieces of an answer.
impl Wire {
    fn start(self) -> String {
        match self {
            Wire::ChatCompletions => role_chunk(),
            Wire::Anthropic => anthropic::head(12),
            Wire::Responses => responses::created() + &responses::output_item_added(),
        }
    }

    fn text(self, text: &str) -> String {
        match self {
            Wire::ChatCompletions => chunk(text),
            Wire::Anthropic => anthropic::text_delta(text),
            Wire::Responses => responses::text_delta(text),
        }
    }

    fn thinking(self, text: &str) -> String {
        match self {
            Wire::ChatCompletions => reasoning_chunk("reasoning_content", text),
            Wire::Anthropic => anthropic::thinking_delta(text),
            Wire::Responses => responses::summary_delta(0, text),
        }
    }

    /// The end of an answer that stopped normally (`length == false`) or at its cap.
    fn end(self, length: bool, completion_tokens: u64) -> String {
        match self {
            Wire::ChatCompletions => {
                finish_chunk(if length { "length" } else { "stop" })
                    + &usage_chunk(12, completion_tokens)
                    + DONE
            }
            Wire::Anthropic => anthropic::tail(
                if length { "max_tokens" } else { "end_turn" },
                completion_tokens,
            ),
            Wire::Responses if length => {
                responses::incomplete("max_output_tokens", 12, completion_tokens)
            }
            Wire::Responses => responses::completed(12, completion_tokens),
        }
    }

    fn midstream_error(self) -> String {
        let message = "The model crashed while generating (mock).";
        match self {
            Wire::ChatCompletions => crate::event(&serde_json::json!({
                "error": { "message": message, "type": "server_error" }
            })),
            Wire::Anthropic => anthropic::error_event("overloaded_error", "Overloaded (mock)."),
            Wire::Responses => responses::failed("server_error", message),
        }
    }

    /// An HTTP error in the protocol's JSON shape. `kind` is OpenAI's error type; Anthropic
    /// gets its own name for it.
    fn error(self, status: u16, message: &str, kind: &str, code: Option<&str>) -> Reply {
        match self {
            Wire::Anthropic => {
                let kind = match status {
                    401 => "authentication_error",
                    403 => "permission_error",
                    404 => "not_found_error",
                    429 => "rate_limit_error",
                    529 => "overloaded_error",
                    500..=599 => "api_error",
                    _ => "invalid_request_error",
                };
                anthropic::error_reply(status, kind, message)
            }
            Wire::ChatCompletions | Wire::Responses => Reply::error(status, message, kind, code),
        }
    }
}

fn stream_tokens(wire: Wire, tokens: &[String], delay: Duration) -> Reply {
    let mut reply = Reply::sse().write(wire.start());
    for t in tokens {
        reply = reply.write(wire.text(t)).pause(delay);
    }
    reply
}

/// What follows `[echo]` in the prompt, if the tag is there.
fn echo_text(prompt: &str) -> Option<&str> {
    const TAG: &str = "[echo]";
    prompt.find(TAG).map(|at| &prompt[at + TAG.len()..])
}

fn long_count(prompt: &str) -> Option<usize> {
    let start = prompt.find("[long ")? + "[long ".len();
    let end = prompt[start..].find(']')? + start;
    prompt[start..end].trim().parse().ok()
}

/// Whether the request carries `key` the way any of the protocols sends it.
fn carries_key(request: &RecordedRequest, key: &str) -> bool {
    request.header("authorization") == Some(format!("Bearer {key}").as_str())
        || request.header("x-api-key") == Some(key)
        || request.header("api-key") == Some(key)
}

fn model_list(options: &DemoOptions) -> Reply {
    let data: Vec<_> = options
        .models
        .iter()
        .map(|id| {
            serde_json::json!({
                "id": id, "object": "model", "type": "model", "owned_by": "mock",
                "display_name": id, "created_at": "2025-01-01T00:00:00Z"
            })
        })
        .collect();
    let body = serde_json::json!({
        "object": "list", "data": data, "has_more": false,
        "first_id": options.models.first(), "last_id": options.models.last()
    });
    Reply::status(200, "application/json", &body.to_string())
}

pub fn reply(request: &RecordedRequest, options: &DemoOptions) -> Reply {
    let path = request.path.split('?').next().unwrap_or("");
    let wire = if path.ends_with("/messages") {
        Wire::Anthropic
    } else if path.ends_with("/responses") {
        Wire::Responses
    } else {
        Wire::ChatCompletions
    };
    if let Some(key) = &options.require_key {
        if !carries_key(request, key) {
            return wire.error(
                401,
                "Incorrect API key provided. You can find your API key in your account settings.",
                "invalid_request_error",
                Some("invalid_api_key"),
            );
        }
    }
    if request.method == "GET" && path.ends_with("/models") {
        return model_list(options);
    }
    let is_chat = path.ends_with("/chat/completions")
        || path.ends_with("/messages")
        || path.ends_with("/responses");
    if !(request.method == "POST" && is_chat) {
        return wire.error(
            404,
            &format!("Unknown path {}", request.path),
            "invalid_request_error",
            None,
        );
    }

    let prompt = last_user_message(request);
    let delay = options.token_delay;
    let answer = default_answer(&requested_model(request, path), &prompt);
    let first_few = &answer[..answer.len().min(8)];

    if let Some(text) = echo_text(&prompt) {
        let tokens = split_tokens(text);
        return stream_tokens(wire, &tokens, delay).write(wire.end(false, tokens.len() as u64));
    }
    if prompt.contains("[401]") {
        return wire.error(
            401,
            "Incorrect API key provided: sk-mock************************wxyz.",
            "invalid_request_error",
            Some("invalid_api_key"),
        );
    }
    if prompt.contains("[429]") {
        return wire
            .error(
                429,
                "Rate limit reached for requests. Please try again in 7s.",
                "requests",
                Some("rate_limit_exceeded"),
            )
            .header("retry-after", "7");
    }
    if prompt.contains("[quota]") {
        return wire.error(
            429,
            "You exceeded your current quota, please check your plan and billing details.",
            "insufficient_quota",
            Some("insufficient_quota"),
        );
    }
    if prompt.contains("[500]") {
        return wire.error(
            500,
            "The server had an error while processing your request.",
            "server_error",
            None,
        );
    }
    if prompt.contains("[529]") {
        return wire.error(529, "Overloaded", "server_error", None);
    }
    if prompt.contains("[midstream-error]") {
        return stream_tokens(wire, first_few, delay).write(wire.midstream_error());
    }
    if prompt.contains("[interrupt]") {
        return stream_tokens(wire, first_few, delay).close_delimited();
    }
    if prompt.contains("[stall]") {
        return stream_tokens(wire, first_few, delay).stall();
    }
    if prompt.contains("[reasoning]") {
        let mut reply = Reply::sse().write(wire.start());
        for t in split_tokens("Let me think. The user wants a demo of thinking tokens, so I reason first and answer after.") {
            reply = reply.write(wire.thinking(&t)).pause(delay);
        }
        for t in &answer {
            reply = reply.write(wire.text(t)).pause(delay);
        }
        return reply.write(wire.end(false, answer.len() as u64));
    }
    if prompt.contains("[xss]") {
        let text = "Harmless text.\n\n<script>window.__pwned = true</script>\n\n<img src=x onerror=\"window.__pwned = true\">\n\n[click me](javascript:window.__pwned=true)\n\n![tracker](https://tracker.example/pixel.png)\n\nEnd of reply.";
        return stream_tokens(wire, &split_tokens(text), delay).write(wire.end(false, 30));
    }
    if prompt.contains("[length]") {
        return stream_tokens(wire, first_few, delay).write(wire.end(true, first_few.len() as u64));
    }
    if let Some(paced) = crate::paced::tag(&prompt) {
        return Reply::sse()
            .write(wire.start())
            .paced(wire, paced)
            .write(wire.end(false, paced.count as u64));
    }
    if let Some(n) = long_count(&prompt) {
        return Reply::sse()
            .write(wire.start())
            .tokens_as(wire, n, 16 * 1024, Duration::ZERO)
            .write(wire.end(false, n as u64));
    }
    let delay = if prompt.contains("[slow]") {
        Duration::from_millis(150)
    } else {
        delay
    };
    stream_tokens(wire, &answer, delay).write(wire.end(false, answer.len() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_rejoin_to_the_text() {
        let text = "Hello there,\n\nworld  of tokens.";
        assert_eq!(split_tokens(text).concat(), text);
        assert!(split_tokens(text).len() > 3);
    }

    fn recorded(method: &str, path: &str, body: serde_json::Value) -> RecordedRequest {
        RecordedRequest {
            method: method.into(),
            path: path.into(),
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
        }
    }

    fn written(reply: &Reply) -> String {
        reply
            .steps
            .iter()
            .filter_map(|s| match s {
                crate::Step::Write(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn each_path_is_answered_in_its_protocol_naming_the_model() {
        let options = DemoOptions::default();
        let user = serde_json::json!([{"role": "user", "content": "Hi"}]);
        let messages = reply(
            &recorded(
                "POST",
                "/v1/messages",
                serde_json::json!({"model": "claude-x", "messages": user}),
            ),
            &options,
        );
        assert!(written(&messages).contains("event: message_stop"));
        assert!(written(&messages).contains(r#""text":"claude-x""#));
        let responses = reply(
            &recorded(
                "POST",
                "/v1/responses",
                serde_json::json!({"model": "o4-mini", "input": user}),
            ),
            &options,
        );
        assert!(written(&responses).contains("event: response.completed"));
        let azure = reply(
            &recorded(
                "POST",
                "/openai/deployments/dep-1/chat/completions?api-version=2024-10-21",
                serde_json::json!({"messages": user}),
            ),
            &options,
        );
        assert!(written(&azure).contains(r#""content":"dep-1""#));
        assert!(written(&azure).ends_with(DONE));
    }

    #[test]
    fn errors_take_the_protocols_shape() {
        let user = serde_json::json!([{"role": "user", "content": "[529]"}]);
        let r = reply(
            &recorded(
                "POST",
                "/v1/messages",
                serde_json::json!({"model": "c", "messages": user}),
            ),
            &DemoOptions::default(),
        );
        assert_eq!(r.status, 529);
        assert!(written(&r).contains(r#""type":"overloaded_error""#));
    }

    #[test]
    fn echo_streams_the_rest_verbatim_in_each_protocol() {
        let text = "Math: $x^2$ and [401]\n\n```mermaid\ngraph TD; A-->B\n```";
        let user = serde_json::json!([{"role": "user", "content": format!("[echo]{text}")}]);
        for (path, body) in [
            (
                "/v1/chat/completions",
                serde_json::json!({"model": "m", "messages": user}),
            ),
            (
                "/v1/messages",
                serde_json::json!({"model": "m", "messages": user}),
            ),
            (
                "/v1/responses",
                serde_json::json!({"model": "m", "input": user}),
            ),
        ] {
            let r = reply(&recorded("POST", path, body), &DemoOptions::default());
            assert_eq!(r.status, 200, "{path}");
            let out = written(&r);
            let tokens = split_tokens(text);
            assert!(tokens.len() > 5);
            for t in &tokens {
                let encoded = serde_json::to_string(t).unwrap();
                assert!(out.contains(&encoded), "{path}: {encoded} in {out}");
            }
            assert!(!out.contains("here. Here is"), "{path}: no default answer");
        }
        assert_eq!(echo_text("say [echo] hi"), Some(" hi"));
        assert_eq!(echo_text("no tag"), None);
    }

    #[test]
    fn long_tag_is_parsed() {
        assert_eq!(long_count("please [long 2500] thanks"), Some(2500));
        assert_eq!(long_count("no tag"), None);
    }
}
