//! The API key, write-only from the webview: set, clear, and a status that never includes it.
//!
//! A key is stored for one server: the base URL the form names, else the one in effect.

use crate::app::error::CommandError;
use crate::app::state::{Core, SettingsState};
use palaver_core::llm::origin_of_base_url;
use palaver_core::secrets::{self, ApiKey, KeyStatus, StoredKey};
use palaver_core::settings::Effective;
use std::sync::Arc;
use tauri::State;

/// The profile `profile` names, or the default one; its id and the key the environment
/// may give it.
fn chosen(settings: &SettingsState, profile: Option<String>) -> Result<Effective, CommandError> {
    settings
        .get()
        .effective_for(profile.as_deref().filter(|p| !p.trim().is_empty()))
        .map_err(|e| CommandError::bad_request(e.to_string()))
}

async fn status(core: &Core, effective: &Effective) -> KeyStatus {
    let env = effective
        .destination()
        .env_key
        .and_then(secrets::env_key_named);
    secrets::key_status(core.secrets.clone(), &effective.profile.value, env).await
}

#[tauri::command]
pub async fn set_api_key(
    core: State<'_, Arc<Core>>,
    settings: State<'_, SettingsState>,
    profile: Option<String>,
    key: String,
    base_url: Option<String>,
) -> Result<KeyStatus, CommandError> {
    let effective = chosen(&settings, profile)?;
    let profile = effective.profile.value.clone();
    let key = ApiKey::parse(&zeroize::Zeroizing::new(key))?;
    let base_url = base_url
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| effective.base_url.value.clone());
    let origin = origin_of_base_url(&base_url).ok_or_else(|| {
        CommandError::bad_request(format!(
            "“{base_url}” is not a usable base URL, so the key has no server to belong to."
        ))
    })?;
    let name = profile.clone();
    let stored = StoredKey::new(key, origin);
    secrets::off_runtime(core.secrets.clone(), move |s| s.set(&name, &stored)).await?;
    Ok(status(&core, &effective).await)
}

#[tauri::command]
pub async fn clear_api_key(
    core: State<'_, Arc<Core>>,
    settings: State<'_, SettingsState>,
    profile: Option<String>,
) -> Result<KeyStatus, CommandError> {
    let effective = chosen(&settings, profile)?;
    let name = effective.profile.value.clone();
    secrets::off_runtime(core.secrets.clone(), move |s| s.delete(&name)).await?;
    Ok(status(&core, &effective).await)
}

#[tauri::command]
pub async fn api_key_status(
    core: State<'_, Arc<Core>>,
    settings: State<'_, SettingsState>,
    profile: Option<String>,
) -> Result<KeyStatus, CommandError> {
    Ok(status(&core, &chosen(&settings, profile)?).await)
}
