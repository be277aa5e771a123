//! Providers and models: every profile's model list for the picker (cached), a profile's
//! connection check, the local servers found on this machine, and a conversation's model.

use crate::app::commands::history::{emit_changed, with_history};
use crate::app::error::CommandError;
use crate::app::state::{Core, SettingsState};
use palaver_core::chat::endpoint_for;
use palaver_core::providers::{self, LocalServer};
use palaver_core::settings::{Profile, Settings};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tauri::{AppHandle, Runtime, State};

/// How long a model list is reused before the picker asks the server again.
const MODELS_FRESH_FOR: Duration = Duration::from_secs(10 * 60);
/// How long one server may take to list its models.
const MODELS_TIMEOUT: Duration = Duration::from_secs(10);

/// One profile's models as the picker shows them: the list, or why there is none.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileModels {
    pub profile_id: String,
    pub models: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<CommandError>,
}

/// Model lists by profile id, with when they were fetched and for which server.
#[derive(Default)]
pub struct ModelCache {
    lists: Mutex<HashMap<String, (Instant, String, ProfileModels)>>,
}

impl ModelCache {
    fn fresh(&self, profile: &Profile, server: &str) -> Option<ProfileModels> {
        let lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        lists
            .get(&profile.id)
            .filter(|(at, for_server, list)| {
                at.elapsed() < MODELS_FRESH_FOR && for_server == server && list.error.is_none()
            })
            .map(|(_, _, list)| list.clone())
    }

    fn keep(&self, server: String, list: ProfileModels) {
        let mut lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        lists.insert(list.profile_id.clone(), (Instant::now(), server, list));
    }
}

/// The profile's models, or the error that kept the list from coming.
async fn models_of(core: &Core, settings: &Settings, profile: &Profile) -> ProfileModels {
    let listed = async {
        // A profile being edited may not be saved yet: its own values count. Its stored key
        // still goes only to the origin it was saved for.
        let destination = settings.effective_with(profile.clone()).destination();
        let endpoint = endpoint_for(core.secrets.clone(), &destination).await?;
        let models =
            palaver_core::llm::list_models(core.client.http(), &endpoint, MODELS_TIMEOUT).await?;
        Ok::<_, CommandError>(models)
    };
    match listed.await {
        Ok(models) => ProfileModels {
            profile_id: profile.id.clone(),
            models,
            error: None,
        },
        Err(error) => ProfileModels {
            profile_id: profile.id.clone(),
            models: Vec::new(),
            error: Some(error),
        },
    }
}

/// Every profile's models, asked of all servers at once. Lists fetched in the last ten
/// minutes are reused unless `refresh`; a failed one is always asked again.
#[tauri::command]
pub async fn list_all_models(
    core: State<'_, Arc<Core>>,
    state: State<'_, SettingsState>,
    cache: State<'_, ModelCache>,
    refresh: Option<bool>,
) -> Result<Vec<ProfileModels>, CommandError> {
    let settings = state.get();
    let refresh = refresh.unwrap_or(false);
    let asks = settings.profiles.iter().map(|profile| {
        let settings = &settings;
        let core = core.inner().as_ref();
        let cache = cache.inner();
        async move {
            let server = settings
                .effective_for(Some(&profile.id))
                .map(|e| e.base_url.value)
                .unwrap_or_default();
            if !refresh {
                if let Some(list) = cache.fresh(profile, &server) {
                    return list;
                }
            }
            let list = models_of(core, settings, profile).await;
            cache.keep(server, list.clone());
            list
        }
    });
    Ok(futures_util::future::join_all(asks).await)
}

/// "Check connection" for a profile as the form holds it (saved or not): its models, or
/// the error a request would meet.
#[tauri::command]
pub async fn check_connection(
    core: State<'_, Arc<Core>>,
    state: State<'_, SettingsState>,
    profile: Profile,
) -> Result<Vec<String>, CommandError> {
    let settings = state.get();
    let list = models_of(&core, &settings, &profile).await;
    match list.error {
        Some(error) => Err(error),
        None => Ok(list.models),
    }
}

/// The local servers (Ollama, LM Studio, llama.cpp, vLLM) that answer on this machine and
/// are not a profile yet.
#[tauri::command]
pub async fn probe_local_servers(
    core: State<'_, Arc<Core>>,
    state: State<'_, SettingsState>,
) -> Result<Vec<LocalServer>, CommandError> {
    let env = std::env::var(providers::PROBE_PORTS_ENV).ok();
    let targets = providers::probe_targets(env.as_deref());
    let found =
        providers::probe_local(core.client.http(), &targets, providers::PROBE_TIMEOUT).await;
    let settings = state.get();
    let known: Vec<&str> = settings
        .profiles
        .iter()
        .map(|p| p.base_url.as_str())
        .collect();
    Ok(found
        .into_iter()
        .filter(|s| !providers::is_configured(&s.base_url, &known))
        .collect())
}

/// Makes `model` on `profile` the conversation's choice for its next replies.
#[tauri::command]
pub async fn set_conversation_model<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, Arc<Core>>,
    state: State<'_, SettingsState>,
    conversation_id: String,
    profile: String,
    model: String,
) -> Result<(), CommandError> {
    if state.get().profile(&profile).is_none() {
        return Err(CommandError::bad_request(format!(
            "There is no provider profile called “{profile}”."
        )));
    }
    let id = conversation_id.clone();
    with_history(&core, move |h| Ok(h.set_model(&id, &profile, &model)?)).await?;
    emit_changed(&app, vec![conversation_id]);
    Ok(())
}
