//! The clustered backend: PostgreSQL, for several `wsrx serve` nodes sharing one store.
//!
//! - Same rows as SQLite (sealed by [`crate::Store`] before they get here: the database
//!   sees identifiers, positions, key ids and AES-GCM blobs, never a payload or a
//!   secret in clear), same conformance suite.
//! - Async inside: tokio-postgres over a deadpool pool, on a small runtime of the
//!   backend's own, so that the blocking [`Backend`] interface can be called from any
//!   thread (a tokio worker of the caller's runtime included) without nesting runtimes.
//! - One writer task commits queued batches in queue order, several per transaction
//!   (group commit), with the durability of PostgreSQL's `COMMIT`
//!   (`synchronous_commit` as the server is configured; `on` by default).
//! - Versioned migrations at open ([`schema`]); a newer schema is refused.
//! - A database that cannot be reached, or stops answering, is
//!   [`StoreError::Unavailable`]: retryable, and nothing is reported durable that was
//!   not committed (a commit whose outcome is unknown is reported failed).
//! - [`PostgresBackend::claim_node`]: a node id is claimed with a session advisory lock,
//!   so two live nodes cannot run under one id.
//! - Per-sequence leases with fencing tokens ([`crate::lease`]):
//!   [`PostgresBackend::acquire_lease`], renew, release; a batch's fences are checked in
//!   its own transaction (`FOR SHARE`, so a takeover waits for a commit under way).

mod connect;
mod lease;
mod schema;
mod writer;

use std::future::Future;
use std::sync::Mutex;
use std::sync::mpsc as std_mpsc;

use deadpool_postgres::Pool;
use tokio::sync::mpsc::{self, UnboundedSender};
use tokio_postgres::error::SqlState;

use crate::job::Job;
pub use connect::{PostgresOptions, is_postgres_url};

use crate::backend::{
    AuditRow, Backend, Completion, DeadLetterRow, PayloadRow, RecordRow, RowBatch, TokenRow,
};
use crate::error::StoreError;

/// A PostgreSQL store (see the module docs).
pub struct PostgresBackend {
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    pool: Pool,
    options: PostgresOptions,
    sender: Mutex<Option<UnboundedSender<Job>>>,
    writer_done: Mutex<Option<std_mpsc::Receiver<()>>>,
    node: Mutex<Option<tokio_postgres::Client>>,
}

impl std::fmt::Debug for PostgresBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresBackend")
            .field("url", &self.options.url())
            .finish_non_exhaustive()
    }
}

/// A tokio-postgres error as a store error: unique violations are conflicts; lost
/// connections, shutdowns and the like are retryable unavailability.
pub(crate) fn pg_err(e: tokio_postgres::Error) -> StoreError {
    let Some(db) = e.as_db_error() else {
        // No answer from the server: the connection is gone or never came.
        return StoreError::Unavailable(format!("PostgreSQL: {e}"));
    };
    let code = db.code();
    if *code == SqlState::UNIQUE_VIOLATION {
        return StoreError::Conflict(db.message().to_owned());
    }
    let retryable = code.code().starts_with("08")
        || code.code().starts_with("53")
        || code.code().starts_with("57P")
        || *code == SqlState::T_R_SERIALIZATION_FAILURE
        || *code == SqlState::T_R_DEADLOCK_DETECTED;
    let text = format!("PostgreSQL: {}: {}", code.code(), db.message());
    if retryable {
        StoreError::Unavailable(text)
    } else {
        StoreError::Backend(text)
    }
}

/// A pool error (no connection within the timeout, or connecting failed).
pub(crate) fn pool_err(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => pg_err(e),
        other => StoreError::Unavailable(format!("PostgreSQL: {other}")),
    }
}

fn kek(bytes: &[u8]) -> [u8; 8] {
    let mut k = [0u8; 8];
    for (d, s) in k.iter_mut().zip(bytes) {
        *d = *s;
    }
    k
}

