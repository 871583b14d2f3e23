//! Every signed gSOAP capture (`testdata/gsoap/sct-hmac/`, `sct-dkt/`, its MANIFEST.md)
//! verifies at a time inside its Timestamp window, and satisfies the signed-parts
//! policy for Body, Timestamp, WS-A and WS-RM headers as gSOAP signs them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_in_result,
    reason = "test code"
)]

mod common;

use std::time::Duration;

use common::{MapResolver, created_of, gsoap_manifest, vectors};
use wsrx_security::{Policy, SecurityError, Verifier};
use wsrx_xml::Document;

fn signed_messages() -> Vec<(String, toml::Value)> {
    let m = gsoap_manifest();
    m["message"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|msg| msg["expected"].as_str() == Some("verify"))
        .map(|msg| (msg["file"].as_str().unwrap().to_owned(), msg.clone()))
        .collect()
}

#[test]
fn all_signed_captures_verify_and_pass_policy() {
    let messages = signed_messages();
    assert_eq!(messages.len(), 24, "MANIFEST §6 lists 24 signed messages");
    let resolver = MapResolver::demo();
    let (identifier, _) = common::demo_context();
    for (file, meta) in messages {
        let text = std::fs::read_to_string(vectors().join("gsoap").join(&file)).unwrap();
        let doc = Document::parse(text.as_bytes()).unwrap();
        let at = created_of(&text) + Duration::from_secs(1);
        let verified = Verifier::default()
            .verify(&doc, &resolver, at)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let sigs = verified.signatures();
        assert_eq!(sigs.len(), 1, "{file}");
        let refs = meta["signed_references"].as_array().unwrap();
        assert_eq!(sigs[0].covered().len(), refs.len(), "{file}");
        let dkt = file.starts_with("sct-dkt");
        assert_eq!(sigs[0].key().is_derived(), dkt, "{file}");
        let policy = Policy {
            expected_context: Some(identifier.clone()),
            require_derived_keys: dkt,
            ..Policy::default()
        };
        let key = policy
            .check(&verified)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(key.sct_identifier, identifier);
    }
}

#[test]
fn captures_are_expired_now_and_before_their_creation() {
    let resolver = MapResolver::demo();
    for (file, _) in signed_messages() {
        let text = std::fs::read_to_string(vectors().join("gsoap").join(&file)).unwrap();
        let doc = Document::parse(text.as_bytes()).unwrap();
        let created = created_of(&text);
        let late = created + Duration::from_secs(3600);
        let early = created - Duration::from_secs(3600);
        for at in [late, early] {
            assert_eq!(
                Verifier::default().verify(&doc, &resolver, at).unwrap_err(),
                SecurityError::MessageExpired,
                "{file}"
            );
        }
    }
}

#[test]
fn unknown_context_is_a_bad_context_token() {
    let resolver = MapResolver::default();
    let (file, _) = &signed_messages()[0];
    let text = std::fs::read_to_string(vectors().join("gsoap").join(file)).unwrap();
    let doc = Document::parse(text.as_bytes()).unwrap();
    let err = Verifier::default()
        .verify(&doc, &resolver, created_of(&text))
        .unwrap_err();
    assert!(matches!(err, SecurityError::BadContextToken(_)));
    assert_eq!(err.to_fault().subcode().unwrap().local, "BadContextToken");
}

#[test]
fn wrong_secret_fails_the_check() {
    let (id, mut secret) = common::demo_context();
    secret[0] ^= 1;
    let resolver = MapResolver(std::collections::HashMap::from([(id, secret)]));
    for (file, _) in signed_messages() {
        let text = std::fs::read_to_string(vectors().join("gsoap").join(&file)).unwrap();
        let doc = Document::parse(text.as_bytes()).unwrap();
        assert_eq!(
            Verifier::default()
                .verify(&doc, &resolver, created_of(&text))
                .unwrap_err(),
            SecurityError::FailedCheck,
            "{file}"
        );
    }
}
