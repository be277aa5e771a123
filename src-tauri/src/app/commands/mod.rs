//! The commands the webview may call, grouped by feature. Each is a few lines over the core.

pub mod chat;
pub mod history;
pub mod keys;
pub mod links;
pub mod providers;
pub mod quick;
pub mod settings;
pub mod ui_state;
pub mod updates;

include!("names.rs");

/// Every command name (see `names.rs`).
pub const ALL: &[&str] = COMMAND_NAMES;

#[cfg(test)]
mod tests {
    /// Each window is granted only commands that exist, and every command is granted to
    /// some window.
    #[test]
    fn commands_acl_and_capabilities_agree() {
        let mut granted_somewhere = std::collections::HashSet::new();
        for capability in [
            include_str!("../../../capabilities/main.json"),
            include_str!("../../../capabilities/quick-ask.json"),
        ] {
            let capability: serde_json::Value = serde_json::from_str(capability).unwrap();
            for permission in capability["permissions"].as_array().unwrap() {
                let permission = permission.as_str().unwrap();
                if let Some(command) = permission.strip_prefix("allow-") {
                    let command = command.replace('-', "_");
                    assert!(
                        super::ALL.contains(&command.as_str()),
                        "{permission} grants an unknown command"
                    );
                    granted_somewhere.insert(command);
                }
            }
        }
        for command in super::ALL {
            assert!(
                granted_somewhere.contains(*command),
                "{command} is granted to no window"
            );
        }
    }
}
