//! Just enough HTTP/1.1 by hand: read a request, write a scripted response step by step
//! while watching the socket for the client going away.

use crate::paced::{self, Paced, Schedule};
use crate::{lock, Framing, RecordedRequest, Reply, SentLog, Shared, Step, Wire};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

const MAX_HEAD: usize = 64 * 1024;

pub(crate) async fn serve_connection(socket: TcpStream, shared: Arc<Shared>) {
    let _ = socket.set_nodelay(true);
    let (mut reader, mut writer) = socket.into_split();
    let mut buffered = Vec::new();
    loop {
        let request = match read_request(&mut reader, &mut buffered).await {
            Some(r) => r,
            None => return,
        };
        let reply = shared.next_reply(&request);
        if request.path != crate::STATS_PATH && request.path != crate::SENT_PATH {
            shared.record(request);
        }
        let outcome = tokio::select! {
            written = write_reply(&mut writer, &reply, &shared) => written,
            () = wait_for_close(&mut reader, &mut buffered) => Err(std::io::ErrorKind::ConnectionAborted.into()),
        };
        match outcome {
            Ok(()) => {
                shared.note_completed();
                if reply.framing == Framing::Close {
                    let _ = writer.shutdown().await;
                    return;
                }
            }
            Err(_) => {
                shared.note_disconnect();
                return;
            }
        }
    }
}

/// Reads until the client closes the connection (or it fails). Bytes that arrive meanwhile
/// are kept for the next request.
async fn wait_for_close(reader: &mut OwnedReadHalf, buffered: &mut Vec<u8>) {
    let mut tmp = [0u8; 4096];
    loop {
        match reader.read(&mut tmp).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buffered.extend_from_slice(&tmp[..n]),
        }
    }
}

async fn read_request(
    reader: &mut OwnedReadHalf,
    buffered: &mut Vec<u8>,
) -> Option<RecordedRequest> {
    let mut tmp = [0u8; 8192];
    let head_end = loop {
        if let Some(pos) = find(buffered, b"\r\n\r\n") {
            break pos;
        }
        if buffered.len() > MAX_HEAD {
            return None;
        }
        let n = reader.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buffered.extend_from_slice(&tmp[..n]);
    };
    let head = String::from_utf8_lossy(&buffered[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    buffered.drain(..head_end + 4);
    while buffered.len() < length {
        let n = reader.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buffered.extend_from_slice(&tmp[..n]);
    }
    let body: Vec<u8> = buffered.drain(..length).collect();
    Some(RecordedRequest {
        method,
        path,
        headers,
        body,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

async fn write_reply(
    writer: &mut OwnedWriteHalf,
    reply: &Reply,
    shared: &Shared,
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    match reply.framing {
        Framing::Chunked => head.push_str("transfer-encoding: chunked\r\n"),
        Framing::Close => head.push_str("connection: close\r\n"),
    }
    head.push_str("\r\n");
    writer.write_all(head.as_bytes()).await?;
    for step in &reply.steps {
        match step {
            Step::Write(bytes) => write_piece(writer, reply.framing, bytes).await?,
            Step::Pause(d) => tokio::time::sleep(*d).await,
            Step::Stall => std::future::pending::<()>().await,
            Step::Tokens {
                wire,
                count,
                batch_bytes,
                delay,
            } => {
                let mut batch = String::with_capacity(batch_bytes + 512);
                for i in 0..*count {
                    wire.push_token(&mut batch, &crate::token(i));
                    if batch.len() >= *batch_bytes {
                        write_piece(writer, reply.framing, batch.as_bytes()).await?;
                        batch.clear();
                        if !delay.is_zero() {
                            tokio::time::sleep(*delay).await;
                        }
                    }
                }
                if !batch.is_empty() {
                    write_piece(writer, reply.framing, batch.as_bytes()).await?;
                }
            }
            Step::Paced { wire, paced } => {
                write_paced(writer, reply.framing, *wire, paced, shared).await?;
            }
        }
    }
    if reply.framing == Framing::Chunked {
        writer.write_all(b"0\r\n\r\n").await?;
    }
    writer.flush().await
}

/// Writes a benchmark reply's tokens on their schedule (see [`paced`]), each batch as soon
/// as it is due, and notes in `shared.sent` when each marker went out: after the write that
/// carried it returned, so a client that reads slowly delays the note as it delays the bytes.
async fn write_paced(
    writer: &mut OwnedWriteHalf,
    framing: Framing,
    wire: Wire,
    paced: &Paced,
    shared: &Shared,
) -> std::io::Result<()> {
    // The system clock once, then the monotonic one: sub-millisecond, and never stepped back
    // by NTP during a run. The page's clock is the system clock too (performance.timeOrigin).
    let start = tokio::time::Instant::now();
    let start_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
        * 1000.0;
    let now_ms = || start_ms + start.elapsed().as_secs_f64() * 1000.0;
    *lock(&shared.sent) = SentLog {
        count: paced.count,
        rate: paced.rate,
        started_at_ms: start_ms,
        markers: Vec::with_capacity(paced.count / paced::MARKER_EVERY + 1),
        last_byte_at_ms: None,
    };
    let mut schedule = Schedule::new(paced);
    let mut batch = String::new();
    let mut token = String::new();
    let mut unsent_markers = Vec::new();
    let mut flush = async |batch: &mut String, markers: &mut Vec<usize>| {
        write_piece(writer, framing, batch.as_bytes()).await?;
        batch.clear();
        let at = now_ms();
        lock(&shared.sent)
            .markers
            .extend(markers.drain(..).map(|i| (i, at)));
        std::io::Result::Ok(())
    };
    while let Some(due) = schedule.next_due() {
        tokio::time::sleep_until(start + due).await;
        for i in schedule.due(start.elapsed()) {
            token.clear();
            paced::push_json_token(&mut token, paced.shape, i, paced.count);
            wire.push_token(&mut batch, &token);
            if paced::is_marker(i, paced.count) {
                unsent_markers.push(i);
            }
            if batch.len() >= paced::BURST_WRITE_BYTES {
                flush(&mut batch, &mut unsent_markers).await?;
            }
        }
        if !batch.is_empty() {
            flush(&mut batch, &mut unsent_markers).await?;
        }
    }
    lock(&shared.sent).last_byte_at_ms = Some(now_ms());
    Ok(())
}

async fn write_piece(
    writer: &mut OwnedWriteHalf,
    framing: Framing,
    bytes: &[u8],
) -> std::io::Result<()> {
    if bytes.is_empty() {
        return Ok(());
    }
    match framing {
        Framing::Chunked => {
            let mut piece = Vec::with_capacity(bytes.len() + 16);
            piece.extend_from_slice(format!("{:x}\r\n", bytes.len()).as_bytes());
            piece.extend_from_slice(bytes);
            piece.extend_from_slice(b"\r\n");
            writer.write_all(&piece).await
        }
        Framing::Close => writer.write_all(bytes).await,
    }
}
