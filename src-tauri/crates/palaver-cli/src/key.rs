//! `palaver key set|clear|status`: the key in the system keyring, from the terminal.
//!
//! `set` reads the key from stdin — with no echo when stdin is a terminal — never from an
//! argument, so it does not end up in shell history or in `ps`. The key is stored for the
//! origin of `--base-url` and is sent to that server alone.

use super::terminal::printable;
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use palaver_core::llm::{origin_of_base_url, OPENAI_BASE_URL};
use palaver_core::secrets::{
    self, ApiKey, KeySource, OsKeyring, SecretError, StoredKey, DEFAULT_PROFILE,
};
use std::io::{BufRead, IsTerminal};
use std::sync::Arc;

#[derive(Debug, clap::Subcommand)]
pub enum KeyAction {
    /// Store a key (read from stdin) in the system keyring, for one server
    Set {
        #[arg(long, default_value = DEFAULT_PROFILE)]
        profile: String,
        /// The server the key is for; it is never sent anywhere else
        #[arg(long, env = "OPENAI_BASE_URL", default_value = OPENAI_BASE_URL)]
        base_url: String,
    },
    /// Remove the stored key
    Clear {
        #[arg(long, default_value = DEFAULT_PROFILE)]
        profile: String,
    },
    /// Say whether a key is available and where from (shows its last four characters only)
    Status {
        #[arg(long, default_value = DEFAULT_PROFILE)]
        profile: String,
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

pub async fn run(action: KeyAction) -> i32 {
    let store = Arc::new(OsKeyring);
    match action {
        KeyAction::Set { profile, base_url } => {
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
            let status = secrets::key_status(store, &profile, secrets::env_key()).await;
            match (status.source, status.last_four) {
                (Some(KeySource::Keyring), Some(last)) => {
                    let origin = status.origin.unwrap_or_default();
                    println!("{profile}: key stored in the system keyring (…{last}), for {origin}");
                }
                (Some(KeySource::Environment), Some(last)) => {
                    println!("{profile}: key from the environment, OPENAI_API_KEY (…{last}); none stored");
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
