//! The wire protocols of chat servers — OpenAI Chat Completions (and the many servers that
//! speak it, Azure included), OpenAI Responses and Anthropic Messages — with no UI and no
//! storage.
//!
//! [`LlmClient::stream_chat`] sends one [`ChatRequest`] to an [`Endpoint`] and delivers the
//! answer as [`StreamEvent`]s to a [`StreamSink`], ending in a [`FinishReason`] or a
//! [`ChatError`]. Everything a server can get wrong — split UTF-8, odd chunking, keep-alive
//! comments, error bodies in any format, errors mid-stream, stalls — is handled here, so the
//! GUI and the CLI see one clean sequence of events.

mod client;
mod error;
mod http_error;
mod kind;
mod lines;
mod models;
mod protocol;
mod request;
mod wire;

pub use client::{
    human_bytes, read_event_stream, read_event_stream_for, ClientOptions, LlmClient, RetryPolicy,
    StreamEvent, StreamLimits, StreamSink, DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_REPLY_BYTES,
    IDLE_TICK,
};
pub use error::{human_duration, scrub_secrets, ChatError, ErrorKind};
pub use kind::{ApiKind, Protocol};
pub use models::{list_models, MAX_MODEL_LIST_BYTES};
pub use protocol::chat_completions::parse_payload;
pub use protocol::AZURE_DEFAULT_API_VERSION;
pub use request::{
    is_loopback, origin_of, origin_of_base_url, BadBaseUrl, ChatRequest, Endpoint, Message, Role,
    OPENAI_BASE_URL,
};
pub use wire::{ChunkContent, FinishReason, Payload, Usage};
