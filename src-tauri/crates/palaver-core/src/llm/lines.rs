//! The response body cut into whole lines, with a bound on how much one event may hold.
//!
//! `eventsource-stream` keeps an unparsed buffer and scans all of it again whenever bytes
//! arrive; fed a 64 KiB read at once, or a line that never ends, it does quadratic work.
//! [`Lines`] sits in front of it and hands it one complete line at a time (zero-copy slices
//! of the reads), holding a partial line here until its end arrives. Only the bytes of each
//! new read are searched for a line break, so the cost is linear in what arrives.
//!
//! Contract:
//! - Every byte reaches the parser exactly once, in order; the last line is passed on even
//!   without a final line break when the body ends.
//! - An event — the lines between two blank lines, or one line without end — may hold at
//!   most `max_event_bytes`. A server that goes past it gets [`BodyError::TooLarge`] and the
//!   stream ends there; nothing more is buffered.
//! - Every read, whatever it holds (a comment, half a line), is counted in
//!   [`Activity`]: the idle timeout is about a connection that sends no bytes at all, and a
//!   server that sends keep-alive comments while a model thinks is alive.
//!
//! Lines end at `\n` (which also ends a `\r\n`) or at a bare `\r`; the parser splits the
//! pieces again by the rules of the spec.

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

/// Why the body could not be read on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// The connection failed; the text says how.
    Transport(String),
    /// One event passed the bound (in bytes).
    TooLarge(usize),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::Transport(e) => f.write_str(e),
            BodyError::TooLarge(limit) => write!(f, "one event passed {limit} bytes"),
        }
    }
}

/// A count of the bytes received, shared with whoever watches for silence.
#[derive(Debug, Clone, Default)]
pub struct Activity(Arc<AtomicU64>);

impl Activity {
    pub fn bytes(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn add(&self, n: usize) {
        self.0.fetch_add(n as u64, Ordering::Relaxed);
    }
}

pub struct Lines<S> {
    inner: S,
    ready: VecDeque<Bytes>,
    /// The start of a line whose end has not arrived yet.
    partial: BytesMut,
    /// Bytes of the event being received (since the last blank line).
    event_bytes: usize,
    max_event_bytes: usize,
    activity: Activity,
    done: bool,
}

impl<S> Lines<S> {
    pub fn new(inner: S, max_event_bytes: usize, activity: Activity) -> Self {
        Lines {
            inner,
            ready: VecDeque::new(),
            partial: BytesMut::new(),
            event_bytes: 0,
            max_event_bytes,
            activity,
            done: false,
        }
    }

    /// Queues the whole lines of one read. Fails when an event grows past the bound.
    fn take(&mut self, mut read: Bytes) -> Result<(), BodyError> {
        while let Some(at) = memchr(b'\n', &read) {
            let rest = read.split_off(at + 1);
            let line = if self.partial.is_empty() {
                read
            } else {
                self.partial.extend_from_slice(&read);
                self.partial.split().freeze()
            };
            read = rest;
            self.count(&line)?;
            self.ready.push_back(line);
        }
        if read.is_empty() {
            return Ok(());
        }
        // No `\n` is left in `read`, so a `\r` before its last byte is a bare `\r` line end:
        // pass the lines it ends on at once. A `\r` at the very end waits, as it may be the
        // first half of a `\r\n` split across reads.
        if let Some(at) = read[..read.len() - 1].iter().rposition(|&b| b == b'\r') {
            let rest = read.split_off(at + 1);
            self.partial.extend_from_slice(&read);
            self.ready.push_back(self.partial.split().freeze());
            self.event_bytes = 0;
            read = rest;
        }
        self.partial.extend_from_slice(&read);
        if self.event_bytes + self.partial.len() > self.max_event_bytes {
            return Err(BodyError::TooLarge(self.max_event_bytes));
        }
        Ok(())
    }

