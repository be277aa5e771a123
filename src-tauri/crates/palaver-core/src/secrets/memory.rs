//! An in-memory `SecretStore` for unit tests. Never used by the app or the CLI.

use super::{SecretError, SecretStore, StoredKey};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct MemoryStore {
    keys: Mutex<HashMap<String, StoredKey>>,
    unavailable: Option<String>,
}

impl MemoryStore {
    /// A store that fails every call, like a machine with no Secret Service.
    pub fn unavailable(reason: &str) -> Self {
        MemoryStore {
            keys: Mutex::default(),
            unavailable: Some(reason.to_owned()),
        }
    }

    fn check(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, StoredKey>>, SecretError> {
        if let Some(reason) = &self.unavailable {
            return Err(SecretError::Unavailable(reason.clone()));
        }
        self.keys
            .lock()
            .map_err(|_| SecretError::Unavailable("the in-memory store was poisoned".to_owned()))
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, profile: &str) -> Result<Option<StoredKey>, SecretError> {
        Ok(self.check()?.get(profile).cloned())
    }

    fn set(&self, profile: &str, key: &StoredKey) -> Result<(), SecretError> {
        self.check()?.insert(profile.to_owned(), key.clone());
        Ok(())
    }

    fn delete(&self, profile: &str) -> Result<bool, SecretError> {
        Ok(self.check()?.remove(profile).is_some())
    }
}
