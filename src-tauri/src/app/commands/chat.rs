//! `send_message` and `cancel_stream`: one Tauri Channel per request, cancellable by id.

use crate::app::error::CommandError;
use crate::app::state::{Core, SettingsState, StreamRegistry};
use crate::chat::{endpoint_for, stream_reply, ChatEvent, ChatSink, StreamIds};
use crate::llm::ChatRequest;
use serde::Serialize;
use std::sync::Arc;
use tauri::ipc::Channel;
use tauri::State;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendAck {
    pub stream_id: String,
    pub conversation_id: String,
    pub message_id: String,
}

/// Delivers events to the webview. A closed webview is not an error: the reply still runs
/// to its end so that it can be kept.
struct ChannelSink(Channel<ChatEvent>);

impl ChatSink for ChannelSink {
    fn send(&mut self, event: ChatEvent) {
        if let Err(e) = self.0.send(event) {
            tracing::debug!(error = %e, "the webview stopped listening to a stream");
        }
    }
}

/// Starts a reply and returns at once; its events arrive on `on_event`, `started` first.
#[tauri::command]
pub async fn send_message(
    core: State<'_, Arc<Core>>,
    streams: State<'_, Arc<StreamRegistry>>,
    settings: State<'_, SettingsState>,
    conversation_id: Option<String>,
    text: String,
    retry: Option<bool>,
    on_event: Channel<ChatEvent>,
) -> Result<SendAck, CommandError> {
    if text.trim().is_empty() {
        return Err(CommandError::new("bad_request", "The message is empty."));
    }
    let settings = settings.get();
    let (base_url, _) = settings.effective_base_url();
    let endpoint = endpoint_for(core.secrets.clone(), &settings.profile.id, &base_url).await?;

    let (conversation_id, messages) = core.conversations.begin_turn(
        conversation_id.as_deref(),
        &text,
        retry.unwrap_or(false),
        Some(&settings.system_prompt),
    );
    let request = ChatRequest {
        model: settings.profile.model.clone(),
        messages,
        temperature: settings.temperature,
    };
    let ack = SendAck {
        stream_id: uuid::Uuid::new_v4().simple().to_string(),
        conversation_id,
        message_id: uuid::Uuid::now_v7().to_string(),
    };
    let cancel = streams.register(&ack.stream_id);
    let ids = StreamIds {
        stream_id: ack.stream_id.clone(),
        conversation_id: Some(ack.conversation_id.clone()),
        message_id: Some(ack.message_id.clone()),
    };
    let core = Arc::clone(&core);
    let streams = Arc::clone(&streams);
    tauri::async_runtime::spawn(async move {
        let mut sink = ChannelSink(on_event);
        let outcome = stream_reply(&core.client, &endpoint, &request, ids.clone(), &mut sink, &cancel).await;
        if let Some(conversation_id) = &ids.conversation_id {
            core.conversations.finish_turn(conversation_id, &outcome.text);
        }
        streams.finish(&ids.stream_id);
    });
    Ok(ack)
}

/// Stops a stream: the request is dropped (closing the connection) and the reply ends
/// `finished: cancelled` with its text. Returns false when it had already ended.
#[tauri::command]
pub fn cancel_stream(streams: State<'_, Arc<StreamRegistry>>, stream_id: String) -> bool {
    streams.cancel(&stream_id)
}
