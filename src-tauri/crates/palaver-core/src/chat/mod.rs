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

mod event;

pub use event::{ChatEvent, ChatSink, StreamIds};

use crate::history::{HistoryDb, Turn};
use std::time::{Duration, Instant};

/// Saves a growing reply: called with the text and the reasoning so far.
pub type Checkpoint<'a> = dyn FnMut(&str, &str) + Send + 'a;

/// How often a streaming reply is saved: a crash loses at most this much.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);

use crate::llm::{
    ApiKind, ChatError, ChatRequest, Endpoint, FinishReason, LlmClient, StreamEvent, StreamSink,
    Usage,
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
    checkpoint: Option<&mut Checkpoint<'_>>,
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
        checkpoint,
        // The first text is saved at once.
        last_checkpoint: Instant::now()
            .checked_sub(CHECKPOINT_INTERVAL)
            .unwrap_or_else(Instant::now),
        unsaved: false,
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
struct Forwarder<'a, 'c, 'd> {
    sink: &'a mut dyn ChatSink,
    pending: Option<ChatEvent>,
    text: String,
    reasoning: String,
    usage: Option<Usage>,
    checkpoint: Option<&'c mut Checkpoint<'d>>,
    last_checkpoint: Instant,
    unsaved: bool,
}

impl StreamSink for Forwarder<'_, '_, '_> {
    fn event(&mut self, event: StreamEvent) {
        match event {
            StreamEvent::Delta(t) => {
                self.unsaved = true;
                self.text.push_str(&t);
                match &mut self.pending {
                    Some(ChatEvent::Delta { text }) => text.push_str(&t),
                    _ => self.replace_pending(ChatEvent::Delta { text: t }),
                }
            }
            StreamEvent::Reasoning(t) => {
                self.unsaved = true;
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
        self.checkpoint_if_due();
    }

    fn idle(&mut self) {
        self.checkpoint_if_due();
    }
}

impl Forwarder<'_, '_, '_> {
    /// Saves the reply if it changed and the last save is [`CHECKPOINT_INTERVAL`] old. Called
    /// after each read and on every idle tick, so text that arrived before a stall is saved
    /// within about half a second even if nothing follows.
    fn checkpoint_if_due(&mut self) {
        if self.unsaved && self.last_checkpoint.elapsed() >= CHECKPOINT_INTERVAL {
            if let Some(save) = self.checkpoint.as_mut() {
                save(&self.text, &self.reasoning);
            }
            self.last_checkpoint = Instant::now();
            self.unsaved = false;
        }
    }

    fn replace_pending(&mut self, event: ChatEvent) {
        if let Some(previous) = self.pending.replace(event) {
            self.sink.send(previous);
        }
    }
}

/// Runs one stored turn: streams the reply to `sink`, saves it to `history` at most every
/// [`CHECKPOINT_INTERVAL`] while it grows, and records how it ended. Saving failures (a full
/// disk) never stop the stream; the last one is returned with the outcome so the front end
/// can say the reply was not saved.
#[allow(clippy::too_many_arguments)]
pub async fn run_turn(
    client: &LlmClient,
    endpoint: &Endpoint,
    history: &HistoryDb,
    turn: &Turn,
    sampling: &Sampling,
    stream_id: String,
    sink: &mut dyn ChatSink,
    cancel: &CancellationToken,
) -> (ReplyOutcome, Option<crate::history::HistoryError>) {
    let request = ChatRequest {
        model: sampling.model.clone(),
        messages: turn.context.clone(),
        temperature: sampling.temperature,
        max_tokens: sampling.max_tokens,
    };
    let ids = StreamIds {
        stream_id,
        conversation_id: Some(turn.conversation_id.clone()),
        message_id: Some(turn.assistant_message_id.clone()),
    };
    let mut save_error = None;
    let reply_id = turn.assistant_message_id.clone();
    let mut checkpoint = |text: &str, reasoning: &str| {
        if let Err(e) = history.checkpoint(&reply_id, text, reasoning) {
            tracing::warn!(error = %e, "could not checkpoint a reply");
        }
    };
    let mut held = SavedBeforeEnd { sink, last: None };
    let outcome = stream_reply(
        client,
        endpoint,
        &request,
        ids,
        &mut held,
        cancel,
        Some(&mut checkpoint),
    )
    .await;
    if let Err(e) = history.finish_reply(
        &turn.assistant_message_id,
        &outcome.text,
        &outcome.reasoning,
        outcome.usage,
        &outcome.result,
    ) {
        tracing::warn!(error = %e, "could not save a finished reply");
        save_error = Some(e);
    }
    if let Some(last) = held.last {
        held.sink.send(last);
    }
    (outcome, save_error)
}

/// Holds back a reply's last event (`finished` or `failed`) until the reply is saved, so a
/// front end that reloads the conversation on that event reads the final text and status,
/// never the last checkpoint of a reply still marked `streaming`.
struct SavedBeforeEnd<'a> {
    sink: &'a mut dyn ChatSink,
    last: Option<ChatEvent>,
}

