//! Every row of `testdata/dsig/manifest.toml` (its MANIFEST.md, D-1 and D-2: Phaos
//! and Merlin XML-DSig interop samples via Apache Santuario, Apache-2.0; see
//! testdata/dsig/NOTICE) through the generic XML-DSig entry point [`wsrx_security::dsig`]:
//! must-verify rows verify with the key of the manifest, must-reject rows are refused
//! with the opaque check failure, and the canonical SignedInfo and Reference octets are
//! byte-compared with the files the manifest names. Detached references are mapped to
//! the local copies the manifest gives; nothing is fetched.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod common;

use std::path::PathBuf;

use serde::Deserialize;
use wsrx_crypto::SecretKey;
use wsrx_security::SecurityError;
use wsrx_security::dsig::{self, Covered, DetachedResolver, DsigSignature, NoDetached};
use wsrx_xml::Document;

#[derive(Deserialize)]
struct Manifest {
    signature: Vec<Row>,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    file: String,
    key_hex: String,
    signedinfo_c14n: String,
    signedinfo_c14n_bytes: usize,
    reference_uri: Option<String>,
    reference_resolves_to: Option<String>,
    reference_c14n: Option<String>,
    hmac_output_length_bits: Option<u64>,
    expected: String,
}

fn dir() -> PathBuf {
    common::vectors().join("dsig")
}

fn load() -> Manifest {
    toml::from_str(&std::fs::read_to_string(dir().join("manifest.toml")).unwrap()).unwrap()
}

/// Maps the row's external URI (if any) to its local file.
struct Local<'a>(&'a Row);

impl DetachedResolver for Local<'_> {
    fn resolve(&self, uri: &str) -> Option<Vec<u8>> {
        let row = self.0;
        let local = row.reference_resolves_to.as_ref()?;
        (row.reference_uri.as_deref() == Some(uri))
            .then(|| std::fs::read(dir().join(local)).unwrap())
    }
}

#[test]
fn every_d1_d2_row_verifies_or_is_rejected_as_the_manifest_says() {
    let manifest = load();
    let (mut verified, mut rejected) = (0, 0);
    for row in &manifest.signature {
        let text = std::fs::read(dir().join(&row.file)).unwrap();
        let doc = Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", row.id));
        let sigs: Vec<_> = dsig::signatures(&doc).collect();
        assert_eq!(sigs.len(), 1, "{}", row.id);
        let key = SecretKey::from_vec(hex::decode(&row.key_hex).unwrap());
        let outcome = DsigSignature::parse(sigs[0]).and_then(|s| s.verify_hmac(&key, &Local(row)));
        match row.expected.as_str() {
            "verify" => {
                let v = outcome.unwrap_or_else(|e| panic!("{}: {e}", row.id));
                assert_eq!(v.covered.len(), 1, "{}", row.id);
                match (&v.covered[0], row.reference_uri.as_deref()) {
                    (Covered::Document { excluded }, Some("")) => {
                        assert_eq!(*excluded, Some(sigs[0].id()), "{}", row.id);
                    }
                    (
                        Covered::Element {
                            node,
                            excluded: None,
                        },
                        Some(uri),
                    ) => {
                        let e = doc.element(*node).unwrap();
                        assert_eq!(Some(&uri[1..]), e.attribute(None, "Id"), "{}", row.id);
                    }
                    (Covered::Detached(uri), Some(expected)) => assert_eq!(uri, expected),
                    (c, u) => panic!("{}: covered {c:?} for URI {u:?}", row.id),
                }
                verified += 1;
            }
            "reject" => {
                assert!(row.hmac_output_length_bits.is_some_and(|b| b < 80));
                assert_eq!(
                    outcome.unwrap_err(),
                    SecurityError::FailedCheck,
                    "{}",
                    row.id
                );
                rejected += 1;
            }
            other => panic!("{}: unknown expectation {other}", row.id),
        }
    }
    assert_eq!(
        (verified, rejected),
        (3, 3),
        "D-1, D-1b, D-2 verify; D-1c, D-1d, D-2b reject"
    );
}

