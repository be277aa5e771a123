//! The streaming engine in Anthropic Messages, OpenAI Responses and Azure OpenAI against
//! the mock server: the request each protocol sends, and every way its stream can arrive or
//! break, checked by what a reader of the answer would see. `tests/stream.rs` does the same
//! for Chat Completions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::Collected;
use mock_openai::{anthropic, responses, DemoOptions, Fallback, MockServer, Reply};
use palaver_core::llm::{
    list_models, ApiKind, ChatError, ChatRequest, ClientOptions, Endpoint, ErrorKind, FinishReason,
    LlmClient, Message, RetryPolicy, Usage,
};
use palaver_core::secrets::ApiKey;
use std::time::Duration;

const PAUSE: Duration = Duration::from_millis(30);
const KEY: &str = "test-key-for-the-mock-anthropic-0001234";

fn options() -> ClientOptions {
    retrying(0)
}

fn retrying(max_retries: u32) -> ClientOptions {
    ClientOptions {
        idle_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        retry: RetryPolicy {
            max_retries,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(2),
        },
        ..ClientOptions::default()
    }
}

fn idle(ms: u64) -> ClientOptions {
    ClientOptions {
        idle_timeout: Duration::from_millis(ms),
        ..options()
    }
}

fn request(model: &str) -> ChatRequest {
    ChatRequest {
        model: model.into(),
        messages: vec![Message::system("Be brief."), Message::user("Hello?")],
        temperature: None,
        max_tokens: None,
    }
}

fn endpoint_at(base: &str, kind: ApiKind) -> Endpoint {
    Endpoint::new(base, Some(ApiKey::parse(KEY).unwrap()))
        .unwrap()
        .with_kind(kind)
}

fn endpoint(server: &MockServer, kind: ApiKind) -> Endpoint {
    endpoint_at(&server.base_url(), kind)
}

fn model_for(kind: ApiKind) -> &'static str {
    match kind {
        ApiKind::Anthropic => "claude-sonnet-4-5",
        _ => "gpt-4.1-mini",
    }
}

async fn run_with(
    server: &MockServer,
    kind: ApiKind,
    options: ClientOptions,
) -> (Collected, Result<FinishReason, ChatError>) {
    let client = LlmClient::new(options).unwrap();
    let mut sink = Collected::default();
    let result = client
        .stream_chat(
            &endpoint(server, kind),
            &request(model_for(kind)),
            &mut sink,
        )
        .await;
    (sink, result)
}

async fn run(kind: ApiKind, reply: Reply) -> (Collected, Result<FinishReason, ChatError>) {
    let server = MockServer::start().await.unwrap();
    server.push(reply);
    run_with(&server, kind, options()).await
}

/// Asserts that no error message shows the key or its tail.
fn assert_no_key(err: &ChatError) {
    assert!(!err.message.contains(KEY), "key leaked: {}", err.message);
    assert!(
        !err.message.contains("0001234"),
        "key tail leaked: {}",
        err.message
    );
}

/// The stall, cancel and retry guarantees, the same for every protocol: `text` is one
/// text event, `end` a complete ending, `mid_error` an error event.
mod shared {
    use super::*;

    pub async fn stall_mid_answer_times_out_and_keeps_the_text(
        kind: ApiKind,
        head: String,
        text: String,
    ) {
        let server = MockServer::start().await.unwrap();
        server.push(Reply::sse().write(head).write(text).stall());
        let (sink, result) = run_with(&server, kind, idle(400)).await;
        let err = result.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Timeout);
        assert!(err.message.contains("400 ms"), "{}", err.message);
        assert_eq!(sink.text(), "Before the stall");
        assert!(server.wait_for_disconnects(1, Duration::from_secs(5)).await);
    }

    pub async fn dropping_the_stream_closes_the_connection(
        kind: ApiKind,
        head: String,
        text: String,
    ) {
        let server = MockServer::start().await.unwrap();
        server.push(Reply::sse().write(head).write(text).stall());
        let client = LlmClient::new(options()).unwrap();
        let endpoint = endpoint(&server, kind);
        let req = request(model_for(kind));
        let mut sink = Collected::default();
        let outcome = tokio::time::timeout(
            Duration::from_millis(300),
            client.stream_chat(&endpoint, &req, &mut sink),
        )
        .await;
        assert!(
            outcome.is_err(),
            "the stream should still have been running"
        );
        assert!(
            server.wait_for_disconnects(1, Duration::from_secs(2)).await,
            "server never saw the disconnect"
        );
        assert_eq!(sink.text(), "streaming…");
    }

    pub async fn nothing_is_resent_once_text_was_shown(
        kind: ApiKind,
        head: String,
        text: String,
        mid_error: String,
    ) {
        let server = MockServer::start().await.unwrap();
        server.push(Reply::sse().write(head).write(text).write(mid_error));
        server.push(Reply::status(
            500,
            "text/plain",
            "should never be requested",
        ));
        let (sink, result) = run_with(&server, kind, retrying(3)).await;
        assert!(result.is_err());
        assert_eq!(sink.text(), "Shown");
        assert_eq!(server.requests().len(), 1);
    }
}

