//! Replies for the render benchmark (`ui/e2e/bench-render.mjs`): `count` tokens sent at a
//! steady rate or all at once, shaped as everyday markdown or as one long paragraph, with
//! marker words that a probe in the page can find in the rendered text, and the send time of
//! every marker recorded for `GET /_mock/sent` ([`crate::SENT_PATH`]).
//!
//! Tokens are numbered from 1. Token `i` is a marker when `i` is a multiple of
//! [`MARKER_EVERY`], and the last token always is one, so that "the whole reply is on
//! screen" is the moment the last marker is. A marker is the word `m` + the index in at least
//! six digits (`m000050`): it takes the place of an ordinary word, so it survives markdown
//! wherever it lands (paragraph, heading, list item, table cell, quote, code) and no syntax
//! around it breaks. For that every token of a shape ends in such a word: markup that is not
//! a word (`|---|`, a fence line, `-`, `**`) travels with the word after it.
//!
//! The pace is an absolute schedule: token `i` is due `(i - 1) / rate` seconds after the
//! start, and each time the timer fires every token already due goes out in one write. A
//! sleep per token would drift by the timer's granularity (about a millisecond in tokio) on
//! every token, which at 2,000 tokens a second would halve the rate. Without a rate the
//! tokens go out in writes of [`BURST_WRITE_BYTES`] as fast as the client reads them.

use std::ops::Range;
use std::sync::OnceLock;
use std::time::Duration;

/// Every this many tokens, one is a marker.
pub const MARKER_EVERY: usize = 50;

/// The size of each write when there is no rate: large, as a fast server's are.
pub const BURST_WRITE_BYTES: usize = 256 * 1024;

/// What the tokens make once rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A repeating set of everyday blocks: a heading, paragraphs, a bullet list, a table, a
    /// fenced code block of 15 lines and a block quote.
    Markdown,
    /// One paragraph without a single line break.
    Paragraph,
}

/// A benchmark reply as a tag asks for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paced {
    pub count: usize,
    pub shape: Shape,
    /// Tokens a second; `None`: all at once.
    pub rate: Option<f64>,
}

/// `[rate RATE COUNT SHAPE]` or `[burst COUNT SHAPE]` in a prompt (SHAPE is `markdown`, the
/// default, or `paragraph`).
pub fn tag(prompt: &str) -> Option<Paced> {
    prompt.match_indices('[').find_map(|(open, _)| {
        let inner = &prompt[open + 1..];
        parse_tag(&inner[..inner.find(']')?])
    })
}

fn parse_tag(inner: &str) -> Option<Paced> {
    let words: Vec<&str> = inner.split_whitespace().collect();
    let shape = |word: Option<&&str>| match word.copied() {
        None | Some("markdown") => Some(Shape::Markdown),
        Some("paragraph") => Some(Shape::Paragraph),
        Some(_) => None,
    };
    match words.as_slice() {
        ["rate", rate, count, more @ ..] if more.len() <= 1 => {
            let rate: f64 = rate.parse().ok().filter(|r: &f64| *r > 0.0)?;
            Some(Paced {
                count: count.parse().ok().filter(|n| *n > 0)?,
                shape: shape(more.first())?,
                rate: Some(rate),
            })
        }
        ["burst", count, more @ ..] if more.len() <= 1 => Some(Paced {
            count: count.parse().ok().filter(|n| *n > 0)?,
            shape: shape(more.first())?,
            rate: None,
        }),
        _ => None,
    }
}

/// Whether token `i` (from 1) of a reply of `count` tokens is a marker.
pub fn is_marker(i: usize, count: usize) -> bool {
    i.is_multiple_of(MARKER_EVERY) || i == count
}

/// The marker word of token `i`.
pub fn marker(i: usize) -> String {
    format!("m{i:06}")
}

/// The text of token `i` (from 1) of a reply of `count` tokens.
pub fn token(shape: Shape, i: usize, count: usize) -> String {
    let cycle = cycle(shape);
    let text = &cycle[(i - 1) % cycle.len()];
    if !is_marker(i, count) {
        return text.clone();
    }
    let (before, word) = split_last_word(text);
    format!("{before}{}{}", marker(i), &word[letters(word)..])
}

