//! What is in effect for a request, and where each value came from.
//!
//! One rule for the app and the CLI, so a question asked in the terminal goes to the
//! server and model chosen in the app:
//! 1. an override — a command-line flag, or a `PALAVER_*` environment variable standing in
//!    for one (`PALAVER_MODEL`): an explicit choice for this run;
//! 2. the settings file;
//! 3. `OPENAI_BASE_URL`, only for a file that names no server: the variable is shared with
//!    other tools, so it never outranks what the user chose in Palaver;
//! 4. the built-in default.
//!
//! The app passes no overrides; `palaver config show` prints the result with its origins.

use super::{FileState, Settings, BASE_URL_ENV};
use crate::chat::{Destination, KeyPolicy};
use crate::llm::{ApiKind, OPENAI_BASE_URL};
use serde::Serialize;

/// Where a value in effect came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Flag,
    Environment,
    File,
    Default,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Origin::Flag => "flag",
            Origin::Environment => "environment",
            Origin::File => "file",
            Origin::Default => "default",
        })
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sourced<T> {
    pub value: T,
    pub origin: Origin,
    /// The flag or variable it came from, when that is not obvious (`OPENAI_BASE_URL`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'static str>,
}

impl<T> Sourced<T> {
    pub fn new(value: T, origin: Origin) -> Self {
        Sourced {
            value,
            origin,
            name: None,
        }
    }

    pub fn named(value: T, origin: Origin, name: &'static str) -> Self {
        Sourced {
            value,
            origin,
            name: Some(name),
        }
    }
}

/// Choices made for one run, each already marked with its origin (flag or environment).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `-p`: a profile by id or name.
    pub profile: Option<Sourced<String>>,
    /// `--base-url`: with `-p`, that profile on another address; without, a one-off
    /// OpenAI-compatible server that no stored key goes to.
    pub base_url: Option<Sourced<String>>,
    pub model: Option<Sourced<String>>,
    pub system_prompt: Option<Sourced<String>>,
    pub temperature: Option<Sourced<f32>>,
    /// `--allow-cleartext-key`: only ever turns the allowance on.
    pub allow_cleartext_key: bool,
}

/// `-p` names no profile in the settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("There is no provider profile called “{name}”. {known}")]
pub struct UnknownProfile {
    pub name: String,
    known: String,
}

/// The settings a request uses.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Effective {
    /// The profile's id, the keyring account of its key; empty for a one-off server.
    pub profile: Sourced<String>,
    pub profile_name: String,
    pub kind: ApiKind,
    pub base_url: Sourced<String>,
    pub model: Sourced<String>,
    pub system_prompt: Sourced<String>,
    pub temperature: Sourced<Option<f32>>,
    pub allow_cleartext_key: Sourced<bool>,
    /// The names of the profile's extra headers (their values may be tokens).
    pub header_names: Vec<String>,
    #[serde(skip)]
    pub headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// `--base-url` without `-p`: no stored key goes there.
    pub one_off: bool,
}

/// The name a one-off server goes by in messages.
pub const ONE_OFF_NAME: &str = "--base-url";

