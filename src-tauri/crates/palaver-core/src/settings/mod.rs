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

use crate::llm::{ApiKind, OPENAI_BASE_URL};
use crate::providers::Preset;
use crate::secrets::DEFAULT_PROFILE;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

mod effective;
pub mod shortcut;

pub use effective::{
    env_key_for, Effective, Origin, Overrides, Sourced, UnknownProfile, ONE_OFF_NAME,
};

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

/// One server the user talks to, and how. Its key is in the keyring under [`Profile::id`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
pub struct Profile {
    /// The keyring account of this profile's key; stable when the profile is renamed.
    pub id: String,
    pub name: String,
    pub kind: ApiKind,
    /// The preset it was made from (`openai`, `ollama`, …), or `custom`.
    pub preset: String,
    /// Empty: the kind's own server (OpenAI's may come from `OPENAI_BASE_URL`).
    pub base_url: String,
    /// The model new conversations start with.
    pub model: String,
    /// Sent with every request to this server (a gateway's token, an `HTTP-Referer`).
    pub headers: Vec<Header>,
    /// Azure's `api-version`.
    pub api_version: String,
    /// The most tokens a reply may have; `None` is the server's (or the model's) default.
    pub max_tokens: Option<u32>,
    /// Send the stored key to this profile's server even over plain `http://` to another
    /// machine. Off: the key would travel in cleartext.
    pub allow_cleartext_key: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Header {
    pub name: String,
    pub value: String,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            id: DEFAULT_PROFILE.to_owned(),
            name: "OpenAI".to_owned(),
            kind: ApiKind::OpenAi,
            preset: "openai".to_owned(),
            base_url: String::new(),
            model: "gpt-4o-mini".to_owned(),
            headers: Vec::new(),
            api_version: String::new(),
            max_tokens: None,
            allow_cleartext_key: false,
        }
    }
}

impl Profile {
    /// A new profile from a preset, named `name`, with the id `id`.
    pub fn from_preset(preset: &Preset, id: String, name: String) -> Profile {
        Profile {
            id,
            name,
            kind: preset.kind,
            preset: preset.id.to_owned(),
            base_url: preset.base_url.to_owned(),
            model: preset.model.to_owned(),
            headers: Vec::new(),
            api_version: if preset.kind == ApiKind::Azure {
                crate::llm::AZURE_DEFAULT_API_VERSION.to_owned()
            } else {
                String::new()
            },
            max_tokens: None,
            allow_cleartext_key: false,
        }
    }

    /// The server this profile's requests go to when its own URL is empty; `None` for a
    /// kind that has no usual server (Azure).
    pub fn usual_base_url(&self) -> Option<&'static str> {
        match self.kind {
            ApiKind::OpenAi | ApiKind::Responses => Some(OPENAI_BASE_URL),
            ApiKind::Anthropic => Some(ANTHROPIC_BASE_URL),
            ApiKind::Azure => None,
        }
    }

    pub fn header_pairs(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect()
    }

    /// Whether `name` names this profile: its id, or its name in any case.
    pub fn is_named(&self, name: &str) -> bool {
        let name = name.trim();
        self.id == name || self.name.trim().eq_ignore_ascii_case(name)
    }

    fn validated(mut self) -> Result<Profile, SettingsError> {
        self.name = self.name.trim().to_owned();
        self.base_url = self.base_url.trim().to_owned();
        self.model = self.model.trim().to_owned();
        self.api_version = self.api_version.trim().to_owned();
        let label = if self.name.is_empty() {
            return Err(SettingsError::Invalid(
                "Give the provider a name.".to_owned(),
            ));
        } else {
            self.name.clone()
        };
        if !self.base_url.is_empty() {
            crate::llm::Endpoint::new(&self.base_url, None)
                .map_err(|e| SettingsError::Invalid(format!("{label}: {e}")))?;
        } else if self.usual_base_url().is_none() {
            return Err(SettingsError::Invalid(format!(
                "{label}: give the address of the Azure resource (https://NAME.openai.azure.com)."
            )));
        }
        for header in &mut self.headers {
            header.name = header.name.trim().to_owned();
            header.value = header.value.trim().to_owned();
            if header.name.is_empty()
                || !header
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b':')
            {
                return Err(SettingsError::Invalid(format!(
                    "{label}: “{}” is not a header name.",
                    header.name
                )));
            }
            if header.value.chars().any(char::is_control) {
                return Err(SettingsError::Invalid(format!(
                    "{label}: the value of header “{}” holds a line break or a control character.",
                    header.name
                )));
            }
        }
        self.headers.retain(|h| !h.name.is_empty());
        if self.max_tokens == Some(0) {
            self.max_tokens = None;
        }
        Ok(self)
    }
}

