//! `wsrx demo` runs a secured sequence on loopback and exits 0 with its verdict.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::process::Command;

#[test]
fn demo_delivers_exactly_once_and_says_so() {
    let out = Command::new(env!("CARGO_BIN_EXE_wsrx"))
        .args(["demo", "--count", "4"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in ["[1]", "[2]", "[3]", "[4]", "[5]", "[6]"] {
        assert!(stdout.contains(step), "missing step {step}:\n{stdout}");
    }
    assert!(stdout.contains("WS-Trust 1.3 RST/SCT to the recipient's token service"));
    assert!(stdout.contains("established; its UUID goes back to the RM runtime"));
    assert!(stdout.contains("UsesSequenceSTR"));
    assert!(
        stdout.contains("VERDICT: OK: 4/4 messages delivered exactly once and in order"),
        "{stdout}"
    );
    assert!(!stdout.contains("(unsigned)"));
}

#[test]
fn demo_show_xml_prints_envelopes() {
    let out = Command::new(env!("CARGO_BIN_EXE_wsrx"))
        .args(["demo", "--count", "1", "--show-xml"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("wsse:Security"));
    assert!(stdout.contains("SecurityTokenReference"));
}
