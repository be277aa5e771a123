//! `palaver ask`: one question, the answer streamed to stdout as it arrives.

use super::terminal::printable;
use super::UsageError;
use super::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE};
use palaver_core::chat::{endpoint_for, run_turn, stream_reply, ChatEvent, ChatSink, StreamIds};
use palaver_core::history::{HistoryDb, HistoryError, Source, Turn, TurnKind, TurnRequest};
use palaver_core::llm::{
    ChatError, ChatRequest, ClientOptions, Endpoint, ErrorKind, FinishReason, LlmClient, Message,
    RetryPolicy,
};
use palaver_core::secrets::OsKeyring;
use palaver_core::settings::{self, Effective, FileState, Origin, Overrides, Sourced};
use std::io::{IsTerminal, Read, Write};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
pub struct AskArgs {
    /// The question. With none, or "-", it is read from stdin.
    pub prompt: Vec<String>,
    #[command(flatten)]
    pub settings: SettingsFlags,
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

/// What a run may choose instead of the settings file (the app's choices). `palaver config
/// show` takes the same flags and prints what they lead to.
#[derive(Debug, Default, clap::Args)]
pub struct SettingsFlags {
    /// Model name, as the server knows it [default: the app's model; env: PALAVER_MODEL]
    #[arg(short, long)]
    pub model: Option<String>,
    /// A system prompt that sets how the model answers [default: the app's]
    #[arg(short, long)]
    pub system: Option<String>,
    /// Sampling temperature, 0 to 2 [default: the app's, else the server's]
    #[arg(long, value_parser = parse_temperature)]
    pub temperature: Option<f32>,
    /// Another address for the profile's server; without -p, a one-off OpenAI-compatible
    /// server that gets no stored key, only $OPENAI_API_KEY [default: the profile's server,
    /// else $OPENAI_BASE_URL, else OpenAI]
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The provider profile, by name or id (see `palaver profile list`) [default: the
    /// app's default profile]
    #[arg(short, long)]
    pub profile: Option<String>,
    /// Send the stored key even over plain http:// to a server that is not this machine
    /// (anyone on the network could read it)
    #[arg(long)]
    pub allow_cleartext_key: bool,
}

impl SettingsFlags {
    /// What is in effect for this run: the settings file (read without touching it) with
    /// these flags and the environment applied; and what reading the file found, so the
    /// caller can report a file it could not use.
    pub fn effective(&self) -> Result<(Effective, FileState), UsageError> {
        self.effective_after(None)
    }

