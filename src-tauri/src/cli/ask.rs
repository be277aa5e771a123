//! `palaver ask`: one question, the answer streamed to stdout as it arrives.

use super::terminal::printable;
use super::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE};
use palaver_core::chat::{
    endpoint_for, run_turn, stream_reply, ChatEvent, ChatSink, KeyPolicy, StreamIds,
};
use palaver_core::history::{HistoryDb, Source, Turn, TurnKind, TurnRequest};
use palaver_core::llm::{
    ChatError, ChatRequest, ClientOptions, Endpoint, ErrorKind, FinishReason, LlmClient, Message,
    RetryPolicy, OPENAI_BASE_URL,
};
use palaver_core::secrets::{OsKeyring, DEFAULT_PROFILE};
use std::io::{IsTerminal, Read, Write};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
pub struct AskArgs {
    /// The question. With none, or "-", it is read from stdin.
    pub prompt: Vec<String>,
    /// Model name, as the server knows it
    #[arg(short, long, env = "PALAVER_MODEL", default_value = "gpt-4o-mini")]
    pub model: String,
    /// A system prompt that sets how the model answers
    #[arg(short, long)]
    pub system: Option<String>,
    /// Sampling temperature, 0 to 2
    #[arg(long, value_parser = parse_temperature)]
    pub temperature: Option<f32>,
    /// The server's OpenAI-compatible base URL
    #[arg(long, env = "OPENAI_BASE_URL", default_value = OPENAI_BASE_URL)]
    pub base_url: String,
    /// Print NDJSON chat events on stdout instead of text
    #[arg(long)]
    pub json: bool,
    /// Give up when the server sends nothing for this many seconds
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_seconds)]
    pub idle_timeout: Duration,
    /// How often to retry a request that failed before any answer arrived
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub retries: u32,
    /// Print the model's thinking on stderr
    #[arg(long)]
    pub show_reasoning: bool,
    /// Which stored key to use
    #[arg(long, default_value = DEFAULT_PROFILE)]
    pub profile: String,
    /// Send the stored key even over plain http:// to a server that is not this machine
    /// (anyone on the network could read it)
    #[arg(long)]
    pub allow_cleartext_key: bool,
    /// Stop a reply that brings more than this many MiB of text
    #[arg(long, value_name = "MIB", default_value = "4", value_parser = parse_mib)]
    pub max_reply_size: usize,
    /// Follow up the most recent conversation (the whole conversation is sent)
    #[arg(short = 'c', long = "continue")]
    pub continue_last: bool,
    /// Do not store this exchange in the history
    #[arg(long, conflicts_with = "continue_last")]
    pub no_save: bool,
}

fn parse_temperature(s: &str) -> Result<f32, String> {
    let t: f32 = s.parse().map_err(|_| format!("“{s}” is not a number"))?;
    if (0.0..=2.0).contains(&t) {
        Ok(t)
    } else {
        Err("the temperature must be between 0 and 2".to_owned())
    }
}

fn parse_mib(s: &str) -> Result<usize, String> {
    let mib: f64 = s
        .parse()
        .map_err(|_| format!("“{s}” is not a number of MiB"))?;
    if mib.is_finite() && mib > 0.0 && mib <= 1024.0 {
        Ok((mib * 1024.0 * 1024.0) as usize)
    } else {
        Err("the size must be more than 0 and at most 1024 MiB".to_owned())
    }
}

fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("“{s}” is not a number of seconds"))?;
    if secs.is_finite() && secs > 0.0 && secs <= 86_400.0 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err("the timeout must be more than 0 and at most 86400 seconds".to_owned())
    }
}

fn usage_error(kind: Option<ErrorKind>, message: &str) -> i32 {
    let message = printable(message);
    match kind {
        Some(kind) => eprintln!("error [{kind}]: {message}"),
        None => eprintln!("error: {message}"),
    }
    EXIT_USAGE
}

