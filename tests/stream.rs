//! The streaming engine against the mock OpenAI server: every way a stream can arrive or
//! break, checked by what a reader of the answer would see.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::Collected;
use mock_openai::{
    chunk, event, finish_chunk, reasoning_chunk, role_chunk, tokens_text, usage_chunk, MockServer,
    Reply, DONE,
};
use palaver_core::chat::{stream_reply, ChatEvent, StreamIds};
use palaver_core::llm::{
    ChatError, ChatRequest, ClientOptions, Endpoint, ErrorKind, FinishReason, LlmClient, Message,
    RetryPolicy, Usage,
};
use palaver_core::secrets::ApiKey;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const PAUSE: Duration = Duration::from_millis(30);

fn options() -> ClientOptions {
    ClientOptions {
        idle_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        retry: RetryPolicy {
            max_retries: 0,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(2),
        },
        ..ClientOptions::default()
    }
}

/// The test options with a short idle timeout.
fn idle(ms: u64) -> ClientOptions {
    ClientOptions {
        idle_timeout: Duration::from_millis(ms),
        ..options()
    }
}

fn request() -> ChatRequest {
    ChatRequest {
        model: "mock-model".into(),
        messages: vec![Message::system("Be brief."), Message::user("Hello?")],
        temperature: None,
        max_tokens: None,
    }
}

fn endpoint(server: &MockServer) -> Endpoint {
    Endpoint::new(
        &server.base_url(),
        Some(ApiKey::parse("sk-test-key-000000001234").unwrap()),
    )
    .unwrap()
}

async fn run_with(
    server: &MockServer,
    options: ClientOptions,
) -> (Collected, Result<FinishReason, ChatError>) {
    let client = LlmClient::new(options).unwrap();
    let mut sink = Collected::default();
    let result = client
        .stream_chat(&endpoint(server), &request(), &mut sink)
        .await;
    (sink, result)
}

async fn run(reply: Reply) -> (Collected, Result<FinishReason, ChatError>) {
    let server = MockServer::start().await.unwrap();
    server.push(reply);
    run_with(&server, options()).await
}

fn tail() -> String {
    format!("{}{}", finish_chunk("stop"), DONE)
}

// ---------------------------------------------------------------- framing and SSE syntax

#[tokio::test]
async fn sends_the_openai_request_shape() {
    let server = MockServer::start().await.unwrap();
    server.push(Reply::answer(&["Hi"]));
    let (_, result) = run_with(&server, options()).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    let req = &server.requests()[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(
        req.header("authorization"),
        Some("Bearer sk-test-key-000000001234")
    );
    assert_eq!(req.header("content-type"), Some("application/json"));
    let body = req.json();
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["model"], "mock-model");
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["messages"][1]["content"], "Hello?");
}

#[tokio::test]
async fn no_authorization_header_without_a_key() {
    let server = MockServer::start().await.unwrap();
    server.push(Reply::answer(&["Hi"]));
    let client = LlmClient::new(options()).unwrap();
    let mut sink = Collected::default();
    let endpoint = Endpoint::new(&server.base_url(), None).unwrap();
    client
        .stream_chat(&endpoint, &request(), &mut sink)
        .await
        .unwrap();
    assert_eq!(server.requests()[0].header("authorization"), None);
}

#[tokio::test]
async fn a_multibyte_character_split_across_reads() {
    let event = chunk("héllo 🚀 世界");
    let rocket = event.find('🚀').unwrap();
    let world = event.find('世').unwrap();
    // Split inside the 4-byte rocket and inside the 3-byte 世.
    let reply = Reply::sse()
        .write_split(&event, &[rocket + 1, rocket + 3, world + 2], PAUSE)
        .write(tail());
    let (sink, result) = run(reply).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(sink.text(), "héllo 🚀 世界");
}

#[tokio::test]
async fn many_events_in_one_read_arrive_together() {
    let mut body = role_chunk();
    for i in 0..10 {
        body.push_str(&chunk(&format!("t{i} ")));
    }
    body.push_str(&tail());
    let (sink, result) = run(Reply::sse().write(body)).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(sink.text(), "t0 t1 t2 t3 t4 t5 t6 t7 t8 t9 ");
    assert_eq!(sink.flushes, vec![10], "one read, one flush");
}

