//! What we send: the endpoint (base URL + optional key) and the chat request body.
//!
//! The body is the OpenAI `chat/completions` shape with `stream: true`. We ask for
//! `stream_options.include_usage` because OpenAI, vLLM, llama.cpp, Ollama and OpenRouter
//! accept it; a server that rejects it says so in a 400, which is reported as-is rather
//! than silently retried without it.

use crate::secrets::ApiKey;
use serde::{Deserialize, Serialize};
use url::Url;

pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
}

#[derive(Serialize)]
struct WireRequest<'a> {
    model: &'a str,
    messages: &'a [Message],
    stream: bool,
    stream_options: StreamOptions,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

impl ChatRequest {
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&WireRequest {
            model: &self.model,
            messages: &self.messages,
            stream: true,
            stream_options: StreamOptions {
                include_usage: true,
            },
            temperature: self.temperature,
        })
    }
}

/// Where a request goes: an OpenAI-compatible base URL (ending in `/v1` for most servers)
/// and the key, if the server needs one. Local servers (Ollama, LM Studio) need none.
#[derive(Debug, Clone)]
pub struct Endpoint {
    base_url: Url,
    api_key: Option<ApiKey>,
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
        })
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

#[cfg(test)]
mod tests {
    use super::*;

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
        };
        let body: serde_json::Value = serde_json::from_slice(&req.to_json().unwrap()).unwrap();
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["messages"][1]["content"], "Hi");
        assert_eq!(body["temperature"], 0.5);
    }
}
