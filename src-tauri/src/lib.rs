//! Palaver's shell: the desktop app and the terminal commands, on top of [`palaver_core`]
//! (streaming, history, keys, settings), which Cargo keeps free of Tauri.
//! - [`cli`]: argv to a terminal command, or to the GUI;
//! - [`app`]: the Tauri shell, the only module that uses `tauri`.

pub mod app;
pub mod cli;