#[tokio::test]
async fn one_event_split_across_many_reads() {
    let event = chunk("split into many pieces");
    let cuts: Vec<usize> = (1..event.len()).step_by(9).collect();
    let reply = Reply::sse()
        .write_split(&event, &cuts, Duration::from_millis(5))
        .write(tail());
    let (sink, result) = run(reply).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(sink.text(), "split into many pieces");
}

#[tokio::test]
async fn tokens_that_arrive_alone_are_flushed_alone() {
    let mut reply = Reply::sse();
    for t in ["One", " two", " three"] {
        reply = reply.write(chunk(t)).pause(PAUSE);
    }
    let (sink, result) = run(reply.write(tail())).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(sink.flushes, vec![1, 1, 1]);
}

#[tokio::test]
async fn crlf_line_endings_even_split_between_cr_and_lf() {
    let body = format!("{}{}{}", chunk("Hello"), chunk(" world"), tail()).replace('\n', "\r\n");
    let cut = body.find("\r\n").unwrap() + 1;
    let (sink, result) = run(Reply::sse().write_split(&body, &[cut], PAUSE)).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(sink.text(), "Hello world");
}

#[tokio::test]
async fn comment_keep_alives_are_skipped() {
    let reply = Reply::sse()
        .write(": OPENROUTER PROCESSING\n\n")
        .write(chunk("a"))
        .write(":keep-alive\n\n")
        .pause(PAUSE)
        .write(": ping\n\n")
        .write(chunk("b"))
        .write(tail());
    let (sink, result) = run(reply).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(sink.text(), "ab");
}

#[tokio::test]
async fn event_id_and_retry_fields_and_data_without_space() {
    let json = r#"{"choices":[{"delta":{"content":"x"}}]}"#;
    let body = format!(
        "event: message\nid: 41\nretry: 3000\ndata: {json}\n\nid: 42\ndata:{json}\n\nretry: 10\ndata:{}\n\n{DONE}",
        r#"{"choices":[{"delta":{"content":"y"},"finish_reason":"stop"}]}"#
    );
    let (sink, result) = run(Reply::sse().write(body)).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(sink.text(), "xxy");
}

#[tokio::test]
async fn close_delimited_bodies_work_too() {
    let reply = Reply::sse()
        .write(chunk("no"))
        .write(chunk(" chunking"))
        .write(tail())
        .close_delimited();
    let (sink, result) = run(reply).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(sink.text(), "no chunking");
}

// ---------------------------------------------------------------- payload shapes

#[tokio::test]
async fn azure_content_filter_chunk_with_empty_choices_first() {
    let azure = r#"data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}}}]}"#;
    let reply = Reply::sse()
        .write(format!("{azure}\n\n"))
        .write(chunk("ok"))
        .write(tail());
    let (sink, result) = run(reply).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(sink.text(), "ok");
}

#[tokio::test]
async fn final_usage_chunk_with_empty_choices() {
    let reply = Reply::sse()
        .write(chunk("hi"))
        .write(finish_chunk("stop"))
        .write(usage_chunk(11, 22))
        .write(DONE);
    let (sink, result) = run(reply).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(
        sink.usage(),
        Some(Usage {
            prompt_tokens: 11,
            completion_tokens: 22
        })
    );
}

