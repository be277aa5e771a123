//! The Tauri shell: the only module that uses `tauri`.
//!
//! It wires the core (`llm`, `secrets`, `chat`, `settings`) to the webview: commands grouped
//! by feature in `commands/`, small managed state types in `state`, the window's own state
//! in tauri-plugin-store (`commands::ui_state`), windows declared in `windows`. Tokens
//! reach the webview over one `ipc::Channel` per request; broadcasts to every window
//! (`settings://changed`) use events.

pub mod bindings;
#[cfg(test)]
mod command_tests;
mod commands;
mod error;
pub mod events;

mod shortcut;
mod state;
mod tray;
mod windows;

pub use commands::ALL as COMMANDS;

use palaver_core::history::HistoryDb;
use palaver_core::llm::{ClientOptions, LlmClient};
use palaver_core::secrets::{OsKeyring, SecretStore};
use palaver_core::settings;
use state::{Core, SettingsState, StreamRegistry, TrayState};
use std::sync::{Arc, Mutex};
use tauri::{Emitter, Manager, Runtime, WindowEvent};
use tauri_plugin_global_shortcut::ShortcutState;

/// How the app was started.
#[derive(Debug, Clone, Copy, Default, clap::Parser)]
#[command(
    name = "palaver-app",
    version,
    about = "The Palaver desktop app (the terminal commands are `palaver`)"
)]
pub struct Launch {
    /// Show only the quick-ask window (or show it in the running Palaver)
    #[arg(long)]
    pub quick_ask: bool,
    /// Start in the tray without a window (how Palaver starts at login)
    #[arg(long, conflicts_with = "quick_ask")]
    pub background: bool,
}

/// `palaver-app [--quick-ask | --background]`. Returns the process exit code.
pub fn main() -> i32 {
    use clap::Parser;
    palaver_cli::init_tracing();
    match Launch::try_parse() {
        Ok(launch) => run(launch),
        Err(e) => {
            let _ = e.print();
            if e.use_stderr() {
                2
            } else {
                0
            }
        }
    }
}

/// Runs the desktop app until it quits. Returns the process exit code.
pub fn run(launch: Launch) -> i32 {
    if palaver_cli::handover::to_running_instance() {
        return 0;
    }
    let app = build(tauri::Builder::default(), launch).build(tauri::generate_context!());
    match app {
        Ok(app) => {
            app.run(|_, _| {});
            0
        }
        Err(e) => {
            eprintln!("palaver: the desktop app could not start: {e}");
            1
        }
    }
}

/// The app's plugins, state and commands, generic over the runtime so tests can use the
/// mock runtime.
pub fn build<R: Runtime>(builder: tauri::Builder<R>, launch: Launch) -> tauri::Builder<R> {
    let builder = builder
        // First: a second `palaver` hands its arguments to this one and exits.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            let shown = if argv.iter().any(|a| a == "--quick-ask") {
                windows::show_quick_ask(app)
            } else {
                windows::show_main(app).map(|_| ())
            };
            if let Err(e) = shown {
                tracing::warn!(error = %e, "could not show a window for a second launch");
            }
        }))
        .plugin(
            tauri_plugin_global_shortcut::Builder::new()
                .with_handler(|app, _shortcut, event| {
                    if event.state == ShortcutState::Pressed {
                        let _ = windows::toggle_quick_ask(app);
                    }
                })
                .build(),
        )
        .plugin(
            tauri_plugin_window_state::Builder::default()
                .with_denylist(&[windows::QUICK_ASK])
                .with_state_flags(
                    tauri_plugin_window_state::StateFlags::all()
                        - tauri_plugin_window_state::StateFlags::VISIBLE,
                )
                .build(),
        )
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--background"]),
        ))
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_updater::Builder::new().build());
    with_commands(builder)
        .on_window_event(on_window_event)
        .setup(move |app| {
            setup(app.handle(), Services::of_this_user())?;
            setup_desktop(app.handle(), launch)?;
            Ok(())
        })
}

