//! Oracles for the X.509 path: xmlsec1 (interop/README.md §3) verifies our RSA-SHA256
//! signature given only the certificate (`--pubkey-cert-pem`), and `openssl pkeyutl`
//! decrypts our RSA-OAEP-MGF1P `xenc:EncryptedKey` given the private key. The test key is
//! wsrx-crypto's `tests/data/rsa2048-test-a.pk8.pem`; its self-signed certificate is made
//! with rcgen. Each test reports `skipped: needs <tool>` without its tool (counted; a
//! failure under `WSRX_REQUIRE_INTEROP=1`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use common::unsigned_message;
use wsrx_crypto::{InsecureSeededRandom, RsaPrivateKey, SecretKey};
use wsrx_security::{Certificate, EncryptedKey, X509Credential, X509Signer};
use wsrx_xml::Document;

const KEY: &str = "../wsrx-crypto/tests/data/rsa2048-test-a.pk8.pem";

/// The test key and a self-signed certificate for it, made with rcgen (no tool needed),
/// written as PEM under `dir`; returns (credential, certificate, key path, certificate path).
fn credential(dir: &Path) -> (X509Credential, Certificate, PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let key_path = Path::new(env!("CARGO_MANIFEST_DIR")).join(KEY);
    let key_pem = std::fs::read_to_string(&key_path).unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "wsrx xmlsec1");
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::minutes(1);
    params.not_after = now + time::Duration::days(30);
    let pem = params
        .self_signed(&rcgen::KeyPair::from_pem(&key_pem).unwrap())
        .unwrap()
        .pem();
    let cert_path = dir.join("cert.pem");
    std::fs::write(&cert_path, &pem).unwrap();
    let cert = Certificate::from_pem(&pem).unwrap();
    let key = RsaPrivateKey::from_pkcs8_pem(&key_pem).unwrap();
    (
        X509Credential::new(cert.clone(), key).unwrap(),
        cert,
        key_path,
        cert_path,
    )
}

fn work_dir(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("wsrx-xmlsec-x509-{tag}-{}", std::process::id()))
}

#[test]
fn xmlsec1_verifies_rsa_signature() {
    if wsrx_peers::xmlsec1().is_none() {
        return;
    }
    let dir = work_dir("sig");
    let (credential, _, _, cert_path) = credential(&dir);
    let mut rng = InsecureSeededRandom::from_seed(11);

    // The signature, checked by xmlsec1 with only the certificate.
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
    let xmlsec = |file: &Path| {
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

    let _ = std::fs::remove_dir_all(&dir);
}

/// Our RSA-OAEP-MGF1P `xenc:EncryptedKey`: OpenSSL decrypts the CipherValue with OAEP
/// (SHA-1, MGF1-SHA1) and the private key.
#[test]
fn openssl_decrypts_our_encrypted_key() {
    if wsrx_peers::openssl().is_none() {
        return;
    }
    let dir = work_dir("ek");
    let (credential, cert, key_path, _) = credential(&dir);
    let mut rng = InsecureSeededRandom::from_seed(12);
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