// ================================================================ Anthropic Messages

mod anthropic_messages {
    use super::*;
    use anthropic::{
        content_block_stop, error_event, head, message_delta, message_start, ping, signature_delta,
        tail, text_delta, thinking_block_start, thinking_delta,
    };

    const KIND: ApiKind = ApiKind::Anthropic;

    fn end() -> String {
        tail("end_turn", 7)
    }

    #[tokio::test]
    async fn sends_the_messages_request_shape_with_x_api_key_and_no_authorization() {
        let server = MockServer::start().await.unwrap();
        server.push(anthropic::answer(&["Hi"]));
        let client = LlmClient::new(options()).unwrap();
        let endpoint = endpoint(&server, KIND)
            .with_headers(vec![("X-Gateway-Team".into(), "research".into())]);
        let mut req = request("claude-sonnet-4-5");
        req.messages.push(Message::assistant(""));
        req.messages.push(Message::user("Still there?"));
        req.temperature = Some(1.5);
        let mut sink = Collected::default();
        let result = client.stream_chat(&endpoint, &req, &mut sink).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(sink.text(), "Hi");
        let sent = &server.requests()[0];
        assert_eq!(
            (sent.method.as_str(), sent.path.as_str()),
            ("POST", "/v1/messages")
        );
        assert_eq!(sent.header("x-api-key"), Some(KEY));
        assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
        assert_eq!(sent.header("authorization"), None);
        assert_eq!(sent.header("content-type"), Some("application/json"));
        assert_eq!(sent.header("accept"), Some("text/event-stream"));
        assert_eq!(sent.header("x-gateway-team"), Some("research"));
        let body = sent.json();
        assert_eq!(body["model"], "claude-sonnet-4-5");
        assert_eq!(body["stream"], true);
        assert_eq!(body["max_tokens"], 16384);
        assert_eq!(body["temperature"], 1.0);
        assert_eq!(body["system"], "Be brief.");
        assert_eq!(
            body["messages"],
            serde_json::json!([{"role": "user", "content": "Hello?\n\nStill there?"}])
        );
    }

    #[tokio::test]
    async fn a_multibyte_character_split_across_reads() {
        let event = text_delta("héllo 🚀 世界");
        let rocket = event.find('🚀').unwrap();
        let world = event.find('世').unwrap();
        let reply = Reply::sse()
            .write(head(3))
            .write_split(&event, &[rocket + 1, rocket + 3, world + 2], PAUSE)
            .write(end());
        let (sink, result) = run(KIND, reply).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(sink.text(), "héllo 🚀 世界");
    }

    #[tokio::test]
    async fn many_events_in_one_read_arrive_together() {
        let mut body = head(3);
        for i in 0..10 {
            body.push_str(&text_delta(&format!("t{i} ")));
        }
        body.push_str(&end());
        let (sink, result) = run(KIND, Reply::sse().write(body)).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(sink.text(), "t0 t1 t2 t3 t4 t5 t6 t7 t8 t9 ");
        assert_eq!(sink.flushes, vec![10], "one read, one flush");
    }

    #[tokio::test]
    async fn one_event_split_across_many_reads() {
        let event = text_delta("split into many pieces");
        let cuts: Vec<usize> = (1..event.len()).step_by(9).collect();
        let reply = Reply::sse()
            .write(head(3))
            .write_split(&event, &cuts, Duration::from_millis(5))
            .write(end());
        let (sink, result) = run(KIND, reply).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(sink.text(), "split into many pieces");
    }

    #[tokio::test]
    async fn crlf_line_endings_even_split_between_cr_and_lf() {
        let body = format!(
            "{}{}{}{}",
            head(3),
            text_delta("Hello"),
            text_delta(" world"),
            end()
        )
        .replace('\n', "\r\n");
        let cut = body.find("\r\n").unwrap() + 1;
        let (sink, result) = run(KIND, Reply::sse().write_split(&body, &[cut], PAUSE)).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(sink.text(), "Hello world");
    }

    #[tokio::test]
    async fn pings_keep_a_thinking_model_alive_and_show_nothing() {
        // Pings for three times the idle timeout before the first token.
        let server = MockServer::start().await.unwrap();
        let mut reply = Reply::sse().write(head(3));
        for _ in 0..12 {
            reply = reply.write(ping()).pause(Duration::from_millis(100));
        }
        server.push(
            reply
                .write(": a comment\n\n")
                .write(text_delta("Thought it through"))
                .write(end()),
        );
        let (sink, result) = run_with(&server, KIND, idle(400)).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(sink.text(), "Thought it through");
        assert_eq!(
            sink.events.len(),
            2,
            "text and usage only: {:?}",
            sink.events
        );
    }

