//! The mapping from WS-Policy to the runtime, on the test data of `testdata/policies/`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::panic_in_result_fn,
    clippy::unwrap_in_result,
    reason = "test code"
)]

use super::*;

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/policies")
}

fn data(path: &str) -> (String, Vec<u8>) {
    (path.to_owned(), std::fs::read(root().join(path)).unwrap())
}

fn effective(path: &str) -> Result<Effective, EffectiveError> {
    let (name, bytes) = data(path);
    from_wsdl(&name, &bytes, None, None, None)
}

/// What a file gives the runtime: one line per endpoint (WSDL) or policy (document).
fn outcome(path: &str) -> Vec<String> {
    let (name, bytes) = data(path);
    if path.ends_with(".wsdl") {
        return vec![match from_wsdl(&name, &bytes, None, None, None) {
            Ok(e) => format!("ok {:?} {:?}", e.profile, e.soap),
            Err(e) => format!("refused: {e}"),
        }];
    }
    let options = Options::default();
    let doc = match Input::read(&name, &bytes, &mut NoResolver, &options) {
        Ok(Input::Policies(doc)) => doc,
        Ok(Input::Wsdl(_)) => panic!("{path} is a WSDL"),
        Err(e) => return vec![format!("refused: {}", EffectiveError::from(e))],
    };
    wsrx_policy::configure_document(&doc, &options)
        .into_iter()
        .map(|(label, settings)| {
            let config = settings.map_err(EffectiveError::from).and_then(|s| {
                s.check(&label)?;
                Ok(s.config.value)
            });
            match config.map(|c| protection(&c)) {
                Ok(Ok(_)) => format!("{label}: ok"),
                Ok(Err(what)) => format!("{label}: refused: {what}"),
                Err(e) => format!("{label}: refused: {e}"),
            }
        })
        .collect()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "wsdl" || x == "xml") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Every policy of `testdata/policies/` gives the runtime a configuration or a refusal that
