//! Every policy document of `testdata/policies/` (real WSDLs and policies from WCF,
//! CoreWCF, CXF, Metro, WSS4J, Rampart/Sandesha2 and the W3C interop suite; sources and
//! licences in `testdata/policies/MANIFEST.md`) gives either a printed configuration or
//! a refusal naming the exact assertion: each report is a snapshot, and the refusals the
//! MANIFEST promises are asserted by name.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::panic_in_result_fn,
    clippy::unwrap_in_result,
    clippy::result_large_err,
    reason = "test code"
)]

mod common;

use wsrx_policy::PolicyError;

fn show(file: &str) -> Result<wsrx_policy::report::Report, PolicyError> {
    common::show("", file)
}

fn snapshot(file: &str) -> wsrx_policy::report::Report {
    common::snapshot("", file)
}

fn settings(file: &str) -> Vec<(String, Result<wsrx_policy::EndpointSettings, PolicyError>)> {
    common::settings("", file)
}

fn policies(file: &str) -> Vec<(String, Result<wsrx_policy::PolicySettings, PolicyError>)> {
    common::policies("", file)
}

fn dir() -> std::path::PathBuf {
    common::dir("")
}

#[test]
fn every_file_is_covered_by_a_test() {
    let mut files: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.ends_with(".xml") || f.ends_with(".wsdl"))
        .collect();
    files.sort();
    let covered: Vec<&str> = COVERED.to_vec();
    for f in &files {
        assert!(covered.contains(&f.as_str()), "{f} has no test");
    }
}

const COVERED: &[&str] = &[
    "corewcf-wshttp-twmc-multialgo.wsdl",
    "corewcf-wshttp-twmc-multiauth.wsdl",
    "cxf-policy-attachment-test100-malformed.wsdl",
    "cxf-rm-external-attachment.xml",
    "cxf-rm-sec-client-policy.xml",
    "cxf-wssp-examples-secconv-sp13.wsdl",
    "metro-rm-msglevel-sx-sp10.xml",
    "metro-rm11-custom1-seqtransportsec.xml",
    "metro-rm11-custom2-sequencestr.xml",
    "metro-wsrm10-secureroundtrip-wcf.wsdl",
    "metro-wsrm11-roundtrip-wcf.wsdl",
    "metro-wssc-sc6-encrypt-before-sign.wsdl",
    "sandesha2-interop-sec-client-policy.xml",
    "w3c-wsp-policy16-optional-rm.xml",
    "wss4j-sp12-layout.xml",
    "wss4j-sp12-sct.xml",
    "wss4j-wsp15-432-compact.xml",
];

use wsrx_policy::SequenceBinding;
use wsrx_policy::vocab::rm::{DeliveryGuarantee, RmVersion, SequenceBindingRequirement};
use wsrx_policy::vocab::security::{
    AlgorithmSuiteName, DerivedKeys, Layout, ProtectionOrder, SecurityBinding, TokenKind,
};

#[test]
fn corewcf_multialgo_gives_six_transport_endpoints_by_suite() {
    let r = snapshot("corewcf-wshttp-twmc-multialgo.wsdl");
    assert!(r.usable);
    let suites: Vec<AlgorithmSuiteName> = settings("corewcf-wshttp-twmc-multialgo.wsdl")
        .into_iter()
        .map(|(_, s)| {
            let s = s.unwrap();
            let sec = s.endpoint.value.security.unwrap();
            let Some(SecurityBinding::Transport(t)) = sec.binding else {
                panic!("transport binding")
            };
            let sct = &sec.supporting_tokens[0];
            assert!(sct.kind.endorses());
            let TokenKind::SecureConversation(sc) = &sct.tokens[0].kind else {
                panic!("SCT")
            };
            assert!(matches!(
                sc.bootstrap.as_ref().unwrap().binding,
                Some(SecurityBinding::Transport(_))
            ));
            t.properties.algorithm_suite.name
        })
        .collect();
    use AlgorithmSuiteName::*;
    assert_eq!(
        suites,
        [
            Basic128,
            Basic128Sha256,
            Basic192,
            Basic192Sha256,
            Basic256,
            Basic256Sha256
        ]
    );
}

#[test]
fn corewcf_multiauth_refuses_only_the_spnego_endpoint() {
    let r = snapshot("corewcf-wshttp-twmc-multiauth.wsdl");
    assert!(!r.usable);
    let all = settings("corewcf-wshttp-twmc-multiauth.wsdl");
    let refused = all[0].1.as_ref().unwrap_err();
    let refusal = refused.refusals()[0];
    assert_eq!(
        refusal.assertion.expanded(),
        "{http://schemas.xmlsoap.org/ws/2005/07/securitypolicy}SpnegoContextToken"
    );
    assert_eq!(refusal.assertion.prefixed(), "sp:SpnegoContextToken");
    assert_eq!((refusal.location.line, refusal.location.column), (67, 25));
    assert!(all[1].1.is_ok() && all[2].1.is_ok());
}

