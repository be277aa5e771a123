//! The names of the broadcasts every window may hear, defined once: the frontend's copy
//! (`ui/src/bindings/events.js`) is generated from [`ALL`] by [`super::bindings`].
//!
//! Token streams never use these; each reply has a Channel of its own.

/// Conversations were added, changed or deleted; the payload names them.
pub const HISTORY_CHANGED: &str = "history://changed";
/// A reply was shown but could not be saved; the payload says why.
pub const SAVE_FAILED: &str = "history://save-failed";
/// The settings changed in some window; the payload is the new `SettingsView`.
pub const SETTINGS_CHANGED: &str = "settings://changed";
/// The main window should open a conversation (quick ask's "Open in Palaver").
pub const OPEN_CONVERSATION: &str = "main://open-conversation";
/// The main window should open its settings (quick ask's "Open settings").
pub const OPEN_SETTINGS: &str = "main://open-settings";
/// The quick-ask window was shown and should take the keyboard.
pub const QUICK_ASK_SHOWN: &str = "quick-ask://shown";
/// "Check for updates…" was chosen in the tray menu.
pub const UPDATE_CHECK_REQUESTED: &str = "updates://check";

/// Every event, by the name the frontend imports it under.
pub const ALL: [(&str, &str); 7] = [
    ("HISTORY_CHANGED", HISTORY_CHANGED),
    ("SAVE_FAILED", SAVE_FAILED),
    ("SETTINGS_CHANGED", SETTINGS_CHANGED),
    ("OPEN_CONVERSATION", OPEN_CONVERSATION),
    ("OPEN_SETTINGS", OPEN_SETTINGS),
    ("QUICK_ASK_SHOWN", QUICK_ASK_SHOWN),
    ("UPDATE_CHECK_REQUESTED", UPDATE_CHECK_REQUESTED),
];
