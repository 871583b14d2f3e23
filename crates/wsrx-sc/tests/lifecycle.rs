//! Renew, Cancel and Amend end to end over the in-memory wire, and what happens to a
//! context's key after each (WS-SC 1.4 §4–§6; store rules in `wsrx_sc::store`).
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

use common::{
    ENDPOINT, Scripted, TestIssuer, TestSession, app_message, events, exchange, issuer, records,
    session, t,
};
use wsrx_crypto::InsecureSeededRandom;
use wsrx_sc::{
    ContextStatus, Dialect, EntropyMode, EstablishedSct, IssuerConfig, LossReason, Outcome,
    SctRecord, SessionEvent, TokenFor, TrustFault,
};
use wsrx_security::{KeyResolver, ResolveError, SecurityError, SignConfig, Signer, Verifier};
use wsrx_xml::Document;

fn established(d: Dialect) -> (TestSession, TestIssuer, String) {
    let mut s = session(d, EntropyMode::Combined, Scripted::new(21, Vec::new()));
    let mut i = issuer(IssuerConfig::default(), Scripted::new(22, Vec::new()));
    s.token_for(ENDPOINT, t(0)).unwrap();
    exchange(&mut s, &mut i, t(0));
    let TokenFor::Ready(id) = s.token_for(ENDPOINT, t(0)).unwrap() else {
        panic!()
    };
    assert!(matches!(records(&mut s)[..], [SctRecord::New(_)]));
    events(&mut s);
    (s, i, id)
}

/// Signs an application message with `ctx` at `at` and verifies it against the issuer.
fn app_verifies(
    ctx: &EstablishedSct,
    i: &TestIssuer,
    at: std::time::SystemTime,
) -> Result<(), SecurityError> {
    let doc = Document::parse(app_message(wsrx_soap::ns::SOAP12).as_bytes()).unwrap();
    let signed = Signer::new(&ctx.token(), &ctx.secret, SignConfig::default())
        .secure(&doc, at, &mut InsecureSeededRandom::from_seed(5))
        .unwrap();
    let doc = Document::parse(signed.as_bytes()).unwrap();
    Verifier::default()
        .verify(&doc, &i.resolver(at), at)
        .map(|_| ())
}

#[test]
fn renewal_keeps_the_identifier_and_retires_the_old_instance() {
    for d in Dialect::ALL {
        let (mut s, mut i, id) = established(d);
        let old = s.context(ENDPOINT, t(0)).unwrap().clone();
        let renew_at = s.poll_timeout().unwrap();
        assert_eq!(
            renew_at,
            old.expires - s.config().renew_before,
            "token in use: renewal is the next deadline"
        );
        s.handle_timeout(renew_at).unwrap();
        let replies = exchange(&mut s, &mut i, renew_at);
        let Ok(Outcome::Renewed {
            identifier,
            instance,
        }) = &replies[0].outcome
        else {
            panic!("{:?}", replies[0].outcome)
        };
        assert_eq!(identifier, &id);
        let new = s.context(ENDPOINT, renew_at).unwrap().clone();
        assert_eq!(new.identifier, id);
        assert_eq!(new.instance.as_deref(), Some(instance.as_str()));
        assert_ne!(new.secret, old.secret);
        assert!(new.expires > old.expires);
        assert_eq!(records(&mut s), vec![SctRecord::Renewed(new.clone())]);
        assert_eq!(
            events(&mut s),
            vec![SessionEvent::Renewed {
                identifier: id.clone(),
                instance: Some(instance.clone())
            }]
        );
        let r = i.resolver(renew_at);
        assert_eq!(
            r.sct_secret(&id, None),
            Err(ResolveError::Unknown),
            "old instance stops working"
        );
        assert_eq!(r.sct_secret(&id, Some(instance)).unwrap(), new.secret);
        assert!(app_verifies(&new, &i, renew_at).is_ok());
        assert_eq!(
            app_verifies(&old, &i, renew_at),
            Err(SecurityError::BadContextToken(ResolveError::Unknown))
        );
    }
}

#[test]
fn cancel_on_shutdown_then_use_is_refused_as_expired_then_unknown() {
    for d in Dialect::ALL {
        let (mut s, mut i, id) = established(d);
        let ctx = s.context(ENDPOINT, t(5)).unwrap().clone();
        s.shutdown(t(5)).unwrap();
        let replies = exchange(&mut s, &mut i, t(5));
        assert_eq!(
            replies[0].outcome,
            Ok(Outcome::Cancelled {
                identifier: id.clone()
            })
        );
        assert_eq!(
            records(&mut s),
            vec![SctRecord::Ended {
                identifier: id.clone()
            }]
        );
        assert_eq!(
            events(&mut s),
            vec![SessionEvent::Cancelled {
                identifier: id.clone()
            }]
        );
        assert_eq!(i.store().status(&id, t(6)), ContextStatus::Cancelled);
        assert_eq!(
            app_verifies(&ctx, &i, t(6)),
            Err(SecurityError::BadContextToken(ResolveError::Expired))
        );
        assert_eq!(i.sweep(t(6)), 0, "kept for the retention period");
        assert_eq!(
            i.sweep(t(5) + IssuerConfig::default().retention + std::time::Duration::from_secs(1)),
            1
        );
        assert_eq!(
            i.resolver(t(9999)).sct_secret(&id, None),
            Err(ResolveError::Unknown)
        );
    }
}

