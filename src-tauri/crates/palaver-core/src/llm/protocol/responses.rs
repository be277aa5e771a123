//! OpenAI Responses: `POST {base}/responses`, bearer key.
//!
//! Used for every model of a `responses` profile, and on OpenAI itself for the reasoning
//! models (o1, o3, o4, gpt-5), whose reasoning summaries stream only here. System messages
//! become `instructions`; the rest go to `input` as `{role, content}`. Nothing is stored
//! on the server (`store: false`): the conversation lives in our history.
//!
//! The stream is typed events (the SSE `event:` name repeats the data's `type`, which is
//! what is read): `response.output_text.delta` and `response.refusal.delta` are answer
//! text, `response.reasoning_summary_text.delta` is thinking, `response.completed` and
//! `response.incomplete` end the answer with its usage, `response.failed` and `error` end
//! it with an error. The many bookkeeping events (`response.created`,
//! `…output_item.added`, `….done`) are skipped, as are types not known here.
//!
//! The final event repeats the whole response, so it is as large as the answer: the bound
//! on one event must stay above the bound on a reply.

use super::Decoded;
use crate::llm::error::ChatError;
use crate::llm::kind::is_openai_reasoning;
use crate::llm::request::{ChatRequest, Role};
use crate::llm::wire::{borrowed_str, mid_stream_error, ChunkContent, FinishReason, Usage};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

#[derive(Serialize)]
struct WireRequest<'a> {
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    instructions: Option<String>,
    input: Vec<InputMessage<'a>>,
    stream: bool,
    store: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_output_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning: Option<ReasoningOptions>,
}

#[derive(Serialize)]
struct InputMessage<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(Serialize)]
struct ReasoningOptions {
    summary: &'static str,
}

/// The Responses body for `request`, with `stream: true`. Reasoning models reject
/// `temperature`, so it is sent only to the others; they are asked for a reasoning summary.
pub(crate) fn body(request: &ChatRequest) -> Result<Vec<u8>, serde_json::Error> {
    let reasoning = is_openai_reasoning(&request.model);
    let system: Vec<&str> = request
        .messages
        .iter()
        .filter(|m| m.role == Role::System && !m.content.trim().is_empty())
        .map(|m| m.content.as_str())
        .collect();
    let input = request
        .messages
        .iter()
        .filter_map(|m| {
            let role = match m.role {
                Role::System => return None,
                Role::User => "user",
                Role::Assistant if m.content.trim().is_empty() => return None,
                Role::Assistant => "assistant",
            };
            Some(InputMessage {
                role,
                content: &m.content,
            })
        })
        .collect();
    serde_json::to_vec(&WireRequest {
        model: &request.model,
        instructions: (!system.is_empty()).then(|| system.join("\n\n")),
        input,
        stream: true,
        store: false,
        max_output_tokens: request.max_tokens,
        temperature: request.temperature.filter(|_| !reasoning),
        reasoning: reasoning.then_some(ReasoningOptions { summary: "auto" }),
    })
}

#[derive(Deserialize)]
struct EventWire<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed_str")]
    delta: Option<Cow<'a, str>>,
    #[serde(default)]
    output_index: Option<u64>,
    #[serde(default)]
    summary_index: Option<u64>,
    #[serde(default)]
    response: Option<ResponseWire>,
    /// The top-level `error` event's fields.
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    code: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ResponseWire {
    #[serde(default)]
    usage: Option<UsageWire>,
    #[serde(default)]
    incomplete_details: Option<IncompleteWire>,
    #[serde(default)]
    error: Option<ErrorWire>,
}