#[tokio::test]
async fn role_only_first_delta_and_null_content() {
    let reply = Reply::sse()
        .write(
            r#"data: {"choices":[{"index":0,"delta":{"role":"assistant"}}]}"#.to_owned() + "\n\n",
        )
        .write(r#"data: {"choices":[{"index":0,"delta":{"content":null}}]}"#.to_owned() + "\n\n")
        .write(chunk("text"))
        .write(tail());
    let (sink, result) = run(reply).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(sink.text(), "text");
    assert_eq!(sink.events.len(), 1, "no empty deltas: {:?}", sink.events);
}

#[tokio::test]
async fn reasoning_tokens_are_reported_apart_from_the_answer() {
    let reply = Reply::sse()
        .write(reasoning_chunk("reasoning_content", "Think"))
        .write(reasoning_chunk("reasoning", " harder."))
        .write(chunk("Answer."))
        .write(tail());
    let (sink, result) = run(reply).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(sink.reasoning(), "Think harder.");
    assert_eq!(sink.text(), "Answer.");
}

#[tokio::test]
async fn a_refusal_is_shown_as_the_answer() {
    let refusal = r#"data: {"choices":[{"delta":{"refusal":"I can't help with that."},"finish_reason":null}]}"#;
    let (sink, result) = run(Reply::sse().write(format!("{refusal}\n\n")).write(tail())).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(sink.text(), "I can't help with that.");
}

// ---------------------------------------------------------------- how a stream ends

#[tokio::test]
async fn done_without_finish_reason_is_complete() {
    let (sink, result) = run(Reply::sse().write(chunk("a")).write(DONE)).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(sink.text(), "a");
}

#[tokio::test]
async fn finish_reason_without_done_is_complete() {
    let (_, result) = run(Reply::sse().write(chunk("a")).write(finish_chunk("stop"))).await;
    assert_eq!(result, Ok(FinishReason::Stop));
}

#[tokio::test]
async fn finish_reason_then_a_stall_is_still_complete() {
    let server = MockServer::start().await.unwrap();
    server.push(
        Reply::sse()
            .write(chunk("a"))
            .write(finish_chunk("stop"))
            .stall(),
    );
    let (sink, result) = run_with(&server, idle(300)).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(sink.text(), "a");
}

#[tokio::test]
async fn length_and_content_filter_are_complete_but_reported() {
    let (_, result) = run(Reply::sse()
        .write(chunk("a"))
        .write(finish_chunk("length"))
        .write(DONE))
    .await;
    assert_eq!(result, Ok(FinishReason::Length));
    let (_, result) = run(Reply::sse()
        .write(chunk("a"))
        .write(finish_chunk("content_filter"))
        .write(DONE))
    .await;
    assert_eq!(result, Ok(FinishReason::ContentFilter));
}

#[tokio::test]
async fn a_stream_that_just_ends_is_interrupted_and_keeps_its_text() {
    for framing_close in [false, true] {
        let mut reply = Reply::sse().write(chunk("Partial")).write(chunk(" answer"));
        if framing_close {
            reply = reply.close_delimited();
        }
        let (sink, result) = run(reply).await;
        let err = result.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Interrupted);
        assert!(
            err.message.contains("before the answer was complete"),
            "{}",
            err.message
        );
        assert_eq!(sink.text(), "Partial answer");
    }
}

#[tokio::test]
async fn an_error_object_mid_stream_fails_with_the_servers_message() {
    let reply = Reply::sse()
        .write(chunk("Some text"))
        .pause(PAUSE)
        .write(event(&serde_json::json!({"error": {"message": "The model is overloaded", "type": "server_error"}})));
    let (sink, result) = run(reply).await;
    let err = result.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Server);
    assert!(
        err.message.contains("The model is overloaded"),
        "{}",
        err.message
    );
    assert_eq!(sink.text(), "Some text");
}

#[tokio::test]
async fn a_malformed_payload_is_a_protocol_error_naming_the_problem() {
    let reply = Reply::sse()
        .write(chunk("fine"))
        .write("data: {\"choices\": [ oops\n\n");
    let (sink, result) = run(reply).await;
    let err = result.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Protocol);
    assert!(err.message.contains("expected value"), "{}", err.message);
    assert!(
        err.message.contains("{\"choices\": [ oops"),
        "{}",
        err.message
    );
    assert_eq!(sink.text(), "fine");
}

#[tokio::test]
async fn a_server_that_ignores_stream_true_still_answers() {
    let body = r#"{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Whole answer."},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2}}"#;
    let (sink, result) = run(Reply::status(200, "application/json", body)).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(sink.text(), "Whole answer.");
    assert_eq!(sink.usage().map(|u| u.completion_tokens), Some(2));
}

#[tokio::test]
async fn a_web_page_instead_of_a_stream_is_explained() {
    let (_, result) = run(Reply::status(
        200,
        "text/html",
        "<html><title>Welcome</title></html>",
    ))
    .await;
    let err = result.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Protocol);
    assert!(err.message.contains("base URL"), "{}", err.message);
}

// ---------------------------------------------------------------- HTTP errors

async fn http_error(reply: Reply) -> ChatError {
    let (sink, result) = run(reply).await;
    assert!(sink.events.is_empty());
    result.unwrap_err()
}

