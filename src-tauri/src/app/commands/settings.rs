//! Settings: read, save (broadcast as `settings://changed`), and the server's model list.

use crate::app::error::{CommandError, ShellErrorKind};
use crate::app::state::{Core, SettingsState};
use palaver_core::providers::Preset;
use palaver_core::secrets;
use palaver_core::settings::{Origin, Settings};
use serde::Serialize;
use std::sync::Arc;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    pub settings: Settings,
    /// Where the default profile's requests go now (its URL, else `OPENAI_BASE_URL`, else
    /// its kind's usual server).
    pub effective_base_url: String,
    pub base_url_from_env: bool,
    /// A one-time message about the settings file, such as an unreadable one kept aside.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub notice: Option<String>,
    pub data_dir: String,
    /// The providers the "add a provider" form offers.
    pub presets: Vec<Preset>,
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
        presets: palaver_core::providers::PRESETS.to_vec(),
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
    let removed: Vec<String> = previous
        .profiles
        .iter()
        .filter(|old| !settings.profiles.iter().any(|p| p.id == old.id))
        .map(|old| old.id.clone())
        .collect();
    state.replace(settings)?;
    for id in removed {
        let account = id.clone();
        let core = app.state::<Arc<Core>>();
        if let Err(e) =
            secrets::off_runtime(core.secrets.clone(), move |s| s.delete(&account)).await
        {
            tracing::warn!(profile = %id, error = %e, "could not remove a removed profile's key");
        }
    }
    crate::app::refresh_tray(&app);
    let view = view(&state, None);
    let _ = app.emit(crate::app::events::SETTINGS_CHANGED, &view);
    Ok(view)
}
