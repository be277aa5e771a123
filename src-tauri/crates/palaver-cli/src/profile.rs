//! `palaver profile …` and `palaver models`: the provider profiles in the settings file the
//! app uses, and the models a profile's server offers.
//!
//! Changes are written to the settings file atomically; a file that could not be read is
//! never replaced (the app moves such a file aside when it starts).

use super::ask::SettingsFlags;
use super::terminal::{one_line, printable};
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use palaver_core::chat::endpoint_for;
use palaver_core::llm::{list_models, ApiKind, LlmClient};
use palaver_core::providers::{self, PRESETS};
use palaver_core::secrets::{self, OsKeyring};
use palaver_core::settings::{
    self, FileState, Profile, Settings, SettingsFile, SettingsPersistence,
};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, clap::Subcommand)]
pub enum ProfileAction {
    /// List the profiles: name, kind, server, default model, and whether a key is stored
    List {
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Add a profile (then store its key with `palaver key set -p NAME`)
    #[command(after_help = presets_help())]
    Add {
        name: String,
        /// The wire protocol: openai, anthropic, responses or azure [default: the preset's,
        /// else openai]
        #[arg(long)]
        kind: Option<ApiKind>,
        /// The server's base URL [default: the preset's]
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// The model new conversations start with [default: the preset's]
        #[arg(short, long)]
        model: Option<String>,
        /// Fill in the details of a known provider (see below)
        #[arg(long)]
        preset: Option<String>,
        /// Azure's api-version
        #[arg(long)]
        api_version: Option<String>,
        /// An extra header sent with every request, as NAME=VALUE (repeatable)
        #[arg(long = "header", value_name = "NAME=VALUE")]
        headers: Vec<String>,
        /// Make it the default profile
        #[arg(long)]
        default: bool,
    },
    /// Remove a profile and its stored key
    Remove { name: String },
    /// Make a profile the default: for new conversations, quick ask and `palaver ask`
    Default { name: String },
}

fn presets_help() -> String {
    let mut text = String::from("Presets:\n");
    for p in PRESETS {
        text.push_str(&format!("  {:<11} {} ({})\n", p.id, p.name, p.kind));
    }
    text
}

/// The settings file for a change, or the exit code after saying why it cannot change.
fn writable() -> Result<(Settings, SettingsFile), i32> {
    let path = settings::default_path();
    match settings::read(&path) {
        (settings, FileState::Read | FileState::Missing) => Ok((settings, SettingsFile::new(path))),
        (_, state) => {
            eprintln!(
                "error: the settings file {} is {}; it was left as it is. Open Palaver to set it aside, or fix it by hand.",
                printable(&path.display().to_string()),
                printable(&state.problem().unwrap_or_default())
            );
            Err(EXIT_USAGE)
        }
    }
}

fn save(settings: &Settings, file: &SettingsFile) -> Result<(), i32> {
    let dir = settings::default_path()
        .parent()
        .map(std::path::Path::to_path_buf);
    if let Some(dir) = dir {
        if let Err(e) = palaver_core::files::create_private_dir(&dir) {
            eprintln!(
                "error: could not create {}: {e}",
                printable(&dir.display().to_string())
            );
            return Err(EXIT_FAILED);
        }
    }
    file.save(settings).map_err(|e| {
        eprintln!("error: {e}");
        EXIT_FAILED
    })
}

/// The settings file for a change to the profile `name`, and that profile.
fn writable_with(name: &str) -> Result<(Settings, SettingsFile, Profile), i32> {
    let (settings, file) = writable()?;
    let profile = find(&settings, name)?.clone();
    Ok((settings, file, profile))
}

fn find<'a>(settings: &'a Settings, name: &str) -> Result<&'a Profile, i32> {
    settings.profile(name).ok_or_else(|| {
        let names: Vec<&str> = settings.profiles.iter().map(|p| p.name.as_str()).collect();
        eprintln!(
            "error: there is no profile called “{}”; the profiles are: {}",
            printable(name),
            printable(&names.join(", "))
        );
        EXIT_USAGE
    })
}

