//! One inbound sequence: received ranges, the reorder buffer, delivery gating.

use std::collections::BTreeMap;

use super::state::DestinationState;
use crate::binding::SecurityBinding;
use crate::msg::{EndpointRef, IncompleteSequenceBehavior, PayloadRef, SequenceId};
use crate::ranges::RangeSet;
use crate::time::Timestamp;
use crate::version::RmVersion;

/// The state of one inbound sequence. Idle, it holds two `Arc<str>`s' worth of heap, a
/// one-range vector and no buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Inbound {
    pub(crate) version: RmVersion,
    pub(crate) acks_to: EndpointRef,
    pub(crate) binding: Option<SecurityBinding>,
    pub(crate) offer_id: Option<SequenceId>,
    pub(crate) state: DestinationState,
    pub(crate) incomplete: IncompleteSequenceBehavior,
    /// Every accepted (recorded) number.
    pub(crate) received: RangeSet,
    /// Gated delivery: every number ≤ this was delivered (or was an empty LastMessage).
    pub(crate) delivered_through: u64,
    /// Gated delivery: accepted, not yet delivered (bounded by the reorder buffer).
    pub(crate) held: BTreeMap<u64, Option<PayloadRef>>,
    /// Delivered to the application, not yet reported handed over (bounded by
    /// `delivery_backlog`).
    pub(crate) in_application: usize,
    /// The last number (1.0 LastMessage, or CloseSequence/TerminateSequence LastMsgNumber).
    pub(crate) last_number: Option<u64>,
    pub(crate) expires_at: Option<Timestamp>,
    pub(crate) last_activity: Timestamp,
    /// Accepted messages since the last acknowledgement.
    pub(crate) unacked: u32,
    /// When a batched acknowledgement is due.
    pub(crate) ack_due: Option<Timestamp>,
}

impl Inbound {
    /// Whether the sequence is complete: the last number is known and all up to it arrived.
    pub(crate) fn complete(&self) -> bool {
        match self.last_number {
            Some(0) => self.received.is_empty(),
            Some(last) => self.received.contiguous_from_one() >= last,
            None => false,
        }
    }

    /// Heap bytes held (for the idle-sequence memory budget).
    pub(crate) fn heap_bytes(&self) -> usize {
        let mut n = self.acks_to.0.capacity() + self.received.heap_bytes();
        n += self.binding.as_ref().map_or(0, |b| b.as_str().len());
        n += self.offer_id.as_ref().map_or(0, SequenceId::heap_bytes);
        // BTreeMap nodes hold up to 11 entries; an empty map allocates nothing.
        if !self.held.is_empty() {
            let per_node = 11 * (size_of::<u64>() + size_of::<Option<PayloadRef>>()) + 64;
            n += self.held.len().div_ceil(11) * per_node;
        }
        n
    }
}
