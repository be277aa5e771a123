//! What we send: the endpoint (base URL + optional key) and the chat request body.
//!
//! The request is independent of the protocol; each protocol module under
//! [`super::protocol`] turns it into its own body.

use super::error::{ChatError, ErrorKind};
use crate::secrets::ApiKey;
use serde::{Deserialize, Serialize};
use url::Url;

pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn system(content: impl Into<String>) -> Self {
        Message {
            role: Role::System,
            content: content.into(),
        }
    }
    pub fn user(content: impl Into<String>) -> Self {
        Message {
            role: Role::User,
            content: content.into(),
        }
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        Message {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// One chat completion request, independent of where it is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Message>,
    pub temperature: Option<f32>,
    /// The most tokens the reply may have. Anthropic requires one (a default per model
    /// applies when this is `None`); other servers use their own default.
    pub max_tokens: Option<u32>,
}

impl ChatRequest {
    /// The OpenAI `chat/completions` body for this request, with `stream: true`.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        super::protocol::chat_completions::body(
            self,
            super::protocol::chat_completions::MaxTokensField::MaxTokens,
        )
    }
}

/// Where a request goes: an OpenAI-compatible base URL (ending in `/v1` for most servers)
/// and the key, if the server needs one. Local servers (Ollama, LM Studio) need none.
#[derive(Debug, Clone)]
pub struct Endpoint {
    base_url: Url,
    api_key: Option<ApiKey>,
    kind: super::ApiKind,
    /// Extra headers the profile adds to every request (a gateway's token, a referer).
    headers: Vec<(String, String)>,
    /// Azure's `api-version` query parameter.
    api_version: Option<String>,
    /// Why a stored key was not attached, told to the user if the server wants one.
    withheld_key: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("“{0}” is not a usable base URL: {1}")]
pub struct BadBaseUrl(pub String, pub String);

