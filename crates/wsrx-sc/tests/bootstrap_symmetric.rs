//! The X.509 symmetric bootstrap (issue 18 item 2), sans-IO, in process and against the
//! recorded peers:
//! - known answers: wsrx's token service decrypts and accepts the recorded CXF 4.2.3 and Metro
//!   4.0.4 Issue RSTs (at their recorded time; `testdata/<peer>/keys/` holds the run's
//!   throw-away server key), and wsrx's requester side accepts the recorded RSTRs and computes
//!   the SCT secret the MANIFEST records;
//! - round trip Session → Issuer → Session over plain HTTP in both entropy modes, the keys
//!   agreeing, and no `wst:BinarySecret` or entropy in clear on the wire;
//! - refusals: a tampered EncryptedKey, a DKT whose reference names another EncryptedKey, an
//!   answer naming another EncryptedKeySHA1, a key encrypted to another certificate, an
//!   expired server certificate, a replayed RST;
//! - no key material in clear: the UsernameToken bootstrap over plain HTTP is refused by the
//!   token service and by the requester.
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

use wsrx_crypto::{InsecureSeededRandom, RsaPrivateKey, SecretKey};
use wsrx_sc::auth::{UsernameAuthenticator, UsernameConfig, UsernameToken, UsernameVerifier};
use wsrx_sc::bootstrap::{self, X509Bootstrap};
use wsrx_sc::issuer::X509Service;
use wsrx_sc::{
    Dialect, EntropyMode, Issuer, IssuerConfig, Outcome, Rst, Rstr, Session, SessionConfig,
    SessionEvent, TokenFor, Transport, TrustFault,
};
use wsrx_security::{Certificate, ReplayCache, X509Credential, parse_datetime};
use wsrx_soap::Envelope;
use wsrx_xml::Document;

const ENDPOINT: &str = "http://localhost/rm";

fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(testdata(rel)).unwrap()
}

fn certificate(peer: &str, name: &str) -> Certificate {
    Certificate::from_pem(&read(&format!("{peer}/keys/{name}.pem"))).unwrap()
}

fn credential(peer: &str) -> Arc<X509Credential> {
    let key = RsaPrivateKey::from_pkcs8_pem(&read(&format!("{peer}/keys/server.key"))).unwrap();
    Arc::new(X509Credential::new(certificate(peer, "server"), key).unwrap())
}

/// A time inside the throw-away certificates' validity (the day of the recording).
fn recorded_day() -> SystemTime {
    parse_datetime("2026-12-07T03:20:00Z").unwrap()
}

struct NoUsers;
impl UsernameVerifier for NoUsers {
    fn password(&self, _: &str) -> Option<SecretKey> {
        None
    }
}

struct Alice;
impl UsernameVerifier for Alice {
    fn password(&self, u: &str) -> Option<SecretKey> {
        (u == "alice").then(|| SecretKey::from_slice(b"secret"))
    }
}

fn issuer_for(
    peer: &str,
    seed: u64,
) -> Issuer<UsernameAuthenticator<NoUsers>, InsecureSeededRandom> {
    let config = IssuerConfig {
        x509: Some(X509Service {
            credential: credential(peer),
            bootstrap: X509Bootstrap::default(),
        }),
        ..IssuerConfig::default()
    };
    Issuer::new(
        config,
        UsernameAuthenticator::new(NoUsers, UsernameConfig::default()),
        InsecureSeededRandom::from_seed(seed),
    )
}

/// The `wsu:Created` of the message's Timestamp.
fn created(doc: &Document) -> SystemTime {
    let e = doc
        .elements()
        .find(|e| {
            e.local_name() == "Created" && e.parent().is_some_and(|p| p.local_name() == "Timestamp")
        })
        .unwrap();
    parse_datetime(e.text().trim()).unwrap()
}

/// The SCT secret the MANIFEST records for `cell`.
fn manifest_secret(peer: &str, cell: &str) -> Vec<u8> {
    let text = read(&format!("{peer}/MANIFEST.md"));
    let section = text.split(&format!("## {cell}\n")).nth(1).unwrap();
    let b64 = section
        .split("secret `")
        .nth(1)
        .unwrap()
        .split('`')
        .next()
        .unwrap();
    wsrx_crypto::base64::decode(b64).unwrap()
}

