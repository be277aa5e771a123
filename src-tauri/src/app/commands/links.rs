//! Links in replies open in the system browser — http(s) and mailto only.

use crate::app::error::{CommandError, ShellErrorKind};
use tauri::{AppHandle, Runtime};
use tauri_plugin_opener::OpenerExt;

pub fn is_openable(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https" | "mailto"))
}

#[tauri::command]
pub fn open_external<R: Runtime>(app: AppHandle<R>, url: String) -> Result<(), CommandError> {
    if !is_openable(&url) {
        return Err(CommandError::bad_request(
            "Only web and mail links can be opened.",
        ));
    }
    app.opener().open_url(url, None::<&str>).map_err(|e| {
        CommandError::new(
            ShellErrorKind::OpenFailed,
            format!("Could not open the link: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_web_and_mail_links() {
        assert!(super::is_openable("https://example.com/a?b"));
        assert!(super::is_openable("mailto:a@example.com"));
        assert!(!super::is_openable("javascript:alert(1)"));
        assert!(!super::is_openable("file:///etc/passwd"));
        assert!(!super::is_openable("tauri://localhost/index.html"));
    }
}
