//! The providers Palaver knows by name, and the local servers it finds by itself.
//!
//! A [`Preset`] fills in a new profile: its kind of server, base URL, a first model and
//! whether a key is needed. [`probe_local`] asks the loopback ports of Ollama, LM Studio,
//! llama.cpp and vLLM for their model lists, all at once with a short timeout, and reports
//! those that answer, so they can be offered as profiles.

use crate::llm::{list_models, ApiKind, Endpoint};
use serde::Serialize;
use std::time::Duration;

/// A provider as offered in the "add a provider" form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Preset {
    pub id: &'static str,
    pub name: &'static str,
    pub kind: ApiKind,
    /// Empty when the user must give it (Azure's resource, a custom server).
    pub base_url: &'static str,
    /// A model to start with; the server's list offers the rest.
    pub model: &'static str,
    pub needs_key: bool,
    /// The loopback port a local server of this kind listens on by default.
    #[ts(type = "number | null")]
    pub local_port: Option<u16>,
    /// Where the user gets a key, shown next to the key field.
    pub key_url: &'static str,
}

const fn cloud(
    id: &'static str,
    name: &'static str,
    kind: ApiKind,
    base_url: &'static str,
    model: &'static str,
    key_url: &'static str,
) -> Preset {
    Preset {
        id,
        name,
        kind,
        base_url,
        model,
        needs_key: true,
        local_port: None,
        key_url,
    }
}

const fn local(id: &'static str, name: &'static str, base_url: &'static str, port: u16) -> Preset {
    Preset {
        id,
        name,
        kind: ApiKind::OpenAi,
        base_url,
        model: "",
        needs_key: false,
        local_port: Some(port),
        key_url: "",
    }
}

/// Every preset, in the order the form lists them.
pub const PRESETS: &[Preset] = &[
    cloud(
        "openai",
        "OpenAI",
        ApiKind::OpenAi,
        "https://api.openai.com/v1",
        "gpt-4o-mini",
        "https://platform.openai.com/api-keys",
    ),
    cloud(
        "anthropic",
        "Anthropic",
        ApiKind::Anthropic,
        "https://api.anthropic.com/v1",
        "claude-sonnet-4-5",
        "https://console.anthropic.com/settings/keys",
    ),
    cloud(
        "gemini",
        "Google Gemini",
        ApiKind::OpenAi,
        "https://generativelanguage.googleapis.com/v1beta/openai",
        "gemini-2.5-flash",
        "https://aistudio.google.com/apikey",
    ),
    cloud(
        "openrouter",
        "OpenRouter",
        ApiKind::OpenAi,
        "https://openrouter.ai/api/v1",
        "openai/gpt-4o-mini",
        "https://openrouter.ai/keys",
    ),
    cloud(
        "groq",
        "Groq",
        ApiKind::OpenAi,
        "https://api.groq.com/openai/v1",
        "llama-3.3-70b-versatile",
        "https://console.groq.com/keys",
    ),
    cloud(
        "mistral",
        "Mistral",
        ApiKind::OpenAi,
        "https://api.mistral.ai/v1",
        "mistral-small-latest",
        "https://console.mistral.ai/api-keys",
    ),
    cloud(
        "deepseek",
        "DeepSeek",
        ApiKind::OpenAi,
        "https://api.deepseek.com/v1",
        "deepseek-chat",
        "https://platform.deepseek.com/api_keys",
    ),
    cloud(
        "xai",
        "xAI",
        ApiKind::OpenAi,
        "https://api.x.ai/v1",
        "grok-3-mini",
        "https://console.x.ai",
    ),
    cloud(
        "azure",
        "Azure OpenAI",
        ApiKind::Azure,
        "",
        "",
        "https://portal.azure.com",
    ),
    local("ollama", "Ollama", "http://127.0.0.1:11434/v1", 11434),
    local("lmstudio", "LM Studio", "http://127.0.0.1:1234/v1", 1234),
    local(
        "llamacpp",
        "llama.cpp server",
        "http://127.0.0.1:8080/v1",
        8080,
    ),
    local("vllm", "vLLM", "http://127.0.0.1:8000/v1", 8000),
    Preset {
        id: "custom",
        name: "Any OpenAI-compatible server",
        kind: ApiKind::OpenAi,
        base_url: "",
        model: "",
        needs_key: false,
        local_port: None,
        key_url: "",
    },
];

pub fn preset(id: &str) -> Option<&'static Preset> {
    PRESETS
        .iter()
        .find(|p| p.id.eq_ignore_ascii_case(id.trim()))
}

