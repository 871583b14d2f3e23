//! UsernameToken bootstrap end to end, in process: client Session → RST as XML text →
//! Issuer → RSTR → Session Ready; then an application message signed with the context
//! through `wsrx_security::Signer` verifies against the Issuer's `KeyResolver`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::panic_in_result_fn,
    clippy::unwrap_in_result,
    reason = "test code"
)]

mod common;

use common::{ENDPOINT, Scripted, app_message, credentials, events, exchange, issuer, records, t};
use wsrx_crypto::InsecureSeededRandom;
use wsrx_sc::{
    Dialect, EntropyMode, IssuerConfig, Outcome, SctRecord, Session, SessionConfig, SessionEvent,
    TokenFor, Transport, TrustFault,
};
use wsrx_security::{Policy, SignConfig, Signer, Verifier};
use wsrx_soap::SoapVersion;
use wsrx_xml::Document;

fn config(d: Dialect, soap: SoapVersion, password: &str, digest: bool) -> SessionConfig {
    SessionConfig {
        dialect: d,
        soap,
        entropy: EntropyMode::Combined,
        credentials: Some(credentials(password, digest)),
        ..SessionConfig::default()
    }
}

#[test]
fn username_digest_bootstrap_then_signed_message_verifies_in_both_dialects() {
    for (d, soap) in [
        (Dialect::V13, SoapVersion::V12),
        (Dialect::V200502, SoapVersion::V11),
    ] {
        let mut s = Session::new(
            config(d, soap, "wonderland", true),
            Scripted::new(40, Vec::new()),
        );
        let mut i = issuer(IssuerConfig::default(), Scripted::new(41, Vec::new()));
        assert_eq!(s.token_for(ENDPOINT, t(0)).unwrap(), TokenFor::Pending);
        let replies = exchange(&mut s, &mut i, t(0));
        let Ok(Outcome::Issued {
            identifier,
            principal,
        }) = &replies[0].outcome
        else {
            panic!("{:?}", replies[0].outcome)
        };
        assert_eq!(principal, "alice");
        assert!(identifier.starts_with("urn:uuid:"));
        if d == Dialect::V13 {
            assert!(
                replies[0]
                    .envelope
                    .contains("RequestSecurityTokenResponseCollection")
            );
        } else {
            assert!(
                !replies[0]
                    .envelope
                    .contains("RequestSecurityTokenResponseCollection")
            );
        }
        let recs = records(&mut s);
        assert!(
            matches!(&recs[..], [SctRecord::New(t)] if &t.identifier == identifier),
            "persisted before use"
        );
        assert_eq!(
            events(&mut s),
            vec![SessionEvent::Established {
                endpoint: ENDPOINT.to_owned(),
                identifier: identifier.clone()
            }]
        );
        assert_eq!(
            s.token_for(ENDPOINT, t(1)).unwrap(),
            TokenFor::Ready(identifier.clone())
        );

        let ctx = s.context(ENDPOINT, t(1)).unwrap();
        assert_eq!(ctx.version, d.sc_version());
        let unsigned = Document::parse(app_message(soap.namespace()).as_bytes()).unwrap();
        let signed = Signer::new(&ctx.token(), &ctx.secret, SignConfig::default())
            .secure(&unsigned, t(1), &mut InsecureSeededRandom::from_seed(3))
            .unwrap();
        let doc = Document::parse(signed.as_bytes()).unwrap();
        let verified = Verifier::default()
            .verify(&doc, &i.resolver(t(1)), t(1))
            .unwrap();
        let policy = Policy {
            expected_context: Some(identifier.clone()),
            require_derived_keys: true,
            ..Policy::default()
        };
        assert_eq!(&policy.check(&verified).unwrap().sct_identifier, identifier);
    }
}

