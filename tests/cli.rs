//! `palaver ask` as a person uses it in a terminal: the real binary against the mock server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mock_openai::{chunk, event, finish_chunk, reasoning_chunk, MockServer, Reply, DONE};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

const KEY: &str = "sk-cli-test-key-9876543210ABCD";

/// The binary with a clean environment: no user keyring (the D-Bus address leads nowhere,
/// so the keyring fails fast), the key from `OPENAI_API_KEY`.
fn palaver(server: &MockServer) -> Command {
    in_test_env(Command::new(env!("CARGO_BIN_EXE_palaver")), server)
}

/// `cmd` (the binary, or a program that starts it) with the tests' environment and pipes.
fn in_test_env(mut cmd: Command, server: &MockServer) -> Command {
    cmd.env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("PALAVER_MODEL")
        .env_remove("PALAVER_LOG")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/palaver-test-bus",
        )
        .env("OPENAI_API_KEY", KEY)
        .env("OPENAI_BASE_URL", server.base_url())
        .env("PALAVER_DATA_DIR", data_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// One history for this test process, away from the user's.
fn data_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("palaver-cli-tests-{}", std::process::id()))
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn finish(child: Child) -> Output {
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("palaver did not exit")
        .unwrap();
    let o = Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    assert!(
        !o.stdout.contains(KEY) && !o.stderr.contains(KEY),
        "the key leaked:\n{}\n{}",
        o.stdout,
        o.stderr
    );
    o
}

async fn ask(server: &MockServer, args: &[&str]) -> Output {
    finish(palaver(server).arg("ask").args(args).spawn().unwrap()).await
}

#[tokio::test]
async fn prints_the_answer_and_a_final_newline() {
    let server = MockServer::start().await.unwrap();
    server.push(Reply::answer(&["The capital", " of Peru", " is Lima."]));
    let out = ask(
        &server,
        &["-m", "mock-model", "What is the capital of Peru?"],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "The capital of Peru is Lima.\n");
    assert_eq!(out.stderr, "");
    let body = server.requests()[0].json();
    assert_eq!(body["model"], "mock-model");
    assert_eq!(
        body["messages"][0]["content"],
        "What is the capital of Peru?"
    );
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[tokio::test]
async fn system_prompt_and_temperature_are_sent() {
    let server = MockServer::start().await.unwrap();
    server.push(Reply::answer(&["ok"]));
    let out = ask(
        &server,
        &["-s", "Answer in French.", "--temperature", "0.2", "Hello"],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let body = server.requests()[0].json();
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["messages"][0]["content"], "Answer in French.");
    assert!((body["temperature"].as_f64().unwrap() - 0.2).abs() < 1e-6);
}

#[tokio::test]
async fn reads_the_prompt_from_stdin() {
    let server = MockServer::start().await.unwrap();
    server.push(Reply::answer(&["Read it."]));
    let mut child = palaver(&server)
        .arg("ask")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all("line one\nline two\n".as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let out = finish(child).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        server.requests()[0].json()["messages"][0]["content"],
        "line one\nline two\n"
    );
}

#[tokio::test]
async fn each_token_is_visible_at_once_and_ctrl_c_closes_the_connection() {
    let server = MockServer::start().await.unwrap();
    server.push(Reply::sse().write(chunk("First words")).stall());
    let mut child = palaver(&server)
        .args(["ask", "--idle-timeout", "60", "Tell me a story"])
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let got_token = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 256];
        while !String::from_utf8_lossy(&seen).contains("First words") {
            let n = stdout.read(&mut buf).await.unwrap();
            assert!(n > 0, "stdout closed early");
            seen.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    assert!(
        got_token.is_ok(),
        "the first token was not shown while the stream was still open"
    );
    assert_eq!(server.completed(), 0);

    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        server.wait_for_disconnects(1, Duration::from_secs(5)).await,
        "the server still streams after Ctrl-C"
    );
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).await.unwrap();
    seen.extend_from_slice(&rest);
    let out = finish(child).await;
    assert_eq!(out.code, 130);
    assert_eq!(
        String::from_utf8(seen).unwrap(),
        "First words\n",
        "the partial text stays"
    );
    assert!(out.stderr.contains("interrupted"), "{}", out.stderr);
}

