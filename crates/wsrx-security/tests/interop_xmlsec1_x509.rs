//! xmlsec1 (shared/peers/README.md §3) as a known-answer oracle for the X.509 path: it
//! verifies our RSA-SHA256 signature given the certificate (`--pubkey-cert-pem`), and decrypts
//! our RSA-OAEP-MGF1P `xenc:EncryptedKey` given the private key (`openssl pkeyutl` does the
//! raw OAEP check). The test key is wsrx-crypto's `tests/data/rsa2048-test-a.pk8.pem`; its
//! self-signed certificate is made at test time with `openssl req -x509`. Skips with a NOTICE
//! without `xmlsec1`/`openssl`, fails then if `WSRX_REQUIRE_INTEROP` is set.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod common;

use std::process::Command;
use std::time::SystemTime;

use common::unsigned_message;
use wsrx_crypto::{InsecureSeededRandom, RsaPrivateKey, SecretKey};
use wsrx_security::{Certificate, EncryptedKey, X509Credential, X509Signer};
use wsrx_xml::Document;

const KEY: &str = "../wsrx-crypto/tests/data/rsa2048-test-a.pk8.pem";

fn have(tool: &str) -> bool {
    if Command::new(tool).arg("--version").output().is_ok()
        || Command::new(tool).arg("version").output().is_ok()
    {
        return true;
    }
    assert!(
        std::env::var_os("WSRX_REQUIRE_INTEROP").is_none(),
        "WSRX_REQUIRE_INTEROP is set but {tool} is not installed"
    );
    println!("NOTICE: {tool} not installed; skipping");
    false
}

#[test]
fn xmlsec1_verifies_rsa_signature_and_openssl_decrypts_encrypted_key() {
    if !have("xmlsec1") || !have("openssl") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("wsrx-xmlsec-x509-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(KEY);
    let cert_path = dir.join("cert.pem");
    let out = Command::new("openssl")
        .args(["req", "-x509", "-new", "-key"])
        .arg(&key_path)
        .args([
            "-days",
            "30",
            "-sha256",
            "-subj",
            "/CN=wsrx xmlsec1",
            "-out",
        ])
        .arg(&cert_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cert = Certificate::from_pem(&std::fs::read_to_string(&cert_path).unwrap()).unwrap();
    let key = RsaPrivateKey::from_pkcs8_pem(&std::fs::read_to_string(&key_path).unwrap()).unwrap();
    let credential = X509Credential::new(cert.clone(), key).unwrap();
    let mut rng = InsecureSeededRandom::from_seed(11);

    // 1. The signature, checked by xmlsec1 with only the certificate.
    let unsigned = Document::parse(unsigned_message("x509 interop").as_bytes()).unwrap();
    let signed = X509Signer::new(&credential, Default::default())
        .secure(&unsigned, SystemTime::now(), &mut rng)
        .unwrap();
    let msg = dir.join("signed.xml");
    std::fs::write(&msg, &signed).unwrap();
    let doc = Document::parse(signed.as_bytes()).unwrap();
    let mut ids: Vec<String> = doc
        .elements()
        .filter(|e| e.attributes().any(|a| a.local_name() == "Id"))
        .map(|e| format!("{}:{}", e.namespace().unwrap_or(""), e.local_name()))
        .collect();
    ids.sort();
    ids.dedup();
    let xmlsec = |file: &std::path::Path| {
        let mut cmd = Command::new("xmlsec1");
        cmd.args(["--verify", "--pubkey-cert-pem"]).arg(&cert_path);
        for id in &ids {
            cmd.arg("--id-attr:Id").arg(id);
        }
        cmd.arg(file).output().unwrap()
    };
    let out = xmlsec(&msg);
    assert!(
        out.status.success(),
        "xmlsec1 refused our RSA-SHA256 signature: {}\n{signed}",
        String::from_utf8_lossy(&out.stderr)
    );
    // And a one-character change in the Body is refused.
    let tampered = signed.replacen("x509 interop", "x509 interoP", 1);
    assert_ne!(tampered, signed);
    std::fs::write(&msg, &tampered).unwrap();
    assert!(!xmlsec(&msg).status.success());

    // 2. The EncryptedKey: OpenSSL decrypts the CipherValue with OAEP (SHA-1, MGF1-SHA1).
    let secret = SecretKey::from_slice(b"0123456789abcdef0123456789abcdef");
    let ek = EncryptedKey::encrypt(&secret, &cert, &mut rng).unwrap();
    let xml = ek.to_xml();
    let parsed = Document::parse(xml.as_bytes()).unwrap();
    let again = EncryptedKey::parse(parsed.root()).unwrap();
    assert_eq!(again, ek);
    assert_eq!(again.decrypt(&credential, &mut rng).unwrap(), secret);
    let ct = dir.join("ct.bin");
    std::fs::write(&ct, &ek.cipher_value).unwrap();
    let out = Command::new("openssl")
        .args([
            "pkeyutl",
            "-decrypt",
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-inkey",
        ])
        .arg(&key_path)
        .arg("-in")
        .arg(&ct)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, secret.expose_secret());
    let _ = std::fs::remove_dir_all(&dir);
}
