#![allow(
    clippy::panic,
    reason = "a fuzz harness reports a violated invariant by panicking"
)]
//! Fuzz harnesses for the token service side: sealed SCT records and WS-Trust
//! messages. Called by `fuzz/fuzz_targets/sc_sealed.rs` and `sc_trust.rs`, and replayed
//! under `cargo test` (`crates/wsrx-test/tests/fuzz_replay.rs`).
//!
//! Both use fixed, public keys and a seeded generator: **test only**.

use std::time::{Duration, SystemTime};

use wsrx_crypto::{InsecureSeededRandom, KeyRing, SecretKey};
use wsrx_security::ScVersion;
use wsrx_xml::{Document, Limits};

use crate::sealed::{SealError, seal, unseal};
use crate::{
    EstablishedSct, Issuer, IssuerConfig, Rst, Rstr, Transport, UsernameAuthenticator,
    UsernameConfig, UsernameVerifier,
};

const RING_KEY: [u8; 32] = [0x33; 32];
const IDENTIFIER: &str = "urn:uuid:5ea1ed00-0000-4000-8000-000000000001";

fn ring() -> Option<KeyRing> {
    KeyRing::new(SecretKey::from_slice(&RING_KEY)).ok()
}

/// Arbitrary bytes as a sealed SCT blob, then as the content of a record:
///
/// - [`unseal`] of the bytes never panics, and never opens them (the fuzzer does not
///   know the ring's key);
/// - a record built from the bytes seals, and unseals to the same record; flipping any
///   one bit chosen by the input, truncating it, or opening it for another identifier
///   always fails.
///
/// Returns whether the input got as far as the tamper checks.
pub fn sealed_blob(data: &[u8]) -> bool {
    let Some(ring) = ring() else {
        return false;
    };
    if let Ok(t) = unseal(data, &ring, IDENTIFIER) {
        panic!("arbitrary bytes opened as a sealed record: {t:?}");
    }
    let (head, rest) = data.split_at(data.len().min(2));
    let split = rest.len() / 2;
    let (a, b) = rest.split_at(split);
    let identifier = if a.is_empty() {
        IDENTIFIER.to_owned()
    } else {
        String::from_utf8_lossy(a).into_owned()
    };
    let token = EstablishedSct {
        identifier: identifier.clone(),
        instance: head
            .first()
            .filter(|x| *x % 2 == 1)
            .map(|x| format!("i{x}")),
        secret: SecretKey::from_slice(b),
        created: SystemTime::UNIX_EPOCH
            + Duration::from_secs(u64::from(*head.first().unwrap_or(&0))),
        expires: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        version: if head.get(1).is_some_and(|x| x % 2 == 0) {
            ScVersion::V200512
        } else {
            ScVersion::V200502
        },
        endpoint: "http://127.0.0.1/rm".to_owned(),
    };
    let mut rng = InsecureSeededRandom::from_seed(data.len() as u64);
    let blob = match seal(&token, &ring, &mut rng) {
        Ok(b) => b,
        Err(SealError::TooLong) => return false,
        Err(e) => panic!("sealing failed: {e}"),
    };
    match unseal(&blob, &ring, &identifier) {
        Ok(back) => assert_eq!(back, token, "round trip changed the record"),
        Err(e) => panic!("our own blob does not open: {e}"),
    }
    let bit =
        usize::from(*head.first().unwrap_or(&0)) + 256 * usize::from(*head.get(1).unwrap_or(&0));
    let at = bit / 8 % blob.len().max(1);
    let mut flipped = blob.clone();
    if let Some(x) = flipped.get_mut(at) {
        *x ^= 1 << (bit % 8);
    }
    assert!(
        unseal(&flipped, &ring, &identifier).is_err(),
        "a flipped bit (byte {at}) still opens"
    );
    let cut = blob.get(..at).unwrap_or_default();
    assert!(
        unseal(cut, &ring, &identifier).is_err(),
        "a blob truncated to {at} bytes still opens"
    );
    let other = format!("{identifier}x");
    assert!(
        unseal(&blob, &ring, &other).is_err(),
        "a blob opens for another identifier"
    );
    true
}

struct OnePassword;

impl UsernameVerifier for OnePassword {
    fn password(&self, username: &str) -> Option<SecretKey> {
        (username == "alice").then(|| SecretKey::from_slice(b"wonderland"))
    }
}

/// Arbitrary bytes as a WS-Trust message:
///
/// - the Body's child through [`Rst::parse`] and [`Rstr::parse`] never panics; a
///   parsed RST or RSTR written back parses again to the same value;
/// - the whole envelope through [`Issuer::handle_message`] (UsernameToken bootstrap,
///   user `alice`) never panics and always answers with a well-formed SOAP envelope
///   (an RSTR or a fault).
///
/// Returns whether the input was an envelope the issuer answered.
pub fn trust_message(data: &[u8]) -> bool {
    let limits = Limits {
        max_document_size: 64 * 1024,
        max_nodes: 4096,
        ..Limits::default()
    };
    let Ok(doc) = Document::parse_with(data, &limits) else {
        return false;
    };
    let Ok(env) = wsrx_soap::Envelope::new(&doc) else {
        return false;
    };
    let action = wsrx_soap::AddressingHeaders::parse(&env)
        .ok()
        .flatten()
        .and_then(|h| h.action);
    if let Some(p) = env.payload() {
        if let Ok(rst) = Rst::parse(p, action.as_deref()) {
            round_trip_rst(&rst, action.as_deref());
        }
        if let Ok(rstr) = Rstr::parse(p) {
            round_trip_rstr(&rstr);
        }
    }
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    let mut issuer = Issuer::new(
        IssuerConfig::default(),
        UsernameAuthenticator::new(OnePassword, UsernameConfig::default()),
        InsecureSeededRandom::from_seed(7),
    );
    for transport in [Transport::Protected, Transport::Unprotected] {
        let reply = issuer.handle_message(now, &doc, transport);
        let answer = Document::parse(reply.envelope.as_bytes());
        let Ok(answer) = answer else {
            panic!(
                "the issuer's answer is not well-formed XML\n{}",
                reply.envelope
            )
        };
        assert!(
            wsrx_soap::Envelope::new(&answer).is_ok(),
            "the issuer's answer is not an envelope\n{}",
            reply.envelope
        );
    }
    true
}

fn round_trip_rst(rst: &Rst, action: Option<&str>) {
    let mut w = wsrx_xml::XmlWriter::new();
    rst.write(&mut w);
    let text = w.finish();
    let Ok(text) = text else { return };
    let Ok(doc) = Document::parse(text.as_bytes()) else {
        panic!("a parsed RST writes ill-formed XML\n{text}")
    };
    match Rst::parse(doc.root(), action) {
        Ok(back) => assert_eq!(&back, rst, "RST round trip changed it\n{text}"),
        Err(e) => panic!("a written RST does not parse back: {e}\n{text}"),
    }
}

fn round_trip_rstr(rstr: &Rstr) {
    let mut w = wsrx_xml::XmlWriter::new();
    rstr.write(&mut w, false);
    let text = w.finish();
    let Ok(text) = text else { return };
    let Ok(doc) = Document::parse(text.as_bytes()) else {
        panic!("a parsed RSTR writes ill-formed XML\n{text}")
    };
    match Rstr::parse(doc.root()) {
        Ok(back) => assert_eq!(&back, rstr, "RSTR round trip changed it\n{text}"),
        Err(e) => panic!("a written RSTR does not parse back: {e}\n{text}"),
    }
}