#[test]
fn an_unused_context_expires_with_an_explicit_loss_event() {
    let (mut s, i, id) = established(Dialect::V13);
    let mut s2 = session(
        Dialect::V13,
        EntropyMode::Combined,
        Scripted::new(9, Vec::new()),
    );
    let ctx = s.context(ENDPOINT, t(0)).unwrap().clone();
    s2.restore([ctx.clone()]);
    // s2 restored the context but never handed it out: no renewal, just expiry.
    assert_eq!(s2.poll_timeout(), Some(ctx.expires));
    s2.handle_timeout(ctx.expires).unwrap();
    assert_eq!(
        events(&mut s2),
        vec![SessionEvent::TokenLost {
            identifier: id.clone(),
            reason: LossReason::Expired
        }]
    );
    assert_eq!(
        records(&mut s2),
        vec![SctRecord::Ended {
            identifier: id.clone()
        }]
    );
    assert!(s2.poll_transmit().is_none());
    assert_eq!(
        app_verifies(&ctx, &i, ctx.expires),
        Err(SecurityError::BadContextToken(ResolveError::Expired))
    );
    assert!(s.poll_transmit().is_none());
}

#[test]
fn a_refused_renewal_loses_the_token_explicitly() {
    let (mut s, _i, id) = established(Dialect::V200502);
    let mut other = issuer(IssuerConfig::default(), Scripted::new(30, Vec::new()));
    let at = s.poll_timeout().unwrap();
    s.handle_timeout(at).unwrap();
    let replies = exchange(&mut s, &mut other, at);
    assert_eq!(replies[0].outcome, Err(TrustFault::BadContextToken));
    assert_eq!(
        events(&mut s),
        vec![SessionEvent::TokenLost {
            identifier: id.clone(),
            reason: LossReason::RenewRefused(TrustFault::BadContextToken)
        }]
    );
    assert_eq!(records(&mut s), vec![SctRecord::Ended { identifier: id }]);
    assert!(s.context(ENDPOINT, at).is_none());
    assert_eq!(
        s.token_for(ENDPOINT, at).unwrap(),
        TokenFor::Pending,
        "a new context, with a new identifier"
    );
}

#[test]
fn renewing_an_expired_context_is_unable_to_renew() {
    let (mut s, mut i, _id) = established(Dialect::V13);
    let ctx = s.context(ENDPOINT, t(0)).unwrap().clone();
    let at = s.poll_timeout().unwrap();
    s.handle_timeout(at).unwrap();
    let tx = s.poll_transmit().unwrap();
    let doc = Document::parse(tx.envelope.as_bytes()).unwrap();
    let reply = i.handle_message(ctx.expires, &doc, wsrx_sc::Transport::Unprotected);
    assert_eq!(reply.outcome, Err(TrustFault::UnableToRenew));
    assert!(reply.envelope.contains("UnableToRenew"));
}

#[test]
fn amend_adds_claims_for_the_holder_only() {
    let (mut s, mut i, id) = established(Dialect::V13);
    let claim = "<c:Role xmlns:c=\"urn:claims\">auditor</c:Role>".to_owned();
    s.amend(ENDPOINT, vec![claim], t(10)).unwrap();
    let replies = exchange(&mut s, &mut i, t(10));
    assert_eq!(
        replies[0].outcome,
        Ok(Outcome::Amended {
            identifier: id.clone()
        })
    );
    let info = i.store().info(&id).unwrap();
    assert_eq!(info.claims.len(), 1);
    assert!(info.claims[0].contains("auditor"));
    assert_eq!(info.instance, None, "amend keeps key and instance");

    // Unsigned (a Timestamp only), the same request names no holder: refused.
    let mut rst = wsrx_sc::Rst::new(Dialect::V13, wsrx_sc::RequestType::Amend);
    rst.claims = vec!["<c:Role xmlns:c=\"urn:claims\">root</c:Role>".to_owned()];
    let stamp = wsrx_sc::issuer::timestamp_header(
        wsrx_soap::SoapVersion::V12,
        t(11),
        std::time::Duration::from_secs(300),
    );
    let text = wsrx_sc::message::write_request(
        wsrx_soap::SoapVersion::V12,
        wsrx_soap::WsaVersion::V10,
        ENDPOINT,
        "urn:uuid:m",
        Some(&stamp),
        &rst,
    )
    .unwrap();
    let reply = i.handle_message(
        t(11),
        &Document::parse(text.as_bytes()).unwrap(),
        wsrx_sc::Transport::Protected,
    );
    assert_eq!(reply.outcome, Err(TrustFault::FailedAuthentication));
    assert_eq!(i.store().info(&id).unwrap().claims.len(), 1);

    // After expiry the holder is told to renew first.
    let expires = i.store().info(&id).unwrap().expires;
    // Sent just before the expiry (its Timestamp fresh), received at it.
    s.amend(
        ENDPOINT,
        Vec::new(),
        expires - std::time::Duration::from_secs(1),
    )
    .unwrap();
    let tx = s.poll_transmit().unwrap();
    let reply = i.handle_message(
        expires,
        &Document::parse(tx.envelope.as_bytes()).unwrap(),
        wsrx_sc::Transport::Unprotected,
    );
    assert_eq!(reply.outcome, Err(TrustFault::RenewNeeded));
    assert!(s.amend(ENDPOINT, Vec::new(), t(12)).is_ok());
    let mut s2 = session(
        Dialect::V200502,
        EntropyMode::Combined,
        Scripted::new(1, Vec::new()),
    );
    assert!(
        s2.amend(ENDPOINT, Vec::new(), t(0)).is_err(),
        "no Amend in 2005/02"
    );
}

