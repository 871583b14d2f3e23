//! Fuzz harness for opening sealed store rows (`wsrx_store`): shared, by `#[path]`, by
//! the cargo-fuzz target `fuzz_targets/store_rows.rs` and the stable replay in
//! `crates/wsrx-test/tests/fuzz_replay.rs` (it lives here because `wsrx-store` is not
//! this harness's crate and `wsrx-test` may not depend on it outside its tests).
//!
//! A record, a payload and a token built from the input are committed to a
//! `MemoryBackend` store under a fixed, public key (**test only**) and read back
//! unchanged; then one row chosen by the input is tampered with (replaced by the input,
//! one bit flipped, or truncated). Loading, reading the payload and `check` never
//! panic, and the tampered row is always reported, never opened.

use wsrx_store::{Batch, KeyRing, MemoryBackend, PayloadPut, Role, Store, StoreError, TokenPut};

const SEQ: &str = "urn:uuid:57023000-0000-4000-8000-000000000001";
const TOKEN: &str = "urn:uuid:57023000-0000-4000-8000-0000000000aa";

/// Returns whether the input got as far as the tamper checks.
pub(crate) fn store_rows(data: &[u8]) -> bool {
    let Ok(ring) = KeyRing::new(wsrx_crypto::SecretKey::from_slice(&[0x44; 32])) else {
        return false;
    };
    let Ok(store) = Store::open(MemoryBackend::new(), ring) else {
        return false;
    };
    let (head, body) = data.split_at(data.len().min(3));
    let mut batch = Batch::default();
    batch
        .records
        .push((SEQ.to_owned(), Role::Destination, body.to_vec()));
    batch.payloads.push(PayloadPut {
        handle: 1,
        sequence: SEQ.to_owned(),
        number: 1,
        plaintext: zeroize::Zeroizing::new(body.to_vec()),
    });
    batch.tokens.push(TokenPut {
        identifier: TOKEN.to_owned(),
        expires_at_ms: None,
        serialized: zeroize::Zeroizing::new(body.to_vec()),
    });
    if store.commit(batch).is_err() {
        return false;
    }
    let Ok(snapshot) = store.load() else {
        panic!("an untampered store does not load")
    };
    let records: Vec<&Vec<u8>> = snapshot
        .sequences
        .iter()
        .flat_map(|s| s.records.iter())
        .collect();
    assert_eq!(records, vec![&body.to_vec()], "record changed");
    match store.payload(1) {
        Ok(Some(p)) => assert_eq!(p.as_slice(), body, "payload changed"),
        other => panic!(
            "payload does not read back: {:?}",
            other.map(|p| p.is_some())
        ),
    }
    let mode = head.first().copied().unwrap_or(0) % 9;
    let at = usize::from(head.get(1).copied().unwrap_or(0));
    let bit = head.get(2).copied().unwrap_or(0) % 8;
    let tamper = |blob: &mut Vec<u8>| match mode / 3 {
        0 => {
            if blob.as_slice() == body {
                blob.push(0);
            } else {
                blob.clone_from(&body.to_vec());
            }
        }
        1 => {
            let len = blob.len().max(1);
            if let Some(b) = blob.get_mut(at % len) {
                *b ^= 1 << bit;
            }
        }
        _ => blob.truncate(at % blob.len().max(1)),
    };
    let backend = store.backend();
    let tampered = match mode % 3 {
        0 => backend.tamper_record(SEQ, 0, tamper),
        1 => backend.tamper_payload(1, tamper),
        _ => backend.tamper_token(TOKEN, tamper),
    };
    if tampered.is_err() {
        return false;
    }
    let loaded = store.load();
    let payload = store.payload(1);
    let Ok(report) = store.check() else {
        panic!("check failed as a whole")
    };
    assert_eq!(
        report.problems.len(),
        1,
        "tampering not reported exactly once: {report:?}"
    );
    match mode % 3 {
        0 => assert!(
            matches!(loaded, Err(StoreError::Corrupt(_))),
            "a tampered record loaded"
        ),
        1 => assert!(
            matches!(payload, Err(StoreError::Corrupt(_))),
            "a tampered payload opened"
        ),
        _ => assert!(
            !matches!(&loaded, Ok(s) if s.tokens.iter().any(|t| t.identifier == TOKEN)),
            "a tampered token loaded"
        ),
    }
    true
}
