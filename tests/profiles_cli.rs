//! Provider profiles from the terminal: `palaver profile add|list|default|remove`,
//! `palaver models -p`, and `palaver ask -p/-m`, on the settings file the app uses. The
//! real binary, a throw-away data directory, mock servers on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mock_openai::{MockServer, Reply};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

async fn palaver(data: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_palaver"))
        .env_remove("PALAVER_MODEL")
        .env_remove("PALAVER_LOG")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("ANTHROPIC_API_KEY")
        .env("OPENAI_API_KEY", "sk-environment-key-000000000000")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/palaver-test-bus",
        )
        .env("PALAVER_DATA_DIR", data)
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(30), out)
        .await
        .expect("palaver did not exit")
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn settings_json(data: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(data.join("settings.json")).unwrap()).unwrap()
}

#[tokio::test]
async fn profiles_are_added_listed_chosen_and_removed() {
    let data = tempfile::tempdir().unwrap();
    let (code, _, err) = palaver(
        data.path(),
        &["profile", "add", "Claude", "--preset", "anthropic"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("Added “Claude” (anthropic, https://api.anthropic.com/v1)"),
        "{err}"
    );
    assert!(err.contains("palaver key set -p Claude"), "{err}");
    let (code, _, err) = palaver(
        data.path(),
        &[
            "profile",
            "add",
            "Home Ollama",
            "--base-url",
            "http://127.0.0.1:11434/v1",
            "-m",
            "llama3.2",
            "--default",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");

    let (code, out, _) = palaver(data.path(), &["profile", "list"]).await;
    assert_eq!(code, 0);
    let lines: Vec<String> = out
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(lines[0], "NAME KIND SERVER MODEL KEY");
    assert_eq!(
        lines[1],
        "OpenAI openai https://api.openai.com/v1 gpt-4o-mini unknown"
    );
    assert_eq!(
        lines[2],
        "Claude anthropic https://api.anthropic.com/v1 claude-sonnet-4-5 unknown"
    );
    assert_eq!(
        lines[3],
        "* Home Ollama openai http://127.0.0.1:11434/v1 llama3.2 unknown"
    );

    let (code, _, err) = palaver(data.path(), &["profile", "add", "claude"]).await;
    assert_eq!(code, 2, "a second profile of the same name");
    assert!(err.contains("Two providers are called"), "{err}");
    let (code, _, err) = palaver(data.path(), &["profile", "add", "X", "--kind", "gemini"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("not a kind of server"), "{err}");

    let (code, _, err) = palaver(data.path(), &["profile", "default", "claude"]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        settings_json(data.path())["settings"]["defaultProfile"],
        "claude"
    );
    let (code, _, err) = palaver(data.path(), &["profile", "remove", "Claude"]).await;
    assert_eq!(
        code, 1,
        "the key could not be removed without a keyring: {err}"
    );
    let settings = settings_json(data.path());
    let names: Vec<&str> = settings["settings"]["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["OpenAI", "Home Ollama"]);
    assert_eq!(
        settings["settings"]["defaultProfile"], "openai",
        "the default went with it"
    );
    let (code, _, err) = palaver(data.path(), &["profile", "remove", "nobody"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("there is no profile called “nobody”"), "{err}");
}

#[tokio::test]
async fn ask_goes_to_the_chosen_profile_and_continue_stays_on_the_conversations() {
    let data = tempfile::tempdir().unwrap();
    let a = MockServer::start().await.unwrap();
    let b = MockServer::start().await.unwrap();
    for (name, server, model) in [("A", &a, "model-a"), ("B", &b, "model-b")] {
        let (code, _, err) = palaver(
            data.path(),
            &[
                "profile",
                "add",
                name,
                "--base-url",
                &server.base_url(),
                "-m",
                model,
            ],
        )
        .await;
        assert_eq!(code, 0, "{err}");
    }
    a.push(Reply::answer(&["From A."]));
    let (code, out, err) = palaver(data.path(), &["ask", "-p", "A", "First?"]).await;
    assert_eq!((code, out.as_str()), (0, "From A.\n"), "{err}");
    assert_eq!(a.requests()[0].json()["model"], "model-a");
    assert_eq!(
        a.requests()[0].header("authorization"),
        None,
        "OpenAI's key from the environment went to another server"
    );

    // --continue stays on the conversation's profile and model…
    a.push(Reply::answer(&["A again."]));
    let (code, out, err) = palaver(data.path(), &["ask", "-c", "Second?"]).await;
    assert_eq!((code, out.as_str()), (0, "A again.\n"), "{err}");
    // …until another is chosen: the whole conversation goes to it.
    b.push(Reply::answer(&["B now."]));
    let (code, out, err) = palaver(
        data.path(),
        &["ask", "-c", "-p", "b", "-m", "model-b2", "Third?"],
    )
    .await;
    assert_eq!((code, out.as_str()), (0, "B now.\n"), "{err}");
    let body = b.requests()[0].json();
    assert_eq!(body["model"], "model-b2");
    let sent: Vec<&str> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(sent, ["First?", "From A.", "Second?", "A again.", "Third?"]);

    let (code, out, err) = palaver(data.path(), &["history", "export"]).await;
    assert_eq!(code, 0, "{err}");
    {
        let export: serde_json::Value = serde_json::from_str(&out).unwrap();
        let replies: Vec<(String, String)> = export["conversations"][0]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"] == "assistant")
            .map(|m| {
                (
                    m["profile"].as_str().unwrap().into(),
                    m["model"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(
            replies,
            [
                ("a".to_owned(), "model-a".to_owned()),
                ("a".to_owned(), "model-a".to_owned()),
                ("b".to_owned(), "model-b2".to_owned())
            ]
        );
    }

    let (code, _, err) = palaver(data.path(), &["ask", "-p", "nobody", "Hi"]).await;
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "There is no provider profile called “nobody”. The profiles are: OpenAI, A, B."
        ),
        "{err}"
    );
}

#[tokio::test]
async fn models_lists_a_profiles_server() {
    let data = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.push(Reply::status(
        200,
        "application/json",
        r#"{"object":"list","data":[{"id":"zeta"},{"id":"alpha"}]}"#,
    ));
    palaver(
        data.path(),
        &["profile", "add", "Local", "--base-url", &server.base_url()],
    )
    .await;
    let (code, out, err) = palaver(data.path(), &["models", "-p", "local"]).await;
    assert_eq!((code, out.as_str()), (0, "alpha\nzeta\n"), "{err}");
    assert_eq!(server.requests()[0].path, "/v1/models");
}

#[tokio::test]
async fn a_settings_file_that_cannot_be_read_is_never_replaced() {
    let data = tempfile::tempdir().unwrap();
    let broken = br#"{"settings":{"profiles":"not a list"}}"#;
    std::fs::write(data.path().join("settings.json"), broken).unwrap();
    let (code, _, err) = palaver(
        data.path(),
        &["profile", "add", "X", "--base-url", "http://127.0.0.1:9/v1"],
    )
    .await;
    assert_eq!(code, 2);
    assert!(err.contains("it was left as it is"), "{err}");
    assert_eq!(
        std::fs::read(data.path().join("settings.json")).unwrap(),
        broken
    );
}

/// One conversation goes OpenAI → Anthropic → a local server → OpenAI, each reply streamed
/// in its own protocol, the whole conversation sent each time, and the history says which
/// model wrote what.
#[tokio::test]
async fn a_conversation_moves_across_protocols_and_back() {
    use mock_openai::{DemoOptions, Fallback};
    let data = tempfile::tempdir().unwrap();
    let demo = || {
        Fallback::Demo(DemoOptions {
            token_delay: Duration::from_millis(1),
            ..DemoOptions::default()
        })
    };
    let cloud = MockServer::start_with("127.0.0.1:0", demo()).await.unwrap();
    let local = MockServer::start_with("127.0.0.1:0", demo()).await.unwrap();
    let steps = [
        (
            "OpenAI-ish",
            "openai",
            &cloud,
            "gpt-test",
            "/v1/chat/completions",
        ),
        ("Claude", "anthropic", &cloud, "claude-test", "/v1/messages"),
        (
            "Local",
            "openai",
            &local,
            "llama-test",
            "/v1/chat/completions",
        ),
    ];
    for (name, kind, server, model, _) in &steps {
        let (code, _, err) = palaver(
            data.path(),
            &[
                "profile",
                "add",
                name,
                "--kind",
                kind,
                "--base-url",
                &server.base_url(),
                "-m",
                model,
            ],
        )
        .await;
        assert_eq!(code, 0, "{err}");
    }
    let mut asked = 0;
    for (i, (name, _, server, model, path)) in steps.iter().chain(&steps[..1]).enumerate() {
        let question = format!("Question {i}");
        let mut args = vec!["ask", "-p", name];
        if i > 0 {
            args.push("-c");
        }
        args.push(&question);
        let (code, out, err) = palaver(data.path(), &args).await;
        assert_eq!(code, 0, "{name}: {err}");
        assert!(out.starts_with(&format!("{model} here.")), "{name}: {out}");
        let request = server.requests().into_iter().last().unwrap();
        assert_eq!(request.path, *path, "{name}");
        let body = request.json();
        let messages = body["messages"].as_array().unwrap();
        assert_eq!(
            messages.len(),
            2 * i + 1,
            "{name} got the whole conversation"
        );
        assert_eq!(messages.last().unwrap()["content"], question.as_str());
        asked += 1;
    }
    assert_eq!(asked, 4);
    let claude = cloud
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/messages")
        .unwrap();
    assert!(claude.header("anthropic-version").is_some());
    assert!(claude.json()["max_tokens"].as_u64().is_some());

    let (code, out, err) = palaver(data.path(), &["history", "export"]).await;
    assert_eq!(code, 0, "{err}");
    let export: serde_json::Value = serde_json::from_str(&out).unwrap();
    let models: Vec<&str> = export["conversations"][0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "assistant")
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(
        models,
        ["gpt-test", "claude-test", "llama-test", "gpt-test"]
    );
}