    #[tokio::test]
    async fn thinking_is_reported_apart_from_the_answer() {
        let reply = Reply::sse()
            .write(message_start(3))
            .write(thinking_block_start(0))
            .write(thinking_delta("Let me think"))
            .write(thinking_delta(" about it."))
            .write(signature_delta("EqQBCgIYAhIM1gbcDa9GJwZA2b3h"))
            .write(content_block_stop(0))
            .write(anthropic::text_block_start(1))
            .write(text_delta("Answer."))
            .write(end());
        let (sink, result) = run(KIND, reply).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(sink.reasoning(), "Let me think about it.");
        assert_eq!(sink.text(), "Answer.");
    }

    #[tokio::test]
    async fn each_stop_reason_is_reported() {
        for (stop, expected) in [
            ("end_turn", FinishReason::Stop),
            ("stop_sequence", FinishReason::Stop),
            ("max_tokens", FinishReason::Length),
            ("refusal", FinishReason::ContentFilter),
            ("tool_use", FinishReason::ToolCalls),
        ] {
            let reply = Reply::sse()
                .write(head(3))
                .write(text_delta("a"))
                .write(tail(stop, 1));
            let (sink, result) = run(KIND, reply).await;
            assert_eq!(result, Ok(expected), "{stop}");
            assert_eq!(sink.text(), "a");
        }
    }

    #[tokio::test]
    async fn usage_is_reported_once_with_both_counts() {
        let reply = Reply::sse()
            .write(head(25))
            .write(text_delta("Hi"))
            .write(tail("end_turn", 15));
        let (sink, result) = run(KIND, reply).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(
            sink.usages(),
            vec![Usage {
                prompt_tokens: 25,
                completion_tokens: 15
            }]
        );
    }

    #[tokio::test]
    async fn a_stream_that_just_ends_is_interrupted_and_keeps_its_text() {
        for framing_close in [false, true] {
            let mut reply = Reply::sse()
                .write(head(3))
                .write(text_delta("Partial"))
                .write(text_delta(" answer"));
            if framing_close {
                reply = reply.close_delimited();
            }
            let (sink, result) = run(KIND, reply).await;
            let err = result.unwrap_err();
            assert_eq!(err.kind, ErrorKind::Interrupted);
            assert_eq!(sink.text(), "Partial answer");
        }
    }

    #[tokio::test]
    async fn a_stop_reason_without_message_stop_is_complete() {
        let reply = Reply::sse()
            .write(head(3))
            .write(text_delta("Whole"))
            .write(message_delta("end_turn", 1))
            .close_delimited();
        let (sink, result) = run(KIND, reply).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(sink.text(), "Whole");
    }

    #[tokio::test]
    async fn an_overloaded_error_mid_stream_says_so_and_keeps_the_text() {
        let reply = Reply::sse()
            .write(head(3))
            .write(text_delta("Some text"))
            .pause(PAUSE)
            .write(error_event("overloaded_error", "Overloaded"));
        let (sink, result) = run(KIND, reply).await;
        let err = result.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Server);
        assert!(
            err.message.contains("Anthropic is overloaded"),
            "{}",
            err.message
        );
        assert_eq!(sink.text(), "Some text");

