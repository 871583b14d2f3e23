//! Delivery to the [`Handler`](super::Handler) without the Destination's lock held while
//! it runs.
//!
//! The drain queues each `Delivered` message (after its commit) with a ticket, in order,
//! per sequence; one deliverer task per sequence with queued messages takes them one at
//! a time: the head is taken under the lock, the handler runs with the lock released
//! (other messages are received, recorded and acknowledged meanwhile, and other
//! sequences' messages delivered), and its outcome (the response, on the offered
//! sequence or for the back-channel; the payload's deletion) is recorded under the lock
//! again. So delivery stays in order per sequence and exactly once (the durable-inbox
//! steps of the [`super`] docs are unchanged); different sequences are delivered
//! concurrently.
//!
//! Whoever needs a delivery done waits for it (woken by that sequence's deliveries
//! only): the HTTP request that caused deliveries is answered after them (its response,
//! its acknowledgement), so a graceful shutdown, which finishes in-flight requests,
//! leaves nothing half-delivered; a TerminateSequence waits for its sequence's queued
//! deliveries before it ends the sequence (and deletes its records); start-up waits for
//! the redeliveries. A handler that panics is logged and its message counted as handed
//! over. A sequence's deliverer task runs while its queue is not empty.
//!
//! Back-pressure: each finished delivery is reported to the Destination
//! (`Destination::handed_over`); while a sequence has `delivery_backlog` messages
//! delivered and not finished, the Destination drops its new messages unacknowledged
//! (the source resends them), so this queue, and the payloads it holds, stay bounded
//! and a slow handler (a slow gateway backend) slows the acknowledgements down.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use tokio::sync::Notify;
use wsrx_rm::{PayloadRef, RmVersion, SequenceId};
use wsrx_store::{Backend, Batch};

use super::{Delivery, DeliveryInfo, Operation, Reply, Server, Slot};
use crate::clock;
use crate::error::RuntimeError;
use crate::offered::Pending;
use crate::persist::new_handle;

/// How long the deletions of handed-over payloads may wait for another commit to
/// carry them once a sequence's delivery burst ended (then the timer commits them).
const HANDOVER_FLUSH: std::time::Duration = std::time::Duration::from_millis(200);

/// The deliveries of one slot: per sequence, in order, with tickets.
#[derive(Default)]
pub(super) struct Queue {
    items: HashMap<SequenceId, VecDeque<Delivery>>,
    /// The last ticket given out (tickets start at 1).
    issued: u64,
    /// Tickets queued or in progress, with their sequence.
    pending: BTreeMap<u64, SequenceId>,
    /// Per sequence with a running deliverer: signalled after each of its deliveries.
    signals: HashMap<SequenceId, Arc<Notify>>,
}

impl Queue {
    /// The last ticket given out so far.
    pub(super) fn issued(&self) -> u64 {
        self.issued
    }

    /// The sequence of an unfinished delivery with a ticket in `after+1..=upto`.
    pub(super) fn pending_between(&self, after: u64, upto: u64) -> Option<SequenceId> {
        if after >= upto {
            return None;
        }
        self.pending
            .range(after.saturating_add(1)..=upto)
            .next()
            .map(|(_, s)| s.clone())
    }

    /// `id`, if a delivery of it is unfinished.
    pub(super) fn pending_of(&self, id: &SequenceId) -> Option<SequenceId> {
        self.pending.values().any(|s| s == id).then(|| id.clone())
    }
}

/// What the handler made of a message.
enum Outcome {
    Done,
    Reply(Reply),
    /// Not handed over: the batch that recorded it did not become durable. Its payload
    /// stays in the store and it is handed over again after a restart.
    Withheld,
}

impl<B: Backend> Server<B> {
    /// Queues `deliveries` (in order) and wakes the deliverer.
    pub(super) fn enqueue(&self, slot: &mut Slot, deliveries: Vec<Delivery>) {
        if deliveries.is_empty() {
            return;
        }
        for mut d in deliveries {
            slot.queue.issued = slot.queue.issued.saturating_add(1);
            d.ticket = slot.queue.issued;
            slot.queue.pending.insert(d.ticket, d.id.clone());
            let id = d.id.clone();
            // A sequence's entry exists exactly while its deliverer runs.
            let fresh = !slot.queue.items.contains_key(&id);
            slot.queue.items.entry(id.clone()).or_default().push_back(d);
            if fresh {
                slot.queue
                    .signals
                    .insert(id.clone(), Arc::new(Notify::new()));
                let (s, version) = (self.clone(), slot.version);
                tokio::spawn(async move { s.deliverer(version, id).await });
            }
        }
    }

    /// Waits, with the lock released, while `pending` names a sequence with unfinished
    /// deliveries (woken by that sequence's deliveries only).
    pub(super) async fn settle(
        &self,
        version: RmVersion,
        pending: impl Fn(&Queue) -> Option<SequenceId>,
    ) {
        loop {
            let signal = {
                let slot = self.slot(version).lock();
                let Some(id) = pending(&slot.queue) else {
                    return;
                };
                // A pending delivery means its deliverer runs, with its signal.
                let Some(signal) = slot.queue.signals.get(&id).cloned() else {
                    return;
                };
                signal
            };
            let notified = signal.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            // Checked again after `enable`: a delivery that finished in between
            // signalled before this waiter existed.
            let still = {
                let slot = self.slot(version).lock();
                pending(&slot.queue).is_some()
            };
            if !still {
                return;
            }
            notified.await;
        }
    }

