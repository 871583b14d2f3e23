//! Issue 15 with the real binaries: a sequence the destination ends before every message
//! is acknowledged makes `wsrx send` fail (exit 3) naming the undelivered numbers and the
//! reason; they stay in the client's store (`wsrx store list/show`); `wsrx store resend`
//! sends them on a new sequence, after which the destination's delivery log holds every
//! message exactly once. At the end of each scenario, every number the client's store
//! records as acknowledged is in the delivery log (acknowledged ⊆ delivered).
//!
//! (a) the destination forgets the sequence (`wsrx store terminate` on the server's store
//!     while it is down): the resumed sequence's messages get UnknownSequence;
//! (b) the server's replay cache is full (`--replay-capacity`): later messages are
//!     refused with a Receiver fault until the sequence ends by inactivity
//!     (`--inactivity-timeout` on both sides), in seconds rather than ten minutes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::cell::Cell;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::process::Output;

use wsrx_test::fixture::cli::{Serve, Workdir, line_value, sequence_of, text};
use wsrx_test::fixture::log::{self, Delivery, numbers};

const SCT: &str = "urn:uuid:0d5e1f0a-15aa-4c5e-9c1d-ac4ed15de11e";
const SECRET: &str = "c2VjdXJlLWNvbnZlcnNhdGlvbi1kZW1vLXNlY3JldCE=";
const BIN: &str = env!("CARGO_BIN_EXE_wsrx");

/// A directory with a key ring, and the address the server listens on once started
/// (every restart listens there again: the client's store names the endpoint).
struct Fixture {
    w: Workdir,
    addr: Cell<Option<SocketAddr>>,
}

impl Fixture {
    fn new(name: &str) -> Self {
        Self {
            w: Workdir::new(BIN, &format!("cli-{name}")),
            addr: Cell::new(None),
        }
    }

    fn url(&self) -> String {
        let addr = self.addr.get().expect("a server was started");
        format!("http://{addr}/rm")
    }

    fn serve(&self, extra: &[&str]) -> Serve {
        let listen = self.addr.get().map(|a| a.to_string());
        let mut args = vec!["--sct-id", SCT, "--sct-secret", SECRET];
        args.extend(["--delivery-log", "delivery.log"]);
        if let Some(listen) = &listen {
            args.extend(["--listen", listen]);
        }
        args.extend(extra);
        let serve = self.w.serve("server.db", &args);
        assert!(serve.banner.contains("listening"), "{}", serve.banner);
        self.addr.set(Some(serve.addr));
        serve
    }

    fn send_to(&self, url: &str, count: u64, extra: &[&str]) -> Output {
        let count = count.to_string();
        let mut args = vec!["--count", &count, "--sct-id", SCT, "--sct-secret", SECRET];
        args.extend(["--retransmit-ms", "100", "--timeout", "60"]);
        args.extend(extra);
        self.w.send(url, "client.db", &args)
    }

    fn send(&self, count: u64, extra: &[&str]) -> Output {
        self.send_to(&self.url(), count, extra)
    }

    fn store(&self, db: &str, args: &[&str]) -> Output {
        self.w.store(db, args)
    }

    /// The delivery log.
    fn delivered(&self) -> Vec<Delivery> {
        log::read(&self.w.path("delivery.log"))
    }

    /// acknowledged ⊆ delivered: every number the client's store records acknowledged
    /// for `sequence` (`wsrx store show`) is in the delivery log under that sequence.
    fn assert_acked_delivered(&self, sequence: &str) {
        let acked = self.w.acknowledged("client.db", sequence);
        log::assert_acknowledged_delivered(&acked, &self.delivered(), sequence);
    }

    /// Each `message i of …` text appears exactly once for i in 1..=count.
    fn assert_each_once(&self, count: u64) {
        log::assert_each_once(&self.delivered(), count);
    }
}

