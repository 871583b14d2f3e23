//! Mutual X.509 bootstrap end to end, in process (issue 3 item 5, issue 4 bootstrap (a)):
//! Session with a client certificate → RST signed RSA-SHA256 with a BinarySecurityToken →
//! Issuer with an `X509Authenticator` trusting a test CA → RSTR whose proof token (issuer
//! entropy) or issuer entropy (combined) is an `xenc:EncryptedKey` for the client certificate
//! → Session Ready → a message signed with the new SCT verifies against the Issuer's resolver.
//! Negative: untrusted, expired, unsigned and tampered RSTs get `wst:FailedAuthentication` and
//! no token.
//!
//! Certificates are made at test time with rcgen from committed RSA test keys
//! (`testdata/x509-keys/`): a CA; a client it signs; a rogue CA with the *same* name and a
//! client it signs; an expired client. No external tool: these tests run everywhere.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SerialNumber,
};
use wsrx_crypto::{InsecureSeededRandom, RsaPrivateKey};
use wsrx_sc::{
    Dialect, EntropyMode, Issuer, IssuerConfig, Outcome, ProofToken, Rstr, Session, SessionConfig,
    SessionEvent, TokenFor, Transport, TrustFault, X509Authenticator, X509AuthenticatorConfig,
};
use wsrx_security::{
    Certificate, Policy, SignConfig, Signer, TrustStore, Verifier, X509Credential,
};
use wsrx_soap::{Envelope, SoapVersion};
use wsrx_xml::Document;

const ENDPOINT: &str = "http://localhost/rm";

/// A committed RSA test key (`testdata/x509-keys/`), as PEM text and as rcgen sees it.
fn test_key(name: &str) -> (String, KeyPair) {
    let path = wsrx_peers::testdata().join(format!("x509-keys/{name}.pk8.pem"));
    let pem = std::fs::read_to_string(path).unwrap();
    let pair = KeyPair::from_pem(&pem).unwrap();
    (pem, pair)
}

/// Subject `O=wsrx, CN=cn`, valid from a minute ago for `days`.
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

