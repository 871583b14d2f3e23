//! Bad input, each with its exact error: malformed XML, a reference cycle, an
//! unresolved reference, an unknown assertion that is not ignorable, an alternative
//! explosion, nesting and reference fan-out past the limits, invalid WS-Policy
//! attributes, and policies that would unbind a sequence from its SCT.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::panic_in_result_fn,
    clippy::result_large_err,
    reason = "test code"
)]

use wsrx_policy::{
    Input, NoResolver, Options, PolicyError, PolicySettings, UnbindReason, configure_document,
};

const WSP: &str = "http://www.w3.org/ns/ws-policy";

fn read(xml: &str) -> Result<Input, PolicyError> {
    Input::read(
        "bad.xml",
        xml.as_bytes(),
        &mut NoResolver,
        &Options::default(),
    )
}

/// The settings of the only (or first) policy of `xml`.
fn configure(xml: &str) -> Result<PolicySettings, PolicyError> {
    let Input::Policies(d) = read(xml)? else {
        panic!("not a policy document")
    };
    configure_document(&d, &Options::default()).remove(0).1
}

fn error(xml: &str) -> String {
    match read(xml) {
        Err(e) => e.to_string(),
        Ok(Input::Policies(d)) => match configure_document(&d, &Options::default()).remove(0).1 {
            Err(e) => e.to_string(),
            Ok(s) => panic!("accepted: {:?}", s.config.value),
        },
        Ok(Input::Wsdl(_)) => panic!("accepted as WSDL"),
    }
}

#[test]
fn malformed_xml() {
    assert_eq!(
        error(&format!(
            "<wsp:Policy xmlns:wsp=\"{WSP}\">\n  <wsp:All>\n</wsp:Policy>"
        )),
        "bad.xml:3:1: not well-formed XML: mismatched end tag at byte 68"
    );
}

#[test]
fn reference_cycle() {
    let xml = format!(
        r##"<ps xmlns:wsp="{WSP}" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">
<wsp:Policy wsu:Id="A"><wsp:PolicyReference URI="#B"/></wsp:Policy>
<wsp:Policy wsu:Id="B"><wsp:All><wsp:PolicyReference URI="#A"/></wsp:All></wsp:Policy>
</ps>"##
    );
    assert_eq!(
        error(&xml),
        "policy reference cycle #A -> #B -> #A at /ps/wsp:Policy[@wsu:Id='B']/wsp:All/wsp:PolicyReference (bad.xml:3:33)"
    );
}

#[test]
fn self_reference_is_a_cycle() {
    let xml = format!(
        r##"<wsp:Policy xmlns:wsp="{WSP}" Name="urn:p"><wsp:PolicyReference URI="urn:p"/></wsp:Policy>"##
    );
    assert_eq!(
        error(&xml),
        "policy reference cycle urn:p -> urn:p at /wsp:Policy[@Name='urn:p']/wsp:PolicyReference (bad.xml:1:69)"
    );
}

#[test]
fn unresolved_local_reference() {
    let xml = format!(
        r##"<wsp:Policy xmlns:wsp="{WSP}"><wsp:PolicyReference URI="#nope"/></wsp:Policy>"##
    );
    assert_eq!(
        error(&xml),
        "unresolved policy reference \"#nope\" at /wsp:Policy/wsp:PolicyReference (bad.xml:1:56): \
         no wsp:Policy with wsu:Id or xml:id \"nope\" in bad.xml"
    );
}

#[test]
fn external_reference_without_a_resolver() {
    let xml = format!(
        r##"<wsp:Policy xmlns:wsp="{WSP}"><wsp:PolicyReference URI="other.xml#P"/></wsp:Policy>"##
    );
    assert_eq!(
        error(&xml),
        "unresolved policy reference \"other.xml#P\" at /wsp:Policy/wsp:PolicyReference (bad.xml:1:56): \
         external references are not resolved here (no resolver was given)"
    );
}

