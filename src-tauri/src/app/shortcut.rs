//! The global shortcut that opens the quick-ask window: checking a combination, showing it
//! the platform's way, and swapping it without ever being left with none.
//!
//! Wayland gives apps no global shortcuts; there `palaver --quick-ask`, bound to a key in
//! the desktop's own settings, does the same (see the README).

pub use palaver_core::settings::shortcut::label;
use palaver_core::settings::shortcut::{normalize, BadShortcut};
use std::str::FromStr;
use tauri::{AppHandle, Runtime};
use tauri_plugin_global_shortcut::{GlobalShortcutExt, Shortcut};

/// Checks a combination typed in the settings: its shape ([`normalize`]) and that the
/// desktop's shortcut parser knows every key in it. Returns it in a stable spelling.
pub fn check(combination: &str) -> Result<String, BadShortcut> {
    let combination = normalize(combination)?;
    Shortcut::from_str(&combination).map_err(|e| {
        BadShortcut(format!(
            "“{combination}” is not a key combination Palaver understands ({e})."
        ))
    })?;
    Ok(combination)
}

/// Why the desktop would not give Palaver a combination, or what `replace` kept instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ShortcutTaken(pub String);

/// What `replace` needs of the desktop's shortcut registry.
pub trait Registry {
    fn is_registered(&self, combination: &str) -> bool;
    /// Fails when the combination cannot be had, e.g. another app holds it.
    fn register(&self, combination: &str) -> Result<(), ShortcutTaken>;
    fn unregister(&self, combination: &str);
}

impl<R: Runtime> Registry for AppHandle<R> {
    fn is_registered(&self, combination: &str) -> bool {
        self.global_shortcut().is_registered(combination)
    }
    fn register(&self, combination: &str) -> Result<(), ShortcutTaken> {
        self.global_shortcut()
            .register(combination)
            .map_err(|e| ShortcutTaken(e.to_string()))
    }
    fn unregister(&self, combination: &str) {
        let _ = self.global_shortcut().unregister(combination);
    }
}

/// Registers `new` in place of `old`. If `new` cannot be had (another app holds it), `old`
/// stays registered and the error says so.
pub fn replace(
    registry: &impl Registry,
    old: Option<&str>,
    new: &str,
) -> Result<(), ShortcutTaken> {
    let old = old.filter(|o| *o != new);
    if let Some(old) = old {
        registry.unregister(old);
    }
    if registry.is_registered(new) {
        return Ok(());
    }
    registry.register(new).map_err(|e| {
        let kept = old.filter(|o| registry.register(o).is_ok()).map(label);
        ShortcutTaken(match kept {
            Some(kept) => format!("{} is taken by another app or the desktop ({e}); {kept} still opens quick ask.", label(new)),
            None => format!("{} could not be registered ({e}). Bind `palaver --quick-ask` to a key in the desktop's settings instead.", label(new)),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use palaver_core::settings::shortcut::DEFAULT;

    #[test]
    fn keys_the_desktop_does_not_know_are_refused() {
        assert_eq!(check(DEFAULT).unwrap(), DEFAULT);
        assert!(check("Ctrl+Shift+NotAKey")
            .unwrap_err()
            .0
            .contains("not a key combination"));
        assert!(check("Space").unwrap_err().0.contains("needs a modifier"));
    }

    /// A desktop where some combinations belong to other apps.
    struct Desktop {
        ours: std::cell::RefCell<Vec<String>>,
        taken: Vec<&'static str>,
    }

    impl Registry for Desktop {
        fn is_registered(&self, combination: &str) -> bool {
            self.ours.borrow().iter().any(|c| c == combination)
        }
        fn register(&self, combination: &str) -> Result<(), ShortcutTaken> {
            if self.taken.contains(&combination) {
                return Err(ShortcutTaken("already grabbed".into()));
            }
            self.ours.borrow_mut().push(combination.to_owned());
            Ok(())
        }
        fn unregister(&self, combination: &str) {
            self.ours.borrow_mut().retain(|c| c != combination);
        }
    }

    fn desktop(taken: &[&'static str]) -> Desktop {
        Desktop {
            ours: Default::default(),
            taken: taken.to_vec(),
        }
    }

    #[test]
    fn a_free_combination_replaces_the_old_one() {
        let d = desktop(&[]);
        replace(&d, None, DEFAULT).unwrap();
        replace(&d, Some(DEFAULT), "Ctrl+Alt+K").unwrap();
        assert_eq!(*d.ours.borrow(), ["Ctrl+Alt+K"]);
        // Saving the settings again with the same combination changes nothing.
        replace(&d, Some("Ctrl+Alt+K"), "Ctrl+Alt+K").unwrap();
        assert_eq!(*d.ours.borrow(), ["Ctrl+Alt+K"]);
    }

    #[test]
    fn a_combination_another_app_holds_keeps_the_old_one_and_says_so() {
        let d = desktop(&["Ctrl+Alt+K"]);
        replace(&d, None, DEFAULT).unwrap();
        let message = replace(&d, Some(DEFAULT), "Ctrl+Alt+K").unwrap_err().0;
        assert_eq!(*d.ours.borrow(), [DEFAULT], "the old shortcut still works");
        assert!(
            message.starts_with("Ctrl+Alt+K is taken by another app"),
            "{message}"
        );
        if !cfg!(target_os = "macos") {
            assert!(
                message.ends_with("Ctrl+Shift+Space still opens quick ask."),
                "{message}"
            );
        }
    }

    #[test]
    fn with_nothing_to_fall_back_on_the_message_points_to_the_desktop_binding() {
        let d = desktop(&[DEFAULT]);
        let message = replace(&d, None, DEFAULT).unwrap_err().0;
        assert!(d.ours.borrow().is_empty());
        assert!(message.contains("palaver --quick-ask"), "{message}");
    }
}
