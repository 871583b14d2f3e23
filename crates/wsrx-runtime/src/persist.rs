//! The store adapter: [`StoreOp`]s as opaque records per sequence
//! ([`wsrx_rm::record`]), payloads by handle, commits off the async threads.
//!
//! The store's commit is synchronous and durable when it returns; the runtime calls it
//! through [`tokio::task::spawn_blocking`] and acts on nothing emitted after the ops
//! until it has returned (commit-before-send).

use std::sync::Arc;

use wsrx_crypto::{OsRandom, SecureRandom};
use wsrx_rm::{StoreOp, record};
use wsrx_store::{Backend, Batch, Role, Snapshot, Store};
use zeroize::Zeroizing;

use crate::error::RuntimeError;

/// A shared store, with async wrappers over its blocking calls.
pub struct Persistence<B: Backend> {
    store: Arc<Store<B>>,
}

impl<B: Backend> Clone for Persistence<B> {
    fn clone(&self) -> Self {
        Self {
            store: Arc::clone(&self.store),
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
        Self { store }
    }

    /// The store.
    pub fn store(&self) -> &Arc<Store<B>> {
        &self.store
    }

    /// Commits `batch` durably (on a blocking thread).
    ///
    /// # Errors
    /// [`RuntimeError::Store`]; the caller must then not send what followed the ops.
    pub async fn commit(&self, batch: Batch) -> Result<(), RuntimeError> {
        if batch.is_empty() {
            return Ok(());
        }
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || store.commit(batch))
            .await
            .map_err(|e| RuntimeError::Io(format!("commit task: {e}")))??;
        Ok(())
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
