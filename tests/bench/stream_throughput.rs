//! Throughput of the streaming engine on a long answer, next to `curl` and the official
//! Python SDK reading the same stream from the same server.
//!
//! ```text
//! cargo bench --bench stream_throughput -- [--tokens N] [--runs R]
//! ```
//! The mock server runs in a child process (this same program with `--serve`), so the CPU
//! time and peak memory printed for Palaver are the client's alone. Each client reads
//! `N` chat chunks of one token each (OpenAI's framing: one `data:` event per token).
//! This prints figures; it asserts nothing about time.
#![allow(
    unsafe_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout
)]

use mock_openai::{DemoOptions, Fallback, MockServer};
use palaver_core::chat::{stream_reply, ChatEvent, StreamIds};
use palaver_core::llm::{ChatRequest, ClientOptions, Endpoint, LlmClient, Message};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

struct Usage {
    cpu: Duration,
}

fn rusage(who: i32) -> Usage {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own; `who` is RUSAGE_SELF or RUSAGE_CHILDREN.
    unsafe { libc::getrusage(who, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, (t.tv_usec as u32) * 1000);
    Usage {
        cpu: tv(ru.ru_utime) + tv(ru.ru_stime),
    }
}

/// `VmHWM` (peak) or `VmRSS` (now) of this process, in KiB. Unlike `ru_maxrss`, these start
/// afresh at `exec`, so they do not report the peak of whoever started us (cargo).
fn proc_status_kib(field: &str) -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

struct Figure {
    name: String,
    wall: Duration,
    tokens: usize,
    bytes: usize,
    cpu: Option<Duration>,
    max_rss_kib: Option<i64>,
}

impl Figure {
    fn print(&self) {
        let secs = self.wall.as_secs_f64();
        println!(
            "{:<28} {:>12.0} tokens/s {:>8.1} MB/s {:>9} CPU {:>10} peak RSS   ({} tokens in {:.3} s)",
            self.name,
            self.tokens as f64 / secs,
            self.bytes as f64 / secs / 1e6,
            self.cpu.map(|c| format!("{:.3} s", c.as_secs_f64())).unwrap_or_else(|| "-".into()),
            self.max_rss_kib.map(|k| format!("{:.1} MiB", k as f64 / 1024.0)).unwrap_or_else(|| "-".into()),
            self.tokens,
            secs,
        );
    }
}

fn serve() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let server = MockServer::start_with("127.0.0.1:0", Fallback::Demo(DemoOptions::default()))
            .await
            .unwrap();
        println!("{}", server.base_url());
        std::io::stdout().flush().unwrap();
        let mut sink = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut tokio::io::stdin(), &mut sink).await;
    });
}

fn body(tokens: usize) -> String {
    serde_json::json!({
        "model": "mock-model",
        "messages": [{"role": "user", "content": format!("[long {tokens}]")}],
        "stream": true,
    })
    .to_string()
}

fn run_palaver(base: &str, tokens: usize) -> Figure {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = LlmClient::new(ClientOptions::default()).unwrap();
    let endpoint = Endpoint::new(base, None).unwrap();
    let request = ChatRequest {
        model: "mock-model".into(),
        messages: vec![Message::user(format!("[long {tokens}]"))],
        temperature: None,
        max_tokens: None,
    };
    let before = rusage(libc::RUSAGE_SELF);
    let start = Instant::now();
    let mut bytes = 0usize;
    let mut events = 0usize;
    let outcome = rt.block_on(stream_reply(
        &client,
        &endpoint,
        &request,
        StreamIds::default(),
        &mut |e: ChatEvent| {
            events += 1;
            if let ChatEvent::Delta { text } = &e {
                bytes += text.len();
            }
        },
        &CancellationToken::new(),
        None,
    ));
    let wall = start.elapsed();
    let after = rusage(libc::RUSAGE_SELF);
    let peak = proc_status_kib("VmHWM:");
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    assert_eq!(
        outcome.text,
        mock_openai::tokens_text(tokens),
        "the answer came out wrong"
    );
    Figure {
        name: format!("palaver engine ({events} events)"),
        wall,
        tokens,
        bytes,
        cpu: Some(after.cpu - before.cpu),
        max_rss_kib: Some(peak),
    }
}

