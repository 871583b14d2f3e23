//! The client's side of a duplex pair: the reverse sequence it offers in its
//! CreateSequence (WS-RM 1.1 §3.4 `wsrm:Offer`) and, once the server accepts it, the RM
//! Destination that receives the responses on it.
//!
//! What it does: makes the Offer (a fresh identifier, Endpoint = the client's
//! AcksTo/ReplyTo: anonymous, or the URL of its listener; 1.0 has no Endpoint and the
//! codec leaves it out); registers the offered sequence with a [`Destination`] when the
//! CreateSequenceResponse carries `wsrm:Accept` (bound to the same SCT as the forward
//! sequence, so a message on it proven by another token is refused, WS-RM 1.2 §5);
//! takes in the responses (each is recorded before it is acknowledged, duplicates are
//! released, not delivered) and matches each delivered response to the request it
//! answers, by `wsa:RelatesTo` or, on the back-channel, by the request it came back on.
//!
//! What it does not do: keep delivered response payloads durably (a response is handed
//! to the `request()` waiting in this process; after a restart nobody waits for it, and
//! the records say it was received, so it is not asked for again); IO (the
//! [`crate::client`] driver sends what [`ClientDuplex::poll_transmit`] returns).

use std::collections::HashMap;

use wsrx_rm::msg::{Accept, AckBody, EndpointRef, Offer, SequenceAcknowledgement};
use wsrx_rm::{
    Destination, DestinationConfig, DestinationEvent, Message, PayloadRef, RmVersion,
    SecurityBinding, SequenceId, StoreOp, Timestamp, Transmit,
};

use crate::persist::new_handle;

/// A delivered response: the request number it answers (if known) and its payload.
pub(crate) struct Response {
    /// The forward sequence's request number.
    pub(crate) request: Option<u64>,
    /// The response body.
    pub(crate) payload: String,
}

/// The offered sequence and its Destination.
pub(crate) struct ClientDuplex {
    dest: Destination,
    offer: Option<Offer>,
    offered: Option<SequenceId>,
    /// Payloads of received responses not yet delivered, by handle.
    inbox: HashMap<u64, Response>,
    /// Request number of each MessageID we sent a request under.
    relates: HashMap<String, u64>,
}

impl ClientDuplex {
    /// A fresh offer of `offered_id` whose messages go to `endpoint`.
    pub(crate) fn new(version: RmVersion, endpoint: &str, offered_id: String) -> Self {
        let config = DestinationConfig {
            version,
            ..DestinationConfig::default()
        };
        Self {
            dest: Destination::new(
                config,
                EndpointRef(endpoint.to_owned()),
                crate::entropy::rm_random_source(),
            ),
            offer: Some(Offer {
                id: SequenceId::new(offered_id),
                endpoint: EndpointRef(endpoint.to_owned()),
                expires: None,
                incomplete: None,
            }),
            offered: None,
            inbox: HashMap::new(),
            relates: HashMap::new(),
        }
    }

    /// Rebuilds the Destination of an offered sequence registered before a restart.
    ///
    /// # Errors
    /// Records this version cannot read.
    pub(crate) fn restore(
        now: Timestamp,
        version: RmVersion,
        endpoint: &str,
        ops: &[StoreOp],
    ) -> Result<Self, wsrx_rm::Error> {
        let config = DestinationConfig {
            version,
            ..DestinationConfig::default()
        };
        let offered = ops.iter().find_map(|op| match op {
            StoreOp::DestinationCreated(r) => Some(r.id.clone()),
            _ => None,
        });
        let dest = Destination::restore(
            now,
            config,
            EndpointRef(endpoint.to_owned()),
            ops,
            crate::entropy::rm_random_source(),
        )?;
        let offered = offered.filter(|id| dest.state(id).is_some());
        Ok(Self {
            dest,
            offer: None,
            offered,
            inbox: HashMap::new(),
            relates: HashMap::new(),
        })
    }

    /// The Offer for the CreateSequence (none after a restart).
    pub(crate) fn offer(&self) -> Option<Offer> {
        self.offer.clone()
    }

    /// The offered sequence, once accepted.
    pub(crate) fn offered(&self) -> Option<&SequenceId> {
        self.offered.as_ref()
    }

    /// The server accepted the offer: register the sequence, bound to `binding`.
    pub(crate) fn accepted(
        &mut self,
        now: Timestamp,
        accept: &Accept,
        binding: Option<SecurityBinding>,
    ) {
        let Some(offer) = self.offer.take() else {
            return;
        };
        match self.dest.register_offer(now, &offer, accept, binding) {
            Ok(()) => self.offered = Some(offer.id),
            Err(e) => tracing::warn!(error = %e, "cannot register the offered sequence"),
        }
    }

