//! The RM Destination side: inbound sequences, delivery to a [`Handler`], answers on the
//! HTTP back-channel or POSTed to an addressable AcksTo, responses on offered sequences.
//!
//! One [`Destination`] per RM version, each behind one short synchronous lock (its poll
//! loop, never held across an `.await`): every input (an inbound message, a timeout,
//! `take_ack`) is followed by the drain in the contract order: `poll_persist` → one
//! batch submitted to the store (a ticket, no IO wait) → `poll_transmit` → `poll_event`
//! → `poll_timeout` (the timer task sleeps until it). What the drain produced is acted
//! on with the lock released and only once the batch's ticket is durable: answers,
//! POSTs and hand-overs to the handler (commit-before-send). So the messages of every
//! sequence share the store's group commits instead of waiting for each other's.
//!
//! ## Exactly-once delivery (the durable inbox)
//!
//! 1. An accepted message's payload is put in the store **in the same commit** as its
//!    `InboundRecorded` record, before any acknowledgement covering it is sent.
//! 2. A `Delivered` event is acted on only after that commit (and, for held messages,
//!    after the commit carrying `DeliveredThrough`): the handler is called, in order,
//!    one message at a time.
//! 3. When the handler has returned, the payload is deleted: with the next commit (the
//!    records of later messages, a response on the offered sequence) or, at the latest,
//!    when the sequence's delivery queue runs empty; never an fsync per message.
//! 4. At start-up, a payload still in the store for a message recorded as delivered is
//!    handed to the handler again with [`DeliveryInfo::redelivered`] set; a payload of a
//!    held message is held again. Duplicates on the wire are never delivered (the
//!    records say what was received).
//!
//! So every message reaches the handler once, except after a crash between steps 2
//! and 3, when it comes again marked `redelivered`, with its sequence and number for
//! the application to recognise it (idempotent handlers see exactly once).
//!
//! ## Request-reply
//!
//! **With an accepted Offer** (duplex, WS-RM 1.1 §3.4): the response is the next message
//! of the offered sequence, run by a Source bound to the same SCT (`offered.rs`):
//! numbered, stored durably (payload and record in one commit) before it is sent, and
//! sent until acknowledged. To an anonymous Endpoint it rides on the HTTP response of the
//! request and of every retransmission of it; to an addressable one it is POSTed (and
//! retransmitted by the Source's timer). The offered sequence ends with the forward one
//! (addressable: the server sends its TerminateSequence; anonymous: the client does).
//!
//! **Without an Offer**: the response travels on the HTTP response of the request, with
//! the sequence's acknowledgement piggy-backed. Responses are kept in memory per
//! (sequence, number) until the sequence ends, so a retransmitted request (a duplicate,
//! not delivered again) is answered with the same response, re-protected. They are not
//! durable: after a restart a re-sent request whose response was lost is acknowledged
//! but not answered again (the handler is not run twice); use an Offer for durable
//! responses.
//!
//! ## Addressable AcksTo (and SSRF)
//!
//! Acknowledgements for a sequence whose AcksTo is an http(s) URL are POSTed there
//! (`server/post.rs`), protected with the sequence's SCT; an anonymous AcksTo gets them on the
//! back-channel. The server only ever POSTs to the AcksTo and the Offer Endpoint of a
//! CreateSequence it verified (bound to the SCT that proved it), never to an address
//! an individual message names (ReplyTo, FaultTo), and only to http(s) URLs.
//!
//! The handler runs with the Destination's lock released, one message at a time, in
//! order, from a queue (`server/deliver.rs`); the HTTP request that caused a delivery is
//! answered after it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;
use wsrx_rm::msg::EndpointRef;
use wsrx_rm::persist::DestinationRecord;
use wsrx_rm::wire::{WireBody, WireProfile};
use wsrx_rm::{
    Destination, PayloadRef, RmVersion, Routed, SequenceId, ServerEndpoint, StoreOp, Transmit,
};
use wsrx_security::{KeyResolver, ReplayCache};