        let reply = Reply::sse().write(head(3)).write(error_event(
            "rate_limit_error",
            "Number of request tokens has exceeded your per-minute rate limit",
        ));
        let (_, result) = run(KIND, reply).await;
        let err = result.unwrap_err();
        assert_eq!(err.kind, ErrorKind::RateLimited);
        assert!(
            err.message.contains("per-minute rate limit"),
            "{}",
            err.message
        );
    }

    #[tokio::test]
    async fn a_malformed_event_is_a_protocol_error_and_keeps_the_text() {
        let reply = Reply::sse()
            .write(head(3))
            .write(text_delta("fine"))
            .write("event: content_block_delta\ndata: {\"type\": [ oops\n\n");
        let (sink, result) = run(KIND, reply).await;
        let err = result.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Protocol);
        assert!(err.message.contains("{\"type\": [ oops"), "{}", err.message);
        assert_eq!(sink.text(), "fine");
    }

    #[tokio::test]
    async fn unknown_events_and_blocks_are_skipped() {
        let reply = Reply::sse()
            .write(head(3))
            .write(anthropic::event(
                "content_block_start",
                serde_json::json!({"index": 2, "content_block": {"type": "server_tool_use", "id": "x"}}),
            ))
            .write(anthropic::event(
                "content_block_delta",
                serde_json::json!({"index": 2, "delta": {"type": "input_json_delta", "partial_json": "{\"q\":"}}),
            ))
            .write(anthropic::event("brand_new_event", serde_json::json!({"x": 1})))
            .write(text_delta("Still here"))
            .write(end());
        let (sink, result) = run(KIND, reply).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(sink.text(), "Still here");
    }

    #[tokio::test]
    async fn a_whole_json_answer_instead_of_a_stream_is_explained() {
        let body = r#"{"type":"message","content":[{"type":"text","text":"Whole"}],"stop_reason":"end_turn"}"#;
        let (sink, result) = run(KIND, Reply::status(200, "application/json", body)).await;
        let err = result.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Protocol);
        assert!(
            err.message.contains("instead of an event stream"),
            "{}",
            err.message
        );
        assert!(
            err.message.contains(r#""stop_reason":"end_turn""#),
            "{}",
            err.message
        );
        assert!(sink.events.is_empty());
    }

    async fn http_error(reply: Reply) -> ChatError {
        let (sink, result) = run(KIND, reply).await;
        assert!(sink.events.is_empty());
        result.unwrap_err()
    }

    #[tokio::test]
    async fn a_rejected_key_is_an_auth_error_without_the_key() {
        let e = http_error(anthropic::error_reply(
            401,
            "authentication_error",
            &format!("invalid x-api-key {KEY}"),
        ))
        .await;
        assert_eq!((e.kind, e.status), (ErrorKind::Auth, Some(401)));
        assert!(e.message.contains("invalid x-api-key"), "{}", e.message);
        assert_no_key(&e);
    }

    #[tokio::test]
    async fn a_prompt_that_is_too_long_is_context_too_long() {
        let e = http_error(anthropic::error_reply(
            400,
            "invalid_request_error",
            "prompt is too long: 208310 tokens > 200000 maximum",
        ))
        .await;
        assert_eq!(e.kind, ErrorKind::ContextTooLong);
        assert!(e.message.contains("208310 tokens"), "{}", e.message);
        let e = http_error(anthropic::error_reply(
            400,
            "invalid_request_error",
            "max_tokens: Field required",
        ))
        .await;
        assert_eq!(e.kind, ErrorKind::BadRequest);
        assert!(
            e.message.contains("max_tokens: Field required"),
            "{}",
            e.message
        );
    }

    #[tokio::test]
    async fn rate_limits_carry_when_to_retry() {
        let e = http_error(
            anthropic::error_reply(
                429,
                "rate_limit_error",
                "Number of requests has exceeded your rate limit",
            )
            .header("retry-after", "7"),
        )
        .await;
        assert_eq!(e.kind, ErrorKind::RateLimited);
        assert_eq!(e.retry_after_secs, Some(7));
        assert!(
            e.message.contains("try again in 7 seconds"),
            "{}",
            e.message
        );
    }

    #[tokio::test]
    async fn overloaded_529_is_retried_then_succeeds() {
        let server = MockServer::start().await.unwrap();
        server.push(anthropic::error_reply(
            529,
            "overloaded_error",
            "Overloaded",
        ));
        server.push(anthropic::answer(&["Second", " time"]));
        let (sink, result) = run_with(&server, KIND, retrying(2)).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(sink.text(), "Second time");
        let requests = server.requests();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].body, requests[1].body);
    }

    #[tokio::test]
    async fn overloaded_529_says_anthropic_is_overloaded_when_retries_run_out() {
        let server = MockServer::start().await.unwrap();
        for _ in 0..2 {
            server.push(anthropic::error_reply(
                529,
                "overloaded_error",
                "Overloaded",
            ));
        }
        let (_, result) = run_with(&server, KIND, retrying(1)).await;
        let e = result.unwrap_err();
        assert_eq!((e.kind, e.status), (ErrorKind::Server, Some(529)));
        assert!(
            e.message.starts_with("Anthropic is overloaded"),
            "{}",
            e.message
        );
        assert_eq!(server.requests().len(), 2);
    }

    #[tokio::test]
    async fn overloaded_before_the_first_token_is_asked_again() {
        let server = MockServer::start().await.unwrap();
        server.push(
            Reply::sse()
                .write(ping())
                .write(error_event("overloaded_error", "Overloaded")),
        );
        server.push(anthropic::answer(&["Got", " through"]));
        let (sink, result) = run_with(&server, KIND, retrying(2)).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(sink.text(), "Got through");
        assert_eq!(server.requests().len(), 2);

        // Other errors before the first token are about the request: not asked again.
        let server = MockServer::start().await.unwrap();
        server.push(Reply::sse().write(head(3)).write(error_event(
            "invalid_request_error",
            "messages: text content blocks must be non-empty",
        )));
        let (_, result) = run_with(&server, KIND, retrying(2)).await;
        assert_eq!(result.unwrap_err().kind, ErrorKind::BadRequest);
        assert_eq!(server.requests().len(), 1);
    }

    #[tokio::test]
    async fn the_key_echoed_mid_stream_is_scrubbed() {
        let reply = Reply::sse().write(head(3)).write(error_event(
            "api_error",
            &format!("internal error for key {KEY}"),
        ));
        let (_, result) = run(KIND, reply).await;
        let e = result.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Server);
        assert_no_key(&e);
    }

    #[tokio::test]
    async fn a_stall_mid_answer_times_out_and_keeps_the_text() {
        shared::stall_mid_answer_times_out_and_keeps_the_text(
            KIND,
            head(3),
            text_delta("Before the stall"),
        )
        .await;
    }

    #[tokio::test]
    async fn dropping_the_stream_closes_the_connection_at_once() {
        shared::dropping_the_stream_closes_the_connection(KIND, head(3), text_delta("streaming…"))
            .await;
    }

    #[tokio::test]
    async fn nothing_is_resent_once_text_was_shown() {
        shared::nothing_is_resent_once_text_was_shown(
            KIND,
            head(3),
            text_delta("Shown"),
            error_event("overloaded_error", "Overloaded"),
        )
        .await;
    }

    #[tokio::test]
    async fn the_demo_answers_in_messages_and_names_the_model() {
        let server = MockServer::start_with(
            "127.0.0.1:0",
            Fallback::Demo(DemoOptions {
                token_delay: Duration::ZERO,
                ..DemoOptions::default()
            }),
        )
        .await
        .unwrap();
        let (sink, result) = run_with(&server, KIND, options()).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert!(
            sink.text().starts_with("claude-sonnet-4-5 here."),
            "{}",
            sink.text()
        );
        assert_eq!(sink.usages().len(), 1);
    }

    #[tokio::test]
    async fn models_are_listed_with_the_anthropic_headers() {
        let server = MockServer::start().await.unwrap();
        let body = serde_json::json!({
            "data": [
                {"type": "model", "id": "claude-sonnet-4-5", "display_name": "Claude Sonnet 4.5", "created_at": "2025-09-29T00:00:00Z"},
                {"type": "model", "id": "claude-3-5-haiku-20241022", "display_name": "Claude Haiku 3.5", "created_at": "2024-10-22T00:00:00Z"}
            ],
            "has_more": false, "first_id": "claude-sonnet-4-5", "last_id": "claude-3-5-haiku-20241022"
        });
        server.push(Reply::status(200, "application/json", &body.to_string()));
        let client = model_client();
        let models = list_models(
            client.http(),
            &endpoint(&server, KIND),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        assert_eq!(
            models,
            vec!["claude-3-5-haiku-20241022", "claude-sonnet-4-5"]
        );
        let sent = &server.requests()[0];
        assert_eq!(sent.method, "GET");
        assert_eq!(sent.path, "/v1/models?limit=1000");
        assert_eq!(sent.header("x-api-key"), Some(KEY));
        assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
        assert_eq!(sent.header("authorization"), None);
    }
}