/// The client's store: the failed sequence holds `held` and says why.
fn assert_held(f: &Fixture, sequence: &str, held: &BTreeSet<u64>, reason: &str) {
    let out = f.store("client.db", &["list"]);
    assert!(out.status.success(), "{}", text(&out));
    let listing = text(&out);
    let row: Vec<&str> = listing
        .lines()
        .find(|l| l.starts_with(sequence))
        .unwrap_or_else(|| panic!("{sequence} not listed: {listing}"))
        .split_whitespace()
        .collect();
    // SEQUENCE ROLE STATE TOKEN STORED UNACK DELIVERED
    assert_eq!(row[2], "failed", "{listing}");
    assert_eq!(row[5], held.len().to_string(), "{listing}");
    let out = f.store("client.db", &["show", sequence]);
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert_eq!(&numbers(line_value(&shown, "held")), held, "{shown}");
    assert!(line_value(&shown, "failed").contains(reason), "{shown}");
    assert!(
        shown.contains(&format!("wsrx store resend {sequence}")),
        "{shown}"
    );
}

fn resend(f: &Fixture, sequence: &str) -> Output {
    f.store(
        "client.db",
        &[
            "resend",
            sequence,
            "--sct-id",
            SCT,
            "--sct-secret",
            SECRET,
            "--retransmit-ms",
            "100",
        ],
    )
}

#[test]
fn a_forgotten_sequence_fails_loudly_and_its_messages_are_resent_exactly_once() {
    let f = Fixture::new("forgotten");
    let serve = f.serve(&[]);
    let first = f.send(4, &["--no-terminate"]);
    assert!(first.status.success(), "{}", text(&first));
    assert!(text(&first).contains("all 4 messages acknowledged"));
    let sequence = sequence_of(&first);
    drop(serve);
    // An operator ends the sequence on the server's store (or the destination forgot it).
    let server_seq = f.delivered()[0].sequence.clone();
    assert_eq!(server_seq, sequence);
    let out = f.store("server.db", &["terminate", &server_seq]);
    assert!(out.status.success(), "{}", text(&out));
    let serve = f.serve(&[]);
    let second = f.send(7, &["--no-terminate"]);
    let shown = text(&second);
    assert_eq!(second.status.code(), Some(3), "{shown}");
    assert!(
        shown.contains("resumed from the store at message 4"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!(
            "sequence {sequence} ended with messages 5-7 undelivered"
        )) && shown.contains("UnknownSequence"),
        "{shown}"
    );
    assert!(!shown.contains("all 7 messages acknowledged"), "{shown}");
    assert_held(&f, &sequence, &(5..=7).collect(), "UnknownSequence");
    f.assert_acked_delivered(&sequence);
    // Sending again before the held messages went out is refused: a new sequence would
    // number them again.
    let again = f.send(7, &["--no-terminate"]);
    assert_eq!(again.status.code(), Some(3), "{}", text(&again));
    assert!(
        text(&again).contains(&format!("wsrx store resend {sequence}")),
        "{}",
        text(&again)
    );

    // A destination that refuses the new sequence (CreateSequenceRefused): nothing moves.
    drop(serve);
    let refusing = f.serve(&["--max-sequences", "0"]);
    let out = resend(&f, &sequence);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("messages 5-7"), "{}", text(&out));
    assert!(text(&out).contains("stay held"), "{}", text(&out));
    assert_held(&f, &sequence, &(5..=7).collect(), "UnknownSequence");
    drop(refusing);
    let serve = f.serve(&[]);

    let out = resend(&f, &sequence);
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains(&format!("resending messages 5-7 of sequence {sequence}"))
            && shown.contains("all 3 resent messages acknowledged"),
        "{shown}"
    );
    f.assert_each_once(7);
    // The failed sequence now holds nothing; the delivery log and the acknowledgements
    // agree; purge removes it.
    let out = f.store("client.db", &["show", &sequence]);
    assert_eq!(line_value(&text(&out), "held"), "none", "{}", text(&out));
    assert_eq!(line_value(&text(&out), "resent"), "5-7", "{}", text(&out));
    f.assert_acked_delivered(&sequence);
    let out = f.store("client.db", &["purge"]);
    assert!(
        text(&out).contains(&format!("removed source sequence {sequence}")),
        "{}",
        text(&out)
    );
    // A second resend has nothing to do.
    assert!(!resend(&f, &sequence).status.success());
    drop(serve);
}

