//! `send_message` and `cancel_stream`: one Tauri Channel per request, cancellable by id.
//! The question is stored before anything is sent; the reply is saved while it streams.

use crate::app::commands::history::{emit_changed, with_history};
use crate::app::error::CommandError;
use crate::app::events::SAVE_FAILED;
use crate::app::state::{Core, SettingsState, StreamRegistry};
use palaver_core::chat::{endpoint_for, run_turn, ChatEvent, ChatSink};
use palaver_core::history::{Source, TurnKind, TurnRequest};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tauri::ipc::Channel;
use tauri::{AppHandle, Emitter, Runtime, State};

#[derive(Debug, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SendAck {
    pub stream_id: String,
    pub conversation_id: String,
    pub message_id: String,
    pub user_message_id: String,
}

/// What to send: a new question, another answer to a question, or an edited question.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum SendMode {
    #[default]
    Ask,
    #[serde(rename_all = "camelCase")]
    Regenerate { message_id: String },
    #[serde(rename_all = "camelCase")]
    Edit { message_id: String },
}

/// The profile and model a reply comes from, chosen in the picker.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ModelChoice {
    pub profile: String,
    pub model: String,
}

/// Delivers events to the webview. A closed webview is not an error: the reply still runs
/// to its end so that it is saved.
struct ChannelSink(Channel<ChatEvent>);

impl ChatSink for ChannelSink {
    fn send(&mut self, event: ChatEvent) {
        if let Err(e) = self.0.send(event) {
            tracing::debug!(error = %e, "the webview stopped listening to a stream");
        }
    }
}

/// Starts a reply and returns at once; its events arrive on `on_event`, `started` first.
#[allow(clippy::too_many_arguments)]
#[tauri::command]
pub async fn send_message<R: Runtime>(
    app: AppHandle<R>,
    window: tauri::Window<R>,
    core: State<'_, Arc<Core>>,
    streams: State<'_, Arc<StreamRegistry>>,
    settings: State<'_, SettingsState>,
    conversation_id: Option<String>,
    text: String,
    mode: Option<SendMode>,
    source: Option<Source>,
    model: Option<ModelChoice>,
    on_event: Channel<ChatEvent>,
) -> Result<SendAck, CommandError> {
    let mode = mode.unwrap_or_default();
    if text.trim().is_empty() && !matches!(mode, SendMode::Regenerate { .. }) {
        return Err(CommandError::bad_request("The message is empty."));
    }
    let settings = settings.get();
    let stored = match (&model, &conversation_id) {
        (None, Some(id)) => {
            let id = id.clone();
            let (profile, model) = with_history(&core, move |h| Ok(h.model_of(&id)?)).await?;
            Some(ModelChoice { profile, model })
                .filter(|c| !c.profile.is_empty() && settings.profile(&c.profile).is_some())
        }
        _ => None,
    };
    let choice = model.or(stored);
    let mut effective = settings
        .effective_for(choice.as_ref().map(|c| c.profile.as_str()))
        .map_err(|e| CommandError::bad_request(e.to_string()))?;
    if let Some(model) = choice.map(|c| c.model).filter(|m| !m.trim().is_empty()) {
        effective.model.value = model.trim().to_owned();
    }
    let endpoint = endpoint_for(core.secrets.clone(), &effective.destination()).await?;
    let kind = match mode {
        SendMode::Ask => TurnKind::Ask { text },
        SendMode::Regenerate { message_id } => TurnKind::Regenerate {
            assistant_id: message_id,
        },
        SendMode::Edit { message_id } => TurnKind::Edit {
            user_id: message_id,
            text,
        },
    };
    let request = TurnRequest {
        conversation_id,
        kind,
        model: effective.model.value.clone(),
        system_prompt: settings.system_prompt.clone(),
        profile: effective.profile.value.clone(),
        source: source.unwrap_or(Source::App),
    };
    let turn = with_history(&core, move |h| Ok(h.begin_turn(&request)?)).await?;
    emit_changed(&app, vec![turn.conversation_id.clone()]);

    let ack = SendAck {
        stream_id: uuid::Uuid::new_v4().simple().to_string(),
        conversation_id: turn.conversation_id.clone(),
        message_id: turn.assistant_message_id.clone(),
        user_message_id: turn.user_message_id.clone(),
    };
    let cancel = streams.register(&ack.stream_id);
    let stream_id = ack.stream_id.clone();
    let core = Arc::clone(&core);
    let streams = Arc::clone(&streams);
    tauri::async_runtime::spawn(async move {
        let mut sink = ChannelSink(on_event);
        let (outcome, save_error) = run_turn(
            &core.client,
            &endpoint,
            &core.history,
            &turn,
            &effective.sampling(),
            stream_id.clone(),
            &mut sink,
            &cancel,
        )
        .await;
        streams.finish(&stream_id);
        emit_changed(&app, vec![turn.conversation_id.clone()]);
        if settings.notify_when_done && outcome.result.is_ok() && !outcome.text.is_empty() {
            let unseen =
                !window.is_visible().unwrap_or(false) || !window.is_focused().unwrap_or(false);
            if unseen {
                notify_reply(&outcome.text);
            }
        }
        if let Some(e) = save_error {
            let _ = app.emit(
                SAVE_FAILED,
                format!("The last reply could not be saved: {e}"),
            );
        }
    });
    Ok(ack)
}