#[test]
fn unknown_assertion_not_ignorable_is_refused_by_name_and_place() {
    let xml = format!(
        r#"<wsp:Policy xmlns:wsp="{WSP}" xmlns:sp="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702" xmlns:foo="urn:example:foo">
  <sp:SignedParts><sp:Body/></sp:SignedParts>
  <foo:Compression level="9"/>
</wsp:Policy>"#
    );
    assert_eq!(
        error(&xml),
        "policy: refused: {urn:example:foo}Compression (foo:Compression) at /wsp:Policy/foo:Compression \
         (bad.xml:3:3): not implemented by wsrx and not marked wsp:Ignorable"
    );
    // The same assertion marked wsp:Ignorable is dropped, and says so.
    let ignorable = xml.replace("level=\"9\"", "wsp:Ignorable=\"true\"");
    let s = configure(&ignorable).unwrap();
    let ignored = &s.config.value.ignored;
    assert_eq!(ignored.len(), 1);
    assert_eq!(
        ignored[0].assertion.expanded(),
        "{urn:example:foo}Compression"
    );
    assert_eq!(
        ignored[0].reason,
        "not understood by wsrx; marked wsp:Ignorable"
    );
}

#[test]
fn unknown_assertion_deep_inside_a_binding_is_refused_too() {
    let xml = format!(
        r#"<wsp:Policy xmlns:wsp="{WSP}" xmlns:sp="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702">
<sp:TransportBinding><wsp:Policy>
<sp:TransportToken><wsp:Policy><sp:HttpsToken><wsp:Policy><sp:RequireKerberosTicket/></wsp:Policy></sp:HttpsToken></wsp:Policy></sp:TransportToken>
<sp:AlgorithmSuite><wsp:Policy><sp:Basic256/></wsp:Policy></sp:AlgorithmSuite>
</wsp:Policy></sp:TransportBinding></wsp:Policy>"#
    );
    assert_eq!(
        error(&xml),
        "policy: refused: {http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702}RequireKerberosTicket \
         (sp:RequireKerberosTicket) at /wsp:Policy/sp:TransportBinding/wsp:Policy/sp:TransportToken/wsp:Policy/\
         sp:HttpsToken/wsp:Policy/sp:RequireKerberosTicket (bad.xml:3:59): not implemented by wsrx and not \
         marked wsp:Ignorable"
    );
}

#[test]
fn every_alternative_refused_names_each() {
    let xml = format!(
        r#"<wsp:Policy xmlns:wsp="{WSP}" xmlns:a="urn:a"><wsp:ExactlyOne><a:X/><a:Y/></wsp:ExactlyOne></wsp:Policy>"#
    );
    assert_eq!(
        error(&xml),
        "policy: no usable alternative among 2: alternative 1: {urn:a}X (a:X) at \
         /wsp:Policy/wsp:ExactlyOne/a:X (bad.xml:1:88): not implemented by wsrx and not marked \
         wsp:Ignorable; alternative 2: {urn:a}Y (a:Y) at /wsp:Policy/wsp:ExactlyOne/a:Y (bad.xml:1:94): \
         not implemented by wsrx and not marked wsp:Ignorable"
    );
}

