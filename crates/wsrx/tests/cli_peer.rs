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

use std::path::Path;
use std::process::Output;

use wsrx_test::fixture::cli::{Serve, Workdir, text};
use wsrx_test::fixture::log;

const SCT: &str = "urn:uuid:6a1c2a5e-5c0b-4a36-9d43-2f1f0c0ffee1";
const SECRET: &str = "c2VjdXJlLWNvbnZlcnNhdGlvbi1kZW1vLXNlY3JldCE=";

/// A `wsrx serve` with `extra` options, its store `NAME.db` and delivery log `NAME.jsonl`.
fn serve(w: &Workdir, name: &str, extra: &[&str]) -> Serve {
    let log = format!("{name}.jsonl");
    let mut args = vec![
        "--sct-id",
        SCT,
        "--sct-secret",
        SECRET,
        "--delivery-log",
        &log,
    ];
    args.extend(extra);
    let serve = w.serve(&format!("{name}.db"), &args);
    assert!(serve.banner.contains("listening"), "{}", serve.banner);
    serve
}

fn send(w: &Workdir, store: &str, url: &str, extra: &[&str]) -> Output {
    // A token unless the case chose --security (none and tls-bound refuse one).
    let token: &[&str] = if extra.contains(&"--security") {
        &[]
    } else {
        &["--sct-id", SCT, "--sct-secret", SECRET]
    };
    let args = [
        &["--count", "3"][..],
        token,
        &["--retransmit-ms", "200"],
        extra,
    ]
    .concat();
    w.send(url, &format!("{store}.db"), &args)
}

/// The delivery log's lines: (sequence, number, bound_to).
fn delivered(path: &Path) -> Vec<(String, u64, String)> {
    log::read(path)
        .into_iter()
        .map(|d| (d.sequence, d.number, d.bound_to.unwrap_or_default()))
        .collect()
}

#[test]
fn peer_profiles_decide_the_binding_and_rm10_ends_at_the_peer() {
    let w = Workdir::new(env!("CARGO_BIN_EXE_wsrx"), "cli-peer");
    let dir = &w.dir;
    let strict = serve(&w, "strict", &[]);
    let cxf = serve(&w, "cxf", &["--peer", "cxf"]);
    let (strict_url, cxf_url) = (strict.url.clone(), cxf.url.clone());

    // No STR at all (gSOAP's shape): refused by strict, bound to the signer under cxf.
    let o = send(&w, "g1", &strict_url, &["--peer", "gsoap"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("CreateSequenceRefused"), "{}", text(&o));
    assert!(delivered(&dir.join("strict.jsonl")).is_empty());
    let o = send(&w, "g2", &cxf_url, &["--peer", "gsoap"]);
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
    let o = send(&w, "c1", &strict_url, &["--peer", "cxf"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("CreateSequenceRefused"), "{}", text(&o));
    let o = send(&w, "c2", &cxf_url, &["--peer", "cxf"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(delivered(&dir.join("cxf.jsonl")).len(), 6);

    // WS-RM 1.0: LastMessage acknowledged, TerminateSequence delivered.
    let o = send(&w, "r10", &strict_url, &["--rm", "1.0"]);
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
    let o = w.store("strict.db", &["list"]);
    let shown = text(&o);
    assert!(o.status.success(), "{shown}");
    let line = shown
        .lines()
        .find(|l| l.contains(&sequence))
        .unwrap_or_default();
    assert!(line.is_empty() || line.contains("terminated"), "{shown}");

    // Plain WS-RM: refused unless the server says so too.
    let plain = serve(&w, "plain", &["--security", "none"]);
    let o = send(&w, "p1", &strict_url, &["--security", "none"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("CreateSequenceRefused"), "{}", text(&o));
    let o = send(&w, "p2", &plain.url, &["--security", "none"]);
    assert!(o.status.success(), "{}", text(&o));
    let got = delivered(&dir.join("plain.jsonl"));
    assert_eq!(got.iter().map(|d| d.1).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert!(got.iter().all(|d| d.2.is_empty()), "{got:?}");
    // tls-bound is refused over plain HTTP before anything is sent.
    let o = send(&w, "p3", &plain.url, &["--security", "tls-bound"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("https://"), "{}", text(&o));
    drop((strict, cxf, plain));
}
