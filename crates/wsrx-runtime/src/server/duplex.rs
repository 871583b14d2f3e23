//! The server's half of duplex pairs: starting the Source of an offered sequence the
//! Destination accepted, and its drain (persist into the input's batch → transmits →
//! events). The
//! state it works on is [`crate::offered::Offered`], one per forward sequence, in the
//! slot of the forward sequence's RM version.

use std::collections::HashMap;

use wsrx_rm::msg::{EndpointRef, Route};
use wsrx_rm::persist::DestinationRecord;
use wsrx_rm::wire::WireProfile;
use wsrx_rm::{SequenceId, Source, SourceConfig, SourceEvent, StoreOp, Transmit};
use wsrx_soap::SoapVersion;
use wsrx_store::{Backend, Batch, PayloadPut, Role, Snapshot};

use super::post::Post;
use super::{Server, Slot};
use crate::clock;
use crate::error::RuntimeError;
use crate::offered::{self, Offered, Pending, is_anonymous};
use crate::persist::{Persistence, add_op, decode_log};
use crate::pipeline::Opened;

impl<B: Backend> Server<B> {
    /// Starts the Source of an offered sequence the Destination accepted (WS-RM 1.1
    /// §3.4): bound to the forward sequence's token, speaking the client's dialect.
    pub(super) fn start_offered(
        &self,
        slot: &mut Slot,
        forward: SequenceId,
        offer: &wsrx_rm::msg::Offer,
        current: Option<&Opened>,
    ) {
        let record = slot.ep.sequence(&forward);
        let binding = record.and_then(|r| r.binding.clone());
        let mut config = self.inner.config.offered.clone();
        config.version = record.map_or(config.version, |r| r.version);
        let (profile, soap) = current.map_or((WireProfile::Rm11, SoapVersion::V12), |o| {
            (o.profile(), o.soap)
        });
        let source = Source::from_accepted_offer(
            clock::rm_now(),
            config,
            offer,
            binding,
            crate::entropy::rm_random_source(),
        );
        tracing::info!(sequence = %offer.id, forward = %forward, "offered sequence accepted");
        slot.ep.bind_offered(offer.id.clone(), forward.clone());
        slot.duplex.insert(
            forward,
            Offered {
                source,
                id: offer.id.clone(),
                endpoint: offer.endpoint.0.clone(),
                profile,
                soap,
                by_request: HashMap::new(),
                outbox: HashMap::new(),
            },
        );
    }

    /// The drain of the offered sequences' Sources: persist into `batch` (the
    /// responses' payloads with their records) → transmits → events. Returns the
    /// transmits that answer the message being handled, and the POSTs to send once
    /// `batch` is durable (the caller submits it and tags them with its ticket).
    pub(super) fn collect_offered(
        &self,
        slot: &mut Slot,
        handling: bool,
        batch: &mut Batch,
    ) -> (Vec<Transmit>, Vec<Post>) {
        let pending_before = !batch.is_empty();
        for o in slot.duplex.values_mut() {
            while let Some(op) = o.source.poll_persist() {
                match &op {
                    StoreOp::OutboundStored {
                        id,
                        number,
                        payload: Some(_),
                        ..
                    } => {
                        if let Some(p) = o.outbox.get(number) {
                            batch.payloads.push(PayloadPut {
                                handle: p.handle,
                                sequence: id.as_str().to_owned(),
                                number: *number,
                                plaintext: p.encode(),
                            });
                        }
                    }
                    StoreOp::OutboundAcked { ranges, .. } => {
                        for r in ranges {
                            let acked: Vec<u64> = o
                                .outbox
                                .keys()
                                .copied()
                                .filter(|n| (r.lower..=r.upper).contains(n))
                                .collect();
                            for n in acked {
                                if let Some(p) = o.outbox.remove(&n) {
                                    batch.payload_deletes.push(p.handle);
                                    // Its request needs no response any more either.
                                    o.by_request.remove(&p.request);
                                }
                            }
                        }
                    }
                    _ => {}
                }
                add_op(batch, &op);
            }
        }
        // Requests handed over ride in the commit of their responses (never a commit
        // of their own here: see `Slot::handed_over`).
        if !batch.is_empty() || pending_before {
            batch.payload_deletes.append(&mut slot.handed_over);
        }
        let mut replies = Vec::new();
        let mut ended = Vec::new();
        let mut posts = Vec::new();
        for (forward, o) in &mut slot.duplex {
            while let Some(t) = o.source.poll_transmit() {
                match &t.route {
                    Route::Peer(EndpointRef(addr)) if is_anonymous(addr) => {
                        if handling && offered::is_answer(&t.message) {
                            replies.push(t);
                        }
                        // Otherwise no channel: responses go back on re-sent requests.
                    }
                    Route::Reply if handling => replies.push(t),
                    Route::Peer(EndpointRef(addr)) => {
                        let (payload, relates_to) = match &t.message {
                            wsrx_rm::Message::Application(m) => {
                                match o.outbox.get(&m.sequence.number) {
                                    Some(p) => (
                                        Some((p.reply.action.clone(), p.reply.payload.clone())),
                                        p.relates_to.clone(),
                                    ),
                                    None if m.payload.is_some() => continue, // acknowledged
                                    None => (None, None),
                                }
                            }
                            _ => (None, None),
                        };
                        posts.push(Post {
                            version: slot.version,
                            to: addr.clone(),
                            transmit: t,
                            dialect: (o.profile, o.soap),
                            payload,
                            relates_to,
                            after: crate::persist::Ticket::default(),
                        });
                    }
                    Route::Reply => {}
                }
            }
            while let Some(ev) = o.source.poll_event() {
                match ev {
                    SourceEvent::Terminated(reason) => {
                        tracing::info!(sequence = %o.id, ?reason, "offered sequence ended");
                        ended.push(forward.clone());
                    }
                    SourceEvent::Refused(e) => {
                        tracing::info!(error = %e, "offered sequence refused a message");
                    }
                    _ => {}
                }
            }
        }
        for f in ended {
            if let Some(o) = slot.duplex.remove(&f) {
                slot.ep.unbind_offered(&o.id);
            }
        }
        (replies, posts)
    }
}

