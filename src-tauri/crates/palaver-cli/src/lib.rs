//! The `palaver` command: the terminal front end (`ask`, `config`, `key`, `history`) over the
//! same core as the GUI, and the way into the desktop app.
//!
//! Nothing here loads a web view. `palaver` with no command (or `--quick-ask`,
//! `--background`) first hands the launch to a running Palaver over D-Bus (Linux), and
//! otherwise replaces itself with `palaver-app`, the desktop app installed next to it. So
//! `palaver ask` and the quick-ask key binding never pay for loading GTK and WebKit, and
//! on Windows `palaver.exe` is a console program while the app has no console window.
//!
//! Exit codes: 0 the answer completed; 1 the request or stream failed (partial text stays
//! on stdout); 2 usage or configuration errors; 130 interrupted by Ctrl-C.
//! stdout carries only the answer (or NDJSON events with `--json`); everything else goes
//! to stderr. The key never appears in any output.

mod ask;
mod config;
pub mod handover;
mod history;
mod key;
mod profile;
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
    about = "A fast, private chat client for OpenAI, Anthropic and local models",
    after_help = "Examples:\n  palaver ask \"What is the capital of Peru?\"\n  git diff | palaver ask -s \"Review this patch\"\n  palaver profile add Claude --preset anthropic && palaver key set -p Claude\n  palaver ask -p Claude -m claude-sonnet-4-5 \"Hello\"\n  palaver ask --base-url http://localhost:11434/v1 -m llama3.2 \"Hello\"\n  palaver models -p Claude\n  palaver config show"
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
    /// List, add and remove provider profiles (OpenAI, Anthropic, local servers, …)
    Profile {
        #[command(subcommand)]
        action: profile::ProfileAction,
    },
    /// List the models a profile's server offers
    Models {
        /// The profile, by name or id [default: the default profile]
        #[arg(short, long)]
        profile: Option<String>,
        /// Another address for the profile's server, or a one-off server without -p
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Send the stored key even over plain http:// to another machine
        #[arg(long)]
        allow_cleartext_key: bool,
    },
    /// Store, remove or inspect a profile's API key in the system keyring
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
    init_tracing();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    let Some(command) = cli.command else {
        return start_app();
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
            Command::Profile { action } => profile::run(action).await,
            Command::Models {
                profile,
                base_url,
                allow_cleartext_key,
            } => {
                profile::models(ask::SettingsFlags {
                    profile,
                    base_url,
                    allow_cleartext_key,
                    ..ask::SettingsFlags::default()
                })
                .await
            }
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
pub fn init_tracing() {
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

/// The desktop app's binary, installed next to `palaver` by every bundle.
pub const APP_BINARY: &str = "palaver-app";

/// Shows Palaver: hands this launch to a running instance, else becomes the app with the
/// same arguments.
fn start_app() -> i32 {
    if handover::to_running_instance() {
        return EXIT_OK;
    }
    let app = match app_path() {
        Ok(path) => path,
        Err(e) => {
            eprintln!("error: could not find the Palaver app next to this program: {e}");
            return EXIT_FAILED;
        }
    };
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    run_app(&app, &args)
}

/// `palaver-app` beside this executable, after resolving links (a `palaver` on the PATH
/// may be a link into an app bundle).
fn app_path() -> std::io::Result<std::path::PathBuf> {
    let me = std::env::current_exe()?;
    let me = std::fs::canonicalize(&me).unwrap_or(me);
    let app = me.with_file_name(format!("{APP_BINARY}{}", std::env::consts::EXE_SUFFIX));
    if app.is_file() {
        Ok(app)
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} is missing", app.display()),
        ))
    }
}

/// On Unix the app takes this process's place (same pid, same terminal, nothing left to
/// wait on); `exec` returns only if it failed.
#[cfg(unix)]
fn run_app(app: &std::path::Path, args: &[std::ffi::OsString]) -> i32 {
    use std::os::unix::process::CommandExt;
    let e = std::process::Command::new(app).args(args).exec();
    eprintln!("error: could not start {}: {e}", app.display());
    EXIT_FAILED
}

/// Elsewhere the app is started on its own and this console program ends at once.
#[cfg(not(unix))]
fn run_app(app: &std::path::Path, args: &[std::ffi::OsString]) -> i32 {
    match std::process::Command::new(app).args(args).spawn() {
        Ok(_) => EXIT_OK,
        Err(e) => {
            eprintln!("error: could not start {}: {e}", app.display());
            EXIT_FAILED
        }
    }
}