pub async fn run(args: AskArgs) -> i32 {
    let prompt = match read_prompt(&args.prompt) {
        Ok(p) => p,
        Err(message) => return usage_error(None, &message),
    };
    let policy = KeyPolicy {
        allow_cleartext: args.allow_cleartext_key,
    };
    let endpoint = match endpoint_for(Arc::new(OsKeyring), &args.profile, &args.base_url, policy)
        .await
    {
        Ok(e) => e,
        Err(e) if e.kind == ErrorKind::NoApiKey => {
            return usage_error(
                Some(e.kind),
                &format!(
                    "{} Store one in the system keyring with `palaver key set{}{}` (it reads the key from stdin), or set OPENAI_API_KEY.",
                    e.message,
                    profile_flag(&args.profile),
                    base_url_flag(&args.base_url)
                ),
            )
        }
        Err(e) if matches!(e.kind, ErrorKind::KeyringUnavailable | ErrorKind::InsecureKey) => {
            return usage_error(Some(e.kind), &e.message)
        }
        Err(e) => return usage_error(None, &e.message),
    };
    let client = match LlmClient::new(ClientOptions {
        idle_timeout: args.idle_timeout,
        retry: RetryPolicy {
            max_retries: args.retries,
            ..RetryPolicy::default()
        },
        max_reply_bytes: args.max_reply_size,
        ..ClientOptions::default()
    }) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error [{}]: {}", e.kind, e.message);
            return EXIT_FAILED;
        }
    };

    let history = if args.no_save {
        None
    } else {
        match HistoryDb::open_default() {
            Ok(db) => {
                let _ = db.recover_interrupted();
                Some(db)
            }
            Err(e) if args.continue_last => return usage_error(None, &e.to_string()),
            Err(e) => {
                eprintln!("warning: this exchange will not be saved: {e}");
                None
            }
        }
    };
    let turn = match &history {
        Some(db) => match begin_turn(db, &args, &prompt) {
            Ok(turn) => Some(turn),
            Err(e) if args.continue_last => return usage_error(None, &e),
            Err(e) => {
                eprintln!("warning: this exchange will not be saved: {e}");
                None
            }
        },
        None => None,
    };

    let cancel = CancellationToken::new();
    let interrupted = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let cancel = cancel.clone();
        let interrupted = interrupted.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                interrupted.store(true, std::sync::atomic::Ordering::SeqCst);
                cancel.cancel();
            }
        });
    }

    let mut sink = TerminalSink::new(args.json, args.show_reasoning, cancel.clone());
    let outcome = match (&history, &turn) {
        (Some(db), Some(turn)) => {
            let (outcome, save_error) = run_turn(
                &client,
                &endpoint,
                db,
                turn,
                &args.model,
                args.temperature,
                new_stream_id(),
                &mut sink,
                &cancel,
            )
            .await;
            sink.end_answer();
            if let Some(e) = save_error {
                eprintln!("warning: the reply was shown but not saved: {e}");
            }
            outcome
        }
        _ => {
            let mut messages = Vec::with_capacity(2);
            if let Some(system) = args.system.as_deref().filter(|s| !s.trim().is_empty()) {
                messages.push(Message::system(system));
            }
            messages.push(Message::user(prompt));
            let request = ChatRequest {
                model: args.model.clone(),
                messages,
                temperature: args.temperature,
            };
            let ids = StreamIds {
                stream_id: new_stream_id(),
                ..StreamIds::default()
            };
            let outcome =
                stream_reply(&client, &endpoint, &request, ids, &mut sink, &cancel, None).await;
            sink.end_answer();
            outcome
        }
    };

    match outcome.result {
        Ok(FinishReason::Cancelled) if sink.stdout_closed => EXIT_OK,
        Ok(FinishReason::Cancelled) => {
            if interrupted.load(std::sync::atomic::Ordering::SeqCst) {
                eprintln!("palaver: interrupted");
            }
            EXIT_INTERRUPTED
        }
        Ok(FinishReason::Length) => {
            eprintln!(
                "note: the answer stopped at the model's length limit (finish_reason: length)."
            );
            EXIT_OK
        }
        Ok(FinishReason::ContentFilter) => {
            eprintln!("note: the provider's content filter stopped the answer (finish_reason: content_filter).");
            EXIT_OK
        }
        Ok(_) => EXIT_OK,
        Err(error) => {
            eprintln!("error [{}]: {}", error.kind, printable(&error.message));
            if let Some(hint) = hint_for(&error, &endpoint, &args.profile) {
                eprintln!("hint: {hint}");
            }
            EXIT_FAILED
        }
    }
}

/// Stores the question before anything is sent; with `--continue`, after the latest
/// conversation's shown branch, keeping its system prompt unless `-s` gives a new one.
fn begin_turn(db: &HistoryDb, args: &AskArgs, prompt: &str) -> Result<Turn, String> {
    let (conversation_id, stored_system) = if args.continue_last {
        let id = db
            .latest_conversation_id()
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "there is no conversation to continue yet".to_owned())?;
        let system = db
            .conversation(&id)
            .map_err(|e| e.to_string())?
            .system_prompt;
        (Some(id), system)
    } else {
        (None, String::new())
    };
    db.begin_turn(&TurnRequest {
        conversation_id,
        kind: TurnKind::Ask {
            text: prompt.to_owned(),
        },
        model: args.model.clone(),
        system_prompt: args.system.clone().unwrap_or(stored_system),
        profile: args.profile.clone(),
        source: Source::Cli,
    })
    .map_err(|e| e.to_string())
}