#[tokio::test]
async fn json_prints_one_chat_event_per_line() {
    let server = MockServer::start().await.unwrap();
    server.push(Reply::answer(&["Hi", " there"]));
    let out = ask(&server, &["--json", "Hello"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let events: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.first().unwrap()["type"], "started");
    assert!(events.first().unwrap()["streamId"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    let text: String = events
        .iter()
        .filter(|e| e["type"] == "delta")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, "Hi there");
    assert!(events
        .iter()
        .any(|e| e["type"] == "usage" && e["completionTokens"] == 2));
    assert_eq!(
        events.last().unwrap(),
        &serde_json::json!({"type": "finished", "finishReason": "stop"})
    );
}

#[tokio::test]
async fn a_wrong_key_fails_with_a_clear_message_and_no_key_in_it() {
    let server = MockServer::start().await.unwrap();
    server.push(Reply::error(
        401,
        &format!("Incorrect API key provided: {KEY}."),
        "invalid_request_error",
        Some("invalid_api_key"),
    ));
    let out = ask(&server, &["Hello"]).await;
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .starts_with("error [auth]: The server rejected the API key (401 Unauthorized)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("palaver key status"), "{}", out.stderr);
}

#[tokio::test]
async fn a_rate_limit_says_when_to_retry() {
    let server = MockServer::start().await.unwrap();
    server.push(
        Reply::error(
            429,
            "Rate limit reached for requests",
            "requests",
            Some("rate_limit_exceeded"),
        )
        .header("retry-after", "30"),
    );
    let out = ask(&server, &["--retries", "0", "Hello"]).await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("error [rate_limited]"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("try again in 30 seconds"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn a_mid_stream_error_keeps_the_partial_text_on_stdout() {
    let server = MockServer::start().await.unwrap();
    server.push(Reply::sse().write(chunk("Partial answer")).write(event(
        &serde_json::json!({"error": {"message": "The model crashed", "type": "server_error"}}),
    )));
    let out = ask(&server, &["Hello"]).await;
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "Partial answer\n");
    assert!(
        out.stderr
            .contains("error [server]: The server reported an error mid-answer: The model crashed"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn a_server_that_is_down() {
    let server = MockServer::start().await.unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/v1", listener.local_addr().unwrap());
    drop(listener);
    let out = ask(&server, &["--base-url", &dead, "--retries", "0", "Hello"]).await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("error [network]: Could not connect to 127.0.0.1"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("hint: is the server at"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn a_stall_times_out_after_the_idle_timeout() {
    let server = MockServer::start().await.unwrap();
    server.push(Reply::sse().write(chunk("So far")).stall());
    let out = ask(&server, &["--idle-timeout", "0.5", "Hello"]).await;
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "So far\n");
    assert!(out.stderr.contains("error [timeout]"), "{}", out.stderr);
}

#[tokio::test]
async fn length_and_content_filter_finish_with_a_note() {
    let server = MockServer::start().await.unwrap();
    server.push(
        Reply::sse()
            .write(chunk("Cut"))
            .write(finish_chunk("length"))
            .write(DONE),
    );
    let out = ask(&server, &["Hello"]).await;
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, "Cut\n");
    assert!(out.stderr.contains("length limit"), "{}", out.stderr);
    server.push(
        Reply::sse()
            .write(chunk("Filtered"))
            .write(finish_chunk("content_filter"))
            .write(DONE),
    );
    let out = ask(&server, &["Hello"]).await;
    assert_eq!(out.code, 0);
    assert!(out.stderr.contains("content filter"), "{}", out.stderr);
}

#[tokio::test]
async fn reasoning_goes_to_stderr_only_when_asked() {
    let server = MockServer::start().await.unwrap();
    let reply = || {
        Reply::sse()
            .write(reasoning_chunk("reasoning_content", "Pondering."))
            .write(chunk("Answer."))
            .write(finish_chunk("stop"))
            .write(DONE)
    };
    server.push(reply());
    let out = ask(&server, &["Hello"]).await;
    assert_eq!(out.stdout, "Answer.\n");
    assert!(!out.stderr.contains("Pondering"));
    server.push(reply());
    let out = ask(&server, &["--show-reasoning", "Hello"]).await;
    assert_eq!(out.stdout, "Answer.\n");
    assert!(out.stderr.contains("Pondering."), "{}", out.stderr);
}

#[tokio::test]
async fn usage_errors_exit_2() {
    let server = MockServer::start().await.unwrap();
    let out = ask(&server, &["--temperature", "7", "Hello"]).await;
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("between 0 and 2"), "{}", out.stderr);
    let out = ask(&server, &["--base-url", "localhost:11434", "Hello"]).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("not a usable base URL"),
        "{}",
        out.stderr
    );
    let out = ask(&server, &["   "]).await;
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("the prompt is empty"), "{}", out.stderr);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn no_key_for_openai_exits_2_and_says_how_to_set_one() {
    let server = MockServer::start().await.unwrap();
    let child = palaver(&server)
        .env_remove("OPENAI_API_KEY")
        .args(["ask", "--base-url", "https://api.openai.com/v1", "Hello"])
        .spawn()
        .unwrap();
    let out = finish(child).await;
    assert_eq!(out.code, 2);
    // No Secret Service on this test's bus: the message says so and names both ways out.
    assert!(
        out.stderr.contains("error [keyring_unavailable]")
            || out.stderr.contains("error [no_api_key]"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("OPENAI_API_KEY"), "{}", out.stderr);
}

#[tokio::test]
async fn a_local_server_needs_no_key() {
    let server = MockServer::start().await.unwrap();
    server.push(Reply::answer(&["Local answer"]));
    let child = palaver(&server)
        .env_remove("OPENAI_API_KEY")
        .args(["ask", "Hello"])
        .spawn()
        .unwrap();
    let out = finish(child).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "Local answer\n");
    assert_eq!(server.requests()[0].header("authorization"), None);
}

#[tokio::test]
async fn keep_alive_comments_while_the_model_thinks_do_not_time_out() {
    // Three times the idle timeout of `: OPENROUTER PROCESSING`, then the answer.
    let server = MockServer::start().await.unwrap();
    let mut reply = Reply::sse();
    for _ in 0..6 {
        reply = reply
            .write(": OPENROUTER PROCESSING\n\n")
            .pause(Duration::from_millis(500));
    }
    server.push(
        reply
            .write(chunk("Worth the wait."))
            .write(finish_chunk("stop"))
            .write(DONE),
    );
    let out = ask(&server, &["--idle-timeout", "1", "Think hard"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "Worth the wait.\n");
}

#[tokio::test]
async fn a_runaway_server_is_stopped_at_the_reply_size_limit() {
    let server = MockServer::start().await.unwrap();
    server.push(Reply::sse().tokens(2_000_000, 8192, Duration::ZERO));
    let out = ask(&server, &["--max-reply-size", "0.25", "Go on forever"]).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("error [too_large]: The reply passed 256 KiB"),
        "{}",
        out.stderr
    );
    let shown = out.stdout.trim_end_matches('\n');
    assert!(
        shown.len() > 250 * 1024 && shown.len() <= 256 * 1024,
        "{}",
        shown.len()
    );
    assert!(mock_openai::tokens_text(2_000_000).starts_with(shown));
    assert!(server.wait_for_disconnects(1, Duration::from_secs(5)).await);
}

/// Escape sequences from a server (OSC 52 writes the clipboard, OSC 8 hides a link target)
/// never reach a terminal: not in error messages, not in an answer shown on a terminal.
#[tokio::test]
async fn escape_sequences_from_a_server_never_reach_the_terminal() {
    let server = MockServer::start().await.unwrap();
    let hostile = "Done\u{1b}]52;c;cm0gLXJmIH4=\u{7} \u{1b}]8;;https://evil.example\u{1b}\\here\u{1b}]8;;\u{1b}\\";
    server.push(Reply::error(
        400,
        "bad \u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}request",
        "invalid_request_error",
        None,
    ));
    let out = ask(&server, &["Hello"]).await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("bad [2J]52;c;ZXZpbA==request"),
        "{:?}",
        out.stderr
    );
    assert!(!out.stderr.contains('\u{1b}') && !out.stderr.contains('\u{7}'));

    // On a terminal (a pseudo-terminal from `script`), the answer is shown without them.
    server.push(Reply::answer(&[hostile]));
    let command = format!("{} ask Hello", env!("CARGO_BIN_EXE_palaver"));
    let mut script = Command::new("script");
    script.args(["-qefc", &command, "/dev/null"]);
    let child = in_test_env(script, &server).spawn().unwrap();
    let out = finish(child).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("Done]52;c;cm0gLXJmIH4= ]8;;https://evil.example\\here"),
        "{:?}",
        out.stdout
    );
    assert!(
        !out.stdout.contains('\u{1b}') && !out.stdout.contains('\u{7}'),
        "{:?}",
        out.stdout
    );

    // Piped to another program, the answer is the model's text exactly.
    server.push(Reply::answer(&[hostile]));
    let out = ask(&server, &["Hello"]).await;
    assert_eq!(out.stdout, format!("{hostile}\n"));
}
