//! `wsrx send --peer` against `wsrx serve [--peer]` over loopback HTTP (issue 18,
//! docs/sequence-binding.md), with the real binaries:
//! * `--peer gsoap` writes no STR: a strict `wsrx serve` refuses the CreateSequence
//!   (BindingRequired, reported with the peer's fault text), one with `--peer cxf` binds
//!   the sequence to the SCT that signed it and delivers every message bound to it;
//! * `--peer cxf` writes the STR without `UsesSequenceSTR`: refused by the strict server
//!   (UsesSequenceStrMismatch), accepted under `--peer cxf`;
//! * WS-RM 1.0 (`--rm 1.0`): the sequence ends with an acknowledged LastMessage and a
//!   TerminateSequence that reached the server (the server's delivery log has every
//!   message once, and its store no longer holds the sequence).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const SCT: &str = "urn:uuid:6a1c2a5e-5c0b-4a36-9d43-2f1f0c0ffee1";
const SECRET: &str = "c2VjdXJlLWNvbnZlcnNhdGlvbi1kZW1vLXNlY3JldCE=";

/// A `wsrx serve` with `extra` options and a delivery log; its URL.
fn serve(dir: &Path, name: &str, ring: &Path, extra: &[&str]) -> (common::Serve, String) {
    let port = common::free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wsrx"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--sct-id", SCT, "--sct-secret", SECRET])
        .args(extra)
        .arg("--store")
        .arg(dir.join(format!("{name}.db")))
        .arg("--keyring")
        .arg(ring)
        .arg("--delivery-log")
        .arg(dir.join(format!("{name}.jsonl")))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("listening"), "{line}");
    (common::Serve(child), format!("http://127.0.0.1:{port}/rm"))
}

fn send(dir: &Path, ring: &Path, store: &str, url: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsrx"))
        .args(["send", "--to", url, "--count", "3", "--timeout", "30"])
        .args([
            "--sct-id",
            SCT,
            "--sct-secret",
            SECRET,
            "--retransmit-ms",
            "200",
        ])
        .args(extra)
        .arg("--store")
        .arg(dir.join(format!("{store}.db")))
        .arg("--keyring")
        .arg(ring)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The delivery log's lines: (sequence, number, bound_to).
fn delivered(path: &Path) -> Vec<(String, u64, String)> {
    let Ok(t) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    t.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["sequence"].as_str().unwrap().to_owned(),
                v["number"].as_u64().unwrap(),
                v["bound_to"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn peer_profiles_decide_the_binding_and_rm10_ends_at_the_peer() {
    let dir = std::env::temp_dir().join(format!("wsrx-cli-peer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ring = common::keyring(&dir);
    let (_strict, strict_url) = serve(&dir, "strict", &ring, &[]);
    let (_cxf, cxf_url) = serve(&dir, "cxf", &ring, &["--peer", "cxf"]);

    // No STR at all (gSOAP's shape): refused by strict, bound to the signer under cxf.
    let o = send(&dir, &ring, "g1", &strict_url, &["--peer", "gsoap"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("CreateSequenceRefused"), "{}", text(&o));
    assert!(delivered(&dir.join("strict.jsonl")).is_empty());
    let o = send(&dir, &ring, "g2", &cxf_url, &["--peer", "gsoap"]);
    assert!(o.status.success(), "{}", text(&o));
    let got = delivered(&dir.join("cxf.jsonl"));
    assert_eq!(
        got.iter().map(|d| d.1).collect::<Vec<_>>(),
        vec![1, 2, 3],
        "{got:?}"
    );
    assert!(
        got.iter().all(|d| d.2 == SCT),
        "not bound to the signer: {got:?}"
    );

    // The STR without UsesSequenceSTR (what we send CXF), on 1.1.
    let o = send(&dir, &ring, "c1", &strict_url, &["--peer", "cxf"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("CreateSequenceRefused"), "{}", text(&o));
    let o = send(&dir, &ring, "c2", &cxf_url, &["--peer", "cxf"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(delivered(&dir.join("cxf.jsonl")).len(), 6);

    // WS-RM 1.0: LastMessage acknowledged, TerminateSequence delivered.
    let o = send(&dir, &ring, "r10", &strict_url, &["--rm", "1.0"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("LastMessage) acknowledged"), "{out}");
    assert!(
        out.contains("TerminateSequence delivered, HTTP 202"),
        "{out}"
    );
    let got = delivered(&dir.join("strict.jsonl"));
    assert_eq!(
        got.iter().map(|d| d.1).collect::<Vec<_>>(),
        vec![1, 2, 3],
        "{got:?}"
    );
    let sequence = got[0].0.clone();
    // The server forgot the sequence: TerminateSequence reached it.
    let o = Command::new(env!("CARGO_BIN_EXE_wsrx"))
        .arg("store")
        .arg("--store")
        .arg(dir.join("strict.db"))
        .arg("--keyring")
        .arg(&ring)
        .arg("list")
        .output()
        .unwrap();
    let shown = text(&o);
    assert!(o.status.success(), "{shown}");
    let line = shown
        .lines()
        .find(|l| l.contains(&sequence))
        .unwrap_or_default();
    assert!(line.is_empty() || line.contains("terminated"), "{shown}");
    let _ = std::fs::remove_dir_all(&dir);
}
