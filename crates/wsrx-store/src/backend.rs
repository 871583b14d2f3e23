//! The row-level interface a storage engine implements. Rows are already sealed;
//! a backend only has to keep them and apply batches atomically.

use crate::error::StoreError;

/// A sealed log record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRow {
    /// Sequence identifier.
    pub sequence: String,
    /// Role code.
    pub role: u8,
    /// Position in the sequence's log.
    pub index: u64,
    /// Id of the key it is sealed under.
    pub kek: [u8; 8],
    /// `nonce ‖ ciphertext ‖ tag`.
    pub blob: Vec<u8>,
}

/// A sealed payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadRow {
    /// Handle (unique).
    pub handle: u64,
    /// Sequence identifier.
    pub sequence: String,
    /// Message number.
    pub number: u64,
    /// Key id.
    pub kek: [u8; 8],
    /// Sealed bytes.
    pub blob: Vec<u8>,
}

/// A sealed token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// SCT identifier (unique).
    pub identifier: String,
    /// Expiry (ms since the Unix epoch), in clear for sweeping.
    pub expires_at_ms: Option<i64>,
    /// Key id.
    pub kek: [u8; 8],
    /// Sealed bytes.
    pub blob: Vec<u8>,
}

/// A sealed dead letter (a message a gateway gave up handing to its backend), keyed
/// by its sequence and number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterRow {
    /// Sequence identifier.
    pub sequence: String,
    /// Message number.
    pub number: u64,
    /// Key id.
    pub kek: [u8; 8],
    /// Sealed bytes.
    pub blob: Vec<u8>,
}

/// One entry of the audit trail (an operator's action through the admin API): when,
/// and what (a JSON object naming the action, its target and its outcome). Kept in
/// clear: it names identifiers and outcomes, never a payload or a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// When (ms since the Unix epoch).
    pub at_ms: i64,
    /// What.
    pub entry: String,
}

/// Sealed rows to apply atomically.
#[derive(Debug, Default, Clone)]
pub struct RowBatch {
    /// Records to insert (a duplicate `(sequence, index)` is a conflict).
    pub records: Vec<RecordRow>,
    /// Payloads to insert (a duplicate handle is a conflict).
    pub payloads: Vec<PayloadRow>,
    /// Payload handles to delete.
    pub payload_deletes: Vec<u64>,
    /// Sequences whose records and payloads are deleted.
    pub sequence_deletes: Vec<String>,
    /// Tokens to insert or replace.
    pub tokens: Vec<TokenRow>,
    /// Tokens to delete.
    pub token_deletes: Vec<String>,
    /// Existing rows re-sealed under another key (rewrap): replaced in place.
    pub rewrapped_records: Vec<RecordRow>,
    /// Existing payloads re-sealed.
    pub rewrapped_payloads: Vec<PayloadRow>,
    /// Dead letters to insert or replace (also how they are re-sealed).
    pub dead_letters: Vec<DeadLetterRow>,
    /// Dead letters to delete, by `(sequence, number)`.
    pub dead_letter_deletes: Vec<(String, u64)>,
    /// Hand-off marks `(sequence, number)`: raised to `number`, never lowered; a
    /// sequence's mark goes with [`RowBatch::sequence_deletes`].
    pub handoffs: Vec<(String, u64)>,
    /// Audit entries to append (in order).
    pub audit: Vec<AuditRow>,
    /// Leases checked in the batch's transaction (see [`crate::Batch::fences`]).
    pub fences: Vec<crate::lease::Fence>,
}

/// What runs once a submitted batch is durable (`Ok`) or was refused (`Err`). It runs
/// on whatever thread finished the commit (the SQLite writer, or the submitter for
/// backends without a writer of their own), so it must be short and never block.
pub type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// A storage engine. Implementations must make a committed batch durable before
/// `commit` returns and must apply it entirely or not at all.
pub trait Backend: Send + Sync + 'static {
    /// Applies `batch` atomically and durably.
    fn commit(&self, batch: RowBatch) -> Result<(), StoreError>;
    /// Queues `batch` and returns at once; `done` runs when it is durable or refused.
    /// Batches submitted one after another (by one thread, or under one lock) become
    /// durable in that order, and `done` runs in that order. The default commits
    /// synchronously and then runs `done`; a backend with a writer of its own (SQLite)
    /// queues the batch so that concurrent submitters share one commit (group commit).
    fn submit(&self, batch: RowBatch, done: Completion) {
        done(self.commit(batch));
    }
    /// The store's random identity, if it was set.
    fn store_id(&self) -> Result<Option<[u8; 16]>, StoreError>;
    /// Sets the identity of a new store (once).
    fn set_store_id(&self, id: [u8; 16]) -> Result<(), StoreError>;
    /// Every record row, ordered by sequence then index.
    fn records(&self) -> Result<Vec<RecordRow>, StoreError>;
    /// Every payload row.
    fn payloads(&self) -> Result<Vec<PayloadRow>, StoreError>;
    /// One payload row.
    fn payload(&self, handle: u64) -> Result<Option<PayloadRow>, StoreError>;
    /// Every token row.
    fn tokens(&self) -> Result<Vec<TokenRow>, StoreError>;
    /// Every dead-letter row, ordered by sequence then number.
    fn dead_letters(&self) -> Result<Vec<DeadLetterRow>, StoreError>;
    /// Every hand-off mark `(sequence, number)`, ordered by sequence.
    fn handoffs(&self) -> Result<Vec<(String, u64)>, StoreError>;
    /// The audit trail, oldest first (in the order the entries were committed).
    fn audit(&self) -> Result<Vec<AuditRow>, StoreError>;
    /// The position after the last record of `sequence`'s log (0 when it has none):
    /// where a node that took the sequence over appends. The default reads every
    /// record; a shared backend answers it from an index.
    fn log_end(&self, sequence: &str) -> Result<u64, StoreError> {
        Ok(self
            .records()?
            .iter()
            .filter(|r| r.sequence == sequence)
            .map(|r| r.index.saturating_add(1))
            .max()
            .unwrap_or(0))
    }
}
