//! API keys: held in the OS keyring, one entry per provider profile, never anywhere else.
//!
//! The keyring is the macOS Keychain, the Windows Credential Manager or the Secret Service
//! on Linux (GNOME Keyring, KWallet), reached through the `keyring` crate under service
//! `palaver` with the profile name as the account. Calls into it can block (D-Bus, an
//! unlock prompt), so they run on the blocking pool with a timeout.
//!
//! There is deliberately no plaintext fallback: a missing or locked keyring is reported as
//! `keyring_unavailable` with a way forward. `OPENAI_API_KEY` in the environment is the
//! one other source, read-only and labelled as such; when it gives a key, a keyring that
//! cannot be read is not an error.
//!
//! A key is an [`ApiKey`]: its `Debug` is redacted, it is wiped from memory on drop, and the
//! only way to read it is [`ApiKey::expose`], called where the HTTP header is built.
//!
//! A stored key belongs to the origin (scheme, host, port) of the server it was saved for: a
//! [`StoredKey`] carries it, and the engine attaches the key to requests for that origin
//! only (see `chat::endpoint_for`). A key stored before origins were recorded belongs to
//! OpenAI, the one server such a key was set up for by default.

mod memory;
mod os;

pub use memory::MemoryStore;
pub use os::OsKeyring;

use serde::Serialize;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

pub const SERVICE: &str = "palaver";
/// The origin of a key stored without one.
pub const LEGACY_KEY_ORIGIN: &str = "https://api.openai.com";
pub const DEFAULT_PROFILE: &str = "openai";
pub const ENV_KEY: &str = "OPENAI_API_KEY";
/// Anthropic's key in the environment; it goes to Anthropic's API alone.
pub const ANTHROPIC_ENV_KEY: &str = "ANTHROPIC_API_KEY";

/// How long a keyring call may take before we say the keyring is not answering.
pub const KEYRING_TIMEOUT: Duration = Duration::from_secs(15);

/// An API key. Printing it shows `ApiKey(…abcd)` at most.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(Zeroizing<String>);

impl ApiKey {
    /// Accepts a pasted key: surrounding whitespace is dropped, anything else odd is refused.
    pub fn parse(raw: &str) -> Result<ApiKey, SecretError> {
        let key = raw.trim();
        if key.is_empty() {
            return Err(SecretError::InvalidKey("the key is empty".to_owned()));
        }
        if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(SecretError::InvalidKey(
                "it contains spaces or line breaks — paste the key alone".to_owned(),
            ));
        }
        if !key.is_ascii() {
            return Err(SecretError::InvalidKey(
                "it contains characters an API key never has".to_owned(),
            ));
        }
        Ok(ApiKey(Zeroizing::new(key.to_owned())))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last four characters, which is all a person needs to recognise a key.
    pub fn last_four(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        chars[chars.len().saturating_sub(4)..].iter().collect()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey(…{})", self.last_four())
    }
}

/// A key and the origin of the one server it may be sent to, as `https://host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub key: ApiKey,
    pub origin: String,
}

impl StoredKey {
    pub fn new(key: ApiKey, origin: impl Into<String>) -> Self {
        StoredKey {
            key,
            origin: origin.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("The system keyring is not available: {0}")]
    Unavailable(String),
    #[error("The system keyring did not answer within {} seconds — it may be locked or waiting for a password prompt.", .0.as_secs())]
    Timeout(Duration),
    #[error("That does not look like an API key: {0}.")]
    InvalidKey(String),
}

/// Where keys are kept. The OS keyring in the app and CLI; [`MemoryStore`] in unit tests.
pub trait SecretStore: Send + Sync + 'static {
    fn get(&self, profile: &str) -> Result<Option<StoredKey>, SecretError>;
    fn set(&self, profile: &str, key: &StoredKey) -> Result<(), SecretError>;
    /// Returns whether there was a key to delete.
    fn delete(&self, profile: &str) -> Result<bool, SecretError>;
}

