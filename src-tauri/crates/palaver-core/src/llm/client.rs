//! The streaming request: POST, check the status, read server-sent events, report tokens.
//!
//! Contract:
//! - The HTTP status is checked before the body is read as a stream; an error body is read
//!   (bounded) only to explain the error.
//! - Every wait is bounded by the idle timeout: for the response headers and between any two
//!   reads. Any bytes count, keep-alive comments included: the timeout is about silence. There is deliberately no total-request timeout: a healthy answer may take minutes.
//! - A request is retried only before anything was shown: connect errors, 408, 409, 429
//!   (not `insufficient_quota`) and 5xx (Anthropic's 529 included), honouring
//!   `Retry-After` up to a cap; and a 200 stream that fails with Anthropic's
//!   `overloaded_error` before any text. Once any text or thinking was delivered, nothing
//!   is ever sent again.
//! - Dropping the future returned by [`LlmClient::stream_chat`] drops the response, which
//!   closes the connection at once, so the server stops generating. That is how callers
//!   cancel (`tokio::select!` against a token or Ctrl-C).
//! - A stream is complete when it had its protocol's finish (`finish_reason` or `[DONE]` in
//!   Chat Completions, a stop reason or `message_stop` in Anthropic Messages,
//!   `response.completed` or `response.incomplete` in Responses); one that ends without it
//!   is an interrupted answer and fails with the text so far already delivered.
//! - The protocol follows from the endpoint and the model ([`Endpoint::protocol_for`]);
//!   what differs between protocols — address, headers, body, how one event reads — is in
//!   [`super::protocol`], and everything above holds for each of them.
//!
//! - A reply brings at most [`ClientOptions::max_reply_bytes`] of text and one event at most
//!   [`ClientOptions::max_event_bytes`]: a server that streams without end fails with
//!   `too_large`, the text up to the limit delivered first.
//!
//! Bytes go through [`Lines`](super::lines::Lines) before `eventsource-stream`: that parser
//! copies its whole remaining buffer once per line, so feeding it a 64 KiB read at once, or
//! a line that never ends, costs quadratic time. Handing it one whole line at a time
//! (zero-copy `Bytes` slices) keeps it linear.

use super::error::{ChatError, ErrorKind};
use super::http_error::{self, MAX_ERROR_BODY};
use super::kind::Protocol;
use super::lines::{Activity, BodyError, Lines};
use super::protocol::{self, Decoder};
use super::request::{ChatRequest, Endpoint};
use super::wire::{excerpt, ChunkContent, FinishReason, Payload, Usage};
use bytes::Bytes;
use eventsource_stream::{EventStreamError, Eventsource};
use futures_util::{FutureExt, Stream, StreamExt};
use reqwest::header::CONTENT_TYPE;
use std::time::Duration;

/// What a stream delivers while it runs. The end (finish or failure) is the return value.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    Delta(String),
    Reasoning(String),
    Usage(Usage),
}

/// Receives a stream's events as they arrive.
pub trait StreamSink: Send {
    fn event(&mut self, event: StreamEvent);
    /// Everything that one network read delivered has been passed to `event`; nothing more
    /// is ready without waiting. Sinks that buffer write out here, so a token that arrives
    /// alone is shown alone and at once.
    fn flush(&mut self) {}
    /// Nothing arrived for [`IDLE_TICK`]: a chance to save what came before the pause.
    fn idle(&mut self) {}
}

/// How often a waiting stream wakes its sink (see [`StreamSink::idle`]).
pub const IDLE_TICK: Duration = Duration::from_millis(250);

