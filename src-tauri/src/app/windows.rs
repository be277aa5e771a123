//! The app's windows, declared once. The webview may only show the app itself: any other
//! navigation is refused (links open in the system browser through `open_external`).

use tauri::webview::{WebviewWindow, WebviewWindowBuilder};
use tauri::{AppHandle, Emitter, Manager, PhysicalPosition, Runtime, Url, WebviewUrl};

pub const MAIN: &str = "main";
pub const QUICK_ASK: &str = "quick-ask";
/// The quick-ask window's size, in logical pixels.
const QUICK_ASK_SIZE: (f64, f64) = (680.0, 420.0);
/// Whether the quick-ask window gained focus since it was last shown.
pub static QUICK_ASK_HAD_FOCUS: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Our own pages: `tauri://localhost` (Linux, macOS), `http(s)://tauri.localhost` (Windows),
/// and the dev server in debug builds.
pub fn is_app_url(url: &Url) -> bool {
    match url.scheme() {
        "tauri" => true,
        "http" | "https" => {
            url.host_str() == Some("tauri.localhost")
                || (cfg!(debug_assertions) && url.host_str() == Some("localhost"))
        }
        _ => false,
    }
}

pub fn show_main<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<WebviewWindow<R>> {
    show_main_on(app, None)
}

/// Shows the main window, opening `conversation_id` in it if given. A window created here
/// learns the conversation from its URL, since it cannot hear events before it has loaded.
fn show_main_on<R: Runtime>(
    app: &AppHandle<R>,
    conversation_id: Option<&str>,
) -> tauri::Result<WebviewWindow<R>> {
    if let Some(window) = app.get_webview_window(MAIN) {
        window.show()?;
        raise(&window);
        if let Some(id) = conversation_id {
            window.emit_to(MAIN, crate::app::events::OPEN_CONVERSATION, id)?;
        }
        return Ok(window);
    }
    let page = match conversation_id {
        Some(id) => format!(
            "index.html?open={}",
            url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
        ),
        None => "index.html".to_owned(),
    };
    build_main(app, page)
}

fn build_main<R: Runtime>(app: &AppHandle<R>, page: String) -> tauri::Result<WebviewWindow<R>> {
    WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App(page.into()))
        .title("Palaver")
        .inner_size(980.0, 720.0)
        .min_inner_size(400.0, 460.0)
        .on_navigation(refuse_navigation)
        .build()
}

/// Brings a shown window to the front. Window managers may refuse (or there may be none);
/// that is not worth failing over, and what follows — telling the page — must still happen.
fn raise<R: Runtime>(window: &WebviewWindow<R>) {
    if let Err(e) = window.unminimize().and_then(|()| window.set_focus()) {
        tracing::debug!(error = %e, label = window.label(), "could not raise a window");
    }
}

fn refuse_navigation(url: &Url) -> bool {
    let allowed = is_app_url(url);
    if !allowed {
        tracing::info!(scheme = url.scheme(), "refused an in-app navigation");
    }
    allowed
}

/// Creates the quick-ask window, hidden, so that it appears at once when asked for.
pub fn create_quick_ask<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<WebviewWindow<R>> {
    if let Some(window) = app.get_webview_window(QUICK_ASK) {
        return Ok(window);
    }
    WebviewWindowBuilder::new(app, QUICK_ASK, WebviewUrl::App("quick.html".into()))
        .title("Palaver — Quick ask")
        .inner_size(QUICK_ASK_SIZE.0, QUICK_ASK_SIZE.1)
        .decorations(false)
        .always_on_top(true)
        .skip_taskbar(true)
        .resizable(false)
        .visible(false)
        .on_navigation(refuse_navigation)
        .build()
}

/// Shows the quick-ask window centred on the monitor with the pointer, focused.
pub fn show_quick_ask<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let window = create_quick_ask(app)?;
    let monitor = app
        .cursor_position()
        .ok()
        .and_then(|p| app.monitor_from_point(p.x, p.y).ok().flatten())
        .or_else(|| window.primary_monitor().ok().flatten());
    if let Some(monitor) = monitor {
        // The window's own size reads as zero until it has been shown once.
        let scale = monitor.scale_factor();
        let (width, height) = (
            (QUICK_ASK_SIZE.0 * scale) as i32,
            (QUICK_ASK_SIZE.1 * scale) as i32,
        );
        let area = monitor.work_area();
        let x = area.position.x + (area.size.width as i32 - width).max(0) / 2;
        let y = area.position.y + (area.size.height as i32 - height).max(0) / 3;
        let _ = window.set_position(PhysicalPosition::new(x, y));
    }
    tracing::debug!("showing quick ask");
    QUICK_ASK_HAD_FOCUS.store(false, std::sync::atomic::Ordering::SeqCst);
    window.show()?;
    raise(&window);
    let _ = window.emit_to(QUICK_ASK, crate::app::events::QUICK_ASK_SHOWN, ());
    Ok(())
}

pub fn toggle_quick_ask<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    match app.get_webview_window(QUICK_ASK) {
        Some(w) if w.is_visible().unwrap_or(false) => w.hide(),
        _ => show_quick_ask(app),
    }
}

/// Shows the main window on a conversation.
pub fn open_in_main<R: Runtime>(app: &AppHandle<R>, conversation_id: &str) -> tauri::Result<()> {
    show_main_on(app, Some(conversation_id)).map(|_| ())
}

/// The main window with its settings open: told so if it exists, else created that way.
pub fn open_settings_in_main<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    if let Some(window) = app.get_webview_window(MAIN) {
        window.show()?;
        raise(&window);
        return window.emit_to(MAIN, crate::app::events::OPEN_SETTINGS, ());
    }
    build_main(app, "index.html?settings".to_owned()).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_app_itself_may_load() {
        let ok = |s: &str| is_app_url(&Url::parse(s).unwrap());
        assert!(ok("tauri://localhost/index.html"));
        assert!(ok("http://tauri.localhost/index.html"));
        assert!(!ok("https://evil.example/phish"));
        assert!(!ok("javascript:alert(1)"));
        assert!(!ok("file:///etc/passwd"));
    }
}
