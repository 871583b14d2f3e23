//! The conformance suite on the PostgreSQL backend, against a throw-away server started
//! by the test (`initdb` + `pg_ctl` on a free loopback port; skipped, counted, when
//! PostgreSQL is not installed). Each case gets a fresh database; a restart closes the
//! backend and connects again. Also: a newer schema is refused, an unreachable server
//! is a clear, retryable error, a node id cannot be claimed twice, and a server that
//! goes away fails commits as unavailable, never as done.
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
use wsrx_store::testing::conformance::{Harness, run_all};
use wsrx_store::{
    Backend, Batch, KeyRing, PostgresBackend, PostgresOptions, Role, Store, StoreError,
};

struct Postgres<'a> {
    pg: &'a TempPostgres,
    n: usize,
}

impl Postgres<'_> {
    fn current(&self) -> PostgresBackend {
        PostgresBackend::open(options(self.pg, &format!("case{}", self.n))).unwrap()
    }
}

fn options(pg: &TempPostgres, db: &str) -> PostgresOptions {
    PostgresOptions::from_url(&pg.url(db)).unwrap()
}

impl Harness for Postgres<'_> {
    type B = PostgresBackend;

    fn fresh(&mut self) -> PostgresBackend {
        self.n += 1;
        self.pg.create_db(&format!("case{}", self.n));
        self.current()
    }

    fn restart(&mut self, old: PostgresBackend) -> PostgresBackend {
        drop(old);
        self.current()
    }

    fn tamper_payload(
        &self,
        backend: &PostgresBackend,
        handle: u64,
        f: &mut dyn FnMut(&mut Vec<u8>),
    ) {
        backend
            .tamper("payloads", &format!("handle = {handle}"), f)
            .unwrap();
    }

    fn tamper_record(
        &self,
        backend: &PostgresBackend,
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

fn ring() -> KeyRing {
    KeyRing::new(SecretKey::from_vec(vec![3; 32])).unwrap()
}

#[test]
fn postgres_backend_conforms() {
    let Some(pg) = TempPostgres::start() else {
        return;
    };
    let mut h = Postgres { pg: &pg, n: 0 };
    run_all(&mut h);
    // What the database holds is what the suite saw through the backend: blobs only.
    let clear = pg.psql(
        "case9",
        "SELECT count(*) FROM payloads WHERE position('PAYLOAD-MARKER'::bytea in blob) > 0",
    );
    assert_eq!(clear.trim(), "0");
    // The gateway's case (whichever database it ran in): one dead letter kept, sealed (the
    // suite's plaintexts start with "poison"), and the mark of the sequence not deleted.
    let (mut letters, mut clear, mut marks) = (0, 0, Vec::new());
    for case in 1..=h.n {
        let db = format!("case{case}");
        letters += pg
            .psql(&db, "SELECT count(*) FROM dead_letters")
            .trim()
            .parse::<u32>()
            .unwrap();
        clear += pg
            .psql(
                &db,
                "SELECT count(*) FROM dead_letters WHERE position('poison'::bytea in blob) > 0",
            )
            .trim()
            .parse::<u32>()
            .unwrap();
        let m = pg.psql(
            &db,
            "SELECT coalesce(string_agg(sequence || '=' || number, ',' ORDER BY sequence), '') \
             FROM handoffs",
        );
        if !m.trim().is_empty() {
            marks.push(m.trim().to_owned());
        }
    }
    assert_eq!((letters, clear), (1, 0));
    assert_eq!(marks, ["urn:d:8=2"]);
}

/// A database a wsrx without the gateway migrated (schema 2) gets the gateway's tables
/// from migration 3 at the next open, keeping its rows.
#[test]
fn a_schema_2_database_gains_the_gateway_tables() {
    let Some(pg) = TempPostgres::start() else {
        return;
    };
    pg.create_db("older");
    let store = Store::open(
        PostgresBackend::open(options(&pg, "older")).unwrap(),
        ring(),
    )
    .unwrap();
    let mut b = Batch::default();
    b.records
        .push(("urn:old".into(), Role::Destination, b"kept".to_vec()));
    store.commit(b).unwrap();
    let (found, latest) = store.backend().schema_version().unwrap();
    assert_eq!(found, latest);
    assert!(latest >= 3, "{latest}");
    drop(store);
    // Back to what schema 2 had.
    pg.psql(
        "older",
        "DROP TABLE dead_letters; DROP TABLE handoffs; DROP TABLE IF EXISTS audit; \
         DROP TABLE IF EXISTS leases; DROP SEQUENCE IF EXISTS lease_fencing; \
         UPDATE schema_version SET version = 2",
    );
    let store = Store::open(
        PostgresBackend::open(options(&pg, "older")).unwrap(),
        ring(),
    )
    .unwrap();
    assert_eq!(store.backend().schema_version().unwrap(), (latest, latest));
    let mut b = Batch::default();
    b.handoffs.push(("urn:old".into(), 1));
    store.commit(b).unwrap();
    assert_eq!(store.handoffs().unwrap(), vec![("urn:old".to_owned(), 1)]);
    assert_eq!(
        store.load().unwrap().sequences[0].records,
        vec![b"kept".to_vec()]
    );
}

#[test]
fn bad_databases_are_refused_clearly() {
    let Some(pg) = TempPostgres::start() else {
        return;
    };
    pg.create_db("newer");
    drop(PostgresBackend::open(options(&pg, "newer")).unwrap());
    pg.psql("newer", "UPDATE schema_version SET version = 99");
    let err = PostgresBackend::open(options(&pg, "newer")).unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaTooNew { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("newer than this wsrx supports"));

    // Nobody listens on this port (the cluster's own port plus one is not ours... so
    // take a port that was just free).
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let mut o = PostgresOptions::from_url(&format!(
        "postgres://wsrx@127.0.0.1:{port}/x?sslmode=disable"
    ))
    .unwrap();
    o.connect_timeout = Duration::from_secs(2);
    let err = PostgresBackend::open(o).unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
    assert!(
        err.to_string().contains(&format!(
            "cannot reach the store at postgres://wsrx@127.0.0.1:{port}/x"
        )),
        "{err}"
    );
}

#[test]
fn a_node_id_is_claimed_once_and_one_node_serves_at_a_time() {
    let Some(pg) = TempPostgres::start() else {
        return;
    };
    pg.create_db("nodes");
    let a = PostgresBackend::open(options(&pg, "nodes")).unwrap();
    let b = PostgresBackend::open(options(&pg, "nodes")).unwrap();
    a.claim_node("node-1", "host-a").unwrap();
    let err = b.claim_node("node-1", "host-b").unwrap_err();
    assert!(
        matches!(err, StoreError::NodeIdInUse(ref id) if id == "node-1"),
        "{err}"
    );
    let err = b.claim_node("node-2", "host-b").unwrap_err();
    assert!(
        matches!(err, StoreError::Busy(ref who) if who.contains("node-1 (host-a")),
        "{err}"
    );
    // A node that ends frees its id and the store: the standby takes over.
    drop(a);
    let c = PostgresBackend::open(options(&pg, "nodes")).unwrap();
    c.claim_node("node-1", "host-c").unwrap();
    assert_eq!(
        pg.psql(
            "nodes",
            "SELECT string_agg(node_id || '@' || host, ',' ORDER BY node_id) FROM nodes"
        )
        .trim(),
        "node-1@host-c"
    );
}

#[test]
fn a_lost_server_fails_commits_as_unavailable_and_they_resume() {
    let Some(pg) = TempPostgres::start() else {
        return;
    };
    pg.create_db("lost");
    let mut o = options(&pg, "lost");
    o.connect_timeout = Duration::from_secs(2);
    o.op_timeout = Duration::from_secs(5);
    let store = Store::open(PostgresBackend::open(o).unwrap(), ring()).unwrap();
    let batch = |text: &[u8]| {
        let mut b = Batch::default();
        b.records
            .push(("urn:s".into(), Role::Source, text.to_vec()));
        b
    };
    store.commit(batch(b"before")).unwrap();
    pg.stop();
    let err = store.commit(batch(b"while down")).unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
    pg.restart();
    // The pool replaces its dead connections: commits resume without a new backend.
    let mut resumed = store.commit(batch(b"after"));
    for _ in 0..20 {
        if resumed.is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
        resumed = store.commit(batch(b"after"));
    }
    resumed.unwrap();
    let records = &store.load().unwrap().sequences[0].records;
    assert_eq!(records, &[b"before".to_vec(), b"after".to_vec()]);
    assert_eq!(store.backend().records().unwrap().len(), 2);
}
