//! A scriptable OpenAI-compatible server on loopback, for tests, benchmarks and demos.
//!
//! It speaks HTTP/1.1 by hand over a raw TCP socket so that a test decides every byte and
//! every write boundary: a multi-byte character split across two writes, ten events in one
//! write, CRLF line ends, comments, stalls, a connection closed mid-event. It records each
//! request (method, path, headers, body) and notices when a client disconnects before a
//! response is complete — which is how tests prove that cancelling really drops the
//! connection.
//!
//! Responses come from a queue of scripted [`Reply`]s, one per request, in order. When the
//! queue is empty the server answers from its [`Fallback`]: by default a 500 that says no
//! reply was scripted; with [`Fallback::Demo`] a canned assistant whose behaviour is chosen
//! by tags in the last user message (`[401]`, `[stall]`, `[long 5000]`, …; see [`demo`]).
//!
//! The render benchmark's replies (tokens at a steady rate, markers whose send times are
//! recorded) come from [`paced`].
//!
//! Events of the other protocols are built by [`anthropic`] and [`responses`]; the
//! top-level builders ([`chunk`], [`finish_chunk`], [`Reply::answer`], …) are Chat
//! Completions.

pub mod anthropic;
pub mod demo;
mod http;
pub mod paced;
pub mod responses;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Notify;

pub use demo::DemoOptions;

/// One step of a scripted response body.
#[derive(Debug, Clone)]
pub enum Step {
    /// Write these bytes in one write (one HTTP chunk when chunked).
    Write(Vec<u8>),
    /// Wait before the next step.
    Pause(Duration),
    /// Send nothing more, keeping the connection open, until the client goes away.
    Stall,
    /// Generate `count` content tokens (see [`token`]) as text events of `wire`, batched
    /// into writes of about `batch_bytes`, pausing `delay` between writes.
    Tokens {
        wire: Wire,
        count: usize,
        batch_bytes: usize,
        delay: Duration,
    },
    /// Generate the tokens of a benchmark reply (see [`paced`]) as text events of `wire`,
    /// at its rate or all at once, recording when each marker was written (see
    /// [`SENT_PATH`]).
    Paced { wire: Wire, paced: paced::Paced },
}

/// The protocol a reply speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// OpenAI Chat Completions (also Azure's).
    ChatCompletions,
    /// Anthropic Messages (see [`anthropic`]).
    Anthropic,
    /// OpenAI Responses (see [`responses`]).
    Responses,
}

impl Wire {
    /// Appends one text event carrying `plain` (text that needs no JSON escaping).
    pub(crate) fn push_token(self, out: &mut String, plain: &str) {
        match self {
            Wire::ChatCompletions => push_token_chunk(out, plain),
            Wire::Anthropic => anthropic::push_token_delta(out, plain),
            Wire::Responses => responses::push_token_delta(out, plain),
        }
    }
}

/// How the end of the body is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `Transfer-Encoding: chunked`; the connection stays open for the next request.
    Chunked,
    /// No length: the body ends when the server closes the connection.
    Close,
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub steps: Vec<Step>,
    pub framing: Framing,
}

impl Reply {
    /// A `200 text/event-stream` reply with no body yet.
    pub fn sse() -> Reply {
        Reply {
            status: 200,
            headers: vec![
                ("content-type".into(), "text/event-stream".into()),
                ("cache-control".into(), "no-cache".into()),
            ],
            steps: Vec::new(),
            framing: Framing::Chunked,
        }
    }

    /// A reply with a status and a body written at once.
    pub fn status(status: u16, content_type: &str, body: &str) -> Reply {
        let mut reply = Reply {
            status,
            headers: Vec::new(),
            steps: Vec::new(),
            framing: Framing::Chunked,
        };
        if !content_type.is_empty() {
            reply
                .headers
                .push(("content-type".into(), content_type.into()));
        }
        if !body.is_empty() {
            reply.steps.push(Step::Write(body.as_bytes().to_vec()));
        }
        reply
    }

    /// An OpenAI-style JSON error.
    pub fn error(status: u16, message: &str, kind: &str, code: Option<&str>) -> Reply {
        let body = serde_json::json!({
            "error": { "message": message, "type": kind, "param": null, "code": code }
        });
        Reply::status(status, "application/json", &body.to_string())
    }

