//! The wire protocols, one module each: how a request is addressed, authenticated and
//! encoded, and how one server-sent event of its answer reads.
//!
//! - [`chat_completions`]: OpenAI Chat Completions, also spoken by Azure OpenAI (on a
//!   deployment's path, with an `api-key` header) and nearly every other server.
//! - [`anthropic`]: Anthropic Messages.
//! - [`responses`]: OpenAI Responses.
//!
//! Everything else a stream needs — status checks, retries, the idle timeout, size
//! limits, splitting bytes into events — is the same for all of them and lives in
//! [`super::client`]. A decoder only turns one event (its name and data) into the common
//! [`ChunkContent`], or an error, or the end.
//!
//! The profile's extra headers go on every request after the protocol's own, and replace a
//! protocol header of the same name: a gateway may need its own `Authorization`, or a beta
//! `anthropic-version`. A header that HTTP cannot carry fails the request before anything
//! is sent, naming the header but never its value, which may be a token.

pub(crate) mod anthropic;
pub(crate) mod chat_completions;
pub(crate) mod responses;

use super::error::{ChatError, ErrorKind};
use super::kind::{ApiKind, Protocol};
use super::request::{ChatRequest, Endpoint};
use super::wire::{ChunkContent, Payload};
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use url::Url;

/// The `api-version` Azure OpenAI requests carry when the profile names none: the latest
/// generally available version of the data-plane API.
pub const AZURE_DEFAULT_API_VERSION: &str = "2024-10-21";

/// A request ready to send (and to send again, on a retry).
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// The streaming chat request for `request` in `protocol`.
/// Reads one event's JSON as `T`, or says that the server sent something that is not `what`
/// (quoting the start of it).
pub(crate) fn parse_event<'a, T: serde::Deserialize<'a>>(
    data: &'a str,
    what: &str,
) -> Result<T, ChatError> {
    serde_json::from_str(data).map_err(|e| {
        ChatError::new(
            ErrorKind::Protocol,
            format!(
                "The server sent an event that is not a valid {what} ({e}): {}",
                super::wire::excerpt(data)
            ),
        )
    })
}

pub(crate) fn chat_request(
    endpoint: &Endpoint,
    request: &ChatRequest,
    protocol: Protocol,
) -> Result<Prepared, ChatError> {
    let (url, body) = match protocol {
        Protocol::ChatCompletions if endpoint.kind() == ApiKind::Azure => (
            azure_url(
                endpoint,
                &["deployments", &request.model, "chat", "completions"],
            ),
            chat_completions::body(
                request,
                chat_completions::MaxTokensField::MaxCompletionTokens,
            ),
        ),
        Protocol::ChatCompletions => {
            let field = if endpoint.is_openai() {
                chat_completions::MaxTokensField::MaxCompletionTokens
            } else {
                chat_completions::MaxTokensField::MaxTokens
            };
            (
                endpoint.url("chat/completions"),
                chat_completions::body(request, field),
            )
        }
        Protocol::Messages => (endpoint.url("messages"), anthropic::body(request)),
        Protocol::Responses => (endpoint.url("responses"), responses::body(request)),
    };
    let body = body.map_err(|e| {
        ChatError::new(
            ErrorKind::BadRequest,
            format!("Could not encode the request: {e}"),
        )
    })?;
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
    add_auth(endpoint, &mut headers)?;
    add_extra_headers(endpoint, &mut headers)?;
    Ok(Prepared {
        url,
        headers,
        body: Bytes::from(body),
    })
}

/// The model list request: `GET {base}/models` for OpenAI, Responses and Anthropic
/// (Anthropic's first thousand models: its pages are not followed further), and
/// `GET {base}/openai/models?api-version=…` for Azure.
///
/// Azure's deployment list (`/openai/deployments`) was removed from the data-plane API
/// after `2023-03-15-preview`, and deployments are what a chat request names; the model
/// list is what the API still offers. Its ids are the models the resource can deploy, which
/// often match the deployment names people choose; the picker lets the user type any name.
pub(crate) fn models_request(endpoint: &Endpoint) -> Result<(Url, HeaderMap), ChatError> {
    let url = match endpoint.kind() {
        ApiKind::Azure => azure_url(endpoint, &["models"]),
        ApiKind::Anthropic => {
            let mut url = endpoint.url("models");
            url.query_pairs_mut().append_pair("limit", "1000");
            url
        }
        ApiKind::OpenAi | ApiKind::Responses => endpoint.url("models"),
    };
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    add_auth(endpoint, &mut headers)?;
    add_extra_headers(endpoint, &mut headers)?;
    Ok((url, headers))
}

