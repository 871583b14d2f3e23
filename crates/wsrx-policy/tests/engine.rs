//! The engine's rules one by one, on small documents written here: WSDL 1.1
//! attachment points (service, port, binding, portType with `wsp:PolicyURIs`,
//! operations, messages, `wsdl:message`, faults), external references through a
//! resolver and `Name` IRIs, `wsp:UsingPolicy`, nested-policy compatibility, and the
//! vocabulary details (XPath subset, attachments, MakeConnection, addressing responses,
//! derived-key variants, conflicts).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::panic_in_result_fn,
    clippy::result_large_err,
    reason = "test code"
)]

use std::collections::HashMap;

use wsrx_policy::vocab::addressing::{AddressingVersion, Responses};
use wsrx_policy::vocab::security::{DerivedKeys, Inclusion, SecurityBinding, TokenKind};
use wsrx_policy::{
    Direction, Fetched, Input, IntersectionMode, NoResolver, Options, PolicyError, PolicyResolver,
    configure, configure_wsdl,
};

/// Documents by URI.
struct Map(HashMap<&'static str, &'static str>);

impl PolicyResolver for Map {
    fn fetch(&mut self, uri: &str, _base: &str) -> Result<Fetched, String> {
        self.0
            .get(uri)
            .map(|t| Fetched {
                name: uri.to_owned(),
                bytes: t.as_bytes().to_vec(),
            })
            .ok_or_else(|| format!("{uri}: not found"))
    }
}

const WSDL: &str = r##"<wsdl:definitions targetNamespace="urn:t" xmlns:tns="urn:t"
    xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:wsp="http://www.w3.org/ns/ws-policy" xmlns:a="urn:a"
    xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">
  <wsp:UsingPolicy wsdl:required="true"/>
  <wsp:Policy wsu:Id="PT"><a:PortType/></wsp:Policy>
  <wsp:Policy Name="urn:policies:op"><a:PortTypeOperation/></wsp:Policy>
  <wsdl:message name="In"><wsp:PolicyReference URI="#MSG"/></wsdl:message>
  <wsp:Policy wsu:Id="MSG"><a:MessageElement/></wsp:Policy>
  <wsdl:portType name="P" wsp:PolicyURIs="#PT">
    <wsdl:operation name="op" wsp:PolicyURIs="urn:policies:op">
      <wsdl:input message="tns:In" wsp:PolicyURIs="ext.xml#IN"/>
      <wsdl:output message="tns:In"/>
      <wsdl:fault name="oops" message="tns:In"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="B" type="tns:P">
    <wsp:Policy><a:Binding/></wsp:Policy>
    <soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="op">
      <wsp:Policy><a:BindingOperation/></wsp:Policy>
      <wsdl:input><wsp:Policy><a:BindingInput/></wsp:Policy></wsdl:input>
      <wsdl:output><wsp:Policy><a:BindingOutput/></wsp:Policy></wsdl:output>
      <wsdl:fault name="oops"><wsp:Policy><a:BindingFault/></wsp:Policy></wsdl:fault>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="S">
    <wsp:Policy><a:Service/></wsp:Policy>
    <wsdl:port name="Port" binding="tns:B">
      <wsp:Policy><a:Port/></wsp:Policy>
      <soap:address location="http://example.com/s"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>"##;

const EXT: &str = r#"<wsp:Policy xmlns:wsp="http://www.w3.org/ns/ws-policy" xmlns:a="urn:a" xml:id="IN"><a:External/></wsp:Policy>"#;

fn names(p: &wsrx_policy::Policy) -> Vec<String> {
    let n = p.normalize(1024).unwrap();
    assert_eq!(n.alternatives.len(), 1);
    n.alternatives[0]
        .assertions
        .iter()
        .map(|a| a.name.local.clone())
        .collect()
}

