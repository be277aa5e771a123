//! The global shortcut that opens the quick-ask window: checking a combination, showing it
//! the platform's way, and swapping it without ever being left with none.
//!
//! Wayland gives apps no global shortcuts; there `palaver --quick-ask`, bound to a key in
//! the desktop's own settings, does the same (see the README).

use std::str::FromStr;
use tauri::{AppHandle, Runtime};
use tauri_plugin_global_shortcut::{GlobalShortcutExt, Shortcut};

/// Ctrl+Shift+Space, Cmd+Shift+Space on macOS. Never Alt+Space: Windows owns it.
pub const DEFAULT: &str = "CommandOrControl+Shift+Space";

/// Checks a combination typed in the settings and returns it in a stable spelling.
pub fn normalize(combination: &str) -> Result<String, String> {
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
        return Err(format!(
            "“{combination}” needs exactly one key besides the modifiers."
        ));
    }
    if modifiers.is_empty() {
        return Err(format!("“{combination}” needs a modifier (Ctrl, Shift, Alt or Super), or it would swallow that key everywhere."));
    }
    let alt_only = modifiers
        .iter()
        .all(|m| matches!(m.to_ascii_lowercase().as_str(), "alt" | "option"));
    if alt_only && keys[0].eq_ignore_ascii_case("space") {
        return Err(
            "Alt+Space opens the window menu on Windows; choose another combination.".to_owned(),
        );
    }
    Shortcut::from_str(combination).map_err(|e| {
        format!("“{combination}” is not a key combination Palaver understands ({e}).")
    })?;
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

/// Registers `new` in place of `old`. If `new` cannot be had (another app holds it), `old`
/// stays registered and the error says so.
pub fn replace<R: Runtime>(app: &AppHandle<R>, old: Option<&str>, new: &str) -> Result<(), String> {
    let shortcuts = app.global_shortcut();
    if let Some(old) = old.filter(|o| *o != new) {
        let _ = shortcuts.unregister(old);
    }
    if shortcuts.is_registered(new) {
        return Ok(());
    }
    match shortcuts.register(new) {
        Ok(()) => Ok(()),
        Err(e) => {
            let kept = old.filter(|o| *o != new).map(|o| {
                let _ = shortcuts.register(o);
                label(o)
            });
            Err(match kept {
                Some(kept) => format!("{} is taken by another app or the desktop ({e}); {kept} still opens quick ask.", label(new)),
                None => format!("{} could not be registered ({e}). Bind `palaver --quick-ask` to a key in the desktop's settings instead.", label(new)),
            })
        }
    }
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
        assert!(normalize("Space").unwrap_err().contains("needs a modifier"));
        assert!(normalize("Alt+Space").unwrap_err().contains("Windows"));
        assert!(normalize("Ctrl+Shift")
            .unwrap_err()
            .contains("exactly one key"));
        assert!(normalize("Ctrl+Shift+NotAKey").is_err());
        assert_eq!(normalize(" Ctrl + Alt + K ").unwrap(), "Ctrl+Alt+K");
    }
}
