//! The conformance suite every backend runs (`tests/conformance_*.rs`), crash
//! semantics included: what a backend must guarantee so that recovery is exact.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test suite"
)]

/// Suite entry points.
pub mod conformance {
    use std::sync::Arc;

    use wsrx_crypto::SecretKey;
    use zeroize::Zeroizing;

    use crate::{
        Backend, Batch, KeyRing, PayloadPut, RecordName, Role, Store, StoreError, TokenPut,
    };

    /// What a backend's test provides to the suite.
    pub trait Harness {
        /// The backend under test.
        type B: Backend;
        /// A new, empty backend.
        fn fresh(&mut self) -> Self::B;
        /// The backend as a restarted process finds it after `old` is gone
        /// (everything committed must be there).
        fn restart(&mut self, old: Self::B) -> Self::B;
        /// Applies `f` to the sealed bytes of a payload row.
        fn tamper_payload(&self, backend: &Self::B, handle: u64, f: &mut dyn FnMut(&mut Vec<u8>));
        /// Applies `f` to the sealed bytes of a record row.
        fn tamper_record(
            &self,
            backend: &Self::B,
            sequence: &str,
            index: u64,
            f: &mut dyn FnMut(&mut Vec<u8>),
        );
    }

    fn key(byte: u8) -> SecretKey {
        SecretKey::from_vec(vec![byte; 32])
    }

    fn ring(bytes: &[u8]) -> KeyRing {
        KeyRing::from_keys(bytes.iter().map(|b| key(*b)).collect()).unwrap()
    }

    fn payload(handle: u64, sequence: &str, number: u64, text: &str) -> PayloadPut {
        PayloadPut {
            handle,
            sequence: sequence.into(),
            number,
            plaintext: Zeroizing::new(text.as_bytes().to_vec()),
        }
    }

    fn token(identifier: &str, secret: &str) -> TokenPut {
        TokenPut {
            identifier: identifier.into(),
            expires_at_ms: Some(1_900_000_000_000),
            serialized: Zeroizing::new(secret.as_bytes().to_vec()),
        }
    }

    /// Runs every case.
    pub fn run_all<H: Harness>(h: &mut H) {
        round_trip_after_restart(h);
        a_conflicting_batch_changes_nothing(h);
        deletes(h);
        tampering_is_detected_and_named(h);
        unknown_keys_are_reported(h);
        keys_rotate_and_rewrap(h);
        concurrent_commits_are_all_durable(h);
        submitted_batches_complete_in_order(h);
        nothing_sensitive_is_stored_in_clear(h);
        dead_letters_and_handoff_marks(h);
        audit_entries_append_in_order(h);
    }

    /// Audit entries are appended in commit order, with the batch they came in (a
    /// refused batch adds none), and survive a restart.
    pub fn audit_entries_append_in_order<H: Harness>(h: &mut H) {
        let store = Store::open(h.fresh(), ring(&[1])).unwrap();
        let entry = |at: i64, what: &str| crate::AuditRow {
            at_ms: at,
            entry: what.to_owned(),
        };
        for (at, what) in [(5, "{\"action\":\"b\"}"), (3, "{\"action\":\"a\"}")] {
            let mut b = Batch::default();
            b.audit.push(entry(at, what));
            store.commit(b).unwrap();
        }
        // A batch refused for a conflict adds no entry.
        let mut b = Batch::default();
        b.records
            .push(("urn:a:1".into(), Role::Source, b"r".to_vec()));
        b.payloads.push(payload(9, "urn:a:1", 1, "p"));
        store.commit(b).unwrap();
        let mut b = Batch::default();
        b.payloads
            .push(payload(9, "urn:a:1", 2, "duplicate handle"));
        b.audit.push(entry(7, "{\"action\":\"lost\"}"));
        assert!(store.commit(b).is_err());
        let store = Store::open(h.restart(store.into_backend()), ring(&[1])).unwrap();
        assert_eq!(
            store.audit().unwrap(),
            vec![
                entry(5, "{\"action\":\"b\"}"),
                entry(3, "{\"action\":\"a\"}")
            ]
        );
    }

