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

/// Lists the server's models, sorted. Fails with the same error kinds as a chat request.
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
        let body = response.bytes().await.unwrap_or_default();
        if !status.is_success() {
            return Err(http_error::classify(protocol, status, &headers, &body).error);
        }
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
