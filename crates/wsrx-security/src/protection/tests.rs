#![allow(
    clippy::field_reassign_with_default,
    reason = "each case changes one field of a default policy"
)]

use wsrx_xml::Document;

use super::*;
use crate::suite::{AlgorithmSuite, Canonicalization, SuiteReading};
use crate::{SignConfig, ns};

const DOC: &str = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:p="urn:p"><s:Header><a:To>x</a:To><a:Action>y</a:Action><p:Custom>c</p:Custom><wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"/></s:Header><s:Body><p:Order><p:Card><p:Number>1</p:Number></p:Card><p:Card><p:Number>2</p:Number></p:Card></p:Order></s:Body></s:Envelope>"#;

const S12: &str = "http://www.w3.org/2003/05/soap-envelope";

#[test]
fn the_default_is_wsrx_before_policies() {
    let p = ProtectionPolicy::default();
    assert_eq!(p.signed, Parts::body_and_addressing_and_rm_headers());
    assert!(p.encrypted.is_empty());
    assert!(!p.encrypt_signature && !p.protect_tokens);
    assert!(p.include_timestamp && p.only_sign_entire_headers_and_body);
    assert_eq!(p.order, ProtectionOrder::SignBeforeEncrypting);
    assert_eq!(p.layout, Layout::Lax);
    assert_eq!(p.token.inclusion, TokenInclusion::Either);
    assert_eq!(p.token.derived_keys, DerivedKeys::Optional);
    assert_eq!(p.algorithms.suite, AlgorithmSuite::Basic256Sha256);
    assert_eq!(p.algorithms.reading, SuiteReading::Spec);
    assert!(p.validate().is_ok());
    assert!(p.signs() && !p.encrypts());
    // The old switches map onto the same policy.
    assert_eq!(SignConfig::default().to_policy(), p);
}

#[test]
fn sign_config_switches_map_onto_the_policy() {
    let config = SignConfig {
        suite: AlgorithmSuite::Basic128,
        derived_keys: false,
        include_token: false,
        encrypt_body: true,
        cipher: Some(wsrx_crypto::BlockCipherAlgorithm::Aes128Gcm),
        encrypt_headers: vec![HeaderName::new("urn:p", "Custom")],
        encrypt_signature: true,
        ..SignConfig::default()
    };
    let p = config.to_policy();
    assert_eq!(p.algorithms.suite, AlgorithmSuite::Basic128);
    assert_eq!(
        p.algorithms.encryption(),
        wsrx_crypto::BlockCipherAlgorithm::Aes128Gcm
    );
    assert_eq!(p.token.derived_keys, DerivedKeys::Direct);
    assert_eq!(p.token.inclusion, TokenInclusion::ByIdentifier);
    assert!(p.encrypted.body && p.encrypt_signature);
    let custom = HeaderSelector::Named(HeaderName::new("urn:p", "Custom"));
    assert!(p.signed.headers.contains(&custom));
    assert_eq!(p.encrypted.headers, vec![custom]);
}

#[test]
fn validation_names_what_wsrx_cannot_do() {
    let mut p = ProtectionPolicy::default();
    p.algorithms.options.c14n = Canonicalization::Inclusive;
    assert_eq!(p.validate(), Err(PolicyError::Unsupported("InclusiveC14N")));
    let mut p = ProtectionPolicy::default();
    p.signed
        .elements
        .push(ElementPath::anywhere("urn:p", "Card"));
    assert!(matches!(p.validate(), Err(PolicyError::Conflict(_))));
    p.only_sign_entire_headers_and_body = false;
    assert!(p.validate().is_ok());
    let mut p = ProtectionPolicy::default();
    p.protect_tokens = true;
    p.token.inclusion = TokenInclusion::ByIdentifier;
    assert!(matches!(p.validate(), Err(PolicyError::Conflict(_))));
    let mut p = ProtectionPolicy::default();
    p.encrypted.elements.push(ElementPath { steps: Vec::new() });
    assert_eq!(
        p.validate(),
        Err(PolicyError::Conflict("empty element path"))
    );
}

#[test]
fn element_paths_select_by_identity() {
    let doc = Document::parse(DOC.as_bytes()).unwrap();
    let names = |path: &ElementPath| -> Vec<String> {
        path.select(&doc)
            .iter()
            .map(|e| format!("{}={}", e.local_name(), e.text()))
            .collect()
    };
    let absolute = ElementPath::absolute(&[
        (S12, "Envelope"),
        (S12, "Body"),
        ("urn:p", "Order"),
        ("urn:p", "Card"),
        ("urn:p", "Number"),
    ]);
    assert_eq!(names(&absolute), ["Number=1", "Number=2"]);
    assert_eq!(
        names(&ElementPath::anywhere("urn:p", "Number")),
        ["Number=1", "Number=2"]
    );
    // /Envelope//Card//Number: descendant steps, each element once.
    let mixed = ElementPath {
        steps: vec![
            PathStep {
                axis: Axis::Child,
                namespace: S12.to_owned(),
                local_name: "Envelope".to_owned(),
            },
            PathStep {
                axis: Axis::Descendant,
                namespace: "urn:p".to_owned(),
                local_name: "Card".to_owned(),
            },
            PathStep {
                axis: Axis::Descendant,
                namespace: "urn:p".to_owned(),
                local_name: "Number".to_owned(),
            },
        ],
    };
    assert_eq!(names(&mixed), ["Number=1", "Number=2"]);
    // A wrong first step selects nothing; so does a wrong namespace.
    assert!(
        ElementPath::absolute(&[(S12, "Body")])
            .select(&doc)
            .is_empty()
    );
    assert!(
        ElementPath::anywhere("urn:q", "Number")
            .select(&doc)
            .is_empty()
    );
    assert_eq!(
        select::elements(&doc, &[absolute, ElementPath::anywhere("urn:p", "Number")]).len(),
        2
    );
}

#[test]
fn header_selectors_never_pick_the_security_header() {
    let doc = Document::parse(DOC.as_bytes()).unwrap();
    let env = wsrx_soap::Envelope::new(&doc).unwrap();
    let local = |sel: &[HeaderSelector]| -> Vec<&str> {
        select::headers(&env, sel)
            .iter()
            .map(|e| e.local_name())
            .collect()
    };
    assert_eq!(
        local(&HeaderSelector::addressing_and_rm()),
        ["To", "Action"]
    );
    assert_eq!(local(&[HeaderSelector::Any]), ["To", "Action", "Custom"]);
    assert_eq!(
        local(&[HeaderSelector::Namespace(ns::WSSE.to_owned())]),
        Vec::<&str>::new()
    );
    assert_eq!(
        local(&[HeaderSelector::Named(HeaderName::new("urn:p", "Custom"))]),
        ["Custom"]
    );
    let all = select::selected(&env, &Parts::body_and_addressing_and_rm_headers());
    let names: Vec<&str> = all.iter().map(|e| e.local_name()).collect();
    assert_eq!(names, ["To", "Action", "Body"]);
}