/// Anthropic's API, where an Anthropic profile without its own URL goes.
pub const ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com/v1";

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
    /// Every provider, in the order Settings lists them.
    pub profiles: Vec<Profile>,
    /// The id of the profile (and, through it, the model) that new conversations, quick
    /// ask and `palaver ask` use.
    pub default_profile: String,
    /// The single profile of files from before there were several; read, never written.
    #[serde(rename = "profile", skip_serializing)]
    #[ts(skip)]
    pub legacy_profile: Option<Profile>,
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
            profiles: vec![Profile::default()],
            default_profile: DEFAULT_PROFILE.to_owned(),
            legacy_profile: None,
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
        let chosen = (self.default_profile(), Origin::File);
        Effective::build(self, true, chosen, Overrides::default(), env_var)
    }

    /// What is in effect for `profile` as given, saved or not (the settings form's).
    pub fn effective_with(&self, profile: Profile) -> Effective {
        Effective::build(
            self,
            true,
            (profile, Origin::File),
            Overrides::default(),
            env_var,
        )
    }

    /// What is in effect for a conversation on profile `id` (`None`: the default).
    pub fn effective_for(&self, id: Option<&str>) -> Result<Effective, UnknownProfile> {
        let overrides = Overrides {
            profile: id
                .filter(|id| !id.is_empty())
                .map(|id| Sourced::new(id.to_owned(), Origin::File)),
            ..Overrides::default()
        };
        Effective::resolve(self, &FileState::Read, overrides, env_var)
    }

    /// Checks what the settings form sent before it is stored.
    pub fn validated(mut self) -> Result<Settings, SettingsError> {
        self = self.upgraded();
        let mut profiles = Vec::with_capacity(self.profiles.len());
        for profile in std::mem::take(&mut self.profiles) {
            let mut profile = profile.validated()?;
            if profile.id.trim().is_empty() {
                profile.id = new_profile_id(&profiles, &profile.name);
            }
            if profiles.iter().any(|p: &Profile| p.id == profile.id) {
                return Err(SettingsError::Invalid(format!(
                    "Two providers have the id “{}”.",
                    profile.id
                )));
            }
            if profiles
                .iter()
                .any(|p: &Profile| p.name.eq_ignore_ascii_case(&profile.name))
            {
                return Err(SettingsError::Invalid(format!(
                    "Two providers are called “{}”; give each its own name.",
                    profile.name
                )));
            }
            profiles.push(profile);
        }
        self.profiles = profiles;
        if !self.profiles.iter().any(|p| p.id == self.default_profile) {
            self.default_profile = self
                .profiles
                .first()
                .map(|p| p.id.clone())
                .unwrap_or_default();
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
        Ok(self)
    }

    /// A file from before there were several profiles holds one, `profile`: it becomes the
    /// only one, and the default.
    pub fn upgraded(mut self) -> Settings {
        if let Some(mut old) = self.legacy_profile.take() {
            if old.id.trim().is_empty() {
                old.id = DEFAULT_PROFILE.to_owned();
            }
            if old.preset.is_empty() {
                old.preset = "custom".to_owned();
            }
            self.default_profile = old.id.clone();
            self.profiles = vec![old];
        }
        self
    }

    /// The profile named `name` (id or name), if there is one.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles
            .iter()
            .find(|p| p.id == name.trim())
            .or_else(|| self.profiles.iter().find(|p| p.is_named(name)))
    }

    /// The default profile: the one chosen, else the first, else OpenAI's.
    pub fn default_profile(&self) -> Profile {
        self.profile(&self.default_profile)
            .or(self.profiles.first())
            .cloned()
            .unwrap_or_default()
    }

    /// Adds `profile`, giving it an id no other profile has. Returns that id.
    pub fn add_profile(&mut self, mut profile: Profile) -> Result<String, SettingsError> {
        profile.id = new_profile_id(&self.profiles, &profile.name);
        let id = profile.id.clone();
        let mut next = self.clone();
        next.profiles.push(profile);
        *self = next.validated()?;
        Ok(id)
    }
}