/// says precisely what stops it.
const EXPECTED: &[(&str, &str)] = &[
    (
        "corewcf-wshttp-twmc-multialgo.wsdl",
        "sequences would be absent (no wsrmp:RMAssertion)",
    ),
    (
        "corewcf-wshttp-twmc-multiauth.wsdl",
        "(sp:SpnegoContextToken) at /wsdl:definitions",
    ),
    (
        "cxf-policy-attachment-test100-malformed.wsdl",
        "cxf-policy-attachment-test100-malformed.wsdl:76:13: not well-formed XML",
    ),
    (
        "cxf-rm-external-attachment.xml",
        "refused: no WS-SecurityPolicy binding",
    ),
    (
        "cxf-rm-sec-client-policy.xml",
        "policy #Combined: refused: sp:AsymmetricBinding protects the messages",
    ),
    (
        "cxf-wssp-examples-secconv-sp13.wsdl",
        "sequences would be absent (no wsrmp:RMAssertion)",
    ),
    (
        "metro-rm-msglevel-sx-sp10.xml",
        "refused: no sp:SymmetricBinding for the messages",
    ),
    (
        "metro-rm11-custom1-seqtransportsec.xml",
        "refused: no WS-SecurityPolicy binding",
    ),
    (
        "metro-rm11-custom2-sequencestr.xml",
        "would unbind the sequence from its SCT: wsrmp:SequenceSTR",
    ),
    ("metro-wsrm10-secureroundtrip-wcf.wsdl", "ok Rm10Wcf V11"),
    (
        "metro-wsrm11-roundtrip-wcf.wsdl",
        "sequences would be unsecured (no WS-SecurityPolicy binding)",
    ),
    (
        "metro-wssc-sc6-encrypt-before-sign.wsdl",
        "sequences would be absent (no wsrmp:RMAssertion)",
    ),
    ("runtime/basic128.wsdl", "ok Rm11 V12"),
    ("runtime/encrypt-before-signing.wsdl", "ok Rm11 V12"),
    ("runtime/encrypt-body.wsdl", "ok Rm11 V12"),
    ("runtime/encrypt-signature.wsdl", "ok Rm11 V12"),
    ("runtime/layout-strict.wsdl", "ok Rm11 V12"),
    ("runtime/signed-only.wsdl", "ok Rm11 V12"),
    (
        "sandesha2-interop-sec-client-policy.xml",
        "policy #SecConvPolicy2: ok",
    ),
    (
        "spec/attachment-4.1-wsdl11.wsdl",
        "(sp:AsymmetricBinding) at /wsdl:definitions[@name='StockQuote']/wsp:Policy[@wsu:Id='X509EndpointPolicy']/sp:AsymmetricBinding",
    ),
    (
        "spec/framework-4.3.1-optional.xml",
        "refused: no WS-SecurityPolicy binding",
    ),
    (
        "spec/framework-4.3.2-nested.xml",
        "refused: sp:TransportBinding protects the messages",
    ),
    (
        "spec/framework-4.3.3-associative.xml",
        "(t:Assertion1) at /wsp:Policy/wsp:ExactlyOne/wsp:ExactlyOne/wsp:All/wsp:All/t:Assertion1",
    ),
    (
        "spec/framework-4.3.3-distributive.xml",
        "(t:Assertion1) at /wsp:Policy/wsp:All/wsp:ExactlyOne[1]/t:Assertion1",
    ),
    (
        "spec/framework-4.3.3-empty.xml",
        "the policy has no alternative",
    ),
    (
        "spec/framework-4.3.5-reference.xml",
        "policy #Common: refused: policy #Common: refused: {urn:example:assertions}Assertion1",
    ),
    (
        "spec/framework-4.5-intersection-p1.xml",
        "refused: no sp:SymmetricBinding for the messages",
    ),
    (
        "spec/framework-4.5-intersection-p2.xml",
        "refused: no sp:SymmetricBinding for the messages",
    ),
    ("variants/cxf-rm11-sct-ut-tls-bootstrap.wsdl", "ok Rm11 V11"),
    ("variants/cxf-rm11-sct-x509-bootstrap.wsdl", "ok Rm11 V11"),
    (
        "variants/metro-wsit-rm11-sct.wsdl",
        "echo input: sp:RequireSignatureConfirmation: wsrx sends no wsse11:SignatureConfirmation",
    ),
    (
        "variants/rampart-rm-sc-timestamp-only.xml",
        "the Body of message policy #SecConvPolicy is not signed",
    ),
    (
        "variants/rampart-sc-timestamp-only.xml",
        "policy #SecConvPolicy: ok",
    ),
    (
        "variants/wcf-twmc-rm-endorsing-sct.xml",
        "the SecureConversationToken only endorses",
    ),
    ("variants/wcf-ws2007-rm11-sc13.wsdl", "ok Rm11 V12"),
    ("variants/wcf-wshttp-rm10-sc-x509.wsdl", "ok Rm10Wcf V12"),
    (
        "variants/ws2007-rm11-without-sequence-str.xml",
        "neither wsrmp:SequenceSTR nor wsrmp:SequenceTransportSecurity",
    ),
    (
        "w3c-wsp-policy16-optional-rm.xml",
        "refused: sp:AsymmetricBinding protects the messages",
    ),
    (
        "wss4j-sp12-layout.xml",
        "refused: no WS-SecurityPolicy binding",
    ),
    (
        "wss4j-sp12-sct.xml",
        "refused: no WS-SecurityPolicy binding",
    ),
    (
        "wss4j-wsp15-432-compact.xml",
        "sp:X509Token as the protection token at /wsp:Policy/sp:SymmetricBinding",
    ),
];

#[test]
fn every_policy_gives_a_configuration_or_a_precise_refusal() {
    let mut seen = Vec::new();
    for p in walk(&root()) {
        let rel = p
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel.contains(".normal.") {
            continue; // the W3C normal forms: expected outputs, not inputs
        }
        let lines = outcome(&rel);
        println!("{rel}:");
        for l in &lines {
            println!("  {l}");
        }
        let Some((_, want)) = EXPECTED.iter().find(|(f, _)| *f == rel) else {
            panic!("{rel} has no expectation in EXPECTED");
        };
        assert!(
            lines.iter().any(|l| l.contains(want)),
            "{rel}: expected {want:?} in {lines:?}"
        );
        seen.push(rel);
    }
    assert_eq!(
        seen.len(),
        EXPECTED.len(),
        "a file listed in EXPECTED is gone"
    );
}

