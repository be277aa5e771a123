//! The commands as the webview calls them, on Tauri's mock runtime: arguments in camelCase
//! through the real IPC handler, replies and `{ kind, message }` errors as JSON, events
//! on a real `Channel`, broadcasts through the event system. Behind them the real core:
//! a history file and a settings file in a temporary directory, a mock OpenAI server on
//! loopback, keys in an in-memory store (the OS keyring has tests of its own).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{setup, with_commands, Services};
use mock_openai::{chunk, MockServer, Reply};
use palaver_core::secrets::{ApiKey, MemoryStore, SecretStore, StoredKey};
use palaver_core::settings::Settings;
use serde_json::{json, Value};
use std::sync::{mpsc, Arc};
use std::time::Duration;
use tauri::ipc::{CallbackFn, Channel, InvokeBody, InvokeResponseBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime};
use tauri::webview::InvokeRequest;
use tauri::{App, Listener, Manager, WebviewWindow, WebviewWindowBuilder};

const KEY: &str = "sk-command-test-key-000000000000";

/// The app with every command, its state on `base_url`, and a main window to call from.
struct TestApp {
    app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    dir: tempfile::TempDir,
    /// The mock server's runtime; it must outlive the app's requests.
    _server_runtime: Option<tokio::runtime::Runtime>,
}

fn test_app(base_url: &str, key_origin: Option<&str>) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::default();
    settings.profiles[0].base_url = base_url.to_owned();
    settings.profiles[0].model = "mock-model".to_owned();
    std::fs::write(
        dir.path().join("settings.json"),
        serde_json::to_vec(&json!({ "settings": settings })).unwrap(),
    )
    .unwrap();
    test_app_in(dir, key_origin)
}

/// The app on a data directory the test has prepared.
fn test_app_in(dir: tempfile::TempDir, key_origin: Option<&str>) -> TestApp {
    let settings = Settings::default();
    let secrets = Arc::new(MemoryStore::default());
    if let Some(origin) = key_origin {
        let key = ApiKey::parse(KEY).unwrap();
        secrets
            .set(
                &settings.default_profile,
                &StoredKey::new(key, origin.to_owned()),
            )
            .unwrap();
    }
    let services = Services {
        data_dir: dir.path().to_owned(),
        secrets,
    };
    let app = with_commands(mock_builder())
        .build(mock_context(noop_assets()))
        .unwrap();
    // What the app's setup hook does, minus the desktop (tray, shortcut, windows).
    setup(app.handle(), services).unwrap();
    app.manage(super::state::TrayState { available: false });
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    TestApp {
        app,
        window,
        dir,
        _server_runtime: None,
    }
}

/// A mock server on its own runtime, and the app pointed at it with a key for it.
fn app_with_server(replies: Vec<Reply>) -> (TestApp, MockServer) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(MockServer::start()).unwrap();
    for reply in replies {
        server.push(reply);
    }
    let origin = server.base_url().trim_end_matches("/v1").to_owned();
    let mut app = test_app(&server.base_url(), Some(&origin));
    app._server_runtime = Some(runtime);
    (app, server)
}

impl TestApp {
    /// Calls a command through the IPC handler, as `invoke(cmd, args)` does.
    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: tauri::test::INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().unwrap())
    }

    /// Starts a reply with `send_message` and returns its acknowledgement and the channel's
    /// events as they arrive. (The mock runtime cannot carry a channel the webview made, so
    /// this hands the command a Rust one; everything else is as in the app.)
    fn send(&self, text: &str) -> (Value, mpsc::Receiver<Value>) {
        self.send_in(None, text, None)
    }

    /// [`TestApp::send`] in a conversation, with a model chosen in the picker.
    fn send_in(
        &self,
        conversation: Option<&str>,
        text: &str,
        model: Option<(&str, &str)>,
    ) -> (Value, mpsc::Receiver<Value>) {
        let (tx, rx) = mpsc::channel();
        let channel = Channel::new(move |body| {
            if let InvokeResponseBody::Json(json) = body {
                let _ = tx.send(serde_json::from_str::<Value>(&json).unwrap());
            }
            Ok(())
        });
        let window = self.window.as_ref().window();
        let ack = tauri::async_runtime::block_on(super::commands::chat::send_message(
            self.app.handle().clone(),
            window,
            self.app.state(),
            self.app.state(),
            self.app.state(),
            conversation.map(str::to_owned),
            text.to_owned(),
            None,
            None,
            model.map(|(profile, model)| super::commands::chat::ModelChoice {
                profile: profile.to_owned(),
                model: model.to_owned(),
            }),
            channel,
        ))
        .map_err(|e| serde_json::to_value(e).unwrap());
        (ack.map(|a| serde_json::to_value(a).unwrap()).unwrap(), rx)
    }

    fn settings_path(&self) -> std::path::PathBuf {
        self.dir.path().join("settings.json")
    }
}

