//! bergshamra 0.11.1 signing and verifying the message of `wsrx-security`'s
//! `benches/security.rs`: ~4 KB, 6 references (Timestamp, Action, MessageID, To,
//! Sequence, Body), exc-c14n, HMAC-SHA256 with a DKT-derived key, SHA-256 digests.
//!
//! - sign: fills the template (our secured message with its DigestValues and
//!   SignatureValue emptied), text in, text out; the result must equal our message byte
//!   for byte, asserted once before timing;
//! - verify: parses and verifies our secured message (text in).
//!
//! The derived signing key is handed over in a `KeysManager` (bergshamra cannot resolve
//! STR → DKT → SCT), so key derivation and the signed-parts policy are not in these
//! timings, while they are in ours; strict verification is off (the WS-Security layout,
//! crates.md §3.1 gotcha 2).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "bench code")]

use std::path::PathBuf;

use bergshamra_dsig::DsigContext;
use bergshamra_keys::KeysManager;
use criterion::{Criterion, criterion_group, criterion_main};

fn fixture() -> PathBuf {
    std::env::var_os("WSRX_BERGSHAMRA_FIXTURE").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../target/tmp/wsrx-bergshamra"),
        PathBuf::from,
    )
}

fn read(name: &str) -> String {
    let path = fixture().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `cargo bench -p wsrx-security` first",
            path.display()
        )
    })
}

fn bench(c: &mut Criterion) {
    let secured = read("secured.xml");
    let template = read("template.xml");
    let key = hex::decode(read("signing-key.hex").trim()).unwrap();
    let mut keys = KeysManager::new();
    keys.add_key(bergshamra_keys::loader::load_hmac_key(&key).unwrap());
    let ctx = DsigContext::new(keys).with_strict_verification(false);
    let signed = bergshamra_dsig::sign::sign(&ctx, &template).unwrap();
    assert_eq!(
        signed, secured,
        "bergshamra must reproduce our DigestValues and SignatureValue"
    );
    let result = bergshamra_dsig::verify::verify(&ctx, &secured).unwrap();
    assert!(result.is_valid(), "{result:?}");
    println!("{} bytes, signature reproduced and verified", secured.len());
    c.bench_function(
        "bergshamra sign 4KB 6 refs (template text in, text out)",
        |b| b.iter(|| bergshamra_dsig::sign::sign(&ctx, &template).unwrap()),
    );
    c.bench_function("bergshamra parse+verify 4KB 6 refs (text in)", |b| {
        b.iter(|| {
            assert!(
                bergshamra_dsig::verify::verify(&ctx, &secured)
                    .unwrap()
                    .is_valid()
            );
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