// ================================================================ OpenAI Responses

mod openai_responses {
    use super::*;
    use responses::{
        completed, created, error_event, failed, incomplete, output_item_added, refusal_delta,
        summary_delta, text_delta, text_done,
    };

    const KIND: ApiKind = ApiKind::Responses;

    fn head() -> String {
        created() + &output_item_added()
    }

    fn end() -> String {
        completed(5, 7)
    }

    #[tokio::test]
    async fn sends_the_responses_request_shape_with_a_bearer_key() {
        let server = MockServer::start().await.unwrap();
        server.push(responses::answer(&["Hi"]));
        let client = LlmClient::new(options()).unwrap();
        let endpoint = endpoint(&server, KIND)
            .with_headers(vec![("OpenAI-Organization".into(), "org-mock".into())]);
        let mut req = request("o4-mini");
        req.temperature = Some(0.2);
        req.max_tokens = Some(2000);
        let mut sink = Collected::default();
        let result = client.stream_chat(&endpoint, &req, &mut sink).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(
            sink.text(),
            "Hi",
            "the closing text_done is not shown again"
        );
        let sent = &server.requests()[0];
        assert_eq!(
            (sent.method.as_str(), sent.path.as_str()),
            ("POST", "/v1/responses")
        );
        assert_eq!(
            sent.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
        assert_eq!(sent.header("x-api-key"), None);
        assert_eq!(sent.header("openai-organization"), Some("org-mock"));
        let body = sent.json();
        assert_eq!(body["model"], "o4-mini");
        assert_eq!(body["stream"], true);
        assert_eq!(body["store"], false);
        assert_eq!(body["instructions"], "Be brief.");
        assert_eq!(
            body["input"],
            serde_json::json!([{"role": "user", "content": "Hello?"}])
        );
        assert_eq!(body["max_output_tokens"], 2000);
        assert_eq!(body["reasoning"]["summary"], "auto");
        assert!(
            body.get("temperature").is_none(),
            "reasoning models reject it"
        );
    }

    #[tokio::test]
    async fn a_multibyte_character_split_across_reads() {
        let event = text_delta("héllo 🚀 世界");
        let rocket = event.find('🚀').unwrap();
        let world = event.find('世').unwrap();
        let reply = Reply::sse()
            .write(head())
            .write_split(&event, &[rocket + 1, rocket + 3, world + 2], PAUSE)
            .write(end());
        let (sink, result) = run(KIND, reply).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(sink.text(), "héllo 🚀 世界");
    }

    #[tokio::test]
    async fn many_events_in_one_read_arrive_together() {
        let mut body = head();
        for i in 0..10 {
            body.push_str(&text_delta(&format!("t{i} ")));
        }
        body.push_str(&end());
        let (sink, result) = run(KIND, Reply::sse().write(body)).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(sink.text(), "t0 t1 t2 t3 t4 t5 t6 t7 t8 t9 ");
        assert_eq!(sink.flushes, vec![10], "one read, one flush");
    }

    #[tokio::test]
    async fn one_event_split_across_many_reads() {
        let event = text_delta("split into many pieces");
        let cuts: Vec<usize> = (1..event.len()).step_by(9).collect();
        let reply = Reply::sse()
            .write(head())
            .write_split(&event, &cuts, Duration::from_millis(5))
            .write(end());
        let (sink, result) = run(KIND, reply).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(sink.text(), "split into many pieces");
    }

    #[tokio::test]
    async fn crlf_line_endings_even_split_between_cr_and_lf() {
        let body = format!(
            "{}{}{}{}",
            head(),
            text_delta("Hello"),
            text_delta(" world"),
            end()
        )
        .replace('\n', "\r\n");
        let cut = body.find("\r\n").unwrap() + 1;
        let (sink, result) = run(KIND, Reply::sse().write_split(&body, &[cut], PAUSE)).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(sink.text(), "Hello world");
    }

    #[tokio::test]
    async fn keep_alive_comments_while_the_model_reasons_are_not_silence() {
        let server = MockServer::start().await.unwrap();
        let mut reply = Reply::sse().write(head());
        for _ in 0..12 {
            reply = reply
                .write(": keep-alive\n\n")
                .pause(Duration::from_millis(100));
        }
        server.push(reply.write(text_delta("Thought it through")).write(end()));
        let (sink, result) = run_with(&server, KIND, idle(400)).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(sink.text(), "Thought it through");
    }

    #[tokio::test]
    async fn reasoning_summaries_are_apart_from_the_answer_one_paragraph_per_part() {
        let reply = Reply::sse()
            .write(head())
            .write(summary_delta(0, "**Planning**"))
            .write(summary_delta(0, " the answer."))
            .write(summary_delta(1, "**Checking** it."))
            .write(text_delta("Answer."))
            .write(end());
        let (sink, result) = run(KIND, reply).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(
            sink.reasoning(),
            "**Planning** the answer.\n\n**Checking** it."
        );
        assert_eq!(sink.text(), "Answer.");
    }

    #[tokio::test]
    async fn a_refusal_is_shown_as_the_answer() {
        let reply = Reply::sse()
            .write(head())
            .write(refusal_delta("I can't help with that."))
            .write(end());
        let (sink, result) = run(KIND, reply).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(sink.text(), "I can't help with that.");
    }

    #[tokio::test]
    async fn each_ending_is_reported_with_usage() {
        for (ending, expected) in [
            (completed(9, 3), FinishReason::Stop),
            (incomplete("max_output_tokens", 9, 3), FinishReason::Length),
            (
                incomplete("content_filter", 9, 3),
                FinishReason::ContentFilter,
            ),
        ] {
            let reply = Reply::sse()
                .write(head())
                .write(text_delta("a"))
                .write(text_done("a"))
                .write(ending);
            let (sink, result) = run(KIND, reply).await;
            assert_eq!(result, Ok(expected));
            assert_eq!(sink.text(), "a");
            assert_eq!(
                sink.usages(),
                vec![Usage {
                    prompt_tokens: 9,
                    completion_tokens: 3
                }]
            );
        }
    }

    #[tokio::test]
    async fn a_stream_that_just_ends_is_interrupted_and_keeps_its_text() {
        for framing_close in [false, true] {
            let mut reply = Reply::sse()
                .write(head())
                .write(text_delta("Partial"))
                .write(text_delta(" answer"))
                .write(text_done("Partial answer"));
            if framing_close {
                reply = reply.close_delimited();
            }
            let (sink, result) = run(KIND, reply).await;
            let err = result.unwrap_err();
            assert_eq!(err.kind, ErrorKind::Interrupted);
            assert_eq!(sink.text(), "Partial answer");
        }
    }

    #[tokio::test]
    async fn a_failed_response_mid_stream_keeps_the_text() {
        let reply = Reply::sse()
            .write(head())
            .write(text_delta("Some text"))
            .pause(PAUSE)
            .write(failed("server_error", "The model crashed"));
        let (sink, result) = run(KIND, reply).await;
        let err = result.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Server);
        assert!(err.message.contains("The model crashed"), "{}", err.message);
        assert_eq!(sink.text(), "Some text");

        let reply = Reply::sse().write(head()).write(error_event(
            "rate_limit_exceeded",
            "Rate limit reached for o4-mini",
        ));
        let (_, result) = run(KIND, reply).await;
        let err = result.unwrap_err();
        assert_eq!(err.kind, ErrorKind::RateLimited);
        assert!(
            err.message.contains("Rate limit reached"),
            "{}",
            err.message
        );
    }

