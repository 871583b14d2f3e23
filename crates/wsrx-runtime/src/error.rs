//! The runtime's error: who caused it (peer, local user, IO), opaque with `is_*` queries
//! (house-style habit 5).

use thiserror::Error;

/// An error of the runtime.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The peer answered with a SOAP fault (its reason text).
    #[error("peer fault: {0}")]
    PeerFault(String),
    /// The peer sent something we could not process.
    #[error("peer protocol error: {0}")]
    Peer(String),
    /// A local misuse of the API (e.g. sending on a closed sequence).
    #[error("usage: {0}")]
    Usage(String),
    /// The sequence ended before the operation completed.
    #[error("sequence ended: {0}")]
    SequenceEnded(String),
    /// The sequence ended before these messages were acknowledged (issue 15): they are
    /// not delivered as far as anyone can prove, and are held in the store.
    #[error(
        "sequence {sequence} ended with messages {numbers} undelivered: {reason}; they are \
         held in the store (`wsrx store resend {sequence}` sends them on a new sequence)",
        numbers = undelivered.numbers_text(),
        sequence = undelivered.id,
        reason = undelivered.reason
    )]
    Undelivered {
        /// The sequence, the numbers, the reason and what happens next.
        undelivered: wsrx_rm::Undelivered,
    },
    /// The token provider could not supply a security context.
    #[error("security context unavailable: {0}")]
    Token(String),
    /// Securing or verifying a message failed locally.
    #[error("security: {0}")]
    Security(#[from] wsrx_security::SecurityError),
    /// The store refused a commit or a read (nothing is sent after a failed commit).
    #[error("store: {0}")]
    Store(#[from] wsrx_store::StoreError),
    /// A stored record could not be decoded.
    #[error("record: {0}")]
    Record(#[from] wsrx_rm::record::RecordError),
    /// The RM machine refused a command or records.
    #[error("rm: {0}")]
    Rm(#[from] wsrx_rm::Error),
    /// Encoding an outbound message failed.
    #[error("encode: {0}")]
    Encode(String),
    /// HTTP transport failure.
    #[error("http: {0}")]
    Http(String),
    /// IO (binding a socket, a blocking task that failed).
    #[error("io: {0}")]
    Io(String),
    /// The runtime was shut down.
    #[error("the runtime is shut down")]
    Shutdown,
}

impl RuntimeError {
    /// Whether the peer caused it.
    pub fn is_peer(&self) -> bool {
        matches!(self, Self::PeerFault(_) | Self::Peer(_))
    }

    /// Whether the caller misused the API.
    pub fn is_user(&self) -> bool {
        matches!(self, Self::Usage(_))
    }

    /// Whether it is an IO, transport or store failure (possibly transient).
    pub fn is_io(&self) -> bool {
        matches!(self, Self::Http(_) | Self::Io(_) | Self::Store(_))
    }
}

impl From<reqwest::Error> for RuntimeError {
    fn from(e: reqwest::Error) -> Self {
        Self::Http(e.to_string())
    }
}

impl From<std::io::Error> for RuntimeError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e.to_string())
    }
}
