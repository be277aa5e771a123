//! Where Palaver keeps its files, the same for the app and the CLI.
//!
//! `PALAVER_DATA_DIR` overrides everything (tests, portable installs). Otherwise the
//! platform data directory: `~/.local/share/dev.palaver.desktop` on Linux,
//! `~/Library/Application Support/dev.palaver.desktop` on macOS,
//! `%APPDATA%\dev.palaver.desktop` on Windows.

use std::path::PathBuf;

pub const IDENTIFIER: &str = "dev.palaver.desktop";
pub const DATA_DIR_ENV: &str = "PALAVER_DATA_DIR";

pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    dirs::data_dir()
        .unwrap_or_else(|| std::env::temp_dir().join("palaver-data"))
        .join(IDENTIFIER)
}