#[tokio::test]
async fn unauthorized_and_forbidden_are_auth_errors() {
    let e = http_error(Reply::error(
        401,
        "Incorrect API key provided: sk-test-key-000000001234.",
        "invalid_request_error",
        Some("invalid_api_key"),
    ))
    .await;
    assert_eq!((e.kind, e.status), (ErrorKind::Auth, Some(401)));
    assert!(e.message.contains("rejected the API key"), "{}", e.message);
    assert!(
        !e.message.contains("sk-test-key-000000001234"),
        "key leaked: {}",
        e.message
    );
    assert!(
        !e.message.contains("1234"),
        "key tail leaked: {}",
        e.message
    );
    let e = http_error(Reply::status(403, "text/plain", "Forbidden")).await;
    assert_eq!(e.kind, ErrorKind::Auth);
}

#[tokio::test]
async fn rate_limit_carries_when_to_retry() {
    let e = http_error(
        Reply::error(
            429,
            "Rate limit reached",
            "requests",
            Some("rate_limit_exceeded"),
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
    let e = http_error(
        Reply::error(429, "Slow down", "requests", None).header("retry-after-ms", "1500"),
    )
    .await;
    assert_eq!(e.retry_after_secs, Some(2));
}

#[tokio::test]
async fn insufficient_quota_is_quota_not_rate_limit() {
    let e = http_error(Reply::error(
        429,
        "You exceeded your current quota",
        "insufficient_quota",
        Some("insufficient_quota"),
    ))
    .await;
    assert_eq!(e.kind, ErrorKind::Quota);
}

#[tokio::test]
async fn bad_request_and_context_too_long() {
    let e = http_error(Reply::error(
        400,
        "Invalid value for 'temperature'",
        "invalid_request_error",
        None,
    ))
    .await;
    assert_eq!(e.kind, ErrorKind::BadRequest);
    assert!(
        e.message.contains("Invalid value for 'temperature'"),
        "{}",
        e.message
    );
    let e = http_error(Reply::error(400, "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.", "invalid_request_error", Some("context_length_exceeded"))).await;
    assert_eq!(e.kind, ErrorKind::ContextTooLong);
}

#[tokio::test]
async fn server_errors_with_json_html_or_empty_bodies_all_read_clearly() {
    let e = http_error(Reply::error(
        500,
        "The server had an error while processing your request.",
        "server_error",
        None,
    ))
    .await;
    assert_eq!((e.kind, e.status), (ErrorKind::Server, Some(500)));
    assert!(
        e.message
            .contains("The server had an error while processing your request."),
        "{}",
        e.message
    );

    let e = http_error(Reply::status(502, "text/html", "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>")).await;
    assert_eq!(e.kind, ErrorKind::Server);
    assert_eq!(e.message, "The server had an error (502 Bad Gateway): the server answered with an HTML page titled “502 Bad Gateway”.");

    let e = http_error(Reply::status(503, "", "")).await;
    assert_eq!(e.kind, ErrorKind::Server);
    assert_eq!(
        e.message,
        "The server had an error (503 Service Unavailable): the server gave no details."
    );
}

#[tokio::test]
async fn unknown_path_says_to_check_the_base_url() {
    let e = http_error(Reply::status(404, "text/plain", "404 page not found")).await;
    assert_eq!(e.kind, ErrorKind::BadRequest);
    assert!(e.message.contains("check the base URL"), "{}", e.message);
}

// ---------------------------------------------------------------- timeouts and size

#[tokio::test]
async fn a_stall_mid_answer_times_out_and_keeps_the_text() {
    let server = MockServer::start().await.unwrap();
    server.push(Reply::sse().write(chunk("Before the stall")).stall());
    let (sink, result) = run_with(&server, idle(400)).await;
    let err = result.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout);
    assert!(err.message.contains("400 ms"), "{}", err.message);
    assert_eq!(sink.text(), "Before the stall");
    assert!(server.wait_for_disconnects(1, Duration::from_secs(5)).await);
}

#[tokio::test]
async fn slow_but_steady_answers_never_time_out() {
    // Longer in total than the idle timeout, but never silent for that long.
    let server = MockServer::start().await.unwrap();
    let mut reply = Reply::sse();
    for i in 0..8 {
        reply = reply
            .write(chunk(&format!("{i}")))
            .pause(Duration::from_millis(100));
    }
    server.push(reply.write(tail()));
    let (sink, result) = run_with(&server, idle(400)).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(sink.text(), "01234567");
}

#[tokio::test]
async fn keep_alive_comments_while_the_model_thinks_are_not_silence() {
    // OpenRouter sends `: OPENROUTER PROCESSING` while a reasoning model thinks; here for
    // three times the idle timeout before the first token.
    let server = MockServer::start().await.unwrap();
    let mut reply = Reply::sse();
    for _ in 0..12 {
        reply = reply
            .write(": OPENROUTER PROCESSING\n\n")
            .pause(Duration::from_millis(100));
    }
    server.push(reply.write(chunk("Thought it through")).write(tail()));
    let (sink, result) = run_with(&server, idle(400)).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(sink.text(), "Thought it through");
}

#[tokio::test]
async fn a_runaway_reply_stops_at_the_size_limit_and_keeps_its_text() {
    let server = MockServer::start().await.unwrap();
    // Far more than the limit, as fast as the server can send it.
    server.push(Reply::sse().tokens(200_000, 4096, Duration::ZERO));
    let limit = 64 * 1024;
    let options = ClientOptions {
        max_reply_bytes: limit,
        ..options()
    };
    let (sink, result) = run_with(&server, options).await;
    let err = result.unwrap_err();
    assert_eq!(err.kind, ErrorKind::TooLarge);
    assert!(err.message.contains("64 KiB"), "{}", err.message);
    let text = sink.text();
    assert!(
        text.len() <= limit && text.len() > limit - 64,
        "{}",
        text.len()
    );
    assert!(
        tokens_text(200_000).starts_with(&text),
        "the text so far is kept, in order"
    );
    assert!(server.wait_for_disconnects(1, Duration::from_secs(5)).await);
}

#[tokio::test]
async fn an_endless_line_is_cut_off_with_the_text_before_it_kept() {
    let server = MockServer::start().await.unwrap();
    let mut reply = Reply::sse().write(chunk("Before")).write("data: {\"x\":\"");
    for _ in 0..64 {
        reply = reply.write("y".repeat(16 * 1024));
    }
    server.push(reply.stall());
    let options = ClientOptions {
        max_event_bytes: 256 * 1024,
        ..options()
    };
    let (sink, result) = run_with(&server, options).await;
    let err = result.unwrap_err();
    assert_eq!(err.kind, ErrorKind::TooLarge);
    assert!(err.message.contains("256 KiB"), "{}", err.message);
    assert_eq!(sink.text(), "Before");
}

#[tokio::test]
async fn no_response_headers_within_the_idle_timeout() {
    // A server that accepts the connection and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(socket);
    });
    let client = LlmClient::new(idle(300)).unwrap();
    let endpoint = Endpoint::new(&format!("http://{addr}/v1"), None).unwrap();
    let mut sink = Collected::default();
    let err = client
        .stream_chat(&endpoint, &request(), &mut sink)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout);
    hold.abort();
}