#[test]
fn cxf_malformed_attachment_test_is_refused_as_xml() {
    let e = show("cxf-policy-attachment-test100-malformed.wsdl").unwrap_err();
    assert_eq!(
        e.to_string(),
        "cxf-policy-attachment-test100-malformed.wsdl:76:13: not well-formed XML: malformed XML at byte 3017: attribute name"
    );
}

#[test]
fn cxf_external_attachment_gives_rm_10_and_addressing() {
    let r = snapshot("cxf-rm-external-attachment.xml");
    assert!(r.usable);
    let (_, s) = &policies("cxf-rm-external-attachment.xml")[0];
    let c = &s.as_ref().unwrap().config.value;
    let rm = c.rm.as_ref().unwrap();
    assert_eq!(
        (rm.version, rm.base_retransmission_interval_ms),
        (RmVersion::V1_0, Some(30_000))
    );
    assert!(c.addressing.is_some());
    assert!(r.text.contains("ignored character data \"`\""));
}

#[test]
fn cxf_spring_configuration_combines_sec_and_rm() {
    let r = snapshot("cxf-rm-sec-client-policy.xml");
    assert!(r.usable);
    let (label, s) = &policies("cxf-rm-sec-client-policy.xml")[0];
    assert_eq!(label, "policy #Combined");
    let s = s.as_ref().unwrap();
    assert_eq!(s.sequence_binding, Ok(SequenceBinding::NoToken));
    let Some(SecurityBinding::Asymmetric(a)) = &s.config.value.security.as_ref().unwrap().binding
    else {
        panic!("asymmetric")
    };
    assert_eq!(
        a.properties.algorithm_suite.name,
        AlgorithmSuiteName::Basic128
    );
    assert_eq!(a.properties.layout, Layout::Lax);
}

#[test]
fn cxf_secconv_sp13_has_an_asymmetric_bootstrap() {
    let r = snapshot("cxf-wssp-examples-secconv-sp13.wsdl");
    assert!(r.usable);
    let (_, s) = &settings("cxf-wssp-examples-secconv-sp13.wsdl")[0];
    let sec = s.as_ref().unwrap().endpoint.value.security.clone().unwrap();
    let Some(SecurityBinding::Symmetric(b)) = sec.binding else {
        panic!("symmetric")
    };
    let t = b.tokens.signature();
    assert_eq!(t.derived_keys, DerivedKeys::Required);
    let TokenKind::SecureConversation(sc) = &t.kind else {
        panic!("SCT")
    };
    assert!(matches!(
        sc.bootstrap.as_ref().unwrap().binding,
        Some(SecurityBinding::Asymmetric(_))
    ));
    assert!(sec.trust.unwrap().trust13);
}

#[test]
fn metro_rm_message_level_policy_signs_rm_headers() {
    let r = snapshot("metro-rm-msglevel-sx-sp10.xml");
    assert!(r.usable);
    let (_, s) = &policies("metro-rm-msglevel-sx-sp10.xml")[0];
    let signed = &s
        .as_ref()
        .unwrap()
        .config
        .value
        .security
        .as_ref()
        .unwrap()
        .signed;
    assert!(signed.body);
    assert_eq!(signed.headers.len(), 13);
}

#[test]
fn metro_rm11_sequence_transport_security_binds_to_tls() {
    let r = snapshot("metro-rm11-custom1-seqtransportsec.xml");
    assert!(r.usable);
    let (_, s) = &policies("metro-rm11-custom1-seqtransportsec.xml")[0];
    let s = s.as_ref().unwrap();
    let rm = s.config.value.rm.as_ref().unwrap();
    assert_eq!(
        rm.sequence_binding,
        SequenceBindingRequirement::TransportSecurity
    );
    let d = rm.delivery.unwrap();
    assert_eq!(
        (d.guarantee, d.in_order),
        (Some(DeliveryGuarantee::AtLeastOnce), true)
    );
    assert_eq!(rm.inactivity_timeout_ms, Some(1000));
    assert_eq!(s.sequence_binding, Ok(SequenceBinding::TransportSecurity));
    assert_eq!(s.config.value.ignored[0].assertion.local, "Persistent");
}

#[test]
fn metro_rm11_sequence_str_without_sct_is_refused() {
    let r = snapshot("metro-rm11-custom2-sequencestr.xml");
    assert!(!r.usable);
    let (label, s) = &policies("metro-rm11-custom2-sequencestr.xml")[0];
    assert_eq!(
        s.as_ref().unwrap().check(label).unwrap_err().to_string(),
        "policy #Rm1_1Policy: would unbind the sequence from its SCT: wsrmp:SequenceSTR asks to \
         bind sequences to a security token, but no SecureConversationToken protects the messages \
         (wsrx binds sequences to an SCT only)"
    );
}

