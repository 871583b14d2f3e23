//! The RM Destination: every inbound sequence of one endpoint (WS-RM 1.1 §2.3
//! "RM Destination").
//!
//! Accepting or refusing CreateSequence (open-sequence limit, Sequence-STR binding),
//! coalesced acknowledgement ranges, the acknowledgement policy, the delivery assurances
//! with a bounded reorder buffer, IncompleteSequenceBehavior, close, terminate,
//! inactivity and expiry, and `netrm:BufferRemaining`.
//!
//! **Delivery.** Every accepted message is recorded ([`StoreOp::InboundRecorded`])
//! before it is delivered or acknowledged, so duplicates are never delivered and
//! acknowledged messages are never lost across a restart from durable records: every
//! assurance is met by the exactly-once machinery, and the weaker ones
//! (AtMostOnce, AtLeastOnce) are satisfied a fortiori. Delivery is *gated* (held in the
//! reorder buffer until the gap before it fills) when `in_order` is set or the
//! IncompleteSequenceBehavior is not `NoDiscard`; `DiscardEntireSequence` holds the
//! whole sequence until it is complete, so it only suits sequences no longer than the
//! reorder buffer.

mod create;
mod ending;
mod inbound;
mod quota;
mod restore;
mod sequence;
mod state;
mod timers;

use std::collections::{HashMap, VecDeque};

pub use state::{DESTINATION_TRANSITIONS, DestinationState, DestinationTrigger};

use self::sequence::Inbound;
use crate::binding::{SecurityBinding, proves};
use crate::config::DestinationConfig;
use crate::error::Error;
use crate::events::DestinationEvent;
use crate::msg::{EndpointRef, Message, Route, SequenceAcknowledgement, SequenceId, Transmit};
use crate::persist::{DestinationRecord, StoreOp};
use crate::ranges::RangeSet;
use crate::source::RandomSource;
use crate::time::Timestamp;

/// The RM Destination of one endpoint.
///
/// Call order (sans-IO, house-style §2): after every input (`handle_message`,
/// `handle_timeout`, `register_offer`, `close`, `terminate`, `take_ack`), drain
/// [`poll_persist`](Self::poll_persist) and commit the ops (with the `Delivered` events
/// of the same input) atomically, then [`poll_transmit`](Self::poll_transmit), then
/// [`poll_event`](Self::poll_event), then read [`poll_timeout`](Self::poll_timeout).
pub struct Destination {
    config: DestinationConfig,
    local: EndpointRef,
    random: RandomSource,
    sequences: HashMap<SequenceId, Inbound>,
    persist: VecDeque<StoreOp>,
    transmit: VecDeque<Transmit>,
    events: VecDeque<DestinationEvent>,
    /// See [`Destination::backlog_drops`].
    backlog_drops: u64,
}

impl core::fmt::Debug for Destination {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Destination")
            .field("sequences", &self.sequences.len())
            .finish_non_exhaustive()
    }
}

/// What [`Destination::handle_message`] made of an application message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Accepted {
    New,
    Duplicate,
    Dropped,
}

