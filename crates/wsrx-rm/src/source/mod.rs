//! The RM Source: one outbound sequence (WS-RM 1.1 §2.3 "RM Source").
//!
//! Numbering, write-ahead storage of each message before its first transmission,
//! retransmission with exponential backoff and injected jitter from a timeout that
//! measured round trips lengthen ([`crate::rtt`]), AckRequested policy,
//! immediate resend on Nack, the in-flight window (`send` pushes back with
//! [`Error::Backpressure`]; nothing is queued without bound), close, terminate,
//! inactivity, expiry and the maximum message number.

mod state;

use core::time::Duration;
use std::collections::{BTreeMap, VecDeque};

pub use state::{SOURCE_TRANSITIONS, SourceState, SourceTrigger};

use crate::binding::{SecurityBinding, TokenRef, proves};
use crate::config::{AckRequestPolicy, Backoff, SourceConfig};
use crate::error::Error;
use crate::events::{SourceEvent, TerminationReason};
use crate::fsm::lookup;
use crate::msg::{
    AckBody, AckRange, AckRequested, ApplicationMessage, CloseSequence, CloseSequenceResponse,
    CreateSequence, CreateSequenceResponse, EndpointRef, FaultCode, FaultDetail, FaultKind,
    Message, Offer, PayloadRef, RmFault, Route, SequenceAcknowledgement, SequenceHeader,
    SequenceId, TerminateSequence, TerminateSequenceResponse, Transmit,
};
use crate::persist::{SourceRecord, StoreOp};
use crate::ranges::RangeSet;
use crate::rtt::RttEstimator;
use crate::time::{Timestamp, earliest};
use crate::version::RmVersion;

/// The injected random source (for jitter). The caller seeds it; this crate never reads
/// OS randomness.
pub type RandomSource = Box<dyn FnMut() -> u64 + Send>;

/// Parameters of [`Source::create_sequence`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateParams {
    /// The RM Destination's endpoint.
    pub to: EndpointRef,
    /// Our AcksTo.
    pub acks_to: EndpointRef,
    /// The security context token to bind the sequence to (its STR goes in the body and,
    /// on 1.1, `UsesSequenceSTR` in the header); `None` for an unbound sequence.
    pub binding: Option<SecurityBinding>,
    /// An offered reverse sequence (duplex).
    pub offer: Option<Offer>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Outbound {
    payload: Option<PayloadRef>,
    last: bool,
    attempts: u32,
    due: Timestamp,
    /// When it was first transmitted (a round-trip sample if acknowledged before any
    /// retransmission); `None` when restored (resent at once: never a sample).
    sent: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Control {
    message: Message,
    attempts: u32,
    due: Timestamp,
}

/// An RM Source for one outbound sequence.
///
/// Call order (sans-IO, house-style §2): after every input (`handle_message`,
/// `handle_timeout`, `send`, `close`, `terminate`, construction), drain
/// [`poll_persist`](Self::poll_persist) and make the ops durable, then
/// [`poll_transmit`](Self::poll_transmit), then [`poll_event`](Self::poll_event), then
/// read [`poll_timeout`](Self::poll_timeout) and call `handle_timeout` when it passes.
pub struct Source {
    config: SourceConfig,
    random: RandomSource,
    to: EndpointRef,
    binding: Option<SecurityBinding>,
    state: SourceState,
    id: Option<SequenceId>,
    expires_at: Option<Timestamp>,
    next_number: u64,
    in_flight: BTreeMap<u64, Outbound>,
    acked: RangeSet,
    last_number: Option<u64>,
    control: Option<Control>,
    last_heard: Timestamp,
    last_keepalive: Timestamp,
    since_ack_request: u32,
    flow_limit: Option<u64>,
    rtt: RttEstimator,
    persist: VecDeque<StoreOp>,
    transmit: VecDeque<Transmit>,
    events: VecDeque<SourceEvent>,
}

impl core::fmt::Debug for Source {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Source")
            .field("id", &self.id)
            .field("state", &self.state)
            .field("next_number", &self.next_number)
            .field("in_flight", &self.in_flight.len())
            .finish_non_exhaustive()
    }
}

