//! The terminal front end: `palaver ask` and `palaver key`, over the same core as the GUI.
//!
//! Exit codes: 0 the answer completed; 1 the request or stream failed (partial text stays
//! on stdout); 2 usage or configuration errors; 130 interrupted by Ctrl-C.
//! stdout carries only the answer (or NDJSON events with `--json`); everything else goes
//! to stderr. The key never appears in any output.

mod ask;
mod config;
mod history;
mod key;
pub mod terminal;

use clap::{Parser, Subcommand};

/// A command line that cannot be carried out as written. The message is for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_INTERRUPTED: i32 = 130;

#[derive(Debug, Parser)]
#[command(
    name = "palaver",
    version,
    about = "A fast, private chat client for OpenAI and every OpenAI-compatible server",
    after_help = "Examples:\n  palaver ask \"What is the capital of Peru?\"\n  git diff | palaver ask -s \"Review this patch\"\n  palaver ask --base-url http://localhost:11434/v1 -m llama3.2 \"Hello\"\n  palaver key set"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Show the quick-ask window (in the running Palaver, or start with only that window).
    /// Bind this to a key where global shortcuts are not available, as on Wayland.
    #[arg(long)]
    pub quick_ask: bool,
    /// Start in the tray without a window (how Palaver starts at login)
    #[arg(long, conflicts_with = "quick_ask")]
    pub background: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ask one question and stream the answer to stdout
    Ask(ask::AskArgs),
    /// Store, remove or inspect the API key in the system keyring
    Key {
        #[command(subcommand)]
        action: key::KeyAction,
    },
    /// Where the settings file is, and what `palaver ask` uses from it
    Config {
        #[command(subcommand)]
        action: config::ConfigAction,
    },
    /// List, search, show, export and import conversations
    History {
        #[command(subcommand)]
        action: history::HistoryAction,
    },
}

/// Parses argv and runs the chosen command. Returns the process exit code.
pub fn main() -> i32 {
    // Anything but starting the app talks to a terminal.
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a != "--quick-ask" && a != "--background")
    {
        attach_console();
    }
    init_tracing();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    let Some(command) = cli.command else {
        return crate::app::run(crate::app::Launch {
            quick_ask: cli.quick_ask,
            background: cli.background,
        });
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return EXIT_FAILED;
        }
    };
    let code = runtime.block_on(async move {
        match command {
            Command::Ask(args) => ask::run(args).await,
            Command::Key { action } => key::run(action).await,
            Command::History { action } => history::run(action),
            Command::Config { action } => config::run(action),
        }
    });
    // Do not wait for a keyring call stuck behind a prompt.
    runtime.shutdown_background();
    code
}

/// Logs go to stderr, off unless `PALAVER_LOG` asks (e.g. `PALAVER_LOG=debug`). Logs never
/// carry message text or keys.
fn init_tracing() {
    let Ok(filter) = std::env::var("PALAVER_LOG") else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// On Windows a GUI-subsystem program starts without a console; `palaver ask` run from a
/// terminal writes to that terminal's console. Elsewhere there is nothing to do.
#[cfg(windows)]
#[allow(unsafe_code)]
fn attach_console() {
    use windows_sys::Win32::System::Console::{AttachConsole, ATTACH_PARENT_PROCESS};
    // SAFETY: AttachConsole takes a process id by value and touches no Rust memory; when it
    // fails (no parent console, or one is attached already) nothing changes.
    unsafe {
        AttachConsole(ATTACH_PARENT_PROCESS);
    }
}

#[cfg(not(windows))]
fn attach_console() {}
