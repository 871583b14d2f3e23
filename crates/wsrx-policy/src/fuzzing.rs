#![allow(
    clippy::panic,
    reason = "a fuzz harness reports a violated invariant by panicking"
)]
//! Fuzz harness: called by the cargo-fuzz target `policy` in `fuzz/` and replayed on
//! the stable toolchain (`crates/wsrx-test/tests/fuzz_replay.rs`). It takes arbitrary
//! bytes and checks invariants that must hold for every input.

use crate::{Input, IntersectionMode, NoResolver, Options, report};

/// Small bounds so fuzzing explores structure rather than size.
fn fuzz_options() -> Options {
    Options {
        max_alternatives: 64,
        max_depth: 24,
        max_elements: 2_000,
        max_documents: 2,
        ..Options::default()
    }
}

/// Reads the input as a WSDL or policy document; every policy that normalizes must
/// write a normal form that reads back to the same normal form, intersect with itself
/// to a policy with as many alternatives (in both modes), and configure or refuse
/// without panicking. Returns true when the input was read (the harness got past the
/// reader).
pub fn policy(data: &[u8]) -> bool {
    let options = fuzz_options();
    let Ok(input) = Input::read("fuzz.xml", data, &mut NoResolver, &options) else {
        return false;
    };
    let _ = report::describe(&input, &options, None);
    let policies: Vec<crate::Policy> = match &input {
        Input::Wsdl(w) => w.endpoints.iter().map(|e| e.policy.clone()).collect(),
        Input::Policies(d) => d.subjects.iter().map(|s| s.policy.clone()).collect(),
    };
    for p in policies {
        let Ok(normal) = p.normalize(options.max_alternatives) else {
            continue;
        };
        let text = normal.to_xml();
        let again = match Input::read(
            "normal.xml",
            text.as_bytes(),
            &mut NoResolver,
            &Options::default(),
        ) {
            Ok(Input::Policies(d)) => d,
            other => panic!("normal form does not read back: {other:?}\n{text}"),
        };
        let Some(subject) = again.subjects.first() else {
            panic!("normal form has no policy:\n{text}");
        };
        let back = match subject.policy.normalize(usize::MAX) {
            Ok(b) => b,
            Err(e) => panic!("normal form does not normalize: {e}\n{text}"),
        };
        assert_eq!(back.alternatives.len(), normal.alternatives.len(), "{text}");
        assert_eq!(back.to_xml(), text, "normal form is not a fixed point");
        for mode in [IntersectionMode::Strict, IntersectionMode::Lax] {
            let self_intersection = normal.intersect(&normal, mode);
            assert!(
                self_intersection.alternatives.len() >= normal.alternatives.len(),
                "a policy must be compatible with itself"
            );
        }
    }
    true
}