impl Source {
    /// Starts a sequence: queues a CreateSequence (WS-RM 1.1 §3.4), retransmitted with
    /// backoff until a CreateSequenceResponse or CreateSequenceRefused arrives.
    pub fn create_sequence(
        now: Timestamp,
        config: SourceConfig,
        params: CreateParams,
        random: RandomSource,
    ) -> Self {
        let mut s = Self::blank(now, config, params.to, params.binding, random);
        let uses_str = s.binding.is_some() && s.config.version == RmVersion::V1_1;
        let cs = CreateSequence {
            acks_to: params.acks_to,
            expires: s.config.expires,
            offer: params.offer,
            str_token: s.binding.clone().map(TokenRef),
            uses_sequence_str: uses_str,
        };
        s.start_control(now, Message::CreateSequence(cs));
        s
    }

    /// A Source for the sequence the *peer* offered in its CreateSequence and our
    /// Destination accepted (WS-RM 1.1 §3.4 Offer). It is active at once, with the
    /// offerer's identifier and endpoint, bound to the same token.
    pub fn from_accepted_offer(
        now: Timestamp,
        config: SourceConfig,
        offer: &Offer,
        binding: Option<SecurityBinding>,
        random: RandomSource,
    ) -> Self {
        let mut s = Self::blank(now, config, offer.endpoint.clone(), binding, random);
        s.state = SourceState::Active;
        s.id = Some(offer.id.clone());
        s.expires_at = offer.expires.map(|d| now.saturating_add(d));
        s.persist.push_back(StoreOp::SourceCreated(s.record()));
        s.events.push_back(SourceEvent::Created {
            id: offer.id.clone(),
            offer_accepted: None,
        });
        s
    }