    /// A gateway's dead letters (sealed, replaced, deleted, re-sealed on rewrap) and
    /// hand-off marks (raised, never lowered, gone with their sequence) survive a restart.
    pub fn dead_letters_and_handoff_marks<H: Harness>(h: &mut H) {
        let store = Store::open(h.fresh(), ring(&[1])).unwrap();
        let letter = |seq: &str, n: u64, text: &str| crate::DeadLetterPut {
            sequence: seq.into(),
            number: n,
            plaintext: Zeroizing::new(text.as_bytes().to_vec()),
        };
        let mut b = Batch::default();
        b.records
            .push(("urn:d:9".into(), Role::Destination, b"r".to_vec()));
        b.dead_letters.push(letter("urn:d:9", 4, "poison-four"));
        b.dead_letters.push(letter("urn:d:9", 7, "poison-seven"));
        b.handoffs.push(("urn:d:9".into(), 6));
        b.handoffs.push(("urn:d:8".into(), 2));
        store.commit(b).unwrap();
        let mut b = Batch::default();
        b.handoffs.push(("urn:d:9".into(), 3));
        b.dead_letter_deletes.push(("urn:d:9".into(), 4));
        b.dead_letters
            .push(letter("urn:d:9", 7, "poison-seven-again"));
        store.commit(b).unwrap();
        let store = Store::open(h.restart(store.into_backend()), ring(&[1])).unwrap();
        assert_eq!(
            store.handoffs().unwrap(),
            vec![("urn:d:8".to_owned(), 2), ("urn:d:9".to_owned(), 6)]
        );
        let letters = store.dead_letters().unwrap();
        assert_eq!(letters.len(), 1);
        assert_eq!(
            (letters[0].sequence.as_str(), letters[0].number),
            ("urn:d:9", 7)
        );
        assert_eq!(&letters[0].plaintext[..], b"poison-seven-again");
        // Sealed: the text is not in the rows.
        let raw = store.backend().dead_letters().unwrap();
        assert!(!raw[0].blob.windows(6).any(|w| w == b"poison"));
        // Rotation: re-sealed under the new key, readable with it alone.
        let store = Store::open(store.into_backend(), ring(&[2, 1])).unwrap();
        assert!(store.rewrap().unwrap() >= 1);
        let store = Store::open(store.into_backend(), ring(&[2])).unwrap();
        assert_eq!(store.dead_letters().unwrap().len(), 1);
        assert!(store.check().unwrap().problems.is_empty());
        // The sequence's deletion takes its mark, not its dead letters.
        let mut b = Batch::default();
        b.sequence_deletes.push("urn:d:9".into());
        store.commit(b).unwrap();
        assert_eq!(store.handoffs().unwrap(), vec![("urn:d:8".to_owned(), 2)]);
        assert_eq!(store.dead_letters().unwrap().len(), 1);
    }

    /// Records, payloads and tokens come back after a restart, in order.
    pub fn round_trip_after_restart<H: Harness>(h: &mut H) {
        let store = Store::open(h.fresh(), ring(&[1])).unwrap();
        let mut b = Batch::default();
        b.records
            .push(("urn:s:1".into(), Role::Source, b"created".to_vec()));
        b.records
            .push(("urn:s:1".into(), Role::Source, b"stored 1".to_vec()));
        b.records
            .push(("urn:d:1".into(), Role::Destination, b"created".to_vec()));
        b.payloads.push(payload(7, "urn:s:1", 1, "hello"));
        b.tokens.push(token("urn:uuid:sct", "secret-1"));
        store.commit(b).unwrap();
        let mut b = Batch::default();
        b.records
            .push(("urn:s:1".into(), Role::Source, b"stored 2".to_vec()));
        b.payloads.push(payload(8, "urn:s:1", 2, "world"));
        store.commit(b).unwrap();
        let store = Store::open(h.restart(store.into_backend()), ring(&[1])).unwrap();
        let snap = store.load().unwrap();
        assert_eq!(snap.sequences.len(), 2);
        let s = snap
            .sequences
            .iter()
            .find(|l| l.sequence == "urn:s:1")
            .unwrap();
        assert_eq!(s.role, Role::Source);
        assert_eq!(
            s.records,
            vec![
                b"created".to_vec(),
                b"stored 1".to_vec(),
                b"stored 2".to_vec()
            ]
        );
        assert_eq!(s.payloads, vec![(7, 1), (8, 2)]);
        assert_eq!(store.payload(8).unwrap().unwrap().as_slice(), b"world");
        assert_eq!(snap.tokens.len(), 1);
        assert_eq!(snap.tokens[0].serialized.as_slice(), b"secret-1");
        assert_eq!(snap.tokens[0].expires_at_ms, Some(1_900_000_000_000));
    }