/// The truncated rows are rejected on the length rule alone: their SignatureValue is a
/// correct prefix of the full HMAC, so the same bytes pass a check that ignores the rule.
#[test]
fn truncated_rows_fail_only_on_the_length_rule() {
    for row in load().signature.iter().filter(|r| r.expected == "reject") {
        let text = std::fs::read(dir().join(&row.file)).unwrap();
        let doc = Document::parse(&text).unwrap();
        let sig = dsig::signatures(&doc).next().unwrap();
        // Parsing alone refuses the declared 40 bits (before any key is used).
        assert_eq!(
            DsigSignature::parse(sig).unwrap_err(),
            SecurityError::FailedCheck,
            "{}",
            row.id
        );
        // The same SignedInfo without HMACOutputLength verifies only with a full HMAC:
        // the 5-byte prefix is refused too.
        let stripped = String::from_utf8(text)
            .unwrap()
            .replace("<dsig:HMACOutputLength>40</dsig:HMACOutputLength>", "")
            .replace("<HMACOutputLength>40</HMACOutputLength>", "");
        let doc = Document::parse(stripped.as_bytes()).unwrap();
        let sig = dsig::signatures(&doc).next().unwrap();
        let key = SecretKey::from_vec(hex::decode(&row.key_hex).unwrap());
        assert_eq!(
            DsigSignature::parse(sig)
                .unwrap()
                .verify_hmac(&key, &Local(row))
                .unwrap_err(),
            SecurityError::FailedCheck,
            "{}",
            row.id
        );
    }
}

#[test]
fn canonical_forms_match_the_manifest_files() {
    let mut compared = 0;
    for row in &load().signature {
        let text = std::fs::read(dir().join(&row.file)).unwrap();
        // Parse with the length rule out of the way so the 40-bit rows can be compared.
        let text = String::from_utf8(text)
            .unwrap()
            .replace("<dsig:HMACOutputLength>40</dsig:HMACOutputLength>", "")
            .replace("<HMACOutputLength>40</HMACOutputLength>", "");
        let doc = Document::parse(text.as_bytes()).unwrap();
        let sig = DsigSignature::parse(dsig::signatures(&doc).next().unwrap()).unwrap();
        let expected_si = std::fs::read(dir().join(&row.signedinfo_c14n)).unwrap();
        assert_eq!(expected_si.len(), row.signedinfo_c14n_bytes, "{}", row.id);
        if row.hmac_output_length_bits.is_none() {
            assert_eq!(
                String::from_utf8(sig.signed_info_octets()).unwrap(),
                String::from_utf8(expected_si).unwrap(),
                "{}: SignedInfo",
                row.id
            );
            compared += 1;
        }
        let reference = match (&row.reference_c14n, &row.reference_resolves_to) {
            (Some(c14n), _) => Some(c14n),
            (None, Some(local)) => Some(local),
            _ => None,
        };
        if let Some(file) = reference {
            let expected = std::fs::read(dir().join(file)).unwrap();
            assert_eq!(
                sig.reference_octets(0, &Local(row)).unwrap(),
                expected,
                "{}: Reference",
                row.id
            );
            compared += 1;
        }
    }
    assert!(compared >= 7, "only {compared} canonical forms compared");
}

