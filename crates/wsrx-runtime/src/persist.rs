//! The store adapter: [`StoreOp`]s as opaque records per sequence
//! ([`wsrx_rm::record`]), payloads by handle, and **commit tickets**.
//!
//! A machine's drain hands its batch to [`Persistence::submit`] while it holds the
//! machine's lock: that only seals and queues the batch (no IO wait) and returns its
//! [`Ticket`]. The caller releases the lock, then waits with [`Persistence::durable`]
//! before it acts on anything the batch's ops preceded (commit-before-send): a
//! transmit, a hand-over to the application, a receipt. Concurrent inputs thus share
//! one group commit (one fsync) of the store's writer instead of queueing behind one
//! another's, and no lock is ever held while a commit is made durable
//! (the `shard` module checks it in debug builds).
//!
//! Tickets become durable in order. Once a batch fails, every later ticket of this
//! `Persistence` fails too: what followed it may depend on it (an acknowledgement
//! covering a message it recorded), so nothing more is sent until a restart.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;
use wsrx_crypto::{OsRandom, SecureRandom};
use wsrx_rm::{StoreOp, record};
pub use wsrx_store::Ticket;
use wsrx_store::{Backend, Batch, Role, Snapshot, Store, StoreError};
use zeroize::Zeroizing;

use crate::error::RuntimeError;

/// A shared store, with commit tickets and async wrappers over its blocking calls.
pub struct Persistence<B: Backend> {
    store: Arc<Store<B>>,
    durability: Arc<Mutex<Watermark>>,
}

impl<B: Backend> Clone for Persistence<B> {
    fn clone(&self) -> Self {
        Self {
            store: Arc::clone(&self.store),
            durability: Arc::clone(&self.durability),
        }
    }
}

/// What is durable among the tickets this `Persistence` issued.
#[derive(Default)]
struct Watermark {
    /// The last ticket issued through this `Persistence`.
    issued: Ticket,
    /// Every own ticket up to this one is durable (completions run in ticket order).
    through: Ticket,
    /// The first own ticket that failed, and why: it and every later one fail.
    failed: Option<(Ticket, String)>,
    /// Who waits for which ticket.
    waiters: BTreeMap<Ticket, Vec<oneshot::Sender<()>>>,
    /// Batches submitted and commits completed (for the benchmark).
    submitted: u64,
}

impl Watermark {
    fn outcome(&self, t: Ticket) -> Option<Result<(), RuntimeError>> {
        if let Some((f, why)) = &self.failed
            && *f <= t
        {
            return Some(Err(RuntimeError::Store(StoreError::Backend(format!(
                "an earlier commit failed: {why}"
            )))));
        }
        (self.through >= t).then_some(Ok(()))
    }

    fn complete(&mut self, t: Ticket, result: Result<(), StoreError>) {
        match result {
            Ok(()) => self.through = self.through.max(t),
            Err(e) => {
                if self.failed.is_none() {
                    tracing::error!(error = %e, "a store commit failed: nothing more is sent");
                    self.failed = Some((t, e.to_string()));
                }
            }
        }
        let woken: Vec<Ticket> = match &self.failed {
            // Every waiter at or past the failure learns of it.
            Some(_) => self.waiters.keys().copied().collect(),
            None => self
                .waiters
                .range(..=self.through)
                .map(|(k, _)| *k)
                .collect(),
        };
        for k in woken {
            for tx in self.waiters.remove(&k).unwrap_or_default() {
                let _ = tx.send(());
            }
        }
    }
}

impl<B: Backend> std::fmt::Debug for Persistence<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Persistence").finish_non_exhaustive()
    }
}