    fn blank(
        now: Timestamp,
        config: SourceConfig,
        to: EndpointRef,
        binding: Option<SecurityBinding>,
        random: RandomSource,
    ) -> Self {
        let acked = RangeSet::new(config.max_ack_ranges);
        Self {
            config,
            random,
            to,
            binding,
            state: SourceState::Creating,
            id: None,
            expires_at: None,
            next_number: 1,
            in_flight: BTreeMap::new(),
            acked,
            last_number: None,
            control: None,
            last_heard: now,
            last_keepalive: now,
            since_ack_request: 0,
            flow_limit: None,
            rtt: RttEstimator::new(),
            persist: VecDeque::new(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    fn record(&self) -> SourceRecord {
        SourceRecord {
            id: self.id.clone().unwrap_or_else(|| SequenceId::new("")),
            version: self.config.version,
            to: self.to.clone(),
            binding: self.binding.clone(),
            expires_at: self.expires_at,
        }
    }

    /// Rebuilds a Source from its durable records (all ops of one sequence, in the order
    /// they were emitted). Returns `Ok(None)` when the records hold no live sequence (never
    /// created, or terminated): the application starts afresh. Unacknowledged messages
    /// are retransmitted at once.
    pub fn restore<'a>(
        now: Timestamp,
        config: SourceConfig,
        records: impl IntoIterator<Item = &'a StoreOp>,
        random: RandomSource,
    ) -> Result<Option<Self>, Error> {
        let mut me: Option<Self> = None;
        for op in records {
            match op {
                StoreOp::SourceCreated(r) => {
                    let mut config = config.clone();
                    config.version = r.version;
                    let mut s =
                        Self::blank(now, config, r.to.clone(), r.binding.clone(), Box::new(|| 0));
                    s.id = Some(r.id.clone());
                    s.expires_at = r.expires_at;
                    s.state = SourceState::Active;
                    me = Some(s);
                }
                StoreOp::OutboundStored {
                    number,
                    payload,
                    last,
                    ..
                } => {
                    let s = me
                        .as_mut()
                        .ok_or(Error::BadRecords("message before creation"))?;
                    s.in_flight.insert(
                        *number,
                        Outbound {
                            payload: *payload,
                            last: *last,
                            attempts: 0,
                            due: now,
                            sent: None,
                        },
                    );
                    s.next_number = s.next_number.max(number.saturating_add(1));
                    if *last {
                        s.last_number = Some(*number);
                    }
                }
                StoreOp::OutboundAcked { ranges, .. } => {
                    let s = me
                        .as_mut()
                        .ok_or(Error::BadRecords("ack before creation"))?;
                    for r in ranges {
                        s.acked.insert_range_growing(*r);
                        for n in r.lower..=r.upper.min(s.next_number) {
                            s.in_flight.remove(&n);
                        }
                    }
                }
                StoreOp::SourceStateChanged {
                    state, last_number, ..
                } => {
                    let s = me
                        .as_mut()
                        .ok_or(Error::BadRecords("state before creation"))?;
                    s.state = *state;
                    if last_number.is_some() {
                        s.last_number = *last_number;
                    }
                }
                StoreOp::SourceTerminated { .. } => me = None,
                _ => {}
            }
        }
        let Some(mut s) = me else { return Ok(None) };
        s.random = random;
        match s.state {
            SourceState::Closing => s.maybe_send_close(now),
            SourceState::Terminating => s.send_terminate(now),
            _ => {}
        }
        Ok(Some(s))
    }

    /// The state.
    pub fn state(&self) -> SourceState {
        self.state
    }

    /// The sequence identifier, once created.
    pub fn id(&self) -> Option<&SequenceId> {
        self.id.as_ref()
    }

    /// The bound token.
    pub fn binding(&self) -> Option<&SecurityBinding> {
        self.binding.as_ref()
    }

    /// Unacknowledged messages.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// The highest message number assigned so far (0 for none; recovered ones included).
    pub fn last_number_assigned(&self) -> u64 {
        self.next_number.saturating_sub(1)
    }

    /// What the window holds: the unacknowledged messages, or with
    /// [`SourceConfig::bound_span`] the numbers from the lowest unacknowledged message
    /// to the next (never fewer).
    fn window_used(&self) -> u64 {
        let count = u64::try_from(self.in_flight.len()).unwrap_or(u64::MAX);
        if !self.config.bound_span {
            return count;
        }
        self.in_flight
            .keys()
            .next()
            .map_or(0, |low| self.next_number.saturating_sub(*low))
            .max(count)
    }

    /// Whether `send` would accept a message now.
    pub fn can_send(&self) -> bool {
        self.check_send().is_ok()
    }

    fn check_send(&self) -> Result<(), Error> {
        match self.state {
            SourceState::Creating => return Err(Error::NotReady),
            SourceState::Active => {}
            other => return Err(Error::InvalidState(other.name())),
        }
        if self.next_number
            > self
                .config
                .max_message_number
                .min(crate::msg::MAX_MESSAGE_NUMBER)
        {
            return Err(Error::NumbersExhausted);
        }
        let window = u64::try_from(self.config.max_in_flight).unwrap_or(u64::MAX);
        if self.window_used() >= window {
            return Err(Error::Backpressure);
        }
        if self
            .flow_limit
            .is_some_and(|limit| self.next_number > limit)
            && !self.in_flight.is_empty()
        {
            return Err(Error::Backpressure);
        }
        Ok(())
    }

    /// Assigns the next message number to `payload`, records it (write-ahead) and
    /// transmits it. Fails with [`Error::Backpressure`] when the window is full.
    pub fn send(&mut self, now: Timestamp, payload: PayloadRef) -> Result<u64, Error> {
        self.check_send()?;
        Ok(self.push_message(now, Some(payload), false))
    }

    fn push_message(&mut self, now: Timestamp, payload: Option<PayloadRef>, last: bool) -> u64 {
        let number = self.next_number;
        self.next_number = number.saturating_add(1);
        let id = self.current_id();
        // Write-ahead: stored before the first transmission.
        self.persist.push_back(StoreOp::OutboundStored {
            id,
            number,
            payload,
            last,
        });
        self.since_ack_request = self.since_ack_request.saturating_add(1);
        // next_number already counts this message; in_flight does not hold it yet.
        let window = u64::try_from(self.config.max_in_flight).unwrap_or(u64::MAX);
        let used = if self.config.bound_span {
            self.window_used()
        } else {
            self.window_used().saturating_add(1)
        };
        let window_full = used.max(1) >= window;
        let ack_requested = last
            || window_full
            || match self.config.ack_request {
                AckRequestPolicy::EveryMessage => true,
                AckRequestPolicy::Every(n) => self.since_ack_request >= n.max(1),
                AckRequestPolicy::WhenWindowFull => false,
            };
        if ack_requested {
            self.since_ack_request = 0;
        }
        let delay = self.retransmission_delay(0);
        self.in_flight.insert(
            number,
            Outbound {
                payload,
                last,
                attempts: 0,
                due: now.saturating_add(delay),
                sent: Some(now),
            },
        );
        self.transmit_app(number, payload, last, ack_requested);
        number
    }

    fn current_id(&self) -> SequenceId {
        self.id.clone().unwrap_or_else(|| SequenceId::new(""))
    }

    fn transmit_app(
        &mut self,
        number: u64,
        payload: Option<PayloadRef>,
        last: bool,
        ack_requested: bool,
    ) {
        let msg = Message::Application(ApplicationMessage {
            sequence: SequenceHeader {
                id: self.current_id(),
                number,
                last_message: last && self.config.version == RmVersion::V1_0,
            },
            ack_requested,
            payload,
        });
        self.push_transmit(msg);
    }

    fn push_transmit(&mut self, message: Message) {
        self.transmit.push_back(Transmit {
            route: Route::Peer(self.to.clone()),
            message,
            ack: None,
            protect_with: self.binding.clone(),
        });
    }

    fn start_control(&mut self, now: Timestamp, message: Message) {
        self.push_transmit(message.clone());
        let due = now.saturating_add(self.config.retransmission.jittered(0, (self.random)()));
        self.control = Some(Control {
            message,
            attempts: 0,
            due,
        });
    }

    /// Closes the sequence (WS-RM 1.1 §3.5): no new messages. CloseSequence is sent once
    /// every message is acknowledged (as WCF does, B1201); on 1.0 a `LastMessage` message
    /// takes its place.
    pub fn close(&mut self, now: Timestamp) -> Result<(), Error> {
        self.apply(SourceTrigger::Close)?;
        let id = self.current_id();
        if self.config.version == RmVersion::V1_0 {
            let n = self.push_message(now, None, true);
            self.last_number = Some(n);
        } else {
            self.last_number = self.next_number.checked_sub(1).filter(|n| *n > 0);
        }
        self.persist.push_back(StoreOp::SourceStateChanged {
            id,
            state: self.state,
            last_number: self.last_number,
        });
        self.maybe_send_close(now);
        Ok(())
    }

    fn maybe_send_close(&mut self, now: Timestamp) {
        if self.state != SourceState::Closing || !self.in_flight.is_empty() {
            return;
        }
        if self.config.version == RmVersion::V1_0 {
            // Everything including LastMessage is acknowledged.
            self.enter_closed(SourceTrigger::CloseCompleted);
        } else if self.control.is_none() {
            let msg = Message::CloseSequence(CloseSequence {
                id: self.current_id(),
                last_msg_number: self.last_number,
            });
            self.start_control(now, msg);
        }
    }

    fn enter_closed(&mut self, trigger: SourceTrigger) {
        if self.apply(trigger).is_ok() {
            self.control = None;
            let id = self.current_id();
            self.persist.push_back(StoreOp::SourceStateChanged {
                id,
                state: self.state,
                last_number: self.last_number,
            });
            self.events.push_back(SourceEvent::Closed);
        }
    }

    /// Terminates the sequence (WS-RM 1.1 §3.6). Unacknowledged messages are abandoned.
    /// On 1.1 TerminateSequence is retransmitted until answered; 1.0 has no answer.
    pub fn terminate(&mut self, now: Timestamp) -> Result<(), Error> {
        let before = self.state;
        self.apply(SourceTrigger::Terminate)?;
        if before == SourceState::Creating {
            self.control = None;
            self.finish(TerminationReason::Local);
            return Ok(());
        }
        let id = self.current_id();
        if self.last_number.is_none() {
            self.last_number = self.next_number.checked_sub(1).filter(|n| *n > 0);
        }
        self.persist.push_back(StoreOp::SourceStateChanged {
            id,
            state: self.state,
            last_number: self.last_number,
        });
        self.send_terminate(now);
        Ok(())
    }

    fn send_terminate(&mut self, now: Timestamp) {
        let msg = Message::TerminateSequence(TerminateSequence {
            id: self.current_id(),
            last_msg_number: if self.config.version == RmVersion::V1_1 {
                self.last_number
            } else {
                None
            },
        });
        if self.config.version == RmVersion::V1_0 {
            self.push_transmit(msg);
            let reason = if self.in_flight.is_empty() {
                TerminationReason::Completed
            } else {
                TerminationReason::Local
            };
            if self.apply(SourceTrigger::TerminateCompleted).is_ok() {
                self.finish(reason);
            }
        } else {
            self.start_control(now, msg);
        }
    }

    /// Moves to Terminated: records it, abandons what is unacknowledged, reports `reason`.
    fn finish(&mut self, reason: TerminationReason) {
        self.state = SourceState::Terminated;
        self.control = None;
        if let Some(id) = self.id.clone() {
            self.persist.push_back(StoreOp::SourceTerminated { id });
        }
        for (number, o) in core::mem::take(&mut self.in_flight) {
            self.events.push_back(SourceEvent::Abandoned {
                number,
                payload: o.payload,
            });
        }
        self.events.push_back(SourceEvent::Terminated(reason));
    }

    fn apply(&mut self, trigger: SourceTrigger) -> Result<(), Error> {
        let to = lookup(SOURCE_TRANSITIONS, self.state, trigger)
            .ok_or(Error::InvalidState(self.state.name()))?;
        self.state = to;
        Ok(())
    }

    fn end(&mut self, trigger: SourceTrigger, reason: TerminationReason) {
        if self.apply(trigger).is_ok() {
            self.finish(reason);
        }
    }

    /// Handles one inbound RM message proven by `proof` (the token that verified it;
    /// `None` = unsigned). A message for this sequence not proven by its bound token is
    /// refused with [`Error::BindingMismatch`] and changes nothing (WS-RM 1.2 §5).
    pub fn handle_message(
        &mut self,
        now: Timestamp,
        proof: Option<&SecurityBinding>,
        msg: Message,
    ) -> Result<(), Error> {
        let result = self.handle_inner(now, proof, msg);
        if let Err(e) = &result {
            self.events.push_back(SourceEvent::Refused(e.clone()));
        }
        result
    }

    fn handle_inner(
        &mut self,
        now: Timestamp,
        proof: Option<&SecurityBinding>,
        msg: Message,
    ) -> Result<(), Error> {
        if self.state == SourceState::Terminated {
            return Err(Error::Unexpected("sequence terminated"));
        }
        // Which sequence does it touch? A CreateSequenceResponse (or a refusal) answers our
        // pending CreateSequence; everything else must name our identifier.
        let creating = self.state == SourceState::Creating;
        let named = msg.sequence_id().cloned();
        let ours = match (&named, &self.id) {
            (Some(n), Some(id)) => n == id,
            (_, None) => creating,
            (None, Some(_)) => false,
        };
        let is_csr = matches!(msg, Message::CreateSequenceResponse(_));
        let is_refusal = matches!(&msg, Message::Fault(f) if matches!(f.kind, FaultKind::CreateSequenceRefused(_)));
        if creating && !(is_csr || is_refusal) {
            return Err(Error::Unexpected("message before CreateSequenceResponse"));
        }
        if !ours && !(creating && (is_csr || is_refusal)) {
            return Err(named.map_or(
                Error::Unexpected("no sequence named"),
                Error::UnknownSequence,
            ));
        }
        // WS-RM 1.2 §5: every message touching a bound sequence, responses included, is
        // proven by the bound token. Checked before any state is touched.
        if !proves(self.binding.as_ref(), proof) {
            return Err(Error::BindingMismatch(
                named
                    .or_else(|| self.id.clone())
                    .unwrap_or_else(|| SequenceId::new("")),
            ));
        }
        match msg {
            Message::CreateSequenceResponse(csr) => self.on_create_response(now, csr)?,
            Message::SequenceAcknowledgement(ack) => self.on_ack(now, ack)?,
            Message::CloseSequenceResponse(_) => {
                if self.state != SourceState::Closing || self.control.is_none() {
                    return Err(Error::Unexpected("CloseSequenceResponse"));
                }
                self.enter_closed(SourceTrigger::CloseCompleted);
            }
            Message::TerminateSequenceResponse(_) => {
                if self.state != SourceState::Terminating {
                    return Err(Error::Unexpected("TerminateSequenceResponse"));
                }
                let reason = if self.in_flight.is_empty() {
                    TerminationReason::Completed
                } else {
                    TerminationReason::Local
                };
                self.end(SourceTrigger::TerminateCompleted, reason);
            }
            Message::CloseSequence(c) => {
                // WS-RM 1.1 §3.5: either side may close.
                self.push_transmit(Message::CloseSequenceResponse(CloseSequenceResponse {
                    id: c.id,
                }));
                if matches!(self.state, SourceState::Active | SourceState::Closing) {
                    self.enter_closed(SourceTrigger::PeerClose);
                }
            }
            Message::TerminateSequence(t) => {
                if self.config.version == RmVersion::V1_1 {
                    self.push_transmit(Message::TerminateSequenceResponse(
                        TerminateSequenceResponse { id: t.id },
                    ));
                }
                self.end(SourceTrigger::PeerTerminate, TerminationReason::Peer);
            }
            Message::Fault(f) => self.on_fault(now, f)?,
            Message::CreateSequence(_) | Message::Application(_) | Message::AckRequested(_) => {
                return Err(Error::Unexpected("destination-bound message at a source"));
            }
        }
        self.last_heard = now;
        Ok(())
    }

    fn on_create_response(
        &mut self,
        now: Timestamp,
        csr: CreateSequenceResponse,
    ) -> Result<(), Error> {
        if self.state != SourceState::Creating {
            // A duplicate response to a retransmitted CreateSequence: the orphan sequence
            // at the destination ends by inactivity.
            return if self.id.as_ref() == Some(&csr.id) {
                Ok(())
            } else {
                Err(Error::Unexpected("stale CreateSequenceResponse"))
            };
        }
        self.apply(SourceTrigger::CreateAccepted)?;
        self.control = None;
        self.id = Some(csr.id.clone());
        self.expires_at = csr.expires.map(|d| now.saturating_add(d));
        self.last_keepalive = now;
        self.persist
            .push_back(StoreOp::SourceCreated(self.record()));
        self.events.push_back(SourceEvent::Created {
            id: csr.id,
            offer_accepted: csr.accept,
        });
        Ok(())
    }

    fn on_fault(&mut self, now: Timestamp, f: RmFault) -> Result<(), Error> {
        match f.kind {
            FaultKind::CreateSequenceRefused(r) if self.state == SourceState::Creating => {
                self.end(SourceTrigger::CreateRefused, TerminationReason::Refused(r));
            }
            FaultKind::UnknownSequence if self.state == SourceState::Terminating => {
                // Our TerminateSequence was processed but its response lost.
                self.end(
                    SourceTrigger::TerminateCompleted,
                    TerminationReason::Completed,
                );
            }
            FaultKind::SequenceClosed => {
                if matches!(self.state, SourceState::Active | SourceState::Closing) {
                    self.enter_closed(SourceTrigger::PeerClose);
                }
            }
            FaultKind::MessageNumberRollover => {
                // No more numbers: close.
                if self.state == SourceState::Active {
                    self.close(now)?;
                }
            }
            kind => self.end(SourceTrigger::PeerTerminate, TerminationReason::Fault(kind)),
        }
        Ok(())
    }

    /// WS-RM 1.1 §3.9: ranges cover only sent messages, never drop what an earlier ack
    /// covered (else InvalidAcknowledgement, §4.4); Nack asks for an immediate resend.
    fn on_ack(&mut self, now: Timestamp, ack: SequenceAcknowledgement) -> Result<(), Error> {
        if self.state == SourceState::Creating {
            return Err(Error::Unexpected("ack before creation"));
        }
        let highest_sent = self.next_number.saturating_sub(1);
        let id = self.current_id();
        let invalid = |me: &mut Self, ack: SequenceAcknowledgement| {
            let fault = RmFault {
                kind: FaultKind::InvalidAcknowledgement,
                code: FaultCode::Sender,
                detail: FaultDetail::Acknowledgement(Box::new(ack)),
            };
            me.push_transmit(Message::Fault(fault));
            me.end(
                SourceTrigger::InvalidAck,
                TerminationReason::InvalidAcknowledgement,
            );
            Err(Error::InvalidAcknowledgement(me.current_id()))
        };
        match &ack.body {
            AckBody::None => {
                // Nothing accepted yet: stale if we hold acknowledgements (see Ranges).
            }
            AckBody::Nacks(nacks) => {
                if ack.final_
                    || nacks
                        .iter()
                        .any(|n| *n == 0 || *n > highest_sent || self.acked.contains(*n))
                {
                    return invalid(self, ack);
                }
                for n in nacks {
                    if let Some(o) = self.in_flight.get_mut(n) {
                        o.due = now;
                    }
                }
                // Resend now rather than at the next timeout.
                self.retransmit_due(now);
            }
            AckBody::Ranges(ranges) => {
                let mut new = RangeSet::new(ranges.len().max(1));
                for r in ranges {
                    if r.lower == 0 || r.lower > r.upper || r.upper > highest_sent {
                        return invalid(self, ack);
                    }
                    new.insert_range(*r);
                }
                // Ranges never overlap (§3.9): the numbers they list add up to the set's size.
                let listed: u128 = ranges
                    .iter()
                    .map(|r| u128::from(r.upper - r.lower) + 1)
                    .sum();
                let held: u128 = new
                    .ranges()
                    .iter()
                    .map(|r| u128::from(r.upper - r.lower) + 1)
                    .sum();
                if listed != held {
                    return invalid(self, ack);
                }
                // The cumulative invariant (§3.9) binds the destination; HTTP does not order
                // messages, so an ack that fails to cover an earlier one is taken as stale
                // (overtaken in transit), not as InvalidAcknowledgement: its numbers are
                // merged. Acking an unsent number stays invalid (checked above).
                let newly: Vec<u64> = self
                    .in_flight
                    .keys()
                    .copied()
                    .filter(|n| new.contains(*n))
                    .collect();
                let mut newly_ranges: Vec<AckRange> = Vec::new();
                for n in newly {
                    if let Some(o) = self.in_flight.remove(&n) {
                        // Karn: only messages sent once give a round-trip sample.
                        if let Some(sent) = o.sent.filter(|_| o.attempts == 0) {
                            self.rtt.sample(now.saturating_since(sent));
                        }
                        self.events.push_back(SourceEvent::Acknowledged {
                            number: n,
                            payload: o.payload,
                        });
                    }
                    match newly_ranges.last_mut() {
                        Some(r) if r.upper.checked_add(1) == Some(n) => r.upper = n,
                        _ => newly_ranges.push(AckRange { lower: n, upper: n }),
                    }
                }
                if !newly_ranges.is_empty() {
                    self.persist.push_back(StoreOp::OutboundAcked {
                        id,
                        ranges: newly_ranges,
                    });
                }
                for r in new.ranges() {
                    self.acked.insert_range_growing(*r);
                }
            }
        }
        // netrm:BufferRemaining: WCF-style flow control.
        self.flow_limit = ack
            .buffer_remaining
            .map(|b| highest_sent.saturating_add(u64::from(b)));
        self.maybe_send_close(now);
        Ok(())
    }

    fn retransmit_due(&mut self, now: Timestamp) {
        if !matches!(self.state, SourceState::Active | SourceState::Closing) {
            return;
        }
        let due: Vec<u64> = self
            .in_flight
            .iter()
            .filter(|(_, o)| o.due <= now)
            .map(|(n, _)| *n)
            .collect();
        for n in due {
            let attempts = self
                .in_flight
                .get(&n)
                .map_or(0, |o| o.attempts.saturating_add(1));
            let delay = self.retransmission_delay(attempts);
            let Some(o) = self.in_flight.get_mut(&n) else {
                continue;
            };
            o.attempts = attempts;
            o.due = now.saturating_add(delay);
            let (payload, last) = (o.payload, o.last);
            self.transmit_app(n, payload, last, true);
        }
    }

    /// The wait before retransmitting a message for the `attempt`-th time (0: after its
    /// first transmission): the configured backoff, started from the retransmission
    /// timeout the measured round trips give (never below the configured first
    /// interval), with jitter.
    fn retransmission_delay(&mut self, attempt: u32) -> Duration {
        let backoff = self.config.retransmission;
        let start = self.rtt.timeout(backoff.base, backoff.max);
        let scaled = Backoff {
            base: start,
            ..backoff
        };
        scaled.jittered(attempt, (self.random)())
    }

    /// The smoothed round-trip time measured so far (message to acknowledgement).
    pub fn smoothed_rtt(&self) -> Option<Duration> {
        self.rtt.smoothed()
    }

    /// Handles the passage of time: retransmissions, keep-alive, inactivity, expiry.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        if self.state == SourceState::Terminated {
            return;
        }
        if self.expires_at.is_some_and(|e| now >= e) {
            self.end(SourceTrigger::Expired, TerminationReason::Expired);
            return;
        }
        if now
            >= self
                .last_heard
                .saturating_add(self.config.inactivity_timeout)
        {
            self.end(
                SourceTrigger::InactivityTimeout,
                TerminationReason::InactivityTimeout,
            );
            return;
        }
        self.retransmit_due(now);
        if let Some(c) = self.control.as_mut()
            && c.due <= now
        {
            {
                c.attempts = c.attempts.saturating_add(1);
                let attempts = c.attempts;
                let msg = c.message.clone();
                let d = self
                    .config
                    .retransmission
                    .jittered(attempts, (self.random)());
                if let Some(c) = self.control.as_mut() {
                    c.due = now.saturating_add(d);
                }
                self.push_transmit(msg);
            }
        }
        if let Some(k) = self.keepalive_due()
            && k <= now
        {
            {
                self.last_keepalive = now;
                self.push_transmit(Message::AckRequested(AckRequested {
                    id: self.current_id(),
                }));
            }
        }
    }

