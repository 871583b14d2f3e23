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

use std::io::{Read, Write};

use wsrx_test::fixture::cli::Workdir;

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
    let w = Workdir::new(env!("CARGO_BIN_EXE_wsrx"), "cli-metrics");
    // The metrics listener's port: one the OS has free now.
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let serve = w.serve(
        "server.db",
        &[
            "--metrics",
            &format!("127.0.0.1:{metrics_port}"),
            "--sct-id",
            SCT,
            "--sct-secret",
            SECRET,
            "--max-sequences",
            "1",
        ],
    );
    assert!(serve.banner.contains("listening"), "{}", serve.banner);

    let send = |store: &str, count: &str| {
        w.send(
            &serve.url,
            store,
            &["--count", count, "--sct-id", SCT, "--sct-secret", SECRET],
        )
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
    // A histogram (cumulative buckets up to +Inf), not a summary of quantiles.
    let all = sample(&text, "wsrx_ack_latency_seconds_bucket{le=\"+Inf\"} ");
    assert_eq!(
        all,
        sample(&text, "wsrx_ack_latency_seconds_count "),
        "{text}"
    );
    let buckets = text
        .lines()
        .filter(|l| l.starts_with("wsrx_ack_latency_seconds_bucket{"))
        .count();
    assert_eq!(
        buckets,
        wsrx_runtime::metrics::ACK_LATENCY_BUCKETS.len() + 1,
        "{text}"
    );
    assert!(
        !text.contains("wsrx_ack_latency_seconds{quantile"),
        "{text}"
    );

    // The limit is one open sequence: hold one open, and a second CreateSequence is
    // refused and counted by reason.
    let held = format!("http://{}/held", serve.addr);
    let holder = w.send(
        &held,
        "holder.db",
        &[
            "--count",
            "1",
            "--no-terminate",
            "--sct-id",
            SCT,
            "--sct-secret",
            SECRET,
        ],
    );
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
    drop(serve);
}