use crate::replay::ReplayGuard;
use wsrx_soap::{Fault, FaultCode, SoapVersion};
use wsrx_store::{Backend, Batch, Role};

use crate::clock;
use crate::error::RuntimeError;
use crate::http::{HttpClient, HttpReply};
use crate::metrics;
use crate::offered::Offered;
use crate::persist::{Persistence, Ticket, decode_log, decode_payload, new_handle};
use crate::pipeline::{self, Opened, Refusal};
use crate::shard::Shard;
use crate::tap::{Direction, Tap, emit};
use crate::token::TokenProvider;

mod api;
pub use api::{
    DEFAULT_DELIVERY_BACKLOG, DEFAULT_REPLAY_LIMITS, DeliveryInfo, Handler, Operation, Reply,
    ServerConfig,
};
pub use control::SequenceCommand;

struct Held {
    action: String,
    text: String,
    put: bool,
    /// The request's `wsa:MessageID` (for the RelatesTo of a response); not stored.
    message_id: Option<String>,
}

struct Slot {
    /// The protocol state of this RM version (`wsrx_rm::ServerEndpoint`): the
    /// Destination, the records of open sequences, CreateSequence de-duplication and
    /// the routing of offered sequences' messages.
    ep: ServerEndpoint,
    /// Payloads of accepted messages not yet handed over, by handle.
    held: HashMap<u64, Held>,
    /// Responses by (sequence, number), for sequences without an accepted offer.
    responses: HashMap<(SequenceId, u64), Reply>,
    /// The offered sequence of each forward sequence that came with an accepted Offer.
    duplex: HashMap<SequenceId, Offered>,
    /// The dialect and SOAP version each sequence was created in (for POSTs).
    dialects: HashMap<SequenceId, (WireProfile, SoapVersion)>,
    /// The RM version of this slot.
    version: RmVersion,
    /// Deliveries waiting for the handler (`server/deliver.rs`).
    queue: deliver::Queue,
    /// Payloads of messages handed to the application, deleted with the next commit
    /// (or when the deliverer's queue runs empty): a crash before that redelivers them
    /// marked `redelivered`, as the exactly-once protocol of the module docs allows,
    /// and delivery does not wait for an fsync per message.
    handed_over: Vec<u64>,
    /// When the timer commits `handed_over` if no commit took it before: set when a
    /// delivery burst ends, so the deletions of a quiet sequence cost no fsync of their
    /// own while traffic goes on (the next input's commit carries them).
    flush_due: Option<wsrx_rm::Timestamp>,
    /// The last store ticket whose batch changed each sequence (forward or offered):
    /// an answer about a sequence waits for it, not for unrelated later commits
    /// (the deletion of handed-over payloads, other sequences' records).
    touched: HashMap<String, Ticket>,
    /// Per sequence, the highest message number the handler has finished with (in
    /// order: every number up to it): a request held for a gap is answered once it is.
    handled: HashMap<SequenceId, u64>,
}

impl Slot {
    /// Submits `batch` and notes its ticket for every sequence it changes.
    fn submit<B: Backend>(
        &mut self,
        persistence: &Persistence<B>,
        batch: Batch,
    ) -> Result<Ticket, RuntimeError> {
        let mut ids: Vec<String> = batch.records.iter().map(|(s, _, _)| s.clone()).collect();
        ids.extend(batch.payloads.iter().map(|p| p.sequence.clone()));
        let deleted = batch.sequence_deletes.clone();
        let ticket = persistence.submit(batch)?;
        for id in ids {
            self.touched.insert(id, ticket);
        }
        for id in &deleted {
            self.touched.remove(id);
        }
        Ok(ticket)
    }

