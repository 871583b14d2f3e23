//! An unauthenticated connection flood against the real `wsrx serve` (issue 20 item
//! "HTTP hardening"; threat model T38–T41): 2,000 loopback connections from four
//! attacker addresses, a quarter silent, half a slowloris request head (one byte a
//! second, never finished), a quarter a partial body (4 or 64 KiB of a declared MiB) that
//! then trickles a byte a second, while a
//! legitimate `wsrx send` runs from 127.0.0.1. The server runs with 1,024 descriptors.
//!
//! Asserted: the legitimate messages are all delivered exactly once and in order; the
//! server's open descriptors stay below its limit; its resident memory stays within a
//! generous bound (printed: before, peak, after); connections beyond the per-address
//! cap get `503`; every attacking connection is closed by the server before the attack
//! window ends (header-read, keep-alive and body-rate timeouts), and each kind of
//! refusal is counted in `wsrx_refused_total{reason}`. Timing is printed, never asserted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{SCT_A, SECRET_A, Target};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wsrx_test::adversary;
use wsrx_test::fixture::metrics;

/// Connections the attacker opens.
const FLOOD: usize = 2000;
/// Attacker source addresses (all loopback); the legitimate client is 127.0.0.1.
const ATTACKERS: [Ipv4Addr; 4] = [
    Ipv4Addr::new(127, 0, 0, 2),
    Ipv4Addr::new(127, 0, 0, 3),
    Ipv4Addr::new(127, 0, 0, 4),
    Ipv4Addr::new(127, 0, 0, 5),
];
/// The server's descriptor limit.
const SERVER_NOFILE: u64 = 1024;
/// How long the attack lasts at most; every connection must be closed by the server
/// before then (the slowest rule, the 30 s body deadline, comes first).
const WINDOW: Duration = Duration::from_secs(45);
/// Legitimate messages.
const LEGIT: u64 = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Silent,
    Slowloris,
    PartialBody,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Could not connect (the backlog was full): not counted against the server.
    NotConnected,
    /// The server answered with this status and closed.
    Answered(u16),
    /// The server closed without an answer.
    Closed,
    /// Still open when the window ended.
    StillOpen,
}

async fn attack(
    server: SocketAddr,
    from: IpAddr,
    kind: Kind,
    body: usize,
    until: Instant,
) -> Outcome {
    let Ok(socket) = tokio::net::TcpSocket::new_v4() else {
        return Outcome::NotConnected;
    };
    if socket.bind(SocketAddr::new(from, 0)).is_err() {
        return Outcome::NotConnected;
    }
    let Ok(Ok(mut s)) = tokio::time::timeout(Duration::from_secs(10), socket.connect(server)).await
    else {
        return Outcome::NotConnected;
    };
    let first: Vec<u8> = match kind {
        Kind::Silent => Vec::new(),
        Kind::Slowloris => b"POST / HTTP/1.1\r\nHost: victim\r\nX-Slow: ".to_vec(),
        Kind::PartialBody => {
            let mut v =
                b"POST / HTTP/1.1\r\nHost: victim\r\nContent-Type: application/soap+xml\r\n\
Content-Length: 1048576\r\n\r\n"
                    .to_vec();
            v.extend(std::iter::repeat_n(b'<', body));
            v
        }
    };
    if !first.is_empty() && s.write_all(&first).await.is_err() {
        return Outcome::Closed;
    }
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Outcome::StillOpen;
        }
        tokio::select! {
            r = s.read(&mut buf) => match r {
                Ok(0) | Err(_) => return status_of(&answer),
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            },
            _ = tick.tick() => {
                if kind != Kind::Silent && s.write_all(b"a").await.is_err() {
                    // The server closed: read what it said before.
                    let _ = tokio::time::timeout(
                        Duration::from_secs(1),
                        s.read_to_end(&mut answer),
                    )
                    .await;
                    return status_of(&answer);
                }
            }
            () = tokio::time::sleep(left) => return Outcome::StillOpen,
        }
    }
}

fn status_of(answer: &[u8]) -> Outcome {
    let text = String::from_utf8_lossy(answer);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .map_or(Outcome::Closed, Outcome::Answered)
}

