//! The RM Source: one outbound sequence (WS-RM 1.1 §2.3 "RM Source").
//!
//! Numbering, write-ahead storage of each message before its first transmission,
//! retransmission with exponential backoff and injected jitter from a timeout that
//! measured round trips lengthen ([`crate::rtt`]), AckRequested policy,
//! immediate resend on Nack, the in-flight window (`send` pushes back with
//! [`Error::Backpressure`]; nothing is queued without bound), close, terminate,
//! inactivity, expiry and the maximum message number.

mod ack;
mod ending;
mod held;
mod restore;
pub(crate) mod state;
mod timers;

use std::collections::{BTreeMap, VecDeque};

pub use held::HeldSequence;
pub use state::{SOURCE_TRANSITIONS, SourceState, SourceTrigger};

use crate::binding::{SecurityBinding, TokenRef, proves};
use crate::config::{AckRequestPolicy, SequenceStr, SourceConfig};
use crate::error::Error;
use crate::events::{SourceEvent, TerminationReason, Undelivered};
use crate::msg::{
    AckRequested, ApplicationMessage, CloseSequenceResponse, CreateSequence,
    CreateSequenceResponse, EndpointRef, FaultKind, IncompleteSequenceBehavior, Message, Offer,
    PayloadRef, Route, SequenceHeader, SequenceId, TerminateSequenceResponse, Transmit, lifetime,
};
use crate::persist::{SourceRecord, StoreOp};
use crate::ranges::RangeSet;
use crate::rtt::RttEstimator;
use crate::time::Timestamp;
use crate::version::RmVersion;

/// The injected random source (for jitter). The caller seeds it; this crate never reads
/// OS randomness.
pub type RandomSource = Box<dyn FnMut() -> u64 + Send>;

