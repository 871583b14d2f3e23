//! The embedded default backend: SQLite (bundled) in WAL mode with
//! `synchronous=FULL`, versioned schema migrations, and one writer thread that
//! commits queued batches together (group commit), so concurrent sequences share
//! fsyncs. Each batch runs in its own savepoint inside the group's transaction: a
//! batch that conflicts is rolled back alone and the others still commit.

use std::path::Path;
use std::sync::mpsc::{self, Receiver, Sender};

use crate::job::Job;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::backend::{
    AuditRow, Backend, Completion, DeadLetterRow, PayloadRow, RecordRow, RowBatch, TokenRow,
};
use crate::error::StoreError;

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    // 1: sealed rows.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
     CREATE TABLE records (sequence TEXT NOT NULL, idx INTEGER NOT NULL, role INTEGER NOT NULL,
                           kek BLOB NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (sequence, idx)) WITHOUT ROWID;
     CREATE TABLE payloads (handle INTEGER PRIMARY KEY, sequence TEXT NOT NULL, number INTEGER NOT NULL,
                            kek BLOB NOT NULL, blob BLOB NOT NULL);
     CREATE INDEX payloads_by_sequence ON payloads (sequence, number);
     CREATE TABLE tokens (identifier TEXT PRIMARY KEY, expires_at_ms INTEGER, kek BLOB NOT NULL,
                          blob BLOB NOT NULL) WITHOUT ROWID;",
    // 2: the gateway's dead letters (sealed) and hand-off marks (issue 22).
    "CREATE TABLE dead_letters (sequence TEXT NOT NULL, number INTEGER NOT NULL, kek BLOB NOT NULL,
                                blob BLOB NOT NULL, PRIMARY KEY (sequence, number)) WITHOUT ROWID;
     CREATE TABLE handoffs (sequence TEXT PRIMARY KEY, number INTEGER NOT NULL) WITHOUT ROWID;",
    // 3: the audit trail of the admin API (issue 22), in commit order.
    "CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL,
                         entry TEXT NOT NULL);",
];

/// How hard commits are pushed to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=FULL`: a commit survives power loss (the default).
    Full,
    /// `synchronous=NORMAL`: survives a process crash, not power loss.
    Normal,
}

/// Options of [`SqliteBackend::open`].
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// Durability of commits.
    pub durability: Durability,
    /// Most batches one group commit takes.
    pub max_group: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            durability: Durability::Full,
            max_group: 256,
        }
    }
}

/// What the writer has done so far (for `wsrx bench`: fsyncs per message).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Group commits (one transaction, one fsync of the WAL each with `synchronous=FULL`).
    pub groups: u64,
    /// Batches committed in them.
    pub batches: u64,
}

/// SQLite rows with a group-committing writer thread.
pub struct SqliteBackend {
    reader: Mutex<Connection>,
    sender: Mutex<Option<Sender<Job>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    stats: Arc<Mutex<WriterStats>>,
}

impl std::fmt::Debug for SqliteBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteBackend").finish_non_exhaustive()
    }
}

fn backend_err(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, msg)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Conflict(msg.unwrap_or_else(|| "constraint violation".into()))
        }
        other => StoreError::Backend(other.to_string()),
    }
}

fn connect(path: &Path, durability: Durability) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(backend_err)?;
    let sync = match durability {
        Durability::Full => "FULL",
        Durability::Normal => "NORMAL",
    };
    conn.execute_batch(&format!(
        // auto_vacuum takes effect on a new file only (before its first table); an older
        // store keeps its mode and `incremental_vacuum` is then a no-op. The WAL is cut
        // back to 16 MiB after each checkpoint instead of keeping its largest size.
        "PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL; PRAGMA synchronous={sync}; \
         PRAGMA journal_size_limit=16777216; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=OFF;"
    ))
    .map_err(backend_err)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend_err)?;
    let version: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(backend_err)?;
    let latest = MIGRATIONS.len() as i64;
    if version > latest {
        return Err(StoreError::SchemaTooNew {
            found: version,
            supported: latest,
        });
    }
    for sql in MIGRATIONS.iter().skip(version as usize) {
        tx.execute_batch(sql).map_err(backend_err)?;
    }
    tx.execute_batch(&format!("PRAGMA user_version={latest}"))
        .map_err(backend_err)?;
    tx.commit().map_err(backend_err)
}

