//! Known answers from the W3C specifications' own examples (WS-Policy 1.5 Framework
//! §4.3.1, §4.3.2, §4.3.3, §4.3.5, §4.5 and WS-Policy 1.5 Attachment §4.1), kept in
//! `testdata/policies/spec/` with the W3C notice. Each input is normalized (or
//! intersected, or attached) and compared with the equivalent policy the
//! specification gives, written out in normal form in a `.normal.xml` file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::panic_in_result_fn,
    reason = "test code"
)]

use std::path::{Path, PathBuf};

use wsrx_policy::{
    Alternative, Assertion, Input, IntersectionMode, NoResolver, NormalPolicy, Options, Policy,
    XmlElement, XmlNode,
};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/policies/spec")
}

fn read(file: &str) -> Input {
    let bytes = std::fs::read(dir().join(file)).unwrap();
    Input::read(file, &bytes, &mut NoResolver, &Options::default()).unwrap()
}

/// The policy of a policy document, by label (`None` = the only one).
fn policy(file: &str, label: Option<&str>) -> Policy {
    let Input::Policies(d) = read(file) else {
        panic!("{file}: not a policy document")
    };
    match label {
        None => {
            assert_eq!(d.subjects.len(), 1, "{file}");
            d.subjects[0].policy.clone()
        }
        Some(l) => d
            .subjects
            .iter()
            .find(|s| s.label == l)
            .unwrap()
            .policy
            .clone(),
    }
}

fn normal(file: &str, label: Option<&str>) -> NormalPolicy {
    policy(file, label).normalize(1024).unwrap()
}

/// A policy's structure without locations or prefixes: per alternative, each assertion
/// by expanded name with its attributes, parameters and nested alternative.
fn shape(p: &NormalPolicy) -> Vec<Vec<String>> {
    p.alternatives.iter().map(alternative).collect()
}

fn alternative(a: &Alternative) -> Vec<String> {
    a.assertions.iter().map(assertion).collect()
}

fn assertion(a: &Assertion) -> String {
    let mut s = a.name.expanded();
    for at in &a.attributes {
        s.push_str(&format!(
            " @{{{}}}{}={:?}",
            at.namespace, at.local, at.value
        ));
    }
    if a.ignorable {
        s.push_str(" ignorable");
    }
    for p in &a.parameters {
        if let XmlNode::Element(e) = p {
            s.push_str(&format!(" [{}]", element(e)));
        }
    }
    if let Some(n) = &a.nested {
        s.push_str(&format!(" ({})", alternative(n).join(", ")));
    }
    s
}

fn element(e: &XmlElement) -> String {
    let mut s = format!("{{{}}}{}", e.namespace, e.local);
    for at in &e.attributes {
        s.push_str(&format!(" @{}={:?}", at.local, at.value));
    }
    let text = e.text();
    if !text.is_empty() {
        s.push_str(&format!(" {text:?}"));
    }
    for c in e.elements() {
        s.push_str(&format!(" [{}]", element(c)));
    }
    s
}

/// Normalizing `input` gives the normal form the specification states.
fn known_answer(input: &str, expected: &str) -> NormalPolicy {
    let got = normal(input, None);
    let want = normal(expected, None);
    assert_eq!(shape(&got), shape(&want), "{input} vs {expected}");
    got
}

#[test]
fn framework_4_3_1_optional_assertion_gives_two_alternatives() {
    let got = known_answer(
        "framework-4.3.1-optional.xml",
        "framework-4.3.1-optional.normal.xml",
    );
    assert_eq!(got.alternatives.len(), 2);
    // The written normal form, exactly: same WS-Policy namespace, the assertion's prefix kept.
    assert_eq!(
        got.to_xml(),
        "<wsp:Policy xmlns:wsp=\"http://www.w3.org/ns/ws-policy\">\n  <wsp:ExactlyOne>\n    <wsp:All>\n      \
         <mtom:OptimizedMimeSerialization xmlns:mtom=\"http://www.w3.org/2007/08/soap12-mtom-policy\"/>\n    \
         </wsp:All>\n    <wsp:All/>\n  </wsp:ExactlyOne>\n</wsp:Policy>\n"
    );
}

