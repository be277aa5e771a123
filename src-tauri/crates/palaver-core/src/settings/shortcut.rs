//! The quick-ask shortcut as settings hold it: checked for shape and spelled one way.
//!
//! Whether the desktop can register it is the shell's business (the global-shortcut
//! plugin parses the key names and grabs the combination); this module only refuses what
//! would hurt anywhere — no modifier, several keys, Alt+Space — so the CLI and the app
//! agree on what a valid settings file holds.

/// A combination settings cannot hold. The message says why, for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadShortcut(pub String);

/// Ctrl+Shift+Space, Cmd+Shift+Space on macOS. Never Alt+Space: Windows owns it.
pub const DEFAULT: &str = "CommandOrControl+Shift+Space";

/// Checks a combination typed in the settings and returns it in a stable spelling.
pub fn normalize(combination: &str) -> Result<String, BadShortcut> {
    let combination = combination.trim();
    if combination.is_empty() {
        return Ok(DEFAULT.to_owned());
    }
    let parts: Vec<&str> = combination.split('+').map(str::trim).collect();
    let is_modifier = |p: &str| {
        matches!(
            p.to_ascii_lowercase().as_str(),
            "commandorcontrol"
                | "cmdorctrl"
                | "ctrl"
                | "control"
                | "shift"
                | "alt"
                | "option"
                | "super"
                | "cmd"
                | "command"
                | "meta"
        )
    };
    let modifiers: Vec<&str> = parts.iter().copied().filter(|p| is_modifier(p)).collect();
    let keys: Vec<&str> = parts.iter().copied().filter(|p| !is_modifier(p)).collect();
    if keys.len() != 1 {
        return Err(BadShortcut(format!(
            "“{combination}” needs exactly one key besides the modifiers."
        )));
    }
    if modifiers.is_empty() {
        return Err(BadShortcut(format!("“{combination}” needs a modifier (Ctrl, Shift, Alt or Super), or it would swallow that key everywhere.")));
    }
    let alt_only = modifiers
        .iter()
        .all(|m| matches!(m.to_ascii_lowercase().as_str(), "alt" | "option"));
    if alt_only && keys[0].eq_ignore_ascii_case("space") {
        return Err(BadShortcut(
            "Alt+Space opens the window menu on Windows; choose another combination.".to_owned(),
        ));
    }
    Ok(parts.join("+"))
}

/// How the combination reads on this platform, e.g. "Ctrl+Shift+Space".
pub fn label(combination: &str) -> String {
    let command = if cfg!(target_os = "macos") {
        "Cmd"
    } else {
        "Ctrl"
    };
    combination
        .split('+')
        .map(|p| match p.to_ascii_lowercase().as_str() {
            "commandorcontrol" | "cmdorctrl" => command.to_owned(),
            "control" => "Ctrl".to_owned(),
            "super" | "meta" => {
                if cfg!(target_os = "macos") {
                    "Cmd".to_owned()
                } else {
                    "Super".to_owned()
                }
            }
            _ => {
                let mut c = p.chars();
                c.next()
                    .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                    .unwrap_or_default()
            }
        })
        .collect::<Vec<_>>()
        .join("+")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_valid_and_reads_naturally() {
        assert_eq!(normalize(DEFAULT).unwrap(), DEFAULT);
        assert_eq!(normalize("").unwrap(), DEFAULT);
        if !cfg!(target_os = "macos") {
            assert_eq!(label(DEFAULT), "Ctrl+Shift+Space");
        }
    }

    #[test]
    fn combinations_that_would_hurt_are_refused() {
        assert!(normalize("Space")
            .unwrap_err()
            .0
            .contains("needs a modifier"));
        assert!(normalize("Alt+Space").unwrap_err().0.contains("Windows"));
        assert!(normalize("Ctrl+Shift")
            .unwrap_err()
            .0
            .contains("exactly one key"));
        assert_eq!(normalize(" Ctrl + Alt + K ").unwrap(), "Ctrl+Alt+K");
    }
}
