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

mod sequence;
mod state;

use std::collections::{HashMap, VecDeque};

pub use state::{DESTINATION_TRANSITIONS, DestinationState, DestinationTrigger};

use self::sequence::Inbound;
use crate::binding::{SecurityBinding, proves};
use crate::config::{AckPolicy, DestinationConfig};
use crate::error::Error;
use crate::events::{DestinationEvent, TerminationReason};
use crate::fsm::lookup;
use crate::msg::{
    Accept, AckBody, AckRequested, ApplicationMessage, CloseSequence, CloseSequenceResponse,
    CreateSequence, CreateSequenceResponse, EndpointRef, FaultKind, IncompleteSequenceBehavior,
    Message, Offer, RefusalReason, RmFault, Route, SequenceAcknowledgement, SequenceId,
    TerminateSequence, TerminateSequenceResponse, Transmit,
};
use crate::persist::{DestinationRecord, StoreOp};
use crate::ranges::{Insert, RangeSet};
use crate::source::RandomSource;
use crate::time::{Timestamp, earliest};
use crate::version::RmVersion;

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
        }
    }

    /// Rebuilds a Destination from durable records (all Destination ops, in emission
    /// order). Held messages are held again; nothing is redelivered.
    pub fn restore<'a>(
        now: Timestamp,
        config: DestinationConfig,
        local: EndpointRef,
        records: impl IntoIterator<Item = &'a StoreOp>,
        random: RandomSource,
    ) -> Result<Self, Error> {
        let mut d = Self::new(config, local, random);
        for op in records {
            match op {
                StoreOp::DestinationCreated(r) => {
                    let seq = d.blank(now, r);
                    d.sequences.insert(r.id.clone(), seq);
                }
                StoreOp::InboundRecorded {
                    id,
                    number,
                    payload,
                    delivered,
                    last,
                } => {
                    let s = d
                        .sequences
                        .get_mut(id)
                        .ok_or(Error::BadRecords("message before creation"))?;
                    if s.received.insert(*number) == Insert::TooFragmented {
                        let mut wider = RangeSet::new(s.received.range_count() + 1);
                        for r in s.received.ranges() {
                            wider.insert_range(*r);
                        }
                        wider.insert(*number);
                        s.received = wider;
                    }
                    if !delivered {
                        s.held.insert(*number, *payload);
                    }
                    if *last {
                        s.last_number = Some(*number);
                    }
                }
                StoreOp::DeliveredThrough { id, number } => {
                    let s = d
                        .sequences
                        .get_mut(id)
                        .ok_or(Error::BadRecords("delivery before creation"))?;
                    s.delivered_through = s.delivered_through.max(*number);
                    let keep = s.held.split_off(&number.saturating_add(1));
                    s.held = keep;
                }
                StoreOp::Discarded { id, numbers } => {
                    let s = d
                        .sequences
                        .get_mut(id)
                        .ok_or(Error::BadRecords("discard before creation"))?;
                    for n in numbers {
                        s.held.remove(n);
                    }
                }
                StoreOp::DestinationClosed { id, last_number } => {
                    let s = d
                        .sequences
                        .get_mut(id)
                        .ok_or(Error::BadRecords("close before creation"))?;
                    s.state = DestinationState::Closed;
                    if last_number.is_some() {
                        s.last_number = *last_number;
                    }
                }
                StoreOp::DestinationTerminated { id } => {
                    d.sequences.remove(id);
                }
                _ => {}
            }
        }
        Ok(d)
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

    /// Registers the reverse sequence we offered in our CreateSequence, once the peer
    /// accepted it (`SourceEvent::Created { offer_accepted: Some(accept) }`).
    pub fn register_offer(
        &mut self,
        now: Timestamp,
        offer: &Offer,
        accept: &Accept,
        binding: Option<SecurityBinding>,
    ) -> Result<(), Error> {
        if self.sequences.contains_key(&offer.id) {
            return Err(Error::InvalidState("offered sequence already registered"));
        }
        if self.sequences.len() >= self.config.max_open_sequences {
            return Err(Error::CreateSequenceRefused(
                RefusalReason::ConnectionLimitReached,
            ));
        }
        let record = DestinationRecord {
            id: offer.id.clone(),
            version: self.config.version,
            acks_to: accept.acks_to.clone(),
            binding,
            expires_at: offer.expires.map(|d| now.saturating_add(d)),
            incomplete: offer.incomplete.unwrap_or(self.config.incomplete),
            offer_id: None,
        };
        let seq = self.blank(now, &record);
        self.sequences.insert(offer.id.clone(), seq);
        self.persist.push_back(StoreOp::DestinationCreated(record));
        self.events.push_back(DestinationEvent::Created {
            id: offer.id.clone(),
            offer: None,
        });
        Ok(())
    }

    /// Answers a retransmitted CreateSequence with the CreateSequenceResponse of the
    /// sequence `id` it already created, instead of opening another one.
    ///
    /// WS-RM 1.1 §3.4 lets a Source resend a CreateSequence whose response it has not
    /// seen; every copy handled as new would open an orphan sequence that counts against
    /// `max_open_sequences` until its inactivity timeout. The runtime recognises a copy
    /// by its `wsa:MessageID` (which this sans-IO machine does not see) and asks here.
    ///
    /// Returns `false` and changes nothing when `id` is not open, or when the copy does
    /// not match it: a different proving token, STR, AcksTo or Offer. The caller then
    /// handles it as a new CreateSequence through [`Destination::handle_message`].
    pub fn answer_repeated_create(
        &mut self,
        now: Timestamp,
        proof: Option<&SecurityBinding>,
        id: &SequenceId,
        cs: &CreateSequence,
    ) -> bool {
        let Some(s) = self.sequences.get(id) else {
            return false;
        };
        let binding = cs.str_token.as_ref().map(|t| t.0.clone());
        let same_token = match &binding {
            Some(b) => proof == Some(b),
            None => true,
        };
        let same_offer = s.offer_id.as_ref() == cs.offer.as_ref().map(|o| &o.id);
        if !same_token || s.binding != binding || s.acks_to != cs.acks_to || !same_offer {
            return false;
        }
        let csr = self.create_response(id, now, cs);
        self.reply(Message::CreateSequenceResponse(csr), None, binding);
        true
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

    /// WS-RM 1.1 §3.4 and 1.2 §5: accept or refuse a CreateSequence.
    fn on_create(
        &mut self,
        now: Timestamp,
        proof: Option<&SecurityBinding>,
        cs: CreateSequence,
    ) -> Result<(), Error> {
        let refuse = |r| Err(Error::CreateSequenceRefused(r));
        // The Sequence-STR binding: the STR must name the very token that proved this message.
        let binding = match &cs.str_token {
            Some(t) => {
                if proof != Some(&t.0) {
                    return refuse(RefusalReason::TokenMismatch);
                }
                Some(t.0.clone())
            }
            None => {
                if self.config.require_binding {
                    return refuse(RefusalReason::BindingRequired);
                }
                None
            }
        };
        if self.config.version == RmVersion::V1_1 && cs.uses_sequence_str != cs.str_token.is_some()
        {
            return refuse(RefusalReason::UsesSequenceStrMismatch);
        }
        // A retransmitted CreateSequence with an offer: answer with the same sequence.
        if let Some(offer) = &cs.offer {
            let existing = self
                .sequences
                .iter()
                .find(|(_, s)| s.offer_id.as_ref() == Some(&offer.id));
            if let Some((id, s)) = existing {
                if s.binding != binding || s.acks_to != cs.acks_to {
                    return refuse(RefusalReason::OfferRejected);
                }
                let id = id.clone();
                let csr = self.create_response(&id, now, &cs);
                self.reply(Message::CreateSequenceResponse(csr), None, binding);
                return Ok(());
            }
            if self.sequences.contains_key(&offer.id) {
                return refuse(RefusalReason::OfferRejected);
            }
        }
        if self.sequences.len() >= self.config.max_open_sequences {
            return refuse(RefusalReason::ConnectionLimitReached);
        }
        let id = self.new_id();
        let expires = self.granted_expiry(cs.expires);
        let record = DestinationRecord {
            id: id.clone(),
            version: self.config.version,
            acks_to: cs.acks_to.clone(),
            binding: binding.clone(),
            expires_at: expires.map(|d| now.saturating_add(d)),
            incomplete: self.config.incomplete,
            offer_id: cs.offer.as_ref().map(|o| o.id.clone()),
        };
        let seq = self.blank(now, &record);
        self.sequences.insert(id.clone(), seq);
        self.persist.push_back(StoreOp::DestinationCreated(record));
        let csr = self.create_response(&id, now, &cs);
        self.reply(Message::CreateSequenceResponse(csr), None, binding);
        self.events.push_back(DestinationEvent::Created {
            id,
            offer: cs.offer,
        });
        Ok(())
    }

    fn granted_expiry(
        &self,
        requested: Option<core::time::Duration>,
    ) -> Option<core::time::Duration> {
        match (requested, self.config.max_expires) {
            (Some(r), Some(m)) => Some(r.min(m)),
            (r, m) => r.or(m),
        }
    }

    fn create_response(
        &self,
        id: &SequenceId,
        now: Timestamp,
        cs: &CreateSequence,
    ) -> CreateSequenceResponse {
        let expires = self
            .sequences
            .get(id)
            .and_then(|s| s.expires_at)
            .map(|e| e.saturating_since(now));
        CreateSequenceResponse {
            id: id.clone(),
            expires,
            incomplete: (self.config.version == RmVersion::V1_1).then_some(self.config.incomplete),
            accept: cs.offer.as_ref().map(|_| Accept {
                acks_to: self.local.clone(),
            }),
        }
    }

    /// A fresh identifier: a version-4 UUID URN from the injected random source.
    fn new_id(&mut self) -> SequenceId {
        loop {
            let (a, b) = ((self.random)(), (self.random)());
            let a = (a & !0xF000) | 0x4000;
            let b = (b & !(0xC << 60)) | (0x8 << 60);
            let id = SequenceId::new(format!(
                "urn:uuid:{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                a >> 32,
                (a >> 16) & 0xFFFF,
                a & 0xFFFF,
                b >> 48,
                b & 0xFFFF_FFFF_FFFF
            ));
            if !self.sequences.contains_key(&id) {
                return id;
            }
        }
    }

    /// WS-RM 1.1 §3.7: an application message.
    fn on_application(
        &mut self,
        now: Timestamp,
        proof: Option<&SecurityBinding>,
        m: ApplicationMessage,
    ) -> Result<(), Error> {
        let id = m.sequence.id.clone();
        self.bound(&id, proof)?;
        let number = m.sequence.number;
        let max = self
            .config
            .max_message_number
            .min(crate::msg::MAX_MESSAGE_NUMBER);
        let reorder_cap = self.config.reorder_buffer;
        let gated_cfg = self.config.in_order;
        let Some(s) = self.sequences.get_mut(&id) else {
            return Err(Error::UnknownSequence(id));
        };
        if number == 0 {
            return Err(Error::InvalidMessageNumber(id));
        }
        if number > max {
            return Err(Error::MessageNumberRollover(id));
        }
        let duplicate = s.received.contains(number);
        if !duplicate {
            if s.state == DestinationState::Closed {
                // §3.5: a closed sequence accepts no new messages.
                return Err(if s.version == RmVersion::V1_0 {
                    Error::LastMessageNumberExceeded(id)
                } else {
                    Error::SequenceClosed(id)
                });
            }
            if s.last_number.is_some_and(|l| number > l) {
                return Err(if s.version == RmVersion::V1_0 {
                    Error::LastMessageNumberExceeded(id)
                } else {
                    Error::SequenceClosed(id)
                });
            }
            if m.sequence.last_message && s.received.max().is_some_and(|x| x > number) {
                return Err(Error::LastMessageNumberExceeded(id));
            }
        }
        let gated = gated_cfg || s.incomplete != IncompleteSequenceBehavior::NoDiscard;
        // The next number in order is always admitted, so a full buffer cannot deadlock.
        let buffer_full = gated
            && (number != s.delivered_through.saturating_add(1)
                || s.incomplete == IncompleteSequenceBehavior::DiscardEntireSequence)
            && s.held.len() >= reorder_cap;
        let outcome = if duplicate {
            Accepted::Duplicate
        } else if buffer_full || s.received.insert(number) == Insert::TooFragmented {
            Accepted::Dropped
        } else {
            Accepted::New
        };
        s.last_activity = now;
        match outcome {
            Accepted::Duplicate | Accepted::Dropped => {
                if let Some(payload) = m.payload {
                    self.events.push_back(DestinationEvent::Released {
                        id: id.clone(),
                        number,
                        payload,
                    });
                }
                // A resent message means the source lacks our acknowledgement: answer now.
                self.send_ack(&id);
                return Ok(());
            }
            Accepted::New => {}
        }
        if m.sequence.last_message {
            s.last_number = Some(number);
        }
        // Write-ahead: the record precedes any acknowledgement covering it.
        self.persist.push_back(StoreOp::InboundRecorded {
            id: id.clone(),
            number,
            payload: m.payload,
            delivered: !gated,
            last: m.sequence.last_message,
        });
        if gated {
            s.held.insert(number, m.payload);
        } else if let Some(payload) = m.payload {
            self.events.push_back(DestinationEvent::Delivered {
                id: id.clone(),
                number,
                payload,
            });
        }
        self.drain_held(&id, false);
        self.after_accept(now, &id, m.ack_requested);
        Ok(())
    }

    /// Delivers held messages whose turn has come; at `ending` (close/terminate), applies
    /// IncompleteSequenceBehavior to what is left (WS-RM 1.1 §3.4).
    fn drain_held(&mut self, id: &SequenceId, ending: bool) {
        let Some(s) = self.sequences.get_mut(id) else {
            return;
        };
        if s.held.is_empty() {
            return;
        }
        let mut through = s.delivered_through;
        let mut delivered = Vec::new();
        let entire = s.incomplete == IncompleteSequenceBehavior::DiscardEntireSequence;
        if !entire || s.complete() {
            while let Some(p) = s.held.remove(&through.saturating_add(1)) {
                through = through.saturating_add(1);
                delivered.push((through, p));
            }
        }
        let mut discarded = Vec::new();
        if ending && !s.held.is_empty() {
            if s.incomplete == IncompleteSequenceBehavior::NoDiscard {
                // Deliver whatever arrived, in order.
                for (n, p) in core::mem::take(&mut s.held) {
                    through = n;
                    delivered.push((n, p));
                }
            } else {
                discarded = core::mem::take(&mut s.held).into_iter().collect();
            }
        }
        if through != s.delivered_through {
            s.delivered_through = through;
            self.persist.push_back(StoreOp::DeliveredThrough {
                id: id.clone(),
                number: through,
            });
            for (number, p) in delivered {
                if let Some(payload) = p {
                    self.events.push_back(DestinationEvent::Delivered {
                        id: id.clone(),
                        number,
                        payload,
                    });
                }
            }
        }
        if !discarded.is_empty() {
            self.persist.push_back(StoreOp::Discarded {
                id: id.clone(),
                numbers: discarded.iter().map(|(n, _)| *n).collect(),
            });
            for (number, p) in discarded {
                if let Some(payload) = p {
                    self.events.push_back(DestinationEvent::Released {
                        id: id.clone(),
                        number,
                        payload,
                    });
                }
            }
        }
    }

    /// The acknowledgement policy (WS-RM 1.1 §3.9; WCF AcknowledgementInterval).
    fn after_accept(&mut self, now: Timestamp, id: &SequenceId, ack_requested: bool) {
        let policy = self.config.ack_policy;
        let Some(s) = self.sequences.get_mut(id) else {
            return;
        };
        s.unacked = s.unacked.saturating_add(1);
        let now_ack = match policy {
            AckPolicy::Immediate => true,
            AckPolicy::Batched { count, interval } => {
                if s.ack_due.is_none() {
                    s.ack_due = Some(now.saturating_add(interval));
                }
                s.unacked >= count.max(1)
            }
        };
        if now_ack || ack_requested {
            self.send_ack(id);
        }
    }

    fn ack_for(&self, id: &SequenceId, s: &Inbound) -> SequenceAcknowledgement {
        let body = if s.received.is_empty() {
            AckBody::None
        } else {
            AckBody::Ranges(s.received.ranges().to_vec())
        };
        let remaining = self.config.reorder_buffer.saturating_sub(s.held.len());
        SequenceAcknowledgement {
            id: id.clone(),
            body,
            final_: s.state == DestinationState::Closed && s.version == RmVersion::V1_1,
            buffer_remaining: Some(u32::try_from(remaining).unwrap_or(u32::MAX)),
        }
    }

    /// Sends a stand-alone acknowledgement to AcksTo now.
    fn send_ack(&mut self, id: &SequenceId) {
        let Some(ack) = self.take_ack(id) else { return };
        let Some(s) = self.sequences.get(id) else {
            return;
        };
        if s.version == RmVersion::V1_0 && matches!(ack.body, AckBody::None) {
            return; // 1.0 has no `None`: nothing to say yet.
        }
        let t = Transmit {
            route: Route::Peer(s.acks_to.clone()),
            message: Message::SequenceAcknowledgement(ack),
            ack: None,
            protect_with: s.binding.clone(),
        };
        self.transmit.push_back(t);
    }

    /// Takes the acknowledgement of `id` to piggy-back on a message the runtime is sending
    /// to its AcksTo; this satisfies a pending batched acknowledgement.
    pub fn take_ack(&mut self, id: &SequenceId) -> Option<SequenceAcknowledgement> {
        let s = self.sequences.get(id)?;
        let ack = self.ack_for(id, s);
        if let Some(s) = self.sequences.get_mut(id) {
            s.unacked = 0;
            s.ack_due = None;
        }
        Some(ack)
    }

    fn on_ack_requested(
        &mut self,
        now: Timestamp,
        proof: Option<&SecurityBinding>,
        m: AckRequested,
    ) -> Result<(), Error> {
        self.bound(&m.id, proof)?;
        if let Some(s) = self.sequences.get_mut(&m.id) {
            s.last_activity = now;
        }
        self.send_ack(&m.id);
        Ok(())
    }

    /// WS-RM 1.1 §3.5 CloseSequence: no new messages; answer with the final ack.
    fn on_close(
        &mut self,
        now: Timestamp,
        proof: Option<&SecurityBinding>,
        m: CloseSequence,
    ) -> Result<(), Error> {
        self.bound(&m.id, proof)?;
        let Some(s) = self.sequences.get_mut(&m.id) else {
            return Err(Error::UnknownSequence(m.id));
        };
        if s.version == RmVersion::V1_0 {
            return Err(Error::Unexpected("CloseSequence on WS-RM 1.0"));
        }
        let to = lookup(
            DESTINATION_TRANSITIONS,
            s.state,
            DestinationTrigger::CloseSequence,
        )
        .ok_or(Error::InvalidState(s.state.name()))?;
        let was_open = s.state == DestinationState::Active;
        s.state = to;
        s.last_activity = now;
        if was_open {
            s.last_number = m.last_msg_number.or(s.received.max()).or(Some(0));
            let last_number = s.last_number;
            self.persist.push_back(StoreOp::DestinationClosed {
                id: m.id.clone(),
                last_number,
            });
            self.drain_held(&m.id, true);
            self.events
                .push_back(DestinationEvent::Closed { id: m.id.clone() });
        }
        let ack = self.take_ack(&m.id);
        let binding = self.sequences.get(&m.id).and_then(|s| s.binding.clone());
        self.reply(
            Message::CloseSequenceResponse(CloseSequenceResponse { id: m.id }),
            ack,
            binding,
        );
        Ok(())
    }

    /// WS-RM 1.1 §3.6 TerminateSequence: end the sequence; answer with the final ack.
    fn on_terminate(
        &mut self,
        now: Timestamp,
        proof: Option<&SecurityBinding>,
        m: TerminateSequence,
    ) -> Result<(), Error> {
        self.bound(&m.id, proof)?;
        let _ = now;
        let Some(s) = self.sequences.get_mut(&m.id) else {
            return Err(Error::UnknownSequence(m.id));
        };
        lookup(
            DESTINATION_TRANSITIONS,
            s.state,
            DestinationTrigger::TerminateSequence,
        )
        .ok_or(Error::InvalidState(s.state.name()))?;
        if s.last_number.is_none() {
            s.last_number = m.last_msg_number.or(s.received.max()).or(Some(0));
        }
        let version = s.version;
        let complete = s.complete();
        let reason = if complete {
            TerminationReason::Completed
        } else {
            TerminationReason::Peer
        };
        if version == RmVersion::V1_1 {
            // The response carries the final acknowledgement.
            let ack = self
                .take_ack(&m.id)
                .map(|a| SequenceAcknowledgement { final_: true, ..a });
            let binding = self.sequences.get(&m.id).and_then(|s| s.binding.clone());
            self.remove(&m.id, DestinationTrigger::TerminateSequence, reason);
            self.reply(
                Message::TerminateSequenceResponse(TerminateSequenceResponse { id: m.id }),
                ack,
                binding,
            );
        } else {
            self.remove(&m.id, DestinationTrigger::TerminateSequence, reason);
        }
        Ok(())
    }

    fn on_fault(&mut self, proof: Option<&SecurityBinding>, f: RmFault) -> Result<(), Error> {
        let Some(id) = f.sequence().cloned() else {
            return Err(Error::Unexpected("fault without a sequence"));
        };
        self.bound(&id, proof)?;
        match f.kind {
            FaultKind::SequenceTerminated
            | FaultKind::InvalidAcknowledgement
            | FaultKind::UnknownSequence => {
                self.remove(
                    &id,
                    DestinationTrigger::Fault,
                    TerminationReason::Fault(f.kind),
                );
                Ok(())
            }
            _ => Err(Error::Unexpected("fault kind not for a destination")),
        }
    }

    /// Ends a sequence: remaining held messages follow IncompleteSequenceBehavior, the
    /// termination is recorded, the entry is dropped.
    fn remove(&mut self, id: &SequenceId, trigger: DestinationTrigger, reason: TerminationReason) {
        let Some(s) = self.sequences.get(id) else {
            return;
        };
        if lookup(DESTINATION_TRANSITIONS, s.state, trigger) != Some(DestinationState::Terminated) {
            return;
        }
        self.drain_held(id, true);
        if self.sequences.remove(id).is_some() {
            self.persist
                .push_back(StoreOp::DestinationTerminated { id: id.clone() });
            self.events.push_back(DestinationEvent::Terminated {
                id: id.clone(),
                reason,
            });
        }
    }

    /// Closes a sequence from this side (WS-RM 1.1 §3.5 allows either side): no new
    /// messages; sends CloseSequence and the final acknowledgement to AcksTo.
    pub fn close(&mut self, id: &SequenceId) -> Result<(), Error> {
        let s = self
            .sequences
            .get_mut(id)
            .ok_or_else(|| Error::NoSuchSequence(id.clone()))?;
        s.state = lookup(DESTINATION_TRANSITIONS, s.state, DestinationTrigger::Close)
            .ok_or(Error::InvalidState(s.state.name()))?;
        s.last_number = s.received.max().or(Some(0));
        let last_number = s.last_number;
        let (acks_to, binding, version) = (s.acks_to.clone(), s.binding.clone(), s.version);
        self.persist.push_back(StoreOp::DestinationClosed {
            id: id.clone(),
            last_number,
        });
        self.drain_held(id, true);
        if version == RmVersion::V1_1 {
            let msg = Message::CloseSequence(CloseSequence {
                id: id.clone(),
                last_msg_number: last_number.filter(|n| *n > 0),
            });
            self.transmit.push_back(Transmit {
                route: Route::Peer(acks_to),
                message: msg,
                ack: None,
                protect_with: binding,
            });
        }
        self.send_ack(id);
        self.events
            .push_back(DestinationEvent::Closed { id: id.clone() });
        Ok(())
    }

    /// Terminates a sequence from this side, telling the source (1.1 TerminateSequence).
    pub fn terminate(&mut self, id: &SequenceId) -> Result<(), Error> {
        let s = self
            .sequences
            .get(id)
            .ok_or_else(|| Error::NoSuchSequence(id.clone()))?;
        lookup(
            DESTINATION_TRANSITIONS,
            s.state,
            DestinationTrigger::Terminate,
        )
        .ok_or(Error::InvalidState(s.state.name()))?;
        let (acks_to, binding, version) = (s.acks_to.clone(), s.binding.clone(), s.version);
        let last = s.received.max();
        self.remove(id, DestinationTrigger::Terminate, TerminationReason::Local);
        if version == RmVersion::V1_1 {
            let msg = Message::TerminateSequence(TerminateSequence {
                id: id.clone(),
                last_msg_number: last,
            });
            self.transmit.push_back(Transmit {
                route: Route::Peer(acks_to),
                message: msg,
                ack: None,
                protect_with: binding,
            });
        }
        Ok(())
    }

    /// Handles the passage of time: batched acknowledgements, inactivity, expiry.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        let timeout = self.config.inactivity_timeout;
        let mut ended = Vec::new();
        let mut acks = Vec::new();
        for (id, s) in &self.sequences {
            if s.expires_at.is_some_and(|e| now >= e) {
                ended.push((
                    id.clone(),
                    DestinationTrigger::Expired,
                    TerminationReason::Expired,
                ));
            } else if now >= s.last_activity.saturating_add(timeout) {
                ended.push((
                    id.clone(),
                    DestinationTrigger::InactivityTimeout,
                    TerminationReason::InactivityTimeout,
                ));
            } else if s.ack_due.is_some_and(|d| d <= now) {
                acks.push(id.clone());
            }
        }
        // Deterministic order regardless of hashing.
        ended.sort_by(|a, b| a.0.cmp(&b.0));
        acks.sort();
        for (id, trigger, reason) in ended {
            self.remove(&id, trigger, reason);
        }
        for id in acks {
            self.send_ack(&id);
        }
    }

    /// The next deadline at which `handle_timeout` must be called.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let timeout = self.config.inactivity_timeout;
        self.sequences.values().fold(None, |t, s| {
            let t = earliest(t, Some(s.last_activity.saturating_add(timeout)));
            let t = earliest(t, s.expires_at);
            earliest(t, s.ack_due)
        })
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