    /// A complete, well-behaved answer: role delta, one write per token, finish, usage, done.
    pub fn answer(tokens: &[&str]) -> Reply {
        let mut reply = Reply::sse().write(role_chunk());
        for t in tokens {
            reply = reply.write(chunk(t));
        }
        reply
            .write(finish_chunk("stop"))
            .write(usage_chunk(5, tokens.len() as u64))
            .write(DONE)
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    pub fn write(mut self, bytes: impl AsRef<[u8]>) -> Reply {
        self.steps.push(Step::Write(bytes.as_ref().to_vec()));
        self
    }

    /// Writes `bytes` in pieces split at the given byte offsets, one write each, with a
    /// pause between them so the client reads them separately.
    pub fn write_split(mut self, bytes: impl AsRef<[u8]>, at: &[usize], pause: Duration) -> Reply {
        let bytes = bytes.as_ref();
        let mut start = 0;
        for &end in at.iter().chain(std::iter::once(&bytes.len())) {
            if end > start {
                self.steps.push(Step::Write(bytes[start..end].to_vec()));
                self.steps.push(Step::Pause(pause));
                start = end;
            }
        }
        self
    }

    pub fn pause(mut self, d: Duration) -> Reply {
        self.steps.push(Step::Pause(d));
        self
    }

    pub fn stall(mut self) -> Reply {
        self.steps.push(Step::Stall);
        self
    }

    /// Generated tokens as Chat Completions chunks (see [`Step::Tokens`]).
    pub fn tokens(self, count: usize, batch_bytes: usize, delay: Duration) -> Reply {
        self.tokens_as(Wire::ChatCompletions, count, batch_bytes, delay)
    }

    /// Generated tokens as text events of `wire` (see [`Step::Tokens`]).
    pub fn tokens_as(
        mut self,
        wire: Wire,
        count: usize,
        batch_bytes: usize,
        delay: Duration,
    ) -> Reply {
        self.steps.push(Step::Tokens {
            wire,
            count,
            batch_bytes,
            delay,
        });
        self
    }

    /// A benchmark reply's tokens as text events of `wire` (see [`Step::Paced`]).
    pub fn paced(mut self, wire: Wire, paced: paced::Paced) -> Reply {
        self.steps.push(Step::Paced { wire, paced });
        self
    }

    /// End the body by closing the connection instead of chunked framing.
    pub fn close_delimited(mut self) -> Reply {
        self.framing = Framing::Close;
        self
    }
}

/// `GET` this path for `{requests, disconnects, completed, lastRequest}` as JSON: how
/// out-of-process tests (the desktop end-to-end suite) check what the server saw.
/// `lastRequest` says whether each key header (`authorization`, `xApiKey`, `apiKey`) was
/// present, never its value.
pub const STATS_PATH: &str = "/_mock/stats";

/// `GET` this path for when the latest benchmark reply ([`Step::Paced`]) wrote its markers,
/// as JSON: `{count, rate, startedAtMs, markers: [[index, sentAtMs], …], lastByteAtMs}`.
/// Times are milliseconds since the Unix epoch with fractions, by the system clock read
/// once at the start of the reply and carried on by the monotonic clock; `lastByteAtMs`
/// (the write of the last token) is null until the reply has written it.
pub const SENT_PATH: &str = "/_mock/sent";

pub const DONE: &str = "data: [DONE]\n\n";

/// The text of generated token `i`: short words with a sprinkling of multi-byte characters.
pub fn token(i: usize) -> String {
    match i % 7 {
        0 => format!(" naïve{i}"),
        3 => format!(" 数据{i}"),
        5 => format!(" 🚀{i}"),
        _ => format!(" w{i}"),
    }
}

/// The full text of `count` generated tokens.
pub fn tokens_text(count: usize) -> String {
    (0..count).map(token).collect()
}

/// One `data:` event carrying a chat chunk with `delta.content`.
pub fn chunk(content: &str) -> String {
    event(&serde_json::json!({
        "id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1_700_000_000,
        "model": "mock-model",
        "choices": [{ "index": 0, "delta": { "content": content }, "finish_reason": null }]
    }))
}

/// Appends the same event as [`chunk`] for text that needs no JSON escaping, without
/// building a JSON value: the generator of long streams must not be the bottleneck of a
/// benchmark.
pub(crate) fn push_token_chunk(out: &mut String, plain: &str) {
    out.push_str(r#"data: {"choices":[{"delta":{"content":""#);
    out.push_str(plain);
    out.push_str(r#""},"finish_reason":null,"index":0}],"created":1700000000,"id":"chatcmpl-mock","model":"mock-model","object":"chat.completion.chunk"}"#);
    out.push_str("\n\n");
}

/// The first chunk OpenAI sends: the role, no content.
pub fn role_chunk() -> String {
    event(&serde_json::json!({
        "id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1_700_000_000,
        "model": "mock-model",
        "choices": [{ "index": 0, "delta": { "role": "assistant", "content": "" }, "finish_reason": null }]
    }))
}

pub fn reasoning_chunk(field: &str, text: &str) -> String {
    event(&serde_json::json!({
        "choices": [{ "index": 0, "delta": { field: text }, "finish_reason": null }]
    }))
}

pub fn finish_chunk(reason: &str) -> String {
    event(&serde_json::json!({
        "id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1_700_000_000,
        "model": "mock-model",
        "choices": [{ "index": 0, "delta": {}, "finish_reason": reason }]
    }))
}

pub fn usage_chunk(prompt: u64, completion: u64) -> String {
    event(&serde_json::json!({
        "id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1_700_000_000,
        "model": "mock-model", "choices": [],
        "usage": { "prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion }
    }))
}

/// `data: <json>\n\n`.
pub fn event(value: &serde_json::Value) -> String {
    format!("data: {value}\n\n")
}

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// What the server answers when no scripted reply is queued.
#[derive(Debug, Clone)]
pub enum Fallback {
    /// A 500 saying that the test scripted too few replies.
    NotScripted,
    /// The demo assistant.
    Demo(DemoOptions),
}

pub(crate) struct Shared {
    script: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<RecordedRequest>>,
    disconnects: AtomicUsize,
    completed: AtomicUsize,
    connections: AtomicUsize,
    changed: Notify,
    fallback: Fallback,
    pub(crate) sent: Mutex<SentLog>,
}

/// When the latest benchmark reply wrote its markers (see [`SENT_PATH`]).
#[derive(Debug, Default)]
pub(crate) struct SentLog {
    pub count: usize,
    pub rate: Option<f64>,
    pub started_at_ms: f64,
    pub markers: Vec<(usize, f64)>,
    pub last_byte_at_ms: Option<f64>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    fn next_reply(&self, request: &RecordedRequest) -> Reply {
        if request.path == STATS_PATH {
            let requests = lock(&self.requests);
            let stats = serde_json::json!({
                "requests": requests.len(),
                "disconnects": self.disconnects.load(Ordering::SeqCst),
                "completed": self.completed.load(Ordering::SeqCst),
                "lastRequest": requests.last().map(|r| serde_json::json!({
                    "method": r.method, "path": r.path, "body": r.json(),
                    "authorization": r.header("authorization").is_some(),
                    "xApiKey": r.header("x-api-key").is_some(),
                    "apiKey": r.header("api-key").is_some(),
                })),
            });
            return Reply::status(200, "application/json", &stats.to_string());
        }
        if request.path == SENT_PATH {
            let sent = lock(&self.sent);
            let body = serde_json::json!({
                "count": sent.count,
                "rate": sent.rate,
                "startedAtMs": sent.started_at_ms,
                "markers": sent.markers,
                "lastByteAtMs": sent.last_byte_at_ms,
            });
            return Reply::status(200, "application/json", &body.to_string());
        }
        if let Some(reply) = lock(&self.script).pop_front() {
            return reply;
        }
        match &self.fallback {
            Fallback::NotScripted => Reply::error(
                500,
                &format!(
                    "mock server: no reply scripted for {} {}",
                    request.method, request.path
                ),
                "mock_error",
                None,
            ),
            Fallback::Demo(options) => demo::reply(request, options),
        }
    }

    fn record(&self, request: RecordedRequest) {
        lock(&self.requests).push(request);
        self.changed.notify_waiters();
    }

    fn note_disconnect(&self) {
        self.disconnects.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_waiters();
    }

    fn note_completed(&self) {
        self.completed.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_waiters();
    }
}

/// A running mock server. It stops when dropped.
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl MockServer {
    /// Starts on 127.0.0.1 with a random port, answering only scripted replies.
    pub async fn start() -> std::io::Result<MockServer> {
        Self::start_with("127.0.0.1:0", Fallback::NotScripted).await
    }

    pub async fn start_with(bind: &str, fallback: Fallback) -> std::io::Result<MockServer> {
        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            script: Mutex::new(VecDeque::new()),
            requests: Mutex::new(Vec::new()),
            disconnects: AtomicUsize::new(0),
            completed: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
            changed: Notify::new(),
            fallback,
            sent: Mutex::new(SentLog::default()),
        });
        let accept_shared = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                accept_shared.connections.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(http::serve_connection(socket, accept_shared.clone()));
            }
        });
        Ok(MockServer { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The OpenAI-style base URL, ending in `/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Queues a reply for the next request.
    pub fn push(&self, reply: Reply) -> &Self {
        lock(&self.shared.script).push_back(reply);
        self
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// How many responses a client abandoned before they were complete.
    pub fn disconnects(&self) -> usize {
        self.shared.disconnects.load(Ordering::SeqCst)
    }

    /// How many TCP connections clients opened.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// How many responses were written to the end.
    pub fn completed(&self) -> usize {
        self.shared.completed.load(Ordering::SeqCst)
    }

    /// Waits until at least `n` disconnects were seen; false on timeout.
    pub async fn wait_for_disconnects(&self, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, || self.disconnects() >= n).await
    }

    /// Waits until at least `n` requests arrived; false on timeout.
    pub async fn wait_for_requests(&self, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, || lock(&self.shared.requests).len() >= n)
            .await
    }

    async fn wait_until(&self, timeout: Duration, done: impl Fn() -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            if done() {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return done();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_fast_token_chunk_is_the_same_event() {
        let mut fast = String::new();
        super::push_token_chunk(&mut fast, " 数据3");
        assert_eq!(fast, super::chunk(" 数据3"));
    }

    #[test]
    fn the_fast_token_events_are_the_same_events() {
        let mut fast = String::new();
        super::anthropic::push_token_delta(&mut fast, " 🚀5");
        assert_eq!(fast, super::anthropic::text_delta(" 🚀5"));
        let mut fast = String::new();
        super::responses::push_token_delta(&mut fast, " 🚀5");
        assert_eq!(fast, super::responses::text_delta(" 🚀5"));
    }
}
