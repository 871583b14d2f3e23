//! The server's clock-driven work: the per-version timer task (RM timeouts of received
//! and offered sequences, the deferred commit of hand-over deletions, the stop) and the
//! redelivery at start-up of what the store holds as not yet handed over.

use wsrx_rm::RmVersion;

use super::{Delivery, Server, Slot};
use crate::clock;
use crate::error::RuntimeError;
use wsrx_store::{Backend, Batch};

impl<B: Backend> Server<B> {
    pub(super) async fn redeliver(&self, list: Vec<Delivery>) -> Result<(), RuntimeError> {
        let mut list = list;
        for version in [RmVersion::V1_1, RmVersion::V1_0] {
            let (before, issued) = {
                let mut slot = self.slot(version).lock();
                let (mine, rest): (Vec<Delivery>, Vec<Delivery>) =
                    list.into_iter().partition(|d| {
                        slot.ep
                            .sequence(&d.id)
                            .is_some_and(|r| r.version == version)
                    });
                list = rest;
                let before = slot.queue.issued();
                self.enqueue(&mut slot, mine);
                (before, slot.queue.issued())
            };
            self.settle(version, |q| q.pending_between(before, issued))
                .await;
        }
        // What was handed over again is no longer needed: durably so before serving.
        let mut b = Batch::default();
        for version in [RmVersion::V1_1, RmVersion::V1_0] {
            let mut slot = self.slot(version).lock();
            slot.flush_due = None;
            b.payload_deletes.append(&mut slot.handed_over);
        }
        self.inner.persistence.commit(b).await
    }

    pub(super) async fn timer(&self, version: RmVersion) {
        let mut stop = self.inner.stop.subscribe();
        loop {
            let deadline = {
                let slot = self.slot(version).lock();
                slot.duplex
                    .values()
                    .filter_map(|o| o.source.poll_timeout())
                    .chain(slot.ep.poll_timeout())
                    .chain(slot.flush_due)
                    .min()
            };
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep(clock::until(d)).await,
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = sleep => {
                    let mut slot = self.slot(version).lock();
                    let now = clock::rm_now();
                    if slot.flush_due.is_some_and(|d| d <= now) {
                        // No other commit carried the hand-overs in time: one of their own.
                        slot.flush_due = None;
                        self.record_handed_over(&mut slot);
                    }
                    slot.ep.handle_timeout(now);
                    for o in slot.duplex.values_mut() {
                        if o.source.poll_timeout().is_some_and(|d| d <= now) {
                            o.source.handle_timeout(now);
                        }
                    }
                    if let Err(e) = self.drain(&mut slot, None).map(|_| ()) {
                        tracing::warn!(error = %e, "destination timer drain failed");
                    }
                }
                () = self.inner.wake.notified() => {}
                _ = stop.changed() => {
                    // Stopping: the deletions waiting for a commit are made now (a
                    // deliverer that finishes later sees the stop and commits its own).
                    let mut slot = self.slot(version).lock();
                    slot.flush_due = None;
                    self.record_handed_over(&mut slot);
                    return;
                }
            }
        }
    }

    /// Commits the payload deletions of messages handed over since the last commit in a
    /// batch of their own (when no other commit carried them in time, and at stop).
    fn record_handed_over(&self, slot: &mut Slot) {
        let b = Batch {
            payload_deletes: std::mem::take(&mut slot.handed_over),
            ..Batch::default()
        };
        if let Err(e) = self.inner.persistence.submit(b) {
            tracing::warn!(error = %e, "recording hand-overs failed (redelivered at restart)");
        }
    }
}
