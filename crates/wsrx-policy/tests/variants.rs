//! Variants written for wsrx (`testdata/policies/variants/`, see its MANIFEST): the
//! shapes WCF (wsHttpBinding RM 1.0 + SC, ws2007HttpBinding RM 1.1 + SC 1.3), CXF
//! (issue 18's two bootstrap profiles), Metro/WSIT and Axis2/Rampart produce, beyond the
//! files of the shared vectors, and the configurations wsrx must refuse because they
//! would let a sequence escape its SCT. Each report is a snapshot.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod common;

use wsrx_policy::vocab::rm::{DeliveryGuarantee, RmVersion, SequenceBindingRequirement};
use wsrx_policy::vocab::security::{
    AlgorithmSuiteName, Layout, ScVersion, SecurityBinding, SupportingKind, TokenKind,
};
use wsrx_policy::{Direction, SequenceBinding, SoapVersion, UnbindReason};

const DIR: &str = "variants";

#[test]
fn every_variant_is_covered() {
    let mut files: Vec<String> = std::fs::read_dir(common::dir(DIR))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.ends_with(".xml") || f.ends_with(".wsdl"))
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "cxf-rm11-sct-ut-tls-bootstrap.wsdl",
            "cxf-rm11-sct-x509-bootstrap.wsdl",
            "metro-wsit-rm11-sct.wsdl",
            "rampart-rm-sc-timestamp-only.xml",
            "rampart-sc-timestamp-only.xml",
            "wcf-twmc-rm-endorsing-sct.xml",
            "wcf-ws2007-rm11-sc13.wsdl",
            "wcf-wshttp-rm10-sc-x509.wsdl",
            "ws2007-rm11-without-sequence-str.xml",
        ]
    );
}

#[test]
fn wcf_wshttp_rm10_over_sct() {
    let r = common::snapshot(DIR, "wcf-wshttp-rm10-sc-x509.wsdl");
    assert!(r.usable);
    let (_, s) = &common::settings(DIR, "wcf-wshttp-rm10-sc-x509.wsdl")[0];
    let s = s.as_ref().unwrap();
    assert_eq!(s.soap_version, Some(SoapVersion::V12));
    assert_eq!(
        s.check().unwrap(),
        SequenceBinding::SecurityContextToken { explicit: false }
    );
    let rm = s.endpoint.value.rm.as_ref().unwrap();
    assert_eq!(
        (
            rm.version,
            rm.inactivity_timeout_ms,
            rm.acknowledgement_interval_ms
        ),
        (RmVersion::V1_0, Some(600_000), Some(200))
    );
    let echo = s.operation("Echo").unwrap();
    let input = echo.message(Direction::Input).unwrap();
    assert_eq!(
        input.action.as_deref(),
        Some("http://tempuri.org/IEcho/Echo")
    );
    let sec = input.config.value.security.as_ref().unwrap();
    assert!(sec.signed.body && sec.encrypted.body);
    assert_eq!(sec.signed.headers.len(), 7);
}

#[test]
fn wcf_ws2007_rm11_with_sequence_str_over_sc13() {
    let r = common::snapshot(DIR, "wcf-ws2007-rm11-sc13.wsdl");
    assert!(r.usable);
    let (_, s) = &common::settings(DIR, "wcf-ws2007-rm11-sc13.wsdl")[0];
    let s = s.as_ref().unwrap();
    assert_eq!(
        s.check().unwrap(),
        SequenceBinding::SecurityContextToken { explicit: true }
    );
    let rm = s.endpoint.value.rm.as_ref().unwrap();
    assert_eq!(rm.sequence_binding, SequenceBindingRequirement::SequenceStr);
    assert_eq!(
        rm.delivery.unwrap().guarantee,
        Some(DeliveryGuarantee::ExactlyOnce)
    );
    assert_eq!(
        rm.inactivity_timeout_ms,
        Some(600_000),
        "netrmp parameter inside the RMAssertion"
    );
    let sec = s.endpoint.value.security.as_ref().unwrap();
    let Some(SecurityBinding::Symmetric(b)) = &sec.binding else {
        panic!()
    };
    assert_eq!(
        b.properties.algorithm_suite.name,
        AlgorithmSuiteName::Basic256Sha256
    );
    let TokenKind::SecureConversation(sc) = &b.tokens.signature().kind else {
        panic!()
    };
    assert_eq!(sc.sct.version, Some(ScVersion::Sc13));
    assert!(sec.trust.unwrap().trust13);
}

