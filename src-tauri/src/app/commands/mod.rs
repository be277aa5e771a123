//! The commands the webview may call, grouped by feature. Each is a few lines over the core.

pub mod chat;
pub mod history;
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

#[cfg(test)]
mod tests {
    /// Every command is opted into the ACL (build.rs), granted to the main window, and
    /// nothing else is.
    #[test]
    fn commands_acl_and_capabilities_agree() {
        let build = include_str!("../../../build.rs");
        let main: serde_json::Value =
            serde_json::from_str(include_str!("../../../capabilities/main.json")).unwrap();
        let granted: Vec<&str> = main["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str())
            .filter_map(|p| p.strip_prefix("allow-"))
            .collect();
        for command in super::ALL {
            assert!(
                build.contains(&format!("\"{command}\"")),
                "{command} missing from build.rs"
            );
            assert!(
                granted.contains(&command.replace('_', "-").as_str()),
                "{command} not granted"
            );
        }
        assert_eq!(
            granted.len(),
            super::ALL.len(),
            "a permission for an unknown command"
        );
    }
}
