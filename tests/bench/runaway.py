#!/usr/bin/env python3
"""A runaway server against `palaver ask`: peak memory, CPU and history size.

The server on loopback streams valid chat-completion deltas without end, as fast as the
client reads them, for at most --seconds. `palaver ask` saves the reply to a fresh history
in a temporary data directory. Prints one line of figures; asserts nothing.

    python3 tests/bench/runaway.py [--palaver target/release/palaver] [--seconds 20]
"""
import argparse
import json
import os
import socket
import subprocess
import tempfile
import threading
import time


def serve(listener, seconds, stats):
    conn, _ = listener.accept()
    with conn:
        conn.recv(65536)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"connection: close\r\n\r\n"
        )
        delta = "word " * 20
        event = ("data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": delta}}]}) + "\n\n").encode()
        batch = event * 64
        end = time.monotonic() + seconds
        sent = 0
        try:
            while time.monotonic() < end:
                conn.sendall(batch)
                sent += len(batch)
        except OSError:
            stats["client_closed"] = True
        stats["sent_bytes"] = sent
        stats["stream_seconds"] = seconds - max(0.0, end - time.monotonic())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--palaver", default="target/debug/palaver")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    stats = {"client_closed": False}
    server = threading.Thread(target=serve, args=(listener, args.seconds, stats), daemon=True)
    server.start()

    with tempfile.TemporaryDirectory() as data:
        env = dict(os.environ, PALAVER_DATA_DIR=data, OPENAI_API_KEY="", HOME=data)
        started = time.monotonic()
        child = subprocess.Popen(
            [args.palaver, "ask", "--base-url", f"http://127.0.0.1:{port}/v1", "--idle-timeout", "5", "runaway"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - started
        stderr = child.stderr.read().decode(errors="replace").strip().splitlines()
        server.join(timeout=args.seconds + 5)
        size = sum(os.path.getsize(os.path.join(data, f)) for f in os.listdir(data) if f.startswith("history.db"))

    print(
        f"runaway server {args.seconds:.0f} s: palaver exit {os.waitstatus_to_exitcode(status)} after {wall:.1f} s, "
        f"peak RSS {usage.ru_maxrss / 1024:.1f} MiB, CPU {usage.ru_utime + usage.ru_stime:.1f} s, "
        f"history files {size / 1024 / 1024:.1f} MiB, server sent {stats.get('sent_bytes', 0) / 1024 / 1024:.0f} MiB"
        f"{' (client hung up)' if stats['client_closed'] else ''}"
    )
    if stderr:
        print("  last words:", stderr[-1][:200])


if __name__ == "__main__":
    main()
