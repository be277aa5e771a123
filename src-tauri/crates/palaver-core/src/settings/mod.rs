//! Settings in `settings.json` in the data directory. Never a key.
//!
//! The file is `{"settings": {…}}`. It is written whole or not at all
//! ([`crate::files::write_atomic`]), readable by this user alone. A file that cannot be
//! used — not JSON, or a value of the wrong type — is never overwritten with defaults: it
//! is moved aside to `settings.json.unreadable-<time>` and the user is told, so nothing is
//! lost. Fields it lacks take their defaults; fields it has that this version does not know
//! are left out on the next save.
//!
//! Both front ends read this one file: the app reads and writes it, the CLI only reads it
//! (and never moves a bad file aside; the app does that when it starts). What is in effect
//! for a request — the file, flags, environment — is worked out by [`Effective::resolve`].

use crate::secrets::DEFAULT_PROFILE;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

mod effective;
pub mod shortcut;

pub use effective::{Effective, Origin, Overrides, Sourced};

pub const FILE_NAME: &str = "settings.json";
pub const BASE_URL_ENV: &str = "OPENAI_BASE_URL";

/// This user's settings file, in the data directory both front ends share.
pub fn default_path() -> PathBuf {
    crate::paths::data_dir().join(FILE_NAME)
}

/// Why settings could not be used or saved. The message is for people.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A value the form or the file holds is not acceptable.
    #[error("{0}")]
    Invalid(String),
    #[error(
        "Could not save the settings to {path}: {source}. The previous settings are unchanged."
    )]
    Save {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Could not encode the settings: {0}")]
    Encode(#[from] serde_json::Error),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
pub struct Profile {
    /// The keyring account of this profile's key.
    pub id: String,
    pub name: String,
    /// Empty: `OPENAI_BASE_URL` from the environment, else OpenAI.
    pub base_url: String,
    pub model: String,
    /// Send the stored key to this profile's server even over plain `http://` to another
    /// machine. Off: the key would travel in cleartext.
    pub allow_cleartext_key: bool,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            id: DEFAULT_PROFILE.to_owned(),
            name: "OpenAI".to_owned(),
            base_url: String::new(),
            model: "gpt-4o-mini".to_owned(),
            allow_cleartext_key: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
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
            quick_ask_shortcut: shortcut::DEFAULT.to_owned(),
            close_to_tray: true,
            start_at_login: false,
            notify_when_done: true,
            check_for_updates: true,
        }
    }
}

impl Settings {
    /// What is in effect in the app: these settings, no overrides, `OPENAI_BASE_URL` as the
    /// fallback for a profile that names no server.
    pub fn effective(&self) -> Effective {
        Effective::resolve(self, &FileState::Read, Overrides::default(), |name| {
            std::env::var(name).ok()
        })
    }

    /// Checks what the settings form sent before it is stored.
    pub fn validated(mut self) -> Result<Settings, SettingsError> {
        self.profile.base_url = self.profile.base_url.trim().to_owned();
        self.profile.model = self.profile.model.trim().to_owned();
        if !self.profile.base_url.is_empty() {
            crate::llm::Endpoint::new(&self.profile.base_url, None)
                .map_err(|e| SettingsError::Invalid(e.to_string()))?;
        }
        if self.profile.model.is_empty() {
            return Err(SettingsError::Invalid("Choose a model.".to_owned()));
        }
        if let Some(t) = self.temperature {
            if !(0.0..=2.0).contains(&t) {
                return Err(SettingsError::Invalid(
                    "The temperature must be between 0 and 2.".to_owned(),
                ));
            }
        }
        self.quick_ask_shortcut = shortcut::normalize(&self.quick_ask_shortcut)
            .map_err(|e| SettingsError::Invalid(e.0))?;
        if self.profile.id.trim().is_empty() {
            self.profile.id = DEFAULT_PROFILE.to_owned();
        }
        Ok(self)
    }
}

#[derive(Serialize)]
struct FileShape<'a> {
    settings: &'a Settings,
}

#[derive(Deserialize)]
struct FileContents {
    #[serde(default)]
    settings: Settings,
}

/// What reading the settings file found.
#[derive(Debug)]
pub enum FileState {
    /// No file yet: everything is a default.
    Missing,
    Read,
    /// The file could not be read (permissions, I/O); defaults are in use. Left as it is.
    Unreadable(String),
    /// The file is not JSON, or holds a value of the wrong type; defaults are in use.
    Invalid(String),
}

