//! Sign → verify round trips: both WS-SC namespaces × both HMAC suites × with and
//! without Body encryption (and GCM, direct keys, unattached references); plus the
//! replay cache and retransmission with fresh Timestamp and nonces.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_in_result,
    reason = "test code"
)]

mod common;

use std::time::{Duration, SystemTime};

use common::{MapResolver, demo_token, unsigned_message};
use wsrx_crypto::{BlockCipherAlgorithm, InsecureSeededRandom};
use wsrx_security::{
    AlgorithmSuite, Policy, ReplayCache, ReplayQuota, ScVersion, SecurityError, SignConfig, Signer,
    Verifier, decrypt,
};
use wsrx_xml::Document;

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

/// Decrypts (if needed), verifies and checks the policy; returns the payload text.
fn open(secured: &str, at: SystemTime) -> Result<(bool, String), SecurityError> {
    let resolver = MapResolver::demo();
    let doc = Document::parse(secured.as_bytes()).unwrap();
    let decrypted = decrypt(&doc, &resolver)?;
    let encrypted = decrypted.as_ref().is_some_and(|d| d.body_was_encrypted());
    let doc = decrypted.map_or(doc, |d| d.into_document());
    let verified = Verifier::default().verify(&doc, &resolver, at)?;
    Policy::default().check(&verified)?;
    let text = verified
        .envelope()
        .body()
        .descendants_or_self()
        .last()
        .unwrap()
        .text()
        .into_owned();
    Ok((encrypted, text))
}

#[test]
fn matrix_round_trips() {
    let mut rng = InsecureSeededRandom::from_seed(7);
    let unsigned = unsigned_message("hello");
    let doc = Document::parse(unsigned.as_bytes()).unwrap();
    for version in [ScVersion::V200512, ScVersion::V200502] {
        for suite in [
            AlgorithmSuite::Basic256,
            AlgorithmSuite::Basic256Sha256,
            AlgorithmSuite::Basic128,
        ] {
            for (encrypt_body, cipher) in [
                (false, None),
                (true, None),
                (true, Some(BlockCipherAlgorithm::Aes256Gcm)),
            ] {
                for (derived_keys, include_token) in [(true, true), (true, false), (false, true)] {
                    if !derived_keys && suite == AlgorithmSuite::Basic128 && encrypt_body {
                        continue; // a 32-byte SCT secret is no AES-128 key
                    }
                    let (token, secret) = demo_token(version);
                    let config = SignConfig {
                        suite,
                        encrypt_body,
                        cipher,
                        derived_keys,
                        include_token,
                        ..SignConfig::default()
                    };
                    let secured = Signer::new(&token, &secret, config)
                        .secure(&doc, now(), &mut rng)
                        .unwrap();
                    let case = format!(
                        "{version:?} {suite:?} enc={encrypt_body} {cipher:?} dk={derived_keys} incl={include_token}"
                    );
                    assert_eq!(secured.contains("hello"), !encrypt_body, "{case}");
                    assert!(secured.contains(version.namespace()), "{case}");
                    assert!(secured.contains(suite.mac().uri()), "{case}");
                    let (was_encrypted, text) = open(&secured, now() + Duration::from_secs(10))
                        .unwrap_or_else(|e| panic!("{case}: {e}"));
                    assert_eq!(was_encrypted, encrypt_body, "{case}");
                    assert_eq!(text, "hello", "{case}");
                }
            }
        }
    }
}

#[test]
fn signer_adds_missing_ids_and_header() {
    let mut rng = InsecureSeededRandom::from_seed(1);
    let (token, secret) = demo_token(ScVersion::V200512);
    let no_header = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><p:x xmlns:p="urn:p">1</p:x></soap:Body></soap:Envelope>"#;
    let doc = Document::parse(no_header.as_bytes()).unwrap();
    let secured = Signer::new(&token, &secret, SignConfig::default())
        .secure(&doc, now(), &mut rng)
        .unwrap();
    assert!(secured.contains("<soap:Header><wsse:Security"));
    open(&secured, now()).unwrap();
    let empty_header = no_header.replace("<soap:Body>", "<soap:Header/><soap:Body>");
    let doc = Document::parse(empty_header.as_bytes()).unwrap();
    let secured = Signer::new(&token, &secret, SignConfig::default())
        .secure(&doc, now(), &mut rng)
        .unwrap();
    open(&secured, now()).unwrap();
    // Securing twice is a usage error.
    let doc = Document::parse(secured.as_bytes()).unwrap();
    assert!(matches!(
        Signer::new(&token, &secret, SignConfig::default()).secure(&doc, now(), &mut rng),
        Err(SecurityError::Usage(_))
    ));
}