/// "Reply ready", with the start of the reply. No notification service is not an error.
///
/// Showing one is a blocking D-Bus call that can wait many seconds when no notification
/// daemon answers, so it runs on a thread of its own — never on the async runtime, whose
/// few workers every command needs.
fn notify_reply(text: &str) {
    let preview = notification_preview(text);
    let spawned = std::thread::Builder::new()
        .name("notification".into())
        .spawn(move || {
            if let Err(e) = notify_rust::Notification::new()
                .appname("Palaver")
                .summary("Palaver: reply ready")
                .body(&preview)
                .show()
            {
                tracing::debug!(error = %e, "no desktop notification");
            }
        });
    if let Err(e) = spawned {
        tracing::debug!(error = %e, "could not start the notification thread");
    }
}

/// The start of a reply as plain text for a notification body. Notification servers on
/// Linux read a subset of HTML in bodies (`<a href>`, `<img src>` among it), and the text
/// is the model's: markup characters are escaped so it shows as written and loads nothing.
/// Control characters go, like every other whitespace run, to single spaces.
pub(crate) fn notification_preview(text: &str) -> String {
    const MAX_CHARS: usize = 120;
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect();
    let flat = words.join(" ");
    let mut preview = String::with_capacity(flat.len().min(MAX_CHARS * 4) + 8);
    for c in flat.chars().take(MAX_CHARS) {
        match c {
            '&' => preview.push_str("&amp;"),
            '<' => preview.push_str("&lt;"),
            '>' => preview.push_str("&gt;"),
            '"' => preview.push_str("&quot;"),
            '\'' => preview.push_str("&#39;"),
            c => preview.push(c),
        }
    }
    if flat.chars().count() > MAX_CHARS {
        preview.push('…');
    }
    preview
}

/// Stops a stream: the request is dropped (closing the connection) and the reply ends
/// `finished: cancelled` with its text. Returns false when it had already ended.
#[tauri::command]
pub fn cancel_stream(streams: State<'_, Arc<StreamRegistry>>, stream_id: String) -> bool {
    streams.cancel(&stream_id)
}

#[cfg(test)]
mod tests {
    use super::notification_preview;

    #[test]
    fn notification_bodies_carry_no_markup_and_no_controls() {
        let reply =
            "Done <a href=\"https://evil.example\">click</a>\n<img src=x> & \u{1b}]52;c;x\u{7}";
        let preview = notification_preview(reply);
        assert!(
            !preview.contains('<') && !preview.contains('>'),
            "{preview}"
        );
        assert!(preview
            .starts_with("Done &lt;a href=&quot;https://evil.example&quot;&gt;click&lt;/a&gt;"));
        assert!(!preview.chars().any(char::is_control), "{preview:?}");
        let long = "word ".repeat(100);
        assert!(notification_preview(&long).ends_with('…'));
    }
}