/// Every command, and the state only commands use. The command tests build on this with
/// the mock runtime.
pub(crate) fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_store::Builder::new().build())
        .manage(commands::updates::PendingUpdate::default())
        .manage(commands::providers::ModelCache::default())
        .invoke_handler(tauri::generate_handler![
            commands::chat::send_message,
            commands::chat::cancel_stream,
            commands::settings::get_settings,
            commands::settings::save_settings,
            commands::providers::list_all_models,
            commands::providers::check_connection,
            commands::providers::probe_local_servers,
            commands::providers::set_conversation_model,
            commands::keys::set_api_key,
            commands::keys::clear_api_key,
            commands::keys::api_key_status,
            commands::links::open_external,
            commands::history::list_conversations,
            commands::history::get_conversation,
            commands::history::show_version,
            commands::history::rename_conversation,
            commands::history::set_pinned,
            commands::history::delete_conversation,
            commands::history::search_history,
            commands::history::export_conversation,
            commands::history::import_history,
            commands::history::cancel_import,
            commands::quick::hide_quick_ask,
            commands::quick::open_in_main,
            commands::quick::open_settings_in_main,
            commands::quick::quit_app,
            commands::updates::check_for_updates,
            commands::updates::install_update,
            commands::ui_state::get_ui_state,
            commands::ui_state::save_ui_state,
        ])
}

fn on_window_event<R: Runtime>(window: &tauri::Window<R>, event: &WindowEvent) {
    let app = window.app_handle();
    match (window.label(), event) {
        (windows::MAIN, WindowEvent::CloseRequested { api, .. }) => {
            let tray = app.state::<TrayState>().available;
            let to_tray = app.state::<SettingsState>().get().close_to_tray;
            if tray && to_tray {
                api.prevent_close();
                let _ = window.hide();
            } else {
                // The hidden quick-ask window would otherwise keep Palaver running unseen.
                app.exit(0);
            }
        }
        (windows::QUICK_ASK, WindowEvent::Focused(true)) => {
            windows::QUICK_ASK_HAD_FOCUS.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        // Losing focus hides quick ask, once it really had focus and still lacks it a moment
        // later: focus flickers while a window appears, above all without a window manager.
        (windows::QUICK_ASK, WindowEvent::Focused(false))
            if windows::QUICK_ASK_HAD_FOCUS.load(std::sync::atomic::Ordering::SeqCst) =>
        {
            let window = window.clone();
            tauri::async_runtime::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                // Only when another application has the focus: moving between Palaver's own
                // windows (or a desktop without a window manager handing focus back) keeps it.
                let ours = window
                    .app_handle()
                    .webview_windows()
                    .values()
                    .any(|w| w.is_focused().unwrap_or(false));
                if !ours {
                    windows::QUICK_ASK_HAD_FOCUS.store(false, std::sync::atomic::Ordering::SeqCst);
                    let _ = window.hide();
                }
            });
        }
        _ => {}
    }
}

/// Rebuilds the tray menu: recent conversations and the current shortcut.
pub(crate) fn refresh_tray<R: Runtime>(app: &tauri::AppHandle<R>) {
    if !app.try_state::<TrayState>().is_some_and(|t| t.available) {
        return;
    }
    let recent = app
        .state::<Arc<Core>>()
        .history
        .list_conversations(5, 0)
        .unwrap_or_default();
    let label = shortcut::label(&app.state::<SettingsState>().get().quick_ask_shortcut);
    tray::refresh(app, &tray::entries(&recent, &label));
}

fn on_tray_menu<R: Runtime>(app: &tauri::AppHandle<R>, id: &str) {
    let result = match id {
        tray::QUICK_ASK => windows::show_quick_ask(app),
        tray::OPEN => windows::show_main(app).map(|_| ()),
        tray::CHECK_UPDATES => windows::show_main(app)
            .and_then(|main| main.emit_to(windows::MAIN, events::UPDATE_CHECK_REQUESTED, ())),
        tray::QUIT => {
            app.exit(0);
            Ok(())
        }
        other => match other.strip_prefix(tray::CONVERSATION_PREFIX) {
            Some(conversation) => windows::open_in_main(app, conversation),
            None => Ok(()),
        },
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, menu = id, "a tray menu action failed");
    }
}

