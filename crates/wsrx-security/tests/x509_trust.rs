//! [`TrustStore`] edge cases (RFC 5280, one-level paths) and the `ds:X509IssuerSerial`
//! token reference (X.509 Token Profile 1.1 §3.2.3) end to end: signed by
//! [`X509Signer`], resolved by [`Verifier::with_x509_certificates`] against configured
//! certificates, validated by [`Policy::check_x509`].
//!
//! Certificates are made at test time with the `openssl` CLI: a CA, a rogue CA with the
//! same name, an unrelated CA, leaves they sign, a self-signed leaf, a sub-CA, a leaf
//! without `digitalSignature`. Without `openssl` the tests skip with a NOTICE (and fail
//! if `WSRX_REQUIRE_INTEROP` is set).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_in_result,
    reason = "test code"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use wsrx_crypto::{InsecureSeededRandom, RsaPrivateKey};
use wsrx_security::x509::{KeyPurpose, X509SignConfig};
use wsrx_security::{
    Certificate, CertificateError, Policy, SecurityError, TrustStore, Verifier, X509Credential,
    X509IssuerSerial, X509Signer,
};
use wsrx_xml::Document;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const CA_EXT: [&str; 4] = [
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
];

/// The test PKI, made once per test binary; `None` without openssl.
fn pki() -> Option<&'static PathBuf> {
    static PKI: OnceLock<Option<PathBuf>> = OnceLock::new();
    PKI.get_or_init(|| {
        if Command::new("openssl").arg("version").output().is_err() {
            assert!(
                std::env::var_os("WSRX_REQUIRE_INTEROP").is_none(),
                "WSRX_REQUIRE_INTEROP is set but openssl is not installed"
            );
            println!("NOTICE: openssl not found, X.509 trust tests skipped");
            return None;
        }
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("x509-trust");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let exts = [
            ("ee.ext", "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"),
            ("enc-only.ext", "basicConstraints=CA:FALSE\nkeyUsage=critical,keyEncipherment\n"),
            ("sub-ca.ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,digitalSignature\n"),
        ];
        for (name, text) in exts {
            std::fs::write(dir.join(name), text).unwrap();
        }
        for (ca, cn) in [
            ("ca", "wsrx trust CA"),
            ("rogue-ca", "wsrx trust CA"),
            ("other-ca", "other CA"),
        ] {
            let mut args = vec![
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
            ];
            let key = format!("{ca}.key");
            let pem = format!("{ca}.pem");
            let subj = format!("/O=wsrx/CN={cn}");
            args.extend([key.as_str(), "-out", &pem, "-days", "3650", "-sha256", "-subj", &subj]);
            args.extend(CA_EXT);
            openssl(&dir, &args);
        }
        openssl(
            &dir,
            &[
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "self.key", "-out",
                "self.pem", "-days", "30", "-sha256", "-subj", "/O=wsrx/CN=self",
                "-addext", "basicConstraints=critical,CA:FALSE",
                "-addext", "keyUsage=critical,digitalSignature",
            ],
        );
        for (name, ca, ext) in [
            ("client", "ca", "ee.ext"),
            ("enc-only", "ca", "enc-only.ext"),
            ("sub-ca", "ca", "sub-ca.ext"),
            ("rogue", "rogue-ca", "ee.ext"),
            ("stranger", "other-ca", "ee.ext"),
        ] {
            let (key, csr, pem) = (format!("{name}.key"), format!("{name}.csr"), format!("{name}.pem"));
            let subj = format!("/O=wsrx/CN={name}");
            openssl(
                &dir,
                &["req", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &csr, "-subj", &subj],
            );
            let (ca_pem, ca_key) = (format!("{ca}.pem"), format!("{ca}.key"));
            openssl(
                &dir,
                &[
                    "x509", "-req", "-in", &csr, "-CA", &ca_pem, "-CAkey", &ca_key,
                    "-CAcreateserial", "-days", "30", "-sha256", "-extfile", ext, "-out", &pem,
                ],
            );
        }
        Some(dir)
    })
    .as_ref()
}

fn cert(dir: &Path, name: &str) -> Certificate {
    Certificate::from_pem(&std::fs::read_to_string(dir.join(format!("{name}.pem"))).unwrap())
        .unwrap()
}

fn trust(dir: &Path) -> TrustStore {
    let mut t = TrustStore::new();
    t.add(cert(dir, "ca")).unwrap();
    t
}

fn now() -> SystemTime {
    SystemTime::now() + Duration::from_secs(60)
}

fn validate(dir: &Path, name: &str, at: SystemTime) -> Result<(), CertificateError> {
    trust(dir).validate(&cert(dir, name), at, KeyPurpose::Signing)
}

#[test]
fn a_leaf_of_the_trusted_ca_validates() {
    let Some(dir) = pki() else { return };
    validate(dir, "client", now()).unwrap();
    trust(dir)
        .validate(&cert(dir, "enc-only"), now(), KeyPurpose::KeyEncipherment)
        .unwrap();
}

#[test]
fn expired_and_not_yet_valid() {
    let Some(dir) = pki() else { return };
    let day = Duration::from_secs(86_400);
    assert_eq!(
        validate(dir, "client", now() + 31 * day),
        Err(CertificateError::Expired)
    );
    assert_eq!(
        validate(dir, "client", now() - day),
        Err(CertificateError::NotYetValid)
    );
}

