//! The history from the terminal, and crash safety: the real binary, a real SQLite file in
//! a throw-away data directory, the mock server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mock_openai::{chunk, MockServer, Reply};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

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

/// Starts `palaver ask` against a server that sends `text` and then stalls, and returns once
/// `text` is on its stdout and the checkpoint has had its half second.
async fn ask_until_stalled(data: &Path, base: &str, prompt: &str, text: &str) -> Child {
    let mut child = palaver(data, base).args(["ask", prompt]).spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 256];
        while !String::from_utf8_lossy(&seen).contains(text) {
            let n = stdout.read(&mut buf).await.unwrap();
            assert!(n > 0);
            seen.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("the text was never shown");
    tokio::time::sleep(Duration::from_millis(700)).await;
    child
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

    // Times are the reader's local time.
    let in_zone = |tz: &'static str| {
        let mut cmd = palaver(data.path(), &base);
        cmd.env("TZ", tz).args(["history", "list"]);
        async move {
            let out = cmd.output().await.unwrap();
            let list = String::from_utf8(out.stdout).unwrap();
            let when: Vec<String> = list
                .split_whitespace()
                .skip(1)
                .take(2)
                .map(str::to_owned)
                .collect();
            when.join(" ")
        }
    };
    let (utc, india) = (in_zone("UTC0").await, in_zone("IST-5:30").await);
    let minutes = |t: &str| -> i64 {
        let (h, m) = (&t[11..13], &t[14..16]);
        h.parse::<i64>().unwrap() * 60 + m.parse::<i64>().unwrap()
    };
    let shift = (minutes(&india) - minutes(&utc)).rem_euclid(24 * 60);
    assert_eq!(shift, 5 * 60 + 30, "UTC {utc}, India {india}");

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
    // The text is shown and its checkpoint had its half second: kill without warning.
    let mut child =
        ask_until_stalled(data.path(), &base, "Tell me everything", "long answer").await;
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

