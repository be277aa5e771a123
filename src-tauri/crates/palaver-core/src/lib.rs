//! Palaver's core: everything that matters — the key, the network, the data — in plain Rust,
//! shared by the desktop app and the terminal commands.
//!
//! Cargo keeps this crate free of Tauri, wry, GTK and WebKit (CI checks its dependency
//! tree), so the CLI and the tests drive exactly what the GUI drives, and a new front end
//! never has to pull in a web view.
//! - [`llm`]: the streaming protocol (request, SSE parsing, errors, retries);
//! - [`secrets`]: API keys in the OS keyring, each bound to the one server it was saved for;
//! - [`history`]: conversations in SQLite, searchable offline;
//! - [`chat`]: one reply, end to end, delivered to a sink as [`chat::ChatEvent`]s;
//! - [`settings`]: the settings file both front ends read and write;
//! - [`paths`] and [`files`]: where the user's data lives, private directories, atomic writes.

pub mod chat;
pub mod files;
pub mod history;
pub mod llm;
pub mod paths;
pub mod providers;
pub mod secrets;
pub mod settings;
