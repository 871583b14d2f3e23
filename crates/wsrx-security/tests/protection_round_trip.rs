//! Round trips under a [`ProtectionPolicy`]: every combination of protection order
//! (SignBeforeEncrypting / EncryptBeforeSigning), EncryptSignature, derived or direct keys,
//! AES-CBC or AES-GCM, and encrypted parts (Body; Body and a header; Body, a header and
//! elements), built by the signer and opened by the same policy held strictly to its suite;
//! each message refused by the policy of the other order. Then every suite of the WS-SP 1.2
//! §6.1 table (and the WCF reading of the Sha256 ones), and each layout's header order.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::field_reassign_with_default,
    reason = "test code: each case changes one field of a default policy"
)]

mod policy_support;

use policy_support::{
    CARD, HEADER_TEXT, IDENTIFIER, cards, header_layout, open, route_header, secure,
};
use wsrx_crypto::BlockCipherAlgorithm;
use wsrx_security::{
    AlgorithmPolicy, AlgorithmSuite, DerivedKeys, Layout, Parts, ProtectionOrder, ProtectionPolicy,
    SecurityError,
};

/// Which parts a case encrypts.
#[derive(Debug, Clone, Copy)]
enum Encrypted {
    Body,
    BodyAndHeader,
    BodyHeaderAndElements,
}

fn policy(
    order: ProtectionOrder,
    encrypt_signature: bool,
    keys: DerivedKeys,
    gcm: bool,
    parts: Encrypted,
) -> ProtectionPolicy {
    let mut p = ProtectionPolicy {
        algorithms: AlgorithmPolicy::new(AlgorithmSuite::Basic256Sha256).strict(),
        order,
        encrypt_signature,
        ..ProtectionPolicy::default()
    };
    if gcm {
        p.algorithms.data_encryption = Some(BlockCipherAlgorithm::Aes256Gcm);
    }
    p.token.derived_keys = keys;
    p.signed.headers.push(route_header());
    p.encrypted = Parts {
        body: true,
        ..Parts::none()
    };
    if !matches!(parts, Encrypted::Body) {
        p.encrypted.headers.push(route_header());
    }
    if matches!(parts, Encrypted::BodyHeaderAndElements) {
        // The Body's content is encrypted whole; the cards inside it travel in it.
        p.encrypted.elements.push(cards());
    }
    p
}

#[test]
fn every_protection_combination_round_trips() {
    let mut seed = 0;
    let mut cases = 0;
    for order in [
        ProtectionOrder::SignBeforeEncrypting,
        ProtectionOrder::EncryptBeforeSigning,
    ] {
        for encrypt_signature in [false, true] {
            for keys in [DerivedKeys::Required, DerivedKeys::Direct] {
                for gcm in [false, true] {
                    for parts in [
                        Encrypted::Body,
                        Encrypted::BodyAndHeader,
                        Encrypted::BodyHeaderAndElements,
                    ] {
                        seed += 1;
                        let p = policy(order, encrypt_signature, keys, gcm, parts);
                        let case = format!(
                            "{order:?} encsig={encrypt_signature} {keys:?} gcm={gcm} {parts:?}"
                        );
                        let xml = secure(&p, seed).unwrap_or_else(|e| panic!("{case}: {e}"));
                        assert!(!xml.contains(CARD), "{case}: the Body is encrypted");
                        let header_encrypted = !matches!(parts, Encrypted::Body);
                        assert_eq!(!xml.contains(HEADER_TEXT), header_encrypted, "{case}");
                        assert_eq!(
                            xml.contains("<ds:Signature"),
                            !encrypt_signature,
                            "{case}: the signature travels in clear iff not EncryptSignature"
                        );
                        assert_eq!(
                            xml.contains("DerivedKeyToken"),
                            keys == DerivedKeys::Required
                        );
                        let read = open(&xml, &p).unwrap_or_else(|e| panic!("{case}: {e}"));
                        assert!(read.body_was_encrypted, "{case}");
                        assert_eq!(read.card, CARD, "{case}");
                        assert_eq!(read.route, HEADER_TEXT, "{case}");
                        assert_eq!(
                            read.decrypted_headers,
                            usize::from(header_encrypted),
                            "{case}"
                        );
                        assert_eq!(read.decrypted_signatures, usize::from(encrypt_signature));
                        assert_eq!(read.signer.as_deref(), Some(IDENTIFIER), "{case}");
                        // The other protection order does not accept the message.
                        let mut other = p.clone();
                        other.order = match order {
                            ProtectionOrder::SignBeforeEncrypting => {
                                ProtectionOrder::EncryptBeforeSigning
                            }
                            ProtectionOrder::EncryptBeforeSigning => {
                                ProtectionOrder::SignBeforeEncrypting
                            }
                        };
                        assert_eq!(
                            open(&xml, &other).map(|_| ()),
                            Err(SecurityError::FailedCheck),
                            "{case}: accepted in the other order"
                        );
                        cases += 1;
                    }
                }
            }
        }
    }
    assert_eq!(cases, 48);
}

