//! The one error every command returns, as the webview receives it:
//! `{ kind, message, status?, retryAfterSecs? }`.
//!
//! `kind` is a closed set the frontend switches on (its TypeScript type is generated, so a
//! kind added here and not handled there fails the type check): every [`ErrorKind`] of a
//! request, plus the kinds only the shell produces ([`ShellErrorKind`]). The message is for
//! people; it never holds a key. Core errors convert with `From`, so a command says `?`.

use palaver_core::history::HistoryError;
use palaver_core::llm::{BadBaseUrl, ChatError, ErrorKind};
use palaver_core::secrets::SecretError;
use palaver_core::settings::SettingsError;
use serde::Serialize;
use ts_rs::TS;

/// What went wrong outside a request to a model server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ShellErrorKind {
    /// The text given as an API key cannot be one (empty, spaces, control characters).
    InvalidKey,
    /// A base URL that is not an absolute http(s) URL.
    BadBaseUrl,
    /// The conversation or message no longer exists.
    NotFound,
    /// The disk is full; nothing was half-written.
    DiskFull,
    /// The history database or a file could not be read or written.
    Storage,
    /// Starting at login could not be switched.
    Autostart,
    /// Another app or the desktop holds the shortcut; the old one still works.
    ShortcutTaken,
    /// Checking for, downloading or installing an update failed.
    Update,
    /// A window could not be shown, hidden or created.
    Window,
    /// The system could not open a link.
    OpenFailed,
}

/// Every kind a command can fail with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(untagged)]
pub enum CommandErrorKind {
    Request(ErrorKind),
    Shell(ShellErrorKind),
}

#[derive(Debug, Clone, Serialize, thiserror::Error, TS)]
#[serde(rename_all = "camelCase")]
#[error("{message}")]
pub struct CommandError {
    pub kind: CommandErrorKind,
    pub message: String,
    /// The HTTP status of a server's refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub status: Option<u16>,
    /// How long the server asked to wait (`rate_limited`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub retry_after_secs: Option<u64>,
}

impl CommandError {
    pub fn new(kind: impl Into<CommandErrorKind>, message: impl Into<String>) -> Self {
        CommandError {
            kind: kind.into(),
            message: message.into(),
            status: None,
            retry_after_secs: None,
        }
    }

    /// A request the user made that cannot be carried out as asked.
    pub fn bad_request(message: impl Into<String>) -> Self {
        CommandError::new(ErrorKind::BadRequest, message)
    }
}

impl From<ErrorKind> for CommandErrorKind {
    fn from(kind: ErrorKind) -> Self {
        CommandErrorKind::Request(kind)
    }
}

impl From<ShellErrorKind> for CommandErrorKind {
    fn from(kind: ShellErrorKind) -> Self {
        CommandErrorKind::Shell(kind)
    }
}

impl From<ChatError> for CommandError {
    fn from(e: ChatError) -> Self {
        CommandError {
            kind: e.kind.into(),
            message: e.message,
            status: e.status,
            retry_after_secs: e.retry_after_secs,
        }
    }
}

impl From<SecretError> for CommandError {
    fn from(e: SecretError) -> Self {
        let kind: CommandErrorKind = match e {
            SecretError::InvalidKey(_) => ShellErrorKind::InvalidKey.into(),
            SecretError::Unavailable(_) | SecretError::Timeout(_) => {
                ErrorKind::KeyringUnavailable.into()
            }
        };
        CommandError::new(kind, e.to_string())
    }
}

impl From<BadBaseUrl> for CommandError {
    fn from(e: BadBaseUrl) -> Self {
        CommandError::new(ShellErrorKind::BadBaseUrl, e.to_string())
    }
}

impl From<HistoryError> for CommandError {
    fn from(e: HistoryError) -> Self {
        let kind: CommandErrorKind = match &e {
            HistoryError::NotFound(_) => ShellErrorKind::NotFound.into(),
            HistoryError::Invalid(_) => ErrorKind::BadRequest.into(),
            _ if e.is_storage_full() => ShellErrorKind::DiskFull.into(),
            _ => ShellErrorKind::Storage.into(),
        };
        CommandError::new(kind, e.to_string())
    }
}

impl From<SettingsError> for CommandError {
    fn from(e: SettingsError) -> Self {
        let kind: CommandErrorKind = match &e {
            SettingsError::Invalid(_) => ErrorKind::BadRequest.into(),
            SettingsError::Save { source, .. } if palaver_core::files::is_storage_full(source) => {
                ShellErrorKind::DiskFull.into()
            }
            SettingsError::Save { .. } | SettingsError::Encode(_) => ShellErrorKind::Storage.into(),
        };
        CommandError::new(kind, e.to_string())
    }
}

impl From<tauri::Error> for CommandError {
    fn from(e: tauri::Error) -> Self {
        CommandError::new(ShellErrorKind::Window, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialize_as_the_flat_strings_the_frontend_switches_on() {
        let e = CommandError::from(ChatError::new(ErrorKind::RateLimited, "Slow down."));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["kind"], "rate_limited");
        assert_eq!(json["message"], "Slow down.");
        let e = CommandError::new(ShellErrorKind::DiskFull, "The disk is full.");
        assert_eq!(serde_json::to_value(&e).unwrap()["kind"], "disk_full");
        assert!(serde_json::to_value(&e).unwrap().get("status").is_none());
    }
}
