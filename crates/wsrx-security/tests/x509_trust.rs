//! [`TrustStore`] edge cases (RFC 5280, one-level paths) and the `ds:X509IssuerSerial`
//! token reference (X.509 Token Profile 1.1 §3.2.3) end to end: signed by
//! [`X509Signer`], resolved by [`Verifier::with_x509_certificates`] against configured
//! certificates, validated by [`Policy::check_x509`].
//!
//! Certificates are made at test time with rcgen from committed RSA test keys
//! (`testdata/x509-keys/`): a CA, a rogue CA with the same name, an unrelated CA, leaves
//! they sign, a self-signed leaf, a sub-CA, a leaf without `digitalSignature`. No external
//! tool: these tests run everywhere.
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
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SerialNumber,
};
use wsrx_crypto::{InsecureSeededRandom, RsaPrivateKey};
use wsrx_security::x509::{KeyPurpose, X509SignConfig};
use wsrx_security::{
    Certificate, CertificateError, Policy, SecurityError, TrustStore, Verifier, X509Credential,
    X509IssuerSerial, X509Signer,
};
use wsrx_xml::Document;

/// A committed RSA test key (`testdata/x509-keys/`), as PEM text and as rcgen sees it.
fn test_key(name: &str) -> (String, KeyPair) {
    let pem = std::fs::read_to_string(common::vectors().join(format!("x509-keys/{name}.pk8.pem")))
        .unwrap();
    let pair = KeyPair::from_pem(&pem).unwrap();
    (pem, pair)
}

/// Certificate parameters: subject `O=wsrx, CN=cn`, valid from a minute ago for `days`.
fn params(
    cn: &str,
    days: i64,
    serial: u64,
    ca: IsCa,
    usages: Vec<KeyUsagePurpose>,
) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    // A fresh name (rcgen's default holds a CN already): `O=wsrx, CN=…` in DER order.
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name.push(DnType::OrganizationName, "wsrx");
    p.distinguished_name.push(DnType::CommonName, cn);
    let start = time::OffsetDateTime::now_utc() - time::Duration::minutes(1);
    p.not_before = start;
    p.not_after = start + time::Duration::days(days);
    p.serial_number = Some(SerialNumber::from(serial));
    p.is_ca = ca;
    p.key_usages = usages;
    p
}

/// The test PKI, made once per test binary with rcgen from committed keys: a CA, a rogue
/// CA with the same name, an unrelated CA, leaves they sign, a self-signed leaf, a sub-CA,
/// a leaf without `digitalSignature`. Writes `<name>.pem` and `<name>.key` per certificate.
fn pki() -> &'static PathBuf {
    static PKI: OnceLock<PathBuf> = OnceLock::new();
    PKI.get_or_init(|| {
        use KeyUsagePurpose::{CrlSign, DigitalSignature, KeyCertSign, KeyEncipherment};
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("x509-trust");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, cert_pem: String, key_pem: &str| {
            std::fs::write(dir.join(format!("{name}.pem")), cert_pem).unwrap();
            std::fs::write(dir.join(format!("{name}.key")), key_pem).unwrap();
        };
        let ca_usages = || vec![KeyCertSign, CrlSign];
        let mut cas = Vec::new();
        for (serial, (ca, cn)) in [
            ("ca", "wsrx trust CA"),
            ("rogue-ca", "wsrx trust CA"),
            ("other-ca", "other CA"),
        ]
        .into_iter()
        .enumerate()
        {
            let (pem, pair) = test_key(ca);
            let p = params(
                cn,
                3650,
                serial as u64 + 1,
                IsCa::Ca(BasicConstraints::Unconstrained),
                ca_usages(),
            );
            let issuer = rcgen::CertifiedIssuer::self_signed(p, pair).unwrap();
            write(ca, issuer.pem(), &pem);
            cas.push((ca, issuer));
        }
        let (pem, pair) = test_key("self");
        let cert = params("self", 30, 10, IsCa::ExplicitNoCa, vec![DigitalSignature])
            .self_signed(&pair)
            .unwrap();
        write("self", cert.pem(), &pem);
        for (serial, (name, ca, is_ca, usages)) in [
            (
                "client",
                "ca",
                false,
                vec![DigitalSignature, KeyEncipherment],
            ),
            ("enc-only", "ca", false, vec![KeyEncipherment]),
            ("sub-ca", "ca", true, vec![KeyCertSign, DigitalSignature]),
            (
                "rogue",
                "rogue-ca",
                false,
                vec![DigitalSignature, KeyEncipherment],
            ),
            (
                "stranger",
                "other-ca",
                false,
                vec![DigitalSignature, KeyEncipherment],
            ),
        ]
        .into_iter()
        .enumerate()
        {
            let (pem, pair) = test_key(name);
            let ca_kind = if is_ca {
                IsCa::Ca(BasicConstraints::Unconstrained)
            } else {
                IsCa::ExplicitNoCa
            };
            let issuer = &cas.iter().find(|(n, _)| *n == ca).unwrap().1;
            let cert = params(name, 30, serial as u64 + 20, ca_kind, usages)
                .signed_by(&pair, issuer)
                .unwrap();
            write(name, cert.pem(), &pem);
        }
        dir
    })
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
    let dir = pki();
    validate(dir, "client", now()).unwrap();
    trust(dir)
        .validate(&cert(dir, "enc-only"), now(), KeyPurpose::KeyEncipherment)
        .unwrap();
}

#[test]
fn expired_and_not_yet_valid() {
    let dir = pki();
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
    let dir = pki();
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
    let dir = pki();
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
    let dir = pki();
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
    let dir = pki();
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
