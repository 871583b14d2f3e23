//! Events the machines report to the application.

use core::fmt;

use crate::config::UndeliveredPolicy;
use crate::error::Error;
use crate::msg::{Accept, AckRange, FaultKind, Offer, PayloadRef, RefusalReason, SequenceId};

/// Why a sequence ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TerminationReason {
    /// Closed and terminated normally.
    Completed,
    /// Terminated by the local application.
    Local,
    /// Terminated by the peer (TerminateSequence).
    Peer,
    /// The peer faulted it.
    Fault(FaultKind),
    /// CreateSequence was refused.
    Refused(RefusalReason),
    /// The peer acknowledged something it could not have.
    InvalidAcknowledgement,
    /// Nothing heard for the inactivity timeout.
    InactivityTimeout,
    /// The sequence expired.
    Expired,
}

/// What a Source reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceEvent {
    /// The sequence was created; `send` may be called.
    Created {
        /// Its identifier.
        id: SequenceId,
        /// Present when the destination accepted the offered sequence: the runtime now
        /// registers it with its Destination (`Destination::register_offer`).
        offer_accepted: Option<Accept>,
    },
    /// A message was acknowledged; its payload may be released. Frees window space.
    Acknowledged {
        /// The number.
        number: u64,
        /// The payload handle.
        payload: Option<PayloadRef>,
    },
    /// The sequence ended before these messages were acknowledged: they are **not**
    /// delivered, as far as anyone can prove, and never reported as acknowledged. Their
    /// records stay (`StoreOp::SourceFailed`), so the payloads must stay in the store too,
    /// until an operator resends them on a new sequence or discards them. Emitted once,
    /// before [`SourceEvent::Terminated`].
    Undelivered(Undelivered),
    /// The sequence is closed (the destination's final ack is known).
    Closed,
    /// The sequence ended.
    Terminated(TerminationReason),
    /// An inbound message was refused and changed nothing.
    Refused(Error),
}

/// What a Destination reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestinationEvent {
    /// A sequence was created (by CreateSequence or by registering an offer).
    Created {
        /// The sequence.
        id: SequenceId,
        /// The reverse sequence the creator offered, now accepted: the runtime starts a
        /// Source for it (`Source::from_accepted_offer`).
        offer: Option<Offer>,
    },
    /// A message is handed to the application (after its record is durable).
    Delivered {
        /// The sequence.
        id: SequenceId,
        /// Its number.
        number: u64,
        /// Its payload.
        payload: PayloadRef,
    },
    /// An inbound payload will not be delivered (duplicate, no buffer room, discarded by
    /// IncompleteSequenceBehavior, refused): the runtime may release it.
    Released {
        /// The sequence.
        id: SequenceId,
        /// Its number.
        number: u64,
        /// Its payload.
        payload: PayloadRef,
    },
    /// A sequence was closed.
    Closed {
        /// The sequence.
        id: SequenceId,
    },
    /// A sequence ended.
    Terminated {
        /// The sequence.
        id: SequenceId,
        /// Why.
        reason: TerminationReason,
    },
    /// An inbound message was refused and changed nothing.
    Refused(Error),
}