impl ChatSink for SavedBeforeEnd<'_> {
    fn send(&mut self, event: ChatEvent) {
        match event {
            ChatEvent::Finished { .. } | ChatEvent::Failed { .. } => self.last = Some(event),
            event => self.sink.send(event),
        }
    }
}

/// The model a reply comes from and how it is asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Sampling {
    pub model: String,
    pub temperature: Option<f32>,
    pub max_tokens: Option<u32>,
}

/// What the user allowed for one request's key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyPolicy {
    /// Send a stored key over plain `http://` to a host that is not this machine. Off unless
    /// the user turned it on for this server (Settings, or `--allow-cleartext-key`).
    pub allow_cleartext: bool,
}

/// Where one request goes, and which keys may go with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Destination {
    /// The profile whose stored key may be sent (if it was saved for this server's origin);
    /// `None` for a one-off server, which no stored key ever goes to.
    pub profile: Option<String>,
    /// The profile's name, for messages.
    pub profile_name: String,
    pub kind: ApiKind,
    pub base_url: String,
    pub headers: Vec<(String, String)>,
    pub api_version: Option<String>,
    pub policy: KeyPolicy,
    /// The environment variable whose key may go here when no stored key does.
    pub env_key: Option<&'static str>,
}

/// Servers that answer nothing without a key: asking them without one only wastes a
/// round trip, so the user is told at once.
fn needs_key(endpoint: &Endpoint) -> bool {
    endpoint.kind() == ApiKind::Azure
        || matches!(
            endpoint.base_url().host_str(),
            Some("api.openai.com" | "api.anthropic.com")
        )
}

/// The endpoint for a destination: its base URL, kind, headers and the key that may go
/// there.
///
/// A key stored for the profile is attached only when the base URL has the origin the key
/// was saved for, and over plain `http://` to another machine only when the policy allows
/// it. A key from the environment goes only where [`Destination::env_key`] allows. Other
/// servers get no key, so local servers work without.
pub async fn endpoint_for(
    secrets: std::sync::Arc<dyn crate::secrets::SecretStore>,
    destination: &Destination,
) -> Result<Endpoint, ChatError> {
    use crate::llm::ErrorKind;
    let Destination {
        profile,
        profile_name,
        base_url,
        policy,
        ..
    } = destination;
    let configure = |endpoint: Endpoint| {
        endpoint
            .with_kind(destination.kind)
            .with_headers(destination.headers.clone())
            .with_api_version(destination.api_version.clone())
    };
    let bare = configure(
        Endpoint::new(base_url, None)
            .map_err(|e| ChatError::new(ErrorKind::BadRequest, e.to_string()))?,
    );
    let needs_key = needs_key(&bare);
    let target = bare.origin();
    let env = destination
        .env_key
        .and_then(|name| crate::secrets::env_key_named(name).map(|key| (name, key)));
    let stored = match profile {
        None => None,
        Some(profile) => {
            let account = profile.clone();
            match crate::secrets::off_runtime(secrets, move |s| s.get(&account)).await {
                Ok(stored) => stored,
                Err(e) if env.is_some() => {
                    tracing::debug!(error = %e, "keyring unreadable; using the key from the environment");
                    None
                }
                Err(e) if needs_key => {
                    return Err(ChatError::new(ErrorKind::KeyringUnavailable, e.to_string()))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "keyring unreadable; sending without a key");
                    None
                }
            }
        }
    };
    let (stored, elsewhere) = match stored {
        Some(s) if s.origin == target => (Some(s), None),
        Some(s) => (None, Some(s.origin)),
        None => (None, None),
    };
    let key = match (stored, env) {
        (Some(stored), _) => {
            if bare.is_cleartext_remote() && !policy.allow_cleartext {
                return Err(ChatError::new(
                    ErrorKind::InsecureKey,
                    format!(
                        "The key for “{profile_name}” was not sent: {target} is reached over plain http, so the key would travel in cleartext and anyone on the network could read it. Use https, or allow the key in cleartext for this server (Settings, or --allow-cleartext-key)."
                    ),
                ));
            }
            Some(stored.key)
        }
        (None, Some((name, env))) => {
            if bare.is_cleartext_remote() {
                tracing::warn!(%target, "the key from {name} goes over plain http");
            }
            Some(env)
        }
        (None, None) => None,
    };
    let withheld = elsewhere.map(|origin| {
        format!(
            "(The key stored for “{profile_name}” was not sent: it belongs to {origin}, and a key goes only to the server it was saved for. Save a key for {target} to use this server.)"
        )
    });
    match key {
        Some(key) => Ok(configure(
            Endpoint::new(base_url, Some(key))
                .map_err(|e| ChatError::new(ErrorKind::BadRequest, e.to_string()))?,
        )),
        None if needs_key => {
            let mut message = format!("No API key is set for “{profile_name}” and {target}.");
            if let Some(why) = withheld {
                message = format!("{message} {why}");
            }
            Err(ChatError::new(ErrorKind::NoApiKey, message))
        }
        None => Ok(match withheld {
            Some(why) => bare.with_withheld_key(why),
            None => bare,
        }),
    }
}
