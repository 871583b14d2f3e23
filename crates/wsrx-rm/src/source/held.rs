//! What a failed sequence holds ([`HeldSequence`]): the messages it ended without
//! delivering, kept until resent on another sequence.

use std::collections::BTreeMap;

use crate::binding::SecurityBinding;
use crate::config::UndeliveredPolicy;
use crate::events::{Undelivered, UndeliveredReason, ranges_of};
use crate::msg::{AckRange, EndpointRef, PayloadRef, SequenceId};
use crate::version::RmVersion;

/// A sequence that ended with messages unacknowledged (`StoreOp::SourceFailed`), as its
/// records hold it: over on the wire, its undelivered messages kept for an operator or
/// the resend policy (WS-RM 1.1 §3.9: only an acknowledgement proves delivery).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldSequence {
    /// The failed sequence.
    pub id: SequenceId,
    /// Its RM version.
    pub version: RmVersion,
    /// The destination it was sent to.
    pub to: EndpointRef,
    /// The token it was bound to.
    pub binding: Option<SecurityBinding>,
    /// Why it failed.
    pub reason: UndeliveredReason,
    /// The numbers it failed with (all of them, resent ones included).
    pub undelivered: Vec<AckRange>,
    /// The messages still held here, by number: not yet resent on another sequence.
    pub held: BTreeMap<u64, Option<PayloadRef>>,
    /// The held messages already carried by another sequence: number here → (that
    /// sequence, its number there).
    pub resent: BTreeMap<u64, (SequenceId, u64)>,
}

impl HeldSequence {
    /// Whether every undelivered message was handed to another sequence.
    pub fn all_resent(&self) -> bool {
        self.held.is_empty()
    }

    /// The held messages as an [`Undelivered`] report (with `next` as configured).
    pub fn report(&self, next: UndeliveredPolicy) -> Undelivered {
        Undelivered {
            id: self.id.clone(),
            numbers: ranges_of(self.held.keys().copied()),
            reason: self.reason,
            next,
        }
    }
}
