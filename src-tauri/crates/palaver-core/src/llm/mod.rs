//! The wire protocol of OpenAI-compatible chat servers, with no UI and no storage.
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
mod request;
mod wire;

pub use client::{
    human_bytes, read_event_stream, ClientOptions, LlmClient, RetryPolicy, StreamEvent,
    StreamLimits, StreamSink, DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_REPLY_BYTES, IDLE_TICK,
};
pub use error::{human_duration, scrub_secrets, ChatError, ErrorKind};
pub use kind::{ApiKind, Protocol};
pub use models::list_models;
pub use request::{
    is_loopback, origin_of, origin_of_base_url, BadBaseUrl, ChatRequest, Endpoint, Message, Role,
    OPENAI_BASE_URL,
};
pub use wire::{parse_payload, ChunkContent, FinishReason, Payload, Usage};