#[test]
fn runtime_variants_map_field_by_field() {
    let p = |f: &str| effective(&format!("runtime/{f}.wsdl")).unwrap().policy;
    let signed = p("signed-only");
    assert!(signed.signed.body && !signed.encrypts() && signed.include_timestamp);
    assert_eq!(signed.layout, Layout::Lax);
    assert_eq!(signed.token.derived_keys, DerivedKeys::Required);
    assert_eq!(signed.token.inclusion, TokenInclusion::Either);
    assert_eq!(signed.algorithms.suite, AlgorithmSuite::Basic256Sha256);
    assert_eq!(
        signed.algorithms.inbound,
        wsrx_security::InboundAlgorithms::SuiteOnly
    );
    assert_eq!(
        signed.signed.headers,
        vec![
            HeaderSelector::Namespace("http://www.w3.org/2005/08/addressing".to_owned()),
            HeaderSelector::Namespace("http://docs.oasis-open.org/ws-rx/wsrm/200702".to_owned()),
        ]
    );
    let body = p("encrypt-body");
    assert!(body.encrypted.body && !body.encrypt_signature);
    assert_eq!(body.order, ProtectionOrder::SignBeforeEncrypting);
    let sig = p("encrypt-signature");
    assert!(sig.encrypted.body && sig.encrypt_signature);
    let ebs = p("encrypt-before-signing");
    assert_eq!(ebs.order, ProtectionOrder::EncryptBeforeSigning);
    let strict = p("layout-strict");
    assert_eq!(strict.layout, Layout::Strict);
    assert!(strict.encrypt_signature);
    assert_eq!(p("basic128").algorithms.suite, AlgorithmSuite::Basic128);
}

#[test]
fn wcf_shapes_give_their_dialects() {
    let wshttp = effective("variants/wcf-wshttp-rm10-sc-x509.wsdl").unwrap();
    assert_eq!(
        (wshttp.profile, wshttp.soap),
        (WireProfile::Rm10Wcf, SoapVersion::V12)
    );
    assert_eq!(
        wshttp.binding,
        SequenceBinding::SecurityContextToken { explicit: false }
    );
    assert!(wshttp.policy.encrypted.body);
    let ws2007 = effective("variants/wcf-ws2007-rm11-sc13.wsdl").unwrap();
    assert_eq!(ws2007.profile, WireProfile::Rm11);
    assert_eq!(
        ws2007.binding,
        SequenceBinding::SecurityContextToken { explicit: true }
    );
    assert!(ws2007.policy.encrypt_signature);
    assert_eq!(ws2007.policy.layout, Layout::Strict);
}

#[test]
fn client_and_server_configs_come_from_the_wsdl() {
    let (name, bytes) = data("runtime/encrypt-signature.wsdl");
    let c = crate::ClientConfig::from_wsdl(&name, &bytes, None, None).unwrap();
    assert_eq!(c.to, "http://127.0.0.1:8080/");
    assert_eq!((c.profile, c.soap), (WireProfile::Rm11, SoapVersion::V12));
    assert!(c.inbound.policy.encrypt_signature);
    let s = crate::ServerConfig::from_wsdl(&name, &bytes, Some("EchoPort"), Some("Echo")).unwrap();
    assert_eq!(s.endpoint, "http://127.0.0.1:8080/");
    assert_eq!(s.inbound.policy, c.inbound.policy);
    assert_eq!(
        crate::ServerConfig::from_wsdl(&name, &bytes, Some("Nope"), None)
            .unwrap_err()
            .to_string(),
        "no endpoint Nope in the WSDL (it has: EchoService/EchoPort)"
    );
    assert_eq!(
        crate::ServerConfig::from_wsdl(&name, &bytes, None, Some("Nope"))
            .unwrap_err()
            .to_string(),
        "no operation Nope at EchoService/EchoPort (it has: Echo)"
    );
}

#[test]
fn token_service_answers_follow_the_endpoint_policy() {
    let base = wsrx_security::SignConfig {
        include_token: false,
        ..wsrx_security::SignConfig::default()
    };
    let e = effective("runtime/encrypt-signature.wsdl").unwrap();
    let sign = e.token_service_signing(base.clone());
    assert!(sign.encrypt_signature && sign.encrypt_body && sign.derived_keys);
    assert_eq!(sign.suite, e.policy.algorithms.suite);
    assert!(!sign.include_token, "what the policy does not say is kept");
    let plain = effective("runtime/signed-only.wsdl").unwrap();
    let sign = plain.token_service_signing(base);
    assert!(!sign.encrypt_signature && !sign.encrypt_body);
}

