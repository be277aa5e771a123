//! A second `palaver` (the `--quick-ask` key binding, a click in the applications menu)
//! hands its arguments to the running one. tauri-plugin-single-instance does this too,
//! but only after the whole app — GTK, the event loop, every plugin — has started in
//! the second process. On Linux the same D-Bus call is made here first, before any of
//! that, which makes the quick-ask window appear several times sooner. If no Palaver
//! answers, the app starts normally and the plugin takes over its usual role.

/// The plugin's D-Bus name, object path and interface for an app identifier.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn plugin_address(identifier: &str) -> (String, String) {
    let name = format!("{identifier}.SingleInstance");
    let path = format!("/{}", name.replace('.', "/").replace('-', "_"));
    (name, path)
}

/// Hands `argv` to a running Palaver. True when it took them.
#[cfg(target_os = "linux")]
pub fn to_running_instance() -> bool {
    use std::time::Duration;
    let Ok(conn) = dbus::blocking::Connection::new_session() else {
        return false;
    };
    let (name, path) = plugin_address(palaver_core::paths::IDENTIFIER);
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let cwd = std::env::current_dir()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    // No owner of the name: fails at once with ServiceUnknown (no activation is attempted
    // for a name no service file declares).
    let proxy = conn.with_proxy(name, path, Duration::from_secs(5));
    let handed: Result<(), dbus::Error> =
        proxy.method_call("org.SingleInstance.DBus", "ExecuteCallback", (argv, cwd));
    match handed {
        Ok(()) => true,
        Err(e) => {
            tracing::debug!(error = %e, "no running Palaver took the launch");
            false
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub fn to_running_instance() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_is_the_plugins() {
        assert_eq!(
            plugin_address("dev.palaver.desktop"),
            (
                "dev.palaver.desktop.SingleInstance".to_owned(),
                "/dev/palaver/desktop/SingleInstance".to_owned()
            )
        );
        assert_eq!(plugin_address("a-b.c").1, "/a_b/c/SingleInstance");
    }

    #[test]
    fn the_identifier_is_the_apps() {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../../../../tauri.conf.json")).unwrap();
        assert_eq!(config["identifier"], palaver_core::paths::IDENTIFIER);
    }
}