/// Appends token `i` as text fit to go inside a JSON string, which is what
/// [`crate::Wire::push_token`] takes.
pub(crate) fn push_json_token(out: &mut String, shape: Shape, i: usize, count: usize) {
    for c in token(shape, i, count).chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
}

/// Which tokens are due, and when the next one is.
#[derive(Debug, Clone)]
pub struct Schedule {
    count: usize,
    rate: Option<f64>,
    /// The next token to send, from 1.
    next: usize,
}

impl Schedule {
    pub fn new(paced: &Paced) -> Schedule {
        Schedule {
            count: paced.count,
            rate: paced.rate,
            next: 1,
        }
    }

    /// The tokens to send now, `elapsed` after the start: every one due and not yet sent
    /// (with no rate: all that are left).
    pub fn due(&mut self, elapsed: Duration) -> Range<usize> {
        let end = match self.rate {
            // Token i is due at (i - 1) / rate; the tokens due by `elapsed` are 1..=floor(elapsed × rate) + 1.
            Some(rate) => ((elapsed.as_secs_f64() * rate).floor() as usize + 1).min(self.count),
            None => self.count,
        };
        let due = self.next..(end + 1).max(self.next);
        self.next = due.end;
        due
    }

    /// When the next token is due, from the start; `None` once every token is sent.
    pub fn next_due(&self) -> Option<Duration> {
        if self.next > self.count {
            return None;
        }
        let rate = self.rate.unwrap_or(f64::INFINITY);
        Some(Duration::from_secs_f64((self.next - 1) as f64 / rate))
    }
}

/// The tokens of one round of a shape, each ending in a word a marker can stand for.
fn cycle(shape: Shape) -> &'static [String] {
    static MARKDOWN: OnceLock<Vec<String>> = OnceLock::new();
    static PARAGRAPH: OnceLock<Vec<String>> = OnceLock::new();
    match shape {
        Shape::Markdown => MARKDOWN.get_or_init(|| word_tokens(MARKDOWN_ROUND)),
        Shape::Paragraph => PARAGRAPH.get_or_init(|| word_tokens(PARAGRAPH_ROUND)),
    }
}

/// Cuts text into tokens of leading whitespace and one chunk of non-whitespace, then joins
/// each chunk that is not a plain word (markup, punctuation, code) to the token after it.
/// Whatever follows the last plain word joins the last token.
fn word_tokens(text: &str) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        current.push(c);
        let chunk_ends = !c.is_whitespace() && chars.peek().is_none_or(|(_, n)| n.is_whitespace());
        if chunk_ends && is_plain_word(split_last_word(&current).1) {
            tokens.push(std::mem::take(&mut current));
        }
    }
    match tokens.last_mut() {
        Some(last) => last.push_str(&current),
        None => tokens.push(current),
    }
    tokens
}

/// The text before the last chunk of non-whitespace, and that chunk.
fn split_last_word(text: &str) -> (&str, &str) {
    let at = text
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    text.split_at(at)
}

/// A word of letters, with at most one mark of punctuation after it.
fn is_plain_word(chunk: &str) -> bool {
    let n = letters(chunk);
    n > 0 && matches!(&chunk[n..], "" | "." | "," | ":" | ";" | "?" | "!")
}

/// How many bytes of ASCII letters `chunk` starts with.
fn letters(chunk: &str) -> usize {
    chunk
        .bytes()
        .take_while(|b| b.is_ascii_alphabetic())
        .count()
}

/// One round of the markdown shape. It starts with a blank line so that rounds stay apart.
const MARKDOWN_ROUND: &str = r#"

## Notes on the release plan

The team reviewed the open items this morning and agreed on a schedule for the next release. Most of the work is already done, and what remains is testing, packaging and the notes that go with it.

Each change was checked against the list below, and anything that could not be verified on every platform was moved to the following milestone. The numbers in the table come from the nightly runs.

- Streaming replies render as they arrive, without waiting for the end.
- Long conversations open quickly and scroll without stutter.
- Keys stay in the system keyring and never touch the disk.
- Search finds words in every stored message.

