//! The API key, write-only from the webview: set, clear, and a status that never includes it.
//!
//! A key is stored for one server: the base URL the form names, else the one in effect.

use crate::app::error::CommandError;
use crate::app::state::{Core, SettingsState};
use palaver_core::llm::origin_of_base_url;
use palaver_core::secrets::{self, ApiKey, KeyStatus, StoredKey, DEFAULT_PROFILE};
use std::sync::Arc;
use tauri::State;

fn profile_or_default(profile: Option<String>) -> String {
    profile
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_PROFILE.to_owned())
}

async fn status(core: &Core, profile: &str) -> KeyStatus {
    secrets::key_status(core.secrets.clone(), profile, secrets::env_key()).await
}

#[tauri::command]
pub async fn set_api_key(
    core: State<'_, Arc<Core>>,
    settings: State<'_, SettingsState>,
    profile: Option<String>,
    key: String,
    base_url: Option<String>,
) -> Result<KeyStatus, CommandError> {
    let profile = profile_or_default(profile);
    let key = ApiKey::parse(&zeroize::Zeroizing::new(key))?;
    let base_url = base_url
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| settings.get().effective().base_url.value);
    let origin = origin_of_base_url(&base_url).ok_or_else(|| {
        CommandError::bad_request(format!(
            "“{base_url}” is not a usable base URL, so the key has no server to belong to."
        ))
    })?;
    let name = profile.clone();
    let stored = StoredKey::new(key, origin);
    secrets::off_runtime(core.secrets.clone(), move |s| s.set(&name, &stored)).await?;
    Ok(status(&core, &profile).await)
}

#[tauri::command]
pub async fn clear_api_key(
    core: State<'_, Arc<Core>>,
    profile: Option<String>,
) -> Result<KeyStatus, CommandError> {
    let profile = profile_or_default(profile);
    let name = profile.clone();
    secrets::off_runtime(core.secrets.clone(), move |s| s.delete(&name)).await?;
    Ok(status(&core, &profile).await)
}

#[tauri::command]
pub async fn api_key_status(
    core: State<'_, Arc<Core>>,
    profile: Option<String>,
) -> Result<KeyStatus, CommandError> {
    Ok(status(&core, &profile_or_default(profile)).await)
}
