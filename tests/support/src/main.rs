//! `mock-openai`: the mock server on its own, answering as the demo assistant.
//!
//! ```text
//! mock-openai [--port N] [--token-delay-ms MS] [--require-key KEY] [--models A,B,…]
//!             [--exit-on-stdin-close]
//! ```
//! It answers Chat Completions (`/v1/chat/completions`, Azure's deployment paths),
//! Anthropic Messages (`/v1/messages`) and OpenAI Responses (`/v1/responses`), each in its
//! own event format; see `demo`.
//! Prints `http://127.0.0.1:PORT/v1` on stdout once it listens, then logs one line per
//! request on stderr (never the Authorization header's value). Stops on Ctrl-C or when
//! stdin closes, if `--exit-on-stdin-close` is given.

use mock_openai::{DemoOptions, Fallback, MockServer};
use std::io::Write;
use std::time::Duration;

/// The mock OpenAI server on loopback, answering as the demo assistant (tags such as
/// `[slow]`, `[401]`, `[stall]` or `[long N]` in the prompt choose its behaviour).
#[derive(clap::Parser)]
// A later flag wins over an earlier one, so a caller can override the defaults it passes
// (the e2e harness puts its own --token-delay-ms before a suite's arguments).
#[command(name = "mock-openai", args_override_self = true)]
struct Args {
    /// Port to listen on (0: any free port).
    #[arg(long, value_name = "N", default_value_t = 0)]
    port: u16,
    /// Pause between tokens of the default answer.
    #[arg(long, value_name = "MS", default_value_t = DemoOptions::default().token_delay.as_millis() as u64)]
    token_delay_ms: u64,
    /// Answer 401 unless a request carries this key (as a bearer key, `x-api-key` or
    /// `api-key`).
    #[arg(long, value_name = "KEY")]
    require_key: Option<String>,
    /// The model ids `GET /v1/models` lists, comma-separated [default: mock-small,mock-large].
    #[arg(long, value_name = "A,B,…", value_delimiter = ',')]
    models: Option<Vec<String>>,
    /// Stop when stdin closes, so that the server goes with whoever started it.
    #[arg(long)]
    exit_on_stdin_close: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Args {
        port,
        token_delay_ms,
        require_key,
        models,
        exit_on_stdin_close,
    } = clap::Parser::parse();
    let defaults = DemoOptions::default();
    let options = DemoOptions {
        token_delay: Duration::from_millis(token_delay_ms),
        require_key,
        models: models
            .map(|m| {
                m.into_iter()
                    .map(|id| id.trim().to_owned())
                    .filter(|id| !id.is_empty())
                    .collect()
            })
            .unwrap_or(defaults.models),
    };
    let server =
        match MockServer::start_with(&format!("127.0.0.1:{port}"), Fallback::Demo(options)).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("mock-openai: cannot listen on port {port}: {e}");
                std::process::exit(1)
            }
        };
    println!("{}", server.base_url());
    let _ = std::io::stdout().flush();
    let stdin_closed = async {
        if exit_on_stdin_close {
            let mut sink = Vec::new();
            let _ = tokio::io::AsyncReadExt::read_to_end(&mut tokio::io::stdin(), &mut sink).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    let log = async {
        let mut seen = 0;
        loop {
            server
                .wait_for_requests(seen + 1, Duration::from_secs(3600))
                .await;
            for r in server.requests().iter().skip(seen) {
                eprintln!(
                    "mock-openai: {} {} ({} bytes)",
                    r.method,
                    r.path,
                    r.body.len()
                );
                seen += 1;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = stdin_closed => {}
        () = log => {}
    }
}
