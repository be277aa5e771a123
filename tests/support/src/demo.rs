//! The demo assistant: what the mock server answers when nothing was scripted.
//!
//! Tags in the last user message pick the behaviour, so an end-to-end test (or a person
//! trying the app) can provoke every path from the composer:
//!
//! | tag | answer |
//! |---|---|
//! | (none) | a short markdown answer with a list and a code block, token by token |
//! | `[long N]` | N generated tokens (see [`crate::token`]) |
//! | `[slow]` | the default answer at 150 ms a token |
//! | `[reasoning]` | thinking tokens (`reasoning_content`), then the answer |
//! | `[401]`, `[429]`, `[500]`, `[quota]` | that HTTP error, OpenAI-style |
//! | `[midstream-error]` | a few tokens, then an `error` object in the stream |
//! | `[interrupt]` | a few tokens, then the connection closes without a finish |
//! | `[stall]` | a few tokens, then nothing, with the connection open |
//! | `[xss]` | markdown carrying script tags, event handlers, a `javascript:` link, a remote image |
//! | `[length]` | a short answer ending with `finish_reason: length` |
//!
//! `GET /v1/models` lists two models. With `require_key`, requests without
//! `Authorization: Bearer <key>` get a 401.

use crate::{
    chunk, finish_chunk, reasoning_chunk, role_chunk, usage_chunk, RecordedRequest, Reply, DONE,
};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Pause between tokens of the default answer.
    pub token_delay: Duration,
    /// When set, requests must carry this bearer key.
    pub require_key: Option<String>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            token_delay: Duration::from_millis(30),
            require_key: None,
        }
    }
}

pub const MODELS: [&str; 2] = ["mock-small", "mock-large"];

/// The default answer, split into tokens the way a model would stream it.
pub fn default_answer(question: &str) -> Vec<String> {
    let topic: String = question.chars().take(60).collect();
    let text = format!(
        "Here is a short answer about “{}”.\n\n\
         Three things to know:\n\n\
         1. **Streaming** shows each token as it arrives.\n\
         2. *Markdown* is rendered once a block is complete.\n\
         3. Code keeps its formatting:\n\n\
         ```rust\nfn main() {{\n    println!(\"Hello, Palaver!\");\n}}\n```\n\n\
         | Feature | Status |\n|---|---|\n| Keyring | ✔ |\n| Offline history | ✔ |\n\n\
         That is all — ask a follow-up any time.",
        topic.trim()
    );
    split_tokens(&text)
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

fn last_user_message(request: &RecordedRequest) -> String {
    let body = request.json();
    body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_owned()
}

fn stream_tokens(tokens: &[String], delay: Duration) -> Reply {
    let mut reply = Reply::sse().write(role_chunk());
    for t in tokens {
        reply = reply.write(chunk(t)).pause(delay);
    }
    reply
}

fn finish(reply: Reply, reason: &str, completion_tokens: usize) -> Reply {
    reply
        .write(finish_chunk(reason))
        .write(usage_chunk(12, completion_tokens as u64))
        .write(DONE)
}

fn long_count(prompt: &str) -> Option<usize> {
    let start = prompt.find("[long ")? + "[long ".len();
    let end = prompt[start..].find(']')? + start;
    prompt[start..end].trim().parse().ok()
}

pub fn reply(request: &RecordedRequest, options: &DemoOptions) -> Reply {
    if let Some(key) = &options.require_key {
        let expected = format!("Bearer {key}");
        if request.header("authorization") != Some(expected.as_str()) {
            return Reply::error(
                401,
                "Incorrect API key provided. You can find your API key in your account settings.",
                "invalid_request_error",
                Some("invalid_api_key"),
            );
        }
    }
    if request.method == "GET" && request.path.ends_with("/models") {
        let data: Vec<_> = MODELS
            .iter()
            .map(|id| serde_json::json!({ "id": id, "object": "model", "owned_by": "mock" }))
            .collect();
        let body = serde_json::json!({ "object": "list", "data": data });
        return Reply::status(200, "application/json", &body.to_string());
    }
    if !(request.method == "POST" && request.path.ends_with("/chat/completions")) {
        return Reply::error(
            404,
            &format!("Unknown path {}", request.path),
            "invalid_request_error",
            None,
        );
    }

    let prompt = last_user_message(request);
    let delay = options.token_delay;
    let answer = default_answer(&prompt);
    let first_few = &answer[..answer.len().min(8)];

    if prompt.contains("[401]") {
        return Reply::error(
            401,
            "Incorrect API key provided: sk-mock************************wxyz.",
            "invalid_request_error",
            Some("invalid_api_key"),
        );
    }
    if prompt.contains("[429]") {
        return Reply::error(
            429,
            "Rate limit reached for requests. Please try again in 7s.",
            "requests",
            Some("rate_limit_exceeded"),
        )
        .header("retry-after", "7");
    }
    if prompt.contains("[quota]") {
        return Reply::error(
            429,
            "You exceeded your current quota, please check your plan and billing details.",
            "insufficient_quota",
            Some("insufficient_quota"),
        );
    }
    if prompt.contains("[500]") {
        return Reply::error(
            500,
            "The server had an error while processing your request.",
            "server_error",
            None,
        );
    }
    if prompt.contains("[midstream-error]") {
        return stream_tokens(first_few, delay).write(crate::event(&serde_json::json!({
            "error": { "message": "The model crashed while generating (mock).", "type": "server_error" }
        })));
    }
    if prompt.contains("[interrupt]") {
        return stream_tokens(first_few, delay).close_delimited();
    }
    if prompt.contains("[stall]") {
        return stream_tokens(first_few, delay).stall();
    }
    if prompt.contains("[reasoning]") {
        let mut reply = Reply::sse().write(role_chunk());
        for t in split_tokens("Let me think. The user wants a demo of thinking tokens, so I reason first and answer after.") {
            reply = reply.write(reasoning_chunk("reasoning_content", &t)).pause(delay);
        }
        for t in &answer {
            reply = reply.write(chunk(t)).pause(delay);
        }
        return finish(reply, "stop", answer.len());
    }
    if prompt.contains("[xss]") {
        let text = "Harmless text.\n\n<script>window.__pwned = true</script>\n\n<img src=x onerror=\"window.__pwned = true\">\n\n[click me](javascript:window.__pwned=true)\n\n![tracker](https://tracker.example/pixel.png)\n\nEnd of reply.";
        return finish(stream_tokens(&split_tokens(text), delay), "stop", 30);
    }
    if prompt.contains("[length]") {
        return finish(stream_tokens(first_few, delay), "length", first_few.len());
    }
    if let Some(n) = long_count(&prompt) {
        return Reply::sse()
            .write(role_chunk())
            .tokens(n, 16 * 1024, Duration::ZERO)
            .write(finish_chunk("stop"))
            .write(usage_chunk(12, n as u64))
            .write(DONE);
    }
    let delay = if prompt.contains("[slow]") {
        Duration::from_millis(150)
    } else {
        delay
    };
    finish(stream_tokens(&answer, delay), "stop", answer.len())
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

    #[test]
    fn long_tag_is_parsed() {
        assert_eq!(long_count("please [long 2500] thanks"), Some(2500));
        assert_eq!(long_count("no tag"), None);
    }
}