impl<F: FnMut(StreamEvent) + Send> StreamSink for F {
    fn event(&mut self, event: StreamEvent) {
        self(event)
    }
}

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first backoff; doubled for each further retry.
    pub base_delay: Duration,
    /// The longest we wait before a retry. A `Retry-After` beyond this is not waited out:
    /// the error is reported with the time to retry instead.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if attempt >= self.max_retries {
            return None;
        }
        match retry_after {
            Some(wait) if wait > self.max_delay => None,
            Some(wait) => Some(wait),
            None => {
                let exp = self.base_delay.saturating_mul(1u32 << attempt.min(16));
                Some(exp.min(self.max_delay))
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The longest silence tolerated: before the response headers and between reads.
    pub idle_timeout: Duration,
    pub connect_timeout: Duration,
    pub retry: RetryPolicy,
    /// The most text (answer and thinking together, in bytes) one reply may bring.
    pub max_reply_bytes: usize,
    /// The most one server-sent event (or one line without end) may hold, in bytes.
    pub max_event_bytes: usize,
}

/// The default bound on one reply: about a thousand pages of text.
pub const DEFAULT_MAX_REPLY_BYTES: usize = 4 * 1024 * 1024;
/// One event carries one chunk of JSON; even a server that sends a whole long reply in one
/// event stays far below this.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 8 * 1024 * 1024;

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            idle_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            max_reply_bytes: DEFAULT_MAX_REPLY_BYTES,
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
        }
    }
}

/// What a stream may do before it is cut off.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    pub idle_timeout: Duration,
    pub max_reply_bytes: usize,
    pub max_event_bytes: usize,
}

impl ClientOptions {
    pub fn limits(&self) -> StreamLimits {
        StreamLimits {
            idle_timeout: self.idle_timeout,
            max_reply_bytes: self.max_reply_bytes,
            max_event_bytes: self.max_event_bytes,
        }
    }
}

/// One per process: it owns the connection pool, so requests reuse connections.
#[derive(Debug, Clone)]
pub struct LlmClient {
    http: reqwest::Client,
    options: ClientOptions,
}

