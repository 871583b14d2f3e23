//! Inclusive Canonical XML 1.0 known answers: the inclusive cases of
//! `testdata/c14n/manifest.toml` (W3C exc-c14n Recommendation examples, C-2.1i and
//! C-2.2i), the canonical forms of the XML-DSig vectors D-1 and D-2
//! (`testdata/dsig/`, Apache-2.0 via apache/santuario; see testdata/dsig/NOTICE),
//! and small cases for the C14N 1.0 §2.4 `xml:*` inheritance and namespace rules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::path::{Path, PathBuf};

use serde::Deserialize;
use wsrx_xml::{
    C14nMethod, Document, Element, InclusiveC14nOptions, canonicalize_document,
    canonicalize_inclusive,
};

#[derive(Deserialize)]
struct Manifest {
    case: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    input: String,
    subtree: String,
    with_comments: bool,
    exclusive: bool,
    expected: String,
    expected_bytes: usize,
}

fn vectors() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    assert!(dir.is_dir(), "testdata/ not found at {}", dir.display());
    dir
}

fn expanded_name(s: &str) -> (&str, &str) {
    match s.strip_prefix('{').and_then(|r| r.split_once('}')) {
        Some((ns, local)) => (ns, local),
        None => ("", s),
    }
}

fn inclusive(e: Element<'_>, with_comments: bool) -> String {
    let mut out = Vec::new();
    canonicalize_inclusive(
        e,
        &InclusiveC14nOptions {
            with_comments,
            exclude: None,
        },
        &mut out,
    );
    String::from_utf8(out).unwrap()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(vectors().join(rel)).unwrap()
}

#[test]
fn every_inclusive_manifest_case_matches_byte_for_byte() {
    let dir = vectors().join("c14n");
    let manifest: Manifest =
        toml::from_str(&std::fs::read_to_string(dir.join("manifest.toml")).unwrap()).unwrap();
    let mut checked = 0;
    for case in manifest.case.iter().filter(|c| !c.exclusive) {
        let input = std::fs::read(dir.join(&case.input)).unwrap();
        let expected = std::fs::read_to_string(dir.join(&case.expected)).unwrap();
        assert_eq!(expected.len(), case.expected_bytes, "{}", case.id);
        let doc = Document::parse(&input).unwrap();
        let (ns, local) = expanded_name(&case.subtree);
        let apex = doc.elements().find(|e| e.is(ns, local)).unwrap();
        assert_eq!(inclusive(apex, case.with_comments), expected, "{}", case.id);
        checked += 1;
    }
    assert_eq!(checked, 2, "C-2.1i and C-2.2i");
}

const DS: &str = "http://www.w3.org/2000/09/xmldsig#";

#[test]
fn d2_object_and_signed_info() {
    for (file, object, signed_info) in [
        (
            "dsig/merlin-xmldsig-twenty-three/signature-enveloping-hmac-sha1.xml",
            "dsig/merlin-xmldsig-twenty-three/signature-enveloping-hmac-sha1-c14n-0.txt",
            "dsig/merlin-xmldsig-twenty-three/signature-enveloping-hmac-sha1-c14n-1.txt",
        ),
        (
            "dsig/merlin-xmldsig-twenty-three/signature-enveloping-hmac-sha1-40.xml",
            "dsig/merlin-xmldsig-twenty-three/signature-enveloping-hmac-sha1-40-c14n-0.txt",
            "dsig/merlin-xmldsig-twenty-three/signature-enveloping-hmac-sha1-40-c14n-1.txt",
        ),
    ] {
        let text = read(file);
        let doc = Document::parse(text.as_bytes()).unwrap();
        let o = doc.elements().find(|e| e.is(DS, "Object")).unwrap();
        assert_eq!(inclusive(o, false), read(object), "{object}");
        let si = doc.elements().find(|e| e.is(DS, "SignedInfo")).unwrap();
        assert_eq!(inclusive(si, false), read(signed_info), "{signed_info}");
    }
}