pub async fn run(action: ProfileAction) -> i32 {
    match action {
        ProfileAction::List { json } => list(json).await,
        ProfileAction::Add {
            name,
            kind,
            base_url,
            model,
            preset,
            api_version,
            headers,
            default,
        } => {
            let preset_id = preset.unwrap_or_else(|| match kind {
                Some(ApiKind::Anthropic) => "anthropic".to_owned(),
                Some(ApiKind::Azure) => "azure".to_owned(),
                _ if base_url.is_some() => "custom".to_owned(),
                _ => "openai".to_owned(),
            });
            let Some(preset) = providers::preset(&preset_id) else {
                eprintln!(
                    "error: there is no preset “{}”.\n{}",
                    printable(&preset_id),
                    presets_help()
                );
                return EXIT_USAGE;
            };
            let mut profile = Profile::from_preset(preset, String::new(), name);
            if let Some(kind) = kind {
                profile.kind = kind;
            }
            if let Some(url) = base_url {
                profile.base_url = url;
            }
            if let Some(model) = model {
                profile.model = model;
            }
            if let Some(version) = api_version {
                profile.api_version = version;
            }
            for header in headers {
                let Some((name, value)) = header.split_once('=') else {
                    eprintln!("error: a header is NAME=VALUE");
                    return EXIT_USAGE;
                };
                profile.headers.push(settings::Header {
                    name: name.to_owned(),
                    value: value.to_owned(),
                });
            }
            let (mut settings, file) = match writable() {
                Ok(found) => found,
                Err(code) => return code,
            };
            let id = match settings.add_profile(profile) {
                Ok(id) => id,
                Err(e) => {
                    eprintln!("error: {e}");
                    return EXIT_USAGE;
                }
            };
            if default {
                settings.default_profile = id.clone();
            }
            if let Err(code) = save(&settings, &file) {
                return code;
            }
            let Some(added) = settings.profile(&id) else {
                return EXIT_FAILED;
            };
            eprintln!(
                "Added “{}” ({}, {}){}.",
                printable(&added.name),
                added.kind,
                printable(&server_of(added)),
                if default { ", now the default" } else { "" }
            );
            if preset.needs_key {
                eprintln!(
                    "Store its key with `palaver key set -p {}` (it reads the key from stdin).",
                    super::ask::shell_word(&added.name)
                );
            }
            EXIT_OK
        }
        ProfileAction::Remove { name } => {
            let (mut settings, file, profile) = match writable_with(&name) {
                Ok(found) => found,
                Err(code) => return code,
            };
            settings.profiles.retain(|p| p.id != profile.id);
            let settings = match settings.validated() {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {e}");
                    return EXIT_USAGE;
                }
            };
            if let Err(code) = save(&settings, &file) {
                return code;
            }
            let id = profile.id.clone();
            let key = secrets::off_runtime(Arc::new(OsKeyring), move |s| s.delete(&id)).await;
            let key_note = match key {
                Ok(true) => " and its key",
                Ok(false) => "",
                Err(e) => {
                    eprintln!(
                        "Removed “{}”, but its key could not be removed from the keyring: {e}",
                        printable(&profile.name)
                    );
                    return EXIT_FAILED;
                }
            };
            eprintln!("Removed “{}”{key_note}.", printable(&profile.name));
            EXIT_OK
        }
        ProfileAction::Default { name } => {
            let (mut settings, file, profile) = match writable_with(&name) {
                Ok(found) => found,
                Err(code) => return code,
            };
            settings.default_profile = profile.id.clone();
            if let Err(code) = save(&settings, &file) {
                return code;
            }
            eprintln!(
                "“{}” is the default profile ({}).",
                printable(&profile.name),
                printable(&profile.model)
            );
            EXIT_OK
        }
    }
}

/// The server a profile's requests go to, as shown.
fn server_of(profile: &Profile) -> String {
    if profile.base_url.is_empty() {
        profile.usual_base_url().unwrap_or("(none)").to_owned()
    } else {
        profile.base_url.clone()
    }
}

async fn list(json: bool) -> i32 {
    let (settings, file) = settings::read(&settings::default_path());
    if let Some(problem) = file.problem() {
        eprintln!("warning: the settings file is {problem}; the defaults are shown.");
    }
    let store: Arc<dyn secrets::SecretStore> = Arc::new(OsKeyring);
    let mut rows = Vec::with_capacity(settings.profiles.len());
    let mut keyring_error = None;
    for p in &settings.profiles {
        let id = p.id.clone();
        let stored = secrets::off_runtime(store.clone(), move |s| s.get(&id)).await;
        let key = match stored {
            Ok(Some(k)) => format!("stored, for {}", k.origin),
            Ok(None) => "none".to_owned(),
            Err(e) => {
                keyring_error = Some(e);
                "unknown".to_owned()
            }
        };
        rows.push((p, key));
    }
    if let Some(e) = keyring_error {
        eprintln!("warning: {e}");
    }
    if json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(p, key)| {
                serde_json::json!({
                    "id": p.id, "name": p.name, "kind": p.kind, "baseUrl": server_of(p),
                    "model": p.model, "default": p.id == settings.default_profile,
                    "key": key,
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(list));
        return EXIT_OK;
    }
    let table: Vec<[String; 5]> = rows
        .iter()
        .map(|(p, key)| {
            let mark = if p.id == settings.default_profile {
                "*"
            } else {
                " "
            };
            [
                format!("{mark} {}", one_line(&p.name)),
                p.kind.to_string(),
                one_line(&server_of(p)).into_owned(),
                one_line(&p.model).into_owned(),
                key.clone(),
            ]
        })
        .collect();
    let header = ["  NAME", "KIND", "SERVER", "MODEL", "KEY"].map(str::to_owned);
    let widths: Vec<usize> = (0..5)
        .map(|i| {
            std::iter::once(&header)
                .chain(&table)
                .map(|row| row[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(&table) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
    EXIT_OK
}

/// `palaver models [-p NAME]`: the model list of a profile's server, one per line.
pub async fn models(flags: SettingsFlags) -> i32 {
    let effective = match flags.effective() {
        Ok((e, _)) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let endpoint = match endpoint_for(Arc::new(OsKeyring), &effective.destination()).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error [{}]: {}", e.kind, printable(&e.message));
            return EXIT_USAGE;
        }
    };
    let client = match LlmClient::new(Default::default()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error [{}]: {}", e.kind, e.message);
            return EXIT_FAILED;
        }
    };
    match list_models(client.http(), &endpoint, Duration::from_secs(15)).await {
        Ok(models) => {
            for m in models {
                println!("{}", one_line(&m));
            }
            EXIT_OK
        }
        Err(e) => {
            eprintln!("error [{}]: {}", e.kind, printable(&e.message));
            EXIT_FAILED
        }
    }
}