/// The 40-bit rows' SignedInfo canonical forms include the HMACOutputLength element,
/// so compare them on the untouched files (parse refuses them, so canonicalize by hand).
#[test]
fn truncated_rows_signed_info_forms() {
    for row in load()
        .signature
        .iter()
        .filter(|r| r.hmac_output_length_bits.is_some())
    {
        let text = std::fs::read(dir().join(&row.file)).unwrap();
        let doc = Document::parse(&text).unwrap();
        let si = doc
            .elements()
            .find(|e| e.is("http://www.w3.org/2000/09/xmldsig#", "SignedInfo"))
            .unwrap();
        let cm = si.child_elements().next().unwrap();
        let alg = cm.attribute(None, "Algorithm").unwrap();
        let mut out = Vec::new();
        match alg {
            wsrx_xml::algorithm::EXC_C14N | wsrx_xml::algorithm::EXC_C14N_WITH_COMMENTS => {
                wsrx_xml::canonicalize(
                    si,
                    &wsrx_xml::C14nOptions {
                        with_comments: alg.ends_with("WithComments"),
                        ..Default::default()
                    },
                    &mut out,
                );
            }
            _ => wsrx_xml::canonicalize_inclusive(
                si,
                &wsrx_xml::InclusiveC14nOptions {
                    with_comments: alg.ends_with("WithComments"),
                    exclude: None,
                },
                &mut out,
            ),
        }
        assert_eq!(
            out,
            std::fs::read(dir().join(&row.signedinfo_c14n)).unwrap(),
            "{}",
            row.id
        );
    }
}

#[test]
fn tampering_and_wrong_keys_fail_opaquely() {
    for row in load().signature.iter().filter(|r| r.expected == "verify") {
        let text = String::from_utf8(std::fs::read(dir().join(&row.file)).unwrap()).unwrap();
        let key = SecretKey::from_vec(hex::decode(&row.key_hex).unwrap());
        let doc = Document::parse(text.as_bytes()).unwrap();
        let sig = DsigSignature::parse(dsig::signatures(&doc).next().unwrap()).unwrap();
        let wrong = SecretKey::from_slice(b"wrong key");
        assert_eq!(
            sig.verify_hmac(&wrong, &Local(row)).unwrap_err(),
            SecurityError::FailedCheck,
            "{}",
            row.id
        );
        // A detached reference the caller will not resolve is never fetched.
        if row.reference_resolves_to.is_some() {
            assert!(matches!(
                sig.verify_hmac(&key, &NoDetached).unwrap_err(),
                SecurityError::InvalidSecurity(_)
            ));
            let other = |_: &str| Some(b"not RFC 3161".to_vec());
            assert_eq!(
                sig.verify_hmac(&key, &other).unwrap_err(),
                SecurityError::FailedCheck
            );
        }
    }
    // Changed signed content: D-1 (enveloped) and D-2 (enveloping).
    for (file, from, to) in [
        (
            "phaos-xmldsig-three/signature-hmac-sha1-exclusive-c14n-enveloped.xml",
            "Soriano",
            "Sorianx",
        ),
        (
            "merlin-xmldsig-twenty-three/signature-enveloping-hmac-sha1.xml",
            "some text",
            "some texT",
        ),
    ] {
        let row = load()
            .signature
            .into_iter()
            .find(|r| r.file == file)
            .unwrap();
        let text = String::from_utf8(std::fs::read(dir().join(file)).unwrap()).unwrap();
        let doc = Document::parse(text.replace(from, to).as_bytes()).unwrap();
        let sig = DsigSignature::parse(dsig::signatures(&doc).next().unwrap()).unwrap();
        let key = SecretKey::from_vec(hex::decode(&row.key_hex).unwrap());
        assert_eq!(
            sig.verify_hmac(&key, &NoDetached).unwrap_err(),
            SecurityError::FailedCheck,
            "{file}"
        );
    }
}

#[test]
fn comments_in_the_enveloped_document_do_not_count() {
    // URI="" excludes comments (XML-DSig §4.3.3.3): changing the comment keeps D-1 valid.
    let file = "phaos-xmldsig-three/signature-hmac-sha1-exclusive-c14n-enveloped.xml";
    let text = String::from_utf8(std::fs::read(dir().join(file)).unwrap()).unwrap();
    let changed = text.replace("Here's a comment", "Another comment");
    assert_ne!(changed, text);
    let doc = Document::parse(changed.as_bytes()).unwrap();
    let sig = DsigSignature::parse(dsig::signatures(&doc).next().unwrap()).unwrap();
    sig.verify_hmac(&SecretKey::from_slice(b"test"), &NoDetached)
        .unwrap();
}