#[derive(Deserialize)]
struct UsageWire {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct IncompleteWire {
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
struct ErrorWire {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
}

/// Reads one stream's events; remembers which reasoning summary part was last shown, so
/// that the next part starts a new paragraph.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    summary_part: Option<(Option<u64>, Option<u64>)>,
}

impl Decoder {
    pub(crate) fn decode<'a>(
        &mut self,
        event: &str,
        data: &'a str,
    ) -> Result<Decoded<'a>, ChatError> {
        let wire: EventWire<'a> = super::parse_event(data, "Responses event")?;
        let kind = wire.kind.as_deref().unwrap_or(event);
        let mut content = ChunkContent::default();
        let mut done = false;
        match kind {
            "response.output_text.delta" | "response.refusal.delta" => {
                content.text = wire.delta.filter(|t| !t.is_empty());
            }
            "response.reasoning_summary_text.delta" => {
                let part = (wire.output_index, wire.summary_index);
                let delta = wire.delta.filter(|t| !t.is_empty());
                if let Some(delta) = delta {
                    content.reasoning = match self.summary_part.replace(part) {
                        Some(previous) if previous != part => {
                            Some(Cow::Owned(format!("\n\n{delta}")))
                        }
                        _ => Some(delta),
                    };
                }
            }
            "response.completed" | "response.incomplete" => {
                let response = wire.response;
                content.usage = response
                    .as_ref()
                    .and_then(|r| r.usage.as_ref())
                    .map(|u| Usage {
                        prompt_tokens: u.input_tokens.unwrap_or(0),
                        completion_tokens: u.output_tokens.unwrap_or(0),
                    });
                content.finish_reason = Some(if kind == "response.completed" {
                    FinishReason::Stop
                } else {
                    match response
                        .as_ref()
                        .and_then(|r| r.incomplete_details.as_ref())
                        .and_then(|d| d.reason.as_deref())
                    {
                        Some("content_filter") => FinishReason::ContentFilter,
                        // `max_output_tokens`, and any other reason to stop early.
                        _ => FinishReason::Length,
                    }
                });
                done = true;
            }
            "response.failed" => {
                let error = wire.response.and_then(|r| r.error);
                let code = error
                    .as_ref()
                    .and_then(|e| e.code.as_ref())
                    .and_then(|c| c.as_str());
                return Err(mid_stream_error(
                    code,
                    error.as_ref().and_then(|e| e.message.as_deref()),
                ));
            }
            "error" => {
                let code = wire.code.as_ref().and_then(|c| c.as_str());
                return Err(mid_stream_error(code, wire.message.as_deref()));
            }
            _ => {}
        }
        Ok(Decoded { content, done })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::error::ErrorKind;
    use crate::llm::request::Message;