/// What a sequence's records hold after a restart.
#[derive(Debug)]
pub enum Recovered {
    /// A live sequence, resumed: its unacknowledged messages are retransmitted at once.
    Live(Box<Source>),
    /// A sequence that failed with messages undelivered; they are held.
    Held(HeldSequence),
    /// Nothing: never created, or terminated with everything acknowledged.
    Gone,
}

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
    /// retransmission); `None` when restored or never sent.
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
    /// Round trips measured on messages acknowledged without a retransmission.
    rtt: RttEstimator,
    /// The IncompleteSequenceBehavior the destination granted (CreateSequenceResponse,
    /// WS-RM 1.1 §3.4): decides which acknowledged messages are safe to release.
    incomplete: IncompleteSequenceBehavior,
    /// The destination closed the sequence (CloseSequence or SequenceClosed).
    closed_by_peer: bool,
    /// Set when the sequence ended with messages unacknowledged.
    undelivered: Option<Undelivered>,
    /// Test-only: the defect of issue 15 (a sequence ending with gaps reports its
    /// unacknowledged messages as acknowledged), to show the simulation catches it.
    #[cfg(test)]
    pub(crate) broken_fault_counts_as_ack: bool,
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
        // What the CreateSequence says of the binding (`SequenceStr`): the sequence is
        // bound to `params.binding` whatever is written.
        let (body_str, header) = match s.config.sequence_str {
            SequenceStr::BodyAndHeader => (true, true),
            SequenceStr::BodyOnly => (true, false),
            SequenceStr::Omitted => (false, false),
        };
        let str_token = s.binding.clone().filter(|_| body_str).map(TokenRef);
        let uses_str = header && str_token.is_some() && s.config.version == RmVersion::V1_1;
        let cs = CreateSequence {
            acks_to: params.acks_to,
            expires: s.config.expires,
            offer: params.offer,
            str_token,
            uses_sequence_str: uses_str,
            to: None,
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
        s.expires_at = lifetime(offer.expires).map(|d| now.saturating_add(d));
        s.incomplete = offer
            .incomplete
            .unwrap_or(IncompleteSequenceBehavior::NoDiscard);
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
            incomplete: IncompleteSequenceBehavior::NoDiscard,
            closed_by_peer: false,
            undelivered: None,
            #[cfg(test)]
            broken_fault_counts_as_ack: false,
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
            incomplete: self.incomplete,
        }
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

    /// Messages not yet released as acknowledged (see [`SourceEvent::Acknowledged`]).
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// The messages the sequence ended without delivering, and why, once it ended so
    /// (also after [`Source::recover`]).
    pub fn undelivered(&self) -> Option<&Undelivered> {
        self.undelivered.as_ref()
    }

    /// Messages sent and not covered by the destination's acknowledgements (a message
    /// acknowledged but held back from release, see [`Source::in_flight`], is not one).
    pub fn unacknowledged(&self) -> usize {
        self.in_flight
            .keys()
            .filter(|n| !self.acked.contains(**n))
            .count()
    }

    /// Whether everything sent is done with as far as this side can go before closing:
    /// acknowledged and released; or, where the destination granted
    /// `DiscardEntireSequence` (it delivers nothing before the sequence is closed
    /// complete, WS-RM 1.1 §3.4), acknowledged and waiting for the close that releases it.
    pub fn flushed(&self) -> bool {
        self.in_flight.is_empty()
            || (self.incomplete == IncompleteSequenceBehavior::DiscardEntireSequence
                && self.unacknowledged() == 0)
    }

    /// Whether message `number` was released as acknowledged.
    pub fn is_acknowledged(&self, number: u64) -> bool {
        number > 0 && number < self.next_number && !self.in_flight.contains_key(&number)
    }

    /// The IncompleteSequenceBehavior the destination granted.
    pub fn incomplete_behavior(&self) -> IncompleteSequenceBehavior {
        self.incomplete
    }

    /// The highest message number assigned so far (0 for none; recovered ones included).
    pub fn last_number_assigned(&self) -> u64 {
        self.next_number.saturating_sub(1)
    }

    /// What the window holds: the unacknowledged messages, or with
    /// [`SourceConfig::bound_span`] the numbers from the lowest unacknowledged message
    /// to the next (never fewer).
    fn window_used(&self) -> u64 {
        let mut unacked = self.in_flight.keys().filter(|n| !self.acked.contains(**n));
        let lowest = unacked.next().copied();
        let count = u64::from(lowest.is_some()).saturating_add(unacked.count() as u64);
        if !self.config.bound_span {
            return count;
        }
        lowest
            .map_or(0, |low| self.next_number.saturating_sub(low))
            .max(count)
    }

    /// Asks the destination for its acknowledgement now (WS-RM 1.1 §3.8).
    fn request_ack(&mut self) {
        self.push_transmit(Message::AckRequested(AckRequested {
            id: self.current_id(),
        }));
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
    ///
    /// On a sequence that failed with messages undelivered ([`Source::undelivered`]),
    /// the message is recorded under the next number but **not transmitted**: it joins
    /// the held messages, in order, for the operator's resend (the application's
    /// numbering and order are kept; see [`Source::hold`]).
    pub fn send(&mut self, now: Timestamp, payload: PayloadRef) -> Result<u64, Error> {
        if self.state == SourceState::Terminated && self.undelivered.is_some() {
            return self.hold(payload);
        }
        self.check_send()?;
        Ok(self.push_message(now, Some(payload), false))
    }

    /// Records `payload` as the next message of this failed sequence without sending it:
    /// held with the others (a new `SourceFailed` record and `Undelivered` event name
    /// them all). Fails with [`Error::InvalidState`] unless the sequence failed.
    pub fn hold(&mut self, payload: PayloadRef) -> Result<u64, Error> {
        let Some(mut undelivered) = self.undelivered.clone() else {
            return Err(Error::InvalidState(self.state.name()));
        };
        if self.next_number
            > self
                .config
                .max_message_number
                .min(crate::msg::MAX_MESSAGE_NUMBER)
        {
            return Err(Error::NumbersExhausted);
        }
        let number = self.next_number;
        self.next_number = number.saturating_add(1);
        let id = self.current_id();
        self.persist.push_back(StoreOp::OutboundStored {
            id: id.clone(),
            number,
            payload: Some(payload),
            last: false,
        });
        self.in_flight.insert(
            number,
            Outbound {
                payload: Some(payload),
                last: false,
                attempts: 0,
                due: self.last_heard,
                sent: None,
            },
        );
        undelivered.numbers = crate::events::ranges_of(self.in_flight.keys().copied());
        self.persist.push_back(StoreOp::SourceFailed {
            id,
            reason: undelivered.reason,
            undelivered: undelivered.numbers.clone(),
        });
        self.undelivered = Some(undelivered.clone());
        self.events.push_back(SourceEvent::Undelivered(undelivered));
        Ok(number)
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
                    self.closed_by_peer = true;
                    self.enter_closed(SourceTrigger::PeerClose);
                    // Its final acknowledgement tells what can no longer be delivered.
                    self.request_ack();
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
            // A message on the sequence we send on, proven by its token: we receive
            // nothing on it (WS-RM 1.1 §4.3 UnknownSequence names no sequence we accept
            // messages for). Unproven, it got the binding fault above.
            Message::Application(a) => return Err(Error::UnknownSequence(a.sequence.id)),
            Message::CreateSequence(_) | Message::AckRequested(_) => {
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
        self.expires_at = lifetime(csr.expires).map(|d| now.saturating_add(d));
        // WS-RM 1.1 §3.4; 1.0 has no IncompleteSequenceBehavior (nothing is discarded).
        self.incomplete = csr
            .incomplete
            .unwrap_or(IncompleteSequenceBehavior::NoDiscard);
        self.last_keepalive = now;
        self.persist
            .push_back(StoreOp::SourceCreated(self.record()));
        self.events.push_back(SourceEvent::Created {
            id: csr.id,
            offer_accepted: csr.accept,
        });
        Ok(())
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
            "{:?} {:?} {:?} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} q={}/{}",
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
            (self.incomplete, self.closed_by_peer, &self.undelivered),
            self.persist.len(),
            self.transmit.len(),
        )
    }
}

#[cfg(test)]
mod tests;
