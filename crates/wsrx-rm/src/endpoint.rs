//! The server's endpoint for one RM version, sans-IO: the [`Destination`] and the
//! protocol state a server keeps around it, so that a driver only moves bytes, commits
//! batches and runs timers.
//!
//! What it owns besides the Destination:
//! - the record of every open inbound sequence (AcksTo, bound token, offer), kept from
//!   the `DestinationCreated`/`DestinationTerminated` ops the Destination emits as they
//!   are drained through [`ServerEndpoint::poll_persist`];
//! - **CreateSequence de-duplication** (WS-RM 1.1 §3.4): the sequence each
//!   CreateSequence created, by its `wsa:MessageID`, so a resent copy is answered with
//!   the same sequence instead of opening an orphan one (entries live as long as their
//!   sequence: at most `max_open_sequences`);
//! - **routing** of inbound messages: those about a sequence offered to this server
//!   (acknowledgements of its responses, the client's Close/Terminate of it, WS-RM 1.1
//!   §3.4) are handed back to the driver for that sequence's Source
//!   ([`Routed::Offered`]); the rest go to the Destination.
//!
//! Time is an input (`now`); nothing here reads a clock, a socket or the store.

use std::collections::HashMap;

use crate::binding::SecurityBinding;
use crate::destination::Destination;
use crate::error::Error;
use crate::events::DestinationEvent;
use crate::msg::{Message, SequenceAcknowledgement, SequenceId, Transmit};
use crate::persist::{DestinationRecord, StoreOp};
use crate::time::Timestamp;

/// Where one inbound message went.
#[derive(Debug)]
pub enum Routed {
    /// The Destination handled it (a refusal is also a fault transmit and an event).
    Destination(Result<(), Error>),
    /// A resent CreateSequence, answered with the sequence its first copy created.
    RepeatedCreate(SequenceId),
    /// It is about the sequence offered with forward sequence `forward`: the driver
    /// hands it to that sequence's Source.
    Offered {
        /// The forward sequence the offered one belongs to.
        forward: SequenceId,
        /// The message.
        message: Message,
    },
    /// Nothing to do: an AckRequested for a sequence this server offers responses on
    /// (gSOAP's client sends one on its CloseSequence; it changes nothing here).
    Ignored,
}

/// One RM version's Destination with its routing, records and de-duplication.
pub struct ServerEndpoint {
    dest: Destination,
    /// Open inbound sequences.
    sequences: HashMap<SequenceId, DestinationRecord>,
    /// The sequence each CreateSequence created, by its `wsa:MessageID`.
    creates: HashMap<String, SequenceId>,
    /// The `wsa:MessageID` of the CreateSequence being handled, until its
    /// `DestinationCreated` op is drained.
    creating: Option<String>,
    /// Forward sequence of each offered sequence.
    offered: HashMap<SequenceId, SequenceId>,
    /// Retransmitted application messages received (already recorded).
    retransmissions: u64,
}

impl std::fmt::Debug for ServerEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerEndpoint")
            .field("sequences", &self.sequences.len())
            .field("offered", &self.offered.len())
            .finish_non_exhaustive()
    }
}

impl ServerEndpoint {
    /// Wraps `dest`, whose open sequences are `records` (after a restore).
    pub fn new(dest: Destination, records: impl IntoIterator<Item = DestinationRecord>) -> Self {
        Self {
            dest,
            sequences: records.into_iter().map(|r| (r.id.clone(), r)).collect(),
            creates: HashMap::new(),
            creating: None,
            offered: HashMap::new(),
            retransmissions: 0,
        }
    }

