//! Property tests of the event-stream reader: whatever way a server cuts its bytes into
//! reads, a valid stream gives the same answer, and no stream — valid, broken or random —
//! makes it panic or hang.
//!
//! CI runs a bounded number of cases. For a longer hunt:
//! `PROPTEST_CASES=20000 cargo test --release --test stream_props`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use mock_openai::{chunk, finish_chunk, reasoning_chunk, DONE};
use palaver_core::llm::{
    read_event_stream, ChatError, FinishReason, StreamEvent, StreamLimits, StreamSink,
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

fn limits() -> StreamLimits {
    StreamLimits {
        idle_timeout: Duration::from_secs(5),
        max_reply_bytes: 1024 * 1024,
        max_event_bytes: 64 * 1024,
    }
}

/// Feeds `body` to the reader cut at `cuts` (byte offsets, any order, any value).
fn read(body: &[u8], cuts: &[usize]) -> (Collected, Result<FinishReason, ChatError>) {
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
        let stream = futures_util::stream::iter(reads);
        let result = tokio::time::timeout(
            Duration::from_secs(10),
            read_event_stream(stream, limits(), &mut sink),
        )
        .await
        .expect("the reader hung");
        (sink, result)
    })
}

/// A piece of a valid stream.
#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Thinking(String),
    Comment(String),
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        4 => any::<String>().prop_map(Piece::Text),
        1 => any::<String>().prop_map(Piece::Thinking),
        1 => "[^\r\n]{0,40}".prop_map(Piece::Comment),
    ]
}

fn body_of(pieces: &[Piece], crlf: bool) -> (Vec<u8>, String, String) {
    let (mut body, mut text, mut thinking) = (String::new(), String::new(), String::new());
    for p in pieces {
        match p {
            Piece::Text(t) => {
                body.push_str(&chunk(t));
                text.push_str(t);
            }
            Piece::Thinking(t) => {
                body.push_str(&reasoning_chunk("reasoning_content", t));
                thinking.push_str(t);
            }
            Piece::Comment(c) => body.push_str(&format!(":{c}\n\n")),
        }
    }
    body.push_str(&finish_chunk("stop"));
    body.push_str(DONE);
    if crlf {
        body = body.replace('\n', "\r\n");
    }
    (body.into_bytes(), text, thinking)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(128),
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_valid_stream_gives_the_same_answer_however_it_is_split(
        pieces in prop::collection::vec(piece(), 0..24),
        cuts in prop::collection::vec(any::<usize>(), 0..40),
        crlf in any::<bool>(),
    ) {
        let (body, text, thinking) = body_of(&pieces, crlf);
        let (sink, result) = read(&body, &cuts);
        prop_assert_eq!(result, Ok(FinishReason::Stop));
        prop_assert_eq!(sink.text, text);
        prop_assert_eq!(sink.reasoning, thinking);
    }

    #[test]
    fn a_stream_cut_short_keeps_a_prefix_of_the_answer_and_says_so(
        pieces in prop::collection::vec(piece(), 0..12),
        cut_at in any::<usize>(),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        let (mut body, text, _) = body_of(&pieces, false);
        let finish_at = body.len() - DONE.len() - finish_chunk("stop").len();
        let cut = cut_at % (body.len() + 1);
        body.truncate(cut);
        let (sink, result) = read(&body, &cuts);
        prop_assert!(text.starts_with(&sink.text), "{:?} is not a prefix of {:?}", sink.text, text);
        if cut < finish_at {
            prop_assert!(result.is_err(), "a cut-off stream counted as complete");
        }
    }

    #[test]
    fn garbage_after_any_prefix_never_panics_or_hangs(
        pieces in prop::collection::vec(piece(), 0..12),
        cut_at in any::<usize>(),
        garbage in prop::collection::vec(any::<u8>(), 0..200),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        let (mut body, _, _) = body_of(&pieces, false);
        body.truncate(cut_at % (body.len() + 1));
        body.extend_from_slice(&garbage);
        let _ = read(&body, &cuts);
    }

    #[test]
    fn random_bytes_never_panic(
        body in prop::collection::vec(any::<u8>(), 0..2000),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        let _ = read(&body, &cuts);
    }
}
