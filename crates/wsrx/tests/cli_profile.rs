//! `wsrx send --profile` against `wsrx serve` over loopback HTTP: each peer dialect
//! (WCF wsHttpBinding, WCF ws2007HttpBinding, CXF) completes a secured request-reply
//! sequence, and the namespaces it selected are the ones that dialect uses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const SCT: &str = "urn:uuid:6a1c2a5e-5c0b-4a36-9d43-2f1f0c0ffee1";
const SECRET: &str = "c2VjdXJlLWNvbnZlcnNhdGlvbi1kZW1vLXNlY3JldCE=";

#[test]
fn every_profile_completes_a_secured_sequence_with_its_namespaces() {
    let dir = std::env::temp_dir().join(format!("wsrx-cli-profile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ring = common::keyring(&dir);
    let bin = env!("CARGO_BIN_EXE_wsrx");
    let port = common::free_port();
    let mut child = Command::new(bin)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--sct-id",
            SCT,
            "--sct-secret",
            SECRET,
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
    let cases = [
        (
            "default",
            [
                "http://docs.oasis-open.org/ws-rx/wsrm/200702",
                "http://www.w3.org/2005/08/addressing",
                "http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512",
                "SOAP 1.2",
            ],
        ),
        (
            "wcf-wshttp",
            [
                "http://schemas.xmlsoap.org/ws/2005/02/rm",
                "http://www.w3.org/2005/08/addressing",
                "http://schemas.xmlsoap.org/ws/2005/02/sc",
                "SOAP 1.2",
            ],
        ),
        (
            "wcf-ws2007",
            [
                "http://docs.oasis-open.org/ws-rx/wsrm/200702",
                "http://www.w3.org/2005/08/addressing",
                "http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512",
                "SOAP 1.2",
            ],
        ),
        (
            "cxf",
            [
                "http://schemas.xmlsoap.org/ws/2005/02/rm",
                "http://schemas.xmlsoap.org/ws/2004/08/addressing",
                "http://schemas.xmlsoap.org/ws/2005/02/sc",
                "SOAP 1.1",
            ],
        ),
    ];
    for (profile, expected) in cases {
        let out = Command::new(bin)
            .args([
                "send",
                "--profile",
                profile,
                "--to",
                &format!("http://127.0.0.1:{port}/rm"),
                "--count",
                "2",
            ])
            .args([
                "--request-reply",
                "--sct-id",
                SCT,
                "--sct-secret",
                SECRET,
                "--timeout",
                "30",
            ])
            .arg("--store")
            .arg(dir.join(format!("{profile}.db")))
            .arg("--keyring")
            .arg(&ring)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{profile}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let first = text.lines().next().unwrap_or("");
        for ns in expected {
            assert!(first.contains(ns), "{profile}: {first}");
        }
        assert_eq!(
            text.matches("echoed: message").count(),
            2,
            "{profile}: {text}"
        );
    }
    drop(_serve);
    let _ = std::fs::remove_dir_all(&dir);
}
