//! The RM Destination side: inbound sequences, delivery to a [`Handler`], answers on the
//! HTTP back-channel.
//!
//! One [`Destination`] per RM version, each behind one async mutex (its poll loop):
//! every input (an inbound message, a timeout, `take_ack`) is followed by the drain in
//! the contract order: `poll_persist` → commit → `poll_transmit` → `poll_event` →
//! `poll_timeout` (the timer task sleeps until it).
//!
//! ## Exactly-once delivery (the durable inbox)
//!
//! 1. An accepted message's payload is put in the store **in the same commit** as its
//!    `InboundRecorded` record, before any acknowledgement covering it is sent.
//! 2. A `Delivered` event is acted on only after that commit (and, for held messages,
//!    after the commit carrying `DeliveredThrough`): the handler is called, in order,
//!    one message at a time.
//! 3. When the handler has returned, the payload is deleted (a second commit).
//! 4. At start-up, a payload still in the store for a message recorded as delivered is
//!    handed to the handler again with [`DeliveryInfo::redelivered`] set; a payload of a
//!    held message is held again. Duplicates on the wire are never delivered (the
//!    records say what was received).
//!
//! So every message reaches the handler once, except after a crash between steps 2
//! and 3, when it comes again marked `redelivered`, with its sequence and number for
//! the application to recognise it (idempotent handlers see exactly once).
//!
//! ## Request-reply (first cut)
//!
//! A request's response travels on the HTTP response of that request, with the
//! sequence's acknowledgement piggy-backed. Responses are kept per (sequence, number)
//! until the sequence ends, so a retransmitted request (a duplicate, not delivered again)
//! is answered with the same response, re-protected. Responses on an offered reverse
//! sequence (WS-RM duplex) are not done yet.

use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, SystemTime};

use tokio::sync::{Mutex, Notify};
use wsrx_rm::msg::{EndpointRef, Route};
use wsrx_rm::persist::DestinationRecord;
use wsrx_rm::wire::{RmHeader, WireBody, WireMessage, WireProfile};
use wsrx_rm::{
    DeliveryAssurance, Destination, DestinationConfig, DestinationEvent, PayloadRef, RmVersion,
    SecurityBinding, SequenceId, StoreOp, Transmit,
};
use wsrx_security::{KeyResolver, ReplayCache};
use wsrx_soap::{Fault, FaultCode, SoapVersion};
use wsrx_store::{Backend, Batch, PayloadPut, Role};

use crate::clock;
use crate::error::RuntimeError;
use crate::http::HttpReply;
use crate::persist::{Persistence, add_op, decode_log, decode_payload, encode_payload, new_handle};
use crate::pipeline::{
    self, InboundConfig, Opened, Protection, Refusal, refusal_addressing, reply_addressing,
};
use crate::tap::{Direction, Tap, emit};
use crate::token::{BoxFuture, TokenProvider};

/// What the application is told with each delivered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryInfo {
    /// The sequence.
    pub sequence: String,
    /// The message number.
    pub number: u64,
    /// The WS-A action.
    pub action: String,
    /// The SCT identifier the sequence is bound to.
    pub bound_to: Option<String>,
    /// The delivery assurance in force.
    pub assurance: DeliveryAssurance,
    /// Whether delivery is in order.
    pub in_order: bool,
    /// Handed over again after a restart (the previous hand-over may or may not have
    /// completed).
    pub redelivered: bool,
}

/// How an action is exchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// No response.
    OneWay,
    /// A response goes back to the requester.
    RequestReply,
}

/// A response payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The response's WS-A action.
    pub action: String,
    /// The body element (XML declaring its namespaces).
    pub payload: String,
}