/// Restores the Sources of offered sequences from the store at start-up: each with its
/// unacknowledged responses, in the slot of its forward sequence (found through the
/// forward sequence's `offer_id`). Offered sequences whose forward sequence is gone can
/// never be used again and are deleted.
///
/// # Errors
/// Store and record errors.
pub(super) async fn restore_offered<B: Backend>(
    persistence: &Persistence<B>,
    snapshot: &Snapshot,
    records: &HashMap<SequenceId, DestinationRecord>,
    config: &SourceConfig,
    slots: [&mut Slot; 2],
) -> Result<(), RuntimeError> {
    let now = clock::rm_now();
    let [v11, v10] = slots;
    let mut orphans = Batch::default();
    for log in snapshot.sequences.iter().filter(|l| l.role == Role::Source) {
        let id = SequenceId::new(log.sequence.clone());
        let Some(forward) = records.values().find(|r| r.offer_id.as_ref() == Some(&id)) else {
            orphans.sequence_deletes.push(log.sequence.clone());
            continue;
        };
        let ops = decode_log(&log.records)?;
        let endpoint = ops.iter().find_map(|op| match op {
            StoreOp::SourceCreated(r) => Some(r.to.0.clone()),
            _ => None,
        });
        let mut config = config.clone();
        config.version = forward.version;
        let (Some(endpoint), Some(source)) = (
            endpoint,
            Source::restore(now, config, &ops, crate::entropy::rm_random_source())?,
        ) else {
            orphans.sequence_deletes.push(log.sequence.clone());
            continue;
        };
        let mut o = Offered {
            source,
            id: id.clone(),
            endpoint,
            profile: WireProfile::from_versions(forward.version, None),
            soap: SoapVersion::V12,
            by_request: HashMap::new(),
            outbox: HashMap::new(),
        };
        for (handle, number) in &log.payloads {
            if let Some(bytes) = persistence.payload(*handle).await?
                && let Some(p) = Pending::decode(*handle, &bytes)
            {
                o.by_request.insert(p.request, *number);
                o.outbox.insert(*number, p);
            }
        }
        tracing::info!(sequence = %id, forward = %forward.id, "offered sequence restored");
        let slot = if forward.version == wsrx_rm::RmVersion::V1_0 {
            &mut *v10
        } else {
            &mut *v11
        };
        slot.ep.bind_offered(id, forward.id.clone());
        slot.duplex.insert(forward.id.clone(), o);
    }
    persistence.commit(orphans).await
}
