//! Interop under policy variants (issue 17, "Test material": gSOAP and WSS4J where they
//! support the variant): for each runtime policy variant in `testdata/policies/runtime/`
//! (signed only; Body encrypted; EncryptSignature; EncryptBeforeSigning; Layout Strict;
//! Basic128), the message our outbound path builds from the WSDL's effective policy
//! (`effective::from_wsdl` → `Signer::with_policy`) must decrypt and verify in Apache WSS4J
//! 1.6.19 (`interop/wss4j`, run as a subprocess), and a copy with its Body changed must not.
//!
//! Without a JDK and Debian's WSS4J jars the test reports `skipped: needs WSS4J` (counted at
//! the end of the run; a failure under `WSRX_REQUIRE_INTEROP=1`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "test code"
)]

use std::path::PathBuf;
use std::time::SystemTime;

use wsrx_crypto::{OsRandom, SecretKey};
use wsrx_runtime::effective;
use wsrx_security::{ScVersion, SecurityContextToken, Signer};
use wsrx_xml::Document;

const SCT: &str = "urn:uuid:0d5c3a52-9d7e-4c55-8b8e-policy-variants";
/// 32 bytes, only for this test.
const SECRET: &[u8; 32] = b"wss4j-policy-variant-secret-32b!";

/// An application message as the runtime hands it to the signer: WS-A and WS-RM headers,
/// a Body the variants sign and encrypt.
fn unsigned() -> String {
    r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:r="http://docs.oasis-open.org/ws-rx/wsrm/200702"><s:Header><a:Action s:mustUnderstand="1">urn:example:echo/Echo</a:Action><a:MessageID>urn:uuid:7c9e0000-1111-2222-3333-444444444444</a:MessageID><a:To s:mustUnderstand="1">http://127.0.0.1:8089/echo</a:To><r:Sequence s:mustUnderstand="1"><r:Identifier>urn:uuid:5e0f0000-aaaa-bbbb-cccc-dddddddddddd</r:Identifier><r:MessageNumber>1</r:MessageNumber></r:Sequence></s:Header><s:Body><ns:echo xmlns:ns="urn:example:echo">payload of the policy variant</ns:echo></s:Body></s:Envelope>"#.to_owned()
}

fn variant(name: &str) -> Vec<u8> {
    std::fs::read(wsrx_peers::testdata().join(format!("policies/runtime/{name}.wsdl"))).unwrap()
}

/// Runs `WsscOracle verify` on `file`; (printed VERIFIED OK, its output).
fn verify(oracle: &wsrx_peers::Wss4j, file: &std::path::Path) -> (bool, String) {
    let secret = wsrx_crypto::base64::encode(SECRET);
    let out = oracle
        .command(&[
            "verify",
            "--secret",
            &secret,
            "--sct-id",
            SCT,
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && text.contains("VERIFIED OK"), text)
}

#[test]
fn wss4j_verifies_what_each_policy_variant_makes_us_send() {
    let Some(oracle) = wsrx_peers::wss4j() else {
        return;
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("wss4j-policy-variants");
    std::fs::create_dir_all(&dir).unwrap();
    let token = SecurityContextToken {
        version: ScVersion::V200512,
        identifier: SCT.to_owned(),
        instance: None,
        wsu_id: None,
    };
    let secret = SecretKey::from_slice(SECRET);
    let doc = Document::parse(unsigned().as_bytes()).unwrap();
    // (variant, does its policy encrypt the Body?), as testdata/policies/runtime/MANIFEST.md
    // describes each.
    let variants = [
        ("signed-only", false),
        ("basic128", true),
        ("layout-strict", true),
        ("encrypt-body", true),
        ("encrypt-signature", true),
        ("encrypt-before-signing", true),
    ];
    for (name, encrypts_body) in variants {
        let policy = effective::from_wsdl(name, &variant(name), None, None, None)
            .unwrap_or_else(|e| panic!("{name}.wsdl: {e}"))
            .policy;
        // A real clock: WSS4J refuses Timestamps older than 300 s.
        let secured = Signer::with_policy(&token, &secret, &policy)
            .secure(&doc, SystemTime::now(), &mut OsRandom)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            secured.contains("payload of the policy variant"),
            !encrypts_body,
            "{name}: the Body is in clear exactly when the policy does not encrypt it"
        );
        let file = dir.join(format!("{name}.xml"));
        std::fs::write(&file, &secured).unwrap();
        let (ok, text) = verify(&oracle, &file);
        assert!(ok, "{name}: WSS4J refused our message:\n{text}");
        if encrypts_body {
            assert!(
                text.contains("Decrypted"),
                "{name}: WSS4J decrypted nothing:\n{text}"
            );
        }

        // The same message with its Body changed (in clear, or its ciphertext) must fail.
        let tampered = tamper(&secured, encrypts_body);
        let file = dir.join(format!("{name}-tampered.xml"));
        std::fs::write(&file, &tampered).unwrap();
        let (ok, text) = verify(&oracle, &file);
        assert!(!ok, "{name}: WSS4J accepted a tampered copy:\n{text}");
        println!("{name}: WSS4J verified our message and refused its tampered copy");
    }
}

/// Changes the Body: its text when in clear, else one character of the Body's
/// `xenc:CipherValue` (the last CipherValue in document order is inside the Body).
fn tamper(secured: &str, encrypted: bool) -> String {
    if !encrypted {
        return secured.replace(
            "payload of the policy variant",
            "payload of another variant",
        );
    }
    let body = secured.find(":Body").expect("a Body");
    let start = secured[body..]
        .find("CipherValue>")
        .map(|i| body + i + "CipherValue>".len())
        .expect("an encrypted Body");
    let mut bytes = secured.as_bytes().to_vec();
    // Flip one base64 character in the middle of the ciphertext (A <-> B keeps it base64).
    let at = start + 24;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}
