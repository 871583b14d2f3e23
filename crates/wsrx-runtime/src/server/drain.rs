//! The drain after every input of a slot: the Destination's and the offered Sources'
//! ops as one batch submitted to the store, their transmits (answers, POSTs) and events
//! (deliveries) tagged with its ticket.

use wsrx_rm::msg::{EndpointRef, Route};
use wsrx_rm::wire::WireProfile;
use wsrx_rm::{DestinationEvent, PayloadRef, SequenceId, StoreOp, Transmit};
use wsrx_soap::SoapVersion;
use wsrx_store::{Backend, Batch, PayloadPut, Role};

use super::post::Post;
use super::{Delivery, Server, Slot};
use crate::clock;
use crate::error::RuntimeError;
use crate::metrics;
use crate::offered::{self, is_anonymous};
use crate::persist::{Ticket, add_op, encode_payload};
use crate::pipeline::Opened;

impl<B: Backend> Server<B> {
    /// The drain after an input: persist → transmit → events (deliveries), the offered
    /// sequences' Sources included, as **one** batch submitted to the store. Returns
    /// the transmits routed as the reply to `current` (sent by the caller once the
    /// batch's ticket, also returned, is durable); POSTs and deliveries are queued with
    /// the ticket.
    pub(super) fn drain(
        &self,
        slot: &mut Slot,
        current: Option<&Opened>,
    ) -> Result<(Vec<Transmit>, Ticket), RuntimeError> {
        // 1. persist, with the payloads of newly recorded messages. The deletions of
        //    those handed over since the last commit ride along when this input commits
        //    anything (`collect_offered`), never as a commit of their own: an input
        //    that changes nothing durable (a piggy-backed acknowledgement taken) costs
        //    no fsync.
        let mut batch = Batch::default();
        // Sequences with messages handed to the application in this batch (issue 15).
        let mut delivering: Vec<SequenceId> = Vec::new();
        while let Some(op) = slot.ep.poll_persist() {
            match &op {
                StoreOp::DeliveredThrough { id, .. }
                | StoreOp::InboundRecorded {
                    id,
                    delivered: true,
                    ..
                } => delivering.push(id.clone()),
                _ => {}
            }
            // A sequence that ends while messages of it are still to be handed over (the
            // held ones its ending delivers, or queued ones) keeps its log and payloads:
            // deleting them now would lose acknowledged messages to a crash before the
            // handler ran. The terminal record is kept instead; start-up redelivers what
            // is left and `wsrx store purge` removes the log.
            if let StoreOp::DestinationTerminated { id } = &op
                && (delivering.contains(id) || slot.queue.pending_of(id).is_some())
            {
                slot.dialects.remove(id);
                slot.responses.forget(id);
                slot.handled.remove(id);
                batch.records.push((
                    id.as_str().to_owned(),
                    Role::Destination,
                    wsrx_rm::record::encode(&op),
                ));
                continue;
            }
            match &op {
                StoreOp::DestinationCreated(r) => {
                    if let Some(o) = current {
                        slot.dialects.insert(r.id.clone(), (o.profile(), o.soap));
                    }
                }
                StoreOp::InboundRecorded {
                    id,
                    number,
                    payload: Some(PayloadRef(h)),
                    ..
                } => {
                    if let Some(held) = slot.held.get_mut(h) {
                        batch.payloads.push(PayloadPut {
                            handle: *h,
                            sequence: id.as_str().to_owned(),
                            number: *number,
                            plaintext: encode_payload(&held.action, &held.text),
                        });
                        held.put = true;
                    }
                }
                StoreOp::DestinationTerminated { id } => {
                    slot.dialects.remove(id);
                    slot.responses.forget(id);
                    slot.handled.remove(id);
                }
                _ => {}
            }
            add_op(&mut batch, &op);
        }
        // 2. transmits (sent once the batch is durable).
        let mut replies = Vec::new();
        let mut posts = Vec::new();
        while let Some(t) = slot.ep.poll_transmit() {
            match &t.route {
                Route::Reply if current.is_some() => replies.push(t),
                Route::Peer(EndpointRef(addr)) if is_anonymous(addr) => {
                    // Anonymous AcksTo: acknowledgements ride on the next back-channel
                    // (answer() piggy-backs the current one on every response).
                }
                Route::Peer(EndpointRef(addr)) => {
                    // Addressable AcksTo (named by the verified CreateSequence): POST.
                    let dialect = t
                        .message
                        .sequence_id()
                        .and_then(|id| slot.dialects.get(id).copied())
                        .unwrap_or((
                            WireProfile::from_versions(slot.version, None),
                            SoapVersion::V12,
                        ));
                    posts.push(Post {
                        version: slot.version,
                        to: addr.clone(),
                        transmit: t,
                        dialect,
                        payload: None,
                        relates_to: None,
                        after: Ticket::default(),
                    });
                }
                Route::Reply => {
                    tracing::debug!("reply without a request to answer dropped");
                }
            }
        }
        // 3. events.
        let mut deliveries = Vec::new();
        while let Some(ev) = slot.ep.poll_event() {
            match ev {
                DestinationEvent::Delivered {
                    id,
                    number,
                    payload,
                } => {
                    if let Some(h) = slot.held.remove(&payload.0) {
                        let bound_to = slot
                            .ep
                            .sequence(&id)
                            .and_then(|r| r.binding.as_ref().map(|b| b.as_str().to_owned()));
                        deliveries.push(Delivery {
                            id,
                            number,
                            handle: payload.0,
                            action: h.action,
                            text: h.text,
                            bound_to,
                            redelivered: false,
                            message_id: h.message_id,
                            ticket: 0,
                            after: Ticket::default(),
                        });
                    }
                }
                DestinationEvent::Released { payload, .. } => {
                    metrics::released();
                    if let Some(h) = slot.held.remove(&payload.0)
                        && h.put
                    {
                        batch.payload_deletes.push(payload.0);
                    }
                }
                DestinationEvent::Refused(e) => {
                    tracing::info!(error = %e, "destination refused a message");
                    if let wsrx_rm::Error::CreateSequenceRefused(r) = &e {
                        metrics::create_refused(metrics::refusal_label(*r));
                    }
                }
                DestinationEvent::Terminated { id, reason } => {
                    tracing::info!(sequence = %id, ?reason, "inbound sequence ended");
                    metrics::sequences_opened(-1.0);
                    // WS-RM 1.1 §3.6: the offered sequence ends with the forward one. An
                    // addressable endpoint is told (TerminateSequence); an anonymous one
                    // cannot be reached unasked, so there the client ends it.
                    if let Some(o) = slot.duplex.get_mut(&id)
                        && (offered::is_postable(&o.endpoint)
                            || wsrx_rm::mc::anonymous_id(&o.endpoint).is_some())
                    {
                        let _ = o.source.terminate(clock::rm_now());
                    }
                }
                DestinationEvent::Created { id, offer } => {
                    tracing::info!(sequence = %id, "inbound sequence created");
                    metrics::sequences_opened(1.0);
                    if let Some(offer) = offer {
                        self.start_offered(slot, id, &offer, current);
                    }
                }
                DestinationEvent::Closed { id } => {
                    tracing::info!(sequence = %id, "inbound sequence closed");
                }
            }
        }
        metrics::backlog(
            slot.version,
            slot.ep.destination().total_backlog(),
            slot.ep.destination().backlog_drops(),
        );
        // 4. the Sources of offered sequences, into the same batch.
        let (offered_replies, offered_posts) =
            self.collect_offered(slot, current.is_some(), &mut batch);
        replies.extend(offered_replies);
        posts.extend(offered_posts);
        // 5. one commit for the whole input; what it preceded waits for its ticket.
        let ticket = slot.submit(&self.inner.persistence, batch)?;
        for d in &mut deliveries {
            d.after = ticket;
        }
        // Handed to the handler in order, the lock released (`server/deliver.rs`).
        self.enqueue(slot, deliveries);
        for mut p in posts {
            p.after = ticket;
            self.post(p);
        }
        // 6. the timer task re-reads poll_timeout.
        self.inner.wake.notify_waiters();
        Ok((replies, ticket))
    }
}
