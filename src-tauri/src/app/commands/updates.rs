//! Updates through tauri-plugin-updater: the release pipeline publishes a manifest signed
//! with the project's key, and only an update carrying that signature is installed.
//!
//! A build made without the public key (from source, by a distribution) never updates
//! itself: its updates come from wherever it came from. Every check fails quietly; the
//! webview shows the outcome only when the person asked.

use crate::app::error::{CommandError, ShellErrorKind};
use serde::Serialize;
use std::sync::Mutex;
use std::time::Duration;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_updater::{Update, UpdaterExt};

const CHECK_TIMEOUT: Duration = Duration::from_secs(20);

/// The update found by the last check, kept until the person installs it.
#[derive(Default)]
pub struct PendingUpdate(Mutex<Option<Update>>);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum UpdateStatus {
    /// This build has no update key: it is updated by whoever built it.
    NotConfigured,
    UpToDate {
        current: String,
    },
    Available {
        version: String,
        notes: String,
    },
    Failed {
        message: String,
    },
}

/// Whether the app's configuration lets it update itself: a public key and an endpoint.
pub fn configured(updater_config: Option<&serde_json::Value>) -> bool {
    let Some(config) = updater_config else {
        return false;
    };
    let key = config["pubkey"].as_str().unwrap_or("").trim();
    let endpoints = config["endpoints"].as_array().map_or(0, Vec::len);
    !key.is_empty() && endpoints > 0
}

fn status_of(
    checked: Result<Option<(String, Option<String>)>, tauri_plugin_updater::Error>,
    current: &str,
) -> UpdateStatus {
    match checked {
        Ok(Some((version, notes))) => UpdateStatus::Available {
            version,
            notes: notes.unwrap_or_default(),
        },
        Ok(None) => UpdateStatus::UpToDate {
            current: current.to_owned(),
        },
        Err(message) => UpdateStatus::Failed {
            message: format!("Could not check for updates: {message}"),
        },
    }
}

/// Asks the release server whether a newer, signed Palaver exists.
#[tauri::command]
pub async fn check_for_updates<R: Runtime>(
    app: AppHandle<R>,
    pending: State<'_, PendingUpdate>,
) -> Result<UpdateStatus, CommandError> {
    if !configured(app.config().plugins.0.get("updater")) {
        return Ok(UpdateStatus::NotConfigured);
    }
    let checked = match app.updater_builder().timeout(CHECK_TIMEOUT).build() {
        Ok(updater) => updater.check().await,
        Err(e) => Err(e),
    };
    let found = checked.map(|update| {
        let summary = update.as_ref().map(|u| (u.version.clone(), u.body.clone()));
        *pending.0.lock().unwrap_or_else(|p| p.into_inner()) = update;
        summary
    });
    if let Err(message) = &found {
        tracing::info!(%message, "update check failed");
    }
    Ok(status_of(found, &app.package_info().version.to_string()))
}

/// Downloads the update found by the last check, verifies its signature, installs it and
/// restarts Palaver.
#[tauri::command]
pub async fn install_update<R: Runtime>(app: AppHandle<R>) -> Result<(), CommandError> {
    let update = app
        .state::<PendingUpdate>()
        .0
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
        .ok_or_else(|| {
            CommandError::new(ShellErrorKind::Update, "No update is waiting; check again.")
        })?;
    update
        .download_and_install(|_, _| {}, || {})
        .await
        .map_err(|e| {
            CommandError::new(ShellErrorKind::Update, format!("The update failed: {e}"))
        })?;
    app.restart()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_build_without_the_release_key_does_not_update_itself() {
        assert!(!configured(None));
        assert!(!configured(Some(
            &json!({ "pubkey": "", "endpoints": ["https://x/latest.json"] })
        )));
        assert!(!configured(Some(
            &json!({ "pubkey": "RWQ…", "endpoints": [] })
        )));
        assert!(configured(Some(
            &json!({ "pubkey": "RWQ…", "endpoints": ["https://x/latest.json"] })
        )));
    }

    #[test]
    fn the_committed_configuration_leaves_the_key_to_the_release_pipeline() {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../../../../tauri.conf.json")).unwrap();
        let updater = &config["plugins"]["updater"];
        assert!(!configured(Some(updater)));
        let endpoint = updater["endpoints"][0].as_str().unwrap();
        assert!(endpoint.starts_with("https://"), "{endpoint}");
    }

    #[test]
    fn outcomes_as_the_webview_sees_them() {
        let shown = |s: UpdateStatus| serde_json::to_value(s).unwrap();
        assert_eq!(
            shown(status_of(Ok(None), "0.1.0")),
            json!({ "status": "upToDate", "current": "0.1.0" })
        );
        assert_eq!(
            shown(status_of(Ok(Some(("0.2.0".into(), None))), "0.1.0")),
            json!({ "status": "available", "version": "0.2.0", "notes": "" })
        );
        let failed = shown(status_of(
            Err(tauri_plugin_updater::Error::ReleaseNotFound),
            "0.1.0",
        ));
        assert_eq!(failed["status"], "failed");
        assert!(failed["message"]
            .as_str()
            .unwrap()
            .starts_with("Could not check for updates: Could not fetch a valid release JSON"));
    }
}