/// `{base}/openai/<segments>?api-version=…`; a base URL that already ends in `/openai` is
/// not given a second one. Segments are percent-encoded, so a deployment name cannot
/// change the path.
fn azure_url(endpoint: &Endpoint, segments: &[&str]) -> Url {
    let mut url = endpoint.base_url().clone();
    let ends_in_openai = url
        .path_segments()
        .and_then(|mut s| s.rfind(|s| !s.is_empty()))
        .is_some_and(|last| last.eq_ignore_ascii_case("openai"));
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty();
        if !ends_in_openai {
            path.push("openai");
        }
        path.extend(segments);
    }
    url.query_pairs_mut().append_pair(
        "api-version",
        endpoint.api_version().unwrap_or(AZURE_DEFAULT_API_VERSION),
    );
    url
}

/// The key, the way the server kind expects it: `Authorization: Bearer` for OpenAI and
/// Responses, `x-api-key` (with `anthropic-version`) for Anthropic, `api-key` for Azure.
fn add_auth(endpoint: &Endpoint, headers: &mut HeaderMap) -> Result<(), ChatError> {
    if endpoint.kind() == ApiKind::Anthropic {
        headers.insert(
            "anthropic-version",
            HeaderValue::from_static(anthropic::ANTHROPIC_VERSION),
        );
    }
    let Some(key) = endpoint.api_key() else {
        return Ok(());
    };
    let (name, value) = match endpoint.kind() {
        ApiKind::Anthropic => (
            HeaderName::from_static("x-api-key"),
            key.expose().to_owned(),
        ),
        ApiKind::Azure => (HeaderName::from_static("api-key"), key.expose().to_owned()),
        ApiKind::OpenAi | ApiKind::Responses => (AUTHORIZATION, format!("Bearer {}", key.expose())),
    };
    let mut value = HeaderValue::from_str(&value).map_err(|_| {
        ChatError::new(
            ErrorKind::BadRequest,
            "The API key holds characters that cannot be sent in an HTTP header (a line break or a non-ASCII character?); paste it again.",
        )
    })?;
    value.set_sensitive(true);
    headers.insert(name, value);
    Ok(())
}

fn add_extra_headers(endpoint: &Endpoint, headers: &mut HeaderMap) -> Result<(), ChatError> {
    for (name, value) in endpoint.headers() {
        let header_name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
            ChatError::new(
                ErrorKind::BadRequest,
                format!(
                    "The extra header name “{}” is not a valid HTTP header name (letters, digits and -, no spaces or colons).",
                    super::wire::excerpt(name.trim())
                ),
            )
        })?;
        let mut header_value = HeaderValue::from_str(value.trim()).map_err(|_| {
            ChatError::new(
                ErrorKind::BadRequest,
                format!(
                    "The value of the extra header “{header_name}” cannot be sent in an HTTP header (it may hold only visible ASCII characters and spaces, on one line)."
                ),
            )
        })?;
        // Extra headers often carry a gateway's token.
        header_value.set_sensitive(true);
        headers.insert(header_name, header_value);
    }
    Ok(())
}

/// One event, read: what it carried, and whether it ended the stream.
#[derive(Debug, PartialEq)]
pub(crate) struct Decoded<'a> {
    pub content: ChunkContent<'a>,
    pub done: bool,
}

impl<'a> From<Payload<'a>> for Decoded<'a> {
    fn from(payload: Payload<'a>) -> Self {
        match payload {
            Payload::Done => Decoded {
                content: ChunkContent::default(),
                done: true,
            },
            Payload::Chunk(content) => Decoded {
                content,
                done: false,
            },
        }
    }
}

/// Reads the events of one stream in its protocol, keeping whatever state that needs.
#[derive(Debug)]
pub(crate) enum Decoder {
    ChatCompletions,
    Messages(anthropic::Decoder),
    Responses(responses::Decoder),
}

impl Decoder {
    pub(crate) fn new(protocol: Protocol) -> Self {
        match protocol {
            Protocol::ChatCompletions => Decoder::ChatCompletions,
            Protocol::Messages => Decoder::Messages(anthropic::Decoder::default()),
            Protocol::Responses => Decoder::Responses(responses::Decoder::default()),
        }
    }

    pub(crate) fn protocol(&self) -> Protocol {
        match self {
            Decoder::ChatCompletions => Protocol::ChatCompletions,
            Decoder::Messages(_) => Protocol::Messages,
            Decoder::Responses(_) => Protocol::Responses,
        }
    }

