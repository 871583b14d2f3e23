//! Interop with Apache WSS4J 1.6.19 + Santuario (`interop/wss4j`, interop/README.md §2), run
//! as a subprocess through `wsrx_peers::wss4j`. Without a JDK and Debian's WSS4J jars the
//! oracle tests report `skipped: needs WSS4J; run interop/build.sh wss4j` (counted at the end
//! of the run; a failure under `WSRX_REQUIRE_INTEROP=1`).
//!
//! - our messages (both WS-SC namespaces × both HMAC suites × with/without Body
//!   encryption) must get `VERIFIED OK` from `WsscOracle verify`;
//! - our EncryptedHeader and encrypted-Signature messages (AES-256-CBC) must decrypt
//!   and verify in WSS4J too;
//! - WSS4J's signed samples in `testdata/wss4j/` must decrypt, verify and pass our policy
//!   here (no JDK needed: the samples are committed);
//! - the WS-SP 1.2 §6.1 suites WSS4J 1.6.19 supports with derived keys (HMAC-SHA1 with SHA-1
//!   or SHA-256 digests; AES-128/256-CBC and Triple DES data encryption): our messages
//!   under each verify and decrypt there with the algorithms of the suite, and WSS4J's own
//!   messages open here under the suite held strictly;
//! - encrypt-before-signing (the signature over the EncryptedData) decrypts and verifies in
//!   WSS4J, which processes the header in order.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_in_result,
    reason = "test code"
)]

mod common;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use common::{MapResolver, created_of, demo_token, vectors};
use wsrx_crypto::OsRandom;
use wsrx_security::{
    AlgorithmPolicy, AlgorithmSuite, HeaderName, HeaderSelector, Policy, ProtectionOrder,
    ProtectionPolicy, ScVersion, SignConfig, Signer, Verifier, decrypt,
};
use wsrx_xml::Document;

/// Runs the oracle (`interop/wss4j/oracle.sh`); true when it printed `VERIFIED OK`.
fn run_oracle(oracle: &wsrx_peers::Wss4j, args: &[&str]) -> (bool, String) {
    let out = oracle.command(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && text.contains("VERIFIED OK"), text)
}

/// The unsigned input of the WSS4J samples (`testdata/wss4j/`).
fn echo_unsigned() -> String {
    std::fs::read_to_string(vectors().join("wss4j/echo-unsigned.xml")).unwrap()
}

#[test]
fn wss4j_verifies_our_messages() {
    let Some(oracle) = wsrx_peers::wss4j() else {
        return;
    };
    let manifest = common::gsoap_manifest();
    let secret_b64 = manifest["sct_secret_b64"].as_str().unwrap();
    let sct_id = manifest["sct_identifier"].as_str().unwrap();
    let unsigned = echo_unsigned();
    let doc = Document::parse(unsigned.as_bytes()).unwrap();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("wss4j-ours");
    std::fs::create_dir_all(&dir).unwrap();
    let mut passed = 0;
    for version in [ScVersion::V200512, ScVersion::V200502] {
        for suite in [AlgorithmSuite::Basic256, AlgorithmSuite::Basic256Sha256] {
            for encrypt_body in [false, true] {
                let (token, secret) = demo_token(version);
                let config = SignConfig {
                    suite,
                    encrypt_body,
                    ..SignConfig::default()
                };
                // A real clock here: WSS4J refuses Timestamps older than 300 s.
                let secured = Signer::new(&token, &secret, config)
                    .secure(&doc, SystemTime::now(), &mut OsRandom)
                    .unwrap();
                let file = dir.join(format!("{version:?}-{suite:?}-{encrypt_body}.xml"));
                std::fs::write(&file, &secured).unwrap();
                let (ok, text) = run_oracle(
                    &oracle,
                    &[
                        "verify",
                        "--secret",
                        secret_b64,
                        "--sct-id",
                        sct_id,
                        file.to_str().unwrap(),
                    ],
                );
                assert!(ok, "{}: WSS4J said:\n{text}", file.display());
                if encrypt_body {
                    assert!(text.contains("Decrypted   1"), "{text}");
                }
                passed += 1;
            }
        }
    }
    println!("WSS4J verified {passed} of our messages");
}

