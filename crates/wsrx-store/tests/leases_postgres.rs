//! Per-sequence leases with fencing tokens on the PostgreSQL backend (issue 21), against
//! a throw-away server (skipped, counted, when PostgreSQL is not installed): a lease is
//! exclusive while it lasts; a commit under a fence that no longer holds is refused
//! whole, in the same transaction (a node paused past its lease writes nothing); an
//! expired lease is taken over with a larger token; a released one is free at once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::time::Duration;

use wsrx_crypto::SecretKey;
use wsrx_peers::postgres::TempPostgres;
use wsrx_store::lease::{Acquired, Fence};
use wsrx_store::{Batch, KeyRing, PostgresBackend, PostgresOptions, Role, Store, StoreError};

fn ring() -> KeyRing {
    KeyRing::new(SecretKey::from_vec(vec![3; 32])).unwrap()
}

fn node(pg: &TempPostgres) -> Store<PostgresBackend> {
    let backend =
        PostgresBackend::open(PostgresOptions::from_url(&pg.url("leases")).unwrap()).unwrap();
    Store::open(backend, ring()).unwrap()
}

/// A batch appending `record` to `sequence`'s log under `owner`'s lease `token`.
fn fenced(sequence: &str, owner: &str, token: u64, record: &[u8]) -> Batch {
    Batch {
        records: vec![(sequence.to_owned(), Role::Destination, record.to_vec())],
        fences: vec![Fence {
            sequence: sequence.to_owned(),
            owner: owner.to_owned(),
            token,
        }],
        ..Batch::default()
    }
}

/// The records of `sequence` in the store, opened.
fn log(store: &Store<PostgresBackend>, sequence: &str) -> Vec<Vec<u8>> {
    store
        .load()
        .unwrap()
        .sequences
        .into_iter()
        .filter(|l| l.sequence == sequence)
        .flat_map(|l| l.records)
        .collect()
}

fn granted(a: Acquired) -> (u64, Option<String>) {
    match a {
        Acquired::Granted {
            token,
            previous_owner,
        } => (token, previous_owner),
        other => panic!("not granted: {other:?}"),
    }
}

#[test]
fn leases_are_exclusive_fenced_in_the_commit_and_taken_over_after_expiry() {
    let Some(pg) = TempPostgres::start() else {
        return;
    };
    pg.create_db("leases");
    let (a, b) = (node(&pg), node(&pg));
    let long = Duration::from_secs(60);

    // A holds s1; B is told who holds it and for how long.
    let (ta, before) = granted(a.backend().acquire_lease("s1", "node-a", long).unwrap());
    assert_eq!(before, None);
    match b.backend().acquire_lease("s1", "node-b", long).unwrap() {
        Acquired::HeldBy {
            owner,
            remaining_ms,
        } => {
            assert_eq!(owner, "node-a");
            assert!(remaining_ms > 0 && remaining_ms <= 60_000, "{remaining_ms}");
        }
        other => panic!("{other:?}"),
    }
    assert!(a.backend().renew_lease("s1", "node-a", ta, long).unwrap());
    assert_eq!(
        a.backend().lease_counts().unwrap(),
        vec![("node-a".to_owned(), 1)]
    );

    // A commits under its fence; B, and A under a wrong token, are refused whole.
    a.commit(fenced("s1", "node-a", ta, b"by a")).unwrap();
    let err = b.commit(fenced("s1", "node-b", ta, b"by b")).unwrap_err();
    assert!(
        matches!(err, StoreError::Fenced(ref s) if s == "s1"),
        "{err}"
    );
    let err = a
        .commit(fenced("s1", "node-a", ta + 1_000, b"stale"))
        .unwrap_err();
    assert!(matches!(err, StoreError::Fenced(_)), "{err}");
    assert_eq!(log(&a, "s1"), vec![b"by a".to_vec()]);

    // A is paused: its lease runs out (renewed for 1 ms, the last thing it did).
    assert!(
        a.backend()
            .renew_lease("s1", "node-a", ta, Duration::from_millis(1))
            .unwrap()
    );
    // B asks until the database says the lease expired, and takes it over.
    let (tb, previous) = loop {
        match b.backend().acquire_lease("s1", "node-b", long).unwrap() {
            Acquired::Granted {
                token,
                previous_owner,
            } => break (token, previous_owner),
            Acquired::HeldBy { remaining_ms, .. } => {
                std::thread::sleep(Duration::from_millis(remaining_ms.clamp(1, 100)));
            }
        }
    };
    assert!(tb > ta, "fencing tokens grow: {tb} after {ta}");
    assert_eq!(previous.as_deref(), Some("node-a"), "a takeover");
    // What a node does on a takeover: its next records of s1 go after A's.
    b.adopt_sequence("s1").unwrap();

    // A runs again: it cannot renew, and its commits are refused, even queued with
    // others in one group (which still commit).
    assert!(!a.backend().renew_lease("s1", "node-a", ta, long).unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let stale_tx = tx.clone();
    a.submit(
        fenced("s1", "node-a", ta, b"after the pause"),
        move |_, r| {
            let _ = stale_tx.send(("stale", r.map_err(|e| e.to_string())));
        },
    )
    .unwrap();
    let (tc, _) = granted(a.backend().acquire_lease("s2", "node-a", long).unwrap());
    a.submit(fenced("s2", "node-a", tc, b"s2 by a"), move |_, r| {
        let _ = tx.send(("fresh", r.map_err(|e| e.to_string())));
    })
    .unwrap();
    let mut results: Vec<(&str, Result<(), String>)> = rx.iter().take(2).collect();
    results.sort_by_key(|(k, _)| *k);
    assert_eq!(results[0].0, "fresh");
    assert_eq!(results[0].1, Ok(()));
    assert_eq!(results[1].0, "stale");
    assert!(
        results[1].1.as_ref().unwrap_err().contains("lease"),
        "{:?}",
        results[1].1
    );
    b.commit(fenced("s1", "node-b", tb, b"by b")).unwrap();
    assert_eq!(log(&b, "s1"), vec![b"by a".to_vec(), b"by b".to_vec()]);
    assert_eq!(log(&b, "s2"), vec![b"s2 by a".to_vec()]);

    // Released (a graceful hand-back): free at once for the other node.
    assert!(b.backend().release_lease("s1", "node-b", tb).unwrap());
    let (ta2, previous) = granted(a.backend().acquire_lease("s1", "node-a", long).unwrap());
    assert!(ta2 > tb);
    assert_eq!(previous, None);
    assert_eq!(a.backend().release_leases("node-a").unwrap(), 2);
    assert!(a.backend().lease_counts().unwrap().is_empty());
}
