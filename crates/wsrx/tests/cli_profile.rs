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

use wsrx_test::fixture::cli::Workdir;

const SCT: &str = "urn:uuid:6a1c2a5e-5c0b-4a36-9d43-2f1f0c0ffee1";
const SECRET: &str = "c2VjdXJlLWNvbnZlcnNhdGlvbi1kZW1vLXNlY3JldCE=";

#[test]
fn every_profile_completes_a_secured_sequence_with_its_namespaces() {
    let w = Workdir::new(env!("CARGO_BIN_EXE_wsrx"), "cli-profile");
    let serve = w.serve("server.db", &["--sct-id", SCT, "--sct-secret", SECRET]);
    assert!(serve.banner.contains("listening"), "{}", serve.banner);
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
        let out = w.send(
            &serve.url,
            &format!("{profile}.db"),
            &[
                "--profile",
                profile,
                "--count",
                "2",
                "--request-reply",
                "--sct-id",
                SCT,
                "--sct-secret",
                SECRET,
                "--timeout",
                "30",
            ],
        );
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
    drop(serve);
}
