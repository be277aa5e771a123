//! Settings in `settings.json` (tauri-plugin-store) in the data directory. Never a key.
//!
//! The plugin silently starts empty on a file it cannot parse and would overwrite it on the
//! next save, so the file is checked first: an unreadable one is moved aside to
//! `settings.json.unreadable-<time>` and the user is told, so nothing is lost.

use crate::llm::OPENAI_BASE_URL;
use crate::secrets::DEFAULT_PROFILE;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tauri::{AppHandle, Runtime};
use tauri_plugin_store::{Store, StoreExt};

pub const FILE_NAME: &str = "settings.json";
const KEY: &str = "settings";
pub const BASE_URL_ENV: &str = "OPENAI_BASE_URL";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Profile {
    /// The keyring account of this profile's key.
    pub id: String,
    pub name: String,
    /// Empty: `OPENAI_BASE_URL` from the environment, else OpenAI.
    pub base_url: String,
    pub model: String,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            id: DEFAULT_PROFILE.to_owned(),
            name: "OpenAI".to_owned(),
            base_url: String::new(),
            model: "gpt-4o-mini".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    pub profile: Profile,
    pub system_prompt: String,
    pub temperature: Option<f32>,
    pub theme: Theme,
    /// Set once the person has been through the welcome screen.
    pub onboarded: bool,
    /// The global shortcut that opens the quick-ask window.
    pub quick_ask_shortcut: String,
    /// Closing the main window hides it while the tray icon lives.
    pub close_to_tray: bool,
    /// Start Palaver (in the tray) when the user logs in.
    pub start_at_login: bool,
    /// A desktop notification when a reply finishes while its window is hidden or unfocused.
    pub notify_when_done: bool,
    /// Look for a new release at start-up (builds from the release pipeline only).
    pub check_for_updates: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            profile: Profile::default(),
            system_prompt: String::new(),
            temperature: None,
            theme: Theme::System,
            onboarded: false,
            quick_ask_shortcut: super::shortcut::DEFAULT.to_owned(),
            close_to_tray: true,
            start_at_login: false,
            notify_when_done: true,
            check_for_updates: true,
        }
    }
}

impl Settings {
    /// Checks what the settings form sent before it is stored.
    pub fn validated(mut self) -> Result<Settings, String> {
        self.profile.base_url = self.profile.base_url.trim().to_owned();
        self.profile.model = self.profile.model.trim().to_owned();
        if !self.profile.base_url.is_empty() {
            crate::llm::Endpoint::new(&self.profile.base_url, None).map_err(|e| e.to_string())?;
        }
        if self.profile.model.is_empty() {
            return Err("Choose a model.".to_owned());
        }
        if let Some(t) = self.temperature {
            if !(0.0..=2.0).contains(&t) {
                return Err("The temperature must be between 0 and 2.".to_owned());
            }
        }
        self.quick_ask_shortcut = super::shortcut::normalize(&self.quick_ask_shortcut)?;
        if self.profile.id.trim().is_empty() {
            self.profile.id = DEFAULT_PROFILE.to_owned();
        }
        Ok(self)
    }

    /// The base URL requests go to, and whether it came from the environment.
    pub fn effective_base_url(&self) -> (String, bool) {
        if !self.profile.base_url.is_empty() {
            return (self.profile.base_url.clone(), false);
        }
        match std::env::var(BASE_URL_ENV) {
            Ok(url) if !url.trim().is_empty() => (url.trim().to_owned(), true),
            _ => (OPENAI_BASE_URL.to_owned(), false),
        }
    }
}

/// Moves an unparsable settings file out of the way. Returns a notice for the user.
pub fn quarantine_unreadable(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    if serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&bytes).is_ok() {
        return None;
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let aside = PathBuf::from(format!("{}.unreadable-{stamp}", path.display()));
    match std::fs::rename(path, &aside) {
        Ok(()) => Some(format!(
            "The settings file could not be read, so defaults are in use. The old file was kept as {}.",
            aside.display()
        )),
        Err(e) => Some(format!(
            "The settings file {} could not be read ({e}); defaults are in use.",
            path.display()
        )),
    }
}

/// Where settings are written; the plugin store in the app, anything in tests.
pub trait SettingsPersistence: Send + Sync {
    fn save(&self, settings: &Settings) -> Result<(), String>;
}

pub struct SettingsStore<R: Runtime> {
    store: Arc<Store<R>>,
}

impl<R: Runtime> SettingsStore<R> {
    pub fn open(app: &AppHandle<R>, path: &Path) -> Result<Self, String> {
        let store = app
            .store_builder(path)
            .disable_auto_save()
            .build()
            .map_err(|e| format!("Could not open the settings at {}: {e}", path.display()))?;
        Ok(SettingsStore { store })
    }

    pub fn load(&self) -> Settings {
        self.store
            .get(KEY)
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default()
    }
}

impl<R: Runtime> SettingsPersistence for SettingsStore<R> {
    fn save(&self, settings: &Settings) -> Result<(), String> {
        let value = serde_json::to_value(settings).map_err(|e| e.to_string())?;
        self.store.set(KEY, value);
        self.store
            .save()
            .map_err(|e| format!("Could not save the settings: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_file_is_kept_aside_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, b"{ this is not json").unwrap();
        let notice = quarantine_unreadable(&path).unwrap();
        assert!(notice.contains("defaults are in use"));
        assert!(!path.exists());
        let kept: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(kept.len(), 1);
        assert_eq!(
            std::fs::read(kept[0].path()).unwrap(),
            b"{ this is not json"
        );
    }

    #[test]
    fn a_good_file_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, br#"{"settings":{"theme":"dark"}}"#).unwrap();
        assert_eq!(quarantine_unreadable(&path), None);
        assert!(path.exists());
    }

    #[test]
    fn validation_refuses_bad_values() {
        let mut s = Settings::default();
        s.profile.base_url = "localhost:11434".into();
        assert!(s.clone().validated().is_err());
        s.profile.base_url = " http://localhost:11434/v1 ".into();
        assert_eq!(
            s.clone().validated().unwrap().profile.base_url,
            "http://localhost:11434/v1"
        );
        s.temperature = Some(3.0);
        assert!(s.validated().is_err());
    }

    #[test]
    fn old_or_partial_files_fill_in_defaults() {
        let s: Settings = serde_json::from_str(r#"{"theme":"dark"}"#).unwrap();
        assert_eq!(s.theme, Theme::Dark);
        assert_eq!(s.profile, Profile::default());
    }
}