impl<B: Backend> Persistence<B> {
    /// Wraps a store.
    pub fn new(store: Arc<Store<B>>) -> Self {
        Self {
            store,
            durability: Arc::new(Mutex::new(Watermark::default())),
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<Store<B>> {
        &self.store
    }

    /// Seals and queues `batch` for the store's writer without waiting; returns the
    /// ticket to wait for ([`Persistence::durable`]) before acting on what followed its
    /// ops. An empty batch returns the last ticket issued here: whatever the caller
    /// acts on may depend on a batch an earlier input submitted.
    ///
    /// # Errors
    /// [`RuntimeError::Store`] when the batch cannot be sealed.
    pub fn submit(&self, batch: Batch) -> Result<Ticket, RuntimeError> {
        if batch.is_empty() {
            return Ok(self.last_issued());
        }
        let durability = Arc::clone(&self.durability);
        // Not under the watermark lock: a backend without a writer thread runs the
        // completion inside `submit`.
        let ticket = self.store.submit(batch, move |t, result| {
            lock(&durability).complete(t, result);
        })?;
        let mut w = lock(&self.durability);
        w.issued = w.issued.max(ticket);
        w.submitted += 1;
        Ok(ticket)
    }

    /// Why a commit failed, once one has: from then on nothing more is sent or
    /// acknowledged through this `Persistence` (the state in memory ran ahead of the
    /// store), so a node stops and is restarted to reload it from the store.
    pub fn failure(&self) -> Option<String> {
        lock(&self.durability)
            .failed
            .as_ref()
            .map(|(_, why)| why.clone())
    }

    /// The last ticket issued here (what everything sent now may depend on).
    pub fn last_issued(&self) -> Ticket {
        lock(&self.durability).issued
    }

    /// Batches submitted so far through this `Persistence` and its clones.
    pub fn submitted(&self) -> u64 {
        lock(&self.durability).submitted
    }

    /// Waits until `ticket` is durable. Must not be called with a machine's lock held
    /// (checked in debug builds).
    ///
    /// # Errors
    /// [`RuntimeError::Store`] when this or an earlier batch failed; nothing that
    /// depends on it may be sent.
    pub async fn durable(&self, ticket: Ticket) -> Result<(), RuntimeError> {
        crate::shard::assert_unlocked("waiting for a store commit");
        loop {
            let rx = {
                let mut w = lock(&self.durability);
                if let Some(r) = w.outcome(ticket) {
                    return r;
                }
                let (tx, rx) = oneshot::channel();
                w.waiters.entry(ticket).or_default().push(tx);
                rx
            };
            if rx.await.is_err() {
                return Err(RuntimeError::Shutdown);
            }
        }
    }

    /// Commits `batch` and waits until it (and every batch before it) is durable.
    ///
    /// # Errors
    /// [`RuntimeError::Store`]; the caller must then not send what followed the ops.
    pub async fn commit(&self, batch: Batch) -> Result<(), RuntimeError> {
        let ticket = self.submit(batch)?;
        self.durable(ticket).await
    }

    /// Loads every record and token (on a blocking thread).
    ///
    /// # Errors
    /// [`RuntimeError::Store`].
    pub async fn load(&self) -> Result<Snapshot, RuntimeError> {
        let store = Arc::clone(&self.store);
        Ok(tokio::task::spawn_blocking(move || store.load())
            .await
            .map_err(|e| RuntimeError::Io(format!("load task: {e}")))??)
    }

    /// Whether the store answers (a read of its identity, on a blocking thread, given
    /// `within` to answer) and no commit has failed: what a readiness probe asks.
    ///
    /// # Errors
    /// Why not, naming no secret (a store error, a timeout, the failed commit).
    pub async fn reachable(&self, within: std::time::Duration) -> Result<(), String> {
        if let Some(why) = self.failure() {
            return Err(format!("a store commit failed: {why}"));
        }
        let store = Arc::clone(&self.store);
        let read = tokio::task::spawn_blocking(move || store.backend().store_id());
        match tokio::time::timeout(within, read).await {
            Err(_) => Err(format!("the store did not answer within {within:?}")),
            Ok(Err(e)) => Err(format!("store probe task: {e}")),
            Ok(Ok(Err(e))) => Err(format!("the store is unreachable: {e}")),
            Ok(Ok(Ok(_))) => Ok(()),
        }
    }

    /// Opens one payload (on a blocking thread).
    ///
    /// # Errors
    /// [`RuntimeError::Store`].
    pub async fn payload(&self, handle: u64) -> Result<Option<Zeroizing<Vec<u8>>>, RuntimeError> {
        let store = Arc::clone(&self.store);
        Ok(tokio::task::spawn_blocking(move || store.payload(handle))
            .await
            .map_err(|e| RuntimeError::Io(format!("payload task: {e}")))??)
    }
}

fn lock(m: &Mutex<Watermark>) -> std::sync::MutexGuard<'_, Watermark> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Appends `op` to `batch` as a record of its sequence. A terminated sequence is
/// forgotten with its log and payloads instead. A failed one (`SourceFailed`, issue 15)
/// is not: its record is appended like any other, so its held messages stay.
pub fn add_op(batch: &mut Batch, op: &StoreOp) {
    let id = op.sequence_id().as_str().to_owned();
    match op {
        StoreOp::SourceTerminated { .. } | StoreOp::DestinationTerminated { .. } => {
            batch.records.retain(|(s, _, _)| *s != id);
            batch.payloads.retain(|p| p.sequence != id);
            batch.sequence_deletes.push(id);
        }
        _ => {
            let role = if op.is_source() {
                Role::Source
            } else {
                Role::Destination
            };
            batch.records.push((id, role, record::encode(op)));
        }
    }
}

/// Decodes a sequence log's records.
///
/// # Errors
/// [`RuntimeError::Record`] for a record this version cannot read.
pub fn decode_log(records: &[Vec<u8>]) -> Result<Vec<StoreOp>, RuntimeError> {
    records
        .iter()
        .map(|r| record::decode(r).map_err(RuntimeError::from))
        .collect()
}

/// A fresh payload handle (random, 62 bits: unique in practice and across restarts).
pub fn new_handle() -> u64 {
    let mut b = [0u8; 8];
    let _ = OsRandom.fill_nonce(&mut b);
    (u64::from_be_bytes(b) >> 2).max(1)
}

/// A payload as stored: the action, a NUL, the body XML.
pub fn encode_payload(action: &str, body: &str) -> Zeroizing<Vec<u8>> {
    let mut v = Vec::with_capacity(action.len() + body.len() + 1);
    v.extend_from_slice(action.as_bytes());
    v.push(0);
    v.extend_from_slice(body.as_bytes());
    Zeroizing::new(v)
}

/// The inverse of [`encode_payload`].
pub fn decode_payload(bytes: &[u8]) -> Option<(String, String)> {
    let at = bytes.iter().position(|b| *b == 0)?;
    let (a, rest) = bytes.split_at(at);
    let body = rest.get(1..)?;
    Some((
        String::from_utf8(a.to_vec()).ok()?,
        String::from_utf8(body.to_vec()).ok()?,
    ))
}
