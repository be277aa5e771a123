//! `palaver config show`: where the settings file is, what is in effect for `palaver ask`,
//! and where each value came from (flag, environment, file, default).

use super::ask::SettingsFlags;
use super::terminal::{one_line, printable};
use super::{EXIT_FAILED, EXIT_OK};
use palaver_core::settings::{self, Effective, FileState, Origin, Sourced};
use serde::Serialize;

#[derive(Debug, clap::Subcommand)]
pub enum ConfigAction {
    /// Print the settings file's path and what `palaver ask` would use, with where each
    /// value comes from. Takes the same flags as `ask`.
    Show {
        #[command(flatten)]
        settings: SettingsFlags,
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report<'a> {
    settings_file: String,
    /// `missing`, `read`, `unreadable` or `invalid`.
    file_state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
    data_dir: String,
    effective: &'a Effective,
}

pub fn run(action: ConfigAction) -> i32 {
    let ConfigAction::Show { settings, json } = action;
    let (effective, file) = match settings.effective() {
        Ok(found) => found,
        Err(e) => {
            eprintln!("error: {e}");
            return super::EXIT_USAGE;
        }
    };
    let path = settings::default_path();
    if json {
        let report = Report {
            settings_file: path.display().to_string(),
            file_state: match file {
                FileState::Missing => "missing",
                FileState::Read => "read",
                FileState::Unreadable(_) => "unreadable",
                FileState::Invalid(_) => "invalid",
            },
            problem: file.problem(),
            data_dir: palaver_core::paths::data_dir().display().to_string(),
            effective: &effective,
        };
        return match serde_json::to_string_pretty(&report) {
            Ok(text) => {
                println!("{text}");
                EXIT_OK
            }
            Err(e) => {
                eprintln!("error: could not encode the settings: {e}");
                EXIT_FAILED
            }
        };
    }
    let state = match &file {
        FileState::Missing => "not created yet: defaults are in use".to_owned(),
        FileState::Read => "read".to_owned(),
        FileState::Unreadable(_) | FileState::Invalid(_) => format!(
            "not used: {}; defaults are in use",
            file.problem().unwrap_or_default()
        ),
    };
    println!(
        "Settings file   {} ({})",
        printable(&path.display().to_string()),
        printable(&state)
    );
    println!(
        "Data directory  {}",
        printable(&palaver_core::paths::data_dir().display().to_string())
    );
    println!();
    let rows = [
        (
            "profile",
            text(&effective.profile, |id| {
                if id.is_empty() {
                    format!(
                        "{} (a one-off server: no stored key)",
                        effective.profile_name
                    )
                } else {
                    format!("{} ({}, {})", effective.profile_name, id, effective.kind)
                }
            }),
        ),
        ("base URL", text(&effective.base_url, |v| v.clone())),
        ("model", text(&effective.model, |v| v.clone())),
        (
            "system prompt",
            text(&effective.system_prompt, |v| {
                if v.trim().is_empty() {
                    "(none)".to_owned()
                } else {
                    shortened(v, 60)
                }
            }),
        ),
        (
            "temperature",
            text(&effective.temperature, |v| match v {
                Some(t) => t.to_string(),
                None => "(the server's default)".to_owned(),
            }),
        ),
        (
            "cleartext key",
            text(&effective.allow_cleartext_key, |v| {
                if *v { "allowed" } else { "not allowed" }.to_owned()
            }),
        ),
    ];
    let width = rows
        .iter()
        .map(|(_, (v, _))| v.chars().count())
        .max()
        .unwrap_or(0);
    println!("{:<15} {:<width$}  from", "", "value");
    for (name, (value, from)) in rows {
        println!("{name:<15} {value:<width$}  {from}");
    }
    EXIT_OK
}

/// A value shown on one printable line, and where it came from.
fn text<T>(value: &Sourced<T>, show: impl Fn(&T) -> String) -> (String, String) {
    let from = match (value.origin, value.name) {
        (Origin::Environment, Some(name)) => format!("environment ({name})"),
        (origin, _) => origin.to_string(),
    };
    (one_line(&show(&value.value)).into_owned(), from)
}

/// The first `max` characters of `text`, with an ellipsis when there were more.
fn shortened(text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        format!("{}…", head.trim_end())
    } else {
        head
    }
}