/// An id for a profile called `name`: its letters and digits, lower case, unique among
/// `existing`.
pub fn new_profile_id(existing: &[Profile], name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let base = if slug.is_empty() { "profile" } else { slug };
    let taken = |id: &str| existing.iter().any(|p| p.id == id);
    if !taken(base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !taken(id))
        .unwrap_or_else(|| base.to_owned())
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
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
        Ok(contents) => (contents.settings.upgraded(), FileState::Read),
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
        let original = br#"{"settings":{"theme":"dark","profiles":[{"model":42}]}}"#;
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
        s.profiles[0].base_url = "localhost:11434".into();
        assert!(s.clone().validated().is_err());
        s.profiles[0].base_url = " http://localhost:11434/v1 ".into();
        assert_eq!(
            s.clone().validated().unwrap().profiles[0].base_url,
            "http://localhost:11434/v1"
        );
        let mut two = s.clone();
        two.profiles.push(Profile {
            id: String::new(),
            name: "openai".into(),
            ..Profile::default()
        });
        assert!(two.validated().is_err(), "two profiles with one name");
        let mut header = s.clone();
        header.profiles[0].headers = vec![Header {
            name: "X-Token".into(),
            value: "a\r\nInjected: yes".into(),
        }];
        let e = header.validated().unwrap_err().to_string();
        assert!(!e.contains("Injected"), "{e}");
        s.temperature = Some(3.0);
        assert!(s.validated().is_err());
    }

    #[test]
    fn old_or_partial_files_fill_in_defaults() {
        let s: Settings = serde_json::from_str(r#"{"theme":"dark"}"#).unwrap();
        assert_eq!(s.theme, Theme::Dark);
        assert_eq!(s.profiles, vec![Profile::default()]);
    }

    #[test]
    fn a_single_profile_file_becomes_a_list_of_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(
            &path,
            br#"{"settings":{"profile":{"id":"openai","name":"Local","baseUrl":"http://localhost:11434/v1","model":"llama3.2","allowCleartextKey":false}}}"#,
        )
        .unwrap();
        let (s, state) = read(&path);
        assert!(matches!(state, FileState::Read));
        assert_eq!(s.profiles.len(), 1);
        let p = s.default_profile();
        assert_eq!((p.name.as_str(), p.model.as_str()), ("Local", "llama3.2"));
        assert_eq!(p.kind, ApiKind::OpenAi);
        SettingsFile::new(path.clone()).save(&s).unwrap();
        let saved = std::fs::read_to_string(&path).unwrap();
        assert!(
            saved.contains("\"profiles\"") && !saved.contains("\"profile\""),
            "{saved}"
        );
        assert_eq!(read(&path).0.profiles, s.profiles);
    }

    #[test]
    fn new_profiles_get_ids_of_their_own() {
        let mut s = Settings::default();
        let preset = crate::providers::preset("ollama").unwrap();
        let id = s
            .add_profile(Profile::from_preset(
                preset,
                String::new(),
                "Ollama (home)".into(),
            ))
            .unwrap();
        assert_eq!(id, "ollama-home");
        let again = s.add_profile(Profile::from_preset(
            preset,
            String::new(),
            "OpenAI 2".into(),
        ));
        assert_eq!(again.unwrap(), "openai-2");
        assert_eq!(new_profile_id(&s.profiles, "OpenAI"), "openai-3");
        assert_eq!(new_profile_id(&[], "日本"), "profile");
    }
}