#[test]
fn a_full_replay_cache_and_inactivity_fail_loudly_and_resend_completes() {
    let f = Fixture::new("replay-full");
    // Room for the CreateSequence and a few messages only; both sides give up after
    // seconds of silence.
    let serve = f.serve(&["--replay-capacity", "4", "--inactivity-timeout", "2"]);
    let out = f.send(8, &["--no-terminate", "--inactivity-timeout", "3"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(3), "{shown}");
    let sequence = sequence_of(&out);
    let delivered_before: BTreeSet<u64> = f.delivered().iter().map(|d| d.number).collect();
    assert!(
        !delivered_before.is_empty() && delivered_before.len() < 8,
        "{delivered_before:?}"
    );
    let missing: BTreeSet<u64> = (1..=8).filter(|n| !delivered_before.contains(n)).collect();
    // Which numbers the full cache refused depends on the order the window's messages
    // arrived in (not always a tail): shown as ranges, `3-4,6-8`, as `wsrx send` prints them.
    let missing_text = {
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        for &n in &missing {
            match ranges.last_mut() {
                Some((_, hi)) if *hi + 1 == n => *hi = n,
                _ => ranges.push((n, n)),
            }
        }
        ranges
            .iter()
            .map(|&(lo, hi)| {
                if lo == hi {
                    lo.to_string()
                } else {
                    format!("{lo}-{hi}")
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    assert!(
        shown.contains(&format!(
            "sequence {sequence} ended with messages {missing_text} undelivered"
        )) && shown.contains("inactivity"),
        "{shown}"
    );
    assert_held(&f, &sequence, &missing, "inactivity");
    f.assert_acked_delivered(&sequence);
    drop(serve);
    // A server with room again; the held messages go on a new sequence.
    let serve = f.serve(&[]);
    let out = resend(&f, &sequence);
    assert!(out.status.success(), "{}", text(&out));
    f.assert_each_once(8);
    f.assert_acked_delivered(&sequence);
    drop(serve);
}

/// With `--assurance at-least-once --on-undelivered resend`, `wsrx send` resends the
/// undelivered messages on a new sequence by itself and succeeds.
#[test]
fn at_least_once_resends_on_a_new_sequence_by_itself() {
    let f = Fixture::new("auto-resend");
    let serve = f.serve(&[]);
    let first = f.send(3, &["--no-terminate"]);
    assert!(first.status.success(), "{}", text(&first));
    let sequence = sequence_of(&first);
    drop(serve);
    assert!(
        f.store("server.db", &["terminate", &sequence])
            .status
            .success()
    );
    let serve = f.serve(&[]);
    let out = f.send(
        6,
        &[
            "--no-terminate",
            "--assurance",
            "at-least-once",
            "--on-undelivered",
            "resend",
        ],
    );
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains("undelivered") && shown.contains("--on-undelivered resend"),
        "{shown}"
    );
    assert!(shown.contains("resent messages acknowledged"), "{shown}");
    f.assert_each_once(6);
    f.assert_acked_delivered(&sequence);
    drop(serve);
}

/// `--on-undelivered resend` is refused where a resend could duplicate (ExactlyOnce).
#[test]
fn automatic_resend_needs_at_least_once() {
    let f = Fixture::new("policy");
    // Refused before anything is sent: no server needed (port 9, discard, is never used).
    let out = f.send_to("http://127.0.0.1:9/rm", 1, &["--on-undelivered", "resend"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("needs --assurance at-least-once"),
        "{}",
        text(&out)
    );
}
