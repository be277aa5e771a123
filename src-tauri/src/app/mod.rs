//! The Tauri shell: the only module that uses `tauri`.
//!
//! It wires the core (`llm`, `secrets`, `chat`) to the webview: commands grouped by
//! feature in `commands/`, small managed state types in `state`, settings in
//! tauri-plugin-store, windows declared in `windows`. Tokens reach the webview over one
//! `ipc::Channel` per request; broadcasts to every window (`settings://changed`) use events.

mod commands;
mod error;
mod settings;
mod state;
mod windows;

pub use commands::ALL as COMMANDS;

use crate::history::HistoryDb;
use crate::llm::{ClientOptions, LlmClient};
use crate::secrets::OsKeyring;
use state::{Core, SettingsState, StreamRegistry};
use std::sync::{Arc, Mutex};
use tauri::{Manager, Runtime};

/// Runs the desktop app until it quits. Returns the process exit code.
pub fn run() -> i32 {
    let app = build(tauri::Builder::default()).build(tauri::generate_context!());
    match app {
        Ok(app) => {
            app.run(|_, _| {});
            0
        }
        Err(e) => {
            eprintln!("palaver: the desktop app could not start: {e}");
            1
        }
    }
}

/// The app's plugins, state and commands, generic over the runtime so tests can use the
/// mock runtime.
pub fn build<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_store::Builder::new().build())
        .invoke_handler(tauri::generate_handler![
            commands::chat::send_message,
            commands::chat::cancel_stream,
            commands::settings::get_settings,
            commands::settings::save_settings,
            commands::settings::list_models,
            commands::keys::set_api_key,
            commands::keys::clear_api_key,
            commands::keys::api_key_status,
            commands::links::open_external,
            commands::history::list_conversations,
            commands::history::get_conversation,
            commands::history::show_version,
            commands::history::rename_conversation,
            commands::history::set_pinned,
            commands::history::delete_conversation,
            commands::history::search_history,
            commands::history::export_conversation,
            commands::history::import_history,
        ])
        .setup(|app| {
            setup(app.handle())?;
            windows::show_main(app.handle())?;
            Ok(())
        })
}

fn setup<R: Runtime>(app: &tauri::AppHandle<R>) -> Result<(), Box<dyn std::error::Error>> {
    let data_dir = crate::paths::data_dir();
    std::fs::create_dir_all(&data_dir).map_err(|e| {
        format!(
            "cannot create the data directory {}: {e}",
            data_dir.display()
        )
    })?;
    let settings_path = data_dir.join(settings::FILE_NAME);
    let mut notices: Vec<String> = settings::quarantine_unreadable(&settings_path)
        .into_iter()
        .collect();
    // A history that cannot be opened is reported and left alone; this session then keeps
    // its conversations in memory only.
    let history = match HistoryDb::open(&data_dir.join(crate::history::FILE_NAME)) {
        Ok(db) => {
            if let Err(e) = db.recover_interrupted() {
                tracing::warn!(error = %e, "could not mark interrupted replies");
            }
            db
        }
        Err(e) => {
            notices.push(format!(
                "{e} Conversations in this session will not be saved."
            ));
            HistoryDb::open(std::path::Path::new(":memory:"))?
        }
    };
    let notice = (!notices.is_empty()).then(|| notices.join(" "));
    let store = settings::SettingsStore::open(app, &settings_path)?;
    let current = store.load();
    app.manage(SettingsState {
        store: Box::new(store),
        current: Mutex::new(current),
        notice: Mutex::new(notice),
    });
    app.manage(Arc::new(Core {
        client: LlmClient::new(ClientOptions::default())?,
        secrets: Arc::new(OsKeyring),
        history: Arc::new(history),
    }));
    app.manage(Arc::new(StreamRegistry::default()));
    Ok(())
}
