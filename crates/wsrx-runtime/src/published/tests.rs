//! The published WSDL reads back as the policy it was generated from.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use super::*;
use crate::effective::from_wsdl;

fn runtime_wsdl(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/policies/runtime")
            .join(format!("{name}.wsdl")),
    )
    .unwrap()
}

#[test]
fn every_runtime_variant_round_trips_through_the_published_wsdl() {
    for name in [
        "signed-only",
        "encrypt-body",
        "encrypt-signature",
        "encrypt-before-signing",
        "layout-strict",
        "basic128",
    ] {
        let original = from_wsdl(name, &runtime_wsdl(name), None, None, None).unwrap();
        let text = generate("http://127.0.0.1:1/rm", &original.policy);
        let back = from_wsdl("published.wsdl", text.as_bytes(), None, None, None)
            .unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert_eq!(back.policy, original.policy, "{name}\n{text}");
        assert_eq!(back.profile, original.profile);
        assert_eq!(back.soap, original.soap);
        assert_eq!(back.address.as_deref(), Some("http://127.0.0.1:1/rm"));
    }
}

#[test]
fn the_default_policy_is_published_as_its_nearest_statement() {
    let default = ProtectionPolicy::default();
    let text = generate("http://h/", &default);
    let back = from_wsdl("published.wsdl", text.as_bytes(), None, None, None).unwrap();
    // Everything but what WS-SP cannot say: derived keys "either way" is published as
    // required (wsrx derives), and the suite as the one inbound messages are held to.
    let mut expected = default.clone();
    expected.token.derived_keys = DerivedKeys::Required;
    expected.algorithms = expected.algorithms.strict();
    assert_eq!(back.policy, expected, "{text}");
}

#[test]
fn elements_and_named_headers_are_written_with_their_namespaces() {
    let mut p = ProtectionPolicy {
        only_sign_entire_headers_and_body: false,
        ..ProtectionPolicy::default()
    };
    p.signed
        .elements
        .push(ElementPath::anywhere("urn:p", "Card"));
    p.encrypted.elements.push(ElementPath::absolute(&[
        ("http://www.w3.org/2003/05/soap-envelope", "Envelope"),
        ("http://www.w3.org/2003/05/soap-envelope", "Body"),
        ("urn:p", "Order"),
    ]));
    p.encrypted
        .headers
        .push(HeaderSelector::Named(wsrx_security::HeaderName::new(
            "urn:p", "Route",
        )));
    let text = generate("http://h/", &p);
    let back = from_wsdl("published.wsdl", text.as_bytes(), None, None, None).unwrap();
    assert_eq!(back.policy.signed.elements, p.signed.elements, "{text}");
    assert_eq!(back.policy.encrypted, p.encrypted, "{text}");
}

#[test]
fn a_configured_wsdl_is_published_with_the_servers_address() {
    let original = runtime_wsdl("encrypt-signature");
    let text = with_address(
        std::str::from_utf8(&original).unwrap(),
        "http://127.0.0.1:30601/",
    );
    assert!(text.contains(r#"<soap12:address location="http://127.0.0.1:30601/"/>"#));
    assert_eq!(text.len() + "8080".len(), original.len() + "30601".len());
    let back = from_wsdl("published.wsdl", text.as_bytes(), None, None, None).unwrap();
    let before = from_wsdl("original.wsdl", &original, None, None, None).unwrap();
    assert_eq!(back.policy, before.policy);
}
