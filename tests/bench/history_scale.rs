//! The history at scale: generates a data set (by default 5,000 conversations, 250,000
//! messages, one of them 1,000 messages long) in a fresh SQLite file through the importer,
//! then times what a person waits for.
//!
//! ```text
//! cargo bench --bench history_scale -- [--conversations N] [--messages-per M] [--keep DIR]
//! ```
//! Prints figures; asserts nothing about time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use palaver_core::history::{ExportFile, HistoryDb, FILE_NAME};
use serde_json::json;
use std::time::{Duration, Instant};

const WORDS: &[&str] = &[
    "the",
    "a",
    "rust",
    "server",
    "database",
    "index",
    "query",
    "stream",
    "token",
    "model",
    "answer",
    "question",
    "memory",
    "thread",
    "async",
    "network",
    "latency",
    "cache",
    "file",
    "window",
    "keyboard",
    "search",
    "history",
    "lighthouse",
    "garden",
    "recipe",
    "travel",
    "budget",
    "python",
    "function",
    "error",
    "timeout",
    "socket",
    "browser",
    "markdown",
    "table",
    "paragraph",
    "summary",
    "example",
    "because",
    "however",
    "therefore",
    "simple",
    "数据",
    "索引",
    "東京",
    "検索",
    "weather",
    "coffee",
    "mountain",
    "river",
    "ocean",
];

/// A small deterministic generator, so every run measures the same data.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn text(&mut self, words: usize) -> String {
        let mut s = String::with_capacity(words * 7);
        for i in 0..words {
            if i > 0 {
                s.push(if self.next().is_multiple_of(12) {
                    '\n'
                } else {
                    ' '
                });
            }
            s.push_str(WORDS[(self.next() as usize) % WORDS.len()]);
        }
        s
    }
}

fn conversation(rng: &mut Lcg, index: usize, messages: usize, base_ms: i64) -> serde_json::Value {
    let id = format!("00000000-0000-7000-8000-{index:012}");
    let created = base_ms + index as i64 * 60_000;
    let mut list = Vec::with_capacity(messages);
    let mut parent: Option<String> = None;
    for m in 0..messages {
        let mid = format!("{index:08}-{m:04}-7000-8000-000000000000");
        let user = m % 2 == 0;
        let words = if user {
            8 + (rng.next() % 30) as usize
        } else {
            30 + (rng.next() % 90) as usize
        };
        list.push(json!({
            "id": mid, "parentId": parent, "role": if user { "user" } else { "assistant" },
            "content": rng.text(words), "createdAt": created + m as i64 * 1000,
        }));
        parent = Some(mid);
    }
    json!({
        "id": id, "title": rng.text(5), "createdAt": created, "updatedAt": created + messages as i64 * 1000,
        "currentLeafId": parent, "messages": list,
    })
}

fn percentile(mut samples: Vec<Duration>, p: f64) -> Duration {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[path = "cargo_bench.rs"]
mod cargo_bench;

/// The history at scale: a generated data set imported into a fresh SQLite file, then timed.
#[derive(clap::Parser)]
#[command(override_usage = "cargo bench --bench history_scale -- [OPTIONS]")]
struct Args {
    /// Conversations to generate (one of them long; at least 2).
    #[arg(long, value_name = "N", default_value_t = 5_000)]
    conversations: usize,
    /// Messages in each ordinary conversation (at least 2).
    #[arg(long, value_name = "M", default_value_t = 50)]
    messages_per: usize,
    /// Write the history file into DIR and keep it, instead of a temporary directory.
    #[arg(long, value_name = "DIR")]
    keep: Option<String>,
    #[command(flatten)]
    _cargo: cargo_bench::CargoBenchArgs,
}

fn main() {
    let args: Args = clap::Parser::parse();
    let conversations = args.conversations.max(2);
    let per = args.messages_per.max(2);
    let keep = args.keep;
    let dir = tempfile::tempdir().unwrap();
    let path = match &keep {
        Some(d) => std::path::Path::new(d).join(FILE_NAME),
        None => dir.path().join(FILE_NAME),
    };
    let _ = std::fs::remove_file(&path);

    let mut rng = Lcg(42);
    let base_ms = 1_750_000_000_000;
    let db = HistoryDb::open(&path).unwrap();
    let started = Instant::now();
    let mut total_messages = 0;
    // Import in batches of 250 conversations: one transaction each, as an import would.
    let mut index = 0;
    while index < conversations {
        let batch: Vec<serde_json::Value> = (index..(index + 250).min(conversations))
            .map(|i| {
                // The last conversation is the long one that gets opened.
                let n = if i == conversations - 1 { 1_000 } else { per };
                total_messages += n;
                conversation(&mut rng, i, n, base_ms)
            })
            .collect();
        index += batch.len();
        let file = json!({ "format": "palaver-history", "version": 1, "exportedAt": 0, "conversations": batch });
        let file: ExportFile = serde_json::from_value(file).unwrap();
        db.import(&serde_json::to_vec(&file).unwrap()).unwrap();
    }
    let generated = started.elapsed();
    drop(db);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "history of {conversations} conversations, {total_messages} messages: generated in {:.1} s, file {:.0} MiB\n",
        generated.as_secs_f64(),
        size as f64 / 1048576.0
    );

    let t = Instant::now();
    let db = HistoryDb::open(&path).unwrap();
    db.recover_interrupted().unwrap();
    println!("{:<44} {}", "open the file at start-up", ms(t.elapsed()));

    let list: Vec<Duration> = (0..50)
        .map(|_| {
            let t = Instant::now();
            let page = db.list_conversations(200, 0).unwrap();
            assert_eq!(page.len(), 200.min(conversations));
            t.elapsed()
        })
        .collect();
    println!(
        "{:<44} p50 {}  p95 {}",
        "list the first page (200 conversations)",
        ms(percentile(list.clone(), 0.5)),
        ms(percentile(list, 0.95))
    );

    let queries = [
        "lighthouse",
        "database index",
        "async socket",
        "東京",
        "数据 索引",
        "coffee river",
        "timeout error",
        "markdown table",
        "budget travel",
        "recipe",
    ];
    let mut search = Vec::new();
    let mut hits = 0;
    let mut slowest = (Duration::ZERO, "");
    for _ in 0..5 {
        for q in queries {
            let t = Instant::now();
            hits += db.search(q, 50).unwrap().len();
            let took = t.elapsed();
            search.push(took);
            if took > slowest.0 {
                slowest = (took, q);
            }
        }
    }
    println!(
        "{:<44} p50 {}  p95 {}  ({} results per query on average)",
        "search (50 results, snippets)",
        ms(percentile(search.clone(), 0.5)),
        ms(percentile(search, 0.95)),
        hits / (queries.len() * 5)
    );
    println!(
        "{:<44} {} for “{}”",
        "slowest search",
        ms(slowest.0),
        slowest.1
    );

    let long_id = format!("00000000-0000-7000-8000-{:012}", conversations - 1);
    let open: Vec<Duration> = (0..20)
        .map(|_| {
            let t = Instant::now();
            let view = db.conversation(&long_id).unwrap();
            assert_eq!(view.messages.len(), 1_000);
            t.elapsed()
        })
        .collect();
    println!(
        "{:<44} p50 {}  p95 {}",
        "open a 1,000-message conversation",
        ms(percentile(open.clone(), 0.5)),
        ms(percentile(open, 0.95))
    );
    println!("\n(the window then renders only the newest 40 messages; earlier ones on request)");
}