const CELLS: [(&str, &str); 9] = [
    ("cxf", "x509-rm11-soap12-oneway"),
    ("cxf", "x509-enc-rm11-soap12-rr"),
    ("cxf", "x509-encsig-rm11-soap11-rr"),
    ("cxf", "x509-rm10-soap11-oneway"),
    ("cxf", "x509-sc2005-rm10-soap11-rr"),
    ("metro", "x509-rm11-soap12-oneway"),
    ("metro", "x509-encsig-rm11-soap11-oneway"),
    ("metro", "x509-rm10-soap11-oneway"),
    ("metro", "x509-sc2005-rm10-soap11-rr"),
];

fn cell_file(peer: &str, cell: &str, prefix: &str) -> Document {
    let dir = testdata(&format!("{peer}/{cell}"));
    let name = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|n| n.starts_with(prefix))
        .unwrap();
    Document::parse(&std::fs::read(dir.join(name)).unwrap()).unwrap()
}

#[test]
fn the_token_service_accepts_the_recorded_cxf_and_metro_requests() {
    for (peer, cell) in CELLS {
        let rst = cell_file(peer, cell, "0001-");
        let mut issuer = issuer_for(peer, 1);
        let reply = issuer.handle_message(created(&rst), &rst, Transport::Unprotected);
        match reply.outcome {
            Ok(Outcome::Issued { principal, .. }) => {
                assert_eq!(principal, wsrx_sc::ANONYMOUS_PRINCIPAL, "{peer} {cell}");
            }
            other => panic!("{peer} {cell}: {other:?}"),
        }
        // The answer is protected: no RSTR, entropy or BinarySecret in clear.
        assert!(!reply.envelope.contains("BinarySecret"), "{peer} {cell}");
        assert!(reply.envelope.contains("EncryptedKeySHA1"), "{peer} {cell}");
        // The same request a second time is a replay.
        let again = issuer.handle_message(created(&rst), &rst, Transport::Unprotected);
        assert_eq!(
            again.outcome.unwrap_err(),
            TrustFault::FailedAuthentication,
            "{peer} {cell}"
        );
        // Too late: the Timestamp (5 minutes) has expired beyond the skew.
        let mut fresh = issuer_for(peer, 2);
        let late = created(&rst) + Duration::from_secs(3600);
        let stale = fresh.handle_message(late, &rst, Transport::Unprotected);
        assert_eq!(stale.outcome.unwrap_err(), TrustFault::FailedAuthentication);
    }
}

#[test]
fn the_requester_side_accepts_the_recorded_answers_and_finds_the_recorded_secret() {
    for (peer, cell) in CELLS {
        let rst_doc = cell_file(peer, cell, "0001-");
        let rstr_doc = cell_file(peer, cell, "0002-");
        let config = X509Bootstrap::default();
        let mut replay = ReplayCache::new(16, Duration::from_secs(600));
        let mut rng = InsecureSeededRandom::from_seed(3);
        let (plain_rst, key) = bootstrap::open_request(
            &rst_doc,
            &credential(peer),
            &config,
            &mut replay,
            created(&rst_doc),
            &mut rng,
        )
        .unwrap();
        let rst = Rst::parse(Envelope::new(&plain_rst).unwrap().payload().unwrap(), None).unwrap();
        let client_entropy = rst.entropy.unwrap().value;
        let plain = bootstrap::open_response(&rstr_doc, &key, &config, created(&rstr_doc))
            .unwrap_or_else(|e| panic!("{peer} {cell}: {e:?}"));
        let rstr = Rstr::parse(Envelope::new(&plain).unwrap().payload().unwrap()).unwrap();
        let server_entropy = rstr.entropy.unwrap().value;
        let bits = u64::from(rstr.key_size.unwrap_or(256));
        let secret = wsrx_crypto::computed_key(
            client_entropy.expose_secret(),
            server_entropy.expose_secret(),
            bits,
        )
        .unwrap();
        assert_eq!(
            secret.expose_secret(),
            manifest_secret(peer, cell).as_slice(),
            "{peer} {cell}"
        );
        // A copy of the answer naming another EncryptedKeySHA1 is refused.
        let named = wsrx_crypto::base64::encode(&key.sha1());
        assert!(
            rstr_doc.source().contains(&named),
            "{peer} {cell}: names our key"
        );
        let mut other = key.sha1();
        other[0] ^= 1;
        let text = rstr_doc
            .source()
            .replace(&named, &wsrx_crypto::base64::encode(&other));
        let forged = Document::parse(text.as_bytes()).unwrap();
        assert!(bootstrap::open_response(&forged, &key, &config, created(&rstr_doc)).is_err());
    }
}

