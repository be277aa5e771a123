//! The model names a server offers, for the settings picker: `GET {base}/models` (OpenAI,
//! Responses, Anthropic) or Azure's `GET {base}/openai/models` (see
//! [`super::protocol`]). Every kind answers `{"data": [{"id": …}]}`.

use super::error::{ChatError, ErrorKind};
use super::http_error;
use super::kind::{ApiKind, Protocol};
use super::protocol;
use super::request::Endpoint;
use serde::Deserialize;
use std::time::Duration;

#[derive(Deserialize)]
struct ModelList {
    #[serde(default)]
    data: Vec<ModelEntry>,
    /// Ollama's native `/api/tags` shape, which some proxies pass through.
    #[serde(default)]
    models: Vec<ModelEntry>,
}

#[derive(Deserialize)]
struct ModelEntry {
    #[serde(alias = "name")]
    id: String,
}

/// The most a model list may weigh: OpenRouter's, with every model's description and
/// prices, is about a megabyte.
pub const MAX_MODEL_LIST_BYTES: usize = 16 * 1024 * 1024;
/// The most models, and the longest name, a list may bring.
const MAX_MODELS: usize = 10_000;
const MAX_MODEL_NAME: usize = 512;

/// Reads a body of at most `limit` bytes.
async fn read_limited(response: reqwest::Response, limit: usize) -> Result<Vec<u8>, ChatError> {
    use futures_util::StreamExt;
    let mut body = Vec::new();
    let mut chunks = response.bytes_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|e| {
            ChatError::new(ErrorKind::Network, format!("The model list broke off: {e}"))
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ChatError::new(
                ErrorKind::TooLarge,
                format!(
                    "The server's model list is larger than {}, far more than any real one; it was not read.",
                    super::human_bytes(limit)
                ),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Lists the server's models, sorted. Fails with the same error kinds as a chat request.
/// A list beyond [`MAX_MODEL_LIST_BYTES`] is refused; beyond [`MAX_MODELS`] names, or
/// names longer than [`MAX_MODEL_NAME`], are left out.
pub async fn list_models(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    timeout: Duration,
) -> Result<Vec<String>, ChatError> {
    let secret = endpoint.api_key().map(|k| k.expose());
    let (url, headers) = protocol::models_request(endpoint)?;
    let request = http.get(url.clone()).headers(headers);
    let protocol = match endpoint.kind() {
        ApiKind::Anthropic => Protocol::Messages,
        _ => Protocol::ChatCompletions,
    };
    let fetch = async {
        let response = request.send().await.map_err(|e| {
            ChatError::new(
                ErrorKind::Network,
                format!(
                    "Could not reach {}: {e}",
                    url.host_str().unwrap_or("the server")
                ),
            )
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        if !status.is_success() {
            let body = read_limited(response, http_error::MAX_ERROR_BODY)
                .await
                .unwrap_or_default();
            return Err(http_error::classify(protocol, status, &headers, &body).error);
        }
        let body = read_limited(response, MAX_MODEL_LIST_BYTES).await?;
        let list: ModelList = serde_json::from_slice(&body).map_err(|e| {
            ChatError::new(
                ErrorKind::Protocol,
                format!("The server's model list is not in the expected format: {e}"),
            )
        })?;
        let mut ids: Vec<String> = list
            .data
            .into_iter()
            .chain(list.models)
            .map(|m| m.id)
            .filter(|id| !id.trim().is_empty() && id.len() <= MAX_MODEL_NAME)
            .take(MAX_MODELS)
            .collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    };
    match tokio::time::timeout(timeout, fetch).await {
        Ok(result) => result.map_err(|e| endpoint.explain(e.scrubbed(secret))),
        Err(_) => Err(ChatError::timeout(timeout)),
    }
}
