//! The fuzz harnesses of the workspace on the stable toolchain: every file of the
//! checked-in corpus (`fuzz/corpus/<target>/`), then seeded structural mutations
//! of the shared known-answer documents. `WSRX_SEED` replays a run;
//! `WSRX_FUZZ_CASES` sets the number of mutated inputs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::path::{Path, PathBuf};

use wsrx_xml::fuzzing::{self, Mutator};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Seeds: the c14n, DSig and gSOAP vector documents.
fn seeds() -> Vec<Vec<u8>> {
    let vectors = root().join("testdata");
    let mut out = Vec::new();
    for sub in [
        "c14n/merlin-exc-c14n-one",
        "c14n/w3c-exc-c14n-examples",
        "gsoap/sct-dkt",
        "gsoap/offer",
        "rm/wcf-rm11",
        "rm/wcf-rm10",
        "rm/cxf",
    ] {
        out.extend(
            files(&vectors.join(sub))
                .iter()
                .filter(|p| p.extension().is_some_and(|e| e == "xml"))
                .map(|p| std::fs::read(p).unwrap()),
        );
    }
    assert!(out.len() > 20, "testdata/ not found in the repository");
    out
}

fn replay(target: &str, harness: fn(&[u8])) {
    let corpus = replay_corpus(target, &|d: &[u8]| harness(d));
    let (seed, cases) = seed_and_cases(target);
    let seeds = seeds();
    let mut m = Mutator::new(seed);
    let mut accepted = 0;
    for case in 0..cases {
        let doc = m.mutate(&seeds[case % seeds.len()]);
        accepted += usize::from(wsrx_xml::Document::parse(&doc).is_ok());
        // The c14n harness reads an options byte first.
        let input = if target == "c14n" || target == "security_header" {
            [&[(case % 256) as u8][..], &doc].concat()
        } else {
            doc
        };
        let outcome = std::panic::catch_unwind(|| harness(&input));
        assert!(
            outcome.is_ok(),
            "{target}: mutated case {case} fails (replay with WSRX_SEED={seed})"
        );
    }
    println!(
        "{target}: {} corpus files, {cases} mutated cases ({accepted} well-formed), seed {seed}",
        corpus
    );
    assert!(
        accepted * 10 >= cases,
        "{target}: only {accepted} of {cases} mutated inputs were well-formed"
    );
}

#[test]
fn xml_reader_harness_replays() {
    replay("xml_reader", fuzzing::xml_reader);
}

#[test]
fn c14n_harness_replays() {
    replay("c14n", fuzzing::c14n);
}

#[test]
fn rm_wire_decode_harness_replays() {
    replay("rm_wire_decode", wsrx_rm::wire::fuzzing::fuzz_decode);
}

#[test]
fn rm_wire_roundtrip_harness_replays() {
    replay("rm_wire_roundtrip", wsrx_rm::wire::fuzzing::fuzz_roundtrip);
}

#[test]
fn soap_envelope_harness_replays() {
    replay("soap_envelope", wsrx_soap::fuzzing::soap_envelope);
}

fn security_header(data: &[u8]) {
    let _ = wsrx_security::fuzzing::security_header(data);
}

/// The security-header harness: re-signed with the insecure fixed key, then decrypted,
/// verified, policy- and replay-checked; the corpus must reach the re-signed checks.
#[test]
fn security_header_harness_replays() {
    let reached = files(&root().join("fuzz/corpus/security_header"))
        .iter()
        .filter(|f| wsrx_security::fuzzing::security_header(&std::fs::read(f).unwrap()))
        .count();
    assert!(
        reached >= 2,
        "only {reached} corpus files reach the re-signed checks"
    );
    replay("security_header", security_header);
}

fn trust_message(data: &[u8]) {
    let _ = wsrx_sc::fuzzing::trust_message(data);
}

/// RST/RSTR readers and the token service's `handle_message` on arbitrary envelopes.
#[test]
fn sc_trust_harness_replays() {
    replay("sc_trust", trust_message);
}

