//! The terminal and the app share one settings file: `palaver ask` goes to the server and
//! model chosen in the app unless a flag says otherwise, and `palaver config show` says
//! what is in effect and why. The real binary, a throw-away data directory, two mock
//! servers on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mock_openai::{MockServer, Reply};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

/// The binary with `OPENAI_BASE_URL` pointing at `shared` — a variable other tools set too —
/// and the given data directory.
async fn palaver(data: &Path, shared: &MockServer, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_palaver"))
        .env_remove("PALAVER_MODEL")
        .env_remove("PALAVER_LOG")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/palaver-test-bus",
        )
        .env("OPENAI_API_KEY", "sk-settings-test-key-000000000000")
        .env("OPENAI_BASE_URL", shared.base_url())
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

/// The settings file as the app writes it, with a local server chosen.
fn app_settings(data: &Path, local: &MockServer) {
    let settings = serde_json::json!({ "settings": {
        "profile": { "id": "local", "name": "Ollama", "baseUrl": local.base_url(), "model": "llama-from-the-app" },
        "systemPrompt": "Answer briefly.",
        "temperature": 0.4,
    }});
    std::fs::write(
        data.join("settings.json"),
        serde_json::to_vec_pretty(&settings).unwrap(),
    )
    .unwrap();
}

#[tokio::test]
async fn ask_and_continue_use_the_server_and_model_chosen_in_the_app() {
    let data = tempfile::tempdir().unwrap();
    let local = MockServer::start().await.unwrap();
    let shared = MockServer::start().await.unwrap();
    app_settings(data.path(), &local);

    local.push(Reply::answer(&["Lima."]));
    let (code, out, err) = palaver(data.path(), &shared, &["ask", "Capital of Peru?"]).await;
    assert_eq!((code, out.as_str()), (0, "Lima.\n"), "{err}");
    local.push(Reply::answer(&["About 10 million."]));
    let (code, out, err) = palaver(data.path(), &shared, &["ask", "-c", "Its population?"]).await;
    assert_eq!((code, out.as_str()), (0, "About 10 million.\n"), "{err}");

    assert!(
        shared.requests().is_empty(),
        "OPENAI_BASE_URL outranked the app's server"
    );
    let requests = local.requests();
    assert_eq!(requests.len(), 2);
    let follow_up = requests[1].json();
    assert_eq!(follow_up["model"], "llama-from-the-app");
    assert!((follow_up["temperature"].as_f64().unwrap() - 0.4).abs() < 1e-6);
    let said: Vec<&str> = follow_up["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        said,
        [
            "Answer briefly.",
            "Capital of Peru?",
            "Lima.",
            "Its population?"
        ]
    );
}

#[tokio::test]
async fn flags_say_otherwise_for_one_run() {
    let data = tempfile::tempdir().unwrap();
    let local = MockServer::start().await.unwrap();
    let other = MockServer::start().await.unwrap();
    app_settings(data.path(), &local);

    other.push(Reply::answer(&["ok"]));
    let base = other.base_url();
    let (code, _, err) = palaver(
        data.path(),
        &local,
        &["ask", "--base-url", &base, "-m", "flag-model", "Hi"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(local.requests().is_empty());
    assert_eq!(other.requests()[0].json()["model"], "flag-model");
}

#[tokio::test]
async fn config_show_names_the_file_and_where_each_value_came_from() {
    let data = tempfile::tempdir().unwrap();
    let local = MockServer::start().await.unwrap();
    let shared = MockServer::start().await.unwrap();

    // No file yet: the shared variable fills in the server, the rest are defaults.
    let (code, out, _) = palaver(data.path(), &shared, &["config", "show"]).await;
    assert_eq!(code, 0);
    let file = data.path().join("settings.json");
    assert!(out.contains(&file.display().to_string()), "{out}");
    assert!(out.contains("not created yet"), "{out}");
    let row = |out: &str, name: &str| {
        out.lines()
            .find(|l| l.starts_with(name))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    assert_eq!(
        row(&out, "base URL"),
        format!(
            "base URL {} environment (OPENAI_BASE_URL)",
            shared.base_url()
        )
    );
    assert_eq!(row(&out, "model"), "model gpt-4o-mini default");

    app_settings(data.path(), &local);
    let (code, out, _) = palaver(data.path(), &shared, &["config", "show", "-m", "qwen3"]).await;
    assert_eq!(code, 0);
    assert_eq!(
        row(&out, "base URL"),
        format!("base URL {} file", local.base_url())
    );
    assert_eq!(row(&out, "model"), "model qwen3 flag");
    assert_eq!(row(&out, "profile"), "profile Ollama (local, openai) file");
    assert_eq!(row(&out, "temperature"), "temperature 0.4 file");
}

#[tokio::test]
async fn a_settings_file_the_cli_cannot_use_is_reported_and_left_alone() {
    let data = tempfile::tempdir().unwrap();
    let shared = MockServer::start().await.unwrap();
    let broken = br#"{"settings":{"profile":{"model":42}}}"#;
    std::fs::write(data.path().join("settings.json"), broken).unwrap();

    shared.push(Reply::answer(&["ok"]));
    let (code, out, err) = palaver(data.path(), &shared, &["ask", "Hi"]).await;
    assert_eq!((code, out.as_str()), (0, "ok\n"), "{err}");
    assert!(
        err.contains("settings file") && err.contains("not valid"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(data.path().join("settings.json")).unwrap(),
        broken,
        "the CLI must not touch the user's file"
    );
    let (_, out, _) = palaver(data.path(), &shared, &["config", "show"]).await;
    assert!(out.contains("not used: not valid"), "{out}");
}