#[test]
fn unknown_issuer_and_self_signed_leaf() {
    let Some(dir) = pki() else { return };
    assert_eq!(
        validate(dir, "stranger", now()),
        Err(CertificateError::UntrustedIssuer)
    );
    assert_eq!(
        validate(dir, "self", now()),
        Err(CertificateError::UntrustedIssuer)
    );
    // Even a self-signed leaf is untrusted by an empty store.
    assert_eq!(
        TrustStore::new().validate(&cert(dir, "client"), now(), KeyPurpose::Signing),
        Err(CertificateError::UntrustedIssuer)
    );
    // A leaf cannot be added as a trust anchor.
    assert_eq!(
        TrustStore::new().add(cert(dir, "self")),
        Err(CertificateError::Usage)
    );
}

#[test]
fn wrong_signature_on_the_chain() {
    let Some(dir) = pki() else { return };
    // Issued by a CA with the trusted CA's name but another key.
    assert_eq!(
        validate(dir, "rogue", now()),
        Err(CertificateError::BadSignature)
    );
    // The trusted CA's leaf with one bit of its signature flipped.
    let mut der = cert(dir, "client").der().to_vec();
    let last = der.len() - 1;
    der[last] ^= 1;
    let tampered = Certificate::from_der(&der).unwrap();
    assert_eq!(
        trust(dir).validate(&tampered, now(), KeyPurpose::Signing),
        Err(CertificateError::BadSignature)
    );
}

#[test]
fn cas_are_not_leaves_and_key_usage_is_enforced() {
    let Some(dir) = pki() else { return };
    // basicConstraints cA=TRUE is refused for an end entity: the trust anchor itself and a
    // sub-CA it signed (which has digitalSignature, so only the CA rule refuses it).
    assert_eq!(validate(dir, "ca", now()), Err(CertificateError::Usage));
    assert_eq!(validate(dir, "sub-ca", now()), Err(CertificateError::Usage));
    // keyUsage without digitalSignature cannot sign.
    assert_eq!(
        validate(dir, "enc-only", now()),
        Err(CertificateError::Usage)
    );
}

fn credential(dir: &Path, name: &str) -> X509Credential {
    let key = RsaPrivateKey::from_pkcs8_pem(
        &std::fs::read_to_string(dir.join(format!("{name}.key"))).unwrap(),
    )
    .unwrap();
    X509Credential::new(cert(dir, name), key).unwrap()
}

fn signed_by_issuer_serial(dir: &Path, name: &str) -> String {
    let config = X509SignConfig {
        issuer_serial: true,
        ..X509SignConfig::default()
    };
    let doc = Document::parse(common::unsigned_message("x509").as_bytes()).unwrap();
    X509Signer::new(&credential(dir, name), config)
        .secure(&doc, now(), &mut InsecureSeededRandom::from_seed(5))
        .unwrap()
}

#[test]
fn issuer_serial_reference_resolves_against_configured_certificates() {
    let Some(dir) = pki() else { return };
    let client = cert(dir, "client");
    let reference = X509IssuerSerial::of(&client);
    assert!(reference.matches(&client));
    let configured = vec![cert(dir, "stranger"), cert(dir, "rogue"), client.clone()];
    assert_eq!(reference.resolve(&configured), Some(&client));
    assert_eq!(
        X509IssuerSerial::of(&cert(dir, "rogue")).resolve(&configured),
        Some(&configured[1])
    );

    let secured = signed_by_issuer_serial(dir, "client");
    assert!(secured.contains("<ds:X509IssuerSerial>"));
    assert!(!secured.contains("BinarySecurityToken"));
    let doc = Document::parse(secured.as_bytes()).unwrap();
    let resolver = common::MapResolver::default();
    let verified = Verifier::default()
        .with_x509_certificates(configured.clone())
        .verify(&doc, &resolver, now())
        .unwrap();
    let signer = Policy::default()
        .check_x509(&verified, &trust(dir), now())
        .unwrap();
    assert_eq!(signer, &client);

    // Not configured: the token cannot be found.
    let err = Verifier::default()
        .with_x509_certificates(vec![cert(dir, "stranger")])
        .verify(&doc, &resolver, now())
        .unwrap_err();
    assert_eq!(err, SecurityError::TokenUnavailable);
    // Configured but untrusted (rogue CA): resolution works, the policy refuses it.
    let secured = signed_by_issuer_serial(dir, "rogue");
    let doc = Document::parse(secured.as_bytes()).unwrap();
    let verified = Verifier::default()
        .with_x509_certificates(configured.clone())
        .verify(&doc, &resolver, now())
        .unwrap();
    assert_eq!(
        Policy::default()
            .check_x509(&verified, &trust(dir), now())
            .unwrap_err(),
        SecurityError::FailedAuthentication(CertificateError::BadSignature)
    );
    // An issuer-serial that names the client but a signature by another key fails the check.
    let forged = secured.replace(
        &format!(
            "<ds:X509SerialNumber>{}</ds:X509SerialNumber>",
            cert(dir, "rogue").serial_decimal()
        ),
        &format!(
            "<ds:X509SerialNumber>{}</ds:X509SerialNumber>",
            client.serial_decimal()
        ),
    );
    assert_ne!(forged, secured);
    let doc = Document::parse(forged.as_bytes()).unwrap();
    assert_eq!(
        Verifier::default()
            .with_x509_certificates(configured)
            .verify(&doc, &resolver, now())
            .unwrap_err(),
        SecurityError::FailedCheck
    );
}