#[test]
fn retransmission_is_fresh_and_replay_is_caught() {
    let mut rng = InsecureSeededRandom::from_seed(3);
    let (token, secret) = demo_token(ScVersion::V200512);
    let signer = Signer::new(&token, &secret, SignConfig::default());
    let doc = Document::parse(unsigned_message("again").as_bytes()).unwrap();
    let first = signer.secure(&doc, now(), &mut rng).unwrap();
    let second = signer
        .secure(&doc, now() + Duration::from_secs(2), &mut rng)
        .unwrap();
    assert_ne!(first, second);
    let nonce = |s: &str| {
        s.split("<wsc:Nonce>")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_ne!(nonce(&first), nonce(&second));

    let resolver = MapResolver::demo();
    let mut cache = ReplayCache::new(16, Duration::from_secs(600));
    for (msg, at) in [(&first, now()), (&second, now() + Duration::from_secs(2))] {
        let d = Document::parse(msg.as_bytes()).unwrap();
        let v = Verifier::default().verify(&d, &resolver, at).unwrap();
        cache.check(&v, at).unwrap();
    }
    let d = Document::parse(first.as_bytes()).unwrap();
    let v = Verifier::default()
        .verify(&d, &resolver, now() + Duration::from_secs(5))
        .unwrap();
    assert_eq!(
        cache.check(&v, now() + Duration::from_secs(5)),
        Err(SecurityError::Replay)
    );
    // After the window the entry is gone (the Timestamp check then refuses the message).
    assert!(cache.check(&v, now() + Duration::from_secs(700)).is_ok());
    let mut tiny = ReplayCache::new(0, Duration::from_secs(600));
    assert_eq!(
        tiny.check(&v, now()),
        Err(SecurityError::ReplayCacheFull(ReplayQuota::PerIdentity))
    );
}

#[test]
fn timestamp_window_is_enforced() {
    let mut rng = InsecureSeededRandom::from_seed(4);
    let (token, secret) = demo_token(ScVersion::V200512);
    let doc = Document::parse(unsigned_message("t").as_bytes()).unwrap();
    let secured = Signer::new(&token, &secret, SignConfig::default())
        .secure(&doc, now(), &mut rng)
        .unwrap();
    // ttl 300 s + skew 300 s.
    assert!(open(&secured, now() + Duration::from_secs(599)).is_ok());
    assert_eq!(
        open(&secured, now() + Duration::from_secs(601)).unwrap_err(),
        SecurityError::MessageExpired
    );
    assert!(open(&secured, now() - Duration::from_secs(299)).is_ok());
    assert_eq!(
        open(&secured, now() - Duration::from_secs(301)).unwrap_err(),
        SecurityError::MessageExpired
    );
}

#[test]
fn a_far_expires_does_not_outlive_the_maximum_age() {
    let mut rng = InsecureSeededRandom::from_seed(5);
    let (token, secret) = demo_token(ScVersion::V200512);
    let doc = Document::parse(unsigned_message("old").as_bytes()).unwrap();
    let ten_years = Duration::from_secs(10 * 365 * 86_400);
    let config = SignConfig {
        ttl: ten_years,
        ..SignConfig::default()
    };
    let secured = Signer::new(&token, &secret, config)
        .secure(&doc, now(), &mut rng)
        .unwrap();
    // max_age 300 s + skew 300 s, whatever Expires says.
    assert!(open(&secured, now() + Duration::from_secs(599)).is_ok());
    for later in [601, 3_600, 86_400 * 3] {
        assert_eq!(
            open(&secured, now() + Duration::from_secs(later)).unwrap_err(),
            SecurityError::MessageExpired,
            "{later} s after Created"
        );
    }
    // The window the replay cache needs for that verifier covers every accepted instant.
    let window = ReplayCache::window_for(Verifier::default().config());
    assert_eq!(window, Duration::from_secs(600));
}