/// Runs a keyring call on the blocking pool, bounded by [`KEYRING_TIMEOUT`].
pub async fn off_runtime<T, F>(store: Arc<dyn SecretStore>, call: F) -> Result<T, SecretError>
where
    T: Send + 'static,
    F: FnOnce(&dyn SecretStore) -> Result<T, SecretError> + Send + 'static,
{
    let task = tokio::task::spawn_blocking(move || call(store.as_ref()));
    match tokio::time::timeout(KEYRING_TIMEOUT, task).await {
        Err(_) => Err(SecretError::Timeout(KEYRING_TIMEOUT)),
        Ok(Err(join)) => Err(SecretError::Unavailable(format!(
            "the keyring call failed: {join}"
        ))),
        Ok(Ok(result)) => result,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum KeySource {
    Keyring,
    Environment,
}

#[derive(Debug, Clone)]
pub struct ResolvedKey {
    pub key: ApiKey,
    pub source: KeySource,
    /// Where a stored key may go; none for the environment's, which goes where the user
    /// sends it.
    pub origin: Option<String>,
}

/// What a front end may know about a profile's key: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct KeyStatus {
    pub present: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub source: Option<KeySource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub last_four: Option<String>,
    /// The server a stored key is sent to (`https://host[:port]`), and nowhere else.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub origin: Option<String>,
    /// Set when the keyring could not be read; the environment may still give a key.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub keyring_error: Option<String>,
}

/// The key in `OPENAI_API_KEY`, if it holds a usable one.
pub fn env_key() -> Option<ApiKey> {
    env_key_named(ENV_KEY)
}

/// The key in the environment variable `name`, if it holds a usable one.
pub fn env_key_named(name: &str) -> Option<ApiKey> {
    std::env::var(name)
        .ok()
        .and_then(|v| ApiKey::parse(&v).ok())
}

/// The key for `profile`: the keyring's, else the environment's. A keyring error is returned
/// only when the environment has no key to fall back on.
pub async fn resolve_key(
    store: Arc<dyn SecretStore>,
    profile: &str,
    env: Option<ApiKey>,
) -> Result<Option<ResolvedKey>, SecretError> {
    let profile_owned = profile.to_owned();
    match off_runtime(store, move |s| s.get(&profile_owned)).await {
        Ok(Some(stored)) => Ok(Some(ResolvedKey {
            key: stored.key,
            source: KeySource::Keyring,
            origin: Some(stored.origin),
        })),
        Ok(None) => Ok(env.map(|key| ResolvedKey {
            key,
            source: KeySource::Environment,
            origin: None,
        })),
        Err(e) => match env {
            Some(key) => {
                tracing::debug!(error = %e, "keyring unreadable; using the key from the environment");
                Ok(Some(ResolvedKey {
                    key,
                    source: KeySource::Environment,
                    origin: None,
                }))
            }
            None => Err(e),
        },
    }
}

pub async fn key_status(
    store: Arc<dyn SecretStore>,
    profile: &str,
    env: Option<ApiKey>,
) -> KeyStatus {
    match resolve_key(store, profile, env).await {
        Ok(Some(resolved)) => KeyStatus {
            present: true,
            source: Some(resolved.source),
            last_four: Some(resolved.key.last_four()),
            origin: resolved.origin,
            keyring_error: None,
        },
        Ok(None) => KeyStatus {
            present: false,
            source: None,
            last_four: None,
            origin: None,
            keyring_error: None,
        },
        Err(e) => KeyStatus {
            present: false,
            source: None,
            last_four: None,
            origin: None,
            keyring_error: Some(e.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let key = ApiKey::parse("  sk-test-1234567890abcdef\n").unwrap();
        assert_eq!(key.expose(), "sk-test-1234567890abcdef");
        assert_eq!(format!("{key:?}"), "ApiKey(…cdef)");
    }

    #[test]
    fn pasted_garbage_is_refused() {
        assert!(ApiKey::parse("").is_err());
        assert!(ApiKey::parse("sk-one sk-two").is_err());
        assert!(ApiKey::parse("sk-ключ").is_err());
    }

    #[tokio::test]
    async fn keyring_first_then_environment() {
        let store = Arc::new(MemoryStore::default());
        let env = ApiKey::parse("env-key-0000").ok();
        let r = resolve_key(store.clone(), "openai", env.clone())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.source, KeySource::Environment);
        store
            .set(
                "openai",
                &StoredKey::new(ApiKey::parse("ring-key-1111").unwrap(), LEGACY_KEY_ORIGIN),
            )
            .unwrap();
        let r = resolve_key(store.clone(), "openai", env)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.source, KeySource::Keyring);
        assert_eq!(r.key.last_four(), "1111");
    }

    #[tokio::test]
    async fn a_broken_keyring_is_no_error_when_the_environment_has_a_key() {
        let store = Arc::new(MemoryStore::unavailable("no Secret Service on the bus"));
        let env = ApiKey::parse("env-key-2222").ok();
        let r = resolve_key(store.clone(), "openai", env)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.source, KeySource::Environment);
        let err = resolve_key(store.clone(), "openai", None)
            .await
            .unwrap_err();
        assert!(matches!(err, SecretError::Unavailable(_)));
        let status = key_status(store, "openai", None).await;
        assert!(!status.present);
        assert!(status.keyring_error.is_some());
    }
}