impl SqliteBackend {
    /// Opens (creating if needed) the database at `path` and starts its writer.
    pub fn open(path: &Path, options: SqliteOptions) -> Result<Self, StoreError> {
        let mut writer_conn = connect(path, options.durability)?;
        migrate(&mut writer_conn)?;
        let reader = connect(path, options.durability)?;
        // Unbounded: submitters never block (they may hold a machine's lock); what
        // bounds the queue is the bounded work upstream (HTTP concurrency, windows).
        let (sender, receiver) = mpsc::channel::<Job>();
        let max_group = options.max_group.max(1);
        let stats = Arc::new(Mutex::new(WriterStats::default()));
        let writer_stats = Arc::clone(&stats);
        let writer = std::thread::Builder::new()
            .name("wsrx-store-writer".into())
            .spawn(move || writer_loop(writer_conn, &receiver, max_group, &writer_stats))
            .map_err(|e| StoreError::Backend(format!("cannot start the writer thread: {e}")))?;
        Ok(Self {
            reader: Mutex::new(reader),
            sender: Mutex::new(Some(sender)),
            writer: Mutex::new(Some(writer)),
            stats,
        })
    }

    /// Group commits and batches so far.
    pub fn stats(&self) -> WriterStats {
        self.stats.lock().map(|s| *s).unwrap_or_default()
    }

    fn queue(&self, job: Job) {
        let sender = self.sender.lock().ok().and_then(|s| s.clone());
        match sender {
            Some(tx) => {
                if let Err(mpsc::SendError(job)) = tx.send(job) {
                    job.reply.send(Err(StoreError::Closed));
                }
            }
            None => job.reply.send(Err(StoreError::Closed)),
        }
    }

    fn reader(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        self.reader
            .lock()
            .map_err(|_| StoreError::Backend("reader connection poisoned".into()))
    }

    /// Stops the writer after the queued batches are committed.
    pub fn close(&self) {
        if let Ok(mut s) = self.sender.lock() {
            s.take();
        }
        if let Some(handle) = self.writer.lock().ok().and_then(|mut w| w.take()) {
            let _ = handle.join();
        }
    }

    /// Testing and repair hook: runs `f` on the sealed bytes of the row selected
    /// by `table` (`records`, `payloads` or `tokens`) and `key_sql` (a WHERE clause).
    pub fn tamper(
        &self,
        table: &str,
        where_clause: &str,
        f: impl FnOnce(&mut Vec<u8>),
    ) -> Result<(), StoreError> {
        let conn = self.reader()?;
        let sql = format!("SELECT blob FROM {table} WHERE {where_clause}");
        let blob: Option<Vec<u8>> = conn
            .query_row(&sql, [], |r| r.get(0))
            .optional()
            .map_err(backend_err)?;
        if let Some(mut blob) = blob {
            f(&mut blob);
            conn.execute(
                &format!("UPDATE {table} SET blob = ?1 WHERE {where_clause}"),
                params![blob],
            )
            .map_err(backend_err)?;
        }
        Ok(())
    }
}

impl Drop for SqliteBackend {
    fn drop(&mut self) {
        self.close();
    }
}

fn writer_loop(
    mut conn: Connection,
    receiver: &Receiver<Job>,
    max_group: usize,
    stats: &Mutex<WriterStats>,
) {
    while let Ok(first) = receiver.recv() {
        let mut jobs = vec![first];
        while jobs.len() < max_group {
            match receiver.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let frees = jobs
            .iter()
            .any(|j| !j.batch.sequence_deletes.is_empty() || j.batch.payload_deletes.len() > 16);
        let results = commit_group(&mut conn, &mut jobs);
        if let Ok(mut s) = stats.lock() {
            s.groups += 1;
            s.batches += jobs.len() as u64;
        }
        // In queue order: a completion never runs before an earlier batch's.
        for (job, result) in jobs.into_iter().zip(results) {
            job.reply.send(result);
        }
        if frees {
            // Space freed by forgotten sequences goes back to the file system, a bounded
            // number of pages at a time, after the replies (never delays an ack).
            let _ = incremental_vacuum(&conn, 1024);
        }
    }
}

/// One transaction for the whole group, one savepoint per batch.
fn commit_group(conn: &mut Connection, jobs: &mut [Job]) -> Vec<Result<(), StoreError>> {
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return jobs.iter().map(|_| Err(backend_err_ref(&e))).collect(),
    };
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs.iter_mut() {
        let outcome = match tx.savepoint() {
            Ok(mut sp) => match apply(&sp, std::mem::take(&mut job.batch)) {
                Ok(()) => sp.commit().map_err(backend_err),
                Err(e) => {
                    let _ = sp.rollback();
                    Err(e)
                }
            },
            Err(e) => Err(backend_err(e)),
        };
        results.push(outcome);
    }
    if let Err(e) = tx.commit() {
        let msg = e.to_string();
        return results
            .into_iter()
            .map(|_| Err(StoreError::Backend(msg.clone())))
            .collect();
    }
    results
}