#[tokio::test]
async fn a_server_that_is_down_is_a_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = LlmClient::new(options()).unwrap();
    let endpoint = Endpoint::new(&format!("http://{addr}/v1"), None).unwrap();
    let mut sink = Collected::default();
    let err = client
        .stream_chat(&endpoint, &request(), &mut sink)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Network);
    assert!(
        err.message.starts_with("Could not connect to 127.0.0.1"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_one_megabyte_delta() {
    let big: String = "ab€\n".repeat(250_000);
    let event = chunk(&big);
    let cuts: Vec<usize> = (1..event.len()).step_by(65_537).collect();
    let reply = Reply::sse()
        .write_split(&event, &cuts, Duration::ZERO)
        .write(tail());
    let (sink, result) = run(reply).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(sink.text().len(), big.len());
    assert!(sink.text() == big);
}

#[tokio::test]
async fn a_two_hundred_thousand_token_answer() {
    let n = 200_000;
    let reply = Reply::sse()
        .write(role_chunk())
        .tokens(n, 64 * 1024, Duration::ZERO)
        .write(finish_chunk("stop"))
        .write(usage_chunk(5, n as u64))
        .write(DONE);
    let (sink, result) = run(reply).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    let text = sink.text();
    assert_eq!(text.len(), tokens_text(n).len());
    assert!(text == tokens_text(n));
    assert_eq!(sink.usage().map(|u| u.completion_tokens), Some(n as u64));
}

// ---------------------------------------------------------------- cancellation

#[tokio::test]
async fn dropping_the_stream_closes_the_connection_at_once() {
    let server = MockServer::start().await.unwrap();
    server.push(Reply::sse().write(chunk("streaming…")).stall());
    let client = LlmClient::new(options()).unwrap();
    let endpoint = endpoint(&server);
    let mut sink = Collected::default();
    let req = request();
    let stream = client.stream_chat(&endpoint, &req, &mut sink);
    // Give up after the first token has surely arrived.
    let outcome = tokio::time::timeout(Duration::from_millis(300), stream).await;
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

#[tokio::test]
async fn cancelling_a_reply_keeps_its_text_and_says_cancelled() {
    let server = MockServer::start().await.unwrap();
    server.push(
        Reply::sse()
            .write(chunk("Half an"))
            .pause(PAUSE)
            .write(chunk(" answer"))
            .stall(),
    );
    let client = LlmClient::new(options()).unwrap();
    let cancel = CancellationToken::new();
    let mut events = Vec::new();
    let stopper = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            cancel.cancel();
        })
    };
    let ids = StreamIds {
        stream_id: "s1".into(),
        ..StreamIds::default()
    };
    let outcome = stream_reply(
        &client,
        &endpoint(&server),
        &request(),
        ids,
        &mut |e| events.push(e),
        &cancel,
        None,
    )
    .await;
    stopper.await.unwrap();
    assert_eq!(outcome.result, Ok(FinishReason::Cancelled));
    assert_eq!(outcome.text, "Half an answer");
    assert!(
        matches!(events.first(), Some(ChatEvent::Started { stream_id, .. }) if stream_id == "s1")
    );
    assert_eq!(
        events.last(),
        Some(&ChatEvent::Finished {
            finish_reason: FinishReason::Cancelled
        })
    );
    assert!(server.wait_for_disconnects(1, Duration::from_secs(2)).await);
}

