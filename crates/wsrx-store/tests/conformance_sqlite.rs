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