    #[tokio::test]
    async fn a_malformed_event_is_a_protocol_error_and_keeps_the_text() {
        let reply = Reply::sse()
            .write(head())
            .write(text_delta("fine"))
            .write("event: response.output_text.delta\ndata: {\"type\": [ oops\n\n");
        let (sink, result) = run(KIND, reply).await;
        let err = result.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Protocol);
        assert!(err.message.contains("{\"type\": [ oops"), "{}", err.message);
        assert_eq!(sink.text(), "fine");
    }

    #[tokio::test]
    async fn http_errors_read_clearly_without_the_key() {
        let (sink, result) = run(
            KIND,
            Reply::error(
                401,
                &format!("Incorrect API key provided: {KEY}."),
                "invalid_request_error",
                Some("invalid_api_key"),
            ),
        )
        .await;
        assert!(sink.events.is_empty());
        let e = result.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
        assert_no_key(&e);

        let (_, result) = run(
            KIND,
            Reply::error(429, "Slow down", "requests", Some("rate_limit_exceeded"))
                .header("retry-after", "7"),
        )
        .await;
        let e = result.unwrap_err();
        assert_eq!(
            (e.kind, e.retry_after_secs),
            (ErrorKind::RateLimited, Some(7))
        );

        let (_, result) = run(
            KIND,
            Reply::status(
                502,
                "text/html",
                "<html><title>502 Bad Gateway</title></html>",
            ),
        )
        .await;
        let e = result.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Server);
        assert!(
            e.message.contains("HTML page titled “502 Bad Gateway”"),
            "{}",
            e.message
        );
    }

    #[tokio::test]
    async fn server_errors_before_the_first_token_are_retried() {
        let server = MockServer::start().await.unwrap();
        server.push(Reply::status(500, "", ""));
        server.push(responses::answer(&["Second", " time"]));
        let (sink, result) = run_with(&server, KIND, retrying(2)).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(sink.text(), "Second time");
        assert_eq!(server.requests().len(), 2);
    }

    #[tokio::test]
    async fn a_stall_mid_answer_times_out_and_keeps_the_text() {
        shared::stall_mid_answer_times_out_and_keeps_the_text(
            KIND,
            head(),
            text_delta("Before the stall"),
        )
        .await;
    }

    #[tokio::test]
    async fn dropping_the_stream_closes_the_connection_at_once() {
        shared::dropping_the_stream_closes_the_connection(KIND, head(), text_delta("streaming…"))
            .await;
    }

    #[tokio::test]
    async fn nothing_is_resent_once_text_was_shown() {
        shared::nothing_is_resent_once_text_was_shown(
            KIND,
            head(),
            text_delta("Shown"),
            failed("server_error", "boom"),
        )
        .await;
    }

    #[tokio::test]
    async fn the_demo_answers_in_responses_and_names_the_model() {
        let server = MockServer::start_with(
            "127.0.0.1:0",
            Fallback::Demo(DemoOptions {
                token_delay: Duration::ZERO,
                ..DemoOptions::default()
            }),
        )
        .await
        .unwrap();
        let (sink, result) = run_with(&server, KIND, options()).await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert!(
            sink.text().starts_with("gpt-4.1-mini here."),
            "{}",
            sink.text()
        );
    }
}