fn session(server: Certificate, entropy: EntropyMode, seed: u64) -> Session<InsecureSeededRandom> {
    let config = SessionConfig {
        entropy,
        server_certificate: Some(Arc::new(server)),
        ..SessionConfig::default()
    };
    Session::new(config, InsecureSeededRandom::from_seed(seed))
}

/// One Issue exchange; the RST as sent and the session's event.
fn exchange(
    session: &mut Session<InsecureSeededRandom>,
    issuer: &mut Issuer<UsernameAuthenticator<NoUsers>, InsecureSeededRandom>,
    now: SystemTime,
    tamper: impl Fn(String) -> String,
) -> (String, String, SessionEvent) {
    assert_eq!(session.token_for(ENDPOINT, now).unwrap(), TokenFor::Pending);
    let t = session.poll_transmit().unwrap();
    let request = tamper(t.envelope.clone());
    let reply = issuer.handle_message(
        now,
        &Document::parse(request.as_bytes()).unwrap(),
        Transport::Unprotected,
    );
    session
        .handle_rstr(now, &Document::parse(reply.envelope.as_bytes()).unwrap())
        .unwrap();
    (request, reply.envelope, session.poll_event().unwrap())
}

#[test]
fn round_trip_in_both_entropy_modes_with_nothing_secret_in_clear() {
    for (i, mode) in [EntropyMode::Combined, EntropyMode::Issuer]
        .into_iter()
        .enumerate()
    {
        let now = recorded_day();
        let mut s = session(certificate("cxf", "server"), mode, 10 + i as u64);
        let mut issuer = issuer_for("cxf", 20 + i as u64);
        let (rst, rstr, event) = exchange(&mut s, &mut issuer, now, |e| e);
        let SessionEvent::Established { identifier, .. } = event else {
            panic!("{mode:?}: {event:?}")
        };
        let held = s.context(ENDPOINT, now).unwrap().secret.clone();
        let issued =
            wsrx_security::KeyResolver::sct_secret(&issuer.resolver(now), &identifier, None)
                .unwrap();
        assert_eq!(held, issued, "{mode:?}");
        for wire in [&rst, &rstr] {
            assert!(
                !wire.contains("BinarySecret") && !wire.contains("Entropy"),
                "{mode:?}"
            );
            assert!(
                !wire.contains("RequestSecurityToken"),
                "the bodies travel encrypted"
            );
        }
        assert!(
            rst.contains("hmac-sha1"),
            "Basic256 signs with HMAC-SHA1 (WS-SP 1.2 §6.1)"
        );
    }
}

#[test]
fn tampering_and_wrong_keys_are_refused() {
    let now = recorded_day();
    // One bit of the EncryptedKey's CipherValue: the key does not decrypt (or decrypts to
    // another key), the signature fails: FailedAuthentication, no token.
    let flip = |e: String| {
        let at = e.find("<xenc:CipherValue>").unwrap() + "<xenc:CipherValue>".len() + 10;
        let mut b = e.into_bytes();
        b[at] = if b[at] == b'A' { b'B' } else { b'A' };
        String::from_utf8(b).unwrap()
    };
    // The DKTs name an EncryptedKey that is not in the message.
    let reref = |e: String| e.replace("URI=\"#wsrx-ek\"", "URI=\"#other-ek\"");
    for (name, tamper) in [
        ("cipher value", &flip as &dyn Fn(String) -> String),
        ("key reference", &reref),
    ] {
        let mut s = session(certificate("cxf", "server"), EntropyMode::Combined, 30);
        let mut issuer = issuer_for("cxf", 31);
        let (_, reply, event) = exchange(&mut s, &mut issuer, now, tamper);
        assert_eq!(
            event,
            SessionEvent::EstablishFailed {
                endpoint: ENDPOINT.into(),
                fault: Some(TrustFault::FailedAuthentication)
            },
            "{name}"
        );
        assert!(issuer.store().is_empty(), "{name}: no token issued");
        assert!(reply.contains("FailedAuthentication"), "{name}");
    }
    // Encrypted to another certificate (the CA's): the service cannot open it.
    let mut s = session(certificate("cxf", "ca"), EntropyMode::Combined, 32);
    let mut issuer = issuer_for("cxf", 33);
    let (_, _, event) = exchange(&mut s, &mut issuer, now, |e| e);
    assert!(matches!(
        event,
        SessionEvent::EstablishFailed {
            fault: Some(TrustFault::FailedAuthentication),
            ..
        }
    ));
    assert!(issuer.store().is_empty());
}