/// Events until the last one (`finished` or `failed`).
fn until_the_end(events: &mpsc::Receiver<Value>) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let event = events
            .recv_timeout(Duration::from_secs(10))
            .expect("the reply never ended");
        let last = matches!(event["type"].as_str(), Some("finished" | "failed"));
        seen.push(event);
        if last {
            return seen;
        }
    }
}

fn kind(error: &Value) -> &str {
    error["kind"].as_str().unwrap_or_default()
}

#[test]
fn send_streams_the_reply_in_order_and_the_history_holds_it() {
    let (app, server) = app_with_server(vec![Reply::answer(&["Lima", " is the", " capital."])]);
    let (ack, events) = app.send("Capital of Peru?");
    let events = until_the_end(&events);

    assert_eq!(events[0]["type"], "started");
    assert_eq!(events[0]["streamId"], ack["streamId"]);
    let text: String = events
        .iter()
        .filter(|e| e["type"] == "delta")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, "Lima is the capital.");
    assert_eq!(events.last().unwrap()["finishReason"], "stop");
    let request = &server.requests()[0];
    assert_eq!(request.json()["model"], "mock-model");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );

    let view = app
        .invoke("get_conversation", json!({ "id": ack["conversationId"] }))
        .unwrap();
    let reply = &view["messages"][1];
    assert_eq!(reply["content"], "Lima is the capital.");
    assert_eq!(reply["status"], "complete");
    assert_eq!(reply["id"], ack["messageId"]);
}

#[test]
fn a_conversation_moves_to_another_profile_whose_key_goes_to_its_server_alone() {
    let (app, first) = app_with_server(vec![Reply::answer(&["From", " A."])]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let second = runtime.block_on(MockServer::start()).unwrap();
    second.push(Reply::answer(&["From", " B."]));
    let key_b = "sk-second-profile-key-1111111111";

    // A second profile, added as the settings form does, with a key of its own.
    let mut settings = app.invoke("get_settings", json!({})).unwrap()["settings"].clone();
    settings["profiles"].as_array_mut().unwrap().push(json!({
        "id": "", "name": "Second", "kind": "openai", "baseUrl": second.base_url(), "model": "model-b"
    }));
    let saved = app
        .invoke("save_settings", json!({ "settings": settings }))
        .unwrap();
    let id_b = saved["settings"]["profiles"][1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(id_b, "second");
    app.invoke("set_api_key", json!({ "profile": id_b, "key": key_b }))
        .unwrap();

    let (ack, events) = app.send("Who answers?");
    until_the_end(&events);
    let conversation = ack["conversationId"].as_str().unwrap().to_owned();
    app.invoke(
        "set_conversation_model",
        json!({ "conversationId": conversation, "profile": id_b, "model": "model-b" }),
    )
    .unwrap();
    let (_, events) = app.send_in(Some(&conversation), "And now?", None);
    let end = until_the_end(&events);
    assert_eq!(end.last().unwrap()["type"], "finished", "{end:?}");

    let to_b = &second.requests()[0];
    assert_eq!(
        to_b.header("authorization"),
        Some(format!("Bearer {key_b}").as_str())
    );
    let body = to_b.json();
    assert_eq!(body["model"], "model-b");
    let sent: Vec<&str> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        sent,
        ["Who answers?", "From A.", "And now?"],
        "the same history"
    );
    for request in first.requests() {
        let headers = format!("{:?}", request.headers);
        assert!(
            !headers.contains(key_b),
            "profile B's key reached A's server"
        );
    }
    for request in second.requests() {
        let headers = format!("{:?}", request.headers);
        assert!(!headers.contains(KEY), "profile A's key reached B's server");
    }

    let view = app
        .invoke("get_conversation", json!({ "id": conversation }))
        .unwrap();
    let labels: Vec<(String, String)> = view["messages"]
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
        labels,
        [
            ("openai".to_owned(), "mock-model".to_owned()),
            (id_b.clone(), "model-b".to_owned())
        ]
    );
    assert_eq!(view["conversation"]["profile"], id_b.as_str());

    // A model picked for one reply goes with it, and becomes the conversation's.
    first.push(Reply::answer(&["A again."]));
    let (_, events) = app.send_in(
        Some(&conversation),
        "Back to A",
        Some(("openai", "other-a")),
    );
    until_the_end(&events);
    assert_eq!(first.requests().last().unwrap().json()["model"], "other-a");

    // Removing a profile removes its key.
    let mut settings = app.invoke("get_settings", json!({})).unwrap()["settings"].clone();
    settings["profiles"].as_array_mut().unwrap().truncate(1);
    app.invoke("save_settings", json!({ "settings": settings }))
        .unwrap();
    let status = app
        .invoke("api_key_status", json!({ "profile": "openai" }))
        .unwrap();
    assert_eq!(status["present"], true);
    let secrets = app.app.state::<Arc<super::state::Core>>().secrets.clone();
    assert_eq!(
        secrets.get(&id_b).unwrap(),
        None,
        "the removed profile's key is gone"
    );
    drop(runtime);
}