    fn count(&mut self, line: &[u8]) -> Result<(), BodyError> {
        if line == b"\n" || line == b"\r\n" {
            self.event_bytes = 0;
            return Ok(());
        }
        self.event_bytes += line.len();
        if self.event_bytes > self.max_event_bytes {
            return Err(BodyError::TooLarge(self.max_event_bytes));
        }
        Ok(())
    }
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

impl<S, E> Stream for Lines<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(line) = this.ready.pop_front() {
                return Poll::Ready(Some(Ok(line)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            match Pin::new(&mut this.inner).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(read))) => {
                    this.activity.add(read.len());
                    if let Err(e) = this.take(read) {
                        this.done = true;
                        this.ready.clear();
                        this.partial.clear();
                        return Poll::Ready(Some(Err(e)));
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(BodyError::Transport(e.to_string()))));
                }
                Poll::Ready(None) => {
                    this.done = true;
                    if !this.partial.is_empty() {
                        this.ready.push_back(this.partial.split().freeze());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn lines_of(reads: &[&'static [u8]], max: usize) -> Vec<Result<Bytes, BodyError>> {
        let reads: Vec<Result<Bytes, std::convert::Infallible>> =
            reads.iter().map(|r| Ok(Bytes::from_static(r))).collect();
        let stream = Lines::new(futures_util::stream::iter(reads), max, Activity::default());
        block_on(stream.collect())
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn partial_lines_wait_for_their_end_and_nothing_is_lost() {
        let out = lines_of(&[b"data: a", b"b\n\nda", b"ta: c\r\n\r\ndata: tail"], 1024);
        let out: Vec<Bytes> = out.into_iter().map(Result::unwrap).collect();
        assert_eq!(
            out,
            [
                &b"data: ab\n"[..],
                b"\n",
                b"data: c\r\n",
                b"\r\n",
                b"data: tail"
            ]
            .map(Bytes::from_static)
        );
    }

    #[test]
    fn an_endless_line_is_cut_off_at_the_bound() {
        let out = lines_of(
            &[b"data: ", b"xxxxxxxxxx", b"xxxxxxxxxx", b"never read\n"],
            16,
        );
        assert_eq!(out, vec![Err(BodyError::TooLarge(16))]);
    }

    #[test]
    fn many_short_lines_of_one_event_count_together() {
        let out = lines_of(&[b"data: 12345\ndata: 12345\ndata: 12345\n\n"], 20);
        assert_eq!(out.last(), Some(&Err(BodyError::TooLarge(20))));
        let fine = lines_of(&[b"data: 12345\n\ndata: 12345\n\ndata: 12345\n\n"], 20);
        assert!(fine.iter().all(Result::is_ok));
    }

    #[test]
    fn bare_carriage_returns_are_not_one_endless_line() {
        let out = lines_of(&[b"data: 1\r\rdata: 2\r\r", b"data: 3\r\r"], 12);
        assert!(out.iter().all(Result::is_ok), "{out:?}");
        assert_eq!(out.concat_bytes(), b"data: 1\r\rdata: 2\r\rdata: 3\r\r");
    }

    trait Concat {
        fn concat_bytes(&self) -> Vec<u8>;
    }
    impl Concat for Vec<Result<Bytes, BodyError>> {
        fn concat_bytes(&self) -> Vec<u8> {
            self.iter().flatten().flat_map(|b| b.to_vec()).collect()
        }
    }

    #[test]
    fn every_read_counts_as_activity() {
        let activity = Activity::default();
        let reads: Vec<Result<Bytes, std::convert::Infallible>> = vec![
            Ok(Bytes::from_static(b": keep-alive\n\n")),
            Ok(Bytes::from_static(b"da")),
        ];
        let stream = Lines::new(futures_util::stream::iter(reads), 1024, activity.clone());
        let _: Vec<_> = block_on(stream.collect());
        assert_eq!(activity.bytes(), 16);
    }
}