/// The RSTR confirming a WS-SC 1.3 Cancel of the request `cancel` (its MessageID related),
/// secured with `ctx` under `policy`, as a token service protecting its answers by the
/// endpoint's policy sends it (Metro).
fn cancelled_answer(
    cancel: &str,
    ctx: &EstablishedSct,
    policy: &wsrx_security::ProtectionPolicy,
) -> String {
    let tag = cancel.find(":MessageID").unwrap();
    let at = tag + cancel[tag..].find('>').unwrap() + 1;
    let id = &cancel[at..at + cancel[at..].find('<').unwrap()];
    let unsigned = format!(
        "<s:Envelope xmlns:s=\"{}\" xmlns:a=\"http://www.w3.org/2005/08/addressing\"><s:Header><a:Action>http://docs.oasis-open.org/ws-sx/ws-trust/200512/RSTR/SCT/Cancel</a:Action><a:RelatesTo>{id}</a:RelatesTo></s:Header><s:Body><t:RequestSecurityTokenResponse xmlns:t=\"http://docs.oasis-open.org/ws-sx/ws-trust/200512\"><t:RequestedTokenCancelled/></t:RequestSecurityTokenResponse></s:Body></s:Envelope>",
        wsrx_soap::ns::SOAP12
    );
    let doc = Document::parse(unsigned.as_bytes()).unwrap();
    Signer::with_policy(&ctx.token(), &ctx.secret, policy)
        .secure(&doc, t(5), &mut InsecureSeededRandom::from_seed(41))
        .unwrap()
}

#[test]
fn a_cancel_goes_under_the_endpoints_policy_and_its_answer_is_read_either_way() {
    // WS-SP 1.2 §5.4.7: the bootstrap policy protects the issuing exchange only; the Cancel
    // (WS-SC 1.4 §6) is proven by the token and follows the endpoint's binding, here with
    // its Body and signature encrypted. The answer is read whether it comes encrypted (as
    // Metro sends it) or in clear (as CXF and wsrx's own issuer send it).
    let mut policy = wsrx_security::ProtectionPolicy::default();
    policy.encrypted.body = true;
    policy.encrypt_signature = true;
    for encrypted_answer in [false, true] {
        let (s0, mut i, id) = established(Dialect::V13);
        let ctx = s0.context(ENDPOINT, t(5)).unwrap().clone();
        let mut s = wsrx_sc::Session::new(
            wsrx_sc::SessionConfig {
                policy: Some(policy.clone()),
                ..s0.config().clone()
            },
            Scripted::new(23, Vec::new()),
        );
        s.restore([ctx.clone()]);
        s.shutdown(t(5)).unwrap();
        let tx = s.poll_transmit().unwrap();
        assert!(s.poll_transmit().is_none());
        let body = &tx.envelope[tx.envelope.find(":Body").unwrap()..];
        assert!(body.contains("<xenc:EncryptedData"), "{}", tx.envelope);
        assert!(!tx.envelope.contains("CancelTarget") && !tx.envelope.contains("SignatureValue"));
        let reply = i.handle_message(
            t(5),
            &Document::parse(tx.envelope.as_bytes()).unwrap(),
            wsrx_sc::Transport::Protected,
        );
        assert_eq!(
            reply.outcome,
            Ok(Outcome::Cancelled {
                identifier: id.clone()
            }),
            "wsrx's own issuer reads the encrypted Cancel"
        );
        let answer = if encrypted_answer {
            cancelled_answer(&tx.envelope, &ctx, &policy)
        } else {
            cancelled_answer(
                &tx.envelope,
                &ctx,
                &wsrx_security::ProtectionPolicy::default(),
            )
        };
        assert_eq!(answer.contains("<xenc:EncryptedData"), encrypted_answer);
        s.handle_rstr(t(5), &Document::parse(answer.as_bytes()).unwrap())
            .unwrap();
        assert_eq!(
            events(&mut s),
            vec![SessionEvent::Cancelled {
                identifier: id.clone()
            }],
            "encrypted answer: {encrypted_answer}"
        );
    }
}
