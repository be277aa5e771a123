//! The commands the webview may call, grouped by feature. Each is a few lines over the core.

pub mod chat;
pub mod history;
pub mod keys;
pub mod links;
pub mod settings;

include!("names.rs");

/// Every command name (see `names.rs`).
pub const ALL: &[&str] = COMMAND_NAMES;

#[cfg(test)]
mod tests {
    /// Every command is granted to the main window, and nothing else is.
    #[test]
    fn commands_acl_and_capabilities_agree() {
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