#[test]
fn a_connection_flood_leaves_the_legitimate_sender_served_with_bounded_fds_and_memory() {
    let own = adversary::raise_own_fd_limit(8192).unwrap_or(0);
    assert!(
        own > FLOOD as u64 + 200,
        "this test needs {} descriptors; the hard limit allows {own}",
        FLOOD + 200
    );
    let metrics_addr = metrics::free_addr();
    let m = metrics_addr.to_string();
    let t = Target::start_limited("connflood", &["--metrics", &m], Some(SERVER_NOFILE));
    let pid = t.served.pid;
    let limit = adversary::fd_limit(pid).unwrap();
    assert_eq!(limit, SERVER_NOFILE);
    let rss_before = t.served.rss_kib().unwrap();
    let fds_before = adversary::open_fds(pid).unwrap();
    println!("server: descriptor limit {limit}, {fds_before} open, VmRSS {rss_before} KiB before");

    let done = AtomicBool::new(false);
    let peak_rss = AtomicU64::new(rss_before);
    let peak_fds = AtomicUsize::new(fds_before);
    let server = t.served.addr;
    let url = format!("{}rm", t.url());
    let client_db = t.dir.join("client.db");
    let ring = t.dir.join("ring.keys");

    let (outcomes, send_out, send_took) = std::thread::scope(|s| {
        let sampler = s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                if let Some(kib) = adversary::rss_kib(pid) {
                    peak_rss.fetch_max(kib, Ordering::Relaxed);
                }
                if let Some(n) = adversary::open_fds(pid) {
                    peak_fds.fetch_max(n, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let attacker = s.spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let until = Instant::now() + WINDOW;
                let tasks: Vec<_> = (0..FLOOD)
                    .map(|i| {
                        let from = IpAddr::V4(ATTACKERS[i % ATTACKERS.len()]);
                        let kind = match i % 4 {
                            0 => Kind::Silent,
                            1 | 2 => Kind::Slowloris,
                            _ => Kind::PartialBody,
                        };
                        // Partial bodies of 64 KiB (cut by the 30 s body deadline) and
                        // of 4 KiB (cut by the rate floor).
                        let body = if i % 8 == 3 { 64 * 1024 } else { 4096 };
                        tokio::spawn(async move {
                            (kind, attack(server, from, kind, body, until).await)
                        })
                    })
                    .collect();
                let mut out = Vec::new();
                for t in tasks {
                    out.push(t.await.unwrap());
                }
                println!(
                    "attack: every connection ended {:?} after it began",
                    (until - WINDOW).elapsed()
                );
                out
            })
        });
        // The legitimate sender starts once the flood is under way.
        std::thread::sleep(Duration::from_secs(2));
        let started = Instant::now();
        let send = std::process::Command::new(adversary::wsrx_binary().unwrap())
            .args(["send", "--to", &url, "--count", &LEGIT.to_string()])
            .args(["--timeout", "120", "--sct-id", SCT_A, "--sct-secret"])
            .arg(wsrx_crypto::base64::encode(&SECRET_A))
            .arg("--store")
            .arg(&client_db)
            .arg("--keyring")
            .arg(&ring)
            .output()
            .unwrap();
        let took = started.elapsed();
        let outcomes = attacker.join().unwrap();
        done.store(true, Ordering::Relaxed);
        sampler.join().unwrap();
        (outcomes, send, took)
    });

    let rss_after = t.served.rss_kib().unwrap();
    let fds_after = adversary::open_fds(pid).unwrap();
    let peak_rss = peak_rss.load(Ordering::Relaxed);
    let peak_fds = peak_fds.load(Ordering::Relaxed);
    let count = |k: Option<Kind>, o: Outcome| {
        outcomes
            .iter()
            .filter(|(kind, out)| k.is_none_or(|k| *kind == k) && *out == o)
            .count()
    };
    for kind in [Kind::Silent, Kind::Slowloris, Kind::PartialBody] {
        let of_kind: Vec<Outcome> = outcomes
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, o)| *o)
            .collect();
        let mut tally: Vec<(String, usize)> = Vec::new();
        for o in &of_kind {
            let key = format!("{o:?}");
            match tally.iter_mut().find(|(k, _)| *k == key) {
                Some((_, n)) => *n += 1,
                None => tally.push((key, 1)),
            }
        }
        println!("{kind:?}: {} connections: {tally:?}", of_kind.len());
    }
    println!(
        "server: VmRSS {rss_before} KiB before, {peak_rss} KiB peak, {rss_after} KiB after; \
         descriptors {fds_before} before, {peak_fds} peak, {fds_after} after (limit {limit})"
    );
    println!(
        "legitimate wsrx send of {LEGIT} messages during the flood: {:?} ({})",
        send_took, send_out.status
    );
    let reasons = [
        "http_peer_connection_limit",
        "http_connection_limit",
        "http_header_timeout",
        "http_idle_without_request",
        "http_body_too_slow",
        "http_body_timeout",
    ];
    let counted: Vec<(&str, f64)> = reasons
        .iter()
        .map(|r| {
            (
                *r,
                metrics::sum(
                    metrics_addr,
                    &format!("wsrx_refused_total{{reason=\"{r}\"}}"),
                ),
            )
        })
        .collect();
    println!("wsrx_refused_total: {counted:?}");

    assert!(
        send_out.status.success(),
        "the legitimate sender failed: {}",
        String::from_utf8_lossy(&send_out.stderr)
    );
    let deliveries = t.deliveries();
    let numbers: Vec<u64> = deliveries
        .iter()
        .map(|d| d["number"].as_u64().unwrap())
        .collect();
    assert_eq!(
        numbers,
        (1..=LEGIT).collect::<Vec<_>>(),
        "every legitimate message delivered exactly once, in order"
    );
    let sequences: std::collections::BTreeSet<&str> = deliveries
        .iter()
        .map(|d| d["sequence"].as_str().unwrap())
        .collect();
    assert_eq!(sequences.len(), 1, "one sequence: {sequences:?}");

    assert!(
        (peak_fds as u64) < limit,
        "descriptors reached the limit: {peak_fds} of {limit}"
    );
    assert!(
        peak_rss < rss_before + 150 * 1024,
        "memory grew by {} KiB",
        peak_rss - rss_before
    );
    // Beyond 128 connections per address, 503 (4 addresses × 500 attempts).
    let busy = count(None, Outcome::Answered(503));
    assert!(busy > 0, "no connection was answered 503");
    assert_eq!(
        count(None, Outcome::StillOpen),
        0,
        "the server left attacking connections open past every timeout"
    );
    let value = |r: &str| counted.iter().find(|(k, _)| *k == r).map_or(0.0, |c| c.1);
    assert!(value("http_peer_connection_limit") >= busy as f64);
    assert!(value("http_header_timeout") > 0.0);
    assert!(value("http_idle_without_request") > 0.0);
    assert!(value("http_body_too_slow") > 0.0);
    assert!(value("http_body_timeout") > 0.0);
}