    /// Rebuilds the endpoint from the Destination's durable records (all its ops, in
    /// emission order): the Destination as [`Destination::restore`] does, and the
    /// records of the sequences still open. CreateSequence de-duplication starts empty
    /// (it is not durable: a copy resent across a restart opens a new sequence, which
    /// its inactivity timeout ends).
    ///
    /// # Errors
    /// As [`Destination::restore`].
    pub fn restore<'a>(
        now: Timestamp,
        config: crate::config::DestinationConfig,
        local: crate::msg::EndpointRef,
        records: impl IntoIterator<Item = &'a StoreOp> + Clone,
        random: crate::source::RandomSource,
    ) -> Result<Self, Error> {
        let dest = Destination::restore(now, config, local, records.clone(), random)?;
        let mut open: HashMap<SequenceId, DestinationRecord> = HashMap::new();
        for op in records {
            match op {
                StoreOp::DestinationCreated(r) => {
                    open.insert(r.id.clone(), r.clone());
                }
                StoreOp::DestinationTerminated { id } => {
                    open.remove(id);
                }
                _ => {}
            }
        }
        Ok(Self::new(dest, open.into_values()))
    }

    /// Routes one inbound message proven by `proof`; `message_id` is the `wsa:MessageID`
    /// of the SOAP message it came in (the key of CreateSequence de-duplication).
    pub fn handle_message(
        &mut self,
        now: Timestamp,
        proof: Option<&SecurityBinding>,
        message_id: Option<&str>,
        m: Message,
    ) -> Routed {
        if let Message::Application(a) = &m
            && self.dest.has_received(&a.sequence.id, a.sequence.number)
        {
            self.retransmissions = self.retransmissions.saturating_add(1);
        }
        if let Message::AckRequested(a) = &m
            && self.offered.contains_key(&a.id)
        {
            return Routed::Ignored;
        }
        if source_bound(&m)
            && let Some(forward) = m.sequence_id().and_then(|id| self.offered.get(id))
        {
            return Routed::Offered {
                forward: forward.clone(),
                message: m,
            };
        }
        if let Message::CreateSequence(cs) = &m {
            if let Some(id) = message_id.and_then(|k| self.creates.get(k)).cloned()
                && self.dest.answer_repeated_create(now, proof, &id, cs)
            {
                return Routed::RepeatedCreate(id);
            }
            self.creating = message_id.map(str::to_owned);
        }
        let result = self.dest.handle_message(now, proof, m);
        if result.is_err() {
            self.creating = None;
        }
        Routed::Destination(result)
    }

    /// The next op to make durable; the endpoint's records follow it.
    pub fn poll_persist(&mut self) -> Option<StoreOp> {
        let op = self.dest.poll_persist()?;
        match &op {
            StoreOp::DestinationCreated(r) => {
                self.sequences.insert(r.id.clone(), r.clone());
                if let Some(key) = self.creating.take() {
                    self.creates.insert(key, r.id.clone());
                }
            }
            StoreOp::DestinationTerminated { id } => {
                self.sequences.remove(id);
                self.creates.retain(|_, s| s != id);
            }
            _ => {}
        }
        Some(op)
    }

    /// The next message to send (after the ops before it are durable).
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.dest.poll_transmit()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<DestinationEvent> {
        self.dest.poll_event()
    }

    /// When the Destination next needs [`ServerEndpoint::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.dest.poll_timeout()
    }

    /// Runs the Destination's timers if one is due at `now`.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        if self.dest.poll_timeout().is_some_and(|d| d <= now) {
            self.dest.handle_timeout(now);
        }
    }

    /// The acknowledgement owed on sequence `id`, if any (taken: sent once).
    pub fn take_ack(&mut self, id: &SequenceId) -> Option<SequenceAcknowledgement> {
        self.dest.take_ack(id)
    }

    /// The record of open inbound sequence `id`.
    pub fn sequence(&self, id: &SequenceId) -> Option<&DestinationRecord> {
        self.sequences.get(id)
    }

    /// Whether `id` is an open inbound sequence.
    pub fn is_open(&self, id: &SequenceId) -> bool {
        self.sequences.contains_key(id)
    }

    /// How many inbound sequences are open.
    pub fn open_sequences(&self) -> usize {
        self.sequences.len()
    }

    /// Routes the messages about offered sequence `offered` to the Source of forward
    /// sequence `forward`.
    pub fn bind_offered(&mut self, offered: SequenceId, forward: SequenceId) {
        self.offered.insert(offered, forward);
    }

    /// Stops routing messages about offered sequence `offered` (it ended).
    pub fn unbind_offered(&mut self, offered: &SequenceId) {
        self.offered.remove(offered);
    }

    /// Retransmitted application messages received so far.
    pub fn retransmissions_received(&self) -> u64 {
        self.retransmissions
    }

    /// Closes inbound sequence `id` (an operator's or the application's decision).
    ///
    /// # Errors
    /// As [`Destination::close`].
    pub fn close(&mut self, id: &SequenceId) -> Result<(), Error> {
        self.dest.close(id)
    }

    /// Terminates inbound sequence `id` (an operator's or the application's decision).
    ///
    /// # Errors
    /// As [`Destination::terminate`].
    pub fn terminate(&mut self, id: &SequenceId) -> Result<(), Error> {
        self.dest.terminate(id)
    }

    /// The application finished with one delivered message of `id`
    /// ([`Destination::handed_over`], the back-pressure bound).
    pub fn handed_over(&mut self, id: &SequenceId) {
        self.dest.handed_over(id);
    }

    /// The Destination (read-only).
    pub fn destination(&self) -> &Destination {
        &self.dest
    }

    /// The Destination itself, for tests that feed it around the routing.
    #[cfg(test)]
    pub(crate) fn destination_mut(&mut self) -> &mut Destination {
        &mut self.dest
    }

    /// The forward sequence of offered sequence `offered`.
    pub fn forward_of(&self, offered: &SequenceId) -> Option<&SequenceId> {
        self.offered.get(offered)
    }
}

/// Whether `m`, naming an offered sequence, goes to its Source (acknowledgements,
/// Close/Terminate from the client, the responses to ours, faults) rather than to the
/// Destination.
pub fn source_bound(m: &Message) -> bool {
    matches!(
        m,
        // An application message on a sequence we offered: its Source checks the binding
        // first (the binding fault), then answers UnknownSequence (issue 20 check order).
        Message::Application(_)
            | Message::SequenceAcknowledgement(_)
            | Message::CloseSequence(_)
            | Message::TerminateSequence(_)
            | Message::CloseSequenceResponse(_)
            | Message::TerminateSequenceResponse(_)
            | Message::Fault(_)
    )
}

#[cfg(test)]
mod tests;
