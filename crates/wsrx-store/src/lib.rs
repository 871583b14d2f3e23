//! Durable storage for wsrx: the records the RM machines and the token session
//! emit, the payloads of unacknowledged and held messages, and security context
//! tokens, committed atomically and **sealed at rest**.
//!
//! What it does:
//! - [`Store`] seals every row with AES-256-GCM under the active key of a
//!   [`KeyRing`], with associated data binding the row to its place (this store's
//!   random id, the table, the sequence and position, or the payload's sequence,
//!   message number and handle, or the token identifier, and the key id): a row
//!   altered, corrupted, or moved elsewhere fails with an error naming it
//!   ([`StoreError::Corrupt`]); nothing is dropped silently. Keys rotate: old rows
//!   open with older keys in the ring, [`Store::rewrap`] re-seals them.
//! - A [`Batch`] (records appended to sequence logs, payloads put and deleted,
//!   sequences forgotten, tokens put and deleted) commits all or nothing, and is
//!   durable when [`Store::commit`] returns. [`Store::submit`] is the non-blocking
//!   form: it seals and queues the batch, returns its [`Ticket`] (tickets grow in
//!   submission order, and batches become durable in that order), and runs a
//!   [`Completion`] once the batch is durable, so a caller can release its locks
//!   before waiting and concurrent submitters share one fsync.
//! - Backends: [`SqliteBackend`] (feature `sqlite`, the default: bundled SQLite,
//!   WAL, `synchronous=FULL`, migrations, one writer thread with group commit),
//!   [`PostgresBackend`] (feature `postgres`, also a default: several nodes sharing
//!   one database; tokio-postgres over a pool, TLS with rustls, versioned migrations,
//!   group commit) and [`MemoryBackend`] (tests and simulation, with a crash model).
//!   Every backend passes [`testing::conformance`].
//!
//! What is stored for an outbound message: the application payload and its
//! sequence/number, never the secured envelope. A retransmission is re-protected
//! with a fresh Timestamp and derived-key nonce by the security layer, from the
//! recovered SCT, so stored bytes carry no stale security header.
//!
//! What it does not do: interpret records (the RM and SC crates encode and decode
//! their own records), or decide anything about the protocols. Its interface is
//! blocking (the PostgreSQL backend runs its async client on a small runtime of its
//! own); callers on tokio use `spawn_blocking` or a dedicated thread for reads.
#![forbid(unsafe_code)]

#[cfg(all(feature = "sqlite", feature = "postgres"))]
mod any;
mod backend;
mod error;
mod handoff;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod job;
mod keyring;
pub mod lease;
mod memory;
mod model;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;
pub mod testing;

#[cfg(all(feature = "sqlite", feature = "postgres"))]
pub use any::AnyBackend;
pub use backend::{
    AuditRow, Backend, Completion, DeadLetterRow, PayloadRow, RecordRow, RowBatch, TokenRow,
};
pub use error::{RecordName, StoreError};
pub use handoff::DeadLetter;
pub use keyring::{KEK_LEN, KeyRingSource};
pub use memory::MemoryBackend;
pub use model::{
    Batch, DeadLetterPut, PayloadPut, RecoveredToken, Role, SequenceLog, Snapshot, TokenPut,
};
#[cfg(feature = "postgres")]
pub use postgres::{PostgresBackend, PostgresOptions, is_postgres_url};
#[cfg(feature = "sqlite")]
pub use sqlite::{Durability, SqliteBackend, SqliteOptions, WriterStats};
pub use store::{CheckReport, Store, Ticket};
pub use wsrx_crypto::KeyRing;
