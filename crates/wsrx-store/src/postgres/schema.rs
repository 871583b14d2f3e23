//! The PostgreSQL schema and its versioned migrations. The tables mirror the SQLite
//! backend's (same names, same columns, sealed blobs); `schema_version` records how
//! many migrations ran. Migrations run in one transaction under an advisory lock, so
//! that nodes starting together migrate once; a database migrated by a newer wsrx is
//! refused ([`StoreError::SchemaTooNew`]).

use tokio_postgres::Client;

use super::pg_err;
use crate::error::StoreError;

/// Key of the transaction-level advisory lock that serialises migrations.
const MIGRATION_LOCK: i64 = 0x7773_7278_6d69_6731; // "wsrxmig1"

/// Schema migrations, applied in order.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: sealed rows, as in SQLite. `COLLATE "C"` orders sequences bytewise, as SQLite does.
    "CREATE TABLE meta (key text PRIMARY KEY, value bytea NOT NULL);
     CREATE TABLE records (sequence text COLLATE \"C\" NOT NULL, idx bigint NOT NULL,
                           role smallint NOT NULL, kek bytea NOT NULL, blob bytea NOT NULL,
                           PRIMARY KEY (sequence, idx));
     CREATE TABLE payloads (handle bigint PRIMARY KEY, sequence text COLLATE \"C\" NOT NULL,
                            number bigint NOT NULL, kek bytea NOT NULL, blob bytea NOT NULL);
     CREATE INDEX payloads_by_sequence ON payloads (sequence, number);
     CREATE TABLE tokens (identifier text COLLATE \"C\" PRIMARY KEY, expires_at_ms bigint,
                          kek bytea NOT NULL, blob bytea NOT NULL);",
    // 2: the nodes sharing this database (one row per node id; the live claim on an id is
    // a session advisory lock, this row is what operators read).
    "CREATE TABLE nodes (node_id text PRIMARY KEY, host text NOT NULL, pid integer NOT NULL,
                         started_at timestamptz NOT NULL DEFAULT now(),
                         seen_at timestamptz NOT NULL DEFAULT now());",
    // 3: the inbound gateway (issue 22): dead letters, sealed like payloads (the database
    // sees the sequence, the number, the key id and the AES-GCM blob), and hand-off marks
    // (per sequence, the highest number the backend accepted; a plain number).
    "CREATE TABLE dead_letters (sequence text COLLATE \"C\" NOT NULL, number bigint NOT NULL,
                               kek bytea NOT NULL, blob bytea NOT NULL,
                               PRIMARY KEY (sequence, number));
     CREATE TABLE handoffs (sequence text COLLATE \"C\" PRIMARY KEY, number bigint NOT NULL);",
    // 4: the audit trail of the admin API (issue 22), in commit order; identifiers and
    // outcomes only, in clear.
    "CREATE TABLE audit (id bigserial PRIMARY KEY, at_ms bigint NOT NULL, entry text NOT NULL);",
    // 5: per-sequence leases with fencing tokens (issue 21, `crate::lease`): who hands a
    // sequence over and commits it, under which token, until when (the database's clock).
    // Tokens come from one sequence, so a later holder always has a larger one.
    "CREATE SEQUENCE lease_fencing;
     CREATE TABLE leases (sequence text COLLATE \"C\" PRIMARY KEY, owner text NOT NULL,
                          token bigint NOT NULL, expires_at timestamptz NOT NULL);
     CREATE INDEX leases_by_owner ON leases (owner);",
];

/// The newest schema version this build knows.
pub(super) fn latest() -> i64 {
    MIGRATIONS.len() as i64
}

/// The schema version of the database (0 when it has none yet).
pub(super) async fn version(client: &Client) -> Result<i64, StoreError> {
    let exists = client
        .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])
        .await
        .map_err(pg_err)?;
    if !exists.get::<_, bool>(0) {
        return Ok(0);
    }
    let row = client
        .query_one(
            "SELECT COALESCE(max(version), 0)::int8 FROM schema_version",
            &[],
        )
        .await
        .map_err(pg_err)?;
    Ok(row.get(0))
}

/// Brings the schema to [`latest`]; returns how many migrations ran. Refuses a newer
/// schema without touching it.
pub(super) async fn migrate(client: &mut Client) -> Result<usize, StoreError> {
    let tx = client.transaction().await.map_err(pg_err)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg_err)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
        .await
        .map_err(pg_err)?;
    let found: i64 = tx
        .query_one(
            "SELECT COALESCE(max(version), 0)::int8 FROM schema_version",
            &[],
        )
        .await
        .map_err(pg_err)?
        .get(0);
    let latest = latest();
    if found > latest {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: latest,
        });
    }
    let mut ran = 0;
    for sql in MIGRATIONS.iter().skip(usize::try_from(found).unwrap_or(0)) {
        tx.batch_execute(sql).await.map_err(pg_err)?;
        ran += 1;
    }
    if ran > 0 {
        tx.execute("DELETE FROM schema_version", &[])
            .await
            .map_err(pg_err)?;
        let v = i32::try_from(latest).unwrap_or(i32::MAX);
        tx.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&v])
            .await
            .map_err(pg_err)?;
    }
    tx.commit().await.map_err(pg_err)?;
    Ok(ran)
}
