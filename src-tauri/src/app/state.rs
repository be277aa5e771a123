//! What the shell keeps between commands: small managed types, one concern each.

use palaver_core::history::HistoryDb;
use palaver_core::llm::LlmClient;
use palaver_core::secrets::SecretStore;
use palaver_core::settings::{Settings, SettingsError, SettingsPersistence};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// The core shared by every command: one HTTP client (one connection pool), the keyring,
/// the history.
pub struct Core {
    pub client: LlmClient,
    pub secrets: Arc<dyn SecretStore>,
    pub history: Arc<HistoryDb>,
}

/// Streams in flight, by stream id, so `cancel_stream` can stop one.
#[derive(Default)]
pub struct StreamRegistry {
    streams: Mutex<HashMap<String, CancellationToken>>,
}

impl StreamRegistry {
    pub fn register(&self, stream_id: &str) -> CancellationToken {
        let token = CancellationToken::new();
        self.lock().insert(stream_id.to_owned(), token.clone());
        token
    }

    pub fn finish(&self, stream_id: &str) {
        self.lock().remove(stream_id);
    }

    /// Returns whether a stream with this id was running.
    pub fn cancel(&self, stream_id: &str) -> bool {
        match self.lock().remove(stream_id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    /// How many replies are streaming now.
    pub fn running(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, CancellationToken>> {
        self.streams.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Whether a tray icon is shown (Linux desktops without a StatusNotifier host have none).
pub struct TrayState {
    pub available: bool,
}

pub struct SettingsState {
    pub store: Box<dyn SettingsPersistence>,
    pub current: Mutex<Settings>,
    /// A problem found at start-up (an unreadable file), shown once in the UI.
    pub notice: Mutex<Option<String>>,
    /// Where settings and history live, shown in Settings.
    pub data_dir: std::path::PathBuf,
}

impl SettingsState {
    pub fn get(&self) -> Settings {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn replace(&self, settings: Settings) -> Result<(), SettingsError> {
        self.store.save(&settings)?;
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = settings;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_finds_running_streams_once() {
        let r = StreamRegistry::default();
        let token = r.register("a");
        assert!(r.cancel("a"));
        assert!(token.is_cancelled());
        assert!(!r.cancel("a"));
        let _ = r.register("b");
        r.finish("b");
        assert!(!r.cancel("b"));
    }
}