#[test]
fn an_expired_server_certificate_is_not_used() {
    let mut s = session(certificate("cxf", "server"), EntropyMode::Combined, 40);
    let after = parse_datetime("2027-02-01T00:00:00Z").unwrap();
    let err = s.token_for(ENDPOINT, after).unwrap_err();
    assert!(err.to_string().contains("not valid"), "{err}");
    assert!(s.poll_transmit().is_none());
}

#[test]
fn no_key_material_crosses_plain_http() {
    let now = recorded_day();
    // The requester refuses to send a UsernameToken RST with entropy to an http:// endpoint.
    let config = SessionConfig {
        credentials: Some(UsernameToken {
            username: "alice".into(),
            password: SecretKey::from_slice(b"secret"),
            digest: true,
        }),
        ..SessionConfig::default()
    };
    let mut s = Session::new(config.clone(), InsecureSeededRandom::from_seed(50));
    let err = s.token_for(ENDPOINT, now).unwrap_err();
    assert!(err.to_string().contains("unprotected channel"), "{err}");
    // Over https it goes, with a Timestamp beside the UsernameToken.
    let mut s = Session::new(config, InsecureSeededRandom::from_seed(51));
    let https = "https://localhost/rm";
    s.token_for(https, now).unwrap();
    let rst = s.poll_transmit().unwrap().envelope;
    assert!(rst.contains("Timestamp") && rst.contains("UsernameToken"));
    // The token service refuses the same request over plain HTTP (a peer that would send it)
    // and issues it over TLS.
    let mut issuer = Issuer::new(
        IssuerConfig::default(),
        UsernameAuthenticator::new(Alice, UsernameConfig::default()),
        InsecureSeededRandom::from_seed(52),
    );
    let doc = Document::parse(rst.as_bytes()).unwrap();
    let refused = issuer.handle_message(now, &doc, Transport::Unprotected);
    assert!(
        matches!(refused.outcome, Err(TrustFault::BadRequest(why)) if why.contains("unprotected channel"))
    );
    assert!(issuer.store().is_empty());
    assert!(
        refused.envelope.contains("Timestamp"),
        "faults carry a Timestamp too"
    );
    let issued = issuer.handle_message(now, &doc, Transport::Protected);
    assert!(matches!(issued.outcome, Ok(Outcome::Issued { .. })));
    assert!(
        issued.envelope.contains(":Timestamp"),
        "the RSTR carries a Timestamp"
    );
    // A stale request is refused.
    let stale = issuer.handle_message(now + Duration::from_secs(3600), &doc, Transport::Protected);
    assert!(matches!(stale.outcome, Err(TrustFault::InvalidRequest(_))));
    let _ = Dialect::V13;
}

#[test]
fn a_renewal_over_plain_http_travels_encrypted_under_the_context() {
    let now = recorded_day();
    let mut s = Session::new(
        SessionConfig {
            server_certificate: Some(Arc::new(certificate("cxf", "server"))),
            lifetime: Some(Duration::from_secs(600)),
            ..SessionConfig::default()
        },
        InsecureSeededRandom::from_seed(60),
    );
    let mut issuer = issuer_for("cxf", 61);
    let (_, _, event) = exchange(&mut s, &mut issuer, now, |e| e);
    let SessionEvent::Established { identifier, .. } = event else {
        panic!("{event:?}")
    };
    assert_eq!(
        s.token_for(ENDPOINT, now).unwrap(),
        TokenFor::Ready(identifier.clone())
    );
    let later = now + Duration::from_secs(560);
    s.handle_timeout(later).unwrap();
    let renew = s.poll_transmit().expect("a Renew RST").envelope;
    assert!(!renew.contains("BinarySecret") && renew.contains("EncryptedData"));
    let reply = issuer.handle_message(
        later,
        &Document::parse(renew.as_bytes()).unwrap(),
        Transport::Unprotected,
    );
    assert!(
        matches!(reply.outcome, Ok(Outcome::Renewed { .. })),
        "{:?}",
        reply.outcome
    );
    assert!(!reply.envelope.contains("BinarySecret") && reply.envelope.contains("EncryptedData"));
    s.handle_rstr(later, &Document::parse(reply.envelope.as_bytes()).unwrap())
        .unwrap();
    assert!(
        matches!(s.poll_event(), Some(SessionEvent::Renewed { .. })),
        "renewed"
    );
    let held = s.context(ENDPOINT, later).unwrap().clone();
    let issued = wsrx_security::KeyResolver::sct_secret(
        &issuer.resolver(later),
        &identifier,
        held.instance.as_deref(),
    )
    .unwrap();
    assert_eq!(held.secret, issued);
}

