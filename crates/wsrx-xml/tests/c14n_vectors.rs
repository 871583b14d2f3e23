//! Known-answer tests: every exclusive-c14n case in `testdata/c14n/manifest.toml`
//! (Merlin exc-c14n-one and the W3C exc-c14n Recommendation examples, Apache-2.0,
//! via apache/santuario; see testdata/c14n/NOTICE) must come out byte for byte.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::path::{Path, PathBuf};

use serde::Deserialize;
use wsrx_xml::{C14nOptions, Document, canonicalize_to_vec};

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
    prefix_list: Vec<String>,
    expected: String,
    expected_bytes: usize,
}

fn vectors() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    assert!(dir.is_dir(), "testdata/ not found at {}", dir.display());
    dir
}

/// Splits `{ns}local` into its parts (no braces = no namespace).
fn expanded_name(s: &str) -> (&str, &str) {
    match s.strip_prefix('{').and_then(|r| r.split_once('}')) {
        Some((ns, local)) => (ns, local),
        None => ("", s),
    }
}

#[test]
fn every_exclusive_case_matches_byte_for_byte() {
    let dir = vectors().join("c14n");
    let manifest: Manifest =
        toml::from_str(&std::fs::read_to_string(dir.join("manifest.toml")).unwrap()).unwrap();
    let mut checked = 0;
    for case in manifest.case.iter().filter(|c| c.exclusive) {
        let input = std::fs::read(dir.join(&case.input)).unwrap();
        let expected = std::fs::read(dir.join(&case.expected)).unwrap();
        assert_eq!(
            expected.len(),
            case.expected_bytes,
            "{}: expected file size",
            case.id
        );
        let doc =
            Document::parse(&input).unwrap_or_else(|e| panic!("{}: parse failed: {e}", case.id));
        let (ns, local) = expanded_name(&case.subtree);
        let apex = doc
            .elements()
            .find(|e| e.is(ns, local))
            .unwrap_or_else(|| panic!("{}: no subtree", case.id));
        let prefixes = case.prefix_list.join(" ");
        let options = C14nOptions {
            with_comments: case.with_comments,
            inclusive_prefixes: &prefixes,
            exclude: None,
        };
        let got = canonicalize_to_vec(apex, &options);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&expected),
            "{}: canonical form differs",
            case.id
        );
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} exclusive cases found");
}