    /// What an answer about sequence `id` depends on: its own and its offered
    /// sequence's last batches.
    fn depends(&self, id: &SequenceId) -> Ticket {
        let own = self.touched.get(id.as_str()).copied().unwrap_or_default();
        let offered = self
            .duplex
            .get(id)
            .and_then(|o| self.touched.get(o.id.as_str()).copied())
            .unwrap_or_default();
        own.max(offered)
    }
}

struct Inner<B: Backend> {
    persistence: Persistence<B>,
    resolver: Arc<dyn KeyResolver + Send + Sync>,
    /// The token provider: resolves keys, and answers WS-Trust requests when it runs a
    /// token service.
    tokens: Arc<dyn TokenProvider>,
    handler: Arc<dyn Handler>,
    config: ServerConfig,
    v11: Shard<Slot>,
    v10: Shard<Slot>,
    replay: ReplayGuard,
    wake: Notify,
    /// Signalled whenever the handler finished with a message.
    handled: Notify,
    tap: Option<Tap>,
    stop: tokio::sync::watch::Sender<bool>,
    /// For transmits to addressable endpoints (`server/post.rs`).
    http: HttpClient,
    /// Messages held for MC anonymous endpoints (`server/mc.rs`).
    mc: mc::McMailbox,
}

/// The replay guard `config` asks for, with its journal read back.
fn replay_guard(config: &ServerConfig) -> Result<ReplayGuard, RuntimeError> {
    let verify = config.inbound.verifier.config();
    let window = ReplayCache::window_for(verify);
    let cache = ReplayCache::with_limits(config.replay_limits, window);
    let Some(base) = &config.replay_journal else {
        return Ok(ReplayGuard::memory(cache));
    };
    let (guard, restored) =
        ReplayGuard::journaled(cache, base, window + verify.clock_skew, SystemTime::now())?;
    tracing::info!(restored, "replay journal read back");
    Ok(guard)
}

mod answer;
mod control;
mod deliver;
mod drain;
mod duplex;
mod fault;
mod mc;
mod post;
mod published;
mod refusals;
mod timer;

/// The server side of the runtime (cheap to clone).
pub struct Server<B: Backend> {
    inner: Arc<Inner<B>>,
}

impl<B: Backend> Clone for Server<B> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<B: Backend> std::fmt::Debug for Server<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("endpoint", &self.inner.config.endpoint)
            .finish_non_exhaustive()
    }
}

struct Delivery {
    id: SequenceId,
    number: u64,
    handle: u64,
    action: String,
    text: String,
    bound_to: Option<String>,
    redelivered: bool,
    message_id: Option<String>,
    /// Its place in the delivery queue (`server/deliver.rs`).
    ticket: u64,
    /// The store ticket of the batch that recorded it: handed over once durable.
    after: Ticket,
}