/// Names the variable that overrides which loopback ports the probe asks, as
/// `preset=port,…` (for a server moved off its default port).
pub const PROBE_PORTS_ENV: &str = "PALAVER_LOCAL_PORTS";

/// A local server that answered the probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct LocalServer {
    pub preset: String,
    pub name: String,
    pub base_url: String,
    pub models: Vec<String>,
}

/// What to probe: each local preset on its port, or what [`PROBE_PORTS_ENV`] says.
/// An unusable variable is ignored in favour of the defaults (and logged).
pub fn probe_targets(env: Option<&str>) -> Vec<(&'static Preset, u16)> {
    let defaults = || {
        PRESETS
            .iter()
            .filter_map(|p| p.local_port.map(|port| (p, port)))
            .collect()
    };
    let Some(spec) = env.map(str::trim).filter(|s| !s.is_empty()) else {
        return defaults();
    };
    let parsed: Option<Vec<_>> = spec
        .split(',')
        .map(|item| {
            let (id, port) = item.split_once('=')?;
            let preset = preset(id).filter(|p| p.local_port.is_some())?;
            Some((preset, port.trim().parse::<u16>().ok()?))
        })
        .collect();
    parsed.unwrap_or_else(|| {
        tracing::warn!(
            spec,
            "{PROBE_PORTS_ENV} is not preset=port,…; probing the default ports"
        );
        defaults()
    })
}

/// Whether a profile already points at the local server `found`: the same origin, or, on
/// this machine, the same port under another name (`localhost`, `127.0.0.1`, `[::1]`).
pub fn is_configured(found: &str, profiles: &[&str]) -> bool {
    let parse = |u: &str| url::Url::parse(u.trim()).ok();
    let Some(found) = parse(found) else {
        return false;
    };
    profiles.iter().filter_map(|p| parse(p)).any(|p| {
        crate::llm::origin_of(&p) == crate::llm::origin_of(&found)
            || (crate::llm::is_loopback(&p)
                && crate::llm::is_loopback(&found)
                && p.port_or_known_default() == found.port_or_known_default())
    })
}

/// How long one local server may take to answer the probe.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(700);

/// Asks every target at once for its model list; returns those that answered, in the
/// order of `targets`. Never sends a key.
pub async fn probe_local(
    http: &reqwest::Client,
    targets: &[(&'static Preset, u16)],
    timeout: Duration,
) -> Vec<LocalServer> {
    let asks = targets.iter().map(|(preset, port)| async move {
        let base_url = format!("http://127.0.0.1:{port}/v1");
        let endpoint = Endpoint::new(&base_url, None).ok()?;
        match list_models(http, &endpoint, timeout).await {
            Ok(models) => Some(LocalServer {
                preset: preset.id.to_owned(),
                name: preset.name.to_owned(),
                base_url,
                models,
            }),
            Err(e) => {
                tracing::debug!(preset = preset.id, port, error = %e, "no local server");
                None
            }
        }
    });
    futures_util::future::join_all(asks)
        .await
        .into_iter()
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_has_a_unique_id_and_a_usable_url() {
        for (i, p) in PRESETS.iter().enumerate() {
            assert!(PRESETS[..i].iter().all(|q| q.id != p.id), "{}", p.id);
            if !p.base_url.is_empty() {
                assert!(Endpoint::new(p.base_url, None).is_ok(), "{}", p.id);
            }
        }
        assert_eq!(preset("Ollama").map(|p| p.local_port), Some(Some(11434)));
    }

    #[test]
    fn a_local_server_under_another_name_is_already_configured() {
        let found = "http://127.0.0.1:11434/v1";
        assert!(is_configured(found, &["http://localhost:11434/v1"]));
        assert!(is_configured(found, &["http://[::1]:11434"]));
        assert!(!is_configured(found, &["http://localhost:1234/v1", ""]));
        assert!(!is_configured(found, &["http://10.0.0.2:11434/v1"]));
    }

    #[test]
    fn probe_ports_can_be_moved() {
        let ports = |env| {
            probe_targets(env)
                .into_iter()
                .map(|(p, port)| (p.id, port))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ports(None),
            [
                ("ollama", 11434),
                ("lmstudio", 1234),
                ("llamacpp", 8080),
                ("vllm", 8000)
            ]
        );
        assert_eq!(
            ports(Some("ollama=41000, vllm=41001")),
            [("ollama", 41000), ("vllm", 41001)]
        );
        assert_eq!(ports(Some("openai=1")).len(), 4, "only local presets");
        assert_eq!(ports(Some("ollama=x")).len(), 4);
    }
}
