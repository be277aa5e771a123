//! `palaver key set|clear|status`: the key in the system keyring, from the terminal.
//!
//! `set` reads the key from stdin — with no echo when stdin is a terminal — never from an
//! argument, so it does not end up in shell history or in `ps`. The key is stored for the
//! origin of `--base-url` and is sent to that server alone.

use super::ask::SettingsFlags;
use super::terminal::printable;
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use palaver_core::llm::origin_of_base_url;
use palaver_core::secrets::{self, ApiKey, KeySource, OsKeyring, SecretError, StoredKey};
use palaver_core::settings::Effective;
use std::io::{BufRead, IsTerminal};
use std::sync::Arc;

#[derive(Debug, clap::Subcommand)]
pub enum KeyAction {
    /// Store a profile's key (read from stdin) in the system keyring, for its server
    Set {
        /// The profile, by name or id [default: the default profile]
        #[arg(short, long)]
        profile: Option<String>,
        /// The server the key is for; it is never sent anywhere else [default: the
        /// profile's server]
        #[arg(long)]
        base_url: Option<String>,
    },
    /// Remove a profile's stored key
    Clear {
        #[arg(short, long)]
        profile: Option<String>,
    },
    /// Say whether a profile has a key and where from (shows its last four characters only)
    Status {
        #[arg(short, long)]
        profile: Option<String>,
    },
}

fn keyring_failure(e: &SecretError) -> i32 {
    match e {
        SecretError::InvalidKey(_) => {
            eprintln!("error: {e}");
            EXIT_USAGE
        }
        _ => {
            eprintln!("error [keyring_unavailable]: {e}");
            EXIT_USAGE
        }
    }
}

/// The profile `name` names (or the default one), as in effect for `palaver ask -p`.
fn chosen(name: Option<String>) -> Result<Effective, i32> {
    let flags = SettingsFlags {
        profile: Some(name.unwrap_or_default()).filter(|n| !n.trim().is_empty()),
        ..SettingsFlags::default()
    };
    flags.effective().map(|(e, _)| e).map_err(|e| {
        eprintln!("error: {e}");
        EXIT_USAGE
    })
}

pub async fn run(action: KeyAction) -> i32 {
    let store = Arc::new(OsKeyring);
    match action {
        KeyAction::Set { profile, base_url } => {
            let effective = match chosen(profile) {
                Ok(e) => e,
                Err(code) => return code,
            };
            let base_url = base_url.unwrap_or(effective.base_url.value);
            let profile = effective.profile.value;
            let Some(origin) = origin_of_base_url(&base_url) else {
                eprintln!(
                    "error: “{}” is not a usable base URL (expected e.g. https://api.openai.com/v1)",
                    printable(&base_url)
                );
                return EXIT_USAGE;
            };
            let key = match read_key(&profile) {
                Ok(k) => k,
                Err(code) => return code,
            };
            let last_four = key.last_four();
            let name = profile.clone();
            let stored = StoredKey::new(key, origin.clone());
            match secrets::off_runtime(store, move |s| s.set(&name, &stored)).await {
                Ok(()) => {
                    eprintln!(
                        "Stored the key for “{profile}” in the system keyring (…{last_four}). It is sent to {origin} only."
                    );
                    EXIT_OK
                }
                Err(e) => keyring_failure(&e),
            }
        }
        KeyAction::Clear { profile } => {
            let profile = match chosen(profile) {
                Ok(e) => e.profile.value,
                Err(code) => return code,
            };
            let name = profile.clone();
            match secrets::off_runtime(store, move |s| s.delete(&name)).await {
                Ok(true) => {
                    eprintln!("Removed the key for “{profile}” from the system keyring.");
                    EXIT_OK
                }
                Ok(false) => {
                    eprintln!("No key for “{profile}” was stored; nothing to remove.");
                    EXIT_OK
                }
                Err(e) => keyring_failure(&e),
            }
        }
        KeyAction::Status { profile } => {
            let effective = match chosen(profile) {
                Ok(e) => e,
                Err(code) => return code,
            };
            let env_name = effective.destination().env_key;
            let env = env_name.and_then(secrets::env_key_named);
            let profile = effective.profile.value;
            let status = secrets::key_status(store, &profile, env).await;
            match (status.source, status.last_four) {
                (Some(KeySource::Keyring), Some(last)) => {
                    let origin = status.origin.unwrap_or_default();
                    println!("{profile}: key stored in the system keyring (…{last}), for {origin}");
                }
                (Some(KeySource::Environment), Some(last)) => {
                    let name = env_name.unwrap_or(secrets::ENV_KEY);
                    println!("{profile}: key from the environment, {name} (…{last}); none stored");
                }
                _ => println!(
                    "{profile}: no key (store one with `palaver key set --profile {profile}`)"
                ),
            }
            if let Some(error) = status.keyring_error {
                eprintln!("error [keyring_unavailable]: {error}");
                return EXIT_FAILED;
            }
            EXIT_OK
        }
    }
}

fn read_key(profile: &str) -> Result<ApiKey, i32> {
    let raw = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("API key for “{profile}” (input hidden): ")).map_err(
            |e| {
                eprintln!("error: could not read the key: {e}");
                EXIT_FAILED
            },
        )?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| {
            eprintln!("error: could not read the key from stdin: {e}");
            EXIT_FAILED
        })?;
        line
    };
    let raw = zeroize::Zeroizing::new(raw);
    ApiKey::parse(&raw).map_err(|e| {
        eprintln!("error: {e}");
        EXIT_USAGE
    })
}
