//! The OS keyring through the `keyring` crate: service `palaver`, account = profile name.
//!
//! The secret is a small JSON record, `{"origin":"https://host","key":"…"}`, so the origin a
//! key belongs to is kept with it, under the keyring's protection, where no settings file
//! can change it. A secret that is a bare key was stored before origins were recorded and
//! belongs to [`LEGACY_KEY_ORIGIN`].

use super::{ApiKey, SecretError, SecretStore, StoredKey, LEGACY_KEY_ORIGIN, SERVICE};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

#[derive(Serialize, Deserialize)]
struct Record<'a> {
    origin: &'a str,
    key: &'a str,
}

fn encode(stored: &StoredKey) -> Result<Zeroizing<String>, SecretError> {
    serde_json::to_string(&Record {
        origin: &stored.origin,
        key: stored.key.expose(),
    })
    .map(Zeroizing::new)
    .map_err(|e| SecretError::Unavailable(format!("could not encode the key record: {e}")))
}

fn decode(secret: &str) -> Result<StoredKey, SecretError> {
    if !secret.trim_start().starts_with('{') {
        return Ok(StoredKey::new(ApiKey::parse(secret)?, LEGACY_KEY_ORIGIN));
    }
    let record: Record<'_> = serde_json::from_str(secret).map_err(|_| {
        SecretError::InvalidKey("the keyring entry is not a Palaver key record".to_owned())
    })?;
    Ok(StoredKey::new(ApiKey::parse(record.key)?, record.origin))
}

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
    fn get(&self, profile: &str) -> Result<Option<StoredKey>, SecretError> {
        match Self::entry(profile)?.get_password() {
            Ok(secret) => decode(&Zeroizing::new(secret)).map(Some),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn set(&self, profile: &str, key: &StoredKey) -> Result<(), SecretError> {
        Self::entry(profile)?
            .set_password(&encode(key)?)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_keeps_its_origin_and_a_bare_key_belongs_to_openai() {
        let stored = StoredKey::new(
            ApiKey::parse("sk-local-0000").unwrap(),
            "http://127.0.0.1:8080",
        );
        assert_eq!(decode(&encode(&stored).unwrap()).unwrap(), stored);
        let legacy = decode("sk-old-1234").unwrap();
        assert_eq!(legacy.origin, LEGACY_KEY_ORIGIN);
        assert_eq!(legacy.key.expose(), "sk-old-1234");
        assert!(decode("{not json").is_err());
    }
}
