//! `mock-openai`: the mock server on its own, answering as the demo assistant.
//!
//! ```text
//! mock-openai [--port N] [--token-delay-ms MS] [--require-key KEY]
//! ```
//! Prints `http://127.0.0.1:PORT/v1` on stdout once it listens, then logs one line per
//! request on stderr (never the Authorization header's value). Stops on Ctrl-C or when
//! stdin closes, if `--exit-on-stdin-close` is given.

use mock_openai::{DemoOptions, Fallback, MockServer};
use std::io::Write;
use std::time::Duration;

fn usage() -> ! {
    eprintln!("usage: mock-openai [--port N] [--token-delay-ms MS] [--require-key KEY] [--exit-on-stdin-close]");
    std::process::exit(2)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut port = 0u16;
    let mut options = DemoOptions::default();
    let mut exit_on_stdin_close = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--port" => port = value().parse().unwrap_or_else(|_| usage()),
            "--token-delay-ms" => {
                options.token_delay =
                    Duration::from_millis(value().parse().unwrap_or_else(|_| usage()))
            }
            "--require-key" => options.require_key = Some(value()),
            "--exit-on-stdin-close" => exit_on_stdin_close = true,
            _ => usage(),
        }
    }
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
