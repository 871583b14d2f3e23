//! The conformance suite on the SQLite backend, each case in a fresh database
//! file; a restart closes the backend and opens the file again.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::path::PathBuf;

use wsrx_store::testing::conformance::{Harness, run_all};
use wsrx_store::{SqliteBackend, SqliteOptions};

struct Sqlite {
    dir: PathBuf,
    n: usize,
    current: PathBuf,
}

impl Sqlite {
    fn new() -> Self {
        let dir =
            std::env::temp_dir().join(format!("wsrx-store-conformance-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self {
            dir,
            n: 0,
            current: PathBuf::new(),
        }
    }
}

impl Drop for Sqlite {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Harness for Sqlite {
    type B = SqliteBackend;

    fn fresh(&mut self) -> SqliteBackend {
        self.n += 1;
        self.current = self.dir.join(format!("case-{}.db", self.n));
        SqliteBackend::open(&self.current, SqliteOptions::default()).unwrap()
    }

    fn restart(&mut self, old: SqliteBackend) -> SqliteBackend {
        drop(old);
        SqliteBackend::open(&self.current, SqliteOptions::default()).unwrap()
    }

    fn tamper_payload(
        &self,
        backend: &SqliteBackend,
        handle: u64,
        f: &mut dyn FnMut(&mut Vec<u8>),
    ) {
        backend
            .tamper("payloads", &format!("handle = {handle}"), f)
            .unwrap();
    }

    fn tamper_record(
        &self,
        backend: &SqliteBackend,
        sequence: &str,
        index: u64,
        f: &mut dyn FnMut(&mut Vec<u8>),
    ) {
        backend
            .tamper(
                "records",
                &format!("sequence = '{sequence}' AND idx = {index}"),
                f,
            )
            .unwrap();
    }
}

#[test]
fn sqlite_backend_conforms() {
    run_all(&mut Sqlite::new());
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = std::env::temp_dir().join(format!("wsrx-store-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.db");
    drop(SqliteBackend::open(&path, SqliteOptions::default()).unwrap());
    let conn = rusqlite_free_user_version(&path, 99);
    assert!(conn);
    let err = SqliteBackend::open(&path, SqliteOptions::default()).unwrap_err();
    assert!(
        matches!(err, wsrx_store::StoreError::SchemaTooNew { found: 99, .. }),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Sets `PRAGMA user_version` through the sqlite3-compatible file header (offset 60,
/// big-endian), so this test needs no SQL client of its own.
fn rusqlite_free_user_version(path: &std::path::Path, version: u32) -> bool {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[60..64].copy_from_slice(&version.to_be_bytes());
    std::fs::write(path, bytes).is_ok()
}

#[test]
fn space_of_forgotten_sequences_is_given_back() {
    use wsrx_store::{Batch, KeyRing, PayloadPut, Role, Store};
    let dir = std::env::temp_dir().join(format!("wsrx-store-vacuum-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("v.db");
    let ring = KeyRing::new(wsrx_crypto::SecretKey::from_vec(vec![5; 32])).unwrap();
    let store = Store::open(
        SqliteBackend::open(&path, SqliteOptions::default()).unwrap(),
        ring,
    )
    .unwrap();
    let pages = || {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let count: i64 = conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        let free: i64 = conn
            .query_row("PRAGMA freelist_count", [], |r| r.get(0))
            .unwrap();
        (count, free)
    };
    for n in 0..200u64 {
        let mut b = Batch::default();
        b.records.push((
            "urn:big".into(),
            Role::Destination,
            n.to_be_bytes().to_vec(),
        ));
        b.payloads.push(PayloadPut {
            handle: n,
            sequence: "urn:big".into(),
            number: n + 1,
            plaintext: zeroize::Zeroizing::new(vec![b'p'; 4096]),
        });
        store.commit(b).unwrap();
    }
    let (full, _) = pages();
    let mut b = Batch::default();
    b.sequence_deletes.push("urn:big".into());
    store.commit(b).unwrap();
    // The vacuum runs after the group's replies: the next commit follows it.
    let mut b = Batch::default();
    b.records
        .push(("urn:small".into(), Role::Source, b"r".to_vec()));
    store.commit(b).unwrap();
    let (after, free) = pages();
    assert!(
        after < full / 4,
        "pages: {full} with the sequence, {after} after it was forgotten ({free} free)"
    );
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}