    /// Remembers that a request went out under `message_id`.
    pub(crate) fn sent_request(&mut self, message_id: &str, number: u64) {
        self.relates.insert(message_id.to_owned(), number);
    }

    /// Forgets the MessageIDs of an answered request.
    fn forget_request(&mut self, number: u64) {
        self.relates.retain(|_, n| *n != number);
    }

    /// Whether `m` is for the offered sequence's Destination.
    pub(crate) fn takes(&self, m: &Message) -> bool {
        let Some(offered) = &self.offered else {
            return false;
        };
        m.sequence_id() == Some(offered)
            && matches!(
                m,
                Message::Application(_)
                    | Message::AckRequested(_)
                    | Message::CloseSequence(_)
                    | Message::TerminateSequence(_)
            )
    }

    /// Feeds one message of the offered sequence, with the response payload it carries
    /// (`relates_to` or, failing that, `on_request`, names the request it answers).
    pub(crate) fn handle(
        &mut self,
        now: Timestamp,
        proof: Option<&SecurityBinding>,
        m: Message,
        payload: Option<&str>,
        relates_to: Option<&str>,
        on_request: Option<u64>,
    ) {
        let m = match (m, payload) {
            (Message::Application(mut a), Some(text)) => {
                let h = new_handle();
                let request = relates_to
                    .and_then(|r| self.relates.get(r).copied())
                    .or(on_request);
                self.inbox.insert(
                    h,
                    Response {
                        request,
                        payload: text.to_owned(),
                    },
                );
                a.payload = Some(PayloadRef(h));
                Message::Application(a)
            }
            (m, _) => m,
        };
        // Refusals (a forged response, a duplicate) come back as events and faults.
        let _ = self.dest.handle_message(now, proof, m);
    }

    /// The acknowledgement of the offered sequence, to piggy-back on a message to the
    /// server (1.0 has no empty acknowledgement).
    pub(crate) fn take_ack(&mut self) -> Option<SequenceAcknowledgement> {
        let id = self.offered.clone()?;
        self.dest
            .take_ack(&id)
            .filter(|a| matches!(a.body, AckBody::Ranges(_)))
    }

    /// Ends the offered sequence from this side when the forward one ends (1.1 sends
    /// TerminateSequence to the server, WS-RM 1.1 §3.6; 1.0 forgets it).
    pub(crate) fn terminate(&mut self) {
        if let Some(id) = self.offered.take() {
            let _ = self.dest.terminate(&id);
        }
    }

    /// Whether the offered sequence is still held.
    pub(crate) fn live(&self) -> bool {
        self.offered
            .as_ref()
            .is_some_and(|id| self.dest.state(id).is_some())
    }

    /// The next op to make durable.
    pub(crate) fn poll_persist(&mut self) -> Option<StoreOp> {
        self.dest.poll_persist()
    }

    /// The next message to send (after the ops are durable).
    pub(crate) fn poll_transmit(&mut self) -> Option<Transmit> {
        self.dest.poll_transmit()
    }

    /// The delivered responses (after the ops are durable); duplicates are dropped.
    pub(crate) fn poll_delivered(&mut self) -> Vec<Response> {
        let mut out = Vec::new();
        while let Some(ev) = self.dest.poll_event() {
            match ev {
                DestinationEvent::Delivered { payload, .. } => {
                    if let Some(r) = self.inbox.remove(&payload.0) {
                        if let Some(n) = r.request {
                            self.forget_request(n);
                        }
                        out.push(r);
                    }
                }
                DestinationEvent::Released { payload, .. } => {
                    self.inbox.remove(&payload.0);
                }
                DestinationEvent::Terminated { id, reason } => {
                    tracing::info!(sequence = %id, ?reason, "offered sequence ended");
                    if self.offered.as_ref() == Some(&id) {
                        self.offered = None;
                    }
                }
                DestinationEvent::Refused(e) => {
                    tracing::info!(error = %e, "offered sequence refused a message");
                }
                DestinationEvent::Created { .. } | DestinationEvent::Closed { .. } => {}
            }
        }
        out
    }

    /// The next deadline.
    pub(crate) fn poll_timeout(&self) -> Option<Timestamp> {
        self.dest.poll_timeout()
    }

    /// Handles the passage of time (batched acknowledgements, inactivity).
    pub(crate) fn handle_timeout(&mut self, now: Timestamp) {
        if self.dest.poll_timeout().is_some_and(|d| d <= now) {
            self.dest.handle_timeout(now);
        }
    }
}
