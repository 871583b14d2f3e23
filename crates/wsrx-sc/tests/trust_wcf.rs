//! WCF-shaped WS-Trust messages parse, and our Issuer answers the WCF RST.
//!
//! Origin of `tests/data/wcf-*.xml`: written for this project after the message shapes
//! described in `shared/reference/spec-facts.md` §3.2 and §3.5 (WCF wsHttpBinding RST in
//! the February 2005 dialect; ws2007HttpBinding RSTR collection with a computed key).
//! Identifiers and entropy values are arbitrary; no third-party capture is copied.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::panic_in_result_fn,
    clippy::unwrap_in_result,
    reason = "test code"
)]

use std::path::PathBuf;
use std::time::SystemTime;

use wsrx_crypto::InsecureSeededRandom;
use wsrx_sc::{
    BootstrapAuthenticator, Dialect, Issuer, IssuerConfig, Outcome, Principal, ProofToken,
    RequestType, Rst, Rstr, SecretType, Transport, TrustFault,
};
use wsrx_security::TokenReference;
use wsrx_soap::{AddressingHeaders, Envelope};
use wsrx_xml::Document;

fn data(name: &str) -> Document {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    Document::parse(&std::fs::read(path).unwrap()).unwrap()
}

struct AllowAll;

impl BootstrapAuthenticator for AllowAll {
    fn authenticate(
        &mut self,
        _: &Envelope<'_>,
        _: Transport,
        _: SystemTime,
    ) -> Result<Principal, TrustFault> {
        Ok(Principal("anyone".to_owned()))
    }
}

#[test]
fn wcf_feb2005_rst_parses_and_is_answered_with_a_bare_rstr() {
    let doc = data("wcf-rst-200502.xml");
    let env = Envelope::new(&doc).unwrap();
    let action = AddressingHeaders::parse(&env).unwrap().unwrap().action;
    let rst = Rst::parse(env.payload().unwrap(), action.as_deref()).unwrap();
    assert_eq!(rst.dialect, Dialect::V200502);
    assert_eq!(rst.request_type, RequestType::Issue);
    assert_eq!(
        rst.token_type.as_deref(),
        Some(Dialect::V200502.token_type())
    );
    assert_eq!(rst.key_size, Some(256));
    assert!(rst.context.as_deref().unwrap().starts_with("uuid-"));
    let entropy = rst.entropy.as_ref().unwrap();
    assert_eq!((entropy.kind, entropy.value.len()), (SecretType::Nonce, 32));

    // The captured body comes without its (WCF) security header: no Timestamp to require.
    let mut config = IssuerConfig::default();
    config.verify.require_timestamp = false;
    let mut issuer = Issuer::new(config, AllowAll, InsecureSeededRandom::from_seed(8));
    let now = wsrx_security::parse_datetime("2027-01-15T10:00:00Z").unwrap();
    let reply = issuer.handle_message(now, &doc, Transport::Protected);
    assert!(
        matches!(reply.outcome, Ok(Outcome::Issued { .. })),
        "{:?}",
        reply.outcome
    );
    let out = Document::parse(reply.envelope.as_bytes()).unwrap();
    let out_env = Envelope::new(&out).unwrap();
    let headers = AddressingHeaders::parse(&out_env).unwrap().unwrap();
    assert_eq!(
        headers.action,
        Dialect::V200502.rstr_action(RequestType::Issue)
    );
    assert_eq!(
        headers.relates_to[0].message_id,
        "urn:uuid:8d4e8f43-4cbb-4d8c-9a6c-0f3c2a1b7e01"
    );
    let payload = out_env.payload().unwrap();
    assert_eq!(
        payload.local_name(),
        "RequestSecurityTokenResponse",
        "Feb 2005: bare RSTR"
    );
    let rstr = Rstr::parse(payload).unwrap();
    assert_eq!(rstr.context, rst.context, "Context echoed");
    assert_eq!(
        rstr.proof,
        Some(ProofToken::ComputedKey(
            Dialect::V200502.computed_key_uri().to_owned()
        ))
    );
    assert_eq!(rstr.key_size, Some(256));
}

#[test]
fn wcf_13_rstr_collection_parses() {
    let doc = data("wcf-rstr-13.xml");
    let env = Envelope::new(&doc).unwrap();
    let rstr = Rstr::parse(env.payload().unwrap()).unwrap();
    assert_eq!(rstr.dialect, Dialect::V13);
    let sct = rstr.token.as_ref().unwrap();
    assert_eq!(
        sct.identifier,
        "urn:uuid:1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b"
    );
    let attached = rstr.attached_reference.as_ref().unwrap();
    assert_eq!(
        attached.reference,
        TokenReference::Local(sct.wsu_id.clone().unwrap())
    );
    let unattached = rstr.unattached_reference.as_ref().unwrap();
    assert_eq!(
        unattached.reference,
        TokenReference::External(sct.identifier.clone())
    );
    assert_eq!(
        rstr.proof,
        Some(ProofToken::ComputedKey(
            Dialect::V13.computed_key_uri().to_owned()
        ))
    );
    assert_eq!(rstr.entropy.as_ref().unwrap().value.len(), 32);
    let lt = rstr.lifetime.unwrap();
    assert_eq!(
        lt.expires
            .unwrap()
            .duration_since(lt.created.unwrap())
            .unwrap()
            .as_secs(),
        900
    );
    // The same RSTR without its collection wrapper reads the same.
    let bare = Document::parse(
        env.payload()
            .unwrap()
            .child_elements()
            .next()
            .unwrap()
            .to_xml()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(Rstr::parse(bare.root()).unwrap(), rstr);
}