#[test]
fn framework_4_3_2_nested_alternatives_move_up() {
    let got = known_answer(
        "framework-4.3.2-nested.xml",
        "framework-4.3.2-nested.normal.xml",
    );
    assert_eq!(got.alternatives.len(), 2);
    for a in &got.alternatives {
        let suite = &a.assertions[0].nested_assertions()[1];
        assert_eq!(
            suite.nested_assertions().len(),
            1,
            "one suite per alternative"
        );
    }
}

#[test]
fn framework_4_3_3_operators() {
    assert_eq!(
        known_answer(
            "framework-4.3.3-distributive.xml",
            "framework-4.3.3-distributive.normal.xml"
        )
        .alternatives
        .len(),
        4
    );
    assert_eq!(
        known_answer(
            "framework-4.3.3-associative.xml",
            "framework-4.3.3-associative.normal.xml"
        )
        .alternatives
        .len(),
        2
    );
    assert!(
        known_answer(
            "framework-4.3.3-empty.xml",
            "framework-4.3.3-empty.normal.xml"
        )
        .alternatives
        .is_empty()
    );
}

#[test]
fn framework_4_3_5_references_are_replaced_by_their_policy() {
    let got = normal("framework-4.3.5-reference.xml", Some("policy #Main"));
    let want = normal("framework-4.3.5-reference.normal.xml", None);
    assert_eq!(shape(&got), shape(&want));
}

#[test]
fn framework_4_5_intersection_keeps_the_compatible_pair() {
    let p1 = normal("framework-4.5-intersection-p1.xml", None);
    let p2 = normal("framework-4.5-intersection-p2.xml", None);
    let want = normal("framework-4.5-intersection.normal.xml", None);
    for mode in [IntersectionMode::Strict, IntersectionMode::Lax] {
        let got = p1.intersect(&p2, mode);
        assert_eq!(shape(&got), shape(&want), "{mode:?}");
    }
    // The three incompatible pairs, each with the assertion left without a partner.
    let mismatches = p1.mismatches(&p2, IntersectionMode::Strict);
    let named: Vec<(usize, usize, bool, &str)> = mismatches
        .iter()
        .map(|m| (m.first, m.second, m.in_first, m.assertion.local.as_str()))
        .collect();
    assert_eq!(
        named,
        [
            (0, 0, true, "SignedElements"),
            (0, 1, true, "EncryptedElements"),
            (1, 1, true, "SignedParts"),
        ]
    );
}

