//! Every key-agreement mode end to end (WS-Trust 1.3 §4.4.3), in both dialects, with the
//! computed key checked against vector PS-4 of `testdata/p_sha1/p_sha1.toml` (read at run
//! time; the values are never retyped here).
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

use common::{ENDPOINT, Scripted, exchange, issuer, ps4, session, t};
use wsrx_sc::{Dialect, EntropyMode, IssuerConfig, ProofToken, Rstr, SessionConfig, TokenFor};
use wsrx_security::KeyResolver;
use wsrx_soap::Envelope;
use wsrx_xml::Document;

fn response(envelope: &str) -> Rstr {
    let doc = Document::parse(envelope.as_bytes()).unwrap();
    let env = Envelope::new(&doc).unwrap();
    Rstr::parse(env.payload().unwrap()).unwrap()
}

/// Runs one Issue exchange and returns (session key, issuer key, RSTR).
fn establish(
    dialect: Dialect,
    mode: EntropyMode,
    client: Vec<Vec<u8>>,
    server: Vec<Vec<u8>>,
    bits: u32,
) -> (Vec<u8>, Vec<u8>, Rstr) {
    let config = SessionConfig {
        key_size_bits: bits,
        ..session(dialect, mode, Scripted::new(1, Vec::new()))
            .config()
            .clone()
    };
    let mut s = wsrx_sc::Session::new(config, Scripted::new(1, client));
    let mut i = issuer(IssuerConfig::default(), Scripted::new(2, server));
    assert_eq!(s.token_for(ENDPOINT, t(0)).unwrap(), TokenFor::Pending);
    let replies = exchange(&mut s, &mut i, t(0));
    assert_eq!(replies.len(), 1);
    assert!(replies[0].outcome.is_ok(), "{:?}", replies[0].outcome);
    let TokenFor::Ready(id) = s.token_for(ENDPOINT, t(1)).unwrap() else {
        panic!("not established")
    };
    let ctx = s.context(ENDPOINT, t(1)).unwrap();
    let issued = i.resolver(t(1)).sct_secret(&id, None).unwrap();
    (
        ctx.secret.expose_secret().to_vec(),
        issued.expose_secret().to_vec(),
        response(&replies[0].envelope),
    )
}

#[test]
fn combined_entropy_gives_the_ps4_computed_key_in_both_dialects() {
    let (client, server, bits, expected, swapped) = ps4();
    for d in Dialect::ALL {
        let (ours, theirs, rstr) = establish(
            d,
            EntropyMode::Combined,
            vec![client.clone()],
            vec![server.clone()],
            bits,
        );
        assert_eq!(ours, expected, "{d:?}: session key");
        assert_eq!(theirs, expected, "{d:?}: issuer key");
        assert_ne!(ours, swapped);
        assert_eq!(
            rstr.proof,
            Some(ProofToken::ComputedKey(d.computed_key_uri().to_owned()))
        );
        assert_eq!(rstr.entropy.unwrap().value.expose_secret(), &server[..]);
        assert_eq!(rstr.key_size, Some(bits));
    }
}

#[test]
fn requester_entropy_alone_is_the_key() {
    for d in Dialect::ALL {
        let key = vec![0x5a; 32];
        let (ours, theirs, rstr) = establish(
            d,
            EntropyMode::Requester,
            vec![key.clone()],
            Vec::new(),
            256,
        );
        assert_eq!(ours, key);
        assert_eq!(theirs, key);
        assert_eq!(
            rstr.proof, None,
            "no proof token when the requester chose the key"
        );
    }
}

#[test]
fn issuer_entropy_alone_comes_back_as_a_binary_secret() {
    for d in Dialect::ALL {
        let key = vec![0xc3; 24];
        let (ours, theirs, rstr) =
            establish(d, EntropyMode::Issuer, Vec::new(), vec![key.clone()], 192);
        assert_eq!(ours, key);
        assert_eq!(theirs, key);
        match rstr.proof {
            Some(ProofToken::BinarySecret(s)) => assert_eq!(s.value.expose_secret(), &key[..]),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn key_size_below_the_minimum_is_a_bad_request() {
    for d in Dialect::ALL {
        let mut s = wsrx_sc::Session::new(
            SessionConfig {
                key_size_bits: 64,
                ..session(d, EntropyMode::Combined, Scripted::new(3, Vec::new()))
                    .config()
                    .clone()
            },
            Scripted::new(3, Vec::new()),
        );
        let mut i = issuer(IssuerConfig::default(), Scripted::new(4, Vec::new()));
        s.token_for(ENDPOINT, t(0)).unwrap();
        let replies = exchange(&mut s, &mut i, t(0));
        assert_eq!(
            replies[0].outcome,
            Err(wsrx_sc::TrustFault::BadRequest("key size too small"))
        );
        assert!(i.store().is_empty());
        assert_eq!(s.token_for(ENDPOINT, t(1)).unwrap(), TokenFor::Pending);
    }
}