#[test]
fn cancel_stops_a_reply_and_keeps_what_was_shown() {
    let stalls = Reply::sse().write(chunk("Half an answer")).stall();
    let (app, _server) = app_with_server(vec![stalls]);
    let (ack, events) = app.send("Tell me everything");
    let first = loop {
        let e = events.recv_timeout(Duration::from_secs(10)).unwrap();
        if e["type"] == "delta" {
            break e;
        }
    };
    assert_eq!(first["text"], "Half an answer");

    let cancelled = app.invoke("cancel_stream", json!({ "streamId": ack["streamId"] }));
    assert_eq!(cancelled, Ok(json!(true)));
    let rest = until_the_end(&events);
    assert_eq!(rest.last().unwrap()["finishReason"], "cancelled");
    assert_eq!(
        app.invoke("cancel_stream", json!({ "streamId": ack["streamId"] })),
        Ok(json!(false)),
        "a stream that has ended cannot be cancelled again"
    );

    let view = app
        .invoke("get_conversation", json!({ "id": ack["conversationId"] }))
        .unwrap();
    assert_eq!(view["messages"][1]["content"], "Half an answer");
    assert_eq!(view["messages"][1]["status"], "cancelled");
}

#[test]
fn send_refuses_with_a_kind_the_frontend_can_act_on() {
    // An empty question, through the real IPC handler.
    let app = test_app("http://127.0.0.1:9/v1", None);
    let empty = app.invoke(
        "send_message",
        json!({ "conversationId": null, "text": "  ", "onEvent": "__CHANNEL__:1" }),
    );
    assert_eq!(kind(&empty.unwrap_err()), "bad_request");

    // A key that would cross the network in cleartext is not sent.
    let app = test_app("http://192.0.2.10:8000/v1", Some("http://192.0.2.10:8000"));
    let insecure = app
        .invoke(
            "send_message",
            json!({ "conversationId": null, "text": "Hi", "onEvent": "__CHANNEL__:2" }),
        )
        .unwrap_err();
    assert_eq!(kind(&insecure), "insecure_key");
    assert!(!insecure["message"].as_str().unwrap().contains(KEY));
}

#[test]
fn a_server_error_arrives_as_a_failed_event_with_its_kind() {
    // Longer than the client would wait, so it reports at once instead of retrying.
    let refusal =
        Reply::error(429, "Rate limit reached", "requests", None).header("retry-after", "120");
    let (app, _server) = app_with_server(vec![refusal]);
    let (_, events) = app.send("Hi");
    let events = until_the_end(&events);
    let failed = events.last().unwrap();
    assert_eq!(failed["type"], "failed");
    assert_eq!(failed["error"]["kind"], "rate_limited");
    assert_eq!(failed["error"]["retryAfterSecs"], 120);
    assert_eq!(failed["error"]["status"], 429);
}

#[test]
fn history_commands_list_rename_pin_search_and_delete() {
    let (app, _server) = app_with_server(vec![Reply::answer(&["Quinoa grows in the Andes."])]);
    let (ack, events) = app.send("Where does quinoa grow?");
    until_the_end(&events);
    let id = ack["conversationId"].clone();

    let list = app
        .invoke("list_conversations", json!({ "offset": 0, "limit": 50 }))
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    app.invoke(
        "rename_conversation",
        json!({ "id": id, "title": "Andes crops" }),
    )
    .unwrap();
    app.invoke("set_pinned", json!({ "id": id, "pinned": true }))
        .unwrap();
    let list = app
        .invoke("list_conversations", json!({ "offset": 0, "limit": 50 }))
        .unwrap();
    assert_eq!(list[0]["title"], "Andes crops");
    assert_eq!(list[0]["pinned"], true);

    let hits = app
        .invoke("search_history", json!({ "query": "quinoa" }))
        .unwrap();
    assert_eq!(hits[0]["conversationId"], id);

    let heard = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = heard.clone();
    app.app
        .listen_any(super::events::HISTORY_CHANGED, move |e| {
            sink.lock().unwrap().push(e.payload().to_owned())
        });
    app.invoke("delete_conversation", json!({ "id": id }))
        .unwrap();
    assert!(
        heard
            .lock()
            .unwrap()
            .iter()
            .any(|p| p.contains(id.as_str().unwrap())),
        "no history://changed naming the conversation"
    );
    let gone = app
        .invoke("get_conversation", json!({ "id": id }))
        .unwrap_err();
    assert_eq!(kind(&gone), "not_found");
    assert_eq!(
        app.invoke("search_history", json!({ "query": "quinoa" })),
        Ok(json!([]))
    );
    assert_eq!(
        kind(
            &app.invoke("rename_conversation", json!({ "id": id, "title": "x" }))
                .unwrap_err()
        ),
        "not_found"
    );
}