impl PostgresBackend {
    /// Connects, migrates the schema to this build's version, and starts the writer.
    /// Fails with [`StoreError::Unavailable`] (naming the URL) when the database cannot
    /// be reached within `options.connect_timeout`, and with
    /// [`StoreError::SchemaTooNew`] when a newer wsrx migrated it.
    pub fn open(options: PostgresOptions) -> Result<Self, StoreError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("wsrx-store-pg")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Backend(format!("cannot start the store's runtime: {e}")))?;
        let handle = runtime.handle().clone();
        // Entered, not blocked on: `open` may run inside another runtime.
        let pool = {
            let _entered = runtime.enter();
            options.pool()?
        };
        let backend = Self {
            runtime: Some(runtime),
            handle,
            pool,
            options,
            sender: Mutex::new(None),
            writer_done: Mutex::new(None),
            node: Mutex::new(None),
        };
        let pool = backend.pool.clone();
        let url = backend.options.url().to_owned();
        backend
            .block(async move {
                let mut client = pool.get().await.map_err(pool_err)?;
                schema::migrate(&mut client).await.map(|_| ())
            })
            .map_err(|e| match e {
                StoreError::Unavailable(why) => {
                    StoreError::Unavailable(format!("cannot reach the store at {url}: {why}"))
                }
                other => other,
            })?;
        let (sender, queue) = mpsc::unbounded_channel();
        let (done_tx, done_rx) = std_mpsc::channel();
        let (pool, max_group, limit) = (
            backend.pool.clone(),
            backend.options.max_group.max(1),
            backend.options.op_timeout,
        );
        backend.handle.spawn(async move {
            writer::run(pool, queue, max_group, limit).await;
            let _ = done_tx.send(());
        });
        *lock(&backend.sender)? = Some(sender);
        *lock(&backend.writer_done)? = Some(done_rx);
        Ok(backend)
    }

    /// Runs `f` on the backend's runtime and waits for it, at most `op_timeout`.
    fn block<T: Send + 'static>(
        &self,
        f: impl Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = std_mpsc::sync_channel(1);
        let limit = self.options.op_timeout.max(self.options.connect_timeout);
        self.handle.spawn(async move {
            let result = tokio::time::timeout(limit, f).await.unwrap_or_else(|_| {
                Err(StoreError::Unavailable(format!(
                    "PostgreSQL did not answer within {} s",
                    limit.as_secs()
                )))
            });
            let _ = tx.send(result);
        });
        rx.recv().map_err(|_| StoreError::Closed)?
    }

    /// The schema version of the database and the newest this build knows.
    pub fn schema_version(&self) -> Result<(i64, i64), StoreError> {
        let pool = self.pool.clone();
        let found = self.block(async move {
            let client = pool.get().await.map_err(pool_err)?;
            schema::version(&client).await
        })?;
        Ok((found, schema::latest()))
    }

    /// Claims `node_id` for this process for as long as the backend lives: a session
    /// advisory lock on a connection of its own (released by PostgreSQL when that
    /// connection ends, so a node that dies frees its id), and a row in `nodes`.
    /// Refused with [`StoreError::NodeIdInUse`] while another live node holds it, and
    /// with [`StoreError::Busy`] while another node serves the store at all: until
    /// sequences are handed between nodes under leases, one node serves a store at a
    /// time and a standby takes over when it stops (active/passive).
    ///
    /// Limit: if the claim's connection is lost (the database restarted), the locks are
    /// gone with it and are not taken again; the node's next commit fails anyway
    /// (the pool's connections were cut too), which stops `wsrx serve`.
    pub fn claim_node(&self, node_id: &str, host: &str) -> Result<(), StoreError> {
        let config = self.options.config();
        let tls = self.options.tls()?;
        let (id, host) = (node_id.to_owned(), host.to_owned());
        let pid = i32::try_from(std::process::id()).unwrap_or(i32::MAX);
        let client = self.block(async move {
            let (client, connection) = config.connect(tls).await.map_err(pg_err)?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing_free_log(&format!("node-id connection ended: {e}"));
                }
            });
            let got: bool = client
                .query_one(
                    "SELECT pg_try_advisory_lock(hashtext('wsrx-node'), hashtext($1))",
                    &[&id],
                )
                .await
                .map_err(pg_err)?
                .get(0);
            if !got {
                return Err(StoreError::NodeIdInUse(id));
            }
            // One serving node per store until the machines' state is shared between
            // nodes: two nodes would each recover, and drive, every sequence.
            let alone: bool = client
                .query_one(
                    "SELECT pg_try_advisory_lock(hashtext('wsrx-serving'), 0)",
                    &[],
                )
                .await
                .map_err(pg_err)?
                .get(0);
            if !alone {
                let others: String = client
                    .query_one(
                        "SELECT coalesce(string_agg(node_id || ' (' || host || ', pid ' || pid \
                         || ')', ', ' ORDER BY seen_at DESC), 'unknown') FROM nodes \
                         WHERE node_id <> $1",
                        &[&id],
                    )
                    .await
                    .map_err(pg_err)?
                    .get(0);
                return Err(StoreError::Busy(others));
            }
            client
                .execute(
                    "INSERT INTO nodes (node_id, host, pid) VALUES ($1, $2, $3) \
                     ON CONFLICT (node_id) DO UPDATE SET host = EXCLUDED.host, \
                     pid = EXCLUDED.pid, started_at = now(), seen_at = now()",
                    &[&id, &host, &pid],
                )
                .await
                .map_err(pg_err)?;
            Ok(client)
        })?;
        *lock(&self.node)? = Some(client);
        Ok(())
    }

    /// True while the database answers (for readiness checks).
    pub fn ping(&self) -> bool {
        let pool = self.pool.clone();
        self.block(async move {
            let client = pool.get().await.map_err(pool_err)?;
            client.simple_query("SELECT 1").await.map_err(pg_err)?;
            Ok(())
        })
        .is_ok()
    }

    fn queue(&self, job: Job) {
        let sender = self.sender.lock().ok().and_then(|s| s.clone());
        match sender {
            Some(tx) => {
                if let Err(mpsc::error::SendError(job)) = tx.send(job) {
                    job.reply.send(Err(StoreError::Closed));
                }
            }
            None => job.reply.send(Err(StoreError::Closed)),
        }
    }

    /// Stops the writer after the queued batches are committed (or failed).
    pub fn close(&self) {
        if let Ok(mut s) = self.sender.lock() {
            s.take();
        }
        if let Some(done) = self.writer_done.lock().ok().and_then(|mut w| w.take()) {
            let _ = done.recv();
        }
        if let Ok(mut n) = self.node.lock() {
            n.take();
        }
    }

    /// Testing and repair hook: runs `f` on the sealed bytes of the row selected by
    /// `table` (`records`, `payloads`, `tokens` or `dead_letters`) and `where_clause`.
    pub fn tamper(
        &self,
        table: &str,
        where_clause: &str,
        f: impl FnOnce(&mut Vec<u8>),
    ) -> Result<(), StoreError> {
        let pool = self.pool.clone();
        let select = format!("SELECT blob FROM {table} WHERE {where_clause}");
        let blob: Option<Vec<u8>> = self.block(async move {
            let client = pool.get().await.map_err(pool_err)?;
            let row = client.query_opt(&select, &[]).await.map_err(pg_err)?;
            Ok(row.map(|r| r.get(0)))
        })?;
        let Some(mut blob) = blob else {
            return Ok(());
        };
        f(&mut blob);
        let pool = self.pool.clone();
        let update = format!("UPDATE {table} SET blob = $1 WHERE {where_clause}");
        self.block(async move {
            let client = pool.get().await.map_err(pool_err)?;
            client.execute(&update, &[&blob]).await.map_err(pg_err)?;
            Ok(())
        })
    }

    fn rows<T: Send + 'static>(
        &self,
        sql: &'static str,
        map: fn(&tokio_postgres::Row) -> T,
    ) -> Result<Vec<T>, StoreError> {
        let pool = self.pool.clone();
        self.block(async move {
            let client = pool.get().await.map_err(pool_err)?;
            let rows = client.query(sql, &[]).await.map_err(pg_err)?;
            Ok(rows.iter().map(map).collect())
        })
    }
}

