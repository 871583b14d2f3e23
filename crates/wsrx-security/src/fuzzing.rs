#![allow(
    clippy::panic,
    reason = "a fuzz harness reports a violated invariant by panicking"
)]
//! Fuzz harness for `wsse:Security` processing: called by
//! `fuzz/fuzz_targets/security_header.rs` and replayed under `cargo test`
//! (`crates/wsrx-test/tests/fuzz_replay.rs`).
//!
//! The fuzzer cannot forge an HMAC, so a harness that only verifies its input would
//! stop at the MAC compare. This one uses an **insecure test key provider** instead
//! ([`FixedKey`]: every SCT identifier resolves to one fixed, public key) and
//! **re-signs** each mutated envelope with it before verifying, so decryption,
//! reference resolution, the signed-parts policy and the replay cache all run on
//! fuzzer-shaped documents. The production verification path is untouched: nothing
//! here is compiled into it, and no check is skipped.
//!
//! Input: one options byte (suite, derived keys, attached token, Body encryption),
//! then the document.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use wsrx_crypto::{InsecureSeededRandom, SecretKey};
use wsrx_xml::{Document, Limits};

use crate::{
    AlgorithmSuite, KeyResolver, Policy, ReplayCache, ResolveError, ScVersion,
    SecurityContextToken, SignConfig, Signer, Verifier, decrypt,
};

/// The one key every identifier resolves to. **Test only**: it is public.
const FIXED_KEY: [u8; 32] = [0x5a; 32];

/// An insecure key provider for fuzzing: every SCT identifier (and instance) resolves
/// to the same public key, so re-signed documents verify.
#[derive(Debug, Clone, Copy, Default)]
pub struct FixedKey;

impl KeyResolver for FixedKey {
    fn sct_secret(
        &self,
        identifier: &str,
        _instance: Option<&str>,
    ) -> Result<SecretKey, ResolveError> {
        if identifier.is_empty() {
            return Err(ResolveError::Unknown);
        }
        Ok(SecretKey::from_slice(&FIXED_KEY))
    }
}

/// Arbitrary bytes (options byte, then a document) through the inbound security path,
/// twice:
///
/// 1. as given: [`decrypt`], [`Verifier::verify`], [`Policy::check`] and the
///    [`ReplayCache`] never panic;
/// 2. when the document is an unsecured envelope: signed (and, per the options byte,
///    Body-encrypted) with [`FixedKey`]'s key by [`Signer::secure`]. Then the result
///    must parse, decrypt, verify and satisfy the policy, naming our token; a second
///    check in the replay cache must be refused as a replay; and the same message with
///    one changed `SignatureValue` character must fail verification.
///
/// Returns whether the input reached the re-signed checks (for replay statistics).
pub fn security_header(data: &[u8]) -> bool {
    let Some((&options, xml)) = data.split_first() else {
        return false;
    };
    let limits = Limits {
        max_document_size: 64 * 1024,
        max_nodes: 4096,
        ..Limits::default()
    };
    let Ok(doc) = Document::parse_with(xml, &limits) else {
        return false;
    };
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    let verifier = Verifier::default();
    let policy = Policy::default();

    // 1. The input itself: no panic, whatever it is.
    if let Ok(decrypted) = decrypt(&doc, &FixedKey) {
        let d = decrypted.as_ref().map_or(&doc, |d| d.document());
        if let Ok(v) = verifier.verify(d, &FixedKey, now) {
            let _ = policy.check(&v);
            let _ = ReplayCache::new(16, Duration::from_secs(600)).check(&v, now);
        }
    }

    // 2. Re-signed with the fixed key, when the input is an envelope a receiver could
    //    accept at all (the signer does not validate header blocks: an invalid
    //    mustUnderstand value such as "trUe" is signed as is and refused on receipt,
    //    found by this harness; the receiver's refusal is the right outcome).
    let Ok(env) = wsrx_soap::Envelope::new(&doc) else {
        return false;
    };
    if env.header_blocks().any(|b| b.is_err()) {
        return false;
    }
    let token = SecurityContextToken {
        version: if options & 1 == 0 {
            ScVersion::V200512
        } else {
            ScVersion::V200502
        },
        identifier: "urn:uuid:f0220000-0000-4000-8000-000000000001".to_owned(),
        instance: None,
        wsu_id: None,
    };
    let secret = SecretKey::from_slice(&FIXED_KEY);
    let config = SignConfig {
        suite: match (options >> 1) % 3 {
            0 => AlgorithmSuite::Basic256Sha256,
            1 => AlgorithmSuite::Basic256,
            _ => AlgorithmSuite::Basic128,
        },
        derived_keys: options & 0x10 == 0,
        include_token: options & 0x20 == 0,
        encrypt_body: options & 0x40 != 0,
        ..SignConfig::default()
    };
    let mut rng = InsecureSeededRandom::from_seed(u64::from(options));
    let Ok(signed) = Signer::new(&token, &secret, config).secure(&doc, now, &mut rng) else {
        return false;
    };
    check_signed(&signed, &token.identifier, now, &limits);
    true
}

