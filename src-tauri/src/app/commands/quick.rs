//! The quick-ask window's own commands, and quitting.

use crate::app::error::{CommandError, ShellErrorKind};
use crate::app::state::{StreamRegistry, TrayState};
use crate::app::windows;
use std::sync::Arc;
use std::time::Duration;
use tauri::{AppHandle, Manager, Runtime, State};

fn window_error(e: tauri::Error) -> CommandError {
    CommandError::new(ShellErrorKind::Window, e.to_string())
}

/// Hides quick ask (Escape). Without a tray and without a main window, nothing would be
/// left to bring Palaver back, so it quits — after any reply still streaming is saved.
#[tauri::command]
pub fn hide_quick_ask<R: Runtime>(
    app: AppHandle<R>,
    tray: State<'_, TrayState>,
    streams: State<'_, Arc<StreamRegistry>>,
) -> Result<(), CommandError> {
    if let Some(w) = app.get_webview_window(windows::QUICK_ASK) {
        w.hide().map_err(window_error)?;
    }
    let main_visible = app
        .get_webview_window(windows::MAIN)
        .is_some_and(|w| w.is_visible().unwrap_or(false));
    if !tray.available && !main_visible {
        let streams = Arc::clone(&streams);
        tauri::async_runtime::spawn(async move {
            while streams.running() > 0 {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            app.exit(0);
        });
    }
    Ok(())
}

/// "Open in Palaver": the quick question's conversation, continued in the main window.
#[tauri::command]
pub fn open_in_main<R: Runtime>(
    app: AppHandle<R>,
    conversation_id: String,
) -> Result<(), CommandError> {
    if let Some(w) = app.get_webview_window(windows::QUICK_ASK) {
        let _ = w.hide();
    }
    windows::open_in_main(&app, &conversation_id).map_err(window_error)
}

/// "Open settings" on an error in quick ask (no key, a key refused, …): the fix is in the
/// main window's settings.
#[tauri::command]
pub fn open_settings_in_main<R: Runtime>(app: AppHandle<R>) -> Result<(), CommandError> {
    if let Some(w) = app.get_webview_window(windows::QUICK_ASK) {
        let _ = w.hide();
    }
    windows::open_settings_in_main(&app).map_err(window_error)
}

#[tauri::command]
pub fn quit_app<R: Runtime>(app: AppHandle<R>) {
    app.exit(0);
}