    fn content<'a>(d: &mut Decoder, data: &'a str) -> ChunkContent<'a> {
        match d.decode("", data) {
            Ok(decoded) => {
                assert!(!decoded.done);
                decoded.content
            }
            Err(e) => panic!("expected content, got {e:?}"),
        }
    }

    #[test]
    fn answer_refusal_and_summary_text_go_where_they_belong() {
        let mut d = Decoder::default();
        let c = content(
            &mut d,
            r#"{"type":"response.output_text.delta","item_id":"msg_1","output_index":1,"content_index":0,"delta":"Hi","sequence_number":5}"#,
        );
        assert!(matches!(c.text, Some(Cow::Borrowed("Hi"))));
        let c = content(
            &mut d,
            r#"{"type":"response.refusal.delta","delta":"I can't."}"#,
        );
        assert_eq!(c.text.as_deref(), Some("I can't."));
        let c = content(
            &mut d,
            r#"{"type":"response.reasoning_summary_text.delta","output_index":0,"summary_index":0,"delta":"**Plan**"}"#,
        );
        assert_eq!(c.reasoning.as_deref(), Some("**Plan**"));
        assert_eq!(c.text, None);
    }

    #[test]
    fn a_new_summary_part_starts_a_new_paragraph() {
        let mut d = Decoder::default();
        let part = |i: u64, t: &str| {
            format!(
                r#"{{"type":"response.reasoning_summary_text.delta","output_index":0,"summary_index":{i},"delta":"{t}"}}"#
            )
        };
        let (a, b, c) = (part(0, "First"), part(0, " part."), part(1, "Second."));
        let mut shown = String::new();
        for data in [&a, &b, &c] {
            shown.push_str(&content(&mut d, data).reasoning.unwrap_or_default());
        }
        assert_eq!(shown, "First part.\n\nSecond.");
    }

    #[test]
    fn completed_and_incomplete_end_the_answer_with_usage() {
        let mut d = Decoder::default();
        let done = d
            .decode(
                "response.completed",
                r#"{"type":"response.completed","response":{"id":"r","status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"Hi"}]}],"usage":{"input_tokens":9,"output_tokens":3,"total_tokens":12}}}"#,
            )
            .unwrap();
        assert!(done.done);
        assert_eq!(done.content.finish_reason, Some(FinishReason::Stop));
        assert_eq!(
            done.content.usage,
            Some(Usage {
                prompt_tokens: 9,
                completion_tokens: 3
            })
        );
        for (reason, expected) in [
            ("max_output_tokens", FinishReason::Length),
            ("content_filter", FinishReason::ContentFilter),
        ] {
            let data = format!(
                r#"{{"type":"response.incomplete","response":{{"status":"incomplete","incomplete_details":{{"reason":"{reason}"}},"usage":{{"input_tokens":1,"output_tokens":2}}}}}}"#
            );
            let decoded = Decoder::default().decode("", &data).unwrap();
            assert!(decoded.done);
            assert_eq!(decoded.content.finish_reason, Some(expected), "{reason}");
        }
    }

    #[test]
    fn failures_and_errors_carry_the_servers_message_and_kind() {
        let e = Decoder::default()
            .decode(
                "",
                r#"{"type":"response.failed","response":{"status":"failed","error":{"code":"rate_limit_exceeded","message":"Too fast"}}}"#,
            )
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::RateLimited);
        assert!(e.message.contains("Too fast"), "{}", e.message);
        let e = Decoder::default()
            .decode(
                "error",
                r#"{"type":"error","code":"context_length_exceeded","message":"Too long","param":null}"#,
            )
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::ContextTooLong);
    }

    #[test]
    fn bookkeeping_events_are_skipped() {
        let mut d = Decoder::default();
        for data in [
            r#"{"type":"response.created","response":{"id":"r","status":"in_progress","usage":null}}"#,
            r#"{"type":"response.output_item.added","item":{"type":"message"}}"#,
            r#"{"type":"response.output_text.done","text":"Hi"}"#,
            r#"{"type":"response.something_new","delta":"not text"}"#,
        ] {
            assert_eq!(content(&mut d, data), ChunkContent::default(), "{data}");
        }
    }

    #[test]
    fn body_moves_system_to_instructions_and_asks_reasoning_models_for_a_summary() {
        let request = |model: &str| ChatRequest {
            model: model.into(),
            messages: vec![
                Message::system("Be brief."),
                Message::user("Hi"),
                Message::assistant(""),
                Message::user("Again"),
            ],
            temperature: Some(0.3),
            max_tokens: Some(500),
        };
        let json = |r: &ChatRequest| -> serde_json::Value {
            serde_json::from_slice(&body(r).unwrap()).unwrap()
        };
        let b = json(&request("o4-mini"));
        assert_eq!(b["instructions"], "Be brief.");
        assert_eq!(
            b["input"],
            serde_json::json!([
                {"role": "user", "content": "Hi"},
                {"role": "user", "content": "Again"},
            ])
        );
        assert_eq!(b["stream"], true);
        assert_eq!(b["store"], false);
        assert_eq!(b["max_output_tokens"], 500);
        assert_eq!(b["reasoning"]["summary"], "auto");
        assert!(b.get("temperature").is_none());
        let b = json(&request("gpt-4.1"));
        assert!(b.get("reasoning").is_none());
        assert!((b["temperature"].as_f64().unwrap() - 0.3).abs() < 1e-6);
    }
}
