//! The history from the terminal, and crash safety: the real binary, a real SQLite file in
//! a throw-away data directory, the mock server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mock_openai::{chunk, MockServer, Reply};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::process::Command;

fn palaver(data: &Path, base: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_palaver"));
    cmd.env_remove("OPENAI_BASE_URL")
        .env_remove("PALAVER_MODEL")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/palaver-test-bus",
        )
        .env("OPENAI_API_KEY", "sk-history-test-key-000000000000")
        .env("OPENAI_BASE_URL", base)
        .env("PALAVER_DATA_DIR", data)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

async fn run(data: &Path, base: &str, args: &[&str]) -> (i32, String, String) {
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        palaver(data, base).args(args).output(),
    )
    .await
    .unwrap()
    .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[tokio::test]
async fn ask_saves_the_exchange_and_history_finds_it() {
    let data = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    let base = server.base_url();
    server.push(Reply::answer(&["Lima", " is the capital."]));
    let (code, out, err) = run(data.path(), &base, &["ask", "What is the capital of Peru?"]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "Lima is the capital.\n");

    let (code, list, _) = run(data.path(), &base, &["history", "list"]).await;
    assert_eq!(code, 0);
    assert!(list.contains("What is the capital of Peru?"), "{list}");
    let id = list.split_whitespace().next().unwrap().to_owned();

    let (_, found, _) = run(data.path(), &base, &["history", "search", "capital"]).await;
    assert!(found.contains("«capital»"), "{found}");
    let (_, found, _) = run(
        data.path(),
        &base,
        &["history", "search", "nothing-like-this"],
    )
    .await;
    assert_eq!(found, "");

    let (code, shown, _) = run(data.path(), &base, &["history", "show", &id[..8]]).await;
    assert_eq!(code, 0);
    assert_eq!(
        shown,
        "# What is the capital of Peru?\n\n**You**\n\nWhat is the capital of Peru?\n\n**Assistant** (gpt-4o-mini)\n\nLima is the capital.\n\n"
    );
}

#[tokio::test]
async fn continue_sends_the_whole_conversation_and_no_save_stores_nothing() {
    let data = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    let base = server.base_url();
    server.push(Reply::answer(&["Four."]));
    server.push(Reply::answer(&["Eight."]));
    server.push(Reply::answer(&["Unsaved."]));
    run(
        data.path(),
        &base,
        &["ask", "-s", "Answer with a number.", "2+2?"],
    )
    .await;
    let (code, out, err) = run(data.path(), &base, &["ask", "-c", "Doubled?"]).await;
    assert_eq!((code, out.as_str()), (0, "Eight.\n"), "{err}");
    let body = server.requests()[1].json();
    let sent: Vec<(String, String)> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().to_owned(),
                m["content"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("system", "Answer with a number."),
        ("user", "2+2?"),
        ("assistant", "Four."),
        ("user", "Doubled?"),
    ];
    assert_eq!(sent, expected.map(|(r, c)| (r.to_owned(), c.to_owned())));

    run(data.path(), &base, &["ask", "--no-save", "Secret question"]).await;
    let (_, list, _) = run(data.path(), &base, &["history", "list"]).await;
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(!list.contains("Secret"));
}

#[tokio::test]
async fn export_and_import_round_trip_without_duplicates() {
    let data = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    let base = server.base_url();
    server.push(Reply::answer(&["Bonjour"]));
    run(data.path(), &base, &["ask", "Say hello in French"]).await;
    let (code, json, _) = run(data.path(), &base, &["history", "export"]).await;
    assert_eq!(code, 0);
    let file = data.path().join("export.json");
    std::fs::write(&file, &json).unwrap();

    let (code, _, err) = run(
        other.path(),
        &base,
        &["history", "import", file.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, 0);
    assert!(
        err.contains("Imported 1 conversations (2 messages); 0 were already there."),
        "{err}"
    );
    let (_, err_again) = {
        let (c, _, e) = run(
            other.path(),
            &base,
            &["history", "import", file.to_str().unwrap()],
        )
        .await;
        (c, e)
    };
    assert!(
        err_again.contains("Imported 0 conversations (0 messages); 1 were already there."),
        "{err_again}"
    );
    let (_, again, _) = run(other.path(), &base, &["history", "export"]).await;
    let a: serde_json::Value = serde_json::from_str(&json).unwrap();
    let b: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(a["conversations"], b["conversations"], "lossless");

    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/chatgpt-conversations.json"
    );
    let (code, _, err) = run(other.path(), &base, &["history", "import", fixture]).await;
    assert_eq!(code, 0, "{err}");
    let (_, found, _) = run(other.path(), &base, &["history", "search", "東京の人口"]).await;
    assert!(found.contains("日本語のテスト"), "{found}");
}

#[tokio::test]
async fn a_killed_process_loses_nothing_it_showed() {
    let data = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    let base = server.base_url();
    server.push(
        Reply::sse()
            .write(chunk("The first half of a long answer"))
            .stall(),
    );
    let mut child = palaver(data.path(), &base)
        .args(["ask", "Tell me everything"])
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 256];
        while !String::from_utf8_lossy(&seen).contains("long answer") {
            let n = stdout.read(&mut buf).await.unwrap();
            assert!(n > 0);
            seen.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("the text was never shown");
    // Give the checkpoint its half second, then kill without warning.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .unwrap()
        .success());
    let _ = child.wait().await;

    let (code, shown, err) = run(
        data.path(),
        &base,
        &["history", "export", "--format", "markdown"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(shown.contains("The first half of a long answer"), "{shown}");
    assert!(shown.contains("_(interrupted)_"), "{shown}");
}