| Area | Owner | Status | Notes |
|---|---|---|---|
| Rendering | Ada | done | faster on long replies |
| History | Brian | review | import is checked |
| Packaging | Chen | open | needs signing |
| Settings | Dana | done | profiles work |
| Updates | Emil | open | waiting on keys |

```rust
fn summarize(items: &[Item]) -> Summary {
    let mut summary = Summary::default();
    for item in items {
        if item.done {
            summary.done += 1;
        } else {
            summary.open += 1;
        }
        summary.total += item.weight;
    }
    let ratio = summary.done as f64 / items.len().max(1) as f64;
    summary.ratio = ratio;
    println!("{} of {} items done", summary.done, items.len());
    summary
}
```

> Remember that a release is only as good as its weakest platform, so test the packages on every system before anything ships.

In short, the plan holds, and the next review is on Friday."#;

/// One round of the paragraph shape: sentences, no line break anywhere. It starts with a
/// space so that rounds stay apart.
const PARAGRAPH_ROUND: &str = " The reply keeps going in one long paragraph, sentence after sentence, with no blank line and no line break at all. Words arrive a few at a time, and the renderer has to show them as they come without starting the paragraph over. A reader follows the last line as it grows, so every new word should appear within a frame or two of its arrival. Nothing in this text is markup, which makes it the plainest case and also the hardest for a renderer that parses its last block again on every frame.";

#[cfg(test)]
mod tests {
    use super::*;

    fn text(shape: Shape, count: usize) -> String {
        (1..=count).map(|i| token(shape, i, count)).collect()
    }

    #[test]
    fn tags_are_parsed() {
        let p = tag("go [rate 2000 20000 paragraph] now").unwrap();
        assert_eq!(
            p,
            Paced {
                count: 20000,
                shape: Shape::Paragraph,
                rate: Some(2000.0)
            }
        );
        let b = tag("[burst 200000]").unwrap();
        assert_eq!((b.count, b.shape, b.rate), (200000, Shape::Markdown, None));
        assert_eq!(tag("[slow] [burst 10 markdown]").unwrap().count, 10);
        assert_eq!(tag("[rate 0 10]"), None);
        assert_eq!(tag("[burst 10 poem]"), None);
        assert_eq!(tag("[long 10]"), None);
    }

    #[test]
    fn every_fiftieth_token_and_the_last_are_markers_in_order() {
        for shape in [Shape::Markdown, Shape::Paragraph] {
            let count = 1234;
            let all = text(shape, count);
            let found: Vec<usize> = all
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter_map(|w| w.strip_prefix('m')?.parse().ok())
                .collect();
            let mut expected: Vec<usize> = (1..=count / MARKER_EVERY).map(|k| k * 50).collect();
            expected.push(count);
            assert_eq!(found, expected, "{shape:?}");
        }
        assert!(token(Shape::Paragraph, 200000, 200000).ends_with("m200000"));
    }

    #[test]
    fn every_token_of_a_round_ends_in_a_word_a_marker_can_replace() {
        for shape in [Shape::Markdown, Shape::Paragraph] {
            let round = cycle(shape);
            assert!(round.len() > 50, "{shape:?}: {} tokens", round.len());
            for t in round {
                assert!(is_plain_word(split_last_word(t).1), "{shape:?}: {t:?}");
            }
        }
        let joined: String = cycle(Shape::Markdown).concat();
        assert_eq!(joined, MARKDOWN_ROUND);
    }

    #[test]
    fn the_markdown_shape_holds_every_block_and_markers_land_in_each() {
        let round = cycle(Shape::Markdown).len();
        let all = text(Shape::Markdown, round * MARKER_EVERY);
        for block in ["\n## ", "\n- ", "\n|---|", "\n```rust\n", "\n```\n", "\n> "] {
            assert!(all.contains(block), "{block:?}");
        }
        // Over 50 rounds a marker stands for every word of the round once, so some land in
        // each kind of block.
        let line_of = |prefix: &str| {
            all.lines()
                .any(|l| l.starts_with(prefix) && l.contains(" m0"))
        };
        assert!(line_of("## "), "heading");
        assert!(line_of("- "), "list item");
        assert!(line_of("| "), "table cell");
        assert!(line_of("> "), "quote");
        assert!(line_of("    "), "code");
        assert_eq!(all.matches("```").count() % 2, 0, "every fence closes");
    }

