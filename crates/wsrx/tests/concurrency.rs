//! One `wsrx serve` process handles 1,000 concurrent secured sequences from one test
//! client process, over loopback HTTP: every sequence is created (bound to the SCT),
//! carries its messages, is acknowledged, closed and terminated without error, and the
//! server delivered every message. The server's memory (VmRSS / VmHWM from
//! `/proc/<pid>/status`) is sampled and printed; only a generous bound is asserted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wsrx_crypto::SecretKey;
use wsrx_rm::wire::WireProfile;
use wsrx_runtime::client::{Client, ClientConfig};
use wsrx_runtime::echo;
use wsrx_runtime::token::{PreEstablished, TokenProvider};
use wsrx_test::fixture::cli::Workdir;
use wsrx_test::fixture::runtime::store;

const SCT: &str = "urn:uuid:0f3c1d7e-1000-4c0c-8000-000000000c0c";
const SECRET: &str = "Y29uY3VycmVuY3ktdGVzdC1zY3Qtc2VjcmV0LTMyYiE=";
const SEQUENCES: usize = 1000;
const PER_SEQUENCE: u64 = 3;

/// `(VmRSS, VmHWM)` of `pid` in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_server_handles_a_thousand_concurrent_sequences() {
    let w = Workdir::new(env!("CARGO_BIN_EXE_wsrx"), "concurrency");
    let max = (SEQUENCES + 24).to_string();
    let serve = w.serve(
        "server.db",
        &[
            "--sct-id",
            SCT,
            "--sct-secret",
            SECRET,
            "--max-sequences",
            &max,
            // One token opens them all (the per-identity quota is 32 by default).
            "--max-sequences-per-identity",
            &max,
            // ...and keeps up to a thousand sequences' messages for delivery at once.
            "--max-pending-per-identity",
            "1000000",
            "--max-pending",
            "1000000",
        ],
    );
    assert!(serve.banner.contains("listening"), "{}", serve.banner);
    let pid = serve.pid();
    let addr = serve.addr;
    let (baseline, _) = memory_kib(pid);

    // Sample the server's memory while the sequences run.
    let peak = Arc::new(AtomicU64::new(baseline));
    let sampling = {
        let peak = Arc::clone(&peak);
        tokio::spawn(async move {
            loop {
                let (rss, _) = memory_kib(pid);
                peak.fetch_max(rss, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };

    let secret = SecretKey::from_vec(wsrx_crypto::base64::decode(SECRET).unwrap());
    let tokens: Arc<dyn TokenProvider> = Arc::new(PreEstablished::new(SCT, secret));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(SEQUENCES);
    for i in 0..SEQUENCES {
        let tokens = Arc::clone(&tokens);
        let url = format!("http://{addr}/rm/{i}");
        tasks.push(tokio::spawn(async move {
            let mut config = ClientConfig::new(url);
            config.profile = WireProfile::Rm11;
            config.source.retransmission.base = Duration::from_millis(500);
            let client = Client::start(config, store(), tokens, None).await?;
            let id = client.created().await?;
            for k in 1..=PER_SEQUENCE {
                client
                    .send(echo::NOTIFY_ACTION, &echo::body(&format!("{i}.{k}")))
                    .await?;
            }
            client.flush().await?;
            client.close().await?;
            client.terminate().await?;
            client.shutdown();
            Ok::<String, wsrx_runtime::RuntimeError>(id)
        }));
    }
    let mut ids = std::collections::HashSet::new();
    let mut failures = Vec::new();
    for t in tasks {
        match tokio::time::timeout(Duration::from_secs(600), t).await {
            Ok(Ok(Ok(id))) => {
                ids.insert(id);
            }
            other => failures.push(format!("{other:?}")),
        }
    }
    let elapsed = started.elapsed();
    sampling.abort();
    let (after, hwm) = memory_kib(pid);
    let peak = peak.load(Ordering::Relaxed).max(hwm);
    println!(
        "1,000 concurrent sequences x {PER_SEQUENCE} messages in {:.1} s; wsrx serve memory: \
         baseline {:.1} MiB, peak {:.1} MiB (≈ {:.1} KiB per open sequence), after termination {:.1} MiB",
        elapsed.as_secs_f64(),
        baseline as f64 / 1024.0,
        peak as f64 / 1024.0,
        peak.saturating_sub(baseline) as f64 / SEQUENCES as f64,
        after as f64 / 1024.0
    );
    assert!(
        failures.is_empty(),
        "{} sequences failed: {:?}",
        failures.len(),
        failures.first()
    );
    assert_eq!(
        ids.len(),
        SEQUENCES,
        "every sequence has its own identifier"
    );

    // Stop the server the way an operator does (SIGINT) and read its delivery count.
    let mut serve = serve;
    let pid = rustix::process::Pid::from_raw(i32::try_from(pid).unwrap()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let (status, rest) = serve.wait_with_rest();
    assert!(status.success(), "{rest}");
    let expected = format!("{} messages delivered", SEQUENCES as u64 * PER_SEQUENCE);
    assert!(
        rest.contains(&expected),
        "expected {expected:?} in {rest:?}"
    );
    assert!(
        peak.saturating_sub(baseline) < 1024 * 1024,
        "server memory grew by more than 1 GiB"
    );
}