impl Destination {
    /// A Destination at `local` (the address CreateSequence is sent to; it becomes the
    /// AcksTo of accepted offers). `random` makes sequence identifiers.
    pub fn new(config: DestinationConfig, local: EndpointRef, random: RandomSource) -> Self {
        Self {
            config,
            local,
            random,
            sequences: HashMap::new(),
            persist: VecDeque::new(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
            backlog_drops: 0,
        }
    }

    fn blank(&self, now: Timestamp, r: &DestinationRecord) -> Inbound {
        Inbound {
            version: r.version,
            acks_to: r.acks_to.clone(),
            binding: r.binding.clone(),
            offer_id: r.offer_id.clone(),
            state: DestinationState::Active,
            incomplete: r.incomplete,
            received: RangeSet::new(self.config.max_ack_ranges),
            delivered_through: 0,
            held: Default::default(),
            in_application: 0,
            last_number: None,
            expires_at: r.expires_at,
            last_activity: now,
            unacked: 0,
            ack_due: None,
        }
    }

    /// Open sequences.
    pub fn open_sequences(&self) -> usize {
        self.sequences.len()
    }

    /// The application finished with one delivered message of `id` (handed over, or
    /// given up): it no longer counts against `delivery_backlog`. Changes nothing else;
    /// an unknown sequence is ignored.
    pub fn handed_over(&mut self, id: &SequenceId) {
        if let Some(s) = self.sequences.get_mut(id) {
            s.in_application = s.in_application.saturating_sub(1);
        }
    }

    /// What sequence `id` keeps for the application: delivered and not yet handed
    /// over, plus held in the reorder buffer.
    pub fn backlog(&self, id: &SequenceId) -> Option<usize> {
        self.sequences
            .get(id)
            .map(|s| s.in_application.saturating_add(s.held.len()))
    }

    /// [`Destination::backlog`] of every sequence, summed.
    pub fn total_backlog(&self) -> usize {
        self.sequences
            .values()
            .map(|s| s.in_application.saturating_add(s.held.len()))
            .sum()
    }

    /// New messages dropped unacknowledged because their sequence's delivery backlog
    /// was full, since this Destination was made.
    pub fn backlog_drops(&self) -> u64 {
        self.backlog_drops
    }

    /// The state of a sequence, if held.
    pub fn state(&self, id: &SequenceId) -> Option<DestinationState> {
        self.sequences.get(id).map(|s| s.state)
    }

    /// Whether message `number` of sequence `id` was already received (recorded): a
    /// message arriving again is the Source's retransmission, acknowledged again and
    /// never delivered twice.
    pub fn has_received(&self, id: &SequenceId, number: u64) -> bool {
        self.sequences
            .get(id)
            .is_some_and(|s| s.received.contains(number))
    }

    /// The acknowledgement a sequence would send now (its ranges), if held.
    pub fn acknowledgement(&self, id: &SequenceId) -> Option<SequenceAcknowledgement> {
        self.sequences.get(id).map(|s| self.ack_for(id, s))
    }

    /// The memory an idle sequence takes: `(inline bytes, heap bytes)` of its entry.
    pub fn sequence_memory(&self, id: &SequenceId) -> Option<(usize, usize)> {
        self.sequences.get_key_value(id).map(|(k, s)| {
            (
                size_of::<SequenceId>() + size_of::<Inbound>(),
                k.heap_bytes() + s.heap_bytes(),
            )
        })
    }

    /// Handles one inbound RM message proven by `proof` (the token that verified it;
    /// `None` = unsigned). A message for a bound sequence not proven by its token is
    /// refused with [`Error::BindingMismatch`], answered with `wsse:FailedAuthentication`
    /// and changes nothing (WS-RM 1.2 §5). Other refusals are answered with the WS-RM
    /// fault of the crate-level table.
    pub fn handle_message(
        &mut self,
        now: Timestamp,
        proof: Option<&SecurityBinding>,
        msg: Message,
    ) -> Result<(), Error> {
        // A refused application message is never delivered: its payload is released.
        let offered_payload = match &msg {
            Message::Application(m) => m
                .payload
                .map(|p| (m.sequence.id.clone(), m.sequence.number, p)),
            _ => None,
        };
        let result = match msg {
            Message::CreateSequence(cs) => self.on_create(now, proof, cs),
            Message::Application(m) => self.on_application(now, proof, m),
            Message::AckRequested(m) => self.on_ack_requested(now, proof, m),
            Message::CloseSequence(m) => self.on_close(now, proof, m),
            Message::TerminateSequence(m) => self.on_terminate(now, proof, m),
            Message::Fault(f) => self.on_fault(proof, f),
            // A Destination sends on no sequence, so any acknowledgement it receives names
            // a sequence unknown to it (WS-RM 1.1 §4.3). The runtime routes the
            // acknowledgements of an offered sequence to its Source before this.
            Message::SequenceAcknowledgement(a) => Err(Error::UnknownSequence(a.id)),
            Message::CreateSequenceResponse(_)
            | Message::CloseSequenceResponse(_)
            | Message::TerminateSequenceResponse(_) => {
                Err(Error::Unexpected("source-bound message at a destination"))
            }
        };
        if let Err(e) = &result {
            if let Some(fault) = e.fault() {
                self.reply(Message::Fault(fault), None, proof.cloned());
            }
            self.events.push_back(DestinationEvent::Refused(e.clone()));
            if let Some((id, number, payload)) = offered_payload {
                self.events.push_back(DestinationEvent::Released {
                    id,
                    number,
                    payload,
                });
            }
        }
        result
    }

    fn reply(
        &mut self,
        message: Message,
        ack: Option<SequenceAcknowledgement>,
        protect_with: Option<SecurityBinding>,
    ) {
        self.transmit.push_back(Transmit {
            route: Route::Reply,
            message,
            ack,
            protect_with,
        });
    }

    /// Finds the sequence `id` and checks that `proof` is its bound token, before anything
    /// is changed.
    fn bound(&self, id: &SequenceId, proof: Option<&SecurityBinding>) -> Result<(), Error> {
        let s = self
            .sequences
            .get(id)
            .ok_or_else(|| Error::UnknownSequence(id.clone()))?;
        if proves(s.binding.as_ref(), proof) {
            Ok(())
        } else {
            Err(Error::BindingMismatch(id.clone()))
        }
    }

    /// The next op to make durable.
    pub fn poll_persist(&mut self) -> Option<StoreOp> {
        self.persist.pop_front()
    }

    /// The next message to send (after the ops before it are durable).
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmit.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<DestinationEvent> {
        self.events.pop_front()
    }

    /// Test access to one sequence's full state.
    #[cfg(test)]
    pub(crate) fn sequence(&self, id: &SequenceId) -> Option<&Inbound> {
        self.sequences.get(id)
    }
}

#[cfg(test)]
mod tests;