    /// The deliverer task of one sequence (see the module docs): runs until its queue is
    /// empty ([`Server::enqueue`] starts it again). One lock hold per delivery: the
    /// outcome of the previous one is recorded and the next one taken together. A
    /// message is handed over only once the batch that recorded it is durable.
    async fn deliverer(&self, version: RmVersion, id: SequenceId) {
        let mut done: Option<(Delivery, Outcome)> = None;
        loop {
            let next = {
                let mut slot = self.slot(version).lock();
                if let Some((d, outcome)) = done.take() {
                    if let Err(e) = self.finish(&mut slot, &d, outcome) {
                        tracing::warn!(error = %e, "recording a delivery failed (redelivered at restart)");
                    }
                    slot.queue.pending.remove(&d.ticket);
                    // Back-pressure (`delivery_backlog`): one fewer kept for the handler.
                    // Redeliveries at start-up were never counted.
                    if !d.redelivered {
                        slot.ep.handed_over(&d.id);
                        crate::metrics::backlog(
                            version,
                            slot.ep.destination().total_backlog(),
                            slot.ep.destination().backlog_drops(),
                        );
                    }
                    let handled = slot.handled.entry(d.id.clone()).or_insert(0);
                    *handled = (*handled).max(d.number);
                    self.inner.handled.notify_waiters();
                    if let Some(signal) = slot.queue.signals.get(&id) {
                        signal.notify_waiters();
                    }
                }
                let d = slot.queue.items.get_mut(&id).and_then(VecDeque::pop_front);
                if d.is_none() {
                    slot.queue.items.remove(&id);
                    slot.queue.signals.remove(&id);
                    // The burst is over: the hand-overs become durable with the next
                    // commit, or by the timer after `HANDOVER_FLUSH` (a crash before that
                    // redelivers them marked `redelivered`): an idle moment between
                    // messages costs no fsync of its own. Once stopping, at once.
                    if *self.inner.stop.borrow() {
                        let b = Batch {
                            payload_deletes: std::mem::take(&mut slot.handed_over),
                            ..Batch::default()
                        };
                        if let Err(e) = self.inner.persistence.submit(b) {
                            tracing::warn!(error = %e, "recording hand-overs failed (redelivered at restart)");
                        }
                    } else if !slot.handed_over.is_empty() && slot.flush_due.is_none() {
                        slot.flush_due = Some(clock::rm_now().saturating_add(HANDOVER_FLUSH));
                        self.inner.wake.notify_waiters();
                    }
                }
                d
            };
            let Some(d) = next else {
                return;
            };
            // Commit-before-hand-over: the record and payload of the message are durable.
            let outcome = match self.inner.persistence.durable(d.after).await {
                Ok(()) => self.hand_over(&d).await,
                Err(e) => {
                    tracing::error!(error = %e, sequence = %d.id, number = d.number, "not handed over: its commit failed");
                    Outcome::Withheld
                }
            };
            done = Some((d, outcome));
        }
    }

    /// Runs the handler on its own task (a panic is contained), the lock released.
    async fn hand_over(&self, d: &Delivery) -> Outcome {
        let info = DeliveryInfo {
            sequence: d.id.as_str().to_owned(),
            number: d.number,
            action: d.action.clone(),
            bound_to: d.bound_to.clone(),
            assurance: self.inner.config.destination.delivery,
            in_order: self.inner.config.destination.in_order,
            redelivered: d.redelivered,
        };
        crate::metrics::delivered();
        let handler = Arc::clone(&self.inner.handler);
        let text = d.text.clone();
        let task = match handler.operation(&d.action) {
            Operation::OneWay => tokio::spawn(async move {
                handler.one_way(text, info).await;
                Outcome::Done
            }),
            Operation::RequestReply => tokio::spawn(async move {
                match handler.request(text, info).await {
                    Ok(reply) => Outcome::Reply(reply),
                    Err(fault) => {
                        tracing::info!(reason = %fault.reason, "handler answered with a fault");
                        Outcome::Done
                    }
                }
            }),
        };
        match task.await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error = %e, sequence = %d.id, number = d.number, "handler failed");
                Outcome::Done
            }
        }
    }

    /// Records the outcome (the response: on the offered sequence, stored durably
    /// before it is sent; or kept for the back-channel), then marks the payload for
    /// deletion with the next commit ([`Slot::handed_over`](super::Slot)).
    fn finish(&self, slot: &mut Slot, d: &Delivery, outcome: Outcome) -> Result<(), RuntimeError> {
        if matches!(outcome, Outcome::Withheld) {
            return Ok(());
        }
        if let Outcome::Reply(reply) = outcome {
            match slot.duplex.get_mut(&d.id) {
                Some(o) => {
                    let handle = new_handle();
                    let pending = Pending {
                        handle,
                        reply: reply.clone(),
                        relates_to: d.message_id.clone(),
                        request: d.number,
                    };
                    o.outbox.insert(0, pending);
                    match o.source.send(clock::rm_now(), PayloadRef(handle)) {
                        Ok(n) => {
                            if let Some(p) = o.outbox.remove(&0) {
                                o.outbox.insert(n, p);
                            }
                            o.by_request.insert(d.number, n);
                        }
                        Err(e) => {
                            // No room on the offered sequence: the back-channel instead.
                            tracing::info!(error = %e, "offered sequence full; response not sequenced");
                            o.outbox.remove(&0);
                            slot.responses.insert(&d.id, d.number, reply);
                        }
                    }
                }
                None => {
                    slot.responses.insert(&d.id, d.number, reply);
                }
            }
        }
        slot.handed_over.push(d.handle);
        // The offered sequence's new message: committed, then sent (addressable).
        let mut batch = Batch::default();
        let (_, posts) = self.collect_offered(slot, false, &mut batch);
        let ticket = slot.submit(&self.inner.persistence, batch)?;
        for mut p in posts {
            p.after = ticket;
            self.post(p);
        }
        Ok(())
    }
}
