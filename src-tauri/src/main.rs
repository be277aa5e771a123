// A release build on Windows is a GUI program, so starting the app opens no console window;
// the terminal commands attach to the console they were started from (see `cli::main`).
#![cfg_attr(all(windows, not(debug_assertions)), windows_subsystem = "windows")]

fn main() {
    std::process::exit(palaver::cli::main());
}
