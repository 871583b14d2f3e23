//! The crate's one error type: who caused it, and the fault it maps to on the wire.

use thiserror::Error;

use crate::msg::{FaultCode, FaultDetail, FaultKind, Quota, RefusalReason, RmFault, SequenceId};

/// An input the machine refused (peer fault) or a command it could not carry out (user
/// misuse). A refused peer input changes no sequence state; where the protocol answers
/// it, the answer (a fault) is already queued in `poll_transmit`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    // --- Peer faults -----------------------------------------------------------------
    /// The message names a sequence this machine does not know.
    #[error("unknown sequence {0}")]
    UnknownSequence(SequenceId),
    /// The message was not proven by the token its sequence is bound to (WS-RM 1.2 §5).
    #[error("message for sequence {0} not proven by its bound token")]
    BindingMismatch(SequenceId),
    /// CreateSequence refused.
    #[error("CreateSequence refused: {0:?}")]
    CreateSequenceRefused(RefusalReason),
    /// A message number beyond the maximum.
    #[error("message number rollover on {0}")]
    MessageNumberRollover(SequenceId),
    /// A message for a closed sequence (1.1) or past the last number.
    #[error("sequence {0} is closed")]
    SequenceClosed(SequenceId),
    /// A message beyond the 1.0 LastMessage number.
    #[error("message beyond the last message number of {0}")]
    LastMessageNumberExceeded(SequenceId),
    /// An acknowledgement of unsent messages, or one breaking the cumulative invariant.
    #[error("invalid acknowledgement on {0}")]
    InvalidAcknowledgement(SequenceId),
    /// The peer reported a fault that ended the sequence.
    #[error("peer fault {0:?}")]
    PeerFault(FaultKind),
    /// A message that makes no sense in the current state (e.g. a second
    /// CreateSequenceResponse); ignored.
    #[error("unexpected message: {0}")]
    Unexpected(&'static str),
    /// A message number of 0 (numbers start at 1).
    #[error("message number 0 on {0}")]
    InvalidMessageNumber(SequenceId),
    /// A message on sequence `.1` refused because a Destination quota is reached (retry
    /// later; nothing was recorded).
    #[error("quota {} reached on {}", .0.name(), .1)]
    QuotaReached(Quota, SequenceId),

    // --- User misuse -----------------------------------------------------------------
    /// The in-flight window is full: wait for an acknowledgement (`Event::Acknowledged`).
    #[error("in-flight window full")]
    Backpressure,
    /// The sequence is not yet created (await `Event::Created`).
    #[error("sequence not yet created")]
    NotReady,
    /// The command is not valid in the sequence's current state.
    #[error("invalid in state {0}")]
    InvalidState(&'static str),
    /// The source has used its maximum message number.
    #[error("maximum message number reached")]
    NumbersExhausted,
    /// The command names a sequence this machine does not hold.
    #[error("no such sequence {0}")]
    NoSuchSequence(SequenceId),
    /// Records passed to `restore` are inconsistent.
    #[error("inconsistent records: {0}")]
    BadRecords(&'static str),
}

impl Error {
    /// Whether the peer caused it.
    pub fn is_peer(&self) -> bool {
        !self.is_user()
    }

    /// Whether the caller misused the API.
    pub fn is_user(&self) -> bool {
        matches!(
            self,
            Self::Backpressure
                | Self::NotReady
                | Self::InvalidState(_)
                | Self::NumbersExhausted
                | Self::NoSuchSequence(_)
                | Self::BadRecords(_)
        )
    }

    /// The sequence the refused message named, if the error says (for logs and metrics).
    pub fn sequence(&self) -> Option<&SequenceId> {
        match self {
            Self::UnknownSequence(id)
            | Self::BindingMismatch(id)
            | Self::MessageNumberRollover(id)
            | Self::SequenceClosed(id)
            | Self::LastMessageNumberExceeded(id)
            | Self::InvalidAcknowledgement(id)
            | Self::InvalidMessageNumber(id)
            | Self::QuotaReached(_, id) => Some(id),
            _ => None,
        }
    }

    /// The fault this error is answered with on the wire, if any (total over peer faults
    /// that warrant an answer; see the mapping table in the crate docs).
    pub fn fault(&self) -> Option<RmFault> {
        let (kind, code, detail) = match self {
            Self::UnknownSequence(id) => (
                FaultKind::UnknownSequence,
                FaultCode::Sender,
                FaultDetail::Identifier(id.clone()),
            ),
            Self::BindingMismatch(_) => (
                FaultKind::FailedAuthentication,
                FaultCode::Sender,
                FaultDetail::None,
            ),
            Self::CreateSequenceRefused(r) => {
                let code = match r {
                    RefusalReason::ConnectionLimitReached | RefusalReason::IdentityQuotaReached => {
                        FaultCode::Receiver
                    }
                    _ => FaultCode::Sender,
                };
                (
                    FaultKind::CreateSequenceRefused(*r),
                    code,
                    FaultDetail::None,
                )
            }
            Self::MessageNumberRollover(id) => (
                FaultKind::MessageNumberRollover,
                FaultCode::Sender,
                FaultDetail::MaxMessageNumber(id.clone(), crate::msg::MAX_MESSAGE_NUMBER),
            ),
            Self::SequenceClosed(id) => (
                FaultKind::SequenceClosed,
                FaultCode::Sender,
                FaultDetail::Identifier(id.clone()),
            ),
            Self::LastMessageNumberExceeded(id) => (
                FaultKind::LastMessageNumberExceeded,
                FaultCode::Sender,
                FaultDetail::Identifier(id.clone()),
            ),
            Self::InvalidAcknowledgement(id) => (
                FaultKind::InvalidAcknowledgement,
                FaultCode::Sender,
                FaultDetail::Identifier(id.clone()),
            ),
            Self::InvalidMessageNumber(id) => (
                FaultKind::SequenceTerminated,
                FaultCode::Sender,
                FaultDetail::Identifier(id.clone()),
            ),
            Self::QuotaReached(q, _) => (
                FaultKind::QuotaReached(*q),
                FaultCode::Receiver,
                FaultDetail::None,
            ),
            Self::PeerFault(_) | Self::Unexpected(_) => return None,
            Self::Backpressure
            | Self::NotReady
            | Self::InvalidState(_)
            | Self::NumbersExhausted
            | Self::NoSuchSequence(_)
            | Self::BadRecords(_) => return None,
        };
        Some(RmFault { kind, code, detail })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_errors_have_no_fault_and_peer_errors_mostly_do() {
        let id = SequenceId::new("urn:s");
        assert!(Error::Backpressure.is_user() && Error::Backpressure.fault().is_none());
        assert!(Error::BindingMismatch(id.clone()).is_peer());
        assert_eq!(
            Error::BindingMismatch(id.clone()).fault().map(|f| f.kind),
            Some(FaultKind::FailedAuthentication)
        );
        assert_eq!(
            Error::CreateSequenceRefused(RefusalReason::ConnectionLimitReached)
                .fault()
                .map(|f| f.code),
            Some(FaultCode::Receiver)
        );
        assert_eq!(
            Error::SequenceClosed(id).fault().map(|f| f.kind),
            Some(FaultKind::SequenceClosed)
        );
    }
}