/// Messages of the backend's own tasks (no logging dependency in this crate).
fn tracing_free_log(text: &str) {
    eprintln!("wsrx store: {text}");
}

fn lock<T>(m: &Mutex<T>) -> Result<std::sync::MutexGuard<'_, T>, StoreError> {
    m.lock()
        .map_err(|_| StoreError::Backend("store state poisoned".into()))
}

impl Drop for PostgresBackend {
    fn drop(&mut self) {
        self.close();
        if let Some(rt) = self.runtime.take() {
            // Never blocks, so a backend may be dropped inside another runtime.
            rt.shutdown_background();
        }
    }
}

fn record_row(r: &tokio_postgres::Row) -> RecordRow {
    RecordRow {
        sequence: r.get(0),
        index: r.get::<_, i64>(1) as u64,
        role: u8::try_from(r.get::<_, i16>(2)).unwrap_or(0),
        kek: kek(r.get(3)),
        blob: r.get(4),
    }
}

fn payload_row(r: &tokio_postgres::Row) -> PayloadRow {
    PayloadRow {
        handle: r.get::<_, i64>(0) as u64,
        sequence: r.get(1),
        number: r.get::<_, i64>(2) as u64,
        kek: kek(r.get(3)),
        blob: r.get(4),
    }
}

fn token_row(r: &tokio_postgres::Row) -> TokenRow {
    TokenRow {
        identifier: r.get(0),
        expires_at_ms: r.get(1),
        kek: kek(r.get(2)),
        blob: r.get(3),
    }
}

