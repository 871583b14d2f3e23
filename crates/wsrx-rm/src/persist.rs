//! What must be made durable: the [`StoreOp`] records both machines emit, and from which
//! they are rebuilt (`Source::restore`, `Destination::restore`).
//!
//! Write-ahead (house-style §2): the Destination emits the op recording a message before
//! any acknowledgement covering it; the Source emits the op storing a message before its
//! first transmission. All ops drained after one input form one batch that the store
//! commits atomically, together with the handing over of that input's `Delivered`
//! events to the application (e.g. an inbox table), before any transmit of that input.
//!
//! Records name payloads by handle ([`PayloadRef`]), never secured bytes:
//! retransmissions are protected anew. Records only grow until the sequence terminates;
//! a store may compact them (e.g. fold `InboundRecorded` into ranges) as long as the
//! replayed result is the same.

use crate::binding::SecurityBinding;
use crate::events::UndeliveredReason;
use crate::msg::{AckRange, EndpointRef, IncompleteSequenceBehavior, PayloadRef, SequenceId};
use crate::source::state::SourceState;
use crate::time::Timestamp;
use crate::version::RmVersion;

/// A created outbound sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRecord {
    /// The identifier (from the CreateSequenceResponse, or the accepted offer).
    pub id: SequenceId,
    /// The version.
    pub version: RmVersion,
    /// The destination endpoint.
    pub to: EndpointRef,
    /// The bound token.
    pub binding: Option<SecurityBinding>,
    /// When the sequence expires.
    pub expires_at: Option<Timestamp>,
    /// The IncompleteSequenceBehavior the destination granted (WS-RM 1.1 §3.4;
    /// `NoDiscard` for 1.0 and for records written before it was kept).
    pub incomplete: IncompleteSequenceBehavior,
}

/// A created inbound sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationRecord {
    /// The identifier.
    pub id: SequenceId,
    /// The version.
    pub version: RmVersion,
    /// Where acknowledgements go.
    pub acks_to: EndpointRef,
    /// The bound token.
    pub binding: Option<SecurityBinding>,
    /// When the sequence expires.
    pub expires_at: Option<Timestamp>,
    /// The incomplete-sequence behaviour granted.
    pub incomplete: IncompleteSequenceBehavior,
    /// The identifier the creator offered for the reverse sequence (to recognise a
    /// retransmitted CreateSequence).
    pub offer_id: Option<SequenceId>,
}

/// One durable change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreOp {
    /// Source: the sequence exists.
    SourceCreated(SourceRecord),
    /// Source: message `number` was assigned to `payload` (None = 1.0 LastMessage).
    OutboundStored {
        /// The sequence.
        id: SequenceId,
        /// The number.
        number: u64,
        /// The payload handle.
        payload: Option<PayloadRef>,
        /// Whether this is the 1.0 LastMessage.
        last: bool,
    },
    /// Source: these numbers are acknowledged; their payloads may be dropped.
    OutboundAcked {
        /// The sequence.
        id: SequenceId,
        /// Newly acknowledged numbers.
        ranges: Vec<AckRange>,
    },
    /// Source: the state changed (Closing, Closed, Terminating).
    SourceStateChanged {
        /// The sequence.
        id: SequenceId,
        /// The new state.
        state: SourceState,
        /// The last message number, once closing.
        last_number: Option<u64>,
    },
    /// Source: the sequence is gone; its records may be deleted. Only written when every
    /// message was acknowledged (or none was sent): a sequence ending with gaps writes
    /// [`StoreOp::SourceFailed`] instead.
    SourceTerminated {
        /// The sequence.
        id: SequenceId,
    },
    /// Source: the sequence ended before `undelivered` were acknowledged (WS-RM 1.1
    /// §3.9), for `reason`. It is over on the wire, but its records and the payloads of
    /// those messages are **kept**: they are held for an operator (`wsrx store show`,
    /// `wsrx store resend`) or resent by policy, never forgotten silently.
    SourceFailed {
        /// The sequence.
        id: SequenceId,
        /// Why it ended.
        reason: UndeliveredReason,
        /// The numbers not acknowledged, ascending ranges.
        undelivered: Vec<AckRange>,
    },
    /// Source: held message `number` of the failed sequence `id` was stored as message
    /// `new_number` of sequence `on` (in the same commit as that message's
    /// `OutboundStored`): from now on that sequence carries it, and this sequence's copy
    /// of the payload may be dropped.
    OutboundResent {
        /// The failed sequence.
        id: SequenceId,
        /// The message's number there.
        number: u64,
        /// The sequence that carries it now.
        on: SequenceId,
        /// Its number there.
        new_number: u64,
    },
    /// Destination: the sequence exists.
    DestinationCreated(DestinationRecord),
    /// Destination: message `number` was accepted. If `delivered`, it was handed to the
    /// application in this batch; otherwise it is held (reorder buffer) by its payload.
    InboundRecorded {
        /// The sequence.
        id: SequenceId,
        /// The number.
        number: u64,
        /// The payload handle (None for the 1.0 LastMessage).
        payload: Option<PayloadRef>,
        /// Delivered in this batch.
        delivered: bool,
        /// The 1.0 LastMessage marker.
        last: bool,
        /// When it was accepted (the sequence's last activity, from which its
        /// inactivity timer resumes after a restart); `None` in records written
        /// before wsrx kept it.
        at: Option<Timestamp>,
    },
    /// Destination: every held message up to `number` was delivered in this batch.
    DeliveredThrough {
        /// The sequence.
        id: SequenceId,
        /// The new delivery watermark.
        number: u64,
    },
    /// Destination: held messages were discarded (IncompleteSequenceBehavior).
    Discarded {
        /// The sequence.
        id: SequenceId,
        /// The numbers.
        numbers: Vec<u64>,
    },
    /// Destination: the sequence was closed.
    DestinationClosed {
        /// The sequence.
        id: SequenceId,
        /// The last message number, if known.
        last_number: Option<u64>,
    },
    /// Destination: the sequence is gone; its records may be deleted.
    DestinationTerminated {
        /// The sequence.
        id: SequenceId,
    },
}

impl StoreOp {
    /// The sequence this op is about.
    pub fn sequence_id(&self) -> &SequenceId {
        match self {
            Self::SourceCreated(r) => &r.id,
            Self::DestinationCreated(r) => &r.id,
            Self::OutboundStored { id, .. }
            | Self::OutboundAcked { id, .. }
            | Self::SourceStateChanged { id, .. }
            | Self::SourceTerminated { id }
            | Self::SourceFailed { id, .. }
            | Self::OutboundResent { id, .. }
            | Self::InboundRecorded { id, .. }
            | Self::DeliveredThrough { id, .. }
            | Self::Discarded { id, .. }
            | Self::DestinationClosed { id, .. }
            | Self::DestinationTerminated { id } => id,
        }
    }

    /// Whether the op belongs to a Source (as opposed to a Destination).
    pub fn is_source(&self) -> bool {
        matches!(
            self,
            Self::SourceCreated(_)
                | Self::OutboundStored { .. }
                | Self::OutboundAcked { .. }
                | Self::SourceStateChanged { .. }
                | Self::SourceTerminated { .. }
                | Self::SourceFailed { .. }
                | Self::OutboundResent { .. }
        )
    }
}