/// The application behind a [`Server`].
pub trait Handler: Send + Sync + 'static {
    /// Whether `action` is one-way or request-reply.
    fn operation(&self, action: &str) -> Operation;

    /// A one-way message, delivered per [`DeliveryInfo::assurance`].
    fn one_way<'a>(&'a self, payload: String, info: DeliveryInfo) -> BoxFuture<'a, ()>;

    /// A request; the response (or a fault) goes back to the requester.
    fn request<'a>(
        &'a self,
        payload: String,
        info: DeliveryInfo,
    ) -> BoxFuture<'a, Result<Reply, Fault>>;
}

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The RM Destination settings (the version is set per RM version served).
    pub destination: DestinationConfig,
    /// The inbound pipeline settings.
    pub inbound: InboundConfig,
    /// The address clients send to (the Destination's local endpoint).
    pub endpoint: String,
    /// Replay cache size and window.
    pub replay_capacity: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            destination: DestinationConfig::default(),
            inbound: InboundConfig::default(),
            endpoint: String::new(),
            replay_capacity: 100_000,
        }
    }
}

struct Held {
    action: String,
    text: String,
    put: bool,
}

struct Slot {
    dest: Destination,
    /// Payloads of accepted messages not yet handed over, by handle.
    held: HashMap<u64, Held>,
    /// Where each sequence's acknowledgements go, and its binding.
    sequences: HashMap<SequenceId, DestinationRecord>,
    /// Responses by (sequence, number).
    responses: HashMap<(SequenceId, u64), Reply>,
}