fn run_child(name: &str, cmd: &mut Command, tokens: usize) -> Option<Figure> {
    let before = rusage(libc::RUSAGE_CHILDREN);
    let start = Instant::now();
    let out = cmd.stderr(Stdio::inherit()).output().ok()?;
    let wall = start.elapsed();
    let after = rusage(libc::RUSAGE_CHILDREN);
    if !out.status.success() {
        return None;
    }
    Some(Figure {
        name: name.to_owned(),
        wall,
        tokens,
        bytes: out.stdout.len(),
        cpu: Some(after.cpu.saturating_sub(before.cpu)),
        // Not reported: Linux keeps a process's peak RSS across fork+exec, so a child's
        // `ru_maxrss` can be this program's size rather than its own.
        max_rss_kib: None,
    })
}

fn median_by_wall(mut figures: Vec<Figure>) -> Option<Figure> {
    figures.sort_by_key(|f| f.wall);
    let mid = figures.len() / 2;
    figures.into_iter().nth(mid)
}

#[path = "cargo_bench.rs"]
mod cargo_bench;

/// Throughput of the streaming engine on a long answer, next to curl and the openai Python SDK.
#[derive(clap::Parser)]
#[command(override_usage = "cargo bench --bench stream_throughput -- [OPTIONS]")]
struct Args {
    /// Chat chunks (one token each) in the answer.
    #[arg(long, value_name = "N", default_value_t = 200_000)]
    tokens: usize,
    /// Runs of each client; the median is printed.
    #[arg(long, value_name = "R", default_value_t = 3)]
    runs: usize,
    /// Be the mock server instead (the child this program starts).
    #[arg(long, hide = true)]
    serve: bool,
    #[command(flatten)]
    _cargo: cargo_bench::CargoBenchArgs,
}

fn main() {
    let args: Args = clap::Parser::parse();
    if args.serve {
        return serve();
    }
    let tokens = args.tokens;
    let runs = args.runs.max(1);

    let mut server = Command::new(std::env::current_exe().unwrap())
        .arg("--serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("could not start the mock server");
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line.trim().to_owned();
    let url = format!("{base}/chat/completions");
    let payload = body(tokens);

    println!("stream of {tokens} tokens, one chat chunk each, from the mock server at {base}; median of {runs} runs\n");

    let baseline_rss = proc_status_kib("VmRSS:");
    // Warm up the server's code paths and the page cache.
    run_palaver(&base, tokens.min(10_000));

    let palaver = median_by_wall((0..runs).map(|_| run_palaver(&base, tokens)).collect());
    if let Some(f) = &palaver {
        f.print();
    }

    let curl = median_by_wall(
        (0..runs)
            .filter_map(|_| {
                run_child(
                    "curl (raw bytes, no parsing)",
                    Command::new("curl").args([
                        "-sN",
                        "-H",
                        "content-type: application/json",
                        "-d",
                        &payload,
                        &url,
                    ]),
                    tokens,
                )
            })
            .collect(),
    );
    match &curl {
        Some(f) => f.print(),
        None => println!("curl                         not available"),
    }

    let sdk_script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/bench/openai_sdk.py");
    let python_has_sdk = Command::new("python3")
        .args(["-c", "import openai"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let sdk_tokens = tokens.min(50_000);
    if python_has_sdk {
        let sdk = median_by_wall(
            (0..runs)
                .filter_map(|_| {
                    run_child(
                        &format!(
                            "openai Python SDK {}",
                            if sdk_tokens < tokens { "(50k)" } else { "" }
                        ),
                        Command::new("python3").args([sdk_script, &base, &sdk_tokens.to_string()]),
                        sdk_tokens,
                    )
                })
                .collect(),
        );
        match &sdk {
            Some(f) => f.print(),
            None => println!("openai Python SDK            failed to run"),
        }
    } else {
        println!("openai Python SDK            not installed (pip install openai)");
    }

    if let Some(p) = &palaver {
        println!(
            "\npalaver: peak RSS {:.1} MiB over a {:.1} MiB baseline (the answer itself is {:.1} MiB, kept for history)",
            (p.max_rss_kib.unwrap_or(0) - baseline_rss) as f64 / 1024.0,
            baseline_rss as f64 / 1024.0,
            p.bytes as f64 / 1048576.0
        );
        println!(
            "palaver vs async-openai (≈240k tokens/s on this stream, measured separately on this machine): {:.1}×",
            p.tokens as f64 / p.wall.as_secs_f64() / 240_000.0
        );
    }
    if let (Some(p), Some(c)) = (&palaver, &curl) {
        println!(
            "palaver parses and delivers at {:.0}% of curl's raw byte rate",
            100.0 * c.wall.as_secs_f64() / p.wall.as_secs_f64()
        );
    }
    drop(server.stdin.take());
    let _ = server.wait();
}