/// Frees up to `pages` pages: the pragma frees one page per row it returns, so it is
/// stepped to its end (`execute_batch` would step it once).
fn incremental_vacuum(conn: &Connection, pages: u32) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare(&format!("PRAGMA incremental_vacuum({pages})"))?;
    let mut rows = stmt.query([])?;
    while rows.next()?.is_some() {}
    Ok(())
}

fn backend_err_ref(e: &rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn apply(conn: &Connection, b: RowBatch) -> Result<(), StoreError> {
    for seq in &b.sequence_deletes {
        conn.execute("DELETE FROM records WHERE sequence = ?1", params![seq])
            .map_err(backend_err)?;
        conn.execute("DELETE FROM payloads WHERE sequence = ?1", params![seq])
            .map_err(backend_err)?;
        conn.execute("DELETE FROM handoffs WHERE sequence = ?1", params![seq])
            .map_err(backend_err)?;
    }
    for h in &b.payload_deletes {
        conn.execute("DELETE FROM payloads WHERE handle = ?1", params![*h as i64])
            .map_err(backend_err)?;
    }
    for id in &b.token_deletes {
        conn.execute("DELETE FROM tokens WHERE identifier = ?1", params![id])
            .map_err(backend_err)?;
    }
    let mut insert_record = conn
        .prepare_cached(
            "INSERT INTO records (sequence, idx, role, kek, blob) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(backend_err)?;
    for r in &b.records {
        insert_record
            .execute(params![
                r.sequence,
                r.index as i64,
                r.role,
                &r.kek[..],
                r.blob
            ])
            .map_err(backend_err)?;
    }
    let mut insert_payload = conn
        .prepare_cached("INSERT INTO payloads (handle, sequence, number, kek, blob) VALUES (?1, ?2, ?3, ?4, ?5)")
        .map_err(backend_err)?;
    for p in &b.payloads {
        insert_payload
            .execute(params![
                p.handle as i64,
                p.sequence,
                p.number as i64,
                &p.kek[..],
                p.blob
            ])
            .map_err(backend_err)?;
    }
    for t in &b.tokens {
        conn.execute(
            "INSERT OR REPLACE INTO tokens (identifier, expires_at_ms, kek, blob) VALUES (?1, ?2, ?3, ?4)",
            params![t.identifier, t.expires_at_ms, &t.kek[..], t.blob],
        )
        .map_err(backend_err)?;
    }
    for r in &b.rewrapped_records {
        conn.execute(
            "UPDATE records SET kek = ?1, blob = ?2 WHERE sequence = ?3 AND idx = ?4",
            params![&r.kek[..], r.blob, r.sequence, r.index as i64],
        )
        .map_err(backend_err)?;
    }
    for p in &b.rewrapped_payloads {
        conn.execute(
            "UPDATE payloads SET kek = ?1, blob = ?2 WHERE handle = ?3",
            params![&p.kek[..], p.blob, p.handle as i64],
        )
        .map_err(backend_err)?;
    }
    for (sequence, number) in &b.dead_letter_deletes {
        conn.execute(
            "DELETE FROM dead_letters WHERE sequence = ?1 AND number = ?2",
            params![sequence, *number as i64],
        )
        .map_err(backend_err)?;
    }
    for d in &b.dead_letters {
        conn.execute(
            "INSERT OR REPLACE INTO dead_letters (sequence, number, kek, blob) VALUES (?1, ?2, ?3, ?4)",
            params![d.sequence, d.number as i64, &d.kek[..], d.blob],
        )
        .map_err(backend_err)?;
    }
    for (sequence, number) in &b.handoffs {
        conn.execute(
            "INSERT INTO handoffs (sequence, number) VALUES (?1, ?2)
             ON CONFLICT (sequence) DO UPDATE SET number = max(number, excluded.number)",
            params![sequence, *number as i64],
        )
        .map_err(backend_err)?;
    }
    for a in &b.audit {
        conn.execute(
            "INSERT INTO audit (at_ms, entry) VALUES (?1, ?2)",
            params![a.at_ms, a.entry],
        )
        .map_err(backend_err)?;
    }
    Ok(())
}

fn kek(bytes: Vec<u8>) -> [u8; 8] {
    let mut k = [0u8; 8];
    for (d, s) in k.iter_mut().zip(bytes) {
        *d = s;
    }
    k
}

impl Backend for SqliteBackend {
    fn commit(&self, batch: RowBatch) -> Result<(), StoreError> {
        crate::job::commit_and_wait(batch, |job| self.queue(job))
    }

    fn submit(&self, batch: RowBatch, done: Completion) {
        crate::job::submit(batch, done, |job| self.queue(job));
    }

    fn store_id(&self) -> Result<Option<[u8; 16]>, StoreError> {
        let conn = self.reader()?;
        let v: Option<Vec<u8>> = conn
            .query_row("SELECT value FROM meta WHERE key = 'store_id'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(backend_err)?;
        Ok(v.map(|bytes| {
            let mut id = [0u8; 16];
            for (d, s) in id.iter_mut().zip(bytes) {
                *d = s;
            }
            id
        }))
    }

    fn set_store_id(&self, id: [u8; 16]) -> Result<(), StoreError> {
        let conn = self.reader()?;
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('store_id', ?1)",
            params![&id[..]],
        )
        .map_err(backend_err)?;
        Ok(())
    }

    fn records(&self) -> Result<Vec<RecordRow>, StoreError> {
        let conn = self.reader()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT sequence, idx, role, kek, blob FROM records ORDER BY sequence, idx",
            )
            .map_err(backend_err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(RecordRow {
                    sequence: r.get(0)?,
                    index: r.get::<_, i64>(1)? as u64,
                    role: r.get(2)?,
                    kek: kek(r.get(3)?),
                    blob: r.get(4)?,
                })
            })
            .map_err(backend_err)?;
        rows.collect::<Result<_, _>>().map_err(backend_err)
    }

    fn payloads(&self) -> Result<Vec<PayloadRow>, StoreError> {
        let conn = self.reader()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT handle, sequence, number, kek, blob FROM payloads ORDER BY handle",
            )
            .map_err(backend_err)?;
        let rows = stmt.query_map([], payload_row).map_err(backend_err)?;
        rows.collect::<Result<_, _>>().map_err(backend_err)
    }

    fn payload(&self, handle: u64) -> Result<Option<PayloadRow>, StoreError> {
        let conn = self.reader()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT handle, sequence, number, kek, blob FROM payloads WHERE handle = ?1",
            )
            .map_err(backend_err)?;
        stmt.query_row(params![handle as i64], payload_row)
            .optional()
            .map_err(backend_err)
    }

    fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        let conn = self.reader()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT identifier, expires_at_ms, kek, blob FROM tokens ORDER BY identifier",
            )
            .map_err(backend_err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(TokenRow {
                    identifier: r.get(0)?,
                    expires_at_ms: r.get(1)?,
                    kek: kek(r.get(2)?),
                    blob: r.get(3)?,
                })
            })
            .map_err(backend_err)?;
        rows.collect::<Result<_, _>>().map_err(backend_err)
    }

    fn dead_letters(&self) -> Result<Vec<DeadLetterRow>, StoreError> {
        let conn = self.reader()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT sequence, number, kek, blob FROM dead_letters ORDER BY sequence, number",
            )
            .map_err(backend_err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(DeadLetterRow {
                    sequence: r.get(0)?,
                    number: r.get::<_, i64>(1)? as u64,
                    kek: kek(r.get(2)?),
                    blob: r.get(3)?,
                })
            })
            .map_err(backend_err)?;
        rows.collect::<Result<_, _>>().map_err(backend_err)
    }

    fn audit(&self) -> Result<Vec<AuditRow>, StoreError> {
        let conn = self.reader()?;
        let mut stmt = conn
            .prepare_cached("SELECT at_ms, entry FROM audit ORDER BY id")
            .map_err(backend_err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(AuditRow {
                    at_ms: r.get(0)?,
                    entry: r.get(1)?,
                })
            })
            .map_err(backend_err)?;
        rows.collect::<Result<_, _>>().map_err(backend_err)
    }

    fn handoffs(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let conn = self.reader()?;
        let mut stmt = conn
            .prepare_cached("SELECT sequence, number FROM handoffs ORDER BY sequence")
            .map_err(backend_err)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
            .map_err(backend_err)?;
        rows.collect::<Result<_, _>>().map_err(backend_err)
    }
}

fn payload_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PayloadRow> {
    Ok(PayloadRow {
        handle: r.get::<_, i64>(0)? as u64,
        sequence: r.get(1)?,
        number: r.get::<_, i64>(2)? as u64,
        kek: kek(r.get(3)?),
        blob: r.get(4)?,
    })
}