    #[test]
    fn the_paragraph_shape_has_no_line_break() {
        assert!(!text(Shape::Paragraph, 5000).contains('\n'));
    }

    #[test]
    fn tokens_are_json_safe() {
        let (round, count) = (cycle(Shape::Markdown).len(), 10_000);
        let mut out = String::new();
        for i in 1..=round {
            push_json_token(&mut out, Shape::Markdown, i, count);
        }
        let parsed: String = serde_json::from_str(&format!("\"{out}\"")).unwrap();
        let plain: String = (1..=round)
            .map(|i| token(Shape::Markdown, i, count))
            .collect();
        assert_eq!(parsed, plain);
        assert!(plain.contains('"') && plain.contains('\n'));
    }

    #[test]
    fn the_schedule_is_absolute_and_sends_what_is_due_at_once() {
        let mut s = Schedule::new(&Paced {
            count: 10,
            shape: Shape::Paragraph,
            rate: Some(1000.0),
        });
        assert_eq!(s.next_due(), Some(Duration::ZERO));
        assert_eq!(s.due(Duration::ZERO), 1..2);
        assert_eq!(s.next_due(), Some(Duration::from_millis(1)));
        // The timer fired late: everything due by 3.5 ms goes now, nothing early.
        assert_eq!(s.due(Duration::from_micros(3500)), 2..5);
        assert_eq!(s.next_due(), Some(Duration::from_millis(4)));
        assert_eq!(s.due(Duration::from_micros(3900)), 5..5);
        assert_eq!(s.due(Duration::from_secs(1)), 5..11);
        assert_eq!(s.next_due(), None);
        assert_eq!(s.due(Duration::from_secs(2)), 11..11);
    }

    #[test]
    fn without_a_rate_every_token_is_due_at_once() {
        let mut s = Schedule::new(&Paced {
            count: 200_000,
            shape: Shape::Markdown,
            rate: None,
        });
        assert_eq!(s.next_due(), Some(Duration::ZERO));
        assert_eq!(s.due(Duration::ZERO), 1..200_001);
        assert_eq!(s.next_due(), None);
    }

    /// Sends `request` and reads the chunked response to its end.
    async fn exchange(addr: std::net::SocketAddr, request: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
        socket.write_all(request.as_bytes()).await.unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 65536];
        while !got.ends_with(b"0\r\n\r\n") {
            let n = socket.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed early");
            got.extend_from_slice(&buf[..n]);
        }
        String::from_utf8(got).unwrap()
    }

    #[tokio::test]
    async fn the_server_tells_when_each_marker_went_out() {
        let server = crate::MockServer::start_with(
            "127.0.0.1:0",
            crate::Fallback::Demo(crate::DemoOptions::default()),
        )
        .await
        .unwrap();
        let body =
            r#"{"model":"m","messages":[{"role":"user","content":"[rate 1000 120 paragraph]"}]}"#;
        let reply = exchange(
            server.addr(),
            &format!(
                "POST /v1/chat/completions HTTP/1.1\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            ),
        )
        .await;
        assert!(reply.contains("m000050") && reply.contains("m000120"));
        assert!(reply.contains("[DONE]"));
        let sent = exchange(server.addr(), "GET /_mock/sent HTTP/1.1\r\n\r\n").await;
        let json = &sent[sent.find('{').unwrap()..=sent.rfind('}').unwrap()];
        let sent: serde_json::Value = serde_json::from_str(json).unwrap();
        let markers: Vec<(u64, f64)> = serde_json::from_value(sent["markers"].clone()).unwrap();
        assert_eq!(
            markers.iter().map(|m| m.0).collect::<Vec<_>>(),
            [50, 100, 120]
        );
        let started = sent["startedAtMs"].as_f64().unwrap();
        // Token 100 is due 99 ms after the start: not before, and not long after.
        let at_100 = markers[1].1 - started;
        assert!((99.0..400.0).contains(&at_100), "{at_100} ms");
        assert!(sent["lastByteAtMs"].as_f64().unwrap() >= markers[2].1);
        assert_eq!(server.requests().len(), 1, "the record is not a request");
    }
}
