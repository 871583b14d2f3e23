//! HMAC-SHA1 and SHA-1 known answers from `testdata/dsig/` (Phaos and Merlin XML-DSig
//! interop samples via Apache Santuario, Apache-2.0; `MANIFEST.md` §3). The canonical forms are
//! the `derived/` and `*-c14n-*.txt` files, so no XML is parsed here: this checks the primitives
//! and the truncation policy (D-1c, D-1d, D-2b must be rejected).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;
use wsrx_crypto::{CryptoError, DigestAlgorithm, MacAlgorithm, SecretKey};

#[derive(Deserialize)]
struct Manifest {
    signature: Vec<Signature>,
}

#[derive(Deserialize)]
struct Signature {
    id: String,
    key_hex: String,
    signature_method: Option<String>,
    signedinfo_c14n: String,
    signedinfo_c14n_sha1_hex: Option<String>,
    signature_value_b64: String,
    hmac_output_length_bits: Option<u64>,
    full_hmac_hex: Option<String>,
    full_hmac_b64: Option<String>,
    reference_c14n: Option<String>,
    reference_resolves_to: Option<String>,
    digest_value_b64: Option<String>,
    expected: String,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/dsig")
}

fn read(dir: &Path, rel: &str) -> Vec<u8> {
    let path = dir.join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .unwrap()
}

fn load() -> Manifest {
    toml::from_str(&String::from_utf8(read(&dir(), "manifest.toml")).unwrap()).unwrap()
}

fn hmac(alg: MacAlgorithm, key: &SecretKey, data: &[u8]) -> wsrx_crypto::Mac {
    let mut m = alg.mac(key).unwrap();
    // Feed in uneven pieces to exercise the streaming path.
    for chunk in data.chunks(37) {
        m.update(chunk);
    }
    m
}

#[test]
fn signature_values_verify_or_are_rejected_as_the_manifest_says() {
    let dir = dir();
    let manifest = load();
    assert_eq!(manifest.signature.len(), 6);
    for s in &manifest.signature {
        // D-2b names no SignatureMethod: the Merlin sample is HMAC-SHA1 like D-2.
        let alg = MacAlgorithm::from_uri(
            s.signature_method
                .as_deref()
                .unwrap_or(MacAlgorithm::HMAC_SHA1_URI),
        )
        .unwrap();
        let key = SecretKey::from_vec(hex::decode(&s.key_hex).unwrap());
        let signed_info = read(&dir, &s.signedinfo_c14n);
        if let Some(sha1) = &s.signedinfo_c14n_sha1_hex {
            assert_eq!(
                hex::encode(DigestAlgorithm::Sha1.digest(&signed_info).as_bytes()),
                *sha1,
                "{}",
                s.id
            );
        }
        let value = b64(&s.signature_value_b64);
        let result = hmac(alg, &key, &signed_info).verify(&value, 0);
        match s.expected.as_str() {
            "verify" => {
                assert_eq!(result, Ok(()), "{}", s.id);
                assert!(s.hmac_output_length_bits.is_none());
            }
            "reject" => {
                let bits = s.hmac_output_length_bits.unwrap();
                assert_eq!(bits, value.len() as u64 * 8);
                // Rejected by the length rule both ways it can be applied...
                assert!(
                    matches!(
                        alg.check_output_length(bits),
                        Err(CryptoError::MacTooShort { .. })
                    ),
                    "{}",
                    s.id
                );
                assert!(
                    matches!(result, Err(CryptoError::MacTooShort { bits: 40, .. })),
                    "{}: {result:?}",
                    s.id
                );
                // ...although the bytes are a correct prefix of the full HMAC.
                let full = hmac(alg, &key, &signed_info).finish();
                assert!(full.as_bytes().starts_with(&value), "{}", s.id);
                let expected_full = match (&s.full_hmac_hex, &s.full_hmac_b64) {
                    (Some(h), _) => hex::decode(h).unwrap(),
                    (None, Some(b)) => b64(b),
                    (None, None) => panic!("{}: no full HMAC", s.id),
                };
                assert_eq!(full.as_bytes(), &expected_full[..], "{}", s.id);
            }
            other => panic!("{}: unknown expectation {other}", s.id),
        }
    }
}

#[test]
fn reference_digests_match() {
    let dir = dir();
    let mut checked = 0;
    for s in &load().signature {
        let Some(digest) = &s.digest_value_b64 else {
            continue;
        };
        let source = s
            .reference_c14n
            .as_ref()
            .or(s.reference_resolves_to.as_ref())
            .unwrap();
        let data = read(&dir, source);
        let mut d = DigestAlgorithm::Sha1.digester();
        for chunk in data.chunks(1000) {
            d.update(chunk);
        }
        assert!(d.finish().matches(&b64(digest)), "{}", s.id);
        checked += 1;
    }
    assert_eq!(checked, 4);
}

#[test]
fn wrong_key_fails_on_a_real_signature() {
    let manifest = load();
    let s = manifest.signature.iter().find(|s| s.id == "D-1").unwrap();
    let signed_info = read(&dir(), &s.signedinfo_c14n);
    let result = hmac(
        MacAlgorithm::HmacSha1,
        &SecretKey::from_slice(b"tesT"),
        &signed_info,
    )
    .verify(&b64(&s.signature_value_b64), 0);
    assert_eq!(result, Err(CryptoError::MacMismatch));
}
