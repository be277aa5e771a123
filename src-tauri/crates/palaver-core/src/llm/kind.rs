//! Which wire protocol a server speaks, and which one a request uses.

use serde::{Deserialize, Serialize};

/// The kind of server a profile talks to: how requests are shaped and authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum ApiKind {
    /// OpenAI Chat Completions (`/chat/completions`, `Authorization: Bearer`), spoken by
    /// OpenAI and nearly every other server. On OpenAI itself, reasoning models go through
    /// the Responses API instead (see [`ApiKind::protocol_for`]).
    #[default]
    #[serde(rename = "openai")]
    OpenAi,
    /// Anthropic Messages (`/v1/messages`, `x-api-key`, `anthropic-version`).
    Anthropic,
    /// OpenAI Responses (`/v1/responses`), for every model of the profile.
    Responses,
    /// Azure OpenAI: Chat Completions on a deployment, `api-key` header, `api-version`.
    Azure,
}

impl ApiKind {
    pub const ALL: [ApiKind; 4] = [
        ApiKind::OpenAi,
        ApiKind::Anthropic,
        ApiKind::Responses,
        ApiKind::Azure,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ApiKind::OpenAi => "openai",
            ApiKind::Anthropic => "anthropic",
            ApiKind::Responses => "responses",
            ApiKind::Azure => "azure",
        }
    }

    /// The protocol a request for `model` on `host` uses.
    pub fn protocol_for(self, host: Option<&str>, model: &str) -> Protocol {
        match self {
            ApiKind::Anthropic => Protocol::Messages,
            ApiKind::Responses => Protocol::Responses,
            ApiKind::Azure => Protocol::ChatCompletions,
            ApiKind::OpenAi if host == Some("api.openai.com") && is_openai_reasoning(model) => {
                Protocol::Responses
            }
            ApiKind::OpenAi => Protocol::ChatCompletions,
        }
    }
}

/// OpenAI's reasoning models, whose reasoning summaries stream only over Responses.
pub(crate) fn is_openai_reasoning(model: &str) -> bool {
    let model = model.trim().to_ascii_lowercase();
    ["o1", "o3", "o4", "gpt-5"].iter().any(|family| {
        model == *family
            || model
                .strip_prefix(family)
                .is_some_and(|rest| rest.starts_with('-') || rest.starts_with('.'))
    }) && !model.contains("chat")
}

impl std::fmt::Display for ApiKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ApiKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ApiKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!("“{s}” is not a kind of server; use openai, anthropic, responses or azure")
            })
    }
}

/// The wire protocol of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    ChatCompletions,
    Messages,
    Responses,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_reasoning_models_use_responses_on_openai_only() {
        let openai = Some("api.openai.com");
        for model in ["o1", "o3-mini", "o4-mini", "gpt-5", "gpt-5-mini", "gpt-5.1"] {
            assert_eq!(
                ApiKind::OpenAi.protocol_for(openai, model),
                Protocol::Responses,
                "{model}"
            );
        }
        for model in ["gpt-4o-mini", "gpt-5-chat-latest", "o1x", "gpt-50"] {
            assert_eq!(
                ApiKind::OpenAi.protocol_for(openai, model),
                Protocol::ChatCompletions,
                "{model}"
            );
        }
        assert_eq!(
            ApiKind::OpenAi.protocol_for(Some("localhost"), "o3-mini"),
            Protocol::ChatCompletions
        );
        assert_eq!(
            ApiKind::Responses.protocol_for(Some("localhost"), "anything"),
            Protocol::Responses
        );
    }

    #[test]
    fn kinds_read_as_written() {
        assert_eq!("Anthropic".parse::<ApiKind>(), Ok(ApiKind::Anthropic));
        assert!("gemini".parse::<ApiKind>().is_err());
        assert_eq!(
            serde_json::to_string(&ApiKind::OpenAi).unwrap(),
            "\"openai\""
        );
    }
}