// ================================================================ Azure and extra headers

/// A client whose connection pool `list_models` borrows.
fn model_client() -> LlmClient {
    LlmClient::new(options()).unwrap()
}

mod azure_and_headers {
    use super::*;

    fn azure(server: &MockServer, version: Option<&str>) -> Endpoint {
        // Azure's base URL is the resource, without `/v1`.
        endpoint_at(&format!("http://{}", server.addr()), ApiKind::Azure)
            .with_api_version(version.map(str::to_owned))
    }

    #[tokio::test]
    async fn azure_posts_to_the_deployment_with_api_key_and_api_version() {
        let server = MockServer::start().await.unwrap();
        server.push(Reply::answer(&["Hi"]));
        server.push(Reply::answer(&["Again"]));
        let client = LlmClient::new(options()).unwrap();
        let mut sink = Collected::default();
        let result = client
            .stream_chat(&azure(&server, None), &request("my-gpt4o"), &mut sink)
            .await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert_eq!(sink.text(), "Hi");
        let mut sink = Collected::default();
        client
            .stream_chat(
                &azure(&server, Some("2025-01-01-preview")),
                &request("my-gpt4o"),
                &mut sink,
            )
            .await
            .unwrap();
        let sent = server.requests();
        assert_eq!(
            sent[0].path,
            "/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21"
        );
        assert_eq!(
            sent[1].path,
            "/openai/deployments/my-gpt4o/chat/completions?api-version=2025-01-01-preview"
        );
        assert_eq!(sent[0].header("api-key"), Some(KEY));
        assert_eq!(sent[0].header("authorization"), None);
        assert_eq!(sent[0].json()["stream"], true);
    }