impl FileState {
    /// What the user should know about the file, if anything.
    pub fn problem(&self) -> Option<String> {
        match self {
            FileState::Missing | FileState::Read => None,
            FileState::Unreadable(why) => Some(format!("unreadable ({why})")),
            FileState::Invalid(why) => Some(format!("not valid ({why})")),
        }
    }
}

/// Reads the settings file without changing anything on disk (the CLI's way).
pub fn read(path: &Path) -> (Settings, FileState) {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return (Settings::default(), FileState::Missing)
        }
        Err(e) => return (Settings::default(), FileState::Unreadable(e.to_string())),
    };
    match serde_json::from_slice::<FileContents>(&bytes) {
        Ok(contents) => (contents.settings, FileState::Read),
        Err(e) => (Settings::default(), FileState::Invalid(e.to_string())),
    }
}

/// Reads the settings file (the app's way). A missing file gives the defaults; an unusable
/// one is moved aside and the defaults come with a notice for the user.
pub fn load(path: &Path) -> (Settings, Option<String>) {
    match read(path) {
        (settings, FileState::Missing | FileState::Read) => (settings, None),
        (settings, FileState::Invalid(why)) => (settings, Some(quarantine(path, &why))),
        (settings, FileState::Unreadable(why)) => (
            settings,
            Some(format!(
                "The settings file {} could not be read ({why}); defaults are in use and it will not be overwritten until it can be.",
                path.display()
            )),
        ),
    }
}

/// Moves an unusable settings file out of the way. Returns a notice for the user.
fn quarantine(path: &Path, why: &str) -> String {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let aside = PathBuf::from(format!("{}.unreadable-{stamp}", path.display()));
    match std::fs::rename(path, &aside) {
        Ok(()) => format!(
            "The settings file could not be used ({why}), so defaults are in use. The old file was kept as {}.",
            aside.display()
        ),
        Err(e) => format!(
            "The settings file {} could not be used ({why}) or moved aside ({e}); defaults are in use.",
            path.display()
        ),
    }
}

/// Where settings are written: the settings file in the app, anything in tests.
pub trait SettingsPersistence: Send + Sync {
    fn save(&self, settings: &Settings) -> Result<(), SettingsError>;
}

/// `settings.json`, written atomically.
pub struct SettingsFile {
    path: PathBuf,
}

impl SettingsFile {
    pub fn new(path: PathBuf) -> Self {
        SettingsFile { path }
    }
}

impl SettingsPersistence for SettingsFile {
    fn save(&self, settings: &Settings) -> Result<(), SettingsError> {
        let bytes = serde_json::to_vec_pretty(&FileShape { settings })?;
        crate::files::write_atomic(&self.path, &bytes).map_err(|source| SettingsError::Save {
            path: self.path.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loads `contents` as the settings file, saves the defaults it gave, and returns the
    /// notice and what the directory then holds.
    fn load_then_save(contents: &[u8]) -> (Option<String>, Vec<(String, Vec<u8>)>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, contents).unwrap();
        let (settings, notice) = load(&path);
        SettingsFile::new(path).save(&settings).unwrap();
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        files.sort();
        (notice, files)
    }

    #[test]
    fn an_unreadable_file_is_kept_aside_not_overwritten() {
        let (notice, files) = load_then_save(b"{ this is not json");
        assert!(notice.unwrap().contains("defaults are in use"));
        assert_eq!(files.len(), 2, "{files:?}");
        assert!(files[1].0.starts_with("settings.json.unreadable-"));
        assert_eq!(files[1].1, b"{ this is not json");
    }

    #[test]
    fn a_file_with_a_wrongly_typed_value_is_kept_aside_not_replaced_by_defaults() {
        let original = br#"{"settings":{"theme":"dark","profile":{"model":42}}}"#;
        let (notice, files) = load_then_save(original);
        let notice = notice.unwrap();
        assert!(notice.contains("could not be used"), "{notice}");
        assert_eq!(files.len(), 2, "{files:?}");
        assert_eq!(files[1].1, original.to_vec());
    }

    #[test]
    fn a_good_file_is_read_and_saved_in_place() {
        let (notice, files) = load_then_save(br#"{"settings":{"theme":"dark"}}"#);
        assert_eq!(notice, None);
        assert_eq!(files.len(), 1, "{files:?}");
        let saved: serde_json::Value = serde_json::from_slice(&files[0].1).unwrap();
        assert_eq!(saved["settings"]["theme"], "dark");
    }

    #[test]
    fn no_file_means_defaults_without_a_notice() {
        let dir = tempfile::tempdir().unwrap();
        let (settings, notice) = load(&dir.path().join(FILE_NAME));
        assert_eq!((settings, notice), (Settings::default(), None));
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
