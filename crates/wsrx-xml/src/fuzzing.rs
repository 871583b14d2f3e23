#![allow(
    clippy::panic,
    reason = "a fuzz harness reports a violated invariant by panicking"
)]
//! Fuzz harnesses: called by the cargo-fuzz targets in `fuzz/` and replayed as
//! property tests on the stable toolchain (`tests/fuzz_replay.rs`). Each takes
//! arbitrary bytes and checks invariants that must hold for every input; a
//! violated invariant panics, which is what a fuzzer reports.

use crate::{C14nOptions, Document, Limits, canonicalize_to_vec};

/// Limits small enough that fuzzing explores structure rather than size.
fn fuzz_limits() -> Limits {
    Limits {
        max_document_size: 64 * 1024,
        max_depth: 32,
        max_attributes: 16,
        max_namespace_declarations: 16,
        max_name_length: 64,
        max_text_length: 16 * 1024,
        max_attribute_length: 4 * 1024,
        max_nodes: 4096,
    }
}

/// Reader: never panics; an accepted document re-serializes to text that parses
/// to the same model (same canonical form, same serialization).
pub fn xml_reader(data: &[u8]) {
    let Ok(doc) = Document::parse_with(data, &fuzz_limits()) else {
        return;
    };
    let options = C14nOptions {
        with_comments: true,
        ..C14nOptions::default()
    };
    let text = doc.to_xml();
    let again = Document::parse_with(text.as_bytes(), &Limits::default());
    let Ok(again) = again else {
        panic!(
            "serialization of an accepted document was refused: {:?}",
            again.err()
        );
    };
    assert_eq!(
        canonicalize_to_vec(doc.root(), &options),
        canonicalize_to_vec(again.root(), &options)
    );
    assert_eq!(text, again.to_xml());
    for e in doc.elements() {
        let _ = (e.text(), e.lookup_namespace(None), e.span(), e.to_xml());
    }
}

/// Canonicalization: the first byte selects the options; every element subtree
/// canonicalizes without panicking, and canonical XML of the root is a fixed
/// point (parse it and canonicalize again: same bytes).
pub fn c14n(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let prefix_lists = ["", "#default", "a b", "#default s wsu", "xml"];
    let list = prefix_lists
        .get(usize::from(selector >> 1) % prefix_lists.len())
        .copied()
        .unwrap_or("");
    let options = C14nOptions {
        with_comments: selector & 1 == 1,
        inclusive_prefixes: list,
        exclude: None,
    };
    let Ok(doc) = Document::parse_with(rest, &fuzz_limits()) else {
        return;
    };
    for e in doc.elements().take(64) {
        let _ = canonicalize_to_vec(e, &options);
    }
    let canonical = canonicalize_to_vec(doc.root(), &options);
    let reparsed = Document::parse(&canonical);
    let Ok(reparsed) = reparsed else {
        panic!("canonical form is not well-formed: {:?}", reparsed.err());
    };
    assert_eq!(
        canonicalize_to_vec(reparsed.root(), &options),
        canonical,
        "c14n is not idempotent"
    );
}

/// Tokens that make mutations structural rather than random noise.
const DICTIONARY: &[&[u8]] = &[
    b"<",
    b">",
    b"/>",
    b"</",
    b"&",
    b"&amp;",
    b"&#x9;",
    b"&#0;",
    b"&bogus;",
    b"\"",
    b"'",
    b":",
    b"=",
    b" xmlns=\"\"",
    b" xmlns:a=\"urn:a\"",
    b" a:b=\"1\"",
    b" xml:lang=\"en\"",
    b"<!--",
    b"-->",
    b"<![CDATA[",
    b"]]>",
    b"<?pi x?>",
    b"<!DOCTYPE r>",
    b"\r\n",
    b"\r",
    b"\t",
    b"\xEF\xBF\xBE",
    b"\xC3",
    b"<a:x>",
    b"</a:x>",
    b"mustUnderstand=\"1\"",
    b"<Body>",
    b"<Header>",
];

/// A small deterministic generator (splitmix64) for mutation choices.
#[derive(Debug, Clone)]
pub struct Mutator(u64);

impl Mutator {
    /// A mutator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// `input` with one to four structural mutations: byte flips, deletions,
    /// duplications, truncation and insertion of XML tokens.
    pub fn mutate(&mut self, input: &[u8]) -> Vec<u8> {
        let mut out = input.to_vec();
        for _ in 0..=self.below(4) {
            let len = out.len();
            let at = self.below(len + 1);
            match self.below(5) {
                0 if len > 0 => {
                    let i = self.below(len);
                    if let Some(b) = out.get_mut(i) {
                        *b ^= 1 << self.below(8);
                    }
                }
                1 if len > 0 => {
                    let end = (at + 1 + self.below(16)).min(len);
                    out.drain(at.min(end)..end);
                }
                2 if len > 0 => {
                    let end = (at + 1 + self.below(64)).min(len);
                    let piece: Vec<u8> = out.get(at.min(end)..end).unwrap_or(&[]).to_vec();
                    let pos = self.below(out.len() + 1);
                    out.splice(pos..pos, piece);
                }
                3 => out.truncate(at),
                _ => {
                    let token = DICTIONARY
                        .get(self.below(DICTIONARY.len()))
                        .copied()
                        .unwrap_or(b"<");
                    out.splice(at..at, token.iter().copied());
                }
            }
        }
        out
    }
}