/// `runtime/signed-only.wsdl` with `from` replaced by `to` in its text.
fn edited(from: &str, to: &str) -> Result<Effective, EffectiveError> {
    let (_, bytes) = data("runtime/signed-only.wsdl");
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains(from), "{from} not in the template");
    from_wsdl(
        "edited.wsdl",
        text.replace(from, to).as_bytes(),
        None,
        None,
        None,
    )
}

#[test]
fn what_the_runtime_cannot_honour_is_refused_by_name() {
    let supporting = edited(
        "<sp:Wss11>",
        "<sp:SignedSupportingTokens><wsp:Policy><sp:UsernameToken/></wsp:Policy></sp:SignedSupportingTokens><sp:Wss11>",
    )
    .unwrap_err()
    .to_string();
    assert!(
        supporting.contains("supporting tokens (Signed, sp:UsernameToken at "),
        "{supporting}"
    );
    let implied = edited(
        "<sp:RequireDerivedKeys/>",
        "<sp:RequireImpliedDerivedKeys/>",
    )
    .unwrap_err()
    .to_string();
    assert!(
        implied.contains("sp:RequireImpliedDerivedKeys at /wsdl:definitions"),
        "{implied}"
    );
    let inclusive = edited(
        "<sp:Basic256Sha256/>",
        "<sp:Basic256Sha256/><sp:InclusiveC14N/>",
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        inclusive,
        "EchoService/EchoPort Echo input: unsupported security policy assertion: sp:InclusiveC14N"
    );
    // The binding invariant: RM 1.1 without SequenceSTR over an SCT is refused before anything.
    let unbound = edited("<wsrmp:SequenceSTR/>", "").unwrap_err().to_string();
    assert!(
        unbound.contains("would unbind the sequence from its SCT"),
        "{unbound}"
    );
    // Nothing signs the Body: a Sequence header could ride on another body.
    let body = edited(
        "<sp:Body/>\n          <sp:Header Namespace=\"http://www.w3.org/2005/08/addressing\"/>",
        "<sp:Header Namespace=\"http://www.w3.org/2005/08/addressing\"/>",
    )
    .unwrap_err()
    .to_string();
    assert!(
        body.contains("would unbind the sequence from its SCT"),
        "{body}"
    );
}

/// The Java peers' WSDLs (interop/): the bootstrap and the WS-SC version `wsrx send --wsdl`
/// takes from them (WS-SP 1.2 §5.4.7 BootstrapPolicy; WS-SP 1.1 goes with WS-SC 2005/02).
#[test]
fn the_bootstrap_and_sc_version_come_from_the_peers_wsdls() {
    use bootstrap::Bootstrap;
    use wsrx_security::ScVersion;
    let peer = |path: &str| {
        let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../interop")
            .join(path);
        let bytes = std::fs::read(&full).unwrap();
        let e = from_wsdl(path, &bytes, None, None, None).unwrap();
        (e.bootstrap, e.sc)
    };
    assert_eq!(
        peer("cxf/wsdl/x509-encsig-rm11-soap11.wsdl"),
        (
            Some(Bootstrap::X509 {
                suite: AlgorithmSuite::Basic256Sha256,
                encrypt_signature: false
            }),
            Some(ScVersion::V200512)
        )
    );
    assert_eq!(
        peer("metro/wsdl/x509-rm11-soap12.wsdl"),
        (
            Some(Bootstrap::X509 {
                suite: AlgorithmSuite::Basic256,
                encrypt_signature: false
            }),
            Some(ScVersion::V200512)
        )
    );
    assert_eq!(
        peer("cxf/wsdl/ut-tls-enc-rm11-soap11.wsdl"),
        (Some(Bootstrap::UsernameOverTls), Some(ScVersion::V200512))
    );
    // WS-SP 1.1 (the 2005/07 namespace): WS-SC and WS-Trust 2005/02, with RM 1.0.
    assert_eq!(
        peer("metro/wsdl/ut-tls-sc2005-rm10-soap12.wsdl"),
        (Some(Bootstrap::UsernameOverTls), Some(ScVersion::V200502))
    );
    assert_eq!(
        peer("cxf/wsdl/x509-sc2005-rm10-soap11.wsdl").1,
        Some(ScVersion::V200502)
    );
    // WS-SP 1.2 with WS-RM 1.0: the policy's WS-SC 1.3, not the dialect's pairing.
    assert_eq!(
        peer("cxf/wsdl/x509-rm10-soap11.wsdl").1,
        Some(ScVersion::V200512)
    );
}
