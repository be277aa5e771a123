//! Property tests of the event-stream reader in Anthropic Messages and OpenAI Responses:
//! whatever way a server cuts its bytes into reads, a valid stream gives the same answer
//! and thinking; a stream cut short keeps a prefix and fails; nothing panics or hangs.
//! `tests/stream_props.rs` does the same for Chat Completions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use mock_openai::{anthropic, responses};
use palaver_core::llm::{
    read_event_stream_for, ChatError, FinishReason, Protocol, StreamEvent, StreamLimits, StreamSink,
};
use proptest::prelude::*;
use std::time::Duration;

#[derive(Default)]
struct Collected {
    text: String,
    reasoning: String,
}

impl StreamSink for Collected {
    fn event(&mut self, event: StreamEvent) {
        match event {
            StreamEvent::Delta(t) => self.text.push_str(&t),
            StreamEvent::Reasoning(t) => self.reasoning.push_str(&t),
            StreamEvent::Usage(_) => {}
        }
    }
}

fn read(
    protocol: Protocol,
    body: &[u8],
    cuts: &[usize],
) -> (Collected, Result<FinishReason, ChatError>) {
    let mut at: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
    at.push(0);
    at.push(body.len());
    at.sort_unstable();
    at.dedup();
    let reads: Vec<Result<Bytes, std::io::Error>> = at
        .windows(2)
        .map(|w| Ok(Bytes::copy_from_slice(&body[w[0]..w[1]])))
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut sink = Collected::default();
        let limits = StreamLimits {
            idle_timeout: Duration::from_secs(5),
            max_reply_bytes: 1024 * 1024,
            max_event_bytes: 64 * 1024,
        };
        let result = tokio::time::timeout(
            Duration::from_secs(10),
            read_event_stream_for(
                protocol,
                futures_util::stream::iter(reads),
                limits,
                &mut sink,
            ),
        )
        .await
        .expect("the reader hung");
        (sink, result)
    })
}

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Thinking(String),
    /// A comment, or Anthropic's `ping`.
    KeepAlive(String),
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        4 => any::<String>().prop_map(Piece::Text),
        1 => any::<String>().prop_map(Piece::Thinking),
        1 => "[^\r\n]{0,40}".prop_map(Piece::KeepAlive),
    ]
}

fn protocol() -> impl Strategy<Value = Protocol> {
    prop_oneof![Just(Protocol::Messages), Just(Protocol::Responses)]
}

/// The body, the answer, the thinking, and where the event that completes the answer
/// starts.
fn body_of(protocol: Protocol, pieces: &[Piece], crlf: bool) -> (Vec<u8>, String, String, usize) {
    let (mut body, mut text, mut thinking) = (String::new(), String::new(), String::new());
    body.push_str(&match protocol {
        Protocol::Messages => anthropic::head(3),
        _ => responses::created(),
    });
    for p in pieces {
        match (p, protocol) {
            (Piece::Text(t), Protocol::Messages) => body.push_str(&anthropic::text_delta(t)),
            (Piece::Text(t), _) => body.push_str(&responses::text_delta(t)),
            (Piece::Thinking(t), Protocol::Messages) => {
                body.push_str(&anthropic::thinking_delta(t))
            }
            (Piece::Thinking(t), _) => body.push_str(&responses::summary_delta(0, t)),
            (Piece::KeepAlive(_), Protocol::Messages) => body.push_str(&anthropic::ping()),
            (Piece::KeepAlive(c), _) => body.push_str(&format!(":{c}\n\n")),
        }
        match p {
            Piece::Text(t) => text.push_str(t),
            Piece::Thinking(t) => thinking.push_str(t),
            Piece::KeepAlive(_) => {}
        }
    }
    let finish_at;
    match protocol {
        Protocol::Messages => {
            body.push_str(&anthropic::content_block_stop(0));
            finish_at = body.len();
            body.push_str(&anthropic::message_delta("end_turn", 9));
            body.push_str(&anthropic::message_stop());
        }
        _ => {
            body.push_str(&responses::text_done(&text));
            finish_at = body.len();
            body.push_str(&responses::completed(3, 9));
        }
    }
    if crlf {
        // Every line break before the finish becomes two bytes.
        let breaks = body[..finish_at].matches('\n').count();
        return (
            body.replace('\n', "\r\n").into_bytes(),
            text,
            thinking,
            finish_at + breaks,
        );
    }
    (body.into_bytes(), text, thinking, finish_at)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(128),
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_valid_stream_gives_the_same_answer_however_it_is_split(
        protocol in protocol(),
        pieces in prop::collection::vec(piece(), 0..24),
        cuts in prop::collection::vec(any::<usize>(), 0..40),
        crlf in any::<bool>(),
    ) {
        let (body, text, thinking, _) = body_of(protocol, &pieces, crlf);
        let (sink, result) = read(protocol, &body, &cuts);
        prop_assert_eq!(result, Ok(FinishReason::Stop));
        prop_assert_eq!(sink.text, text);
        prop_assert_eq!(sink.reasoning, thinking);
    }

    #[test]
    fn a_stream_cut_short_keeps_a_prefix_of_the_answer_and_says_so(
        protocol in protocol(),
        pieces in prop::collection::vec(piece(), 0..12),
        cut_at in any::<usize>(),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        let (mut body, text, _, finish_at) = body_of(protocol, &pieces, false);
        let cut = cut_at % (body.len() + 1);
        body.truncate(cut);
        let (sink, result) = read(protocol, &body, &cuts);
        prop_assert!(text.starts_with(&sink.text), "{:?} is not a prefix of {:?}", sink.text, text);
        if cut < finish_at {
            prop_assert!(result.is_err(), "a cut-off stream counted as complete");
        }
    }

    #[test]
    fn garbage_after_any_prefix_never_panics_or_hangs(
        protocol in protocol(),
        pieces in prop::collection::vec(piece(), 0..12),
        cut_at in any::<usize>(),
        garbage in prop::collection::vec(any::<u8>(), 0..200),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        let (mut body, _, _, _) = body_of(protocol, &pieces, false);
        body.truncate(cut_at % (body.len() + 1));
        body.extend_from_slice(&garbage);
        let _ = read(protocol, &body, &cuts);
    }
}
