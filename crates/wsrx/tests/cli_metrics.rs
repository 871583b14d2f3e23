//! `wsrx serve --metrics ADDR` serves Prometheus metrics that follow what happened: a
//! secured sequence of three messages shows as three deliveries, a sequence opened and
//! ended, acknowledgement latencies, and a refused CreateSequence by reason.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

const SCT: &str = "urn:uuid:3e7c0000-0000-4e7c-8000-0000000e7c01";
const SECRET: &str = "bWV0cmljcy10ZXN0LXNjdC1zZWNyZXQtMzItYnl0ZXMh";

fn scrape(port: u16) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// The value of the sample line starting with `prefix` (name and labels).
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[test]
fn metrics_follow_deliveries_sequences_and_refusals() {
    let dir = std::env::temp_dir().join(format!("wsrx-cli-metrics-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let bin = env!("CARGO_BIN_EXE_wsrx");
    let ring = common::keyring(&dir);
    let port = common::free_port();
    let metrics_port = common::free_port();
    let mut child = Command::new(bin)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--metrics", &format!("127.0.0.1:{metrics_port}")])
        .args([
            "--sct-id",
            SCT,
            "--sct-secret",
            SECRET,
            "--max-sequences",
            "1",
        ])
        .arg("--store")
        .arg(dir.join("server.db"))
        .arg("--keyring")
        .arg(&ring)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("listening"), "{line}");
    let _serve = common::Serve(child);

    let send = |store: &str, count: &str| {
        Command::new(bin)
            .args(["send", "--to", &format!("http://127.0.0.1:{port}/rm")])
            .args(["--count", count, "--timeout", "30"])
            .args(["--sct-id", SCT, "--sct-secret", SECRET])
            .arg("--store")
            .arg(dir.join(store))
            .arg("--keyring")
            .arg(&ring)
            .output()
            .unwrap()
    };
    let out = send("client.db", "3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = scrape(metrics_port);
    assert_eq!(
        sample(&text, "wsrx_messages_delivered_total "),
        Some(3.0),
        "{text}"
    );
    assert_eq!(sample(&text, "wsrx_open_sequences "), Some(0.0), "{text}");
    assert!(
        sample(&text, "wsrx_ack_latency_seconds_count ").is_some_and(|n| n >= 1.0),
        "{text}"
    );

    // The limit is one open sequence: hold one open, and a second CreateSequence is
    // refused and counted by reason.
    let holder = Command::new(bin)
        .args(["send", "--to", &format!("http://127.0.0.1:{port}/held")])
        .args(["--count", "1", "--timeout", "30", "--no-terminate"])
        .args(["--sct-id", SCT, "--sct-secret", SECRET])
        .arg("--store")
        .arg(dir.join("holder.db"))
        .arg("--keyring")
        .arg(&ring)
        .output()
        .unwrap();
    assert!(
        holder.status.success(),
        "{}",
        String::from_utf8_lossy(&holder.stderr)
    );
    let refused = send("refused.db", "1");
    assert!(!refused.status.success());
    let text = scrape(metrics_port);
    assert_eq!(
        sample(
            &text,
            "wsrx_creates_refused_total{reason=\"connection_limit_reached\"} "
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&text, "wsrx_open_sequences "), Some(1.0), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