fn profile_flag(profile: &str) -> String {
    if profile == DEFAULT_PROFILE {
        String::new()
    } else {
        format!(" --profile {profile}")
    }
}

fn base_url_flag(base_url: &str) -> String {
    if base_url.trim_end_matches('/') == OPENAI_BASE_URL {
        String::new()
    } else {
        format!(" --base-url {base_url}")
    }
}

fn hint_for(error: &ChatError, endpoint: &Endpoint, profile: &str) -> Option<String> {
    match error.kind {
        ErrorKind::Auth if endpoint.api_key().is_none() => Some(format!(
            "this server wants an API key: store one for it with `palaver key set --profile {profile} --base-url {}` or set OPENAI_API_KEY.",
            endpoint.base_url()
        )),
        ErrorKind::Auth => Some(format!(
            "check which key is in use with `palaver key status --profile {profile}`."
        )),
        ErrorKind::Network if error.message.starts_with("Could not connect") => Some(format!(
            "is the server at {} running and reachable?",
            endpoint.base_url()
        )),
        _ => None,
    }
}

fn read_prompt(words: &[String]) -> Result<String, String> {
    let from_stdin = words.is_empty() || (words.len() == 1 && words[0] == "-");
    let prompt = if from_stdin {
        let mut stdin = std::io::stdin();
        if stdin.is_terminal() {
            eprintln!("(type the question, then Ctrl-D)");
        }
        let mut text = String::new();
        stdin
            .read_to_string(&mut text)
            .map_err(|e| format!("could not read the prompt from stdin: {e}"))?;
        text
    } else {
        words.join(" ")
    };
    if prompt.trim().is_empty() {
        return Err("the prompt is empty: pass it as arguments or on stdin".to_owned());
    }
    Ok(prompt)
}

pub(crate) fn new_stream_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Writes events to the terminal: answer text (or NDJSON) on stdout, thinking on stderr.
struct TerminalSink {
    json: bool,
    /// stdout is a terminal: the answer is shown without control sequences.
    stdout_is_terminal: bool,
    show_reasoning: bool,
    ends_with_newline: bool,
    wrote_answer: bool,
    reasoning_open: bool,
    stdout_closed: bool,
    cancel: CancellationToken,
}

impl TerminalSink {
    fn new(json: bool, show_reasoning: bool, cancel: CancellationToken) -> Self {
        TerminalSink {
            json,
            stdout_is_terminal: std::io::stdout().is_terminal(),
            show_reasoning,
            ends_with_newline: true,
            wrote_answer: false,
            reasoning_open: false,
            stdout_closed: false,
            cancel,
        }
    }

    fn write_stdout(&mut self, bytes: &[u8]) {
        if self.stdout_closed {
            return;
        }
        let mut out = std::io::stdout().lock();
        if out.write_all(bytes).and_then(|()| out.flush()).is_err() {
            // The reader went away (`| head`): stop the request instead of generating into nothing.
            self.stdout_closed = true;
            self.cancel.cancel();
        }
    }

    fn close_reasoning(&mut self) {
        if self.reasoning_open {
            eprintln!();
            self.reasoning_open = false;
        }
    }

    /// Ends the answer with a newline if it has text that lacks one.
    fn end_answer(&mut self) {
        self.close_reasoning();
        if !self.json && self.wrote_answer && !self.ends_with_newline {
            self.write_stdout(b"\n");
        }
    }
}

impl ChatSink for TerminalSink {
    fn send(&mut self, event: ChatEvent) {
        if self.json {
            match serde_json::to_vec(&event) {
                Ok(mut line) => {
                    line.push(b'\n');
                    self.write_stdout(&line);
                }
                Err(e) => eprintln!("error: could not encode an event: {e}"),
            }
            return;
        }
        match event {
            ChatEvent::Delta { text } => {
                self.close_reasoning();
                let text = if self.stdout_is_terminal {
                    printable(&text)
                } else {
                    // Piped output is the model's text exactly, for the program reading it.
                    std::borrow::Cow::Borrowed(text.as_str())
                };
                if !text.is_empty() {
                    self.wrote_answer = true;
                    self.ends_with_newline = text.ends_with('\n');
                    self.write_stdout(text.as_bytes());
                }
            }
            ChatEvent::Reasoning { text } if self.show_reasoning => {
                let mut err = std::io::stderr().lock();
                if !self.reasoning_open {
                    let _ = err.write_all(b"thinking: ");
                    self.reasoning_open = true;
                }
                let _ = err.write_all(printable(&text).as_bytes());
                let _ = err.flush();
            }
            _ => {}
        }
    }
}