#[test]
fn every_wsdl11_attachment_point_reaches_its_subject() {
    let mut resolver = Map(HashMap::from([("ext.xml", EXT)]));
    let Input::Wsdl(w) = Input::read(
        "t.wsdl",
        WSDL.as_bytes(),
        &mut resolver,
        &Options::default(),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(w.using_policy, Some(true));
    assert!(w.warnings.is_empty(), "{:?}", w.warnings);
    let e = &w.endpoints[0];
    assert_eq!(
        (e.service.as_str(), e.port.as_str(), e.address.as_deref()),
        ("S", "Port", Some("http://example.com/s"))
    );
    // WS-Policy Attachment 1.5 §4.1: endpoint = service scope + port + binding + portType.
    assert_eq!(names(&e.policy), ["Service", "Port", "Binding", "PortType"]);
    let op = &e.operations[0];
    assert_eq!(names(&op.policy), ["BindingOperation", "PortTypeOperation"]);
    let labels: Vec<String> = op.messages.iter().map(|m| m.label()).collect();
    assert_eq!(labels, ["input", "output", "fault oops"]);
    assert_eq!(
        names(&op.messages[0].policy),
        ["External", "BindingInput", "MessageElement"]
    );
    assert_eq!(
        names(&op.messages[1].policy),
        ["BindingOutput", "MessageElement"]
    );
    assert_eq!(
        names(&op.messages[2].policy),
        ["BindingFault", "MessageElement"]
    );
    assert_eq!(op.messages[2].direction, Direction::Fault);
}

#[test]
fn an_external_reference_the_resolver_refuses_names_the_uri() {
    let e = Input::read(
        "t.wsdl",
        WSDL.as_bytes(),
        &mut NoResolver,
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "unresolved policy reference \"ext.xml#IN\" at /wsdl:definitions/wsdl:portType[@name='P']/\
         wsdl:operation[@name='op']/wsdl:input (t.wsdl:12:7): external references are not resolved \
         here (no resolver was given)"
    );
}

#[test]
fn an_unknown_assertion_at_the_message_level_refuses_the_endpoint_with_the_message_named() {
    let mut resolver = Map(HashMap::from([("ext.xml", EXT)]));
    let Input::Wsdl(w) = Input::read(
        "t.wsdl",
        WSDL.as_bytes(),
        &mut resolver,
        &Options::default(),
    )
    .unwrap() else {
        panic!()
    };
    let (_, r) = &configure_wsdl(&w, &Options::default())[0];
    let e = r.as_ref().unwrap_err();
    // The endpoint's own assertions are refused first, naming the first of them.
    assert!(
        e.to_string()
            .starts_with("S/Port: refused: {urn:a}Service (a:Service)"),
        "{e}"
    );
}

fn policy(body: &str) -> wsrx_policy::NormalPolicy {
    let xml = format!(
        r#"<wsp:Policy xmlns:wsp="http://www.w3.org/ns/ws-policy" xmlns:t="urn:t"
            xmlns:sp="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"
            xmlns:wsam="http://www.w3.org/2007/05/addressing/metadata"
            xmlns:wsmc="http://docs.oasis-open.org/ws-rx/wsmc/200702">{body}</wsp:Policy>"#
    );
    let Input::Policies(d) = Input::read(
        "p.xml",
        xml.as_bytes(),
        &mut NoResolver,
        &Options::default(),
    )
    .unwrap() else {
        panic!()
    };
    d.subjects[0].policy.normalize(1024).unwrap()
}

fn refusal(body: &str) -> String {
    let p = policy(body);
    configure(&p.alternatives[0]).unwrap_err().to_string()
}

#[test]
fn nested_policies_take_part_in_compatibility() {
    let with = policy("<t:A><wsp:Policy><t:B/></wsp:Policy></t:A>");
    let other = policy("<t:A><wsp:Policy><t:C/></wsp:Policy></t:A>");
    let empty = policy("<t:A><wsp:Policy/></t:A>");
    let none = policy("<t:A/>");
    let strict = IntersectionMode::Strict;
    assert_eq!(with.intersect(&with, strict).alternatives.len(), 1);
    assert!(
        with.intersect(&other, strict).alternatives.is_empty(),
        "different nested assertions"
    );
    assert!(
        with.intersect(&empty, strict).alternatives.is_empty(),
        "nested B against nothing"
    );
    assert!(
        empty.intersect(&none, strict).alternatives.is_empty(),
        "nested policy against none (§4.5)"
    );
    assert_eq!(empty.intersect(&empty, strict).alternatives.len(), 1);
    // Parameters do not take part.
    let p1 = policy(r#"<t:A k="1"><t:Param>x</t:Param></t:A>"#);
    let p2 = policy(r#"<t:A k="2"/>"#);
    assert_eq!(p1.intersect(&p2, strict).alternatives.len(), 1);
}

#[test]
fn xpath_subset_is_accepted_and_the_rest_refused_by_name() {
    let p = policy(
        r#"<sp:SignedElements xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:x="urn:x">
             <sp:XPath>/s:Envelope/s:Body/x:Order</sp:XPath><sp:XPath>//x:CreditCard</sp:XPath>
           </sp:SignedElements>"#,
    );
    let c = configure(&p.alternatives[0]).unwrap();
    let elements = &c.security.unwrap().signed.elements;
    assert_eq!(elements.len(), 2);
    assert_eq!(
        elements[0].steps[2],
        ("urn:x".to_owned(), "Order".to_owned())
    );
    assert!(elements[1].descendant);
    assert_eq!(
        refusal(
            r#"<sp:EncryptedElements xmlns:x="urn:x"><sp:XPath>//x:Card[@type='visa']</sp:XPath></sp:EncryptedElements>"#
        ),
        "{http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702}XPath (sp:XPath) at \
         /wsp:Policy/sp:EncryptedElements/sp:XPath (p.xml:4:71): not supported: XPath \"//x:Card[@type='visa']\" \
         is outside the supported subset (absolute or // paths of element names): '[' in step \"x:Card[@type='visa']\""
    );
    assert!(
        refusal("<sp:SignedElements><sp:XPath>/y:Envelope</sp:XPath></sp:SignedElements>")
            .ends_with("invalid: XPath \"/y:Envelope\": prefix \"y\" is not declared")
    );
}

#[test]
fn attachments_are_refused_clearly() {
    assert!(
        refusal("<sp:SignedParts><sp:Body/><sp:Attachments/></sp:SignedParts>").starts_with(
            "{http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702}Attachments (sp:Attachments) at \
             /wsp:Policy/sp:SignedParts/sp:Attachments"
        )
    );
    assert!(
        refusal("<sp:SignedParts><sp:Attachments/></sp:SignedParts>")
            .ends_with("not supported: SOAP attachments (SwA) are not supported by wsrx")
    );
}

#[test]
fn empty_signed_parts_mean_body_and_every_header() {
    let c = configure(&policy("<sp:SignedParts/><sp:EncryptedParts/>").alternatives[0]).unwrap();
    let s = c.security.unwrap();
    assert!(s.signed.body && s.signed.all_headers);
    assert!(s.encrypted.body && !s.encrypted.all_headers);
}

#[test]
fn make_connection_and_addressing_responses() {
    let c = configure(
        &policy("<wsmc:MCSupported/><wsam:Addressing><wsp:Policy><wsam:AnonymousResponses/></wsp:Policy></wsam:Addressing>")
            .alternatives[0],
    )
    .unwrap();
    assert!(c.make_connection);
    let a = c.addressing.unwrap();
    assert_eq!(
        (a.version, a.responses),
        (AddressingVersion::V1_0, Responses::AnonymousOnly)
    );
    assert!(refusal(
        "<wsam:Addressing><wsp:Policy><wsam:AnonymousResponses/><wsam:NonAnonymousResponses/></wsp:Policy></wsam:Addressing>"
    )
    .ends_with("conflict: wsam:AnonymousResponses and wsam:NonAnonymousResponses together allow no response"));
}

const SYMMETRIC: &str = r#"<sp:SymmetricBinding><wsp:Policy>
  <sp:ProtectionToken><wsp:Policy>
    <sp:X509Token sp:IncludeToken="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702/IncludeToken/Never">
      <wsp:Policy>DERIVED<sp:RequireThumbprintReference/><sp:WssX509V3Token11/></wsp:Policy>
    </sp:X509Token>
  </wsp:Policy></sp:ProtectionToken>
  <sp:AlgorithmSuite><wsp:Policy><sp:Basic128Sha256/><sp:InclusiveC14N/><sp:STRTransform10/></wsp:Policy></sp:AlgorithmSuite>
  <sp:Layout><wsp:Policy><sp:LaxTsLast/></wsp:Policy></sp:Layout>
  <sp:ProtectTokens/>
</wsp:Policy></sp:SymmetricBinding>"#;

#[test]
fn derived_key_variants_and_token_properties() {
    for (variant, want) in [
        ("<sp:RequireDerivedKeys/>", DerivedKeys::Required),
        ("<sp:RequireImpliedDerivedKeys/>", DerivedKeys::Implied),
        ("<sp:RequireExplicitDerivedKeys/>", DerivedKeys::Explicit),
        ("", DerivedKeys::None),
    ] {
        let c = configure(&policy(&SYMMETRIC.replace("DERIVED", variant)).alternatives[0]).unwrap();
        let Some(SecurityBinding::Symmetric(b)) = c.security.unwrap().binding else {
            panic!()
        };
        let t = b.tokens.signature();
        assert_eq!(t.derived_keys, want);
        assert_eq!(t.inclusion, Inclusion::Never);
        assert!(t.references.thumbprint);
        assert!(matches!(t.kind, TokenKind::X509 { .. }));
        assert!(b.protection.protect_tokens);
        let suite = b.properties.algorithm_suite;
        assert!(suite.str_transform);
        assert_eq!(suite.name.local_name(), "Basic128Sha256");
    }
    assert!(
        refusal(&SYMMETRIC.replace(
            "DERIVED",
            "<sp:RequireDerivedKeys/><sp:RequireImpliedDerivedKeys/>"
        ))
        .ends_with("conflict: two derived-key requirements")
    );
    assert!(
        refusal(&SYMMETRIC.replace("DERIVED", "<sp:SC13SecurityContextToken/>"))
            .ends_with("misplaced: sp:SC13SecurityContextToken does not apply to sp:X509Token")
    );
}

#[test]
fn two_bindings_in_one_alternative_conflict() {
    let two = format!("{SYMMETRIC}{SYMMETRIC}").replace("DERIVED", "");
    assert!(refusal(&two).ends_with("conflict: a second security binding in the same alternative"));
}

#[test]
fn every_suite_of_ws_sp_1_2_is_named() {
    use wsrx_policy::vocab::security::AlgorithmSuiteName;
    for name in AlgorithmSuiteName::ALL {
        let body = SYMMETRIC
            .replace("DERIVED", "")
            .replace(
                "<sp:Basic128Sha256/>",
                &format!("<sp:{}/>", name.local_name()),
            )
            .replace(
                "xmlns:sp=",
                "xmlns:cxf=\"http://cxf.apache.org/custom/security-policy\" xmlns:sp=",
            );
        // CXF's GCM suites live in CXF's namespace.
        let body = if name.local_name().ends_with("GCM") {
            body.replace(
                &format!("<sp:{}/>", name.local_name()),
                &format!(
                    "<cxf:{} xmlns:cxf=\"http://cxf.apache.org/custom/security-policy\"/>",
                    name.local_name()
                ),
            )
        } else {
            body
        };
        let c = configure(&policy(&body).alternatives[0])
            .unwrap_or_else(|e| panic!("{}: {e}", name.local_name()));
        let Some(SecurityBinding::Symmetric(b)) = c.security.unwrap().binding else {
            panic!()
        };
        assert_eq!(b.properties.algorithm_suite.name, name);
    }
}

#[test]
fn a_document_without_policies_is_refused_naming_its_root() {
    let xml = r#"<description xmlns="http://www.w3.org/ns/wsdl"><x/></description>"#;
    let e: PolicyError = Input::read(
        "d.wsdl",
        xml.as_bytes(),
        &mut NoResolver,
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "d.wsdl: no policy found: the document element is {http://www.w3.org/ns/wsdl}description"
    );
}

/// An endpoint alternative with which some message cannot be configured is skipped
/// with that message's refusal, and the next one is tried (WS-Policy 1.5 §3.2: any
/// alternative may be chosen).
#[test]
fn an_endpoint_alternative_a_message_refuses_is_skipped() {
    let wsdl = format!(
        r#"<wsdl:definitions targetNamespace="urn:t" xmlns:tns="urn:t"
    xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:wsp="http://www.w3.org/ns/ws-policy" xmlns:sp="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702">
  <wsdl:binding name="B">
    <wsp:Policy><wsp:ExactlyOne><wsp:All>{}</wsp:All><wsp:All/></wsp:ExactlyOne></wsp:Policy>
    <soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="op">
      <wsdl:input><wsp:Policy>{}</wsp:Policy></wsdl:input>
    </wsdl:operation>
  </wsdl:binding>
</wsdl:definitions>"#,
        SYMMETRIC.replace("DERIVED", ""),
        SYMMETRIC.replace("DERIVED", "")
    );
    let Input::Wsdl(w) = Input::read(
        "t.wsdl",
        wsdl.as_bytes(),
        &mut NoResolver,
        &Options::default(),
    )
    .unwrap() else {
        panic!()
    };
    let (_, r) = &configure_wsdl(&w, &Options::default())[0];
    let s = r.as_ref().unwrap();
    assert_eq!((s.endpoint.index, s.endpoint.count), (1, 2));
    assert!(
        s.endpoint.skipped[0]
            .1
            .to_string()
            .ends_with("conflict: a second security binding in the same alternative")
    );
    // The message still gets its binding, from its own policy.
    let input = &s.operations[0].messages[0].config.value;
    assert!(input.security.as_ref().unwrap().binding.is_some());
}