#[test]
fn encrypted_elements_outside_the_body_content_are_their_own_encrypted_data() {
    // The cards encrypted on their own (the Body's content stays readable around them).
    for order in [
        ProtectionOrder::SignBeforeEncrypting,
        ProtectionOrder::EncryptBeforeSigning,
    ] {
        let mut p = ProtectionPolicy {
            order,
            ..ProtectionPolicy::default()
        };
        p.encrypted.elements.push(cards());
        let xml = secure(&p, 7).unwrap();
        assert!(
            !xml.contains(CARD) && xml.contains("leave at door"),
            "{order:?}"
        );
        assert_eq!(
            xml.matches("wsrx-ed-e").count(),
            4,
            "two EncryptedData, listed once each"
        );
        let read = open(&xml, &p).unwrap();
        assert_eq!(read.decrypted_elements, 2, "{order:?}");
        assert_eq!(read.card, CARD);
        assert!(!read.body_was_encrypted);
        // The cards signed too (SignedElements): by their EncryptedData when encrypted first,
        // in clear otherwise; after decryption they are the signed elements either way.
        p.only_sign_entire_headers_and_body = false;
        p.signed.elements.push(cards());
        let xml = secure(&p, 8).unwrap();
        assert_eq!(
            xml.contains("URI=\"#wsrx-ed-e0\"><ds:Transforms>"),
            order == ProtectionOrder::EncryptBeforeSigning,
            "{order:?}"
        );
        assert_eq!(open(&xml, &p).unwrap().card, CARD, "{order:?}");
        // A receiver requiring the cards signed refuses the message that did not sign them.
        let mut unsigned = p.clone();
        unsigned.signed.elements.clear();
        unsigned.only_sign_entire_headers_and_body = true;
        let plain = secure(&unsigned, 9).unwrap();
        assert_eq!(
            open(&plain, &p).map(|_| ()),
            Err(SecurityError::FailedCheck)
        );
    }
}

#[test]
fn signing_an_element_inside_content_encrypted_first_is_refused_at_build_time() {
    let mut p = ProtectionPolicy {
        order: ProtectionOrder::EncryptBeforeSigning,
        only_sign_entire_headers_and_body: false,
        ..ProtectionPolicy::default()
    };
    p.encrypted.body = true;
    p.signed.elements.push(cards());
    assert!(matches!(secure(&p, 1), Err(SecurityError::Usage(_))));
    // Signed before encrypting, the same element is signed in clear, then encrypted with the
    // Body's content, and found signed after decryption.
    p.order = ProtectionOrder::SignBeforeEncrypting;
    let xml = secure(&p, 1).unwrap();
    assert_eq!(open(&xml, &p).unwrap().card, CARD);
}

#[test]
fn every_suite_round_trips_and_is_held_to_its_algorithms() {
    for suite in AlgorithmSuite::ALL {
        for wcf in [false, true] {
            let mut algorithms = AlgorithmPolicy::new(suite).strict();
            if wcf {
                algorithms = algorithms.wcf_reading();
            }
            let mut p = ProtectionPolicy {
                algorithms,
                ..ProtectionPolicy::default()
            };
            p.token.derived_keys = DerivedKeys::Required;
            p.encrypted.body = true;
            let xml = secure(&p, 3).unwrap();
            let case = format!("{suite:?} wcf={wcf}");
            assert!(
                xml.contains(algorithms.symmetric_signature().uri()),
                "{case}"
            );
            assert!(xml.contains(suite.digest().uri()), "{case}");
            assert!(xml.contains(suite.encryption().uri()), "{case}");
            let sig_len = format!("<wsc:Length>{}</wsc:Length>", suite.signature_key_len());
            assert!(xml.contains(&sig_len), "{case}: [Sig KD]");
            let enc_len = format!("<wsc:Length>{}</wsc:Length>", suite.encryption_key_len());
            assert!(xml.contains(&enc_len), "{case}: [Enc KD]");
            assert_eq!(open(&xml, &p).unwrap().card, CARD, "{case}");
        }
    }
}

#[test]
fn layouts_order_the_security_header() {
    let strict = {
        let mut p = ProtectionPolicy {
            layout: Layout::Strict,
            encrypt_signature: true,
            ..ProtectionPolicy::default()
        };
        p.encrypted.body = true;
        p
    };
    let xml = secure(&strict, 5).unwrap();
    assert_eq!(
        header_layout(&xml),
        [
            "Timestamp",
            "SecurityContextToken",
            "DerivedKeyToken",
            "DerivedKeyToken",
            "ReferenceList",
            "EncryptedData"
        ]
    );
    open(&xml, &strict).unwrap();
    let last = ProtectionPolicy {
        layout: Layout::LaxTsLast,
        ..strict.clone()
    };
    let xml = secure(&last, 5).unwrap();
    assert_eq!(
        header_layout(&xml).last().map(String::as_str),
        Some("Timestamp")
    );
    open(&xml, &last).unwrap();
    // Encrypt-before-signing: the signature (here encrypted, after its own list), then the
    // list of the encrypted parts.
    let ebs = ProtectionPolicy {
        order: ProtectionOrder::EncryptBeforeSigning,
        ..strict
    };
    let xml = secure(&ebs, 5).unwrap();
    assert_eq!(
        header_layout(&xml),
        [
            "Timestamp",
            "SecurityContextToken",
            "DerivedKeyToken",
            "DerivedKeyToken",
            "ReferenceList",
            "EncryptedData",
            "ReferenceList"
        ]
    );
    open(&xml, &ebs).unwrap();
}