    /// Like [`SettingsFlags::effective`], with `conversation`'s profile and model (as the
    /// history holds them) in place of the defaults when no flag chooses either.
    pub fn effective_after(
        &self,
        conversation: Option<(String, String)>,
    ) -> Result<(Effective, FileState), UsageError> {
        let (settings, file) = settings::read(&settings::default_path());
        let env = |name: &str| std::env::var(name).ok();
        let flag = |v: &Option<String>| v.clone().map(|v| Sourced::new(v, Origin::Flag));
        let chosen = self.profile.is_some() || self.base_url.is_some() || self.model.is_some();
        let (stored_profile, stored_model) = match conversation {
            Some((profile, model))
                if !chosen && !profile.is_empty() && settings.profile(&profile).is_some() =>
            {
                (
                    Some(Sourced::named(profile, Origin::File, "the conversation")),
                    Some(Sourced::named(model, Origin::File, "the conversation")),
                )
            }
            _ => (None, None),
        };
        let overrides = Overrides {
            profile: flag(&self.profile).or(stored_profile),
            base_url: flag(&self.base_url),
            model: flag(&self.model).or(stored_model).or_else(|| {
                env(MODEL_ENV)
                    .filter(|m| !m.trim().is_empty())
                    .map(|m| Sourced::named(m, Origin::Environment, MODEL_ENV))
            }),
            system_prompt: flag(&self.system),
            temperature: self.temperature.map(|t| Sourced::new(t, Origin::Flag)),
            allow_cleartext_key: self.allow_cleartext_key,
        };
        let effective = Effective::resolve(&settings, &file, overrides, env)
            .map_err(|e| UsageError(e.to_string()))?;
        Ok((effective, file))
    }
}

/// Stands in for `--model` when that is not given.
pub const MODEL_ENV: &str = "PALAVER_MODEL";

fn parse_temperature(s: &str) -> Result<f32, UsageError> {
    let t: f32 = s
        .parse()
        .map_err(|_| UsageError(format!("“{s}” is not a number")))?;
    if (0.0..=2.0).contains(&t) {
        Ok(t)
    } else {
        Err(UsageError(
            "the temperature must be between 0 and 2".to_owned(),
        ))
    }
}

fn parse_mib(s: &str) -> Result<usize, UsageError> {
    let mib: f64 = s
        .parse()
        .map_err(|_| UsageError(format!("“{s}” is not a number of MiB")))?;
    if mib.is_finite() && mib > 0.0 && mib <= 1024.0 {
        Ok((mib * 1024.0 * 1024.0) as usize)
    } else {
        Err(UsageError(
            "the size must be more than 0 and at most 1024 MiB".to_owned(),
        ))
    }
}

fn parse_seconds(s: &str) -> Result<Duration, UsageError> {
    let secs: f64 = s
        .parse()
        .map_err(|_| UsageError(format!("“{s}” is not a number of seconds")))?;
    if secs.is_finite() && secs > 0.0 && secs <= 86_400.0 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(UsageError(
            "the timeout must be more than 0 and at most 86400 seconds".to_owned(),
        ))
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
        Err(e) => return usage_error(None, &e.0),
    };
    let conversation = if args.continue_last {
        latest_choice()
    } else {
        None
    };
    let (effective, file) = match args.settings.effective_after(conversation) {
        Ok(found) => found,
        Err(e) => return usage_error(None, &e.0),
    };
    if let Some(problem) = file.problem() {
        eprintln!(
            "warning: the settings file {} is not used: {}; defaults are in use.",
            settings::default_path().display(),
            printable(&problem)
        );
    }
    let profile = effective.profile_name.clone();
    let destination = effective.destination();
    let endpoint = match endpoint_for(Arc::new(OsKeyring), &destination).await {
        Ok(e) => e,
        Err(e) if e.kind == ErrorKind::NoApiKey => {
            return usage_error(
                Some(e.kind),
                &match destination.env_key {
                    Some(env) if effective.one_off => format!("{} Set {env} for this server.", e.message),
                    Some(env) => format!(
                        "{} Store one in the system keyring with `palaver key set{}` (it reads the key from stdin), or set {env}.",
                        e.message,
                        profile_flag(&profile),
                    ),
                    None => format!(
                        "{} Store one in the system keyring with `palaver key set{}` (it reads the key from stdin).",
                        e.message,
                        profile_flag(&profile),
                    ),
                },
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
        Some(db) => match begin_turn(db, &args, &effective, &prompt) {
            Ok(turn) => Some(turn),
            Err(e) if args.continue_last => return usage_error(None, &e.to_string()),
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
                &effective.sampling(),
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
            let system = &effective.system_prompt.value;
            if !system.trim().is_empty() {
                messages.push(Message::system(system));
            }
            messages.push(Message::user(prompt));
            let request = ChatRequest {
                model: effective.model.value.clone(),
                messages,
                temperature: effective.temperature.value,
                max_tokens: effective.max_tokens,
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
            if let Some(hint) = hint_for(&error, &endpoint, &profile) {
                eprintln!("hint: {hint}");
            }
            EXIT_FAILED
        }
    }
}

/// Stores the question before anything is sent; with `--continue`, after the latest
/// conversation's shown branch, keeping its system prompt unless `-s` gives a new one.
fn begin_turn(
    db: &HistoryDb,
    args: &AskArgs,
    effective: &Effective,
    prompt: &str,
) -> Result<Turn, HistoryError> {
    let chosen_now = effective.system_prompt.origin == Origin::Flag;
    let (conversation_id, system_prompt) = if args.continue_last {
        let id = db.latest_conversation_id()?.ok_or_else(|| {
            HistoryError::Invalid("there is no conversation to continue yet".to_owned())
        })?;
        let stored = db.conversation(&id)?.system_prompt;
        let system = if chosen_now {
            effective.system_prompt.value.clone()
        } else {
            stored
        };
        (Some(id), system)
    } else {
        (None, effective.system_prompt.value.clone())
    };
    db.begin_turn(&TurnRequest {
        conversation_id,
        kind: TurnKind::Ask {
            text: prompt.to_owned(),
        },
        model: effective.model.value.clone(),
        system_prompt,
        profile: effective.profile.value.clone(),
        source: Source::Cli,
    })
}

/// The latest conversation's profile and model, for `--continue`.
fn latest_choice() -> Option<(String, String)> {
    let db = HistoryDb::open_default().ok()?;
    let id = db.latest_conversation_id().ok()??;
    db.model_of(&id).ok()
}

fn profile_flag(profile: &str) -> String {
    if profile.is_empty() {
        String::new()
    } else {
        format!(" --profile {}", shell_word(profile))
    }
}

/// `text` as one shell word.
pub(crate) fn shell_word(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

fn hint_for(error: &ChatError, endpoint: &Endpoint, profile: &str) -> Option<String> {
    match error.kind {
        ErrorKind::Auth if endpoint.api_key().is_none() && profile == settings::ONE_OFF_NAME => {
            Some("this server wants an API key: set OPENAI_API_KEY for it, or add it as a profile with `palaver profile add`.".to_owned())
        }
        ErrorKind::Auth if endpoint.api_key().is_none() => Some(format!(
            "this server wants an API key: store one for it with `palaver key set{}`.",
            profile_flag(profile)
        )),
        ErrorKind::Auth => Some(format!(
            "check which key is in use with `palaver key status{}`.",
            profile_flag(profile)
        )),
        ErrorKind::Network if error.message.starts_with("Could not connect") => Some(format!(
            "is the server at {} running and reachable?",
            endpoint.base_url()
        )),
        _ => None,
    }
}

fn read_prompt(words: &[String]) -> Result<String, UsageError> {
    let from_stdin = words.is_empty() || (words.len() == 1 && words[0] == "-");
    let prompt = if from_stdin {
        let mut stdin = std::io::stdin();
        if stdin.is_terminal() {
            eprintln!("(type the question, then Ctrl-D)");
        }
        let mut text = String::new();
        stdin
            .read_to_string(&mut text)
            .map_err(|e| UsageError(format!("could not read the prompt from stdin: {e}")))?;
        text
    } else {
        words.join(" ")
    };
    if prompt.trim().is_empty() {
        return Err(UsageError(
            "the prompt is empty: pass it as arguments or on stdin".to_owned(),
        ));
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