/// Test PKI files (`<name>.pem`, `<name>.key`) in a fresh directory, made with rcgen from
/// committed keys: a CA; a client it signs; a rogue CA with the *same* name and a client it
/// signs; an expired client (one day; the tests run two days later).
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn make(tag: &str) -> Self {
        use KeyUsagePurpose::{CrlSign, DigitalSignature, KeyCertSign, KeyEncipherment};
        let dir = std::env::temp_dir().join(format!("wsrx-x509-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, cert_pem: String, key_pem: &str| {
            std::fs::write(dir.join(format!("{name}.pem")), cert_pem).unwrap();
            std::fs::write(dir.join(format!("{name}.key")), key_pem).unwrap();
        };
        let mut cas = Vec::new();
        for (serial, ca) in ["ca", "rogue-ca"].into_iter().enumerate() {
            let (pem, pair) = test_key(ca);
            let p = params(
                "wsrx test CA",
                3650,
                serial as u64 + 1,
                IsCa::Ca(BasicConstraints::Unconstrained),
                vec![KeyCertSign, CrlSign],
            );
            let issuer = rcgen::CertifiedIssuer::self_signed(p, pair).unwrap();
            write(ca, issuer.pem(), &pem);
            cas.push((ca, issuer));
        }
        for (serial, (name, ca, days)) in [
            ("client", "ca", 30),
            ("expired", "ca", 1),
            ("rogue", "rogue-ca", 30),
        ]
        .into_iter()
        .enumerate()
        {
            let (pem, pair) = test_key(name);
            let issuer = &cas.iter().find(|(n, _)| *n == ca).unwrap().1;
            let cert = params(
                name,
                days,
                serial as u64 + 10,
                IsCa::ExplicitNoCa,
                vec![DigitalSignature, KeyEncipherment],
            )
            .signed_by(&pair, issuer)
            .unwrap();
            write(name, cert.pem(), &pem);
        }
        Self { dir }
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.join(file)).unwrap()
    }

    fn cert(&self, name: &str) -> Certificate {
        Certificate::from_pem(&self.read(&format!("{name}.pem"))).unwrap()
    }

    fn credential(&self, name: &str) -> Arc<X509Credential> {
        let key = RsaPrivateKey::from_pkcs8_pem(&self.read(&format!("{name}.key"))).unwrap();
        Arc::new(X509Credential::new(self.cert(name), key).unwrap())
    }

    fn trust(&self) -> TrustStore {
        let mut trust = TrustStore::new();
        trust.add(self.cert("ca")).unwrap();
        trust
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Two days from now: inside the client's 30 days, past the expired certificate's one day.
fn now() -> SystemTime {
    SystemTime::now() + Duration::from_secs(2 * 86_400)
}

type X509Issuer = Issuer<X509Authenticator, InsecureSeededRandom>;

fn issuer(pki: &Pki) -> X509Issuer {
    Issuer::new(
        IssuerConfig::default(),
        X509Authenticator::new(pki.trust(), X509AuthenticatorConfig::default()),
        InsecureSeededRandom::from_seed(7),
    )
}

fn session(
    pki: &Pki,
    who: &str,
    d: Dialect,
    entropy: EntropyMode,
) -> Session<InsecureSeededRandom> {
    Session::new(
        SessionConfig {
            dialect: d,
            soap: SoapVersion::V12,
            entropy,
            x509: Some(pki.credential(who)),
            ..SessionConfig::default()
        },
        InsecureSeededRandom::from_seed(8),
    )
}

fn app_message(soap_ns: &str) -> String {
    format!(
        r#"<s:Envelope xmlns:s="{soap_ns}" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action>urn:app</a:Action><a:To>{ENDPOINT}</a:To><a:MessageID>urn:uuid:0000-app</a:MessageID></s:Header><s:Body><p:Ping xmlns:p="urn:p">hi</p:Ping></s:Body></s:Envelope>"#
    )
}

#[test]
fn x509_bootstrap_end_to_end_with_encrypted_key() {
    let pki = Pki::make("e2e");
    let now = now();
    for (d, entropy) in [
        (Dialect::V13, EntropyMode::Issuer),
        (Dialect::V13, EntropyMode::Combined),
        (Dialect::V200502, EntropyMode::Issuer),
        (Dialect::V200502, EntropyMode::Combined),
    ] {
        let mut s = session(&pki, "client", d, entropy);
        let mut i = issuer(&pki);
        assert_eq!(s.token_for(ENDPOINT, now).unwrap(), TokenFor::Pending);
        let tx = s.poll_transmit().unwrap();
        assert!(tx.envelope.contains("BinarySecurityToken"));
        assert!(tx.envelope.contains("xmldsig-more#rsa-sha256"));
        let reply = i.handle_message(
            now,
            &Document::parse(tx.envelope.as_bytes()).unwrap(),
            Transport::Unprotected,
        );
        let Ok(Outcome::Issued {
            identifier,
            principal,
        }) = &reply.outcome
        else {
            panic!("{:?}: {}", reply.outcome, reply.envelope)
        };
        assert_eq!(principal, "CN=client,O=wsrx");

        // The key material is encrypted for the client certificate, never in the clear.
        let rdoc = Document::parse(reply.envelope.as_bytes()).unwrap();
        let rstr = Rstr::parse(Envelope::new(&rdoc).unwrap().payload().unwrap()).unwrap();
        match entropy {
            EntropyMode::Issuer => {
                assert!(
                    matches!(rstr.proof, Some(ProofToken::EncryptedKey(_))),
                    "{rstr:?}"
                );
                assert!(rstr.entropy.is_none());
            }
            _ => {
                assert!(matches!(rstr.proof, Some(ProofToken::ComputedKey(_))));
                assert!(rstr.encrypted_entropy.is_some() && rstr.entropy.is_none());
            }
        }
        assert!(
            !reply.envelope.contains("BinarySecret"),
            "{}",
            reply.envelope
        );
        assert!(reply.envelope.contains("rsa-oaep-mgf1p"));

        s.handle_rstr(now, &rdoc).unwrap();
        assert!(
            std::iter::from_fn(|| s.poll_event()).any(|e| matches!(
                e,
                SessionEvent::Established { identifier: ref id, .. } if id == identifier
            )),
            "session not established"
        );
        assert_eq!(
            s.token_for(ENDPOINT, now).unwrap(),
            TokenFor::Ready(identifier.clone())
        );

        // A message signed with the new SCT verifies against the issuer's store: both
        // sides hold the same key.
        let ctx = s.context(ENDPOINT, now).unwrap();
        let unsigned =
            Document::parse(app_message(SoapVersion::V12.namespace()).as_bytes()).unwrap();
        let signed = Signer::new(&ctx.token(), &ctx.secret, SignConfig::default())
            .secure(&unsigned, now, &mut InsecureSeededRandom::from_seed(3))
            .unwrap();
        let doc = Document::parse(signed.as_bytes()).unwrap();
        let verified = Verifier::default()
            .verify(&doc, &i.resolver(now), now)
            .unwrap();
        let policy = Policy {
            expected_context: Some(identifier.clone()),
            ..Policy::default()
        };
        assert_eq!(&policy.check(&verified).unwrap().sct_identifier, identifier);
    }
}

/// Sends `who`'s Issue RST (optionally rewritten) and expects FailedAuthentication, no token.
fn refused(pki: &Pki, who: &str, rewrite: impl Fn(String) -> String, at: SystemTime) {
    let mut s = session(pki, who, Dialect::V13, EntropyMode::Issuer);
    let mut i = issuer(pki);
    s.token_for(ENDPOINT, at).unwrap();
    let tx = s.poll_transmit().unwrap();
    let wire = rewrite(tx.envelope);
    let reply = i.handle_message(
        at,
        &Document::parse(wire.as_bytes()).unwrap(),
        Transport::Protected,
    );
    assert_eq!(
        reply.outcome,
        Err(TrustFault::FailedAuthentication),
        "{who}"
    );
    assert!(
        reply.envelope.contains("FailedAuthentication"),
        "{}",
        reply.envelope
    );
    assert_eq!(i.store().len(), 0, "no token for {who}");
}

#[test]
fn untrusted_expired_unsigned_and_tampered_rsts_are_refused() {
    let pki = Pki::make("neg");
    let now = now();
    // Signed by a CA with the trusted CA's name but another key.
    refused(&pki, "rogue", |e| e, now);
    // Issued by the trusted CA, but past its notAfter.
    refused(&pki, "expired", |e| e, now);
    // The same certificate is accepted a day earlier (the refusal above is the expiry).
    let mut s = session(&pki, "expired", Dialect::V13, EntropyMode::Issuer);
    let mut i = issuer(&pki);
    let earlier = SystemTime::now();
    s.token_for(ENDPOINT, earlier).unwrap();
    let tx = s.poll_transmit().unwrap();
    let reply = i.handle_message(
        earlier,
        &Document::parse(tx.envelope.as_bytes()).unwrap(),
        Transport::Protected,
    );
    assert!(reply.outcome.is_ok(), "{:?}", reply.outcome);
    // Unsigned: the security header removed.
    refused(
        &pki,
        "client",
        |e| {
            let start = e.find("<wsse:Security").unwrap();
            let end = e.find("</wsse:Security>").unwrap() + "</wsse:Security>".len();
            format!("{}{}", &e[..start], &e[end..])
        },
        now,
    );
    // Tampered after signing: the requested key size in the Body changed.
    refused(
        &pki,
        "client",
        |e| {
            assert!(e.contains(">256<"));
            e.replacen(">256<", ">512<", 1)
        },
        now,
    );
    // Tampered: the WS-A To header changed.
    refused(
        &pki,
        "client",
        |e| e.replacen(ENDPOINT, "http://evil/rm", 1),
        now,
    );
    // A certificate swapped into the BST (signature by the client's key, rogue cert shown).
    let rogue_b64 = {
        let c = pki.cert("rogue");
        let text = pki.read("rogue.pem");
        assert!(!c.der().is_empty());
        text.lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>()
    };
    refused(
        &pki,
        "client",
        move |e| {
            let open = e.find("Base64Binary\">").unwrap() + "Base64Binary\">".len();
            let close = e[open..].find('<').unwrap() + open;
            format!("{}{}{}", &e[..open], rogue_b64, &e[close..])
        },
        now,
    );
}

#[test]
fn username_path_is_unchanged_and_x509_signature_is_no_sct_proof() {
    let pki = Pki::make("mix");
    let now = now();
    // An X.509-signed message carries no SCT signature: the SCT policy refuses it.
    let mut s = session(&pki, "client", Dialect::V13, EntropyMode::Issuer);
    s.token_for(ENDPOINT, now).unwrap();
    let tx = s.poll_transmit().unwrap();
    let doc = Document::parse(tx.envelope.as_bytes()).unwrap();
    let verified = Verifier::default()
        .with_x509_signatures()
        .verify(
            &doc,
            &wsrx_sc::TokenStore::new(Duration::from_secs(1)).resolver(now),
            now,
        )
        .unwrap();
    assert_eq!(verified.x509_signatures().len(), 1);
    assert!(verified.signatures().is_empty());
    assert!(Policy::default().check(&verified).is_err());
    assert_eq!(
        Policy::default()
            .check_x509(&verified, &pki.trust(), now)
            .unwrap()
            .subject(),
        "CN=client,O=wsrx"
    );
    // Without the opt-in, a BinarySecurityToken is refused outright.
    assert!(
        Verifier::default()
            .verify(
                &doc,
                &wsrx_sc::TokenStore::new(Duration::from_secs(1)).resolver(now),
                now
            )
            .is_err()
    );
}
