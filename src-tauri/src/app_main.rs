//! `palaver-app`: the desktop app. A release build on Windows is a GUI program, so it opens
//! no console window; the terminal commands are the `palaver` program beside it.
#![cfg_attr(all(windows, not(debug_assertions)), windows_subsystem = "windows")]

fn main() {
    std::process::exit(palaver::app::main());
}