    fn keepalive_due(&self) -> Option<Timestamp> {
        if !matches!(
            self.state,
            SourceState::Active | SourceState::Closing | SourceState::Closed
        ) {
            return None;
        }
        Some(
            self.last_heard
                .max(self.last_keepalive)
                .saturating_add(self.config.inactivity_timeout / 2),
        )
    }

    /// The next deadline at which `handle_timeout` must be called.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        if self.state == SourceState::Terminated {
            return None;
        }
        let mut t = Some(
            self.last_heard
                .saturating_add(self.config.inactivity_timeout),
        );
        t = earliest(t, self.expires_at);
        t = earliest(t, self.control.as_ref().map(|c| c.due));
        t = earliest(t, self.keepalive_due());
        if matches!(self.state, SourceState::Active | SourceState::Closing) {
            t = earliest(t, self.in_flight.values().map(|o| o.due).min());
        }
        t
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
    pub fn poll_event(&mut self) -> Option<SourceEvent> {
        self.events.pop_front()
    }

    /// Everything that makes up the sequence's state, for "changed nothing" assertions.
    #[cfg(test)]
    pub(crate) fn fingerprint(&self) -> String {
        format!(
            "{:?} {:?} {:?} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} q={}/{}",
            self.state,
            self.id,
            self.expires_at,
            self.next_number,
            self.in_flight,
            self.acked,
            self.last_number,
            self.control,
            self.last_heard,
            self.last_keepalive,
            self.flow_limit,
            self.since_ack_request,
            self.persist.len(),
            self.transmit.len(),
        )
    }
}

#[cfg(test)]
mod tests;