/// WSS 1.1 EncryptedHeader and WS-SP EncryptSignature: WSS4J's engine decrypts the
/// ReferenceList in header order, then verifies the decrypted Signature.
#[test]
fn wss4j_verifies_encrypted_header_and_signature() {
    let Some(oracle) = wsrx_peers::wss4j() else {
        return;
    };
    let manifest = common::gsoap_manifest();
    let secret_b64 = manifest["sct_secret_b64"].as_str().unwrap();
    let sct_id = manifest["sct_identifier"].as_str().unwrap();
    let unsigned = echo_unsigned();
    let unsigned = unsigned.replace(
        "\t</SOAP-ENV:Header>",
        "\t\t<app:Secret xmlns:app=\"urn:example:app\" SOAP-ENV:mustUnderstand=\"true\">card</app:Secret>\n\t</SOAP-ENV:Header>",
    );
    let doc = Document::parse(unsigned.as_bytes()).unwrap();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("wss4j-ours");
    std::fs::create_dir_all(&dir).unwrap();
    // AES-CBC only: WSS4J 1.6.19 refuses aes256-gcm with a derived key even for the
    // Body alone ("An unsupported signature or encryption algorithm was used").
    for cipher in [wsrx_crypto::BlockCipherAlgorithm::Aes256Cbc] {
        for (headers, signature, body) in [
            (false, false, true),
            (true, false, false),
            (false, true, false),
            (true, true, true),
        ] {
            let (token, secret) = demo_token(ScVersion::V200512);
            let config = SignConfig {
                cipher: Some(cipher),
                encrypt_body: body,
                encrypt_headers: if headers {
                    vec![HeaderName::new("urn:example:app", "Secret")]
                } else {
                    Vec::new()
                },
                encrypt_signature: signature,
                ..SignConfig::default()
            };
            let secured = Signer::new(&token, &secret, config)
                .secure(&doc, SystemTime::now(), &mut OsRandom)
                .unwrap();
            let file = dir.join(format!("enc-{cipher:?}-{headers}-{signature}-{body}.xml"));
            std::fs::write(&file, &secured).unwrap();
            let (ok, text) = run_oracle(
                &oracle,
                &[
                    "verify",
                    "--secret",
                    secret_b64,
                    "--sct-id",
                    sct_id,
                    file.to_str().unwrap(),
                ],
            );
            assert!(ok, "{}: WSS4J said:\n{text}", file.display());
            let parts = usize::from(headers) + usize::from(signature) + usize::from(body);
            assert!(
                text.contains(&format!("Decrypted   {parts} part(s)")),
                "{}: {text}",
                file.display()
            );
            if headers {
                assert!(text.contains("signed    {urn:example:app}Secret"), "{text}");
            }
        }
    }
}

#[test]
fn wss4j_samples_verify_here() {
    // The samples are committed (testdata/wss4j): no JDK needed to check them here.
    let resolver = MapResolver::demo();
    let (identifier, _) = common::demo_context();
    for name in [
        "echo-dkt-signed.xml",
        "echo-sct-signed.xml",
        "echo-dkt-signed-encrypted.xml",
        "createsequence-str-dkt-signed.xml",
    ] {
        let text = std::fs::read_to_string(vectors().join("wss4j").join(name)).unwrap();
        let doc = Document::parse(text.as_bytes()).unwrap();
        let decrypted = decrypt(&doc, &resolver).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(decrypted.is_some(), name.contains("encrypted"), "{name}");
        let doc = decrypted.map_or(doc, |d| d.into_document());
        let at = created_of(&text) + Duration::from_secs(1);
        let verified = Verifier::default()
            .verify(&doc, &resolver, at)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let policy = Policy {
            expected_context: Some(identifier.clone()),
            ..Policy::default()
        };
        policy
            .check(&verified)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        println!("{name}: verified, policy ok");
    }
}