fn dead_letter_row(r: &tokio_postgres::Row) -> DeadLetterRow {
    DeadLetterRow {
        sequence: r.get(0),
        number: r.get::<_, i64>(1) as u64,
        kek: kek(r.get(2)),
        blob: r.get(3),
    }
}

fn handoff_row(r: &tokio_postgres::Row) -> (String, u64) {
    (r.get(0), r.get::<_, i64>(1) as u64)
}

impl Backend for PostgresBackend {
    fn commit(&self, batch: RowBatch) -> Result<(), StoreError> {
        crate::job::commit_and_wait(batch, |job| self.queue(job))
    }

    fn submit(&self, batch: RowBatch, done: Completion) {
        crate::job::submit(batch, done, |job| self.queue(job));
    }

    fn store_id(&self) -> Result<Option<[u8; 16]>, StoreError> {
        let pool = self.pool.clone();
        let v: Option<Vec<u8>> = self.block(async move {
            let client = pool.get().await.map_err(pool_err)?;
            let row = client
                .query_opt("SELECT value FROM meta WHERE key = 'store_id'", &[])
                .await
                .map_err(pg_err)?;
            Ok(row.map(|r| r.get(0)))
        })?;
        Ok(v.map(|bytes| {
            let mut id = [0u8; 16];
            for (d, s) in id.iter_mut().zip(bytes) {
                *d = s;
            }
            id
        }))
    }

    fn set_store_id(&self, id: [u8; 16]) -> Result<(), StoreError> {
        let pool = self.pool.clone();
        self.block(async move {
            let client = pool.get().await.map_err(pool_err)?;
            // Two nodes creating one store at once: the first id wins, and
            // `Store::open` reads it back.
            client
                .execute(
                    "INSERT INTO meta (key, value) VALUES ('store_id', $1) ON CONFLICT DO NOTHING",
                    &[&&id[..]],
                )
                .await
                .map_err(pg_err)?;
            Ok(())
        })
    }

    fn log_end(&self, sequence: &str) -> Result<u64, StoreError> {
        let pool = self.pool.clone();
        let sequence = sequence.to_owned();
        let end: i64 = self.block(async move {
            let client = pool.get().await.map_err(pool_err)?;
            let row = client
                .query_one(
                    "SELECT coalesce(max(idx) + 1, 0)::int8 FROM records WHERE sequence = $1",
                    &[&sequence],
                )
                .await
                .map_err(pg_err)?;
            Ok(row.get(0))
        })?;
        Ok(u64::try_from(end).unwrap_or(0))
    }

    fn records(&self) -> Result<Vec<RecordRow>, StoreError> {
        self.rows(
            "SELECT sequence, idx, role, kek, blob FROM records ORDER BY sequence, idx",
            record_row,
        )
    }

    fn payloads(&self) -> Result<Vec<PayloadRow>, StoreError> {
        self.rows(
            "SELECT handle, sequence, number, kek, blob FROM payloads ORDER BY handle",
            payload_row,
        )
    }

    fn payload(&self, handle: u64) -> Result<Option<PayloadRow>, StoreError> {
        let pool = self.pool.clone();
        self.block(async move {
            let client = pool.get().await.map_err(pool_err)?;
            let row = client
                .query_opt(
                    "SELECT handle, sequence, number, kek, blob FROM payloads WHERE handle = $1",
                    &[&(handle as i64)],
                )
                .await
                .map_err(pg_err)?;
            Ok(row.as_ref().map(payload_row))
        })
    }

    fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        self.rows(
            "SELECT identifier, expires_at_ms, kek, blob FROM tokens ORDER BY identifier",
            token_row,
        )
    }

    fn dead_letters(&self) -> Result<Vec<DeadLetterRow>, StoreError> {
        self.rows(
            "SELECT sequence, number, kek, blob FROM dead_letters ORDER BY sequence, number",
            dead_letter_row,
        )
    }

    fn audit(&self) -> Result<Vec<AuditRow>, StoreError> {
        self.rows("SELECT at_ms, entry FROM audit ORDER BY id", |r| AuditRow {
            at_ms: r.get(0),
            entry: r.get(1),
        })
    }

    fn handoffs(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.rows(
            "SELECT sequence, number FROM handoffs ORDER BY sequence",
            handoff_row,
        )
    }
}
