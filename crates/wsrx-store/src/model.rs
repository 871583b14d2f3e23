//! What callers commit and what recovery reads back, in clear (inside the
//! process only: every row is sealed before it reaches a backend).

use zeroize::Zeroizing;

/// Which machine a sequence log belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// An RM Source (outbound sequence).
    Source,
    /// An RM Destination (inbound sequence).
    Destination,
}

impl Role {
    pub(crate) fn code(self) -> u8 {
        match self {
            Self::Source => 1,
            Self::Destination => 2,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Self::Source),
            2 => Some(Self::Destination),
            _ => None,
        }
    }
}

/// A payload to keep until it is acknowledged (outbound) or delivered (inbound).
pub struct PayloadPut {
    /// The caller's handle (unique in the store).
    pub handle: u64,
    /// The sequence it belongs to.
    pub sequence: String,
    /// Its message number in that sequence.
    pub number: u64,
    /// The bytes (the application payload, not the secured envelope).
    pub plaintext: Zeroizing<Vec<u8>>,
}

/// A security context token to keep, serialized by its owner (`wsrx-sc`).
pub struct TokenPut {
    /// The SCT identifier.
    pub identifier: String,
    /// Expiry in milliseconds since the Unix epoch, for sweeping and listing.
    pub expires_at_ms: Option<i64>,
    /// The serialized token, secret included.
    pub serialized: Zeroizing<Vec<u8>>,
}

/// A message a gateway gave up handing to its backend, kept until it is replayed or
/// purged. The bytes are the gateway's own serialization (sealed like a payload).
pub struct DeadLetterPut {
    /// The sequence it came on.
    pub sequence: String,
    /// Its message number.
    pub number: u64,
    /// The serialized dead letter (payload included).
    pub plaintext: Zeroizing<Vec<u8>>,
}

/// Everything that must become durable together, atomically: all or nothing.
#[derive(Default)]
pub struct Batch {
    /// Records appended to sequence logs, in order: `(sequence, role, record)`.
    pub records: Vec<(String, Role, Vec<u8>)>,
    /// Payloads to store.
    pub payloads: Vec<PayloadPut>,
    /// Payload handles no longer needed.
    pub payload_deletes: Vec<u64>,
    /// Sequences to forget with their logs and payloads.
    pub sequence_deletes: Vec<String>,
    /// Tokens to store or replace.
    pub tokens: Vec<TokenPut>,
    /// Tokens to forget.
    pub token_deletes: Vec<String>,
    /// Dead letters to store (or replace).
    pub dead_letters: Vec<DeadLetterPut>,
    /// Dead letters to forget, by `(sequence, number)`.
    pub dead_letter_deletes: Vec<(String, u64)>,
    /// Hand-off marks `(sequence, number)`: "handed to the backend through `number`"
    /// (raised, never lowered; forgotten with the sequence).
    pub handoffs: Vec<(String, u64)>,
    /// Audit entries to append.
    pub audit: Vec<crate::AuditRow>,
    /// The leases the batch is committed under: a backend shared between nodes
    /// (PostgreSQL) checks each in the batch's transaction and refuses the whole batch
    /// with [`crate::StoreError::Fenced`] when one does not hold. A single-process
    /// backend (SQLite, memory) has no other node to fence out and ignores them.
    pub fences: Vec<crate::lease::Fence>,
}

impl Batch {
    /// True when the batch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
            && self.payloads.is_empty()
            && self.payload_deletes.is_empty()
            && self.sequence_deletes.is_empty()
            && self.tokens.is_empty()
            && self.token_deletes.is_empty()
            && self.dead_letters.is_empty()
            && self.dead_letter_deletes.is_empty()
            && self.handoffs.is_empty()
            && self.audit.is_empty()
    }
}

/// One sequence's log as recovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceLog {
    /// The sequence identifier.
    pub sequence: String,
    /// Its role.
    pub role: Role,
    /// Its records in commit order.
    pub records: Vec<Vec<u8>>,
    /// Handles and numbers of its stored payloads, by number.
    pub payloads: Vec<(u64, u64)>,
}

/// A recovered token.
pub struct RecoveredToken {
    /// The SCT identifier.
    pub identifier: String,
    /// Its expiry, as committed.
    pub expires_at_ms: Option<i64>,
    /// The serialized token.
    pub serialized: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for RecoveredToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecoveredToken")
            .field("identifier", &self.identifier)
            .field("expires_at_ms", &self.expires_at_ms)
            .field(
                "serialized",
                &format_args!("{} bytes, redacted", self.serialized.len()),
            )
            .finish()
    }
}

/// Everything recovery needs, opened and checked.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Every sequence with its log, ordered by identifier.
    pub sequences: Vec<SequenceLog>,
    /// Every token.
    pub tokens: Vec<RecoveredToken>,
}