    /// A batch that conflicts is rejected whole, and later commits continue.
    pub fn a_conflicting_batch_changes_nothing<H: Harness>(h: &mut H) {
        let store = Store::open(h.fresh(), ring(&[1])).unwrap();
        let mut b = Batch::default();
        b.records
            .push(("urn:s:2".into(), Role::Source, b"r0".to_vec()));
        b.payloads.push(payload(1, "urn:s:2", 1, "one"));
        store.commit(b).unwrap();
        let mut bad = Batch::default();
        bad.records
            .push(("urn:s:2".into(), Role::Source, b"must not appear".to_vec()));
        bad.tokens.push(token("urn:uuid:t", "nor this"));
        bad.payloads
            .push(payload(1, "urn:s:2", 2, "duplicate handle"));
        assert!(matches!(store.commit(bad), Err(StoreError::Conflict(_))));
        let mut b = Batch::default();
        b.records
            .push(("urn:s:2".into(), Role::Source, b"r1".to_vec()));
        store.commit(b).unwrap();
        let store = Store::open(h.restart(store.into_backend()), ring(&[1])).unwrap();
        let snap = store.load().unwrap();
        assert_eq!(
            snap.sequences[0].records,
            vec![b"r0".to_vec(), b"r1".to_vec()]
        );
        assert!(snap.tokens.is_empty());
        assert_eq!(store.payload(1).unwrap().unwrap().as_slice(), b"one");
    }

    /// Deleting payloads, sequences and tokens.
    pub fn deletes<H: Harness>(h: &mut H) {
        let store = Store::open(h.fresh(), ring(&[1])).unwrap();
        let mut b = Batch::default();
        for n in 1..=3 {
            b.payloads.push(payload(n, "urn:s:3", n, "x"));
        }
        b.records
            .push(("urn:s:3".into(), Role::Source, b"r".to_vec()));
        b.records
            .push(("urn:d:3".into(), Role::Destination, b"r".to_vec()));
        b.payloads.push(payload(10, "urn:d:3", 1, "held"));
        b.tokens.push(token("urn:uuid:a", "a"));
        b.tokens.push(token("urn:uuid:b", "b"));
        store.commit(b).unwrap();
        let mut b = Batch::default();
        b.payload_deletes.push(2);
        b.sequence_deletes.push("urn:d:3".into());
        b.token_deletes.push("urn:uuid:a".into());
        store.commit(b).unwrap();
        let store = Store::open(h.restart(store.into_backend()), ring(&[1])).unwrap();
        let snap = store.load().unwrap();
        assert_eq!(snap.sequences.len(), 1);
        assert_eq!(snap.sequences[0].payloads, vec![(1, 1), (3, 3)]);
        assert!(store.payload(10).unwrap().is_none());
        assert_eq!(
            snap.tokens
                .iter()
                .map(|t| t.identifier.as_str())
                .collect::<Vec<_>>(),
            ["urn:uuid:b"]
        );
    }

