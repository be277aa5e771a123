//! The one error type a failed chat stream ends with, and its stable codes.
//!
//! `ChatError` is what every front end shows: the GUI receives it over IPC as
//! `{ kind, message, status?, retryAfterSecs? }` and branches on `kind`; the CLI prints
//! `error [kind]: message`. The message is written for people. It never contains the API
//! key: every text that came from a server passes through [`scrub_secrets`] first, because
//! some servers echo (part of) the key back in their 401 message.

use serde::Serialize;
use std::fmt;
use std::time::Duration;

/// Stable error codes. The UI and scripts branch on these; never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    NoApiKey,
    KeyringUnavailable,
    Auth,
    RateLimited,
    Quota,
    BadRequest,
    ContextTooLong,
    Server,
    Network,
    Timeout,
    Protocol,
    Cancelled,
    /// The connection ended before the answer was complete; the text so far is kept.
    Interrupted,
    /// A stored key would have gone to a server over plain `http://` that the user has not
    /// allowed it for.
    InsecureKey,
    /// The answer or one of its events passed a size limit; the text so far is kept.
    TooLarge,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NoApiKey => "no_api_key",
            ErrorKind::KeyringUnavailable => "keyring_unavailable",
            ErrorKind::Auth => "auth",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Quota => "quota",
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::ContextTooLong => "context_too_long",
            ErrorKind::Server => "server",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Interrupted => "interrupted",
            ErrorKind::InsecureKey => "insecure_key",
            ErrorKind::TooLarge => "too_large",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a chat request or stream failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[error("{message}")]
pub struct ChatError {
    pub kind: ErrorKind,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub retry_after_secs: Option<u64>,
}

impl ChatError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ChatError {
            kind,
            message: message.into(),
            status: None,
            retry_after_secs: None,
        }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Records when a retry makes sense, rounded up to whole seconds for people.
    pub fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after_secs = retry_after.map(|d| d.as_millis().div_ceil(1000) as u64);
        self
    }

    pub fn timeout(idle: Duration) -> Self {
        ChatError::new(
            ErrorKind::Timeout,
            format!(
                "The server sent nothing for {} — the connection looks stalled.",
                human_duration(idle)
            ),
        )
    }

    pub fn cancelled() -> Self {
        ChatError::new(ErrorKind::Cancelled, "Stopped.")
    }

    /// Replaces any occurrence of `secret` in the message, and anything shaped like an
    /// OpenAI-style key, with `[redacted]`.
    pub fn scrubbed(mut self, secret: Option<&str>) -> Self {
        self.message = scrub_secrets(&self.message, secret);
        self
    }
}

pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 1.0 {
        format!("{} ms", d.as_millis())
    } else if (secs - secs.round()).abs() < 0.05 {
        let s = secs.round() as u64;
        if s == 1 {
            "1 second".to_owned()
        } else {
            format!("{s} seconds")
        }
    } else {
        format!("{secs:.1} seconds")
    }
}

/// Removes secrets from text that came from outside (server error bodies, transport
/// errors). Two passes: the exact key when we know it, then any `sk-…` token of key length,
/// masked or not (OpenAI answers a bad key with "Incorrect API key provided: sk-abc***wxyz").
pub fn scrub_secrets(text: &str, secret: Option<&str>) -> String {
    let mut text = match secret {
        Some(secret) if secret.len() >= 4 && text.contains(secret) => {
            text.replace(secret, "[redacted]")
        }
        _ => text.to_owned(),
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(pos) = rest.find("sk-") {
        let preceded_by_word = rest[..pos]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        let tail = &rest[pos..];
        let token_len = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*' | '.')))
            .unwrap_or(tail.len());
        out.push_str(&rest[..pos]);
        if !preceded_by_word && token_len >= 12 {
            out.push_str("[redacted]");
        } else {
            out.push_str(&tail[..token_len]);
        }
        rest = &tail[token_len..];
    }
    out.push_str(rest);
    text.clear();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_the_exact_key_and_key_shaped_tokens() {
        let key = "my-local-secret-123";
        let msg = "bad key my-local-secret-123; Incorrect API key provided: sk-proj-abc****************wxyz.";
        let out = scrub_secrets(msg, Some(key));
        assert!(!out.contains(key));
        assert!(!out.contains("wxyz"));
        assert_eq!(
            out,
            "bad key [redacted]; Incorrect API key provided: [redacted]"
        );
    }

    #[test]
    fn leaves_ordinary_words_alone() {
        let msg = "ask-me about risk-free sk-short";
        assert_eq!(scrub_secrets(msg, None), msg);
    }

    #[test]
    fn serializes_as_the_ipc_shape() {
        let e = ChatError::new(ErrorKind::RateLimited, "Slow down")
            .with_status(429)
            .with_retry_after(Some(Duration::from_millis(1500)));
        let json = serde_json::to_string(&e).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"kind":"rate_limited","message":"Slow down","status":429,"retryAfterSecs":2}"#
        );
    }
}
