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
//!   here (no JDK needed: the samples are committed).
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
    AlgorithmSuite, HeaderName, Policy, ScVersion, SignConfig, Signer, Verifier, decrypt,
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