#[test]
fn wrong_password_is_failed_authentication_and_no_token() {
    for d in Dialect::ALL {
        for digest in [true, false] {
            let mut s = Session::new(
                config(d, SoapVersion::V12, "looking-glass", digest),
                Scripted::new(42, Vec::new()),
            );
            let mut i = issuer(IssuerConfig::default(), Scripted::new(43, Vec::new()));
            s.token_for(ENDPOINT, t(0)).unwrap();
            let tx = s.poll_transmit().unwrap();
            let doc = Document::parse(tx.envelope.as_bytes()).unwrap();
            let reply = i.handle_message(t(0), &doc, Transport::Protected);
            assert_eq!(reply.outcome, Err(TrustFault::FailedAuthentication));
            assert!(reply.envelope.contains("FailedAuthentication"));
            assert!(!reply.envelope.contains("SecurityContextToken"));
            assert!(i.store().is_empty());
            s.handle_rstr(t(0), &Document::parse(reply.envelope.as_bytes()).unwrap())
                .unwrap();
            assert_eq!(
                events(&mut s),
                vec![SessionEvent::EstablishFailed {
                    endpoint: ENDPOINT.to_owned(),
                    fault: Some(TrustFault::FailedAuthentication)
                }]
            );
            assert!(records(&mut s).is_empty());
            assert!(s.context(ENDPOINT, t(0)).is_none());
        }
    }
}

#[test]
fn password_text_needs_a_protected_transport_and_digests_cannot_be_replayed() {
    let mut s = Session::new(
        config(Dialect::V13, SoapVersion::V12, "wonderland", false),
        Scripted::new(44, Vec::new()),
    );
    let mut i = issuer(IssuerConfig::default(), Scripted::new(45, Vec::new()));
    s.token_for(ENDPOINT, t(0)).unwrap();
    let doc = Document::parse(s.poll_transmit().unwrap().envelope.as_bytes()).unwrap();
    // Over plain HTTP the request is refused before its credentials are read: its entropy
    // and the answer's would cross in clear. The authenticator itself never takes a
    // PasswordText without TLS (WSS UsernameToken Profile 1.1 §3.1).
    assert!(matches!(
        i.handle_message(t(0), &doc, Transport::Unprotected).outcome,
        Err(TrustFault::BadRequest(_))
    ));
    let mut users =
        wsrx_sc::UsernameAuthenticator::new(common::alice(), wsrx_sc::UsernameConfig::default());
    let env = wsrx_soap::Envelope::new(&doc).unwrap();
    assert_eq!(
        wsrx_sc::BootstrapAuthenticator::authenticate(
            &mut users,
            &env,
            Transport::Unprotected,
            t(0)
        ),
        Err(TrustFault::FailedAuthentication)
    );
    assert!(
        i.handle_message(t(0), &doc, Transport::Protected)
            .outcome
            .is_ok()
    );

    let mut s = Session::new(
        config(Dialect::V13, SoapVersion::V12, "wonderland", true),
        Scripted::new(46, Vec::new()),
    );
    s.token_for(ENDPOINT, t(0)).unwrap();
    let doc = Document::parse(s.poll_transmit().unwrap().envelope.as_bytes()).unwrap();
    assert!(
        i.handle_message(t(1), &doc, Transport::Protected)
            .outcome
            .is_ok()
    );
    assert_eq!(
        i.handle_message(t(2), &doc, Transport::Protected).outcome,
        Err(TrustFault::FailedAuthentication),
        "same nonce"
    );
    // A stale request: its Timestamp is refused before the digest's Created is looked at.
    let stale = t(0) + std::time::Duration::from_secs(3600);
    assert_eq!(
        i.handle_message(stale, &doc, Transport::Protected).outcome,
        Err(TrustFault::InvalidRequest("Timestamp not fresh")),
        "stale Created"
    );
    let env = wsrx_soap::Envelope::new(&doc).unwrap();
    let mut users =
        wsrx_sc::UsernameAuthenticator::new(common::alice(), wsrx_sc::UsernameConfig::default());
    assert_eq!(
        wsrx_sc::BootstrapAuthenticator::authenticate(
            &mut users,
            &env,
            Transport::Protected,
            stale
        ),
        Err(TrustFault::FailedAuthentication),
        "the digest's own freshness rule"
    );
}

#[test]
fn a_request_without_credentials_gets_no_token() {
    let mut s = Session::new(
        SessionConfig {
            credentials: None,
            ..SessionConfig::default()
        },
        Scripted::new(47, Vec::new()),
    );
    let mut i = issuer(IssuerConfig::default(), Scripted::new(48, Vec::new()));
    s.token_for(ENDPOINT, t(0)).unwrap();
    let replies = exchange(&mut s, &mut i, t(0));
    assert_eq!(replies[0].outcome, Err(TrustFault::FailedAuthentication));
    assert!(i.store().is_empty());
}