#[test]
fn metro_wcf_rm10_over_sct_is_bound_implicitly() {
    let r = snapshot("metro-wsrm10-secureroundtrip-wcf.wsdl");
    assert!(r.usable);
    let (_, s) = &settings("metro-wsrm10-secureroundtrip-wcf.wsdl")[0];
    let s = s.as_ref().unwrap();
    assert_eq!(
        s.sequence_binding,
        Ok(SequenceBinding::SecurityContextToken { explicit: false })
    );
    assert_eq!(
        (s.endpoint.index, s.endpoint.count),
        (0, 2),
        "mssp:RequireCancel is optional: with it first"
    );
    let sec = s.endpoint.value.security.as_ref().unwrap();
    let Some(SecurityBinding::Symmetric(b)) = &sec.binding else {
        panic!("symmetric")
    };
    assert!(b.protection.encrypt_signature);
    let input = &s.operations[0].messages[0].config.value;
    assert!(input.security.as_ref().unwrap().encrypted.body);
    let ignored: Vec<&str> = s
        .endpoint
        .value
        .ignored
        .iter()
        .map(|i| i.assertion.local.as_str())
        .collect();
    assert_eq!(
        ignored,
        [
            "Utf816FFFECharacterEncoding",
            "KeyStore",
            "TrustStore",
            "ValidatorConfiguration"
        ]
    );
}

#[test]
fn metro_wcf_rm11_reads_the_microsoft_extensions() {
    let r = snapshot("metro-wsrm11-roundtrip-wcf.wsdl");
    assert!(r.usable);
    let (_, s) = &settings("metro-wsrm11-roundtrip-wcf.wsdl")[0];
    let rm = s.as_ref().unwrap().endpoint.value.rm.clone().unwrap();
    assert_eq!(rm.version, RmVersion::V1_1);
    assert_eq!(rm.inactivity_timeout_ms, Some(600_000));
    assert_eq!(rm.flow_control.unwrap().max_receive_buffer_size, Some(32));
}

#[test]
fn metro_sc6_encrypts_before_signing() {
    let r = snapshot("metro-wssc-sc6-encrypt-before-sign.wsdl");
    assert!(r.usable);
    let (_, s) = &settings("metro-wssc-sc6-encrypt-before-sign.wsdl")[0];
    let sec = s.as_ref().unwrap().endpoint.value.security.clone().unwrap();
    let Some(SecurityBinding::Symmetric(b)) = sec.binding else {
        panic!("symmetric")
    };
    assert_eq!(b.protection.order, ProtectionOrder::EncryptBeforeSigning);
}

#[test]
fn sandesha2_policy_ignores_rampart_configuration_by_name() {
    let r = snapshot("sandesha2-interop-sec-client-policy.xml");
    assert!(r.usable);
    let (_, s) = &policies("sandesha2-interop-sec-client-policy.xml")[0];
    let c = &s.as_ref().unwrap().config.value;
    assert_eq!(c.ignored.len(), 1);
    assert_eq!(
        c.ignored[0].assertion.expanded(),
        "{http://ws.apache.org/rampart/policy}RampartConfig"
    );
    let Some(SecurityBinding::Symmetric(b)) = &c.security.as_ref().unwrap().binding else {
        panic!()
    };
    assert_eq!(
        b.properties.algorithm_suite.name,
        AlgorithmSuiteName::Basic128Rsa15
    );
}

#[test]
fn w3c_policy16_takes_the_alternative_with_rm() {
    let r = snapshot("w3c-wsp-policy16-optional-rm.xml");
    assert!(r.usable);
    let (_, s) = &policies("w3c-wsp-policy16-optional-rm.xml")[0];
    let s = s.as_ref().unwrap();
    assert_eq!((s.config.index, s.config.count), (0, 2));
    assert!(s.config.value.rm.as_ref().unwrap().exponential_backoff);
}

#[test]
fn wss4j_layout_and_sct_models_are_misplaced_but_ignorable() {
    for f in ["wss4j-sp12-layout.xml", "wss4j-sp12-sct.xml"] {
        let r = snapshot(f);
        assert!(r.usable);
        let (_, s) = &policies(f)[0];
        let c = &s.as_ref().unwrap().config.value;
        assert!(c.security.is_none());
        assert!(c.ignored[0].reason.contains("misplaced"), "{f}");
    }
}

#[test]
fn wss4j_compact_policy_skips_https_protection_tokens() {
    let r = snapshot("wss4j-wsp15-432-compact.xml");
    assert!(r.usable);
    let (_, s) = &policies("wss4j-wsp15-432-compact.xml")[0];
    let s = s.as_ref().unwrap();
    assert_eq!(
        (s.config.index, s.config.count, s.config.skipped.len()),
        (12, 37, 12)
    );
    assert_eq!(s.config.skipped[0].1.assertion.local, "HttpsToken");
}