impl LlmClient {
    pub fn new(options: ClientOptions) -> Result<Self, ChatError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("palaver/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.connect_timeout)
            .tcp_nodelay(true)
            // Requests carry the key: never to a place the server points at.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                ChatError::new(
                    ErrorKind::Network,
                    format!("Could not set up the HTTP client: {e}"),
                )
            })?;
        Ok(LlmClient { http, options })
    }

    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Streams one answer into `sink`. Returns how it finished, or why it failed; either
    /// way, every token received was delivered to `sink` first.
    pub async fn stream_chat(
        &self,
        endpoint: &Endpoint,
        request: &ChatRequest,
        sink: &mut dyn StreamSink,
    ) -> Result<FinishReason, ChatError> {
        let secret = endpoint.api_key().map(|k| k.expose());
        let protocol = endpoint.protocol_for(&request.model);
        let result = async {
            let prepared = protocol::chat_request(endpoint, request, protocol)?;
            let mut attempt = 0;
            loop {
                let response = self
                    .send_with_retries(&prepared, protocol, &mut attempt)
                    .await?;
                let mut decoder = Decoder::new(protocol);
                let mut watched = Watched {
                    sink: &mut *sink,
                    shown: false,
                };
                let outcome = self.read_answer(response, &mut decoder, &mut watched).await;
                let shown = watched.shown;
                // A server that says it is overloaded before the first token (Anthropic
                // sends that as an event after the 200) is asked again, like a 529.
                let delay = match &outcome {
                    Err(_) if !shown && decoder.failed_transiently() => {
                        self.options.retry.backoff(attempt, None)
                    }
                    _ => None,
                };
                match delay {
                    Some(delay) => {
                        tracing::info!(
                            attempt,
                            delay_ms = delay.as_millis() as u64,
                            "retrying a stream that was overloaded before its first token"
                        );
                        tokio::time::sleep(delay).await;
                        attempt += 1;
                    }
                    None => return outcome,
                }
            }
        }
        .await;
        result.map_err(|e| endpoint.explain(e.scrubbed(secret)))
    }

    async fn send_with_retries(
        &self,
        prepared: &protocol::Prepared,
        protocol: Protocol,
        attempt: &mut u32,
    ) -> Result<reqwest::Response, ChatError> {
        let url = &prepared.url;
        loop {
            let builder = self
                .http
                .post(url.clone())
                .headers(prepared.headers.clone())
                .body(prepared.body.clone());
            let idle = self.options.idle_timeout;
            let (error, retry_after, retryable) =
                match tokio::time::timeout(idle, builder.send()).await {
                    Err(_) => return Err(ChatError::timeout(idle)),
                    Ok(Ok(response)) if response.status().is_success() => return Ok(response),
                    Ok(Ok(response)) => {
                        let status = response.status();
                        let headers = response.headers().clone();
                        let body = read_bounded(response, idle).await;
                        let failure = http_error::classify(protocol, status, &headers, &body);
                        (failure.error, failure.retry_after, failure.retryable)
                    }
                    Ok(Err(e)) => {
                        let retryable = e.is_connect();
                        (send_error(&e, url), None, retryable)
                    }
                };
            let delay = retryable
                .then(|| self.options.retry.backoff(*attempt, retry_after))
                .flatten();
            match delay {
                Some(delay) => {
                    tracing::info!(
                        attempt = *attempt,
                        kind = %error.kind,
                        delay_ms = delay.as_millis() as u64,
                        "retrying the request"
                    );
                    tokio::time::sleep(delay).await;
                    *attempt += 1;
                }
                None => return Err(error),
            }
        }
    }

    async fn read_answer(
        &self,
        response: reqwest::Response,
        decoder: &mut Decoder,
        sink: &mut dyn StreamSink,
    ) -> Result<FinishReason, ChatError> {
        let protocol = decoder.protocol();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("application/json") {
            let body = read_bounded(response, self.options.idle_timeout).await;
            let text = String::from_utf8_lossy(&body);
            if protocol != Protocol::ChatCompletions {
                return Err(ChatError::new(
                    ErrorKind::Protocol,
                    format!(
                        "The server answered with JSON instead of an event stream: {}",
                        excerpt(text.trim())
                    ),
                ));
            }
            // A server that ignored `stream: true` and sent the whole answer at once.
            return match protocol::chat_completions::parse_payload(&text)? {
                Payload::Done => Ok(FinishReason::Stop),
                Payload::Chunk(chunk) => {
                    let mut budget = ReplyBudget::new(self.options.max_reply_bytes);
                    let finish = deliver(chunk, sink, &mut budget);
                    sink.flush();
                    Ok(finish?.unwrap_or(FinishReason::Stop))
                }
            };
        }
        if content_type.contains("html") {
            return Err(ChatError::new(
                ErrorKind::Protocol,
                "The server answered with a web page instead of an event stream — is the base URL an API endpoint (it usually ends in /v1)?",
            ));
        }
        read_events(
            decoder,
            response.bytes_stream(),
            self.options.limits(),
            sink,
        )
        .await
    }
}

/// Reads the server-sent events of a successful Chat Completions response into `sink`.
pub async fn read_event_stream<S, E>(
    bytes: S,
    limits: StreamLimits,
    sink: &mut dyn StreamSink,
) -> Result<FinishReason, ChatError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    read_event_stream_for(Protocol::ChatCompletions, bytes, limits, sink).await
}

/// Reads the server-sent events of a successful response in `protocol` into `sink`.
pub async fn read_event_stream_for<S, E>(
    protocol: Protocol,
    bytes: S,
    limits: StreamLimits,
    sink: &mut dyn StreamSink,
) -> Result<FinishReason, ChatError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    read_events(&mut Decoder::new(protocol), bytes, limits, sink).await
}