struct Inner<B: Backend> {
    persistence: Persistence<B>,
    resolver: Arc<dyn KeyResolver + Send + Sync>,
    /// The token provider: resolves keys, and answers WS-Trust requests when it runs a
    /// token service.
    tokens: Arc<dyn TokenProvider>,
    handler: Arc<dyn Handler>,
    config: ServerConfig,
    v11: Mutex<Slot>,
    v10: Mutex<Slot>,
    replay: StdMutex<ReplayCache>,
    wake: Notify,
    tap: Option<Tap>,
    stop: tokio::sync::watch::Sender<bool>,
}

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
            let sequences = records
                .iter()
                .filter(|(_, r)| r.version == version)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Ok(Slot {
                dest,
                held,
                sequences,
                responses: HashMap::new(),
            })
        };
        let v11 = make(RmVersion::V1_1, held11)?;
        let v10 = make(RmVersion::V1_0, held10)?;
        let (stop, _) = tokio::sync::watch::channel(false);
        let inner = Arc::new(Inner {
            persistence,
            resolver: tokens.resolver(),
            tokens: Arc::clone(&tokens),
            handler,
            replay: StdMutex::new(ReplayCache::new(
                config.replay_capacity,
                config.inbound.verifier.config().clock_skew * 2 + Duration::from_secs(300),
            )),
            config,
            v11: Mutex::new(v11),
            v10: Mutex::new(v10),
            wake: Notify::new(),
            tap,
            stop,
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

    fn slot(&self, version: RmVersion) -> &Mutex<Slot> {
        match version {
            RmVersion::V1_1 => &self.inner.v11,
            RmVersion::V1_0 => &self.inner.v10,
        }
    }

    async fn redeliver(&self, list: Vec<Delivery>) -> Result<(), RuntimeError> {
        for version in [RmVersion::V1_1, RmVersion::V1_0] {
            let mut slot = self.slot(version).lock().await;
            let mine: Vec<&Delivery> = list
                .iter()
                .filter(|d| {
                    slot.sequences
                        .get(&d.id)
                        .is_some_and(|r| r.version == version)
                })
                .collect();
            for d in mine {
                self.deliver(&mut slot, d).await?;
            }
        }
        Ok(())
    }

    async fn timer(&self, version: RmVersion) {
        let mut stop = self.inner.stop.subscribe();
        loop {
            let deadline = {
                let slot = self.slot(version).lock().await;
                slot.dest.poll_timeout()
            };
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep(clock::until(d)).await,
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = sleep => {
                    let mut slot = self.slot(version).lock().await;
                    slot.dest.handle_timeout(clock::rm_now());
                    if let Err(e) = self.drain(&mut slot, None).await {
                        tracing::warn!(error = %e, "destination timer drain failed");
                    }
                }
                () = self.inner.wake.notified() => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// Processes one HTTP request body; returns what to answer.
    pub async fn handle(&self, body: &[u8], soap_hint: SoapVersion) -> HttpReply {
        match self.handle_inner(body, soap_hint).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "request failed");
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
                self.fault_reply(&r)
            }
        }
    }

    fn fault_reply(&self, r: &Refusal) -> HttpReply {
        let now = SystemTime::now();
        let protection = r
            .proof
            .as_ref()
            .and_then(|b| Protection::for_binding(b, r.profile, self.inner.resolver.as_ref()).ok());
        let addressing = refusal_addressing(r);
        let status = match (r.soap, &r.fault.code) {
            (SoapVersion::V12, FaultCode::Sender) => 400,
            _ => 500,
        };
        match pipeline::seal_fault(
            r.profile,
            r.soap,
            &addressing,
            &r.fault,
            protection.as_ref(),
            now,
        ) {
            Ok(text) => {
                emit(
                    self.inner.tap.as_ref(),
                    "server",
                    Direction::Sent,
                    &format!(
                        "Fault({})  signed-by={}",
                        r.fault.reason,
                        protection
                            .as_ref()
                            .map_or("(unsigned)", |p| p.sct.identifier.as_str())
                    ),
                    &text,
                );
                HttpReply {
                    status,
                    soap: r.soap,
                    action: r.profile.soap_fault_action().to_owned(),
                    body: Some(text),
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot write fault");
                HttpReply {
                    status: 500,
                    soap: r.soap,
                    action: String::new(),
                    body: None,
                }
            }
        }
    }

    async fn handle_inner(
        &self,
        body: &[u8],
        soap_hint: SoapVersion,
    ) -> Result<HttpReply, RuntimeError> {
        let now_sys = SystemTime::now();
        // WS-Trust requests (RST/SCT) go to the token service, if this server runs one.
        // The byte check keeps the extra parse off the path of every RM message.
        if body.windows(5).any(|w| w == b"/RST/")
            && let Ok(doc) = wsrx_xml::Document::parse_with(body, &self.inner.config.inbound.limits)
            && let Some((action, envelope)) = self.inner.tokens.answer_trust(&doc, now_sys)
        {
            emit(
                self.inner.tap.as_ref(),
                "server",
                Direction::Sent,
                &action,
                &envelope,
            );
            let soap = wsrx_soap::Envelope::new(&doc).map_or(soap_hint, |e| e.version());
            return Ok(HttpReply {
                status: 200,
                soap,
                action,
                body: Some(envelope),
            });
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
                emit(
                    self.inner.tap.as_ref(),
                    "server",
                    Direction::Refused,
                    &r.reason,
                    &String::from_utf8_lossy(body),
                );
                return Ok(self.fault_reply(&r));
            }
        };
        emit(
            self.inner.tap.as_ref(),
            "server",
            Direction::Received,
            &opened.summary(),
            &String::from_utf8_lossy(body),
        );
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
        let mut slot = self.slot(version).lock().await;
        let handle = match (&opened.payload, opened.is_application()) {
            (Some(text), true) => {
                let h = new_handle();
                slot.held.insert(
                    h,
                    Held {
                        action: opened.action.clone().unwrap_or_default(),
                        text: text.clone(),
                        put: false,
                    },
                );
                Some(h)
            }
            _ => None,
        };
        let now = clock::rm_now();
        for m in opened.messages(handle.map(PayloadRef)) {
            // Refusals come back as fault transmits and events.
            let _ = slot.dest.handle_message(now, opened.proof.as_ref(), m);
        }
        let replies = self.drain(&mut slot, Some(&opened)).await?;
        let reply = self.answer(&mut slot, &opened, replies).await?;
        Ok(reply)
    }

    /// Chooses the HTTP answer to `opened`.
    async fn answer(
        &self,
        slot: &mut Slot,
        opened: &Opened,
        replies: Vec<Transmit>,
    ) -> Result<HttpReply, RuntimeError> {
        let profile = opened.profile();
        if let Some(t) = replies.into_iter().next() {
            let wire = WireMessage::from_transmit(&t, profile);
            return self.send_back(
                opened,
                profile,
                &wire,
                None,
                "",
                t.protect_with.as_ref(),
                200,
            );
        }
        let seq = opened.wire.headers.iter().find_map(|h| match h {
            RmHeader::Sequence(s) => Some((s.id.clone(), s.number)),
            RmHeader::AckRequested(a) => Some((a.id.clone(), 0)),
            _ => None,
        });
        let Some((id, number)) = seq else {
            return Ok(HttpReply::accepted(opened.soap));
        };
        let Some(record) = slot.sequences.get(&id).cloned() else {
            return Ok(HttpReply::accepted(opened.soap));
        };
        let anonymous = is_anonymous(&record.acks_to.0);
        let ack = if anonymous {
            slot.dest.take_ack(&id)
        } else {
            None
        };
        if ack.is_some() {
            // take_ack is an input: drain it (nothing to persist; it settles a batched ack).
            let _ = self.drain(slot, None).await?;
        }
        let headers: Vec<RmHeader> = ack
            .into_iter()
            .map(RmHeader::SequenceAcknowledgement)
            .collect();
        if let Some(reply) = slot.responses.get(&(id.clone(), number)).cloned() {
            let wire = WireMessage {
                headers,
                body: WireBody::Application,
            };
            return self.send_back(
                opened,
                profile,
                &wire,
                Some(&reply.payload),
                &reply.action,
                record.binding.as_ref(),
                200,
            );
        }
        if headers.is_empty() {
            return Ok(HttpReply::accepted(opened.soap));
        }
        let wire = WireMessage {
            headers,
            body: WireBody::Empty,
        };
        self.send_back(
            opened,
            profile,
            &wire,
            None,
            "",
            record.binding.as_ref(),
            200,
        )
    }

    #[allow(clippy::too_many_arguments, reason = "one call site shape, all needed")]
    fn send_back(
        &self,
        opened: &Opened,
        profile: WireProfile,
        wire: &WireMessage,
        payload: Option<&str>,
        action: &str,
        binding: Option<&SecurityBinding>,
        status: u16,
    ) -> Result<HttpReply, RuntimeError> {
        let action = wire
            .action(profile)
            .map_or_else(|| action.to_owned(), str::to_owned);
        let addressing = reply_addressing(opened, profile, &action);
        // A bound sequence answers with its token; an unbound one (allowed by policy)
        // answers with the token that proved the request, if any.
        let protection = binding
            .or(opened.proof.as_ref())
            .map(|b| Protection::for_binding(b, profile, self.inner.resolver.as_ref()))
            .transpose()?;
        let text = pipeline::seal(
            profile,
            opened.soap,
            &addressing,
            wire,
            payload,
            protection.as_ref(),
            SystemTime::now(),
        )?;
        let summary =
            pipeline::summarize(wire, Some(&action), binding.map(SecurityBinding::as_str));
        emit(
            self.inner.tap.as_ref(),
            "server",
            Direction::Sent,
            &summary,
            &text,
        );
        let status = if matches!(wire.body, WireBody::Rm(wsrx_rm::wire::RmBody::Fault(_))) {
            if opened.soap == SoapVersion::V12 {
                400
            } else {
                500
            }
        } else {
            status
        };
        Ok(HttpReply {
            status,
            soap: opened.soap,
            action,
            body: Some(text),
        })
    }

    /// The drain after an input: persist (commit) → transmit → events (deliveries).
    /// Returns the transmits routed as the reply to `current`.
    async fn drain(
        &self,
        slot: &mut Slot,
        current: Option<&Opened>,
    ) -> Result<Vec<Transmit>, RuntimeError> {
        // 1. persist, with the payloads of newly recorded messages, in one commit.
        let mut batch = Batch::default();
        while let Some(op) = slot.dest.poll_persist() {
            match &op {
                StoreOp::DestinationCreated(r) => {
                    slot.sequences.insert(r.id.clone(), r.clone());
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
                    slot.sequences.remove(id);
                    slot.responses.retain(|(s, _), _| s != id);
                }
                _ => {}
            }
            add_op(&mut batch, &op);
        }
        self.inner.persistence.commit(batch).await?;
        // 2. transmits.
        let mut replies = Vec::new();
        while let Some(t) = slot.dest.poll_transmit() {
            match &t.route {
                Route::Reply if current.is_some() => replies.push(t),
                Route::Peer(EndpointRef(addr)) if is_anonymous(addr) => {
                    // Anonymous AcksTo: acknowledgements ride on the next back-channel
                    // (answer() piggy-backs the current one on every response).
                }
                other => {
                    tracing::debug!(route = ?other, "transmit without a channel dropped (addressable AcksTo not done yet)");
                }
            }
        }
        // 3. events.
        let mut deliveries = Vec::new();
        while let Some(ev) = slot.dest.poll_event() {
            match ev {
                DestinationEvent::Delivered {
                    id,
                    number,
                    payload,
                } => {
                    if let Some(h) = slot.held.remove(&payload.0) {
                        let bound_to = slot
                            .sequences
                            .get(&id)
                            .and_then(|r| r.binding.as_ref().map(|b| b.as_str().to_owned()));
                        deliveries.push(Delivery {
                            id,
                            number,
                            handle: payload.0,
                            action: h.action,
                            text: h.text,
                            bound_to,
                            redelivered: false,
                        });
                    }
                }
                DestinationEvent::Released { payload, .. } => {
                    if let Some(h) = slot.held.remove(&payload.0)
                        && h.put
                    {
                        let mut b = Batch::default();
                        b.payload_deletes.push(payload.0);
                        self.inner.persistence.commit(b).await?;
                    }
                }
                DestinationEvent::Refused(e) => {
                    tracing::info!(error = %e, "destination refused a message");
                }
                DestinationEvent::Terminated { id, reason } => {
                    tracing::info!(sequence = %id, ?reason, "inbound sequence ended");
                }
                DestinationEvent::Created { id, .. } => {
                    tracing::info!(sequence = %id, "inbound sequence created");
                }
                DestinationEvent::Closed { id } => {
                    tracing::info!(sequence = %id, "inbound sequence closed");
                }
            }
        }
        for d in &deliveries {
            self.deliver(slot, d).await?;
        }
        // 4. the timer task re-reads poll_timeout.
        self.inner.wake.notify_waiters();
        Ok(replies)
    }

    /// Hands one message to the handler, then deletes its payload (see the module docs).
    async fn deliver(&self, slot: &mut Slot, d: &Delivery) -> Result<(), RuntimeError> {
        let info = DeliveryInfo {
            sequence: d.id.as_str().to_owned(),
            number: d.number,
            action: d.action.clone(),
            bound_to: d.bound_to.clone(),
            assurance: self.inner.config.destination.delivery,
            in_order: self.inner.config.destination.in_order,
            redelivered: d.redelivered,
        };
        match self.inner.handler.operation(&d.action) {
            Operation::OneWay => self.inner.handler.one_way(d.text.clone(), info).await,
            Operation::RequestReply => match self.inner.handler.request(d.text.clone(), info).await
            {
                Ok(reply) => {
                    slot.responses.insert((d.id.clone(), d.number), reply);
                }
                Err(fault) => {
                    tracing::info!(reason = %fault.reason, "handler answered with a fault");
                }
            },
        }
        let mut b = Batch::default();
        b.payload_deletes.push(d.handle);
        self.inner.persistence.commit(b).await
    }
}

fn is_anonymous(addr: &str) -> bool {
    addr == wsrx_soap::WsaVersion::V10.anonymous()
        || addr == wsrx_soap::WsaVersion::V200408.anonymous()
}
