// The commands the webview may call. Included by `build.rs` (to opt them into the ACL) and
// by `app::commands` (to check the capabilities), so the list exists once.
pub const COMMAND_NAMES: &[&str] = &[
    "send_message",
    "cancel_stream",
    "get_settings",
    "save_settings",
    "list_models",
    "set_api_key",
    "clear_api_key",
    "api_key_status",
    "open_external",
    "list_conversations",
    "get_conversation",
    "show_version",
    "rename_conversation",
    "set_pinned",
    "delete_conversation",
    "search_history",
    "export_conversation",
    "import_history",
];
