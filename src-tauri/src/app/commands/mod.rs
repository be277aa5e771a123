//! The commands the webview may call, grouped by feature. Each is a few lines over the core.

pub mod chat;
pub mod keys;
pub mod links;
pub mod settings;

/// Every command name, for the ACL manifest in `build.rs` (kept in step by a test).
pub const ALL: &[&str] = &[
    "send_message",
    "cancel_stream",
    "get_settings",
    "save_settings",
    "list_models",
    "set_api_key",
    "clear_api_key",
    "api_key_status",
    "open_external",
];