#[test]
fn no_alternative_at_all() {
    let xml = format!(r#"<wsp:Policy xmlns:wsp="{WSP}"><wsp:ExactlyOne/></wsp:Policy>"#);
    assert_eq!(
        error(&xml),
        "policy: the policy has no alternative (nothing satisfies it)"
    );
}

#[test]
fn alternative_explosion_is_refused_before_expanding() {
    // 2^11 = 2,048 alternatives: over the cap of 1,024.
    let choice = "<wsp:ExactlyOne><t:A/><t:B/></wsp:ExactlyOne>".repeat(11);
    let xml = format!(r#"<wsp:Policy xmlns:wsp="{WSP}" xmlns:t="urn:t">{choice}</wsp:Policy>"#);
    assert_eq!(
        error(&xml),
        "policy alternative explosion: the normal form would have 2048 alternatives (cap 1024) \
         at /wsp:Policy (bad.xml:1:1)"
    );
    // 2^80: past 64 bits, still a clean error and no allocation.
    let choice = "<wsp:ExactlyOne><t:A/><t:B/></wsp:ExactlyOne>".repeat(80);
    let xml = format!(r#"<wsp:Policy xmlns:wsp="{WSP}" xmlns:t="urn:t">{choice}</wsp:Policy>"#);
    assert_eq!(
        error(&xml),
        "policy alternative explosion: the normal form would have more than 2^64 alternatives \
         (cap 1024) at /wsp:Policy (bad.xml:1:1)"
    );
    // Inside a nested policy the innermost element over the cap is named.
    let xml = format!(
        r#"<wsp:Policy xmlns:wsp="{WSP}" xmlns:t="urn:t"><t:Outer><wsp:Policy>{}</wsp:Policy></t:Outer></wsp:Policy>"#,
        "<wsp:ExactlyOne><t:A/><t:B/></wsp:ExactlyOne>".repeat(11)
    );
    assert_eq!(
        error(&xml),
        "policy alternative explosion: the normal form would have 2048 alternatives (cap 1024) \
         at /wsp:Policy/t:Outer/wsp:Policy (bad.xml:1:81)"
    );
}

#[test]
fn nesting_past_the_depth_limit() {
    let xml = format!(
        r#"<wsp:Policy xmlns:wsp="{WSP}">{}{}</wsp:Policy>"#,
        "<wsp:All>".repeat(70),
        "</wsp:All>".repeat(70)
    );
    let e = error(&xml);
    assert!(
        e.starts_with("policy nesting deeper than 64 levels at /wsp:Policy/wsp:All/wsp:All/"),
        "{e}"
    );
    assert!(e.ends_with("(bad.xml:1:632)"), "{e}");
}

#[test]
fn reference_fan_out_past_the_size_limit() {
    // Each policy references the next one twice: 2^20 copies of the last.
    let mut xml = format!(r#"<ps xmlns:wsp="{WSP}" xmlns:t="urn:t">"#);
    for i in 0..20 {
        xml.push_str(&format!(
            r##"<wsp:Policy xml:id="p{i}"><wsp:PolicyReference URI="#p{n}"/><wsp:PolicyReference URI="#p{n}"/></wsp:Policy>"##,
            n = i + 1
        ));
    }
    xml.push_str(r#"<wsp:Policy xml:id="p20"><t:A/></wsp:Policy></ps>"#);
    let e = read(&xml).unwrap_err().to_string();
    assert!(
        e.starts_with("policy larger than 50000 elements after expanding references, at "),
        "{e}"
    );
}

#[test]
fn invalid_optional_value() {
    let xml = format!(
        r#"<wsp:Policy xmlns:wsp="{WSP}" xmlns:t="urn:t"><t:A wsp:Optional="yes"/></wsp:Policy>"#
    );
    assert_eq!(
        error(&xml),
        "invalid wsp:Optional value \"yes\" (xs:boolean expected) on t:A at /wsp:Policy/t:A (bad.xml:1:72)"
    );
}

#[test]
fn not_a_policy_document() {
    assert_eq!(
        error("<root xmlns=\"urn:x\"><child/></root>"),
        "bad.xml: no policy found: the document element is {urn:x}root"
    );
}

const SCT_SYMMETRIC: &str = r#"<sp:SymmetricBinding><wsp:Policy>
  <sp:ProtectionToken><wsp:Policy>
    <sp:SecureConversationToken sp:IncludeToken="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702/IncludeToken/AlwaysToRecipient">
      <wsp:Policy><sp:RequireDerivedKeys/></wsp:Policy>
    </sp:SecureConversationToken>
  </wsp:Policy></sp:ProtectionToken>
  <sp:AlgorithmSuite><wsp:Policy><sp:Basic256/></wsp:Policy></sp:AlgorithmSuite>
</wsp:Policy></sp:SymmetricBinding>"#;

fn secured(body: &str) -> String {
    format!(
        r#"<wsp:Policy xmlns:wsp="{WSP}" xmlns:sp="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"
    xmlns:wsrmp="http://docs.oasis-open.org/ws-rx/wsrmp/200702">{body}</wsp:Policy>"#
    )
}

fn unbind(xml: &str) -> (UnbindReason, String) {
    let s = configure(xml).unwrap();
    let e = s.check("policy").unwrap_err().to_string();
    (s.sequence_binding.unwrap_err(), e)
}

#[test]
fn rm11_over_an_sct_without_sequence_str_would_unbind() {
    let xml = secured(&format!(
        "{SCT_SYMMETRIC}<sp:SignedParts><sp:Body/></sp:SignedParts><wsrmp:RMAssertion><wsp:Policy/></wsrmp:RMAssertion>"
    ));
    let (reason, message) = unbind(&xml);
    assert_eq!(reason, UnbindReason::NoSequenceBindingAssertion);
    assert_eq!(
        message,
        "policy: would unbind the sequence from its SCT: the wsrmp:RMAssertion has neither \
         wsrmp:SequenceSTR nor wsrmp:SequenceTransportSecurity while a SecureConversationToken \
         protects the messages: sequences would not be bound to the SCT"
    );
}

#[test]
fn unsigned_body_would_unbind() {
    // Rampart's secure-conversation shape: only the Timestamp is signed.
    let xml = secured(&format!(
        "{SCT_SYMMETRIC}<sp:EncryptedParts><sp:Body/></sp:EncryptedParts>\
         <wsrmp:RMAssertion><wsp:Policy><wsrmp:SequenceSTR/></wsp:Policy></wsrmp:RMAssertion>"
    ));
    let (reason, message) = unbind(&xml);
    assert_eq!(
        reason,
        UnbindReason::BodyNotSigned {
            message: "policy".to_owned()
        }
    );
    assert_eq!(
        message,
        "policy: would unbind the sequence from its SCT: the Body of message policy is not signed, \
         so its Sequence header could be moved onto another body"
    );
}

#[test]
fn an_sct_that_only_endorses_would_unbind() {
    let xml = secured(
        r#"<sp:TransportBinding><wsp:Policy>
  <sp:TransportToken><wsp:Policy><sp:HttpsToken/></wsp:Policy></sp:TransportToken>
  <sp:AlgorithmSuite><wsp:Policy><sp:Basic256/></wsp:Policy></sp:AlgorithmSuite>
</wsp:Policy></sp:TransportBinding>
<sp:EndorsingSupportingTokens><wsp:Policy><sp:SecureConversationToken/></wsp:Policy></sp:EndorsingSupportingTokens>
<sp:SignedParts/>
<wsrmp:RMAssertion><wsp:Policy><wsrmp:SequenceSTR/></wsp:Policy></wsrmp:RMAssertion>"#,
    );
    let (reason, _) = unbind(&xml);
    assert_eq!(
        reason,
        UnbindReason::SctOnlyEndorses {
            message: "policy".to_owned()
        }
    );
}

#[test]
fn a_bound_sequence_is_accepted() {
    let xml = secured(&format!(
        "{SCT_SYMMETRIC}<sp:SignedParts><sp:Body/></sp:SignedParts>\
         <wsrmp:RMAssertion><wsp:Policy><wsrmp:SequenceSTR/></wsp:Policy></wsrmp:RMAssertion>"
    ));
    let s = configure(&xml).unwrap();
    assert_eq!(
        s.check("policy").map(|_| ()).map_err(|e| e.to_string()),
        Ok(()),
    );
    assert_eq!(
        s.sequence_binding,
        Ok(wsrx_policy::SequenceBinding::SecurityContextToken { explicit: true })
    );
}
