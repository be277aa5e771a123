//! A runaway server as the history sees it: a reply that grows without end, checkpointed
//! the way `chat::run_turn` does (the whole text so far, each time), then finished.
//!
//! ```text
//! cargo bench --bench runaway_reply -- [--checkpoints N] [--growth-kib K] [--seconds S] [--max-mib M]
//! ```
//! First N checkpoints of a reply growing by K KiB each (default 40 × 100 KiB: what 20 s
//! of a fast server gives at one checkpoint per 500 ms), then as many checkpoints as fit in
//! S seconds (default 20) or until the reply reaches M MiB (default 64), as fast as they
//! go. Prints time and the size of the history's files (database, WAL and the rest);
//! asserts nothing about time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use palaver_core::history::{HistoryDb, Source, TurnKind, TurnRequest, FILE_NAME};
use palaver_core::llm::FinishReason;
use std::path::Path;
use std::time::{Duration, Instant};

fn files_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1_048_576.0)
}

struct Run {
    checkpoints: usize,
    reply_bytes: u64,
    checkpointing: Duration,
    slowest: Duration,
    size_streaming: u64,
    finishing: Duration,
    size_finished: u64,
}

fn runaway(growth: usize, max_checkpoints: usize, budget: Duration, max_bytes: usize) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let db = HistoryDb::open(&dir.path().join(FILE_NAME)).unwrap();
    let turn = db
        .begin_turn(&TurnRequest {
            conversation_id: None,
            kind: TurnKind::Ask {
                text: "Count to infinity".into(),
            },
            model: "runaway".into(),
            system_prompt: String::new(),
            profile: String::new(),
            source: Source::Cli,
        })
        .unwrap();
    let piece: String = "and one more number, ".repeat(growth / 21 + 1)[..growth].to_owned();
    let mut text = String::new();
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut checkpoints = 0;
    while checkpoints < max_checkpoints && started.elapsed() < budget && text.len() < max_bytes {
        text.push_str(&piece);
        let t = Instant::now();
        db.checkpoint(&turn.assistant_message_id, &text, "")
            .unwrap();
        slowest = slowest.max(t.elapsed());
        checkpoints += 1;
    }
    let checkpointing = started.elapsed();
    let size_streaming = files_size(dir.path());
    let t = Instant::now();
    db.finish_reply(
        &turn.assistant_message_id,
        &text,
        "",
        None,
        &Ok(FinishReason::Stop),
    )
    .unwrap();
    let finishing = t.elapsed();
    let size_finished = files_size(dir.path());
    Run {
        checkpoints,
        reply_bytes: text.len() as u64,
        checkpointing,
        slowest,
        size_streaming,
        finishing,
        size_finished,
    }
}

fn print(label: &str, run: &Run) {
    println!("{label}");
    println!(
        "  {} checkpoints, reply {}: {:.2} s checkpointing (slowest {:.0} ms), files {}",
        run.checkpoints,
        mib(run.reply_bytes),
        run.checkpointing.as_secs_f64(),
        run.slowest.as_secs_f64() * 1000.0,
        mib(run.size_streaming)
    );
    println!(
        "  finish (index the whole reply once): {:.2} s, files {}",
        run.finishing.as_secs_f64(),
        mib(run.size_finished)
    );
}

#[path = "cargo_bench.rs"]
mod cargo_bench;

/// A reply that grows without end, checkpointed into the history as a runaway server's would be.
#[derive(clap::Parser)]
#[command(override_usage = "cargo bench --bench runaway_reply -- [OPTIONS]")]
struct Args {
    /// Checkpoints in the first, counted phase.
    #[arg(long, value_name = "N", default_value_t = 40)]
    checkpoints: usize,
    /// KiB the reply grows by between checkpoints.
    #[arg(long, value_name = "K", default_value_t = 100)]
    growth_kib: usize,
    /// Time limit of the second phase, as many checkpoints as fit.
    #[arg(long, value_name = "S", default_value_t = 20)]
    seconds: u64,
    /// Size limit of the reply in the second phase, in MiB.
    #[arg(long, value_name = "M", default_value_t = 64)]
    max_mib: usize,
    #[command(flatten)]
    _cargo: cargo_bench::CargoBenchArgs,
}

fn main() {
    let args: Args = clap::Parser::parse();
    let checkpoints = args.checkpoints;
    let growth = args.growth_kib * 1024;
    let seconds = args.seconds;
    let max_bytes = args.max_mib * 1_048_576;
    print(
        &format!(
            "{checkpoints} checkpoints of a reply growing by {} KiB",
            growth / 1024
        ),
        &runaway(growth, checkpoints, Duration::from_secs(3600), usize::MAX),
    );
    print(
        &format!(
            "as many checkpoints as fit in {seconds} s or {} MiB, growing by {} KiB",
            max_bytes / 1_048_576,
            growth / 1024
        ),
        &runaway(growth, usize::MAX, Duration::from_secs(seconds), max_bytes),
    );
}