impl Effective {
    /// Applies the rule in the module docs. `env` reads an environment variable (a closure,
    /// so tests need not touch the process environment).
    pub fn resolve(
        settings: &Settings,
        file: &FileState,
        overrides: Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Effective, UnknownProfile> {
        let in_file = matches!(file, FileState::Read);
        let defaults = Settings::default();
        let from_settings = if in_file { settings } else { &defaults };
        let chosen = match &overrides.profile {
            Some(name) => match from_settings.profile(&name.value) {
                Some(p) => (p.clone(), name.origin),
                None => {
                    let names: Vec<&str> = from_settings
                        .profiles
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect();
                    return Err(UnknownProfile {
                        name: name.value.clone(),
                        known: if names.is_empty() {
                            "There are none yet: add one with `palaver profile add`.".to_owned()
                        } else {
                            format!("The profiles are: {}.", names.join(", "))
                        },
                    });
                }
            },
            None => {
                let named = from_settings
                    .profile(&from_settings.default_profile)
                    .is_some();
                let origin = if in_file && named {
                    Origin::File
                } else {
                    Origin::Default
                };
                (from_settings.default_profile(), origin)
            }
        };
        Ok(Self::build(from_settings, in_file, chosen, overrides, env))
    }

    /// What is in effect with `profile` chosen (and found), from `settings`.
    pub(super) fn build(
        from_settings: &Settings,
        in_file: bool,
        (profile, profile_origin): (super::Profile, Origin),
        overrides: Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> Effective {
        let defaults = Settings::default();
        let one_off = overrides.profile.is_none() && overrides.base_url.is_some();
        let from_profile = |value: &str, default: &str, origin: Origin| {
            if !value.is_empty() {
                Sourced::new(value.to_owned(), origin)
            } else {
                Sourced::new(default.to_owned(), Origin::Default)
            }
        };
        let file_origin = if in_file {
            Origin::File
        } else {
            Origin::Default
        };

        let base_url = overrides.base_url.unwrap_or_else(|| {
            if !profile.base_url.is_empty() {
                return Sourced::new(profile.base_url.clone(), file_origin);
            }
            if profile.kind == ApiKind::OpenAi {
                if let Some(url) = env(BASE_URL_ENV).map(|u| u.trim().to_owned()) {
                    if !url.is_empty() {
                        return Sourced::named(url, Origin::Environment, BASE_URL_ENV);
                    }
                }
            }
            Sourced::new(
                profile
                    .usual_base_url()
                    .unwrap_or(OPENAI_BASE_URL)
                    .to_owned(),
                Origin::Default,
            )
        });
        let allow_cleartext_key = if overrides.allow_cleartext_key {
            Sourced::new(true, Origin::Flag)
        } else if in_file && profile.allow_cleartext_key && !one_off {
            Sourced::new(true, Origin::File)
        } else {
            Sourced::new(false, Origin::Default)
        };
        let (kind, id, name) = if one_off {
            (ApiKind::OpenAi, String::new(), ONE_OFF_NAME.to_owned())
        } else {
            (profile.kind, profile.id.clone(), profile.name.clone())
        };
        Effective {
            profile: Sourced::new(id, profile_origin),
            profile_name: name,
            kind,
            base_url,
            model: overrides.model.unwrap_or_else(|| {
                from_profile(
                    &profile.model,
                    &defaults.default_profile().model,
                    file_origin,
                )
            }),
            system_prompt: overrides
                .system_prompt
                .unwrap_or_else(|| from_profile(&from_settings.system_prompt, "", file_origin)),
            temperature: match overrides.temperature {
                Some(t) => Sourced {
                    value: Some(t.value),
                    origin: t.origin,
                    name: t.name,
                },
                None if from_settings.temperature.is_some() => {
                    Sourced::new(from_settings.temperature, file_origin)
                }
                None => Sourced::new(None, Origin::Default),
            },
            allow_cleartext_key,
            header_names: if one_off {
                Vec::new()
            } else {
                profile.headers.iter().map(|h| h.name.clone()).collect()
            },
            headers: if one_off {
                Vec::new()
            } else {
                profile.header_pairs()
            },
            api_version: (!one_off && !profile.api_version.is_empty())
                .then(|| profile.api_version.clone()),
            max_tokens: if one_off { None } else { profile.max_tokens },
            one_off,
        }
    }

    /// Where the request goes and which key may go with it.
    pub fn destination(&self) -> Destination {
        Destination {
            profile: (!self.one_off).then(|| self.profile.value.clone()),
            profile_name: self.profile_name.clone(),
            kind: self.kind,
            base_url: self.base_url.value.clone(),
            headers: self.headers.clone(),
            api_version: self.api_version.clone(),
            policy: KeyPolicy {
                allow_cleartext: self.allow_cleartext_key.value,
            },
            env_key: if self.one_off {
                Some(crate::secrets::ENV_KEY)
            } else {
                env_key_for(
                    self.kind,
                    &self.base_url.value,
                    self.base_url.origin != Origin::File,
                )
            },
        }
    }

    /// The model and how it is asked.
    pub fn sampling(&self) -> crate::chat::Sampling {
        crate::chat::Sampling {
            model: self.model.value.clone(),
            temperature: self.temperature.value,
            max_tokens: self.max_tokens,
        }
    }

    /// What the user allowed for the key on this run.
    pub fn key_policy(&self) -> KeyPolicy {
        KeyPolicy {
            allow_cleartext: self.allow_cleartext_key.value,
        }
    }
}

/// The environment variable whose key may go to this server: OpenAI's to OpenAI (and to
/// the server `OPENAI_BASE_URL` names, the pair other tools use together), Anthropic's to
/// Anthropic; none to any other server, which only ever gets the key stored for it.
pub fn env_key_for(kind: ApiKind, base_url: &str, url_not_from_file: bool) -> Option<&'static str> {
    let origin = crate::llm::origin_of_base_url(base_url)?;
    match kind {
        ApiKind::OpenAi | ApiKind::Responses
            if url_not_from_file || origin == crate::secrets::LEGACY_KEY_ORIGIN =>
        {
            Some(crate::secrets::ENV_KEY)
        }
        ApiKind::Anthropic if origin == "https://api.anthropic.com" => {
            Some(crate::secrets::ANTHROPIC_ENV_KEY)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn local_profile() -> Settings {
        let mut s = Settings::default();
        s.profiles[0].base_url = "http://localhost:11434/v1".into();
        s.profiles[0].model = "llama3.2".into();
        s
    }

    #[test]
    fn the_file_decides_unless_a_flag_says_otherwise() {
        let e = Effective::resolve(
            &local_profile(),
            &FileState::Read,
            Overrides::default(),
            no_env,
        )
        .unwrap();
        assert_eq!(
            (e.base_url.value.as_str(), e.base_url.origin),
            ("http://localhost:11434/v1", Origin::File)
        );
        assert_eq!(
            (e.model.value.as_str(), e.model.origin),
            ("llama3.2", Origin::File)
        );

        let flags = Overrides {
            model: Some(Sourced::new("qwen3".into(), Origin::Flag)),
            ..Overrides::default()
        };
        let e = Effective::resolve(&local_profile(), &FileState::Read, flags, no_env).unwrap();
        assert_eq!(
            (e.model.value.as_str(), e.model.origin),
            ("qwen3", Origin::Flag)
        );
        assert_eq!(e.base_url.origin, Origin::File);
    }

    #[test]
    fn openai_base_url_fills_in_only_where_the_file_names_no_server() {
        let env = |name: &str| (name == BASE_URL_ENV).then(|| "http://10.0.0.2:8000/v1".into());
        let e = Effective::resolve(
            &local_profile(),
            &FileState::Read,
            Overrides::default(),
            env,
        )
        .unwrap();
        assert_eq!(e.base_url.value, "http://localhost:11434/v1");

        let e = Effective::resolve(
            &Settings::default(),
            &FileState::Missing,
            Overrides::default(),
            env,
        )
        .unwrap();
        assert_eq!(
            e.base_url,
            Sourced::named(
                "http://10.0.0.2:8000/v1".into(),
                Origin::Environment,
                BASE_URL_ENV
            )
        );
        assert_eq!(e.model.origin, Origin::Default);
    }

    #[test]
    fn without_a_usable_file_everything_is_a_default() {
        let e = Effective::resolve(
            &Settings::default(),
            &FileState::Invalid("expected a string".into()),
            Overrides::default(),
            no_env,
        )
        .unwrap();
        assert_eq!(e.base_url.value, OPENAI_BASE_URL);
        for origin in [
            e.profile.origin,
            e.base_url.origin,
            e.model.origin,
            e.system_prompt.origin,
            e.temperature.origin,
            e.allow_cleartext_key.origin,
        ] {
            assert_eq!(origin, Origin::Default);
        }
    }

    #[test]
    fn the_cleartext_allowance_comes_from_the_file_or_the_flag() {
        let mut s = local_profile();
        s.profiles[0].allow_cleartext_key = true;
        let e = Effective::resolve(&s, &FileState::Read, Overrides::default(), no_env).unwrap();
        assert!(e.key_policy().allow_cleartext);
        let flags = Overrides {
            allow_cleartext_key: true,
            ..Overrides::default()
        };
        let e =
            Effective::resolve(&Settings::default(), &FileState::Missing, flags, no_env).unwrap();
        assert_eq!(e.allow_cleartext_key, Sourced::new(true, Origin::Flag));
    }

    #[test]
    fn a_profile_is_chosen_by_name_and_a_bare_base_url_is_a_one_off() {
        let mut s = local_profile();
        let anthropic = crate::providers::preset("anthropic").unwrap();
        s.add_profile(super::super::Profile::from_preset(
            anthropic,
            String::new(),
            "Claude".into(),
        ))
        .unwrap();
        let pick = |name: &str| Overrides {
            profile: Some(Sourced::new(name.into(), Origin::Flag)),
            ..Overrides::default()
        };
        let e = Effective::resolve(&s, &FileState::Read, pick("claude"), no_env).unwrap();
        assert_eq!(
            (e.profile.value.as_str(), e.kind),
            ("claude", ApiKind::Anthropic)
        );
        assert_eq!(e.base_url.value, "https://api.anthropic.com/v1");
        assert_eq!(e.model.value, "claude-sonnet-4-5");
        assert_eq!(
            e.destination().env_key,
            Some(crate::secrets::ANTHROPIC_ENV_KEY)
        );
        let e = Effective::resolve(&s, &FileState::Read, pick("nope"), no_env).unwrap_err();
        assert!(e.to_string().contains("Claude"), "{e}");

        let one_off = Overrides {
            base_url: Some(Sourced::new("http://127.0.0.1:9/v1".into(), Origin::Flag)),
            ..Overrides::default()
        };
        let e = Effective::resolve(&s, &FileState::Read, one_off, no_env).unwrap();
        let d = e.destination();
        assert_eq!(d.profile, None, "no stored key goes to a one-off server");
        assert_eq!(d.env_key, Some(crate::secrets::ENV_KEY));
    }

    #[test]
    fn the_openai_key_in_the_environment_goes_to_openai_only() {
        assert_eq!(
            env_key_for(ApiKind::OpenAi, "https://api.openai.com/v1", false),
            Some(crate::secrets::ENV_KEY)
        );
        assert_eq!(
            env_key_for(ApiKind::OpenAi, "https://openrouter.ai/api/v1", false),
            None
        );
        assert_eq!(
            env_key_for(ApiKind::Anthropic, "https://openrouter.ai/api/v1", false),
            None
        );
        assert_eq!(
            env_key_for(ApiKind::OpenAi, "http://10.0.0.2:8000/v1", true),
            Some(crate::secrets::ENV_KEY),
            "the server OPENAI_BASE_URL names"
        );
    }
}
