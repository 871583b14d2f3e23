//! `wsrx policy` on the policy test data (`testdata/policies/`): exit status 0 for a
//! usable configuration and 1 for a refusal naming the assertion, JSON for tools, the
//! normal form, the intersection, and the README's assertion table generated from the
//! code (this test fails when they differ).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/policies")
        .join(file)
}

fn policy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsrx"))
        .arg("policy")
        .args(args)
        .output()
        .expect("run wsrx")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn path(file: &str) -> String {
    data(file).to_string_lossy().into_owned()
}

#[test]
fn show_prints_the_configuration_and_exits_zero() {
    let o = policy(&["show", &path("variants/wcf-ws2007-rm11-sc13.wsdl")]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = stdout(&o);
    assert!(
        text.contains("security: WS-SecurityPolicy 1.2, symmetric binding"),
        "{text}"
    );
    assert!(
        text.contains("protection token: SecureConversationToken (WS-SC 1.3)"),
        "{text}"
    );
    assert!(
        text.contains("suite Basic256Sha256; layout Strict; timestamp included"),
        "{text}"
    );
    assert!(
        text.contains("sequences: bound to the SCT (wsrmp:SequenceSTR)"),
        "{text}"
    );
}

#[test]
fn show_refuses_naming_the_assertion_and_exits_one() {
    let o = policy(&["show", &path("corewcf-wshttp-twmc-multiauth.wsdl")]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(
        text.contains(
            "refused: {http://schemas.xmlsoap.org/ws/2005/07/securitypolicy}SpnegoContextToken (sp:SpnegoContextToken)"
        ),
        "{text}"
    );
    // One endpoint at a time: the X.509 one is usable.
    let o = policy(&[
        "show",
        "--port",
        "WSHttpBinding_IEchoService1",
        &path("corewcf-wshttp-twmc-multiauth.wsdl"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn malformed_input_exits_one_with_the_place() {
    let o = policy(&[
        "show",
        &path("cxf-policy-attachment-test100-malformed.wsdl"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).trim(),
        "wsrx: refused: cxf-policy-attachment-test100-malformed.wsdl:76:13: not well-formed XML: \
         malformed XML at byte 3017: attribute name"
    );
}

#[test]
fn show_json_is_for_tools() {
    let o = policy(&[
        "show",
        "--json",
        &path("metro-rm11-custom2-sequencestr.xml"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["usable"], false);
    let subject = &v["subjects"][0];
    assert_eq!(subject["label"], "policy #Rm1_1Policy");
    assert_eq!(
        subject["settings"]["config"]["value"]["rm"]["sequence_binding"],
        "SequenceStr"
    );
    assert!(
        subject["refused"]
            .as_str()
            .unwrap()
            .contains("would unbind the sequence from its SCT")
    );
}

#[test]
fn normalize_prints_the_normal_form_in_the_input_namespace() {
    let o = policy(&["normalize", &path("spec/framework-4.3.1-optional.xml")]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        "<wsp:Policy xmlns:wsp=\"http://www.w3.org/ns/ws-policy\">\n  <wsp:ExactlyOne>\n    <wsp:All>\n      \
         <mtom:OptimizedMimeSerialization xmlns:mtom=\"http://www.w3.org/2007/08/soap12-mtom-policy\"/>\n    \
         </wsp:All>\n    <wsp:All/>\n  </wsp:ExactlyOne>\n</wsp:Policy>\n"
    );
    let o = policy(&[
        "normalize",
        &path("sandesha2-interop-sec-client-policy.xml"),
    ]);
    assert!(
        stdout(&o)
            .starts_with("<wsp:Policy xmlns:wsp=\"http://schemas.xmlsoap.org/ws/2004/09/policy\">")
    );
}

#[test]
fn check_prints_the_intersection_or_why_there_is_none() {
    let o = policy(&[
        "check",
        &path("spec/framework-4.5-intersection-p1.xml"),
        &path("spec/framework-4.5-intersection-p2.xml"),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("policy: compatible, 1 alternative(s)\n<wsp:Policy"));
    let o = policy(&[
        "check",
        &path("metro-rm11-custom1-seqtransportsec.xml"),
        &path("variants/cxf-rm11-sct-x509-bootstrap.wsdl"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(
        text.starts_with("endpoint DoubleItService/DoubleItSecureRMPort: incompatible\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "the client requires {http://docs.oasis-open.org/ws-rx/wsrmp/200702}RMAssertion"
        ),
        "{text}"
    );
}

#[test]
fn readme_assertion_table_is_generated_from_the_code() {
    let o = policy(&["assertions", "--markdown"]);
    assert_eq!(o.status.code(), Some(0));
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let begin = "<!-- assertion-table:begin -->\n";
    let start = readme
        .find(begin)
        .expect("README has the assertion table markers")
        + begin.len();
    let end = readme.find("<!-- assertion-table:end -->").unwrap();
    assert_eq!(
        &readme[start..end],
        stdout(&o),
        "README's assertion table differs from `wsrx policy assertions --markdown`: regenerate it"
    );
}