async fn read_events<S, E>(
    decoder: &mut Decoder,
    bytes: S,
    limits: StreamLimits,
    sink: &mut dyn StreamSink,
) -> Result<FinishReason, ChatError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let idle = limits.idle_timeout;
    let activity = Activity::default();
    let mut events = Lines::new(bytes, limits.max_event_bytes, activity.clone()).eventsource();
    let mut finish: Option<FinishReason> = None;
    let mut budget = ReplyBudget::new(limits.max_reply_bytes);
    loop {
        let mut waited = Duration::ZERO;
        let first = loop {
            let heard = activity.bytes();
            let tick = IDLE_TICK.min(idle.saturating_sub(waited));
            match tokio::time::timeout(tick, events.next()).await {
                Ok(item) => break Some(item),
                Err(_) => {
                    // Bytes that made no event (keep-alive comments, half a line) still
                    // prove the connection alive.
                    waited = if activity.bytes() == heard {
                        waited + tick
                    } else {
                        Duration::ZERO
                    };
                    sink.idle();
                    if waited >= idle {
                        break None;
                    }
                }
            }
        };
        let first = match first {
            Some(item) => item,
            // A stall after the finish reason (a missing `[DONE]`) still is a whole answer.
            None if finish.is_some() => break,
            None => return Err(ChatError::timeout(idle)),
        };
        let mut item = first;
        loop {
            match item {
                None => {
                    sink.flush();
                    return finish.ok_or_else(|| {
                        ChatError::new(
                            ErrorKind::Interrupted,
                            "The server closed the stream before the answer was complete.",
                        )
                    });
                }
                Some(Err(e)) => {
                    sink.flush();
                    return Err(event_stream_error(e));
                }
                Some(Ok(event)) => match decoder.decode(&event.event, &event.data) {
                    Ok(decoded) => {
                        match deliver(decoded.content, sink, &mut budget) {
                            Ok(Some(reason)) => finish = Some(reason),
                            Ok(None) => {}
                            Err(e) => {
                                sink.flush();
                                return Err(e);
                            }
                        }
                        if decoded.done {
                            sink.flush();
                            release_connection(events).await;
                            return Ok(finish.unwrap_or(FinishReason::Stop));
                        }
                    }
                    Err(e) => {
                        sink.flush();
                        return Err(e);
                    }
                },
            }
            // Drain whatever is ready without waiting, then flush once for the whole read.
            match events.next().now_or_never() {
                Some(next) => item = next,
                None => break,
            }
        }
        sink.flush();
    }
    sink.flush();
    Ok(finish.unwrap_or(FinishReason::Stop))
}

/// A sink that notes whether any text (answer or thinking) reached the one it wraps: after
/// that, a request is never sent again.
struct Watched<'s> {
    sink: &'s mut dyn StreamSink,
    shown: bool,
}

impl StreamSink for Watched<'_> {
    fn event(&mut self, event: StreamEvent) {
        self.shown |= matches!(event, StreamEvent::Delta(_) | StreamEvent::Reasoning(_));
        self.sink.event(event);
    }
    fn flush(&mut self) {
        self.sink.flush();
    }
    fn idle(&mut self) {
        self.sink.idle();
    }
}

/// How much more text a reply may bring.
struct ReplyBudget {
    limit: usize,
    left: usize,
}

impl ReplyBudget {
    fn new(limit: usize) -> Self {
        ReplyBudget { limit, left: limit }
    }

    /// All of `text` when it fits; otherwise the part that does, cut at a character boundary,
    /// as the error: the reply ends there.
    fn take<'t>(&mut self, text: &'t str) -> Result<&'t str, &'t str> {
        if text.len() <= self.left {
            self.left -= text.len();
            return Ok(text);
        }
        let mut end = self.left;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        self.left = 0;
        Err(&text[..end])
    }

    fn exceeded(&self) -> ChatError {
        ChatError::new(
            ErrorKind::TooLarge,
            format!(
                "The reply passed {} — the most one reply may bring — and was stopped there.",
                human_bytes(self.limit)
            ),
        )
    }
}