#[test]
fn settings_are_saved_to_the_file_broadcast_and_refused_when_wrong() {
    let app = test_app("http://127.0.0.1:9/v1", None);
    let view = app.invoke("get_settings", json!({})).unwrap();
    assert_eq!(view["settings"]["profiles"][0]["model"], "mock-model");
    assert_eq!(view["effectiveBaseUrl"], "http://127.0.0.1:9/v1");
    assert_eq!(view["baseUrlFromEnv"], false);
    assert_eq!(view["dataDir"], app.dir.path().display().to_string());

    let heard = Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    let sink = heard.clone();
    app.app
        .listen_any(super::events::SETTINGS_CHANGED, move |e| {
            sink.lock()
                .unwrap()
                .push(serde_json::from_str(e.payload()).unwrap())
        });
    let mut settings = view["settings"].clone();
    settings["profiles"][0]["model"] = json!("llama3.2");
    settings["theme"] = json!("dark");
    app.invoke("save_settings", json!({ "settings": settings.clone() }))
        .unwrap();
    let on_disk: Value =
        serde_json::from_slice(&std::fs::read(app.settings_path()).unwrap()).unwrap();
    assert_eq!(on_disk["settings"]["profiles"][0]["model"], "llama3.2");
    assert_eq!(on_disk["settings"]["theme"], "dark");
    assert_eq!(heard.lock().unwrap()[0]["settings"]["theme"], "dark");

    for (field, value) in [
        ("temperature", json!(3.5)),
        ("quickAskShortcut", json!("Ctrl+Shift+NotAKey")),
    ] {
        let mut wrong = settings.clone();
        wrong[field] = value;
        let refused = app
            .invoke("save_settings", json!({ "settings": wrong }))
            .unwrap_err();
        assert_eq!(kind(&refused), "bad_request", "{field}: {refused}");
    }
    let mut wrong = settings.clone();
    wrong["profiles"][0]["baseUrl"] = json!("localhost:11434");
    assert_eq!(
        kind(
            &app.invoke("save_settings", json!({ "settings": wrong }))
                .unwrap_err()
        ),
        "bad_request"
    );
    let on_disk: Value =
        serde_json::from_slice(&std::fs::read(app.settings_path()).unwrap()).unwrap();
    assert_eq!(
        on_disk["settings"]["profiles"][0]["model"], "llama3.2",
        "a refused save changed the file"
    );
}

#[test]
fn a_settings_file_that_cannot_be_written_is_a_storage_error_and_nothing_changes() {
    // Where the settings file should be, there is a directory: it can be neither read nor
    // replaced.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("settings.json")).unwrap();
    let app = test_app_in(dir, None);
    let view = app.invoke("get_settings", json!({})).unwrap();
    let notice = view["notice"].as_str().unwrap_or_default();
    assert!(notice.contains("could not be read"), "{view}");

    let mut settings = view["settings"].clone();
    settings["theme"] = json!("light");
    let refused = app
        .invoke("save_settings", json!({ "settings": settings }))
        .unwrap_err();
    assert_eq!(kind(&refused), "storage", "{refused}");
    let view = app.invoke("get_settings", json!({})).unwrap();
    assert_eq!(
        view["settings"]["theme"], "system",
        "the failed save took effect"
    );
    assert!(app.settings_path().is_dir(), "the directory was replaced");
}

#[test]
fn the_window_state_is_kept_apart_from_the_settings_and_outlives_a_restart() {
    let app = test_app("http://127.0.0.1:9/v1", None);
    assert_eq!(
        app.invoke("get_ui_state", json!({})),
        Ok(json!({ "lastConversation": null, "dismissedLocalServers": [] }))
    );
    app.invoke(
        "save_ui_state",
        json!({ "state": { "lastConversation": "0192-abc", "dismissedLocalServers": ["http://127.0.0.1:11434/v1"] } }),
    )
    .unwrap();
    let settings = std::fs::read_to_string(app.settings_path()).unwrap();
    assert!(
        !settings.contains("0192-abc"),
        "window state in the settings file"
    );

    // A second app on the same data directory (the store plugin's cache is per app).
    let TestApp { dir, .. } = app;
    let again = test_app_in(dir, None);
    assert_eq!(
        again.invoke("get_ui_state", json!({})),
        Ok(
            json!({ "lastConversation": "0192-abc", "dismissedLocalServers": ["http://127.0.0.1:11434/v1"] })
        )
    );
}