#[tokio::test]
async fn reply_events_end_with_exactly_one_failure_and_keep_the_text() {
    let server = MockServer::start().await.unwrap();
    server.push(Reply::sse().write(chunk("Kept")).close_delimited());
    let client = LlmClient::new(options()).unwrap();
    let mut events = Vec::new();
    let outcome = stream_reply(
        &client,
        &endpoint(&server),
        &request(),
        StreamIds::default(),
        &mut |e| events.push(e),
        &CancellationToken::new(),
        None,
    )
    .await;
    assert_eq!(outcome.text, "Kept");
    let ends: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, ChatEvent::Finished { .. } | ChatEvent::Failed { .. }))
        .collect();
    assert_eq!(ends.len(), 1);
    assert!(
        matches!(events.last(), Some(ChatEvent::Failed { error }) if error.kind == ErrorKind::Interrupted)
    );
}

// ---------------------------------------------------------------- retries

fn retrying(max_retries: u32) -> ClientOptions {
    ClientOptions {
        retry: RetryPolicy {
            max_retries,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(2),
        },
        ..options()
    }
}

#[tokio::test]
async fn server_errors_before_the_first_token_are_retried() {
    let server = MockServer::start().await.unwrap();
    server.push(Reply::status(503, "", ""));
    server.push(Reply::status(
        502,
        "text/html",
        "<title>Bad Gateway</title>",
    ));
    server.push(Reply::answer(&["Third", " time"]));
    let (sink, result) = run_with(&server, retrying(2)).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(sink.text(), "Third time");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(
        requests[0].body, requests[2].body,
        "the same request is sent again"
    );
}

#[tokio::test]
async fn retries_honour_retry_after_and_give_up_when_it_is_too_long() {
    let server = MockServer::start().await.unwrap();
    server.push(Reply::error(429, "slow down", "requests", None).header("retry-after-ms", "50"));
    server.push(Reply::answer(&["ok"]));
    let (_, result) = run_with(&server, retrying(2)).await;
    assert_eq!(result, Ok(FinishReason::Stop));
    assert_eq!(server.requests().len(), 2);

    let server = MockServer::start().await.unwrap();
    server.push(
        Reply::error(429, "come back in an hour", "requests", None).header("retry-after", "3600"),
    );
    let (_, result) = run_with(&server, retrying(2)).await;
    let err = result.unwrap_err();
    assert_eq!(
        (err.kind, err.retry_after_secs),
        (ErrorKind::RateLimited, Some(3600))
    );
    assert_eq!(
        server.requests().len(),
        1,
        "a wait beyond the cap is reported, not waited out"
    );
}

