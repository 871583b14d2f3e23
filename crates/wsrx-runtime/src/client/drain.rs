//! The client's drain after every input: the Source's and the offered sequence's ops
//! as one batch submitted to the store, their transmits queued with its ticket, their
//! events; the feeding of verified answers; the end of a sequence whose context was lost.

use tokio::time::Instant;
use wsrx_rm::msg::Route;
use wsrx_rm::{Message, PayloadRef, SourceEvent, StoreOp};
use wsrx_store::{Backend, Batch, PayloadPut};

use super::{Client, State};
use crate::clock;
use crate::error::RuntimeError;
use crate::persist::{Deferred, Ticket, add_op, encode_payload};
use crate::pipeline;

impl<B: Backend> Client<B> {
    /// The drain after an input (see the module docs): one batch for the Source and the
    /// offered sequence's Destination, submitted without waiting; returns its ticket.
    /// Everything the batch preceded (transmits, responses handed to requests) carries
    /// the ticket and waits for it, the lock released.
    pub(super) fn drain(&self, st: &mut State) -> Result<Ticket, RuntimeError> {
        let mut batch = Batch::default();
        // Acknowledgement records in `batch`: a batch of nothing else waits (`Deferred`).
        let mut acks = 0usize;
        while let Some(op) = st.source.poll_persist() {
            match &op {
                StoreOp::OutboundStored {
                    id,
                    number,
                    payload: Some(PayloadRef(h)),
                    ..
                } => {
                    if let Some((action, text)) = st.payloads.get(h) {
                        batch.payloads.push(PayloadPut {
                            handle: *h,
                            sequence: id.as_str().to_owned(),
                            number: *number,
                            plaintext: encode_payload(action, text),
                        });
                    }
                    st.by_number.insert(*number, *h);
                }
                StoreOp::OutboundAcked { ranges, .. } => {
                    for r in ranges {
                        let numbers: Vec<u64> = st
                            .by_number
                            .range(r.lower..=r.upper)
                            .map(|(n, _)| *n)
                            .collect();
                        for n in numbers {
                            if let Some(h) = st.by_number.remove(&n) {
                                batch.payload_deletes.push(h);
                                if !st.request_numbers.contains_key(&n) {
                                    st.payloads.remove(&h);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
            acks += usize::from(matches!(op, StoreOp::OutboundAcked { .. }));
            add_op(&mut batch, &op);
        }
        // A held message handed to this sequence: recorded there, its old copy dropped,
        // in the commit that stores it here.
        for (op, old_handle) in st.resent.drain(..) {
            add_op(&mut batch, &op);
            batch.payload_deletes.push(old_handle);
        }
        // Renewed (or lost) tokens go with the same commit, so the store holds the
        // instance the next message is protected with.
        crate::recovery::add_changes(&mut batch, &self.inner.tokens.take_changes())?;
        self.check_lost(st, &mut batch);
        let mut transmits = Vec::new();
        while let Some(t) = st.source.poll_transmit() {
            if !st.lost {
                if matches!(t.message, Message::TerminateSequence(_))
                    && self.inner.config.profile.rm_version() == wsrx_rm::RmVersion::V1_0
                {
                    st.farewell = Some(super::Farewell::Queued);
                }
                transmits.push(t);
            }
        }
        while let Some(ev) = st.source.poll_event() {
            match ev {
                SourceEvent::Created { id, offer_accepted } => {
                    tracing::info!(sequence = %id, "outbound sequence created");
                    st.created = Some(id);
                    let binding = st.source.binding().cloned();
                    if let (Some(accept), Some(d)) = (offer_accepted, st.duplex.as_mut()) {
                        d.accepted(clock::rm_now(), &accept, binding);
                    }
                }
                SourceEvent::Closed => st.closed = true,
                SourceEvent::Terminated(reason) => {
                    // A cause already named (a lost token) is kept.
                    let text = st.ended.clone().unwrap_or_else(|| match &st.peer_fault {
                        // The peer's own words, code and subcode, with our reading.
                        Some(f) => format!("{reason:?}; the peer's fault: {f}"),
                        None => format!("{reason:?}"),
                    });
                    for (_, r) in st.requests.drain() {
                        let _ = r.tx.send(Err(RuntimeError::SequenceEnded(text.clone())));
                    }
                    st.ended = Some(text);
                }
                SourceEvent::Undelivered(u) => {
                    // Held in the store (SourceFailed keeps the log and the payloads).
                    tracing::warn!(
                        sequence = %u.id,
                        numbers = %u.numbers_text(),
                        reason = %u.reason,
                        "sequence ended with messages undelivered; they are held"
                    );
                    for (_, r) in st.requests.drain() {
                        let _ = r.tx.send(Err(RuntimeError::Undelivered {
                            undelivered: u.clone(),
                        }));
                    }
                    st.undelivered = Some(u);
                }
                SourceEvent::Refused(e) => tracing::info!(error = %e, "source refused a message"),
                SourceEvent::Acknowledged { .. } => {}
            }
        }
        // The offered sequence's records ride in the same commit.
        if let Some(d) = st.duplex.as_mut() {
            while let Some(op) = d.poll_persist() {
                add_op(&mut batch, &op);
            }
        }
        // Acknowledgement-only changes ride in the next commit (or a late one of their
        // own); anything else is committed now, after what was held back.
        let batch = if Deferred::may_wait(&batch, acks) {
            if st.deferred.hold(batch, Instant::now()) {
                Batch::default()
            } else {
                st.deferred.take_with(Batch::default())
            }
        } else {
            st.deferred.take_with(batch)
        };
        // Commit-before-send: the transmits wait for this ticket (sender task). With
        // nothing to commit it is the last one issued: what they follow is in it.
        let ticket = self.inner.persistence.submit(batch)?;
        for t in transmits {
            if self.inner.out.send((t, ticket)).is_err() {
                return Err(RuntimeError::Shutdown);
            }
        }
        self.drain_duplex(st, ticket)?;
        self.inner
            .generation
            .send_modify(|g| *g = g.wrapping_add(1));
        self.inner.wake.notify_one();
        Ok(ticket)
    }

    /// Commits the held-back acknowledgement changes now and waits until they are durable
    /// (before the store is read for them, or a caller is told all is acknowledged).
    pub(super) async fn commit_deferred(&self) -> Result<(), RuntimeError> {
        let ticket = self.submit_deferred()?;
        self.inner.persistence.durable(ticket).await
    }

    /// Submits the held-back acknowledgement changes (without waiting); their ticket.
    pub(super) fn submit_deferred(&self) -> Result<Ticket, RuntimeError> {
        let mut st = self.inner.state.lock();
        let held = st.deferred.take_with(Batch::default());
        self.inner.persistence.submit(held)
    }

    /// Ends the sequence, explicitly, when the security context it is bound to was lost
    /// (renewal refused, expired unrenewed): it is never moved to another token (WS-SC
    /// binding rule, see [`crate::trust`]). Its records are deleted with `batch`.
    pub(super) fn check_lost(&self, st: &mut State, batch: &mut Batch) {
        if st.lost || st.ended.is_some() {
            return;
        }
        let Some(binding) = st.source.binding().cloned() else {
            return;
        };
        let Some(reason) = self.inner.tokens.lost(binding.as_str()) else {
            return;
        };
        let text = format!(
            "the security context {} the sequence is bound to was lost ({reason})",
            binding.as_str(),
        );
        tracing::warn!(sct = %binding.as_str(), "{text}");
        // wsrx-rm decides: the sequence ends; what it did not deliver is recorded as
        // undelivered (TokenLost) and kept, the rest of it is forgotten.
        if st.source.lose_token().is_ok() {
            while let Some(op) = st.source.poll_persist() {
                add_op(batch, &op);
            }
        }
        for (_, r) in st.requests.drain() {
            let _ = r.tx.send(Err(RuntimeError::SequenceEnded(text.clone())));
        }
        st.lost = true;
        st.ended = Some(text);
    }

    /// Feeds a verified message to the Source or the offered sequence's Destination
    /// (`number`: the request it came back on); whether it carried a sequenced response.
    pub(super) fn feed(
        st: &mut State,
        opened: &pipeline::Opened,
        number: Option<u64>,
        now: wsrx_rm::Timestamp,
    ) -> bool {
        let mut sequenced = false;
        for m in opened.messages(None) {
            match st.duplex.as_mut().filter(|d| d.takes(&m)) {
                Some(d) => {
                    // A message of the offered sequence: a response, or its control.
                    let app = matches!(m, Message::Application(_)) && opened.is_application();
                    sequenced |= app;
                    d.handle(
                        now,
                        opened.proof.as_ref(),
                        m,
                        opened.payload.as_deref().filter(|_| app),
                        opened.relates_to.as_deref(),
                        number,
                    );
                }
                None => {
                    let _ = st.source.handle_message(now, opened.proof.as_ref(), m);
                }
            }
        }
        sequenced
    }

    /// The rest of the offered sequence's drain (its records are in the batch whose
    /// `ticket` is given): transmits (acknowledgements, its TerminateSequence: to the
    /// server, after the ticket) → deliveries (each response to its waiting request,
    /// once, which waits for the ticket before returning it).
    pub(super) fn drain_duplex(&self, st: &mut State, ticket: Ticket) -> Result<(), RuntimeError> {
        let Some(d) = st.duplex.as_mut() else {
            return Ok(());
        };
        while let Some(t) = d.poll_transmit() {
            if matches!(t.route, Route::Reply) {
                // An answer to a message at the listener (kept for it; cleared otherwise).
                st.replies.push(t);
                continue;
            }
            if self.inner.out.send((t, ticket)).is_err() {
                return Err(RuntimeError::Shutdown);
            }
        }
        for r in d.poll_delivered() {
            let Some(n) = r.request else {
                tracing::info!("a response on the offered sequence answers no known request");
                continue;
            };
            if let Some(w) = st.requests.remove(&n) {
                let _ = w.tx.send(Ok((r.payload, ticket)));
            }
            if let Some(h) = st.request_numbers.remove(&n)
                && !st.by_number.contains_key(&n)
            {
                st.payloads.remove(&h);
            }
        }
        Ok(())
    }
}
