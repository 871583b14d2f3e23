//! Fairness by identity against the real `wsrx serve` (issue 20 item 1, "Fairness by
//! identity"; threat model T43, T44): an insider token (B) opens sequences beyond its quota
//! and floods messages on them (bounded), while a legitimate `wsrx send` with another
//! token (A) runs in parallel. B alone is refused, with CreateSequenceRefused naming the
//! quota (Receiver: retry later); A is never refused and every one of its messages is
//! delivered exactly once, in order. A's throughput unloaded and loaded is printed, not
//! asserted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{
    Answer, SCT_A, SCT_B, SECRET_A, Target, Victim, application, create_sequence, delivered,
    prot_b, wait_delivered,
};
use wsrx_test::adversary;
use wsrx_test::fixture::metrics;

const GLOBAL: usize = 12;
const PER_IDENTITY: usize = 4;
/// Legitimate messages per run.
const LEGIT: u64 = 30;
/// CreateSequence attempts by the insider, and its messages per sequence.
const CREATES: usize = 10;
const FLOOD_PER_SEQUENCE: u64 = 100;

/// `wsrx send` of LEGIT messages with SCT A and a store of its own; the time it took.
fn legit_send(t: &Target, db: &str) -> (std::process::Output, Duration) {
    let started = Instant::now();
    let out = std::process::Command::new(adversary::wsrx_binary().unwrap())
        .args(["send", "--to", &format!("{}rm", t.url())])
        .args(["--count", &LEGIT.to_string(), "--timeout", "120"])
        .args(["--sct-id", SCT_A, "--sct-secret"])
        .arg(wsrx_crypto::base64::encode(&SECRET_A))
        .arg("--store")
        .arg(t.dir.join(db))
        .arg("--keyring")
        .arg(t.dir.join("ring.keys"))
        .output()
        .unwrap();
    (out, started.elapsed())
}