/// `(suite, WSS4J --enc-alg)` pairs WSS4J 1.6.19 signs and verifies with derived keys. Not
/// the Basic192 suites: WSS4J 1.6.19 refuses `xmlenc#aes192-cbc` ("xenc:EncryptionMethod/
/// @Algorithm is not supported").
const ORACLE_SUITES: [(AlgorithmSuite, &str); 6] = [
    (AlgorithmSuite::Basic256, "aes256"),
    (AlgorithmSuite::Basic128, "aes128"),
    (AlgorithmSuite::TripleDes, "3des"),
    (AlgorithmSuite::Basic256Sha256, "aes256"),
    (AlgorithmSuite::Basic128Sha256, "aes128"),
    (AlgorithmSuite::TripleDesSha256Rsa15, "3des"),
];

#[test]
fn wss4j_verifies_our_messages_under_each_suite() {
    let Some(oracle) = wsrx_peers::wss4j() else {
        return;
    };
    let manifest = common::gsoap_manifest();
    let secret_b64 = manifest["sct_secret_b64"].as_str().unwrap();
    let sct_id = manifest["sct_identifier"].as_str().unwrap();
    let unsigned = echo_unsigned();
    let doc = Document::parse(unsigned.as_bytes()).unwrap();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("wss4j-suites");
    std::fs::create_dir_all(&dir).unwrap();
    for (suite, _) in ORACLE_SUITES {
        let mut policy = ProtectionPolicy {
            algorithms: AlgorithmPolicy::new(suite),
            encrypt_signature: true,
            ..ProtectionPolicy::default()
        };
        policy.encrypted.body = true;
        let (token, secret) = demo_token(ScVersion::V200512);
        let secured = Signer::with_policy(&token, &secret, &policy)
            .secure(&doc, SystemTime::now(), &mut OsRandom)
            .unwrap();
        let file = dir.join(format!("{suite:?}.xml"));
        std::fs::write(&file, &secured).unwrap();
        let (ok, text) = run_oracle(
            &oracle,
            &[
                "verify",
                "--secret",
                secret_b64,
                "--sct-id",
                sct_id,
                file.to_str().unwrap(),
            ],
        );
        assert!(ok, "{suite:?}: WSS4J said:\n{text}");
        assert!(
            text.contains("method=http://www.w3.org/2000/09/xmldsig#hmac-sha1"),
            "{suite:?} signs HMAC-SHA1: {text}"
        );
        assert!(
            text.contains(&format!("digest={}", suite.digest().uri())),
            "{suite:?}: {text}"
        );
        assert!(
            text.contains(&format!("alg={}", suite.encryption().uri())),
            "{suite:?}: {text}"
        );
        assert!(
            text.contains("Decrypted   2 part(s)"),
            "{suite:?}: Body and signature: {text}"
        );
    }
}