/// Sealed SCT records: arbitrary blobs never open, tampered ones never open.
#[test]
fn sc_sealed_harness_replays() {
    replay_bytes("sc_sealed", |d| {
        usize::from(wsrx_sc::fuzzing::sealed_blob(d))
    });
}

#[path = "../../../fuzz/harness/store_rows.rs"]
mod store_rows;

/// Sealed store rows: written, read back, one tampered row always reported.
#[test]
fn store_rows_harness_replays() {
    replay_bytes("store_rows", |d| usize::from(store_rows::store_rows(d)));
}

/// Byte-level harnesses: the corpus, then seeded random byte strings (their inputs are
/// not XML, so mutating the XML vectors would not reach them).
fn replay_bytes(target: &str, harness: fn(&[u8]) -> usize) {
    let corpus = replay_corpus(target, &|d: &[u8]| {
        let _ = harness(d);
    });
    let (seed, cases) = seed_and_cases(target);
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut reached = 0;
    for case in 0..cases {
        let len = (next() % 600) as usize;
        let input: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let Ok(deep) = std::panic::catch_unwind(|| harness(&input)) else {
            panic!("{target}: random case {case} fails (replay with WSRX_SEED={seed})")
        };
        reached += deep;
    }
    println!(
        "{target}: {} corpus files, {cases} random cases reaching the deep checks {reached} times, seed {seed}",
        corpus
    );
    assert!(
        reached > cases / 10,
        "{target}: random inputs rarely get past creation ({reached} deliveries)"
    );
}

/// The WS-Policy reader: the corpus and the generic mutations, then seeded mutations of
/// the policy test data (`testdata/policies/`), most of which must still be read.
#[test]
fn policy_harness_replays() {
    replay("policy", |d| {
        let _ = wsrx_policy::fuzzing::policy(d);
    });
    let data = root().join("testdata/policies");
    let seeds: Vec<Vec<u8>> = ["", "spec", "variants"]
        .iter()
        .flat_map(|sub| files(&data.join(sub)))
        .filter(|p| p.extension().is_some_and(|e| e == "xml" || e == "wsdl"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert!(seeds.len() > 30, "testdata/policies not found");
    let (seed, cases) = seed_and_cases("policy-mutations");
    let mut m = Mutator::new(seed);
    let mut read = 0;
    for case in 0..cases {
        let input = m.mutate(&seeds[case % seeds.len()]);
        let Ok(deep) = std::panic::catch_unwind(|| wsrx_policy::fuzzing::policy(&input)) else {
            panic!("policy: mutated case {case} fails (replay with WSRX_SEED={seed})")
        };
        read += usize::from(deep);
    }
    println!("policy: {cases} mutated policy documents, {read} read, seed {seed}");
    assert!(
        read * 10 >= cases,
        "policy: only {read} of {cases} mutated documents were read"
    );
}

#[test]
fn rm_destination_inputs_harness_replays() {
    replay_bytes(
        "rm_destination_inputs",
        wsrx_rm::fuzzing::destination_inputs,
    );
}

/// Runs `harness` on every checked-in corpus file of `target`; returns how many.
fn replay_corpus(target: &str, harness: &dyn Fn(&[u8])) -> usize {
    let corpus = files(&root().join("fuzz/corpus").join(target));
    assert!(!corpus.is_empty(), "no corpus for {target}");
    for f in &corpus {
        let data = std::fs::read(f).unwrap();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| harness(&data)));
        assert!(
            outcome.is_ok(),
            "{target}: corpus file {} fails",
            f.display()
        );
    }
    corpus.len()
}

/// The run's seed (`WSRX_SEED`, else random per target) and case count (`WSRX_FUZZ_CASES`).
fn seed_and_cases(target: &str) -> (u64, usize) {
    let seed = std::env::var("WSRX_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            use std::hash::{BuildHasher, RandomState};
            RandomState::new().hash_one(target)
        });
    let cases = std::env::var("WSRX_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    (seed, cases)
}
