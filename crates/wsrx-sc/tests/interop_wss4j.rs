//! Interop: a context obtained through our Session and Issuer in the WS-SC/WS-Trust
//! 2005/02 dialect (WSS4J's default), used to sign an application message, must get
//! `VERIFIED OK` from Apache WSS4J 1.6.19 (`interop/wss4j`, run through `wsrx_peers::wss4j`
//! as in `crates/wsrx-security/tests/interop_wss4j.rs`). Without a JDK and Debian's WSS4J
//! jars it reports `skipped: needs WSS4J` (counted at the end of the run), and fails when
//! `WSRX_REQUIRE_INTEROP` is set.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::panic_in_result_fn,
    clippy::unwrap_in_result,
    reason = "test code"
)]

mod common;

use std::path::PathBuf;
use std::time::SystemTime;

use common::{ENDPOINT, Scripted, app_message, exchange, issuer, session};
use wsrx_crypto::OsRandom;
use wsrx_sc::{Dialect, EntropyMode, IssuerConfig, TokenFor};
use wsrx_security::{AlgorithmSuite, SignConfig, Signer};
use wsrx_xml::Document;

fn b64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            out.push(if i <= c.len() {
                char::from(A[((n >> (18 - 6 * i)) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}

#[test]
fn wss4j_verifies_a_message_signed_with_an_issued_feb2005_context() {
    let Some(oracle) = wsrx_peers::wss4j() else {
        return;
    };
    // A real clock: WSS4J refuses Timestamps older than 300 s.
    let now = SystemTime::now();
    let mut s = session(
        Dialect::V200502,
        EntropyMode::Combined,
        Scripted::new(60, Vec::new()),
    );
    let mut i = issuer(IssuerConfig::default(), Scripted::new(61, Vec::new()));
    s.token_for(ENDPOINT, now).unwrap();
    exchange(&mut s, &mut i, now);
    let TokenFor::Ready(id) = s.token_for(ENDPOINT, now).unwrap() else {
        panic!("no context")
    };
    let ctx = s.context(ENDPOINT, now).unwrap();
    let unsigned = Document::parse(app_message(wsrx_soap::ns::SOAP11).as_bytes()).unwrap();
    let config = SignConfig {
        suite: AlgorithmSuite::Basic256,
        ..SignConfig::default()
    };
    let signed = Signer::new(&ctx.token(), &ctx.secret, config)
        .secure(&unsigned, now, &mut OsRandom)
        .unwrap();
    let file = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("wsrx-sc-feb2005-signed.xml");
    std::fs::write(&file, &signed).unwrap();
    let out = oracle
        .command(&[
            "verify",
            "--secret",
            &b64(ctx.secret.expose_secret()),
            "--sct-id",
            &id,
        ])
        .arg(&file)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("VERIFIED OK"),
        "WSS4J said:\n{text}"
    );
}
