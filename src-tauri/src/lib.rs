//! Palaver's shell: the desktop app (`palaver-app`) on top of [`palaver_core`] (streaming,
//! history, keys, settings), which Cargo keeps free of Tauri. The terminal commands are
//! the `palaver` binary, built from `palaver_cli` alone so that it loads no web view.
//! - [`app`]: the Tauri shell, the only module that uses `tauri`.

pub mod app;