/// Lax mode (§4.5): an ignorable assertion without a partner does not make two
/// alternatives incompatible; strict mode counts it. (Our example.)
#[test]
fn framework_4_5_lax_mode_leaves_ignorable_assertions_out() {
    let doc = |body: &str| {
        let xml = format!(
            r#"<wsp:Policy xmlns:wsp="http://www.w3.org/ns/ws-policy" xmlns:t="urn:t">{body}</wsp:Policy>"#
        );
        let Input::Policies(d) = Input::read(
            "x.xml",
            xml.as_bytes(),
            &mut NoResolver,
            &Options::default(),
        )
        .unwrap() else {
            panic!()
        };
        d.subjects[0].policy.normalize(1024).unwrap()
    };
    let provider = doc(r#"<t:A/><t:Logging wsp:Ignorable="true"/>"#);
    let consumer = doc("<t:A/>");
    assert!(
        provider
            .intersect(&consumer, IntersectionMode::Strict)
            .alternatives
            .is_empty()
    );
    let lax = provider.intersect(&consumer, IntersectionMode::Lax);
    assert_eq!(lax.alternatives.len(), 1);
    assert_eq!(
        lax.alternatives[0].assertions.len(),
        3,
        "the result keeps every assertion"
    );
}

#[test]
fn attachment_4_1_merges_endpoint_and_message_policies() {
    let Input::Wsdl(w) = read("attachment-4.1-wsdl11.wsdl") else {
        panic!()
    };
    assert_eq!(
        w.endpoints.len(),
        1,
        "the binding is an endpoint of its own (no port)"
    );
    let e = &w.endpoints[0];
    assert_eq!(e.label(), "binding StockQuoteSoapBinding");
    let endpoint = e.policy.normalize(1024).unwrap();
    let names: Vec<String> = endpoint.alternatives[0]
        .assertions
        .iter()
        .map(|a| a.name.prefixed())
        .collect();
    assert_eq!(names, ["rmp:RMAssertion", "sp:AsymmetricBinding"]);
    let op = &e.operations[0];
    assert_eq!(op.name, "GetLastTradePrice");
    for m in &op.messages {
        let merged = Policy::merge(
            [&e.policy, &op.policy, &m.policy],
            w.version,
            m.policy.location().clone(),
        );
        let n = merged.normalize(1024).unwrap();
        assert_eq!(n.alternatives.len(), 1);
        let names: Vec<String> = n.alternatives[0]
            .assertions
            .iter()
            .map(|a| a.name.prefixed())
            .collect();
        assert_eq!(
            names,
            [
                "rmp:RMAssertion",
                "sp:AsymmetricBinding",
                "sp:SignedParts",
                "sp:EncryptedParts"
            ],
            "{}",
            m.label()
        );
    }
    assert!(
        w.warnings.iter().any(|w| w.contains("wsdl:import")),
        "the import is reported"
    );
    // Configuring it: the specification omitted the binding's details, so wsrx refuses it
    // naming the missing piece rather than guessing.
    let (_, result) = &wsrx_policy::configure_wsdl(&w, &Options::default())[0];
    let e = result.as_ref().unwrap_err();
    assert_eq!(e.refusals()[0].assertion.prefixed(), "sp:AsymmetricBinding");
    assert!(
        e.to_string()
            .ends_with("invalid: sp:AsymmetricBinding has no sp:AlgorithmSuite (WS-SP 1.2 §7)"),
        "{e}"
    );
}

/// Writing a normal form and reading it back gives the same policy, in the input's
/// WS-Policy namespace (WS-Policy 1.2 here).
#[test]
fn normal_form_round_trips_in_the_input_namespace() {
    let xml = br#"<wsp:Policy xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy" xmlns:t="urn:t"
        xmlns:wsp15="http://www.w3.org/ns/ws-policy">
      <t:A wsp:Optional="true" wsp15:Ignorable="true" k="v"><t:P>text &amp; more</t:P><wsp:Policy><t:N/></wsp:Policy></t:A>
      <wsp:ExactlyOne><t:B/><t:C/></wsp:ExactlyOne>
    </wsp:Policy>"#;
    let Input::Policies(d) =
        Input::read("x.xml", xml, &mut NoResolver, &Options::default()).unwrap()
    else {
        panic!()
    };
    let n = d.subjects[0].policy.normalize(1024).unwrap();
    assert_eq!(n.alternatives.len(), 4);
    let text = n.to_xml();
    assert!(
        text.starts_with("<wsp:Policy xmlns:wsp=\"http://schemas.xmlsoap.org/ws/2004/09/policy\">"),
        "{text}"
    );
    let Input::Policies(again) = Input::read(
        "y.xml",
        text.as_bytes(),
        &mut NoResolver,
        &Options::default(),
    )
    .unwrap() else {
        panic!()
    };
    let back = again.subjects[0].policy.normalize(1024).unwrap();
    assert_eq!(shape(&back), shape(&n));
    assert_eq!(back.to_xml(), text);
}