/// A token service restarted from its store (`Issuer::restore`) knows the contexts it
/// issued: their holder can Cancel them, and a cancelled one then stays refused.
#[test]
fn a_restored_issuer_honours_cancel_of_a_context_issued_before_the_restart() {
    let now = recorded_day();
    let mut s = session(certificate("cxf", "server"), EntropyMode::Combined, 70);
    let mut issuer = issuer_for("cxf", 71);
    let (_, _, event) = exchange(&mut s, &mut issuer, now, |e| e);
    let SessionEvent::Established { identifier, .. } = event else {
        panic!("{event:?}")
    };
    let info = issuer.store().info(&identifier).unwrap().clone();
    let secret =
        wsrx_security::KeyResolver::sct_secret(&issuer.resolver(now), &identifier, None).unwrap();
    // What the runtime's store holds for it, fed to a fresh issuer.
    let mut restarted = issuer_for("cxf", 72);
    restarted.restore([wsrx_sc::EstablishedSct {
        identifier: identifier.clone(),
        instance: info.instance.clone(),
        secret,
        created: info.created,
        expires: info.expires,
        version: info.version,
        endpoint: info.principal.clone(),
    }]);
    let later = now + Duration::from_secs(60);
    assert!(
        wsrx_security::KeyResolver::sct_secret(&restarted.resolver(later), &identifier, None)
            .is_ok()
    );
    s.shutdown(later).unwrap();
    let cancel = s.poll_transmit().unwrap().envelope;
    let reply = restarted.handle_message(
        later,
        &Document::parse(cancel.as_bytes()).unwrap(),
        Transport::Unprotected,
    );
    assert_eq!(
        reply.outcome,
        Ok(Outcome::Cancelled {
            identifier: identifier.clone()
        })
    );
    assert!(
        wsrx_security::KeyResolver::sct_secret(&restarted.resolver(later), &identifier, None)
            .is_err(),
        "a cancelled context is refused"
    );
    s.handle_rstr(later, &Document::parse(reply.envelope.as_bytes()).unwrap())
        .unwrap();
    assert_eq!(s.poll_event(), Some(SessionEvent::Cancelled { identifier }));
}

/// The EncryptedKey names the service's certificate as the policy asks (WS-SP 1.2 §5.4.3):
/// by issuer and serial number, or by subject key identifier; the service finds itself in
/// each, and RSA 1.5 under an Rsa15 suite.
#[test]
fn every_certificate_reference_form_and_rsa15_round_trip() {
    use wsrx_security::{AlgorithmSuite, CertificateReference};
    let now = recorded_day();
    let cert = certificate("cxf", "server");
    assert!(
        cert.subject_key_identifier().is_some(),
        "the test certificate has an SKI"
    );
    for (i, (form, suite)) in [
        (CertificateReference::IssuerSerial, AlgorithmSuite::Basic256),
        (
            CertificateReference::SubjectKeyIdentifier,
            AlgorithmSuite::Basic256Sha256,
        ),
        (
            CertificateReference::Thumbprint,
            AlgorithmSuite::Basic256Rsa15,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let mut bootstrap = X509Bootstrap::with_suite(suite);
        bootstrap.reference = form;
        let mut s = Session::new(
            SessionConfig {
                server_certificate: Some(Arc::new(cert.clone())),
                bootstrap: bootstrap.clone(),
                ..SessionConfig::default()
            },
            InsecureSeededRandom::from_seed(80 + i as u64),
        );
        let mut issuer = Issuer::new(
            IssuerConfig {
                x509: Some(X509Service {
                    credential: credential("cxf"),
                    bootstrap,
                }),
                ..IssuerConfig::default()
            },
            UsernameAuthenticator::new(NoUsers, UsernameConfig::default()),
            InsecureSeededRandom::from_seed(90 + i as u64),
        );
        let (rst, _, event) = exchange(&mut s, &mut issuer, now, |e| e);
        assert!(
            matches!(event, SessionEvent::Established { .. }),
            "{form:?} {suite:?}: {event:?}"
        );
        let marker = match form {
            CertificateReference::IssuerSerial => "X509IssuerSerial",
            CertificateReference::SubjectKeyIdentifier => "X509SubjectKeyIdentifier",
            CertificateReference::Thumbprint => "ThumbprintSHA1",
        };
        assert!(rst.contains(marker), "{form:?}");
        if suite == AlgorithmSuite::Basic256Rsa15 {
            assert!(rst.contains("rsa-1_5"));
        }
    }
}