    /// A flipped byte or a blob moved to another row is found and named.
    pub fn tampering_is_detected_and_named<H: Harness>(h: &mut H) {
        let store = Store::open(h.fresh(), ring(&[1])).unwrap();
        let mut b = Batch::default();
        b.records
            .push(("urn:s:4".into(), Role::Source, b"r0".to_vec()));
        b.payloads.push(payload(1, "urn:s:4", 1, "one"));
        b.payloads.push(payload(2, "urn:s:4", 2, "two"));
        store.commit(b).unwrap();
        h.tamper_payload(store.backend(), 1, &mut |blob| blob[20] ^= 1);
        match store.payload(1) {
            Err(StoreError::Corrupt(RecordName::Payload {
                handle: 1,
                number: 1,
                ..
            })) => {}
            other => panic!("tampered payload: {other:?}"),
        }
        let mut stolen = Vec::new();
        h.tamper_payload(store.backend(), 2, &mut |blob| stolen.clone_from(blob));
        h.tamper_payload(store.backend(), 1, &mut |blob| blob.clone_from(&stolen));
        assert!(
            matches!(store.payload(1), Err(StoreError::Corrupt(_))),
            "a blob moved to another row opened"
        );
        h.tamper_record(store.backend(), "urn:s:4", 0, &mut |blob| blob.truncate(10));
        match store.load() {
            Err(StoreError::Corrupt(RecordName::Record {
                ref sequence,
                index: 0,
            })) if sequence == "urn:s:4" => {}
            other => panic!("tampered record: {other:?}"),
        }
        let report = store.check().unwrap();
        assert_eq!(report.problems.len(), 2, "{report:?}");
        assert_eq!(report.ok, 1);
        assert!(
            report
                .problems
                .iter()
                .all(|e| e.to_string().contains("urn:s:4"))
        );
    }

    /// Rows sealed under a key the ring does not have are reported, not dropped.
    pub fn unknown_keys_are_reported<H: Harness>(h: &mut H) {
        let store = Store::open(h.fresh(), ring(&[1])).unwrap();
        let mut b = Batch::default();
        b.tokens.push(token("urn:uuid:k", "k"));
        store.commit(b).unwrap();
        let store = Store::open(h.restart(store.into_backend()), ring(&[2])).unwrap();
        assert!(matches!(store.load(), Err(StoreError::UnknownKey { .. })));
        assert_eq!(
            store.backend().tokens().unwrap().len(),
            1,
            "nothing may be dropped"
        );
    }

    /// Old rows open while the old key is in the ring; rewrap moves them to the new one.
    pub fn keys_rotate_and_rewrap<H: Harness>(h: &mut H) {
        let store = Store::open(h.fresh(), ring(&[1])).unwrap();
        let mut b = Batch::default();
        b.records
            .push(("urn:s:5".into(), Role::Source, b"old".to_vec()));
        b.payloads.push(payload(1, "urn:s:5", 1, "old payload"));
        b.tokens.push(token("urn:uuid:r", "old token"));
        store.commit(b).unwrap();
        let store = Store::open(h.restart(store.into_backend()), ring(&[9, 1])).unwrap();
        let mut b = Batch::default();
        b.records
            .push(("urn:s:5".into(), Role::Source, b"new".to_vec()));
        store.commit(b).unwrap();
        assert_eq!(store.load().unwrap().sequences[0].records.len(), 2);
        assert_eq!(store.rewrap().unwrap(), 3);
        assert_eq!(store.rewrap().unwrap(), 0);
        let store = Store::open(h.restart(store.into_backend()), ring(&[9])).unwrap();
        let snap = store.load().unwrap();
        assert_eq!(
            snap.sequences[0].records,
            vec![b"old".to_vec(), b"new".to_vec()]
        );
        assert_eq!(
            store.payload(1).unwrap().unwrap().as_slice(),
            b"old payload"
        );
        assert_eq!(snap.tokens[0].serialized.as_slice(), b"old token");
    }