    #[tokio::test]
    async fn azure_lists_its_models_with_api_key() {
        let server = MockServer::start().await.unwrap();
        server.push(Reply::status(
            200,
            "application/json",
            r#"{"data":[{"id":"gpt-4o","object":"model"},{"id":"gpt-4o-mini","object":"model"}],"object":"list"}"#,
        ));
        let models = list_models(
            model_client().http(),
            &azure(&server, None),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        assert_eq!(models, vec!["gpt-4o", "gpt-4o-mini"]);
        let sent = &server.requests()[0];
        assert_eq!(sent.path, "/openai/models?api-version=2024-10-21");
        assert_eq!(sent.header("api-key"), Some(KEY));
        assert_eq!(sent.header("authorization"), None);
    }

    #[tokio::test]
    async fn the_demo_answers_an_azure_deployment() {
        let server = MockServer::start_with(
            "127.0.0.1:0",
            Fallback::Demo(DemoOptions {
                token_delay: Duration::ZERO,
                models: vec!["dep-a".into(), "dep-b".into()],
                ..DemoOptions::default()
            }),
        )
        .await
        .unwrap();
        let client = LlmClient::new(options()).unwrap();
        let mut sink = Collected::default();
        let result = client
            .stream_chat(&azure(&server, None), &request("my-gpt4o"), &mut sink)
            .await;
        assert_eq!(result, Ok(FinishReason::Stop));
        assert!(sink.text().starts_with("my-gpt4o here."), "{}", sink.text());
        let models = list_models(
            model_client().http(),
            &azure(&server, None),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        assert_eq!(models, vec!["dep-a", "dep-b"]);
    }

    #[tokio::test]
    async fn extra_headers_go_on_chat_and_model_requests_of_every_kind() {
        for kind in [ApiKind::OpenAi, ApiKind::Anthropic, ApiKind::Responses] {
            let server = MockServer::start_with(
                "127.0.0.1:0",
                Fallback::Demo(DemoOptions {
                    token_delay: Duration::ZERO,
                    ..DemoOptions::default()
                }),
            )
            .await
            .unwrap();
            let endpoint = endpoint(&server, kind).with_headers(vec![
                ("HTTP-Referer".into(), "https://palaver.example".into()),
                ("X-Title".into(), "Palaver".into()),
            ]);
            let client = LlmClient::new(options()).unwrap();
            let mut sink = Collected::default();
            client
                .stream_chat(&endpoint, &request(model_for(kind)), &mut sink)
                .await
                .unwrap();
            list_models(client.http(), &endpoint, Duration::from_secs(5))
                .await
                .unwrap();
            let sent = server.requests();
            assert_eq!(sent.len(), 2);
            for r in &sent {
                assert_eq!(
                    r.header("http-referer"),
                    Some("https://palaver.example"),
                    "{kind} {}",
                    r.path
                );
                assert_eq!(r.header("x-title"), Some("Palaver"), "{kind} {}", r.path);
            }
        }
    }

    #[tokio::test]
    async fn an_invalid_extra_header_is_a_bad_request_that_never_shows_its_value() {
        let server = MockServer::start().await.unwrap();
        let endpoint = endpoint(&server, ApiKind::OpenAi).with_headers(vec![(
            "X-Gateway-Token".into(),
            "gw-secret-value\r\nInjected: yes".into(),
        )]);
        let client = LlmClient::new(options()).unwrap();
        let mut sink = Collected::default();
        let e = client
            .stream_chat(&endpoint, &request("gpt-4.1-mini"), &mut sink)
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadRequest);
        assert!(e.message.contains("x-gateway-token"), "{}", e.message);
        assert!(!e.message.contains("gw-secret-value"), "{}", e.message);
        let e = list_models(client.http(), &endpoint, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadRequest);
        assert!(!e.message.contains("gw-secret-value"), "{}", e.message);
        assert!(server.requests().is_empty(), "nothing was sent");
    }
}

/// A server (the probe asks whatever answers on a local port) cannot make Palaver hold an
/// endless model list, nor fill the picker with junk.
#[tokio::test]
async fn a_model_list_without_end_is_refused_and_junk_names_are_left_out() {
    let server = MockServer::start().await.unwrap();
    let huge = format!(
        r#"{{"data":[{{"id":"{}"}}]}}"#,
        "x".repeat(palaver_core::llm::MAX_MODEL_LIST_BYTES)
    );
    server.push(Reply::status(200, "application/json", &huge));
    let client = model_client();
    let error = list_models(
        client.http(),
        &endpoint(&server, ApiKind::OpenAi),
        Duration::from_secs(20),
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind, palaver_core::llm::ErrorKind::TooLarge);
    assert!(
        error.message.contains("larger than 16 MiB"),
        "{}",
        error.message
    );

    let long = "y".repeat(600);
    let body = serde_json::json!({ "data": [{"id": "good"}, {"id": "  "}, {"id": long}] });
    server.push(Reply::status(200, "application/json", &body.to_string()));
    let models = list_models(
        client.http(),
        &endpoint(&server, ApiKind::OpenAi),
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    assert_eq!(models, ["good"]);
}
