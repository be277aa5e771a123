//! What belongs to the main window alone — which conversation was open, which local-server
//! offers were turned down — kept by
//! tauri-plugin-store in `ui-state.json` beside the settings. What the terminal needs too
//! (server, model, prompt) is in the core's settings file instead; nothing here is ever
//! needed to answer a question, so a lost or unreadable file only means starting afresh.

use crate::app::error::{CommandError, ShellErrorKind};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_store::StoreExt;

/// Where the window state is kept.
pub struct UiStateFile(pub PathBuf);

pub const FILE_NAME: &str = "ui-state.json";
const KEY: &str = "main";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
pub struct UiState {
    /// The conversation the main window showed last, reopened at start.
    pub last_conversation: Option<String>,
    /// Local servers (base URLs) whose start-up offer the user turned down.
    pub dismissed_local_servers: Vec<String>,
}

fn storage_error(e: tauri_plugin_store::Error) -> CommandError {
    CommandError::new(
        ShellErrorKind::Storage,
        format!("The window state could not be read or written: {e}"),
    )
}

/// The window state; the defaults when there is none yet or it cannot be used.
#[tauri::command]
pub async fn get_ui_state<R: Runtime>(
    app: AppHandle<R>,
    file: State<'_, UiStateFile>,
) -> Result<UiState, CommandError> {
    let store = app.store(&file.0).map_err(storage_error)?;
    Ok(store
        .get(KEY)
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}

/// Async, so the file is written off the main thread.
#[tauri::command]
pub async fn save_ui_state<R: Runtime>(
    app: AppHandle<R>,
    file: State<'_, UiStateFile>,
    state: UiState,
) -> Result<(), CommandError> {
    let store = app.store(&file.0).map_err(storage_error)?;
    let value = serde_json::to_value(&state)
        .map_err(|e| CommandError::new(ShellErrorKind::Storage, e.to_string()))?;
    store.set(KEY, value);
    store.save().map_err(storage_error)
}