impl<B: Backend> Server<B> {
    /// Restores the Destinations from `persistence` and starts their timers. Messages
    /// recorded as delivered whose payloads are still stored are handed over again
    /// (marked `redelivered`) before this returns.
    ///
    /// # Errors
    /// Store and record errors.
    pub async fn start(
        config: ServerConfig,
        persistence: Persistence<B>,
        tokens: Arc<dyn TokenProvider>,
        handler: Arc<dyn Handler>,
        tap: Option<Tap>,
    ) -> Result<Self, RuntimeError> {
        let now = clock::rm_now();
        let snapshot = persistence.load().await?;
        // Tokens first (see `recovery`): the contexts the token service issued before the
        // restart verify again; expired ones are forgotten, and sequences bound to them
        // are reported (their messages now fail verification with BadContextToken).
        let recovered = crate::recovery::recover(&snapshot, SystemTime::now());
        persistence.commit(recovered.batch()).await?;
        tokens.adopt(recovered.live.clone());
        let local = EndpointRef(config.endpoint.clone());
        let mut ops: HashMap<RmVersion, Vec<StoreOp>> = HashMap::new();
        let mut records: HashMap<SequenceId, DestinationRecord> = HashMap::new();
        let mut redeliver = Vec::new();
        let mut held: [HashMap<u64, Held>; 2] = [HashMap::new(), HashMap::new()];
        for log in snapshot
            .sequences
            .iter()
            .filter(|l| l.role == Role::Destination)
        {
            let decoded = decode_log(&log.records)?;
            let Some(StoreOp::DestinationCreated(r)) = decoded.first() else {
                continue;
            };
            let version = r.version;
            let record = r.clone();
            if let Some(b) = &record.binding
                && recovered.is_expired(b.as_str())
            {
                tracing::error!(sequence = %record.id, token = %b.as_str(), "inbound sequence is bound to an expired security context; its messages will be refused");
            }
            let mut delivered_through = 0u64;
            let mut delivered = std::collections::HashSet::new();
            for op in &decoded {
                match op {
                    StoreOp::DeliveredThrough { number, .. } => delivered_through = *number,
                    StoreOp::InboundRecorded {
                        number,
                        delivered: true,
                        ..
                    } => {
                        delivered.insert(*number);
                    }
                    _ => {}
                }
            }
            for (handle, number) in &log.payloads {
                let Some(bytes) = persistence.payload(*handle).await? else {
                    continue;
                };
                let Some((action, text)) = decode_payload(&bytes) else {
                    continue;
                };
                if delivered.contains(number) || *number <= delivered_through {
                    redeliver.push(Delivery {
                        id: record.id.clone(),
                        number: *number,
                        handle: *handle,
                        action,
                        text,
                        bound_to: record.binding.as_ref().map(|b| b.as_str().to_owned()),
                        redelivered: true,
                        message_id: None,
                        ticket: 0,
                        after: Ticket::default(),
                    });
                } else {
                    let i = usize::from(version == RmVersion::V1_0);
                    if let Some(h) = held.get_mut(i) {
                        h.insert(
                            *handle,
                            Held {
                                action,
                                text,
                                put: true,
                                message_id: None,
                            },
                        );
                    }
                }
            }
            records.insert(record.id.clone(), record);
            ops.entry(version).or_default().extend(decoded);
        }
        let [held11, held10] = held;
        let make = |version: RmVersion, held: HashMap<u64, Held>| -> Result<Slot, RuntimeError> {
            let mut dc = config.destination.clone();
            dc.version = version;
            let dest = Destination::restore(
                now,
                dc,
                local.clone(),
                ops.get(&version).map(Vec::as_slice).unwrap_or_default(),
                crate::entropy::rm_random_source(),
            )?;
            let open = records.values().filter(|r| r.version == version).cloned();
            Ok(Slot {
                ep: ServerEndpoint::new(dest, open),
                held,
                responses: HashMap::new(),
                duplex: HashMap::new(),
                dialects: HashMap::new(),
                version,
                queue: deliver::Queue::default(),
                handed_over: Vec::new(),
                flush_due: None,
                touched: HashMap::new(),
                handled: HashMap::new(),
            })
        };
        let mut v11 = make(RmVersion::V1_1, held11)?;
        let mut v10 = make(RmVersion::V1_0, held10)?;
        duplex::restore_offered(
            &persistence,
            &snapshot,
            &records,
            &config.offered,
            [&mut v11, &mut v10],
        )
        .await?;
        metrics::sequences_open(v11.ep.open_sequences() + v10.ep.open_sequences());
        let (stop, _) = tokio::sync::watch::channel(false);
        let replay = replay_guard(&config)?;
        let inner = Arc::new(Inner {
            persistence,
            resolver: tokens.resolver(),
            tokens: Arc::clone(&tokens),
            handler,
            replay,
            config,
            v11: Shard::new(v11),
            v10: Shard::new(v10),
            wake: Notify::new(),
            handled: Notify::new(),
            tap,
            stop,
            http: HttpClient::new(Duration::from_secs(30))?,
            mc: mc::mailbox(),
        });
        let server = Self { inner };
        server.redeliver(redeliver).await?;
        for version in [RmVersion::V1_1, RmVersion::V1_0] {
            let s = server.clone();
            tokio::spawn(async move { s.timer(version).await });
        }
        Ok(server)
    }

