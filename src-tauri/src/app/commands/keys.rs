//! The API key, write-only from the webview: set, clear, and a status that never includes it.

use crate::app::error::CommandError;
use crate::app::state::Core;
use crate::secrets::{self, ApiKey, KeyStatus, DEFAULT_PROFILE};
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
    profile: Option<String>,
    key: String,
) -> Result<KeyStatus, CommandError> {
    let profile = profile_or_default(profile);
    let key = ApiKey::parse(&zeroize::Zeroizing::new(key))?;
    let name = profile.clone();
    secrets::off_runtime(core.secrets.clone(), move |s| s.set(&name, &key)).await?;
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
