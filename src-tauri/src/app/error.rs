//! Errors as the webview receives them: `{ kind, message }` with a stable `kind`.

use palaver_core::llm::{BadBaseUrl, ChatError, ErrorKind};
use palaver_core::secrets::SecretError;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{message}")]
pub struct CommandError {
    pub kind: &'static str,
    pub message: String,
}

impl CommandError {
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        CommandError {
            kind,
            message: message.into(),
        }
    }
}

impl From<ChatError> for CommandError {
    fn from(e: ChatError) -> Self {
        CommandError::new(e.kind.as_str(), e.message)
    }
}

impl From<SecretError> for CommandError {
    fn from(e: SecretError) -> Self {
        let kind = match e {
            SecretError::InvalidKey(_) => "invalid_key",
            SecretError::Unavailable(_) | SecretError::Timeout(_) => {
                ErrorKind::KeyringUnavailable.as_str()
            }
        };
        CommandError::new(kind, e.to_string())
    }
}

impl From<BadBaseUrl> for CommandError {
    fn from(e: BadBaseUrl) -> Self {
        CommandError::new("bad_base_url", e.to_string())
    }
}

impl From<palaver_core::history::HistoryError> for CommandError {
    fn from(e: palaver_core::history::HistoryError) -> Self {
        use palaver_core::history::HistoryError as H;
        let kind = match &e {
            H::NotFound(_) => "not_found",
            H::Invalid(_) => "bad_request",
            _ if e.is_storage_full() => "disk_full",
            _ => "storage",
        };
        CommandError::new(kind, e.to_string())
    }
}