/// Tray, global shortcut and windows. Failures here are told to the user, never fatal.
fn setup_desktop<R: Runtime>(
    app: &tauri::AppHandle<R>,
    launch: Launch,
) -> Result<(), Box<dyn std::error::Error>> {
    let settings = app.state::<SettingsState>().get();
    let label = shortcut::label(&settings.quick_ask_shortcut);
    let mut available = false;
    if tray::host_available() {
        let recent = app
            .state::<Arc<Core>>()
            .history
            .list_conversations(5, 0)
            .unwrap_or_default();
        match tray::create(app, &tray::entries(&recent, &label)) {
            Ok(icon) => {
                icon.on_menu_event(|app, event| on_tray_menu(app, event.id().as_ref()));
                available = true;
            }
            Err(e) => tracing::warn!(error = %e, "no tray icon"),
        }
    }
    app.manage(TrayState { available });
    if let Err(message) = shortcut::replace(app, None, &settings.quick_ask_shortcut) {
        let state = app.state::<SettingsState>();
        let mut notice = state.notice.lock().unwrap_or_else(|p| p.into_inner());
        *notice = Some(match notice.take() {
            Some(n) => format!("{n} {message}"),
            None => message.0,
        });
    }
    // The main window comes first (it is the one a WebDriver session attaches to); quick
    // ask is created hidden after it, so that the shortcut shows it at once.
    if launch.quick_ask {
        windows::show_quick_ask(app)?;
    } else if launch.background && available {
        windows::create_quick_ask(app)?;
    } else {
        windows::show_main(app)?;
        windows::create_quick_ask(app)?;
    }
    Ok(())
}

/// Where the commands keep and find things.
pub(crate) struct Services {
    pub data_dir: std::path::PathBuf,
    pub secrets: Arc<dyn SecretStore>,
}

impl Services {
    /// The user's data directory and the OS keyring.
    fn of_this_user() -> Services {
        Services {
            data_dir: palaver_core::paths::data_dir(),
            secrets: Arc::new(OsKeyring),
        }
    }
}

/// The state every command needs: settings, history, keys, the HTTP client, streams.
pub(crate) fn setup<R: Runtime>(
    app: &tauri::AppHandle<R>,
    services: Services,
) -> Result<(), Box<dyn std::error::Error>> {
    let data_dir = services.data_dir;
    palaver_core::files::create_private_dir(&data_dir).map_err(|e| {
        format!(
            "cannot create the data directory {}: {e}",
            data_dir.display()
        )
    })?;
    let settings_path = data_dir.join(settings::FILE_NAME);
    let (current, settings_notice) = settings::load(&settings_path);
    let mut notices: Vec<String> = settings_notice.into_iter().collect();
    // A history that cannot be opened is reported and left alone; this session then keeps
    // its conversations in memory only.
    let history = match HistoryDb::open(&data_dir.join(palaver_core::history::FILE_NAME)) {
        Ok(db) => {
            if let Err(e) = db.recover_interrupted() {
                tracing::warn!(error = %e, "could not mark interrupted replies");
            }
            db
        }
        Err(e) => {
            notices.push(format!(
                "{e} Conversations in this session will not be saved."
            ));
            HistoryDb::open(std::path::Path::new(":memory:"))?
        }
    };
    let notice = (!notices.is_empty()).then(|| notices.join(" "));
    app.manage(SettingsState {
        store: Box::new(settings::SettingsFile::new(settings_path)),
        current: Mutex::new(current),
        notice: Mutex::new(notice),
        data_dir: data_dir.clone(),
    });
    app.manage(Arc::new(Core {
        client: LlmClient::new(ClientOptions::default())?,
        secrets: services.secrets,
        history: Arc::new(history),
    }));
    app.manage(commands::ui_state::UiStateFile(
        data_dir.join(commands::ui_state::FILE_NAME),
    ));
    app.manage(Arc::new(StreamRegistry::default()));
    app.manage(Arc::new(commands::history::ImportJob::default()));
    Ok(())
}
