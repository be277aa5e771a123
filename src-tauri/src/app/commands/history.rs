//! The history: list, open, versions, rename, pin, delete, search, export and import.
//! Every change is announced to all windows as one `history://changed` event.
//!
//! Every command here is async and does its database and file work on the blocking pool
//! ([`with_history`]): a synchronous command would run on the main thread, where a slow
//! disk, a large import or another process holding the write lock would freeze the window.

use crate::app::error::{CommandError, ShellErrorKind};
use crate::app::state::Core;
use palaver_core::history::{
    ConversationSummary, ConversationView, HistoryDb, ImportProgress, ImportReport, SearchHit,
};
use serde::Serialize;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tauri::ipc::Channel;
use tauri::{AppHandle, Emitter, Runtime, State};
use tauri_plugin_dialog::DialogExt;

/// Automation (the end-to-end tests): save dialogs write into this directory and open
/// dialogs pick this file, instead of asking.
const SAVE_DIR_ENV: &str = "PALAVER_SAVE_DIR";
const OPEN_FILE_ENV: &str = "PALAVER_OPEN_FILE";

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryChanged {
    pub conversation_ids: Vec<String>,
}

pub fn emit_changed<R: Runtime>(app: &AppHandle<R>, conversation_ids: Vec<String>) {
    let _ = app.emit(
        crate::app::events::HISTORY_CHANGED,
        HistoryChanged { conversation_ids },
    );
    crate::app::refresh_tray(app);
}

/// Runs `work` against the history on the blocking pool.
pub async fn with_history<T, F>(core: &Arc<Core>, work: F) -> Result<T, CommandError>
where
    T: Send + 'static,
    F: FnOnce(&HistoryDb) -> Result<T, CommandError> + Send + 'static,
{
    let history = Arc::clone(&core.history);
    tauri::async_runtime::spawn_blocking(move || work(&history))
        .await
        .map_err(|e| {
            CommandError::new(
                ShellErrorKind::Storage,
                format!("The history task failed: {e}"),
            )
        })?
}

#[tauri::command]
pub async fn list_conversations(
    core: State<'_, Arc<Core>>,
    offset: Option<usize>,
    limit: Option<usize>,
) -> Result<Vec<ConversationSummary>, CommandError> {
    with_history(&core, move |h| {
        Ok(h.list_conversations(limit.unwrap_or(200).min(1000), offset.unwrap_or(0))?)
    })
    .await
}

#[tauri::command]
pub async fn get_conversation(
    core: State<'_, Arc<Core>>,
    id: String,
) -> Result<ConversationView, CommandError> {
    with_history(&core, move |h| Ok(h.conversation(&id)?)).await
}

/// Shows another version of a message (the "2 / 3" arrows).
#[tauri::command]
pub async fn show_version(
    core: State<'_, Arc<Core>>,
    message_id: String,
) -> Result<ConversationView, CommandError> {
    with_history(&core, move |h| Ok(h.show_version(&message_id)?)).await
}

#[tauri::command]
pub async fn rename_conversation<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, Arc<Core>>,
    id: String,
    title: String,
) -> Result<(), CommandError> {
    let changed = id.clone();
    with_history(&core, move |h| Ok(h.rename(&id, &title)?)).await?;
    emit_changed(&app, vec![changed]);
    Ok(())
}

#[tauri::command]
pub async fn set_pinned<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, Arc<Core>>,
    id: String,
    pinned: bool,
) -> Result<(), CommandError> {
    let changed = id.clone();
    with_history(&core, move |h| Ok(h.set_pinned(&id, pinned)?)).await?;
    emit_changed(&app, vec![changed]);
    Ok(())
}

#[tauri::command]
pub async fn delete_conversation<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, Arc<Core>>,
    id: String,
) -> Result<(), CommandError> {
    let changed = id.clone();
    with_history(&core, move |h| Ok(h.delete(&id)?)).await?;
    emit_changed(&app, vec![changed]);
    Ok(())
}

#[tauri::command]
pub async fn search_history(
    core: State<'_, Arc<Core>>,
    query: String,
) -> Result<Vec<SearchHit>, CommandError> {
    with_history(&core, move |h| Ok(h.search(&query, 50)?)).await
}

fn file_name_for(title: &str, extension: &str) -> String {
    let base: String = title
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == ' ' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let base = if base.is_empty() {
        "Palaver conversation".to_owned()
    } else {
        base
    };
    format!("{}.{extension}", base.chars().take(80).collect::<String>())
}

async fn pick_save_path<R: Runtime>(
    app: &AppHandle<R>,
    suggested: String,
    extension: &'static str,
) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(SAVE_DIR_ENV) {
        return Some(PathBuf::from(dir).join(suggested));
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_file_name(&suggested)
        .add_filter(extension.to_uppercase(), &[extension])
        .save_file(move |path| {
            let _ = tx.send(path.and_then(|p| p.into_path().ok()));
        });
    rx.await.ok().flatten()
}

