//! The frontend's declarations of everything that crosses IPC, generated from the Rust
//! types so the two sides cannot drift: one `.ts` file per type (ts-rs) and `events.js`
//! with the broadcast names of [`super::events`], all in `ui/src/bindings/`.
//!
//! `cargo run --example ipc-bindings` rewrites them; the test below fails when the
//! committed files differ from what the Rust types give, and `npm run typecheck` then
//! checks the frontend against them.

use std::path::{Path, PathBuf};
use ts_rs::TS;

/// Where the generated files live, relative to the repository root.
pub const DIR: &str = "ui/src/bindings";

const HEADER: &str =
    "// Generated from the Rust types by `cargo run --example ipc-bindings`. Do not edit.\n";

/// Writes every declaration into `dir` (which it creates). Returns the files written.
pub fn write_all(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    use super::commands::{
        chat as chat_cmd, history as history_cmd, providers as providers_cmd,
        settings as settings_cmd, ui_state, updates,
    };
    use super::error;
    use palaver_core::{chat, history, llm, providers, secrets, settings};

    std::fs::create_dir_all(dir)?;
    let failed = |e: ts_rs::ExportError| std::io::Error::other(e.to_string());
    macro_rules! export {
        ($($t:ty),* $(,)?) => {
            $(<$t as TS>::export_all_to(dir).map_err(failed)?;)*
        };
    }
    export!(
        chat::ChatEvent,
        llm::ChatError,
        llm::ErrorKind,
        llm::FinishReason,
        llm::Role,
        history::ConversationSummary,
        history::ConversationView,
        history::StoredMessage,
        history::MessageStatus,
        history::Source,
        history::SearchHit,
        history::ImportReport,
        history::ImportProgress,
        secrets::KeyStatus,
        settings::Settings,
        settings::Profile,
        settings::Theme,
        chat_cmd::SendAck,
        chat_cmd::SendMode,
        chat_cmd::ModelChoice,
        providers_cmd::ProfileModels,
        providers::LocalServer,
        history_cmd::HistoryChanged,
        settings_cmd::SettingsView,
        updates::UpdateStatus,
        ui_state::UiState,
        ui_state::UiState,
        error::CommandError,
    );
    let mut events = String::from(HEADER);
    for (name, value) in super::events::ALL {
        events.push_str(&format!(
            "export const {name} = /** @type {{const}} */ ({value:?});\n"
        ));
    }
    std::fs::write(dir.join("events.js"), events)?;

    let mut written: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    written.sort();
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The repository root (this package's manifest directory).
    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn the_committed_bindings_are_what_the_rust_types_give() {
        let fresh = tempfile::tempdir().unwrap();
        let generated = write_all(fresh.path()).unwrap();
        let committed = root().join(DIR);
        let mut stale = Vec::new();
        for path in &generated {
            let name = path.file_name().unwrap();
            let want = std::fs::read_to_string(path).unwrap();
            match std::fs::read_to_string(committed.join(name)) {
                Ok(have) if have == want => {}
                Ok(_) => stale.push(format!("{} differs", name.to_string_lossy())),
                Err(_) => stale.push(format!("{} is missing", name.to_string_lossy())),
            }
        }
        for entry in std::fs::read_dir(&committed).unwrap().flatten() {
            if !generated
                .iter()
                .any(|g| g.file_name() == Some(&entry.file_name()))
            {
                stale.push(format!(
                    "{} is left over",
                    entry.file_name().to_string_lossy()
                ));
            }
        }
        assert!(
            stale.is_empty(),
            "ui/src/bindings is out of date ({}); run `cargo run --example ipc-bindings`",
            stale.join(", ")
        );
    }
}
