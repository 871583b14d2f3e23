//! The states of an inbound sequence and their transition table, declared once.
//!
//! ```text
//!  CreateSequence ──► Active ──CloseSequence / close──► Closed
//!                       │                                  │
//!                       └── TerminateSequence / terminate / fault / inactivity / expiry ──► Terminated
//! ```
//! WS-RM 1.1 §3.5 (a closed sequence accepts no new messages but still answers
//! AckRequested and duplicate CloseSequence), §3.6 (TerminateSequence ends it).

use crate::fsm::Transition;

/// The state of an inbound sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DestinationState {
    /// Accepting messages.
    Active,
    /// Closed: no new messages; acknowledgements carry `Final`.
    Closed,
    /// Gone (records may be deleted).
    Terminated,
}

/// What moves an inbound sequence between states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DestinationTrigger {
    /// CloseSequence arrived (1.1).
    CloseSequence,
    /// The application closed it.
    Close,
    /// TerminateSequence arrived.
    TerminateSequence,
    /// The application terminated it.
    Terminate,
    /// The source faulted it (SequenceTerminated, InvalidAcknowledgement, ...).
    Fault,
    /// No message for the inactivity timeout.
    InactivityTimeout,
    /// Its `Expires` passed.
    Expired,
}

use DestinationState as S;
use DestinationTrigger as T;

const fn t(from: S, on: T, to: S) -> Transition<S, T> {
    Transition { from, on, to }
}

/// Every transition of an inbound sequence. Anything not listed is refused.
pub const DESTINATION_TRANSITIONS: &[Transition<DestinationState, DestinationTrigger>] = &[
    t(S::Active, T::CloseSequence, S::Closed),
    t(S::Active, T::Close, S::Closed),
    t(S::Active, T::TerminateSequence, S::Terminated),
    t(S::Active, T::Terminate, S::Terminated),
    t(S::Active, T::Fault, S::Terminated),
    t(S::Active, T::InactivityTimeout, S::Terminated),
    t(S::Active, T::Expired, S::Terminated),
    t(S::Closed, T::CloseSequence, S::Closed),
    t(S::Closed, T::TerminateSequence, S::Terminated),
    t(S::Closed, T::Terminate, S::Terminated),
    t(S::Closed, T::Fault, S::Terminated),
    t(S::Closed, T::InactivityTimeout, S::Terminated),
    t(S::Closed, T::Expired, S::Terminated),
];

impl DestinationState {
    /// A short name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Closed => "Closed",
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
        insta::assert_snapshot!(
            "destination_transitions",
            render_table(DESTINATION_TRANSITIONS)
        );
        insta::assert_snapshot!(
            "destination_transitions_dot",
            render_dot("Destination", DESTINATION_TRANSITIONS)
        );
    }

    #[test]
    fn table_is_deterministic_and_terminal_is_terminal() {
        for (i, a) in DESTINATION_TRANSITIONS.iter().enumerate() {
            assert_ne!(a.from, S::Terminated);
            for b in DESTINATION_TRANSITIONS.iter().skip(i + 1) {
                assert!(!(a.from == b.from && a.on == b.on), "duplicate row {a:?}");
            }
        }
    }
}
