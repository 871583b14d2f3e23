//! The Source's states and its transition table, declared once.
//!
//! ```text
//!  create ──► Creating ──CreateSequenceResponse──► Active ──close──► Closing ──CloseSequenceResponse
//!                │                                   │                 │        (1.0: all acked)
//!                │ refused / terminate               │ terminate       ▼
//!                ▼                                   └──────────► Terminating ◄── Closed
//!           Terminated ◄──── TerminateSequenceResponse ─────────────┘
//! ```
//! WS-RM 1.1 §3.4–3.6; the 1.0 path closes with the `LastMessage` message and terminates
//! without a response. Any non-terminal state ends on a peer fault, inactivity or expiry;
//! a sequence the destination closed ends when its final acknowledgement leaves gaps.

use crate::fsm::Transition;

/// The state of an outbound sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceState {
    /// CreateSequence sent, awaiting the response.
    Creating,
    /// Sending application messages.
    Active,
    /// Closing: no new messages; CloseSequence (1.1) or LastMessage (1.0) under way.
    Closing,
    /// Closed: the destination's final acknowledgement is known.
    Closed,
    /// TerminateSequence sent, awaiting the response (1.1).
    Terminating,
    /// Gone.
    Terminated,
}

/// What moves a Source between states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceTrigger {
    /// A CreateSequenceResponse arrived.
    CreateAccepted,
    /// CreateSequenceRefused arrived.
    CreateRefused,
    /// The application called `close`.
    Close,
    /// CloseSequenceResponse arrived (1.1) or every message incl. LastMessage is acked (1.0).
    CloseCompleted,
    /// The destination closed the sequence (CloseSequence or SequenceClosed fault).
    PeerClose,
    /// The application called `terminate`.
    Terminate,
    /// TerminateSequenceResponse arrived (1.1), or TerminateSequence was sent (1.0).
    TerminateCompleted,
    /// The destination terminated the sequence or faulted it.
    PeerTerminate,
    /// The destination sent an invalid acknowledgement.
    InvalidAck,
    /// The destination closed the sequence and its final acknowledgement leaves
    /// messages out (WS-RM 1.1 §3.5): they can no longer be delivered on it.
    PeerClosedIncomplete,
    /// Nothing heard from the destination for the inactivity timeout.
    InactivityTimeout,
    /// The security context the sequence is bound to is gone for good (WS-RM 1.2 §5: it
    /// is never moved to another token).
    TokenLost,
    /// The sequence's `Expires` passed.
    Expired,
}

use SourceState as S;
use SourceTrigger as T;

const fn t(from: S, on: T, to: S) -> Transition<S, T> {
    Transition { from, on, to }
}

/// Every transition of the Source. Anything not listed is refused.
pub const SOURCE_TRANSITIONS: &[Transition<SourceState, SourceTrigger>] = &[
    t(S::Creating, T::CreateAccepted, S::Active),
    t(S::Creating, T::CreateRefused, S::Terminated),
    t(S::Creating, T::Terminate, S::Terminated),
    t(S::Creating, T::InactivityTimeout, S::Terminated),
    t(S::Creating, T::TokenLost, S::Terminated),
    t(S::Active, T::Close, S::Closing),
    t(S::Active, T::PeerClose, S::Closed),
    t(S::Active, T::Terminate, S::Terminating),
    t(S::Active, T::PeerTerminate, S::Terminated),
    t(S::Active, T::InvalidAck, S::Terminated),
    t(S::Active, T::InactivityTimeout, S::Terminated),
    t(S::Active, T::TokenLost, S::Terminated),
    t(S::Active, T::Expired, S::Terminated),
    t(S::Closing, T::CloseCompleted, S::Closed),
    t(S::Closing, T::PeerClose, S::Closed),
    t(S::Closing, T::Terminate, S::Terminating),
    t(S::Closing, T::PeerTerminate, S::Terminated),
    t(S::Closing, T::InvalidAck, S::Terminated),
    t(S::Closing, T::InactivityTimeout, S::Terminated),
    t(S::Closing, T::TokenLost, S::Terminated),
    t(S::Closing, T::Expired, S::Terminated),
    t(S::Closed, T::Terminate, S::Terminating),
    t(S::Closed, T::PeerTerminate, S::Terminated),
    t(S::Closed, T::PeerClosedIncomplete, S::Terminated),
    t(S::Closed, T::InactivityTimeout, S::Terminated),
    t(S::Closed, T::TokenLost, S::Terminated),
    t(S::Closed, T::Expired, S::Terminated),
    t(S::Terminating, T::TerminateCompleted, S::Terminated),
    t(S::Terminating, T::PeerTerminate, S::Terminated),
    t(S::Terminating, T::InactivityTimeout, S::Terminated),
    t(S::Terminating, T::TokenLost, S::Terminated),
    t(S::Terminating, T::Expired, S::Terminated),
];

impl SourceState {
    /// A short name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Creating => "Creating",
            Self::Active => "Active",
            Self::Closing => "Closing",
            Self::Closed => "Closed",
            Self::Terminating => "Terminating",
            Self::Terminated => "Terminated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsm::{render_dot, render_table};

    #[test]
    fn transition_table_snapshot() {
        insta::assert_snapshot!("source_transitions", render_table(SOURCE_TRANSITIONS));
        insta::assert_snapshot!(
            "source_transitions_dot",
            render_dot("Source", SOURCE_TRANSITIONS)
        );
    }

    #[test]
    fn table_is_deterministic_and_terminal_is_terminal() {
        for (i, a) in SOURCE_TRANSITIONS.iter().enumerate() {
            assert_ne!(a.from, S::Terminated, "Terminated has no way out");
            for b in SOURCE_TRANSITIONS.iter().skip(i + 1) {
                assert!(!(a.from == b.from && a.on == b.on), "duplicate row {a:?}");
            }
        }
    }
}