#[test]
fn cxf_profile_a_x509_bootstrap() {
    let r = common::snapshot(DIR, "cxf-rm11-sct-x509-bootstrap.wsdl");
    assert!(r.usable);
    let (_, s) = &common::settings(DIR, "cxf-rm11-sct-x509-bootstrap.wsdl")[0];
    let s = s.as_ref().unwrap();
    assert_eq!(
        s.check().unwrap(),
        SequenceBinding::SecurityContextToken { explicit: true }
    );
    let sec = s.endpoint.value.security.as_ref().unwrap();
    assert!(sec.encrypted.body);
    let Some(SecurityBinding::Symmetric(b)) = &sec.binding else {
        panic!()
    };
    let TokenKind::SecureConversation(sc) = &b.tokens.signature().kind else {
        panic!()
    };
    let boot = sc.bootstrap.as_ref().unwrap();
    let Some(SecurityBinding::Symmetric(bb)) = &boot.binding else {
        panic!()
    };
    assert!(matches!(bb.tokens.signature().kind, TokenKind::X509 { .. }));
}

#[test]
fn cxf_profile_b_username_token_over_tls_bootstrap() {
    let r = common::snapshot(DIR, "cxf-rm11-sct-ut-tls-bootstrap.wsdl");
    assert!(r.usable);
    let (_, s) = &common::settings(DIR, "cxf-rm11-sct-ut-tls-bootstrap.wsdl")[0];
    let s = s.as_ref().unwrap();
    let sec = s.endpoint.value.security.as_ref().unwrap();
    assert!(!sec.encrypted.body, "the minus-EncryptedParts cell");
    let Some(SecurityBinding::Symmetric(b)) = &sec.binding else {
        panic!()
    };
    let TokenKind::SecureConversation(sc) = &b.tokens.signature().kind else {
        panic!()
    };
    let boot = sc.bootstrap.as_ref().unwrap();
    assert!(matches!(boot.binding, Some(SecurityBinding::Transport(_))));
    assert_eq!(boot.supporting_tokens[0].kind, SupportingKind::Signed);
    assert!(matches!(
        boot.supporting_tokens[0].tokens[0].kind,
        TokenKind::Username(_)
    ));
}

#[test]
fn metro_wsit_service_wsdl() {
    let r = common::snapshot(DIR, "metro-wsit-rm11-sct.wsdl");
    assert!(r.usable);
    let (_, s) = &common::settings(DIR, "metro-wsit-rm11-sct.wsdl")[0];
    let s = s.as_ref().unwrap();
    assert_eq!(s.soap_version, Some(SoapVersion::V12));
    assert_eq!(
        s.check().unwrap(),
        SequenceBinding::SecurityContextToken { explicit: true }
    );
    let sec = s.endpoint.value.security.as_ref().unwrap();
    let Some(SecurityBinding::Symmetric(b)) = &sec.binding else {
        panic!()
    };
    assert_eq!(b.properties.layout, Layout::Lax);
    assert!(sec.wss.unwrap().require_signature_confirmation);
    let ignored: Vec<&str> = s
        .endpoint
        .value
        .ignored
        .iter()
        .map(|i| i.assertion.local.as_str())
        .collect();
    assert_eq!(ignored, ["OptimizedFastInfosetSerialization", "KeyStore"]);
    assert!(
        s.endpoint.value.ignored[1]
            .reason
            .contains("wspp:visibility")
    );
}

#[test]
fn rampart_timestamp_only_policy_is_usable_without_rm() {
    let r = common::snapshot(DIR, "rampart-sc-timestamp-only.xml");
    assert!(r.usable);
    let (_, s) = &common::policies(DIR, "rampart-sc-timestamp-only.xml")[0];
    let sec = s.as_ref().unwrap().config.value.security.clone().unwrap();
    assert!(
        sec.signed.is_empty(),
        "only the Timestamp is signed (IncludeTimestamp)"
    );
    assert!(sec.encrypted.body);
    let Some(SecurityBinding::Symmetric(b)) = &sec.binding else {
        panic!()
    };
    assert!(b.protection.encrypt_signature && b.properties.include_timestamp);
}

fn refused(file: &str) -> UnbindReason {
    let r = common::snapshot(DIR, file);
    assert!(!r.usable, "{file}");
    let (_, s) = &common::policies(DIR, file)[0];
    s.as_ref().unwrap().sequence_binding.clone().unwrap_err()
}

#[test]
fn rampart_with_rm_would_unbind() {
    assert_eq!(
        refused("rampart-rm-sc-timestamp-only.xml"),
        UnbindReason::BodyNotSigned {
            message: "policy #SecConvPolicy".to_owned()
        }
    );
}

#[test]
fn ws2007_without_sequence_str_would_unbind() {
    assert_eq!(
        refused("ws2007-rm11-without-sequence-str.xml"),
        UnbindReason::NoSequenceBindingAssertion
    );
}

#[test]
fn transport_with_an_endorsing_sct_would_unbind() {
    assert_eq!(
        refused("wcf-twmc-rm-endorsing-sct.xml"),
        UnbindReason::SctOnlyEndorses {
            message: "policy".to_owned()
        }
    );
}