#[test]
fn d1d_signed_info_with_comments_keeps_the_unused_default_namespace() {
    let text = read("dsig/phaos-xmldsig-three/signature-hmac-sha1-40-c14n-comments-detached.xml");
    let doc = Document::parse(text.as_bytes()).unwrap();
    let si = doc.elements().find(|e| e.is(DS, "SignedInfo")).unwrap();
    let expected = read(
        "dsig/phaos-xmldsig-three/derived/signature-hmac-sha1-40-c14n-comments-detached.SignedInfo.c14n-with-comments.txt",
    );
    assert_eq!(inclusive(si, true), expected);
}

#[test]
fn d1_enveloped_document_without_comments() {
    let text = read("dsig/phaos-xmldsig-three/signature-hmac-sha1-exclusive-c14n-enveloped.xml");
    let doc = Document::parse(text.as_bytes()).unwrap();
    let sig = doc.elements().find(|e| e.is(DS, "Signature")).unwrap();
    let mut out = Vec::new();
    canonicalize_document(
        &doc,
        &C14nMethod::Inclusive(InclusiveC14nOptions {
            with_comments: false,
            exclude: Some(sig.id()),
        }),
        &mut out,
    );
    let expected = read(
        "dsig/phaos-xmldsig-three/derived/signature-hmac-sha1-exclusive-c14n-enveloped.Reference0.c14n.txt",
    );
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}

#[test]
fn xml_attributes_are_inherited_by_the_apex_nearest_first() {
    let doc = Document::parse(
        br#"<a xml:lang="en" xml:space="preserve" xmlns:p="urn:p"><b xml:lang="fr"><c xml:base="x"><d/></c></b></a>"#,
    )
    .unwrap();
    let c = doc.elements().find(|e| e.local_name() == "c").unwrap();
    assert_eq!(
        inclusive(c, false),
        r#"<c xmlns:p="urn:p" xml:base="x" xml:lang="fr" xml:space="preserve"><d></d></c>"#
    );
    // Below the apex nothing is inherited again.
    let b = doc.elements().find(|e| e.local_name() == "b").unwrap();
    assert_eq!(
        inclusive(b, false),
        r#"<b xmlns:p="urn:p" xml:lang="fr" xml:space="preserve"><c xml:base="x"><d></d></c></b>"#
    );
}

#[test]
fn default_namespace_rules() {
    let doc = Document::parse(
        br#"<r xmlns="urn:d" xmlns:q="urn:q"><s xmlns=""><t xmlns="urn:d" xmlns:q="urn:q"/></s><u xmlns=""/></r>"#,
    )
    .unwrap();
    let s = doc.elements().find(|e| e.local_name() == "s").unwrap();
    // Apex with an undeclared default: no xmlns="" (nothing to undeclare), q in scope.
    assert_eq!(
        inclusive(s, false),
        r#"<s xmlns:q="urn:q"><t xmlns="urn:d"></t></s>"#
    );
    let r = doc.root();
    assert_eq!(
        inclusive(r, false),
        r#"<r xmlns="urn:d" xmlns:q="urn:q"><s xmlns=""><t xmlns="urn:d"></t></s><u xmlns=""></u></r>"#
    );
}

#[test]
fn document_level_comments_and_pis_get_line_feeds() {
    let doc = Document::parse(b"<?pi a?><!--c1--><r><!--in--></r><!--c2--><?pi2?>").unwrap();
    for (with_comments, expected) in [
        (
            true,
            "<?pi a?>\n<!--c1-->\n<r><!--in--></r>\n<!--c2-->\n<?pi2?>",
        ),
        (false, "<?pi a?>\n<r></r>\n<?pi2?>"),
    ] {
        let mut out = Vec::new();
        canonicalize_document(
            &doc,
            &C14nMethod::Inclusive(InclusiveC14nOptions {
                with_comments,
                exclude: None,
            }),
            &mut out,
        );
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }
}
