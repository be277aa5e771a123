//! The app's windows, declared once. The webview may only show the app itself: any other
//! navigation is refused (links open in the system browser through `open_external`).

use tauri::webview::{WebviewWindow, WebviewWindowBuilder};
use tauri::{AppHandle, Manager, Runtime, Url, WebviewUrl};

pub const MAIN: &str = "main";

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
    if let Some(window) = app.get_webview_window(MAIN) {
        window.show()?;
        window.unminimize()?;
        window.set_focus()?;
        return Ok(window);
    }
    WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App("index.html".into()))
        .title("Palaver")
        .inner_size(980.0, 720.0)
        .min_inner_size(400.0, 460.0)
        .on_navigation(|url| {
            let allowed = is_app_url(url);
            if !allowed {
                tracing::info!(scheme = url.scheme(), "refused an in-app navigation");
            }
            allowed
        })
        .build()
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
