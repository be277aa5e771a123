//! One reply, end to end: the events a front end renders, and the loop that produces them.
//!
//! [`stream_reply`] runs an [`LlmClient`] stream and turns it into [`ChatEvent`]s for a
//! [`ChatSink`]: `Started` first, then `Delta`/`Reasoning`/`Usage` as they arrive, then exactly
//! one `Finished` or `Failed`. Deltas that arrived in the same network read are sent as one
//! event; a token that arrives alone is sent alone, at once. The text received so far is
//! kept on every path (the outcome carries it), whatever ends the stream.
//!
//! Cancellation is a `CancellationToken`: cancelling drops the request future, which closes
//! the connection at once, and the reply ends `Finished { cancelled }` with its text kept.

mod conversations;
mod event;

pub use conversations::Conversations;
pub use event::{ChatEvent, ChatSink, StreamIds};

use crate::llm::{
    ChatError, ChatRequest, Endpoint, FinishReason, LlmClient, StreamEvent, StreamSink, Usage,
};
use tokio_util::sync::CancellationToken;

/// How a reply ended, with everything it produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyOutcome {
    pub text: String,
    pub reasoning: String,
    pub usage: Option<Usage>,
    pub result: Result<FinishReason, ChatError>,
}

/// Streams one reply into `sink`. Never fails itself: failures are the last event and
/// the outcome's `result`.
pub async fn stream_reply(
    client: &LlmClient,
    endpoint: &Endpoint,
    request: &ChatRequest,
    ids: StreamIds,
    sink: &mut dyn ChatSink,
    cancel: &CancellationToken,
) -> ReplyOutcome {
    sink.send(ChatEvent::Started {
        stream_id: ids.stream_id,
        conversation_id: ids.conversation_id,
        message_id: ids.message_id,
        model: request.model.clone(),
    });
    let mut forward = Forwarder {
        sink,
        pending: None,
        text: String::new(),
        reasoning: String::new(),
        usage: None,
    };
    let result = {
        let stream = client.stream_chat(endpoint, request, &mut forward);
        tokio::select! {
            biased;
            _ = cancel.cancelled() => Ok(FinishReason::Cancelled),
            result = stream => result,
        }
    };
    forward.flush();
    let Forwarder {
        sink,
        text,
        reasoning,
        usage,
        ..
    } = forward;
    match &result {
        Ok(finish_reason) => sink.send(ChatEvent::Finished {
            finish_reason: *finish_reason,
        }),
        Err(error) => sink.send(ChatEvent::Failed {
            error: error.clone(),
        }),
    }
    ReplyOutcome {
        text,
        reasoning,
        usage,
        result,
    }
}

/// Adapts the stream's events to `ChatEvent`s, merging same-kind text within one read.
struct Forwarder<'a> {
    sink: &'a mut dyn ChatSink,
    pending: Option<ChatEvent>,
    text: String,
    reasoning: String,
    usage: Option<Usage>,
}

impl StreamSink for Forwarder<'_> {
    fn event(&mut self, event: StreamEvent) {
        match event {
            StreamEvent::Delta(t) => {
                self.text.push_str(&t);
                match &mut self.pending {
                    Some(ChatEvent::Delta { text }) => text.push_str(&t),
                    _ => self.replace_pending(ChatEvent::Delta { text: t }),
                }
            }
            StreamEvent::Reasoning(t) => {
                self.reasoning.push_str(&t);
                match &mut self.pending {
                    Some(ChatEvent::Reasoning { text }) => text.push_str(&t),
                    _ => self.replace_pending(ChatEvent::Reasoning { text: t }),
                }
            }
            StreamEvent::Usage(u) => {
                self.usage = Some(u);
                self.flush();
                self.sink.send(ChatEvent::Usage {
                    prompt_tokens: u.prompt_tokens,
                    completion_tokens: u.completion_tokens,
                });
            }
        }
    }

    fn flush(&mut self) {
        if let Some(event) = self.pending.take() {
            self.sink.send(event);
        }
    }
}

impl Forwarder<'_> {
    fn replace_pending(&mut self, event: ChatEvent) {
        if let Some(previous) = self.pending.replace(event) {
            self.sink.send(previous);
        }
    }
}

/// The endpoint for a profile: its base URL and key (keyring first, then
/// `OPENAI_API_KEY`). OpenAI itself requires a key; any other server gets one only if one
/// is stored or set, so local servers work without.
pub async fn endpoint_for(
    secrets: std::sync::Arc<dyn crate::secrets::SecretStore>,
    profile: &str,
    base_url: &str,
) -> Result<Endpoint, ChatError> {
    use crate::llm::ErrorKind;
    let bare = Endpoint::new(base_url, None)
        .map_err(|e| ChatError::new(ErrorKind::BadRequest, e.to_string()))?;
    let needs_key = bare.is_openai();
    let key = match crate::secrets::resolve_key(secrets, profile, crate::secrets::env_key()).await {
        Ok(Some(resolved)) => Some(resolved.key),
        Ok(None) if needs_key => {
            return Err(ChatError::new(
                ErrorKind::NoApiKey,
                format!("No API key is set for “{profile}”."),
            ))
        }
        Ok(None) => None,
        Err(e) if needs_key => {
            return Err(ChatError::new(ErrorKind::KeyringUnavailable, e.to_string()))
        }
        Err(e) => {
            tracing::warn!(error = %e, "keyring unreadable; sending without a key");
            None
        }
    };
    Endpoint::new(base_url, key).map_err(|e| ChatError::new(ErrorKind::BadRequest, e.to_string()))
}
