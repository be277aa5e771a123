//! What the stream tests share: a sink that keeps every event and each read's deltas.
#![allow(dead_code)]

use palaver_core::llm::{StreamEvent, StreamSink, Usage};

/// Every event a stream delivered, and how many deltas each network read brought.
#[derive(Default)]
pub struct Collected {
    pub events: Vec<StreamEvent>,
    /// Deltas delivered before each flush: one entry per network read that had content.
    pub flushes: Vec<usize>,
    since_flush: usize,
}

impl Collected {
    pub fn text(&self) -> String {
        self.events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::Delta(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }
    pub fn reasoning(&self) -> String {
        self.events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::Reasoning(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }
    pub fn usage(&self) -> Option<Usage> {
        self.usages().last().copied()
    }

    pub fn usages(&self) -> Vec<Usage> {
        self.events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::Usage(u) => Some(*u),
                _ => None,
            })
            .collect()
    }
}

impl StreamSink for Collected {
    fn event(&mut self, event: StreamEvent) {
        if matches!(event, StreamEvent::Delta(_)) {
            self.since_flush += 1;
        }
        self.events.push(event);
    }
    fn flush(&mut self) {
        if self.since_flush > 0 {
            self.flushes.push(self.since_flush);
            self.since_flush = 0;
        }
    }
}
