//! Per-sequence leases with fencing tokens, for several nodes sharing one store (issue
//! 21): one node at a time hands a sequence's messages to the application and commits
//! its state, the one holding the sequence's lease.
//!
//! A lease names its owner (a node id), a fencing token and an expiry. The token comes
//! from one counter of the store and only grows: a node that takes a sequence over
//! after the lease expired holds a larger token than any earlier holder. Every batch
//! that hands over or commits a sequence's state carries a [`Fence`] (the sequence, the
//! owner and the token it believes it holds); the backend checks it *in the same
//! transaction* as the batch, and refuses the whole batch ([`crate::StoreError::Fenced`])
//! unless the lease is still that owner's, with that token, and not expired. A node
//! that was paused past its lease (SIGSTOP, a stall, a partition) therefore cannot
//! commit, or acknowledge what it could not commit, once it runs again.
//!
//! Expiry is measured by the database's clock only (nodes' clocks never meet). When to
//! acquire, renew or give a lease up is decided by the node's sans-IO lease table
//! (`wsrx_runtime::lease`), from its own monotonic clock and conservative margins.

/// The lease a batch is committed under: refused unless it still holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    /// The sequence.
    pub sequence: String,
    /// The node that believes it holds the lease.
    pub owner: String,
    /// The fencing token it was granted.
    pub token: u64,
}

/// What asking for a sequence's lease gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acquired {
    /// Granted to the asking node, with a new fencing token (larger than any before).
    Granted {
        /// The fencing token.
        token: u64,
        /// The node that held it before, if another one did (its lease had expired):
        /// a takeover.
        previous_owner: Option<String>,
    },
    /// Another node holds it, for this long still (by the database's clock).
    HeldBy {
        /// Its owner.
        owner: String,
        /// Milliseconds left.
        remaining_ms: u64,
    },
}