    /// Stops the timer tasks (HTTP shutdown is [`crate::http::Serving::shutdown`]).
    pub fn stop(&self) {
        let _ = self.inner.stop.send(true);
    }

    /// Whether this node should be sent traffic (`GET /ready`): started (the store
    /// opened, its schema and key ring checked, the state restored: [`Server::start`]
    /// returned), not draining ([`Server::stop`]), and its store answering.
    ///
    /// # Errors
    /// Why not, for the probe's answer (no secret).
    pub async fn ready(&self) -> Result<(), String> {
        if *self.inner.stop.borrow() {
            return Err("draining: the node is shutting down".to_owned());
        }
        self.inner
            .persistence
            .reachable(Duration::from_secs(2))
            .await
    }

    fn slot(&self, version: RmVersion) -> &Shard<Slot> {
        match version {
            RmVersion::V1_1 => &self.inner.v11,
            RmVersion::V1_0 => &self.inner.v10,
        }
    }

    /// Processes one HTTP request body; returns what to answer.
    pub async fn handle(&self, body: &[u8], soap_hint: SoapVersion) -> HttpReply {
        self.handle_from(body, soap_hint, &crate::token::Peer::unprotected())
            .await
    }

    /// As [`Server::handle`], for a request that came from `peer` (TLS or not, which
    /// client certificate): the token service needs to know.
    pub async fn handle_from(
        &self,
        body: &[u8],
        soap_hint: SoapVersion,
        peer: &crate::token::Peer,
    ) -> HttpReply {
        // Runs to completion even if the HTTP connection goes away (hyper then drops
        // this future): cancelled between a commit and the hand-over of its deliveries,
        // a message would wait in the inbox until the next restart (found by the
        // SIGKILL torture of `wsrx send`).
        let this = self.clone();
        let (body, peer) = (body.to_vec(), peer.clone());
        let done =
            tokio::spawn(async move { this.handle_inner(&body, soap_hint, &peer).await }).await;
        match done.unwrap_or_else(|e| Err(RuntimeError::Io(format!("request task: {e}")))) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "request failed");
                // A store that could not commit (a database gone away): nothing of this
                // request was acknowledged, and a retry may succeed: 503, not 500.
                let unavailable = matches!(e, RuntimeError::Store(_));
                let fault = Fault::new(
                    FaultCode::Receiver,
                    "The message could not be processed now",
                );
                let r = Refusal {
                    soap: soap_hint,
                    profile: WireProfile::Rm11,
                    fault,
                    proof: None,
                    message_id: None,
                    reason: e.to_string(),
                };
                let mut reply = self.fault_reply(&r);
                if unavailable {
                    reply.status = 503;
                }
                reply
            }
        }
    }

    async fn handle_inner(
        &self,
        body: &[u8],
        soap_hint: SoapVersion,
        peer: &crate::token::Peer,
    ) -> Result<HttpReply, RuntimeError> {
        let received = std::time::Instant::now();
        let now_sys = SystemTime::now();
        // WS-Trust requests (RST/SCT) go to the token service, if this server runs one.
        // The byte check keeps the extra parse off the path of every RM message.
        if body.windows(5).any(|w| w == b"/RST/")
            && let Ok(doc) = wsrx_xml::Document::parse_with(body, &self.inner.config.inbound.limits)
            && let Some(answer) = self.inner.tokens.answer_trust(&doc, now_sys, peer)
        {
            emit!(
                self.inner.tap.as_ref(),
                "server",
                Direction::Received,
                "WS-Trust request",
                &String::from_utf8_lossy(body),
            );
            // Commit-before-send: an issued (renewed, cancelled) context is durable
            // before the RSTR leaves.
            let mut batch = Batch::default();
            crate::recovery::add_changes(&mut batch, &self.inner.tokens.take_changes())?;
            self.inner.persistence.commit(batch).await?;
            emit!(
                self.inner.tap.as_ref(),
                "server",
                Direction::Sent,
                &answer.action,
                &answer.envelope,
            );
            let soap = wsrx_soap::Envelope::new(&doc).map_or(soap_hint, |e| e.version());
            // A token-service fault travels with 500 in both SOAP versions: SOAP 1.1 §6.2
            // requires it, SOAP 1.2 Part 2 §7.5.1.2 lists 400 for Sender faults but a
            // requester must read the envelope whatever the status, and the WS-Trust clients
            // of CXF 4.2.3 (CXF-6198) do not read a fault sent with 400 (docs/trust.md).
            let status = match answer.fault {
                None => 200,
                Some(_) => 500,
            };
            return Ok(HttpReply {
                status,
                soap,
                action: answer.action,
                body: Some(answer.envelope),
            });
        }
        // WS-MakeConnection (server/mc.rs): a client polling for what is held for it.
        if let Some(answer) = self.make_connection(body) {
            return Ok(answer);
        }
        let opened = match pipeline::open(
            body,
            soap_hint,
            &self.inner.config.inbound,
            self.inner.resolver.as_ref(),
            &self.inner.replay,
            now_sys,
        ) {
            Ok(o) => o,
            Err(r) => {
                tracing::info!(reason = %r.reason, "refused inbound message");
                emit!(
                    self.inner.tap.as_ref(),
                    "server",
                    Direction::Refused,
                    &r.reason,
                    &String::from_utf8_lossy(body),
                );
                return Ok(self.fault_reply(&r));
            }
        };
        emit!(
            self.inner.tap.as_ref(),
            "server",
            Direction::Received,
            &opened.summary(),
            &String::from_utf8_lossy(body),
        );
        if let Err(why) = (self.inner.config.security).admits(opened.proof.as_ref(), peer.transport)
        {
            let fault = Fault::new(FaultCode::Sender, why);
            let (soap, profile) = (opened.soap, opened.profile());
            let message_id = opened.message_id.clone();
            let reason = why.to_owned();
            let r = Refusal {
                soap,
                profile,
                fault,
                proof: None,
                message_id,
                reason,
            };
            return Ok(self.fault_reply(&r));
        }
        if opened.soap_fault.is_some() {
            return Ok(HttpReply::accepted(opened.soap));
        }
        let Some(version) = opened.rm_version else {
            // An application message outside any sequence: this endpoint requires WS-RM.
            let profile = opened.profile();
            let fault = wsrx_rm::wire::soap_fault(
                profile,
                &wsrx_rm::msg::RmFault {
                    kind: wsrx_rm::msg::FaultKind::WsrmRequired,
                    code: wsrx_rm::msg::FaultCode::Sender,
                    detail: wsrx_rm::msg::FaultDetail::None,
                },
            );
            return Ok(self.fault_reply(&Refusal {
                soap: opened.soap,
                profile,
                fault,
                proof: opened.proof.clone(),
                message_id: opened.message_id.clone(),
                reason: "no WS-RM header".to_owned(),
            }));
        };
        // A TerminateSequence ends the sequence and forgets its records: its queued
        // deliveries are finished first (checked again under the lock, since another
        // request may have queued one meanwhile).
        let terminating = match &opened.wire.body {
            WireBody::Rm(wsrx_rm::wire::RmBody::TerminateSequence(t)) => Some(t.id.clone()),
            _ => None,
        };
        let (replies, before, issued, ticket, held) = loop {
            if let Some(id) = &terminating {
                self.settle(version, |q| q.pending_of(id)).await;
            }
            let mut slot = self.slot(version).lock();
            if terminating
                .as_ref()
                .is_some_and(|id| slot.queue.pending_of(id).is_some())
            {
                continue;
            }
            let before = slot.queue.issued();
            let (replies, ticket, held) = self.feed(&mut slot, &opened)?;
            break (replies, before, slot.queue.issued(), ticket, held);
        };
        // The answer (the response, the acknowledgement) follows the deliveries this
        // message caused: wait for them, the lock released (other messages go on). So a
        // sender that saw its acknowledgement, or a server whose in-flight requests
        // finished (graceful shutdown), leaves nothing half-delivered.
        self.settle(version, |q| q.pending_between(before, issued))
            .await;
        // A request that arrived before the one ahead of it (pipelined requests on
        // several connections overtake each other) is held for the gap: its response
        // rides on this HTTP response, so wait until the handler answered it.
        if held && let Some((id, number)) = self.held_request(&opened) {
            self.wait_handled(version, &id, number).await;
        }
        let (plan, depends) = {
            let mut slot = self.slot(version).lock();
            let plan = self.answer(&mut slot, &opened, received, replies)?;
            // The acknowledgement covers what earlier inputs recorded on the sequence,
            // a response its own record: the sequence's last batch, and this input's.
            let depends = opened
                .messages(None)
                .iter()
                .filter_map(wsrx_rm::Message::sequence_id)
                .fold(ticket, |t, id| t.max(slot.depends(id)));
            (plan, depends)
        };
        // Commit-before-send.
        self.inner.persistence.durable(depends).await?;
        self.seal_answer(&opened, plan)
    }

    /// Feeds one verified message to the machines of its version and drains them;
    /// returns the transmits that answer it.
    /// Also whether its payload is now held in the reorder buffer (recorded, not yet
    /// delivered: a gap before it).
    fn feed(
        &self,
        slot: &mut Slot,
        opened: &Opened,
    ) -> Result<(Vec<Transmit>, Ticket, bool), RuntimeError> {
        let handle = match (&opened.payload, opened.is_application()) {
            (Some(text), true) => {
                let h = new_handle();
                slot.held.insert(
                    h,
                    Held {
                        action: opened.action.clone().unwrap_or_default(),
                        text: text.clone(),
                        put: false,
                        message_id: opened.message_id.clone(),
                    },
                );
                Some(h)
            }
            _ => None,
        };
        let now = clock::rm_now();
        let proof = opened.proof.as_ref();
        let mut offered_refusals = Vec::new();
        for m in opened.messages(handle.map(PayloadRef)) {
            // The endpoint routes it: messages about an offered sequence (acknowledgements
            // of our responses, its Close/Terminate by the client) to its Source, a resent
            // CreateSequence to the sequence it created, the rest to the Destination.
            // Refusals come back as fault transmits and events.
            let retransmissions = slot.ep.retransmissions_received();
            let routed = slot
                .ep
                .handle_message(now, proof, opened.message_id.as_deref(), m);
            if slot.ep.retransmissions_received() > retransmissions {
                metrics::retransmission_received();
            }
            match routed {
                Routed::Offered { forward, message } => {
                    if let Some(o) = slot.duplex.get_mut(&forward)
                        && let Err(e) = o.source.handle_message(now, proof, message)
                    {
                        refusals::record(&e, proof, "offered sequence");
                        offered_refusals.push(e);
                    }
                }
                Routed::Destination(Err(e)) => refusals::record(&e, proof, "destination"),
                Routed::Destination(Ok(())) | Routed::RepeatedCreate(_) | Routed::Ignored => {}
            }
        }
        let (mut replies, ticket) = self.drain(slot, Some(opened))?;
        // A refusal on an offered sequence is answered like any other, not with 202.
        for e in &offered_refusals {
            if let Some(t) = refusals::offered_fault(e, proof, &replies) {
                replies.insert(0, t);
            }
        }
        let held = handle.is_some_and(|h| slot.held.contains_key(&h));
        Ok((replies, ticket, held))
    }
}