/// Why the unacknowledged messages of a sequence will not be delivered on it: the
/// sequence became unusable before a `SequenceAcknowledgement` proven by its token
/// covered them (WS-RM 1.1 §3.9). Every way a sequence can end with gaps has a variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UndeliveredReason {
    /// The destination answered with a fault that ends the sequence (WS-RM 1.1 §4):
    /// `UnknownSequence` (it forgot the sequence), `SequenceTerminated`, …
    Fault(FaultKind),
    /// The destination closed the sequence (CloseSequence or a `SequenceClosed` fault,
    /// §3.5) with these numbers missing from its final acknowledgement.
    ClosedByDestination,
    /// The destination terminated the sequence (TerminateSequence, §3.6).
    TerminatedByDestination,
    /// The destination refused the CreateSequence of the sequence meant to carry them
    /// (CreateSequenceRefused, §3.4).
    Refused(RefusalReason),
    /// The destination acknowledged numbers never sent (InvalidAcknowledgement, §4.4):
    /// this side ended the sequence.
    InvalidAcknowledgement,
    /// Nothing heard from the destination for the inactivity timeout.
    InactivityTimeout,
    /// The sequence's `Expires` passed (§3.4).
    Expired,
    /// The security context the sequence is bound to was lost for good (its renewal was
    /// refused, or it expired unrenewed): WS-RM 1.2 §5 forbids moving it to another.
    TokenLost,
    /// This side (the application, or an operator with `wsrx store terminate`)
    /// terminated the sequence before every message was acknowledged.
    TerminatedLocally,
}

impl fmt::Display for UndeliveredReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fault(FaultKind::UnknownSequence) => {
                f.write_str("the destination does not know the sequence (wsrm:UnknownSequence)")
            }
            Self::Fault(FaultKind::SequenceTerminated) => {
                f.write_str("the destination terminated the sequence (wsrm:SequenceTerminated)")
            }
            Self::Fault(kind) => write!(f, "the destination faulted the sequence ({kind:?})"),
            Self::ClosedByDestination => {
                f.write_str("the destination closed the sequence with messages missing")
            }
            Self::TerminatedByDestination => {
                f.write_str("the destination terminated the sequence (TerminateSequence)")
            }
            Self::Refused(r) => write!(f, "the destination refused a new sequence ({r:?})"),
            Self::InvalidAcknowledgement => {
                f.write_str("the destination sent an invalid acknowledgement")
            }
            Self::InactivityTimeout => f.write_str("nothing heard for the inactivity timeout"),
            Self::Expired => f.write_str("the sequence expired"),
            Self::TokenLost => f.write_str("the security context of the sequence was lost"),
            Self::TerminatedLocally => {
                f.write_str("the sequence was terminated before every message was acknowledged")
            }
        }
    }
}

/// The messages a sequence ended without delivering, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undelivered {
    /// The sequence.
    pub id: SequenceId,
    /// Their numbers, as ascending non-overlapping ranges.
    pub numbers: Vec<AckRange>,
    /// Why.
    pub reason: UndeliveredReason,
    /// What happens next (the configured policy, as the delivery assurance allows).
    pub next: UndeliveredPolicy,
}

impl Undelivered {
    /// How many messages.
    pub fn count(&self) -> u64 {
        self.numbers
            .iter()
            .map(|r| r.upper.saturating_sub(r.lower).saturating_add(1))
            .fold(0, u64::saturating_add)
    }

    /// Whether `number` is one of them.
    pub fn contains(&self, number: u64) -> bool {
        self.numbers
            .iter()
            .any(|r| r.lower <= number && number <= r.upper)
    }

    /// The numbers as text: `5-7,9`.
    pub fn numbers_text(&self) -> String {
        ranges_text(&self.numbers)
    }
}

/// Ranges as text: `1-5,7,9-10` (`none` when empty).
pub fn ranges_text(ranges: &[AckRange]) -> String {
    if ranges.is_empty() {
        return "none".into();
    }
    ranges
        .iter()
        .map(|r| {
            if r.lower == r.upper {
                r.lower.to_string()
            } else {
                format!("{}-{}", r.lower, r.upper)
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Numbers (ascending) folded into ranges.
pub fn ranges_of(numbers: impl IntoIterator<Item = u64>) -> Vec<AckRange> {
    let mut out: Vec<AckRange> = Vec::new();
    for n in numbers {
        match out.last_mut() {
            Some(r) if r.upper.checked_add(1) == Some(n) => r.upper = n,
            Some(r) if r.lower <= n && n <= r.upper => {}
            _ => out.push(AckRange { lower: n, upper: n }),
        }
    }
    out
}