#[tokio::test]
async fn delete_asks_first_refuses_without_a_terminal_and_yes_deletes() {
    let data = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    let base = server.base_url();
    server.push(Reply::answer(&["Noted."]));
    run(data.path(), &base, &["ask", "Remember qzxj-delete-me-7731"]).await;
    let (_, list, _) = run(data.path(), &base, &["history", "list"]).await;
    let id = list.split_whitespace().next().unwrap().to_owned();

    // No terminal to ask on and no --yes: nothing is deleted.
    let (code, _, err) = run(data.path(), &base, &["history", "delete", &id[..8]]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--yes"), "{err}");
    let (_, list, _) = run(data.path(), &base, &["history", "list"]).await;
    assert!(list.contains(&id), "{list}");

    let (code, _, err) = run(
        data.path(),
        &base,
        &["history", "delete", "--yes", &id[..8]],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Remember qzxj-delete-me-7731"), "{err}");
    let (_, list, _) = run(data.path(), &base, &["history", "list"]).await;
    assert_eq!(list, "");
    let (_, found, _) = run(data.path(), &base, &["history", "search", "qzxj-delete"]).await;
    assert_eq!(found, "");
    for entry in std::fs::read_dir(data.path()).unwrap().flatten() {
        if entry.path().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(
                !bytes.windows(11).any(|w| w == b"qzxj-delete"),
                "{} still holds the text",
                entry.path().display()
            );
        }
    }

    let (code, _, err) = run(
        data.path(),
        &base,
        &["history", "delete", "--yes", "ffffffff"],
    )
    .await;
    assert_eq!(code, 2, "{err}");
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_the_history_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let root = tempfile::tempdir().unwrap();
    let fresh = root.path().join("fresh");
    let (code, _, err) = run(&fresh, "http://127.0.0.1:9/v1", &["history", "list"]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(mode(&fresh), 0o700);
    assert_eq!(mode(&fresh.join("history.db")), 0o600);

    let loose = root.path().join("loose");
    std::fs::create_dir(&loose).unwrap();
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (code, _, err) = run(&loose, "http://127.0.0.1:9/v1", &["history", "list"]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(mode(&loose), 0o700);
}

#[tokio::test]
async fn a_hostile_import_names_what_it_left_out_and_imports_the_rest() {
    let data = tempfile::tempdir().unwrap();
    let base = "http://127.0.0.1:9/v1";
    let node = |id: &str, parent: Option<&str>, text: &str| {
        serde_json::json!({ "id": id, "parent": parent, "message": {
            "author": { "role": "user" }, "create_time": 1_700_000_000.0,
            "content": { "parts": [text] } } })
    };
    let file = data.path().join("conversations.json");
    std::fs::write(
        &file,
        serde_json::to_vec(&serde_json::json!([
            { "title": "Loop\u{1b}]52;c;aGk=\u{7}", "conversation_id": "loop",
              "mapping": { "a": { "id": "a", "parent": "a", "message": null },
                           "c": node("c", Some("a"), "stuck") } },
            { "title": "Fine", "conversation_id": "fine",
              "mapping": { "q": node("q", None, "a fine question") } }
        ]))
        .unwrap(),
    )
    .unwrap();
    let (code, _, err) = run(
        data.path(),
        base,
        &["history", "import", file.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Imported 1 conversations"), "{err}");
    assert!(
        err.contains("Not imported: “Loop]52;c;aGk=” (chatgpt:loop): "),
        "{err}"
    );
    assert!(!err.contains('\u{1b}'), "{err:?}");
    let (_, list, _) = run(data.path(), base, &["history", "list"]).await;
    assert!(list.contains("Fine") && !list.contains("Loop"), "{list}");

    let bad_only = data.path().join("bad.json");
    std::fs::write(
        &bad_only,
        r#"{"format":"palaver-history","version":1,"exportedAt":0,"conversations":[
            {"id":"self","title":"Self","createdAt":1,"updatedAt":1,"currentLeafId":"m",
             "messages":[{"id":"m","parentId":"m","role":"user","content":"me","createdAt":1}]}]}"#,
    )
    .unwrap();
    let (code, _, err) = run(
        data.path(),
        base,
        &["history", "import", bad_only.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("Not imported: “Self” (self): message “m” is its own ancestor"),
        "{err}"
    );
}

#[tokio::test]
async fn another_process_leaves_a_live_reply_alone() {
    let data = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    let base = server.base_url();
    server.push(Reply::sse().write(chunk("Still being written")).stall());
    let mut child = ask_until_stalled(data.path(), &base, "Think slowly", "being written").await;

    // A second process starts (and recovers dead writers' replies) while the first streams.
    let (code, json, err) = run(data.path(), &base, &["history", "export"]).await;
    assert_eq!(code, 0, "{err}");
    let file: serde_json::Value = serde_json::from_str(&json).unwrap();
    let reply = &file["conversations"][0]["messages"][1];
    assert_eq!(reply["status"], "streaming", "{reply}");
    assert_eq!(reply["content"], "Still being written", "{reply}");

    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .unwrap()
        .success());
    let _ = child.wait().await;
    let (_, json, _) = run(data.path(), &base, &["history", "export"]).await;
    let file: serde_json::Value = serde_json::from_str(&json).unwrap();
    let reply = &file["conversations"][0]["messages"][1];
    assert_eq!(reply["status"], "interrupted", "{reply}");
    assert_eq!(reply["content"], "Still being written", "{reply}");
}

/// An imported title or message carrying escape sequences (OSC 52 writes the clipboard,
/// OSC 8 disguises a link) is printed without them by list, search and delete.
#[tokio::test]
async fn escape_sequences_in_imported_text_never_reach_the_terminal() {
    let data = tempfile::tempdir().unwrap();
    let base = "http://127.0.0.1:9/v1";
    let hostile_title = "Notes\u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{1b}]0;pwned\u{7}";
    let hostile_text = "see \u{1b}]8;;https://evil.example\u{1b}\\docs\u{1b}]8;;\u{1b}\\ bz now";
    let file = data.path().join("conversations.json");
    std::fs::write(
        &file,
        serde_json::to_vec(&serde_json::json!([
            { "title": hostile_title, "conversation_id": "hostile",
              "mapping": { "q": { "id": "q", "parent": null, "message": {
                  "author": { "role": "user" }, "create_time": 1_700_000_000.0,
                  "content": { "parts": [hostile_text] } } } } }
        ]))
        .unwrap(),
    )
    .unwrap();
    let (code, _, err) = run(
        data.path(),
        base,
        &["history", "import", file.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let clean = |s: &str| !s.chars().any(|c| c == '\u{1b}' || c == '\u{7}');

    let (_, list, _) = run(data.path(), base, &["history", "list"]).await;
    assert!(list.contains("Notes]52;c;cm0gLXJmIH4=]0;pwned"), "{list:?}");
    assert!(clean(&list), "{list:?}");
    // A short query (a scan) and a long one (the index), with their highlight marks.
    for query in ["bz", "docs"] {
        let (_, found, _) = run(data.path(), base, &["history", "search", query]).await;
        assert!(found.contains(&format!("«{query}»")), "{found:?}");
        assert!(clean(&found), "{found:?}");
    }
    let id = list.split_whitespace().next().unwrap().to_owned();
    let (code, _, err) = run(data.path(), base, &["history", "delete", &id, "--yes"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(clean(&err), "{err:?}");
}