    /// Many threads commit to their own sequences at once; all of it survives.
    pub fn concurrent_commits_are_all_durable<H: Harness>(h: &mut H) {
        let store = Arc::new(Store::open(h.fresh(), ring(&[1])).unwrap());
        let threads: Vec<_> = (0..8u64)
            .map(|t| {
                let store = Arc::clone(&store);
                std::thread::spawn(move || {
                    for n in 0..25u64 {
                        let mut b = Batch::default();
                        b.records.push((
                            format!("urn:c:{t}"),
                            Role::Source,
                            n.to_be_bytes().to_vec(),
                        ));
                        b.payloads
                            .push(payload(t * 1000 + n, &format!("urn:c:{t}"), n + 1, "p"));
                        store.commit(b).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let store = Arc::try_unwrap(store).unwrap();
        let store = Store::open(h.restart(store.into_backend()), ring(&[1])).unwrap();
        let snap = store.load().unwrap();
        assert_eq!(snap.sequences.len(), 8);
        for log in &snap.sequences {
            let numbers: Vec<u64> = log
                .records
                .iter()
                .map(|r| u64::from_be_bytes(r[..8].try_into().unwrap()))
                .collect();
            assert_eq!(numbers, (0..25).collect::<Vec<_>>(), "{}", log.sequence);
            assert_eq!(log.payloads.len(), 25);
        }
    }

    /// Batches submitted without waiting get growing tickets, complete in submission
    /// order, and are all durable (in log order) once their completions ran; an
    /// empty batch gets the last ticket and completes nothing.
    pub fn submitted_batches_complete_in_order<H: Harness>(h: &mut H) {
        let store = Store::open(h.fresh(), ring(&[1])).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let mut tickets = Vec::new();
        assert_eq!(store.last_ticket(), crate::Ticket(0));
        for n in 0..40u64 {
            let mut b = Batch::default();
            b.records.push((
                "urn:s:1".to_owned(),
                Role::Destination,
                n.to_be_bytes().to_vec(),
            ));
            b.payloads.push(payload(500 + n, "urn:s:1", n + 1, "p"));
            let tx = tx.clone();
            let t = store
                .submit(b, move |t, r| tx.send((t, n, r.is_ok())).unwrap())
                .unwrap();
            tickets.push(t);
        }
        let empty = store
            .submit(Batch::default(), |_, _| {
                panic!("an empty batch completes nothing")
            })
            .unwrap();
        assert_eq!(empty, *tickets.last().unwrap());
        assert_eq!(store.last_ticket(), empty);
        assert!(tickets.windows(2).all(|w| w[0] < w[1]), "{tickets:?}");
        let done: Vec<(crate::Ticket, u64, bool)> = (0..40).map(|_| rx.recv().unwrap()).collect();
        let expected: Vec<_> = tickets
            .iter()
            .zip(0..40)
            .map(|(t, n)| (*t, n, true))
            .collect();
        assert_eq!(done, expected);
        let store = Store::open(h.restart(store.into_backend()), ring(&[1])).unwrap();
        let snap = store.load().unwrap();
        let numbers: Vec<u64> = snap.sequences[0]
            .records
            .iter()
            .map(|r| u64::from_be_bytes(r[..8].try_into().unwrap()))
            .collect();
        assert_eq!(numbers, (0..40).collect::<Vec<_>>());
        assert_eq!(snap.sequences[0].payloads.len(), 40);
    }

    /// Payload and token bytes never reach the backend in clear.
    pub fn nothing_sensitive_is_stored_in_clear<H: Harness>(h: &mut H) {
        let store = Store::open(h.fresh(), ring(&[1])).unwrap();
        let mut b = Batch::default();
        b.records.push((
            "urn:s:6".into(),
            Role::Source,
            b"RECORD-MARKER-0123456789".to_vec(),
        ));
        b.payloads
            .push(payload(1, "urn:s:6", 1, "PAYLOAD-MARKER-0123456789"));
        b.tokens
            .push(token("urn:uuid:x", "TOKEN-SECRET-MARKER-0123456789"));
        store.commit(b).unwrap();
        let contains = |blob: &[u8], marker: &[u8]| blob.windows(marker.len()).any(|w| w == marker);
        let backend = store.backend();
        assert!(
            backend
                .records()
                .unwrap()
                .iter()
                .all(|r| !contains(&r.blob, b"RECORD-MARKER"))
        );
        assert!(
            backend
                .payloads()
                .unwrap()
                .iter()
                .all(|r| !contains(&r.blob, b"PAYLOAD-MARKER"))
        );
        assert!(
            backend
                .tokens()
                .unwrap()
                .iter()
                .all(|r| !contains(&r.blob, b"TOKEN-SECRET-MARKER"))
        );
    }
}
