//! Settings: read, save (broadcast as `settings://changed`), and the server's model list.

use crate::app::error::{CommandError, ShellErrorKind};
use crate::app::state::{Core, SettingsState};
use palaver_core::chat::{endpoint_for, KeyPolicy};
use palaver_core::llm::origin_of_base_url;
use palaver_core::settings::{Origin, Settings};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use tauri::{AppHandle, Emitter, Runtime, State};

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    pub settings: Settings,
    /// Where requests go now (the profile's URL, else `OPENAI_BASE_URL`, else OpenAI).
    pub effective_base_url: String,
    pub base_url_from_env: bool,
    /// A one-time message about the settings file, such as an unreadable one kept aside.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub notice: Option<String>,
    pub data_dir: String,
}

fn view(state: &SettingsState, notice: Option<String>) -> SettingsView {
    let settings = state.get();
    let base_url = settings.effective().base_url;
    SettingsView {
        settings,
        effective_base_url: base_url.value,
        base_url_from_env: base_url.origin == Origin::Environment,
        notice,
        data_dir: state.data_dir.display().to_string(),
    }
}

#[tauri::command]
pub async fn get_settings(state: State<'_, SettingsState>) -> Result<SettingsView, CommandError> {
    let notice = state
        .notice
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    Ok(view(&state, notice))
}

/// Async, so it runs off the main thread: it writes (and flushes) the settings file.
#[tauri::command]
pub async fn save_settings<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, SettingsState>,
    settings: Settings,
) -> Result<SettingsView, CommandError> {
    let mut settings = settings.validated()?;
    settings.quick_ask_shortcut = crate::app::shortcut::check(&settings.quick_ask_shortcut)
        .map_err(|e| CommandError::bad_request(e.0))?;
    let previous = state.get();
    if previous.start_at_login != settings.start_at_login {
        use tauri_plugin_autostart::ManagerExt;
        let launcher = app.autolaunch();
        let changed = if settings.start_at_login {
            launcher.enable()
        } else {
            launcher.disable()
        };
        changed.map_err(|e| {
            CommandError::new(
                ShellErrorKind::Autostart,
                format!("Could not change starting at login: {e}"),
            )
        })?;
    }
    let old = previous.quick_ask_shortcut;
    if old != settings.quick_ask_shortcut {
        crate::app::shortcut::replace(&app, Some(&old), &settings.quick_ask_shortcut)
            .map_err(|e| CommandError::new(ShellErrorKind::ShortcutTaken, e.0))?;
    }
    state.replace(settings)?;
    crate::app::refresh_tray(&app);
    let view = view(&state, None);
    let _ = app.emit(crate::app::events::SETTINGS_CHANGED, &view);
    Ok(view)
}

/// The models the server offers. `base_url` lets the settings form ask before saving; the
/// stored key goes with the request only if it belongs to that server, and the cleartext
/// allowance saved for the profile's server counts only for that same server.
#[tauri::command]
pub async fn list_models(
    core: State<'_, Arc<Core>>,
    state: State<'_, SettingsState>,
    base_url: Option<String>,
) -> Result<Vec<String>, CommandError> {
    let settings = state.get();
    let saved = settings.effective().base_url.value;
    let base_url = base_url
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| saved.clone());
    let same_server = origin_of_base_url(&base_url) == origin_of_base_url(&saved);
    let policy = KeyPolicy {
        allow_cleartext: same_server && settings.profile.allow_cleartext_key,
    };
    let endpoint = endpoint_for(
        core.secrets.clone(),
        &settings.profile.id,
        &base_url,
        policy,
    )
    .await?;
    Ok(
        palaver_core::llm::list_models(core.client.http(), &endpoint, Duration::from_secs(10))
            .await?,
    )
}