/// Exports a conversation (`id`) or everything (no `id`) through the save dialog, as
/// Markdown or lossless JSON. Returns where it was written; `None` when the dialog was
/// cancelled.
#[tauri::command]
pub async fn export_conversation<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, Arc<Core>>,
    id: Option<String>,
    format: String,
) -> Result<Option<String>, CommandError> {
    let (contents, suggested, extension) = with_history(&core, move |h| {
        Ok(match (format.as_str(), &id) {
            ("markdown", Some(id)) => {
                let title = h.conversation(id)?.conversation.title;
                (h.export_markdown(id)?, file_name_for(&title, "md"), "md")
            }
            ("json", Some(id)) => {
                let title = h.conversation(id)?.conversation.title;
                let file = h.export(Some(std::slice::from_ref(id)))?;
                let json = serde_json::to_string_pretty(&file)
                    .map_err(|e| CommandError::new(ShellErrorKind::Storage, e.to_string()))?;
                (json, file_name_for(&title, "json"), "json")
            }
            ("json", None) => {
                let file = h.export(None)?;
                let json = serde_json::to_string_pretty(&file)
                    .map_err(|e| CommandError::new(ShellErrorKind::Storage, e.to_string()))?;
                (json, "Palaver history.json".to_owned(), "json")
            }
            _ => {
                return Err(CommandError::bad_request(
                    "Export as \"markdown\" (one conversation) or \"json\".",
                ))
            }
        })
    })
    .await?;
    let Some(path) = pick_save_path(&app, suggested, extension).await else {
        return Ok(None);
    };
    let written = path.clone();
    tauri::async_runtime::spawn_blocking(move || {
        palaver_core::files::write_atomic(&written, contents.as_bytes())
    })
    .await
    .map_err(|e| CommandError::new(ShellErrorKind::Storage, e.to_string()))?
    .map_err(|e| {
        CommandError::new(
            ShellErrorKind::Storage,
            format!("Could not write {}: {e}", path.display()),
        )
    })?;
    Ok(Some(path.display().to_string()))
}

/// The import running now, if any, so `cancel_import` can stop it.
#[derive(Default)]
pub struct ImportJob {
    cancel: std::sync::Mutex<Option<Arc<AtomicBool>>>,
}

impl ImportJob {
    fn start(&self) -> Result<Arc<AtomicBool>, CommandError> {
        let mut slot = self.cancel.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_some() {
            return Err(CommandError::bad_request(
                "An import is already running; wait for it or cancel it first.",
            ));
        }
        let flag = Arc::new(AtomicBool::new(false));
        *slot = Some(Arc::clone(&flag));
        Ok(flag)
    }

    fn finish(&self) {
        *self.cancel.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// Imports a Palaver export or ChatGPT's `conversations.json`, picked in the open dialog.
/// Reports progress after each conversation on `on_progress`; `cancel_import` stops it
/// between two conversations, keeping what was imported. `None` when the dialog was
/// cancelled.
#[tauri::command]
pub async fn import_history<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, Arc<Core>>,
    job: State<'_, Arc<ImportJob>>,
    on_progress: Channel<ImportProgress>,
) -> Result<Option<ImportReport>, CommandError> {
    let path = match std::env::var_os(OPEN_FILE_ENV) {
        Some(file) => Some(PathBuf::from(file)),
        None => {
            let (tx, rx) = tokio::sync::oneshot::channel();
            app.dialog()
                .file()
                .add_filter("JSON", &["json"])
                .pick_file(move |path| {
                    let _ = tx.send(path.and_then(|p| p.into_path().ok()));
                });
            rx.await.ok().flatten()
        }
    };
    let Some(path) = path else {
        return Ok(None);
    };
    let cancel = job.start()?;
    let result = with_history(&core, move |h| {
        let bytes = std::fs::read(&path).map_err(|e| {
            CommandError::new(
                ShellErrorKind::Storage,
                format!("Could not read {}: {e}", path.display()),
            )
        })?;
        let mut report_progress = |progress: ImportProgress| {
            let _ = on_progress.send(progress);
            if cancel.load(Ordering::SeqCst) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        Ok(h.import_with(&bytes, &mut report_progress)?)
    })
    .await;
    job.finish();
    emit_changed(&app, Vec::new());
    Ok(Some(result?))
}

/// Stops the running import after the conversation it is on. Returns whether one ran.
#[tauri::command]
pub fn cancel_import(job: State<'_, Arc<ImportJob>>) -> bool {
    match &*job.cancel.lock().unwrap_or_else(|p| p.into_inner()) {
        Some(flag) => {
            flag.store(true, Ordering::SeqCst);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn export_file_names_are_safe() {
        assert_eq!(
            super::file_name_for("What is 2/2? <script>", "md"),
            "What is 2_2_ _script_.md"
        );
        assert_eq!(
            super::file_name_for("   ", "json"),
            "Palaver conversation.json"
        );
    }
}
