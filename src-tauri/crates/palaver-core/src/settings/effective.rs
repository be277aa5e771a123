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
use crate::llm::OPENAI_BASE_URL;
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
    pub profile: Option<Sourced<String>>,
    pub base_url: Option<Sourced<String>>,
    pub model: Option<Sourced<String>>,
    pub system_prompt: Option<Sourced<String>>,
    pub temperature: Option<Sourced<f32>>,
    /// `--allow-cleartext-key`: only ever turns the allowance on.
    pub allow_cleartext_key: bool,
}

/// The settings a request uses.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Effective {
    /// The keyring account of the key.
    pub profile: Sourced<String>,
    pub base_url: Sourced<String>,
    pub model: Sourced<String>,
    pub system_prompt: Sourced<String>,
    pub temperature: Sourced<Option<f32>>,
    pub allow_cleartext_key: Sourced<bool>,
}

impl Effective {
    /// Applies the rule in the module docs. `env` reads an environment variable (a closure,
    /// so tests need not touch the process environment).
    pub fn resolve(
        settings: &Settings,
        file: &FileState,
        overrides: Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> Effective {
        let in_file = matches!(file, FileState::Read);
        let from_file = |value: String, default: &str| {
            if in_file && !value.is_empty() {
                Sourced::new(value, Origin::File)
            } else {
                Sourced::new(default.to_owned(), Origin::Default)
            }
        };
        let defaults = Settings::default();
        let profile = settings.profile.clone();

        let base_url = overrides.base_url.unwrap_or_else(|| {
            if !profile.base_url.is_empty() {
                return Sourced::new(profile.base_url.clone(), Origin::File);
            }
            match env(BASE_URL_ENV).map(|u| u.trim().to_owned()) {
                Some(url) if !url.is_empty() => {
                    Sourced::named(url, Origin::Environment, BASE_URL_ENV)
                }
                _ => Sourced::new(OPENAI_BASE_URL.to_owned(), Origin::Default),
            }
        });
        let allow_cleartext_key = if overrides.allow_cleartext_key {
            Sourced::new(true, Origin::Flag)
        } else if in_file && profile.allow_cleartext_key {
            Sourced::new(true, Origin::File)
        } else {
            Sourced::new(false, Origin::Default)
        };
        Effective {
            profile: overrides
                .profile
                .unwrap_or_else(|| from_file(profile.id, &defaults.profile.id)),
            base_url,
            model: overrides
                .model
                .unwrap_or_else(|| from_file(profile.model, &defaults.profile.model)),
            system_prompt: overrides
                .system_prompt
                .unwrap_or_else(|| from_file(settings.system_prompt.clone(), "")),
            temperature: match overrides.temperature {
                Some(t) => Sourced {
                    value: Some(t.value),
                    origin: t.origin,
                    name: t.name,
                },
                None if in_file && settings.temperature.is_some() => {
                    Sourced::new(settings.temperature, Origin::File)
                }
                None => Sourced::new(None, Origin::Default),
            },
            allow_cleartext_key,
        }
    }

    /// What the user allowed for the key on this run.
    pub fn key_policy(&self) -> crate::chat::KeyPolicy {
        crate::chat::KeyPolicy {
            allow_cleartext: self.allow_cleartext_key.value,
        }
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
        s.profile.base_url = "http://localhost:11434/v1".into();
        s.profile.model = "llama3.2".into();
        s
    }

    #[test]
    fn the_file_decides_unless_a_flag_says_otherwise() {
        let e = Effective::resolve(
            &local_profile(),
            &FileState::Read,
            Overrides::default(),
            no_env,
        );
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
        let e = Effective::resolve(&local_profile(), &FileState::Read, flags, no_env);
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
        );
        assert_eq!(e.base_url.value, "http://localhost:11434/v1");

        let e = Effective::resolve(
            &Settings::default(),
            &FileState::Missing,
            Overrides::default(),
            env,
        );
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
        );
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
        s.profile.allow_cleartext_key = true;
        let e = Effective::resolve(&s, &FileState::Read, Overrides::default(), no_env);
        assert!(e.key_policy().allow_cleartext);
        let flags = Overrides {
            allow_cleartext_key: true,
            ..Overrides::default()
        };
        let e = Effective::resolve(&Settings::default(), &FileState::Missing, flags, no_env);
        assert_eq!(e.allow_cleartext_key, Sourced::new(true, Origin::Flag));
    }
}
