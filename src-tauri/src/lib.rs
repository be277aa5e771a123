//! Palaver: a desktop chat client for OpenAI and every OpenAI-compatible server.
//!
//! Rust owns everything that matters — the key, the network, the data; a front end renders
//! events and sends intents. The modules below are plain Rust shared by the CLI and the GUI:
//! - [`llm`]: the streaming protocol (request, SSE parsing, errors, retries);
//! - [`secrets`]: API keys in the OS keyring;
//! - [`history`]: conversations in SQLite, searchable offline;
//! - [`chat`]: one reply, end to end, delivered to a sink as [`chat::ChatEvent`]s;
//! - [`cli`]: the terminal front end;
//! - [`files`]: private directories and atomic writes for the user's data;
//! - [`app`]: the Tauri shell, the only module that uses `tauri`.

pub mod app;
pub mod chat;
pub mod cli;
pub mod files;
pub mod history;
pub mod llm;
pub mod paths;
pub mod secrets;