    /// Whether the stream failed with an error that asking again may cure (the server was
    /// overloaded), rather than one about the request.
    pub(crate) fn failed_transiently(&self) -> bool {
        match self {
            Decoder::Messages(decoder) => decoder.overloaded(),
            Decoder::ChatCompletions | Decoder::Responses(_) => false,
        }
    }

    /// Reads one event: its `event:` name (`message` when it had none) and its data.
    pub(crate) fn decode<'a>(
        &mut self,
        event: &str,
        data: &'a str,
    ) -> Result<Decoded<'a>, ChatError> {
        match self {
            Decoder::ChatCompletions => chat_completions::decode(event, data).map(Decoded::from),
            Decoder::Messages(decoder) => decoder.decode(event, data).map(Decoded::from),
            Decoder::Responses(decoder) => decoder.decode(event, data),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::request::Message;
    use crate::secrets::ApiKey;

    fn request(model: &str) -> ChatRequest {
        ChatRequest {
            model: model.into(),
            messages: vec![Message::user("Hi")],
            temperature: None,
            max_tokens: Some(100),
        }
    }

    fn key() -> Option<ApiKey> {
        ApiKey::parse("sk-test-key-000000001234").ok()
    }

    #[test]
    fn azure_addresses_the_deployment_with_an_api_version() {
        let endpoint = Endpoint::new("https://res.openai.azure.com", key())
            .unwrap()
            .with_kind(ApiKind::Azure);
        let prepared =
            chat_request(&endpoint, &request("my gpt/4o"), Protocol::ChatCompletions).unwrap();
        assert_eq!(
            prepared.url.as_str(),
            "https://res.openai.azure.com/openai/deployments/my%20gpt%2F4o/chat/completions?api-version=2024-10-21"
        );
        assert!(prepared.headers.get(AUTHORIZATION).is_none());
        assert_eq!(
            prepared
                .headers
                .get("api-key")
                .and_then(|v| v.to_str().ok()),
            Some("sk-test-key-000000001234")
        );
        let body: serde_json::Value = serde_json::from_slice(&prepared.body).unwrap();
        assert_eq!(body["max_completion_tokens"], 100);

        let endpoint = Endpoint::new("https://res.openai.azure.com/openai/", key())
            .unwrap()
            .with_kind(ApiKind::Azure)
            .with_api_version(Some("2025-01-01-preview".into()));
        let (url, _) = models_request(&endpoint).unwrap();
        assert_eq!(
            url.as_str(),
            "https://res.openai.azure.com/openai/models?api-version=2025-01-01-preview"
        );
    }

    #[test]
    fn the_cap_is_max_tokens_except_on_openai() {
        let local = Endpoint::new("http://localhost:11434/v1", None).unwrap();
        let p = chat_request(&local, &request("llama3"), Protocol::ChatCompletions).unwrap();
        let body: serde_json::Value = serde_json::from_slice(&p.body).unwrap();
        assert_eq!(body["max_tokens"], 100);
        assert!(body.get("max_completion_tokens").is_none());
        let openai = Endpoint::new("https://api.openai.com/v1", key()).unwrap();
        let p = chat_request(&openai, &request("gpt-4o"), Protocol::ChatCompletions).unwrap();
        let body: serde_json::Value = serde_json::from_slice(&p.body).unwrap();
        assert_eq!(body["max_completion_tokens"], 100);
        assert!(body.get("max_tokens").is_none());
    }

    #[test]
    fn extra_headers_replace_and_bad_ones_never_show_their_value() {
        let endpoint = Endpoint::new("https://api.anthropic.com/v1", key())
            .unwrap()
            .with_kind(ApiKind::Anthropic)
            .with_headers(vec![("anthropic-version".into(), "2024-99-99".into())]);
        let p = chat_request(&endpoint, &request("claude"), Protocol::Messages).unwrap();
        assert_eq!(
            p.headers
                .get_all("anthropic-version")
                .iter()
                .collect::<Vec<_>>(),
            vec!["2024-99-99"]
        );
        let endpoint = endpoint.with_headers(vec![("X-Gateway".into(), "tok\nen-secret".into())]);
        let e = chat_request(&endpoint, &request("claude"), Protocol::Messages).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadRequest);
        assert!(e.message.contains("x-gateway"), "{}", e.message);
        assert!(!e.message.contains("secret"), "{}", e.message);
        let endpoint = endpoint.with_headers(vec![("Bad Name".into(), "v".into())]);
        let e = models_request(&endpoint).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadRequest);
        assert!(e.message.contains("Bad Name"), "{}", e.message);
    }
}
