//! The OS keyring through the `keyring` crate: service `palaver`, account = profile name.

use super::{ApiKey, SecretError, SecretStore, SERVICE};

#[derive(Debug, Default, Clone, Copy)]
pub struct OsKeyring;

impl OsKeyring {
    fn entry(profile: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(SERVICE, profile).map_err(unavailable)
    }
}

/// The keyring crate's errors never contain the secret; they can be shown as they are.
fn unavailable(e: keyring::Error) -> SecretError {
    let detail = match &e {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            format!("{inner}")
        }
        other => other.to_string(),
    };
    let hint = if cfg!(target_os = "linux") {
        " (Palaver keeps keys in the Secret Service: GNOME Keyring or KWallet must be running and unlocked. Without one, set OPENAI_API_KEY in the environment.)"
    } else {
        ""
    };
    SecretError::Unavailable(format!("{detail}{hint}"))
}

impl SecretStore for OsKeyring {
    fn get(&self, profile: &str) -> Result<Option<ApiKey>, SecretError> {
        match Self::entry(profile)?.get_password() {
            Ok(secret) => ApiKey::parse(&secret).map(Some),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn set(&self, profile: &str, key: &ApiKey) -> Result<(), SecretError> {
        Self::entry(profile)?
            .set_password(key.expose())
            .map_err(unavailable)
    }

    fn delete(&self, profile: &str) -> Result<bool, SecretError> {
        match Self::entry(profile)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }
}