fn per_second(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

#[test]
fn an_insider_over_its_quota_is_refused_alone_and_the_legitimate_sender_is_served() {
    let m = metrics::free_addr();
    let (global, per) = (GLOBAL.to_string(), PER_IDENTITY.to_string());
    let t = Target::start(
        "quotas",
        &[
            "--max-sequences",
            &global,
            "--max-sequences-per-identity",
            &per,
            "--metrics",
            &m.to_string(),
        ],
    );
    let url = t.url();

    let (out, unloaded) = legit_send(&t, "client-unloaded.db");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The insider opens sequences: up to its quota, then refused naming the quota.
    let mut mine = Vec::new();
    let mut refusals = Vec::new();
    for _ in 0..CREATES {
        let a = Answer::read(&t.post(&create_sequence(&url, Some(&prot_b()), Some(SCT_B))));
        match a.created() {
            Some(seq) => mine.push(seq),
            None => refusals.push(a),
        }
    }
    assert_eq!(mine.len(), PER_IDENTITY, "B opens up to its quota");
    for a in &refusals {
        assert_eq!(a.subcode(), "CreateSequenceRefused", "{}", a.text);
        // A Receiver fault (retry later): 500 under SOAP 1.2 Part 2 §7.5.1.2, not 400.
        assert_eq!(a.status, 500, "{}", a.text);
        assert!(
            a.text.contains("open_sequences_per_identity"),
            "the fault names the quota: {}",
            a.text
        );
    }
    println!(
        "insider: {} sequences opened, {} CreateSequence refused (HTTP {:?})",
        mine.len(),
        refusals.len(),
        refusals.first().map(|a| a.status)
    );

    // The flood (bounded) and the legitimate sender, in parallel.
    let flooded = AtomicUsize::new(0);
    let (out, loaded) = std::thread::scope(|s| {
        for seq in &mine {
            let (t, url, flooded) = (&t, &url, &flooded);
            s.spawn(move || {
                for n in 1..=FLOOD_PER_SEQUENCE {
                    let a = Answer::read(&t.post(&application(
                        url,
                        Some(&prot_b()),
                        seq,
                        n,
                        &format!("flood {n}"),
                    )));
                    assert!(a.fault.is_none(), "insider message {n}: {}", a.text);
                    flooded.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        // The insider keeps asking for more sequences while the flood runs.
        s.spawn(|| {
            for _ in 0..CREATES {
                let a = Answer::read(&t.post(&create_sequence(&url, Some(&prot_b()), Some(SCT_B))));
                assert!(a.created().is_none(), "B beyond its quota: {}", a.text);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        legit_send(&t, "client-loaded.db")
    });
    assert!(
        out.status.success(),
        "the legitimate sender was refused: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "legitimate wsrx send of {LEGIT} messages: unloaded {unloaded:?} ({:.1} msg/s), \
         loaded {loaded:?} ({:.1} msg/s, {:.0}% of unloaded) while the insider sent {} messages",
        per_second(LEGIT, unloaded),
        per_second(LEGIT, loaded),
        100.0 * unloaded.as_secs_f64() / loaded.as_secs_f64().max(1e-9),
        flooded.load(Ordering::Relaxed)
    );

    // Every legitimate message delivered exactly once, in order, per sequence of A.
    let deliveries = t.deliveries();
    let mut by_sequence: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
    for d in &deliveries {
        if d["bound_to"].as_str() == Some(SCT_A) {
            by_sequence
                .entry(d["sequence"].as_str().unwrap().to_owned())
                .or_default()
                .push(d["number"].as_u64().unwrap());
        }
    }
    assert_eq!(by_sequence.len(), 2, "two legitimate runs: {by_sequence:?}");
    for numbers in by_sequence.values() {
        assert_eq!(
            *numbers,
            (1..=LEGIT).collect::<Vec<_>>(),
            "exactly once, in order"
        );
    }
    // Refusals: B's, counted by reason and identity; none for A.
    let sum = |series: &str| metrics::sum(m, series);
    let quota = sum("wsrx_creates_refused_total{reason=\"open_sequences_per_identity\"}");
    let by_b = sum(&format!(
        "wsrx_refused_by_identity_total{{identity=\"{SCT_B}\"}}"
    ));
    let by_a = sum(&format!(
        "wsrx_refused_by_identity_total{{identity=\"{SCT_A}\"}}"
    ));
    println!("refusals: quota {quota}, of B {by_b}, of A {by_a}");
    assert_eq!(quota, (2 * CREATES - PER_IDENTITY) as f64);
    assert!(by_b >= quota);
    assert_eq!(by_a, 0.0, "the legitimate identity was never refused");
}

/// Pending deliveries per identity (threat model T44): insider B holds messages out of
/// order (a gap at 1) on two sequences up to its quota; its next message is refused with
/// a Receiver fault naming the quota, nothing recorded; victim A is served meanwhile;
/// once B fills its gaps and the application has its messages, B's resent message is
/// taken and every sequence is delivered once, in order.
#[test]
fn an_insider_over_its_pending_delivery_quota_is_refused_alone_without_state_change() {
    const QUOTA: u64 = 6;
    let m = metrics::free_addr();
    let t = Target::start(
        "pending",
        &[
            "--max-pending-per-identity",
            &QUOTA.to_string(),
            "--metrics",
            &m.to_string(),
        ],
    );
    let url = t.url();
    let b: Vec<String> = (0..2)
        .map(|_| {
            let a = Answer::read(&t.post(&create_sequence(&url, Some(&prot_b()), Some(SCT_B))));
            a.created()
                .unwrap_or_else(|| panic!("B's sequence: {}", a.text))
        })
        .collect();
    let send_b = |seq: &str, n: u64| {
        Answer::read(&t.post(&application(
            &url,
            Some(&prot_b()),
            seq,
            n,
            &format!("b {n}"),
        )))
    };
    // 2..=4 on each sequence: held behind the gap at 1, B's whole quota.
    for seq in &b {
        for n in 2..=QUOTA / 2 + 1 {
            let a = send_b(seq, n);
            assert!(
                a.fault.is_none(),
                "B's message {n} within its quota: {}",
                a.text
            );
        }
    }
    let refused = send_b(&b[1], QUOTA / 2 + 2);
    assert_eq!(
        refused.fault.as_ref().map(|(code, _)| code.as_str()),
        Some("Receiver"),
        "retryable: {}",
        refused.text
    );
    assert!(
        refused.text.contains("pending_deliveries_per_identity"),
        "the fault names the quota: {}",
        refused.text
    );
    let mut refusals = 1.0;
    // The victim is not refused.
    let mut victim = Victim::create(&t);
    for i in 0..3 {
        victim.send(&t, &format!("a {i}"));
    }
    // B fills its gaps; its refused message, resent, is taken once the application has
    // finished with what it was given.
    let last = QUOTA / 2 + 2;
    assert!(send_b(&b[0], 1).fault.is_none());
    wait_delivered(&t, &b[0], last - 1);
    let mut taken = false;
    for _ in 0..400 {
        let a = send_b(&b[1], last);
        if a.fault.is_none() {
            taken = true;
            break;
        }
        assert!(
            a.text.contains("pending_deliveries_per_identity"),
            "{}",
            a.text
        );
        refusals += 1.0;
        std::thread::sleep(Duration::from_millis(25));
    }
    assert!(taken, "B's resent message never taken");
    assert!(send_b(&b[1], 1).fault.is_none());
    wait_delivered(&t, &b[1], last);
    let numbers = |seq: &str| -> Vec<u64> { delivered(&t, seq).iter().map(|(n, _)| *n).collect() };
    assert_eq!(
        numbers(&b[0]),
        (1..last).collect::<Vec<_>>(),
        "exactly once, in order"
    );
    assert_eq!(
        numbers(&b[1]),
        (1..=last).collect::<Vec<_>>(),
        "exactly once, in order"
    );
    assert_eq!(numbers(&victim.seq), vec![1, 2, 3]);
    let sum = |series: &str| metrics::sum(m, series);
    assert_eq!(
        sum("wsrx_refused_total{reason=\"pending_deliveries_per_identity\"}"),
        refusals
    );
    assert!(
        sum(&format!(
            "wsrx_refused_by_identity_total{{identity=\"{SCT_B}\"}}"
        )) >= refusals
    );
    assert_eq!(
        sum(&format!(
            "wsrx_refused_by_identity_total{{identity=\"{SCT_A}\"}}"
        )),
        0.0
    );
}