#[tokio::test]
async fn what_cannot_succeed_is_not_retried() {
    for reply in [
        Reply::error(
            429,
            "quota",
            "insufficient_quota",
            Some("insufficient_quota"),
        ),
        Reply::error(
            401,
            "bad key",
            "invalid_request_error",
            Some("invalid_api_key"),
        ),
        Reply::error(400, "bad request", "invalid_request_error", None),
    ] {
        let server = MockServer::start().await.unwrap();
        server.push(reply);
        let (_, result) = run_with(&server, retrying(3)).await;
        assert!(result.is_err());
        assert_eq!(server.requests().len(), 1);
    }
}

#[tokio::test]
async fn nothing_is_resent_once_text_was_shown() {
    let server = MockServer::start().await.unwrap();
    server.push(Reply::sse().write(chunk("Shown")).write(event(
        &serde_json::json!({"error": {"message": "boom", "type": "server_error"}}),
    )));
    server.push(Reply::answer(&["should never be requested"]));
    let (sink, result) = run_with(&server, retrying(3)).await;
    assert!(result.is_err());
    assert_eq!(sink.text(), "Shown");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn retries_run_out() {
    let server = MockServer::start().await.unwrap();
    for _ in 0..3 {
        server.push(Reply::status(500, "text/plain", "down"));
    }
    let (_, result) = run_with(&server, retrying(2)).await;
    assert_eq!(result.unwrap_err().kind, ErrorKind::Server);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn one_client_reuses_its_connection() {
    let server = MockServer::start().await.unwrap();
    server.push(Reply::answer(&["one"]));
    server.push(Reply::answer(&["two"]));
    let client = LlmClient::new(options()).unwrap();
    let endpoint = endpoint(&server);
    for expected in ["one", "two"] {
        let mut sink = Collected::default();
        client
            .stream_chat(&endpoint, &request(), &mut sink)
            .await
            .unwrap();
        assert_eq!(sink.text(), expected);
    }
    assert_eq!(server.connections(), 1);
}

/// A front end reloads the conversation when a reply's last event arrives: by then the reply
/// must be saved with its whole text and final status, not its last checkpoint.
#[tokio::test]
async fn the_reply_is_saved_before_its_last_event_is_sent() {
    use palaver_core::chat::run_turn;
    use palaver_core::history::{HistoryDb, MessageStatus, Source, TurnKind, TurnRequest};
    let server = MockServer::start().await.unwrap();
    server.push(Reply::answer(&["Saved", " before", " the end."]));
    let history = HistoryDb::open(std::path::Path::new(":memory:")).unwrap();
    let turn = history
        .begin_turn(&TurnRequest {
            conversation_id: None,
            kind: TurnKind::Ask {
                text: "Hi".to_owned(),
            },
            model: "mock-model".to_owned(),
            system_prompt: String::new(),
            profile: "openai".to_owned(),
            source: Source::App,
        })
        .unwrap();
    let client = LlmClient::new(options()).unwrap();
    let mut seen_at_the_end = None;
    let mut sink = |event: ChatEvent| {
        if matches!(event, ChatEvent::Finished { .. }) {
            let stored = history.conversation(&turn.conversation_id).unwrap();
            let reply = stored.messages.last().unwrap();
            seen_at_the_end = Some((reply.status, reply.content.clone()));
        }
    };
    let (outcome, save_error) = run_turn(
        &client,
        &endpoint(&server),
        &history,
        &turn,
        &palaver_core::chat::Sampling {
            model: "mock-model".into(),
            temperature: None,
            max_tokens: None,
        },
        "stream".to_owned(),
        &mut sink,
        &CancellationToken::new(),
    )
    .await;
    assert!(save_error.is_none() && outcome.result.is_ok());
    assert_eq!(
        seen_at_the_end,
        Some((MessageStatus::Complete, "Saved before the end.".to_owned()))
    );
}
