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

mod common;
mod delivery_log;

use delivery_log::{field, numbers};

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const SCT: &str = "urn:uuid:0d5e1f0a-15aa-4c5e-9c1d-ac4ed15de11e";
const SECRET: &str = "c2VjdXJlLWNvbnZlcnNhdGlvbi1kZW1vLXNlY3JldCE=";
const BIN: &str = env!("CARGO_BIN_EXE_wsrx");

struct Fixture {
    dir: PathBuf,
    ring: PathBuf,
    port: u16,
}

impl Fixture {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("wsrx-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let ring = common::keyring(&dir);
        Self {
            dir,
            ring,
            port: common::free_port(),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/rm", self.port)
    }

    fn serve(&self, extra: &[&str]) -> common::Serve {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
            .args(["--sct-id", SCT, "--sct-secret", SECRET])
            .arg("--store")
            .arg(self.dir.join("server.db"))
            .arg("--keyring")
            .arg(&self.ring)
            .arg("--delivery-log")
            .arg(self.dir.join("delivery.log"))
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.contains("listening"), "{line}");
        common::Serve(child)
    }

    fn send(&self, count: u64, extra: &[&str]) -> Output {
        Command::new(BIN)
            .args(["send", "--to", &self.url(), "--count", &count.to_string()])
            .args(["--sct-id", SCT, "--sct-secret", SECRET])
            .args(["--retransmit-ms", "100", "--timeout", "60"])
            .arg("--store")
            .arg(self.dir.join("client.db"))
            .arg("--keyring")
            .arg(&self.ring)
            .args(extra)
            .output()
            .unwrap()
    }

    fn store(&self, db: &str, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(["store", "--store"])
            .arg(self.dir.join(db))
            .arg("--keyring")
            .arg(&self.ring)
            .args(args)
            .output()
            .unwrap()
    }

    /// The delivery log: (sequence, number, text) per line.
    fn delivered(&self) -> Vec<(String, u64, String)> {
        std::fs::read_to_string(self.dir.join("delivery.log"))
            .unwrap_or_default()
            .lines()
            .map(|l| {
                (
                    field(l, "sequence").unwrap().to_owned(),
                    field(l, "number").unwrap().parse().unwrap(),
                    field(l, "text").unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// acknowledged ⊆ delivered: every number the client's store records acknowledged
    /// for `sequence` (`wsrx store show`) is in the delivery log under that sequence.
    fn assert_acked_delivered(&self, sequence: &str) {
        let out = self.store("client.db", &["show", sequence]);
        assert!(out.status.success(), "{}", text(&out));
        let acked = numbers(line_value(&text(&out), "acked"));
        let delivered: BTreeSet<u64> = self
            .delivered()
            .into_iter()
            .filter(|(s, _, _)| s == sequence)
            .map(|(_, n, _)| n)
            .collect();
        assert!(
            acked.is_subset(&delivered),
            "acknowledged {acked:?} ⊄ delivered {delivered:?} for {sequence}"
        );
    }

    /// Each `message i of …` text appears exactly once for i in 1..=count.
    fn assert_each_once(&self, count: u64) {
        let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
        for (_, _, t) in self.delivered() {
            let i: u64 = t
                .strip_prefix("message ")
                .and_then(|r| r.split(' ').next())
                .unwrap()
                .parse()
                .unwrap();
            *seen.entry(i).or_default() += 1;
        }
        let expected: BTreeMap<u64, usize> = (1..=count).map(|i| (i, 1)).collect();
        assert_eq!(seen, expected, "delivery log: {:?}", self.delivered());
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The value after `key` on its line of `wsrx store show`.
fn line_value<'a>(shown: &'a str, key: &str) -> &'a str {
    shown
        .lines()
        .find_map(|l| {
            l.strip_prefix(key)
                .filter(|r| r.starts_with(' '))
                .map(str::trim)
        })
        .unwrap_or_else(|| panic!("no {key:?} line: {shown}"))
}

/// The sequence identifier `wsrx send` printed.
fn sequence_of(out: &Output) -> String {
    let t = text(out);
    t.lines()
        .find_map(|l| l.strip_prefix("sequence "))
        .and_then(|r| r.split(' ').next())
        .unwrap_or_else(|| panic!("no sequence line: {t}"))
        .to_owned()
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
    let server_seq = f.delivered()[0].0.clone();
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
    let delivered_before: BTreeSet<u64> = f.delivered().iter().map(|(_, n, _)| *n).collect();
    assert!(
        !delivered_before.is_empty() && delivered_before.len() < 8,
        "{delivered_before:?}"
    );
    let missing: BTreeSet<u64> = (1..=8).filter(|n| !delivered_before.contains(n)).collect();
    let missing_text = {
        let lo = missing.first().unwrap();
        let hi = missing.last().unwrap();
        assert_eq!(missing.len() as u64, hi - lo + 1, "{missing:?}");
        if lo == hi {
            lo.to_string()
        } else {
            format!("{lo}-{hi}")
        }
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
    let out = f.send(1, &["--on-undelivered", "resend"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("needs --assurance at-least-once"),
        "{}",
        text(&out)
    );
    let _ = Path::new(&f.dir);
}