fn check_signed(signed: &str, identifier: &str, now: SystemTime, limits: &Limits) {
    let big = Limits {
        max_document_size: limits.max_document_size.saturating_mul(4),
        max_nodes: limits.max_nodes.saturating_mul(4),
        ..limits.clone()
    };
    let doc = match Document::parse_with(signed.as_bytes(), &big) {
        Ok(d) => d,
        Err(e) => panic!("our signed output does not parse: {e}\n{signed}"),
    };
    let decrypted = match decrypt(&doc, &FixedKey) {
        Ok(d) => d,
        Err(e) => panic!("our encrypted output does not decrypt: {e}\n{signed}"),
    };
    let d = decrypted.as_ref().map_or(&doc, |d| d.document());
    let verified = match Verifier::default().verify(d, &FixedKey, now) {
        Ok(v) => v,
        Err(e) => panic!("our signed output does not verify: {e}\n{signed}"),
    };
    match Policy::default().check(&verified) {
        Ok(key) => assert_eq!(key.sct_identifier, identifier, "wrong signer"),
        Err(e) => panic!("our signed output fails the policy: {e}\n{signed}"),
    }
    let replay = Mutex::new(ReplayCache::new(16, Duration::from_secs(600)));
    if let Ok(mut cache) = replay.lock() {
        assert!(cache.check(&verified, now).is_ok(), "first sight refused");
        assert!(
            cache.check(&verified, now).is_err(),
            "a replay was not recognised"
        );
    }
    let original: Vec<u8> = verified
        .signatures()
        .first()
        .map(|r| r.value().to_vec())
        .unwrap_or_default();
    if let Some(tampered) = tamper_signature_value(signed) {
        // The first `SignatureValue>` in the text may be the input's own (in a comment or
        // text); only a changed value of *our* signature that still verifies is a failure.
        let accepted = Document::parse_with(tampered.as_bytes(), &big)
            .ok()
            .and_then(|doc| {
                let dec = decrypt(&doc, &FixedKey).ok().flatten();
                let d = dec.as_ref().map_or(&doc, |x| x.document());
                Verifier::default()
                    .verify(d, &FixedKey, now)
                    .ok()
                    .and_then(|v| v.signatures().first().map(|r| r.value().to_vec()))
            });
        if let Some(value) = accepted {
            assert!(
                value == original,
                "a changed SignatureValue still verifies\n{tampered}"
            );
        }
    }
}

/// The text with the first base64 character of the (first) `SignatureValue` changed.
fn tamper_signature_value(text: &str) -> Option<String> {
    let start = text.find("SignatureValue>")? + "SignatureValue>".len();
    let first = text.get(start..)?.chars().next()?;
    let other = if first == 'A' { 'B' } else { 'A' };
    let mut out = String::with_capacity(text.len());
    out.push_str(text.get(..start)?);
    out.push(other);
    out.push_str(text.get(start + first.len_utf8()..)?);
    Some(out)
}