impl Endpoint {
    pub fn new(base_url: &str, api_key: Option<ApiKey>) -> Result<Self, BadBaseUrl> {
        let trimmed = base_url.trim();
        let mut url = Url::parse(trimmed).map_err(|e| {
            BadBaseUrl(
                trimmed.to_owned(),
                format!("{e} (expected e.g. https://api.openai.com/v1)"),
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(BadBaseUrl(
                trimmed.to_owned(),
                "only http:// and https:// are supported".to_owned(),
            ));
        }
        if url.cannot_be_a_base() || url.host().is_none() {
            return Err(BadBaseUrl(trimmed.to_owned(), "it has no host".to_owned()));
        }
        // `Url::join` replaces the last segment unless the path ends in '/'.
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(Endpoint {
            base_url: url,
            api_key,
            kind: super::ApiKind::OpenAi,
            headers: Vec::new(),
            api_version: None,
            withheld_key: None,
        })
    }

    pub fn with_kind(mut self, kind: super::ApiKind) -> Self {
        self.kind = kind;
        self
    }

    /// Headers sent with every request to this server, after the protocol's own.
    pub fn with_headers(mut self, headers: Vec<(String, String)>) -> Self {
        self.headers = headers;
        self
    }

    pub fn with_api_version(mut self, version: Option<String>) -> Self {
        self.api_version = version.filter(|v| !v.trim().is_empty());
        self
    }

    pub fn kind(&self) -> super::ApiKind {
        self.kind
    }

    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    pub fn api_version(&self) -> Option<&str> {
        self.api_version.as_deref()
    }

    /// The protocol a request for `model` uses on this server.
    pub fn protocol_for(&self, model: &str) -> super::Protocol {
        self.kind.protocol_for(self.base_url.host_str(), model)
    }

    /// Records that a stored key was kept back from this server, and why.
    pub fn with_withheld_key(mut self, why: String) -> Self {
        self.withheld_key = Some(why);
        self
    }

    /// `https://host[:port]`: the scheme, host and port a key is bound to.
    pub fn origin(&self) -> String {
        origin_of(&self.base_url)
    }

    /// Plain `http://` to another machine: anyone on the way can read what is sent.
    pub fn is_cleartext_remote(&self) -> bool {
        self.base_url.scheme() == "http" && !is_loopback(&self.base_url)
    }

    /// Adds to an authentication failure that a stored key was kept back, when it was.
    pub fn explain(&self, mut error: ChatError) -> ChatError {
        if let (ErrorKind::Auth, Some(why)) = (error.kind, &self.withheld_key) {
            error.message = format!("{} {why}", error.message);
        }
        error
    }

    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    pub fn api_key(&self) -> Option<&ApiKey> {
        self.api_key.as_ref()
    }

    pub fn is_openai(&self) -> bool {
        self.base_url.host_str() == Some("api.openai.com")
    }

    pub fn url(&self, path: &str) -> Url {
        // Joining a relative path onto a base that ends in '/' cannot fail.
        self.base_url
            .join(path)
            .unwrap_or_else(|_| self.base_url.clone())
    }
}

/// The origin of `url` as `scheme://host[:port]`, the port left out when it is the scheme's
/// default, so `https://api.openai.com:443/v1` and `https://api.openai.com` are one origin.
pub fn origin_of(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// The origin of a base URL as typed, or `None` when it is not a usable one.
pub fn origin_of_base_url(base_url: &str) -> Option<String> {
    Endpoint::new(base_url, None).ok().map(|e| e.origin())
}

/// This machine: `localhost` (and names under it), 127.0.0.0/8, `::1`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let origin = |u: &str| origin_of_base_url(u).unwrap();
        assert_eq!(
            origin("https://api.openai.com/v1"),
            "https://api.openai.com"
        );
        assert_eq!(
            origin("https://API.openai.com:443/other"),
            "https://api.openai.com"
        );
        assert_ne!(
            origin("http://api.openai.com/v1"),
            origin("https://api.openai.com/v1")
        );
        assert_ne!(
            origin("http://127.0.0.1:8000/v1"),
            origin("http://127.0.0.1:8001/v1")
        );
        assert_ne!(
            origin("https://api.openai.com.evil.example/v1"),
            "https://api.openai.com"
        );
    }

    #[test]
    fn only_this_machine_is_loopback() {
        let remote = |u: &str| Endpoint::new(u, None).unwrap().is_cleartext_remote();
        assert!(!remote("http://localhost:11434/v1"));
        assert!(!remote("http://127.0.0.5:8000/v1"));
        assert!(!remote("http://[::1]:8000/v1"));
        assert!(!remote("https://192.168.1.5/v1"));
        assert!(remote("http://192.168.1.5:8000/v1"));
        assert!(remote("http://localhost.evil.example/v1"));
    }

    #[test]
    fn joins_paths_with_or_without_trailing_slash() {
        for base in ["http://localhost:11434/v1", "http://localhost:11434/v1/"] {
            let e = Endpoint::new(base, None).unwrap();
            assert_eq!(
                e.url("chat/completions").as_str(),
                "http://localhost:11434/v1/chat/completions"
            );
        }
    }

    #[test]
    fn rejects_unusable_base_urls() {
        assert!(Endpoint::new("localhost:11434", None).is_err());
        assert!(Endpoint::new("ftp://example.com/v1", None).is_err());
        assert!(Endpoint::new("not a url", None).is_err());
    }

    #[test]
    fn body_asks_for_a_stream_with_usage() {
        let req = ChatRequest {
            model: "gpt-4o-mini".into(),
            messages: vec![Message::system("Be brief."), Message::user("Hi")],
            temperature: Some(0.5),
            max_tokens: None,
        };
        let body: serde_json::Value = serde_json::from_slice(&req.to_json().unwrap()).unwrap();
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["messages"][1]["content"], "Hi");
        assert_eq!(body["temperature"], 0.5);
    }
}
