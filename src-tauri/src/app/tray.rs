//! The tray icon and its menu. Linux tray icons deliver no clicks, so everything is in the
//! menu: Quick ask (with its shortcut), Open Palaver, recent conversations, Check for
//! updates, Quit.
//!
//! On Linux a tray needs a StatusNotifier host on the session bus (KDE, most desktops;
//! GNOME only with the AppIndicator extension). Without one there is no tray, and closing
//! the main window quits instead of hiding it, so nothing is stranded in the background.

use palaver_core::history::ConversationSummary;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Runtime};

pub const TRAY_ID: &str = "palaver";
pub const QUICK_ASK: &str = "tray::quick_ask";
pub const OPEN: &str = "tray::open";
pub const QUIT: &str = "tray::quit";
pub const CHECK_UPDATES: &str = "tray::check_updates";
pub const CONVERSATION_PREFIX: &str = "tray::conversation::";
const RECENT: usize = 5;

/// One line of the tray menu; `None` in a list is a separator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub label: String,
    pub accelerator: Option<String>,
}

/// The menu as data, so it can be tested without a desktop.
pub fn entries(recent: &[ConversationSummary], shortcut_label: &str) -> Vec<Option<Entry>> {
    let entry = |id: &str, label: &str, accelerator: Option<&str>| {
        Some(Entry {
            id: id.to_owned(),
            label: label.to_owned(),
            accelerator: accelerator.map(str::to_owned),
        })
    };
    let mut items = vec![
        entry(QUICK_ASK, "Quick ask", Some(shortcut_label)),
        entry(OPEN, "Open Palaver", None),
    ];
    if !recent.is_empty() {
        items.push(None);
        for c in recent.iter().take(RECENT) {
            let mut title: String = c.title.chars().take(48).collect();
            if c.title.chars().count() > 48 {
                title.push('…');
            }
            items.push(entry(
                &format!("{CONVERSATION_PREFIX}{}", c.id),
                &title,
                None,
            ));
        }
    }
    items.push(None);
    items.push(entry(CHECK_UPDATES, "Check for updates…", None));
    items.push(entry(QUIT, "Quit Palaver", None));
    items
}

pub fn build_menu<R: Runtime>(
    app: &AppHandle<R>,
    entries: &[Option<Entry>],
) -> tauri::Result<Menu<R>> {
    let menu = Menu::new(app)?;
    for entry in entries {
        match entry {
            None => menu.append(&PredefinedMenuItem::separator(app)?)?,
            Some(e) => {
                // Menus show the shortcut as text; the global shortcut itself is registered apart.
                let label = match &e.accelerator {
                    Some(a) => format!("{}\t{a}", e.label),
                    None => e.label.clone(),
                };
                menu.append(&MenuItem::with_id(app, &e.id, label, true, None::<&str>)?)?
            }
        }
    }
    Ok(menu)
}

/// Whether a tray icon would be shown at all.
pub fn host_available() -> bool {
    #[cfg(target_os = "linux")]
    {
        linux_watcher_present()
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

#[cfg(target_os = "linux")]
fn linux_watcher_present() -> bool {
    use std::time::Duration;
    let Ok(conn) = dbus::blocking::Connection::new_session() else {
        return false;
    };
    let proxy = conn.with_proxy(
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        Duration::from_millis(500),
    );
    let owned: Result<(bool,), _> = proxy.method_call(
        "org.freedesktop.DBus",
        "NameHasOwner",
        ("org.kde.StatusNotifierWatcher",),
    );
    owned.map(|(o,)| o).unwrap_or(false)
}

pub fn create<R: Runtime>(
    app: &AppHandle<R>,
    entries: &[Option<Entry>],
) -> tauri::Result<TrayIcon<R>> {
    let menu = build_menu(app, entries)?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Palaver")
        .menu(&menu)
        .show_menu_on_left_click(true);
    // The menu bar on macOS takes a black template image and draws it in the bar's own
    // colour; elsewhere the app icon (a white bubble on a blue tile) reads on light and
    // dark panels alike.
    if cfg!(target_os = "macos") {
        builder = builder
            .icon(Image::from_bytes(include_bytes!(
                "../../../icons/tray-template.png"
            ))?)
            .icon_as_template(true);
    } else if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)
}

/// Rebuilds the menu (after the history changed or the shortcut did).
pub fn refresh<R: Runtime>(app: &AppHandle<R>, entries: &[Option<Entry>]) {
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        match build_menu(app, entries) {
            Ok(menu) => {
                let _ = tray.set_menu(Some(menu));
            }
            Err(e) => tracing::warn!(error = %e, "could not rebuild the tray menu"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palaver_core::history::Source;

    fn conversation(id: &str, title: &str) -> ConversationSummary {
        ConversationSummary {
            id: id.into(),
            title: title.into(),
            created_at: 0,
            updated_at: 0,
            pinned: false,
            model: String::new(),
            profile: String::new(),
            source: Source::App,
        }
    }

    #[test]
    fn the_menu_has_quick_ask_with_its_shortcut_recent_chats_and_quit() {
        let recent: Vec<_> = (0..7)
            .map(|i| conversation(&format!("c{i}"), &format!("Chat {i}")))
            .collect();
        let items = entries(&recent, "Ctrl+Shift+Space");
        let labels: Vec<String> = items
            .iter()
            .map(|e| {
                e.as_ref()
                    .map(|e| e.label.clone())
                    .unwrap_or_else(|| "---".into())
            })
            .collect();
        assert_eq!(
            labels,
            [
                "Quick ask",
                "Open Palaver",
                "---",
                "Chat 0",
                "Chat 1",
                "Chat 2",
                "Chat 3",
                "Chat 4",
                "---",
                "Check for updates…",
                "Quit Palaver"
            ]
        );
        assert_eq!(
            items[0].as_ref().unwrap().accelerator.as_deref(),
            Some("Ctrl+Shift+Space")
        );
        assert_eq!(items[3].as_ref().unwrap().id, "tray::conversation::c0");
    }

    #[test]
    fn no_history_means_no_recent_section_and_long_titles_are_cut() {
        let labels: Vec<bool> = entries(&[], "X").iter().map(Option::is_some).collect();
        assert_eq!(labels, [true, true, false, true, true]);
        let long = conversation("x", &"word ".repeat(30));
        let items = entries(&[long], "X");
        assert!(items[3].as_ref().unwrap().label.ends_with('…'));
    }
}