#[test]
fn wss4j_messages_open_under_the_suite_held_strictly() {
    let Some(oracle) = wsrx_peers::wss4j() else {
        return;
    };
    let manifest = common::gsoap_manifest();
    let secret_b64 = manifest["sct_secret_b64"].as_str().unwrap();
    let sct_id = manifest["sct_identifier"].as_str().unwrap();
    let input = vectors().join("wss4j/echo-unsigned.xml");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("wss4j-suites");
    std::fs::create_dir_all(&dir).unwrap();
    let resolver = MapResolver::demo();
    for (suite, enc) in ORACLE_SUITES {
        let out = dir.join(format!("wss4j-{suite:?}.xml"));
        let (_, text) = run_oracle(
            &oracle,
            &[
                "sign",
                "--sct-id",
                sct_id,
                "--secret",
                secret_b64,
                "--sign-headers",
                "--encrypt",
                "--enc-alg",
                enc,
                input.to_str().unwrap(),
                out.to_str().unwrap(),
            ],
        );
        let signed =
            std::fs::read_to_string(&out).unwrap_or_else(|e| panic!("{suite:?}: {e} {text}"));
        let doc = Document::parse(signed.as_bytes()).unwrap();
        let at = created_of(&signed) + Duration::from_secs(1);
        // WSS4J 1.6 digests with SHA-1: the suites without Sha256 in their name.
        let mut policy = ProtectionPolicy {
            algorithms: AlgorithmPolicy::new(suite).strict(),
            ..ProtectionPolicy::default()
        };
        policy.encrypted.body = true;
        let opened = policy.open(&doc, &resolver, at, &Verifier::default(), Some(sct_id));
        if suite.is_sha256() {
            assert_eq!(
                opened.map(|_| ()),
                Err(wsrx_security::SecurityError::FailedCheck),
                "{suite:?}: SHA-1 digests are outside a Sha256 suite (blinded: encrypted)"
            );
        } else {
            let opened = opened.unwrap_or_else(|e| panic!("{suite:?}: {e}"));
            assert!(opened.decryption().is_some_and(|d| d.body_was_encrypted()));
        }
    }
}

#[test]
fn wss4j_verifies_encrypt_before_signing() {
    let Some(oracle) = wsrx_peers::wss4j() else {
        return;
    };
    let manifest = common::gsoap_manifest();
    let secret_b64 = manifest["sct_secret_b64"].as_str().unwrap();
    let sct_id = manifest["sct_identifier"].as_str().unwrap();
    let unsigned = echo_unsigned();
    let unsigned = unsigned.replace(
        "\t</SOAP-ENV:Header>",
        "\t\t<app:Secret xmlns:app=\"urn:example:app\" SOAP-ENV:mustUnderstand=\"true\">card</app:Secret>\n\t</SOAP-ENV:Header>",
    );
    let doc = Document::parse(unsigned.as_bytes()).unwrap();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("wss4j-ebs");
    std::fs::create_dir_all(&dir).unwrap();
    let secret_header = HeaderSelector::Named(HeaderName::new("urn:example:app", "Secret"));
    for headers in [false, true] {
        let mut policy = ProtectionPolicy {
            order: ProtectionOrder::EncryptBeforeSigning,
            ..ProtectionPolicy::default()
        };
        policy.encrypted.body = true;
        if headers {
            policy.signed.headers.push(secret_header.clone());
            policy.encrypted.headers.push(secret_header.clone());
        }
        let (token, secret) = demo_token(ScVersion::V200512);
        let secured = Signer::with_policy(&token, &secret, &policy)
            .secure(&doc, SystemTime::now(), &mut OsRandom)
            .unwrap();
        let file = dir.join(format!("ebs-{headers}.xml"));
        std::fs::write(&file, &secured).unwrap();
        let (ok, text) = run_oracle(
            &oracle,
            &[
                "verify",
                "--secret",
                secret_b64,
                "--sct-id",
                sct_id,
                file.to_str().unwrap(),
            ],
        );
        assert!(ok, "headers={headers}: WSS4J said:\n{text}");
        // WSS4J reports the signature before the decryption: it verified the ciphertext.
        let signed_at = text.find("Signature   method").unwrap();
        let decrypted_at = text.find("Decrypted").unwrap();
        assert!(signed_at < decrypted_at, "{text}");
        let parts = 1 + usize::from(headers);
        assert!(
            text.contains(&format!("Decrypted   {parts} part(s)")),
            "{text}"
        );
        if headers {
            assert!(
                text.contains("EncryptedHeader"),
                "the EncryptedHeader is signed: {text}"
            );
        }
    }
}