pub fn human_bytes(n: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= MIB {
        format!("{:.1} MiB", n as f64 / MIB as f64)
    } else if n >= 1024 {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// Reads what follows `[DONE]` — normally just the chunked-encoding terminator, already on
/// its way — so that the connection goes back to the pool for the next request instead of
/// being closed. A server that keeps the body open is cut off after a moment.
async fn release_connection<T: Stream + Unpin>(mut rest: T) {
    let drain = async { while rest.next().await.is_some() {} };
    let _ = tokio::time::timeout(Duration::from_millis(100), drain).await;
}

/// Passes on what one payload carried, within the reply's budget; returns its finish reason.
fn deliver(
    chunk: ChunkContent<'_>,
    sink: &mut dyn StreamSink,
    budget: &mut ReplyBudget,
) -> Result<Option<FinishReason>, ChatError> {
    if let Some(r) = chunk.reasoning {
        within_budget(&r, budget, sink, StreamEvent::Reasoning)?;
    }
    if let Some(t) = chunk.text {
        within_budget(&t, budget, sink, StreamEvent::Delta)?;
    }
    if let Some(u) = chunk.usage {
        sink.event(StreamEvent::Usage(u));
    }
    Ok(chunk.finish_reason)
}

/// Sends `text` as `event`, or the part of it that fits and then the error that ends the
/// reply.
fn within_budget(
    text: &str,
    budget: &mut ReplyBudget,
    sink: &mut dyn StreamSink,
    event: fn(String) -> StreamEvent,
) -> Result<(), ChatError> {
    match budget.take(text) {
        Ok(all) => {
            sink.event(event(all.to_owned()));
            Ok(())
        }
        Err(fits) => {
            if !fits.is_empty() {
                sink.event(event(fits.to_owned()));
            }
            Err(budget.exceeded())
        }
    }
}

fn event_stream_error(e: EventStreamError<BodyError>) -> ChatError {
    match e {
        EventStreamError::Transport(BodyError::TooLarge(limit)) => ChatError::new(
            ErrorKind::TooLarge,
            format!(
                "The server sent one event of more than {} without an end, and the reply was stopped there.",
                human_bytes(limit)
            ),
        ),
        EventStreamError::Transport(BodyError::Transport(e)) => ChatError::new(
            ErrorKind::Network,
            format!("The connection broke mid-answer: {}", error_chain_text(&e)),
        ),
        EventStreamError::Utf8(e) => ChatError::new(
            ErrorKind::Protocol,
            format!("The server sent text that is not valid UTF-8: {e}"),
        ),
        EventStreamError::Parser(e) => ChatError::new(
            ErrorKind::Protocol,
            format!("The server sent a malformed event stream: {e}"),
        ),
    }
}

fn error_chain_text(text: &str) -> String {
    if text.is_empty() {
        "no details".to_owned()
    } else {
        text.to_owned()
    }
}

fn send_error(e: &reqwest::Error, url: &url::Url) -> ChatError {
    use std::error::Error as _;
    let host = url.host_str().unwrap_or("the server");
    let mut cause = String::new();
    let mut source = e.source();
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        cause = e.to_string();
    }
    if e.is_timeout() {
        return ChatError::new(
            ErrorKind::Timeout,
            format!("Could not connect to {host} in time: {cause}"),
        );
    }
    if e.is_connect() {
        return ChatError::new(
            ErrorKind::Network,
            format!("Could not connect to {host}: {cause}"),
        );
    }
    ChatError::new(
        ErrorKind::Network,
        format!("The request to {host} failed: {cause}"),
    )
}

/// Reads at most [`MAX_ERROR_BODY`] bytes of a body, giving up quietly on a stall.
async fn read_bounded(response: reqwest::Response, idle: Duration) -> Vec<u8> {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while body.len() < MAX_ERROR_BODY {
        match tokio::time::timeout(idle, stream.next()).await {
            Ok(Some(Ok(chunk))) => {
                let room = MAX_ERROR_BODY - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            _ => break,
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_respects_the_cap() {
        let p = RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(250),
        };
        assert_eq!(p.backoff(0, None), Some(Duration::from_millis(100)));
        assert_eq!(p.backoff(1, None), Some(Duration::from_millis(200)));
        assert_eq!(p.backoff(2, None), Some(Duration::from_millis(250)));
        assert_eq!(p.backoff(3, None), None);
        assert_eq!(
            p.backoff(0, Some(Duration::from_millis(50))),
            Some(Duration::from_millis(50))
        );
        assert_eq!(p.backoff(0, Some(Duration::from_secs(5))), None);
    }
}
