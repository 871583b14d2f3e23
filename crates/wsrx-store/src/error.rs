//! The store's error type.

use std::fmt;

use thiserror::Error;

/// Which stored row an error is about; printed in errors so that an operator can
/// find it (`wsrx store check` lists them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordName {
    /// Record `index` of a sequence's log.
    Record {
        /// The sequence identifier.
        sequence: String,
        /// Position in the log.
        index: u64,
    },
    /// A message payload.
    Payload {
        /// Its handle.
        handle: u64,
        /// The sequence it belongs to.
        sequence: String,
        /// Its message number.
        number: u64,
    },
    /// A sealed security context token.
    Token {
        /// The SCT identifier.
        identifier: String,
    },
    /// A gateway's dead letter.
    DeadLetter {
        /// The sequence it came on.
        sequence: String,
        /// Its message number.
        number: u64,
    },
}

impl fmt::Display for RecordName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Record { sequence, index } => write!(f, "record {index} of sequence {sequence}"),
            Self::Payload {
                handle,
                sequence,
                number,
            } => {
                write!(
                    f,
                    "payload {handle} (message {number} of sequence {sequence})"
                )
            }
            Self::Token { identifier } => write!(f, "token {identifier}"),
            Self::DeadLetter { sequence, number } => {
                write!(f, "dead letter (message {number} of sequence {sequence})")
            }
        }
    }
}

/// Why a store operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A row failed authentication: it was altered, corrupted, or moved from
    /// another place or store. Nothing was dropped; the row is still there.
    #[error("{0} is corrupt or was tampered with")]
    Corrupt(RecordName),
    /// A row is sealed under a key that is not in the key ring.
    #[error("{record} is sealed under key {kek_id}, which is not in the key ring")]
    UnknownKey {
        /// The row.
        record: RecordName,
        /// The key id (hex).
        kek_id: String,
    },
    /// A batch conflicts with stored data (a duplicate payload handle or record
    /// position); nothing of it was applied.
    #[error("batch rejected: {0}")]
    Conflict(String),
    /// The database file was written by a newer wsrx.
    #[error("store schema version {found} is newer than this wsrx supports ({supported})")]
    SchemaTooNew {
        /// Version in the file.
        found: i64,
        /// Newest version known here.
        supported: i64,
    },
    /// The key ring could not be loaded.
    #[error("key ring: {0}")]
    KeyRing(String),
    /// The storage engine failed (IO, SQLite).
    #[error("storage backend: {0}")]
    Backend(String),
    /// The database cannot be reached now, or did not answer in time (PostgreSQL):
    /// retryable. A commit that fails so was not acknowledged; its outcome may be
    /// unknown, never reported durable when it was not.
    #[error("store unavailable (retry later): {0}")]
    Unavailable(String),
    /// Another live node runs under this node id.
    #[error("node id {0} is in use by another running node; give each node its own --node-id")]
    NodeIdInUse(String),
    /// Another node serves this store now (its nodes listed).
    #[error(
        "another node serves this store ({0}); one node serves a PostgreSQL store at a time \
         (a standby takes over when it stops)"
    )]
    Busy(String),
    /// A batch's fence did not hold: the lease it was committed under is no longer
    /// that node's with that token (expired, taken over, released). Nothing of the
    /// batch was applied; the node must not act on it (issue 21, [`crate::lease`]).
    #[error(
        "the lease on sequence {0} is no longer held (expired or taken over by another \
         node): nothing of the batch was applied"
    )]
    Fenced(String),
    /// The store was shut down.
    #[error("store is closed")]
    Closed,
    /// Sealing failed (randomness unavailable).
    #[error("sealing failed: {0}")]
    Crypto(#[from] wsrx_crypto::CryptoError),
}
