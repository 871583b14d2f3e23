//! Events the machines report to the application.

use crate::error::Error;
use crate::msg::{Accept, FaultKind, Offer, PayloadRef, RefusalReason, SequenceId};

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
    /// A message will never be acknowledged (the sequence ended first).
    Abandoned {
        /// The number.
        number: u64,
        /// The payload handle.
        payload: Option<PayloadRef>,
    },
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
