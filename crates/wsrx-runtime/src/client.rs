//! The RM Source side: one outbound sequence to one endpoint, with a handle to send on.
//!
//! One [`Source`] behind one async mutex (its poll loop). Every input (a command, a
//! response, a timeout) is followed by the drain in the contract order: `poll_persist` →
//! commit (with the payloads of newly stored messages; acknowledged payloads deleted)
//! → `poll_transmit` (queued to the sender task only after the commit returned) →
//! `poll_event` → `poll_timeout` (the driver task sleeps until it). The sender task
//! encodes, secures (fresh Timestamp and nonces on every transmission, retransmissions
//! included) and POSTs; what comes back on the HTTP response (CreateSequenceResponse,
//! acknowledgements, responses, faults) is verified and fed back as an input.
//!
//! [`Client::send`] waits for room in the window instead of failing; it returns when the
//! message is durably stored under its number (it is then sent and, if need be, resent,
//! also after a restart, until acknowledged). [`Client::request`] also waits for the
//! response, re-sending the request (a duplicate the destination does not deliver again)
//! until the response comes.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, SystemTime};

use tokio::sync::{Mutex, mpsc, oneshot, watch};
use tokio::time::Instant;
use wsrx_rm::msg::{ApplicationMessage, EndpointRef, Route, SequenceHeader};
use wsrx_rm::wire::{WireMessage, WireProfile};
use wsrx_rm::{
    CreateParams, Message, PayloadRef, SecurityBinding, SequenceId, Source, SourceConfig,
    SourceEvent, SourceState, StoreOp, Transmit,
};
use wsrx_security::{KeyResolver, ReplayCache};
use wsrx_soap::{EndpointReference, OutboundAddressing, SoapVersion};
use wsrx_store::{Backend, Batch, PayloadPut, Role};

use crate::clock;
use crate::error::RuntimeError;
use crate::http::HttpClient;
use crate::persist::{Persistence, add_op, decode_log, decode_payload, encode_payload, new_handle};
use crate::pipeline::{self, InboundConfig, Protection};
use crate::tap::{Direction, Tap, emit};
use crate::token::TokenProvider;

/// Client settings.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The RM Destination's address.
    pub to: String,
    /// SOAP version to speak.
    pub soap: SoapVersion,
    /// WS-RM / WS-A dialect (the RM version follows from it).
    pub profile: WireProfile,
    /// The Source settings (its version is taken from `profile`).
    pub source: SourceConfig,
    /// The inbound pipeline settings (for responses).
    pub inbound: InboundConfig,
    /// Timeout of one HTTP exchange.
    pub http_timeout: Duration,
    /// How long to wait for a response before re-sending a request.
    pub request_retry: Duration,
}

impl ClientConfig {
    /// Defaults for `to`: SOAP 1.2, WS-RM 1.1, 1 s first retransmission.
    pub fn new(to: impl Into<String>) -> Self {
        Self {
            to: to.into(),
            soap: SoapVersion::V12,
            profile: WireProfile::Rm11,
            source: SourceConfig::default(),
            inbound: InboundConfig::default(),
            http_timeout: Duration::from_secs(30),
            request_retry: Duration::from_secs(2),
        }
    }
}

/// Proof that a message was accepted into the sequence and durably stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The sequence.
    pub sequence: String,
    /// The message number.
    pub number: u64,
}

struct PendingRequest {
    tx: oneshot::Sender<Result<String, RuntimeError>>,
    last_sent: Instant,
}

struct State {
    source: Source,
    /// Payloads (action, body) of unacknowledged messages and pending requests, by handle.
    payloads: HashMap<u64, (String, String)>,
    /// Handle per message number, until acknowledged.
    by_number: BTreeMap<u64, u64>,
    requests: HashMap<u64, PendingRequest>,
    /// Payload handle of each pending request, by number (kept past its acknowledgement).
    request_numbers: HashMap<u64, u64>,
    created: Option<SequenceId>,
    closed: bool,
    ended: Option<String>,
}

struct Inner<B: Backend> {
    persistence: Persistence<B>,
    resolver: Arc<dyn KeyResolver + Send + Sync>,
    http: HttpClient,
    config: ClientConfig,
    state: Mutex<State>,
    generation: watch::Sender<u64>,
    out: mpsc::UnboundedSender<Transmit>,
    replay: StdMutex<ReplayCache>,
    wake: tokio::sync::Notify,
    stop: watch::Sender<bool>,
    tap: Option<Tap>,
}

/// A handle on one outbound sequence (cheap to clone).
pub struct Client<B: Backend> {
    inner: Arc<Inner<B>>,
}

impl<B: Backend> Clone for Client<B> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<B: Backend> std::fmt::Debug for Client<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("to", &self.inner.config.to)
            .finish_non_exhaustive()
    }
}

impl<B: Backend> Client<B> {
    /// Resumes the live sequence to `config.to` found in the store (its unacknowledged
    /// messages are resent at once, re-protected), or creates a new one bound to the SCT
    /// `tokens` provides (CreateSequence carries the STR to it and, on 1.1,
    /// `UsesSequenceSTR`). Returns without waiting for the CreateSequenceResponse.
    ///
    /// # Errors
    /// Store, record and token errors.
    pub async fn start(
        config: ClientConfig,
        persistence: Persistence<B>,
        tokens: Arc<dyn TokenProvider>,
        tap: Option<Tap>,
    ) -> Result<Self, RuntimeError> {
        let now = clock::rm_now();
        let mut source_config = config.source.clone();
        source_config.version = config.profile.rm_version();
        let snapshot = persistence.load().await?;
        let mut restored = None;
        for log in snapshot.sequences.iter().filter(|l| l.role == Role::Source) {
            let ops = decode_log(&log.records)?;
            let to_matches = ops
                .iter()
                .any(|op| matches!(op, StoreOp::SourceCreated(r) if r.to.0 == config.to));
            if !to_matches {
                continue;
            }
            if let Some(s) = Source::restore(
                now,
                source_config.clone(),
                &ops,
                crate::entropy::rm_random_source(),
            )? {
                let mut payloads = HashMap::new();
                let mut by_number = BTreeMap::new();
                for (handle, number) in &log.payloads {
                    if let Some(bytes) = persistence.payload(*handle).await?
                        && let Some(p) = decode_payload(&bytes)
                    {
                        payloads.insert(*handle, p);
                        by_number.insert(*number, *handle);
                    }
                }
                restored = Some((s, payloads, by_number));
                break;
            }
        }
        let state = match restored {
            Some((source, payloads, by_number)) => {
                let created = source.id().cloned();
                State {
                    source,
                    payloads,
                    by_number,
                    requests: HashMap::new(),
                    request_numbers: HashMap::new(),
                    created,
                    closed: false,
                    ended: None,
                }
            }
            None => {
                let token = tokens.token_for(&config.to).await?;
                let anonymous = config.profile.wsa_version().anonymous().to_owned();
                let source = Source::create_sequence(
                    now,
                    source_config,
                    CreateParams {
                        to: EndpointRef(config.to.clone()),
                        acks_to: EndpointRef(anonymous),
                        binding: Some(SecurityBinding::new(token.sct.identifier.clone())),
                        offer: None,
                    },
                    crate::entropy::rm_random_source(),
                );
                State {
                    source,
                    payloads: HashMap::new(),
                    by_number: BTreeMap::new(),
                    requests: HashMap::new(),
                    request_numbers: HashMap::new(),
                    created: None,
                    closed: false,
                    ended: None,
                }
            }
        };
        let (out, out_rx) = mpsc::unbounded_channel();
        let (generation, _) = watch::channel(0u64);
        let (stop, _) = watch::channel(false);
        let inner = Arc::new(Inner {
            persistence,
            resolver: tokens.resolver(),
            http: HttpClient::new(config.http_timeout)?,
            replay: StdMutex::new(ReplayCache::new(100_000, Duration::from_secs(900))),
            config,
            state: Mutex::new(state),
            generation,
            out,
            wake: tokio::sync::Notify::new(),
            stop,
            tap,
        });
        let client = Self { inner };
        {
            let c = client.clone();
            tokio::spawn(async move { c.sender(out_rx).await });
            let c = client.clone();
            tokio::spawn(async move { c.driver().await });
        }
        {
            let mut st = client.inner.state.lock().await;
            client.drain(&mut st).await?;
        }
        Ok(client)
    }

    /// The sequence identifier, once created.
    pub async fn sequence_id(&self) -> Option<String> {
        let st = self.inner.state.lock().await;
        st.created.as_ref().map(|s| s.as_str().to_owned())
    }

    /// The SCT identifier the sequence is bound to.
    pub async fn bound_to(&self) -> Option<String> {
        let st = self.inner.state.lock().await;
        st.source.binding().map(|b| b.as_str().to_owned())
    }

    /// Waits until `ready` holds under the lock (checked after every drain).
    async fn wait_for<T>(
        &self,
        mut ready: impl FnMut(&mut State) -> Option<Result<T, RuntimeError>>,
    ) -> Result<T, RuntimeError> {
        let mut rx = self.inner.generation.subscribe();
        loop {
            {
                let mut st = self.inner.state.lock().await;
                if let Some(r) = ready(&mut st) {
                    return r;
                }
            }
            if rx.changed().await.is_err() {
                return Err(RuntimeError::Shutdown);
            }
        }
    }

    /// Waits until the sequence is created.
    ///
    /// # Errors
    /// [`RuntimeError::SequenceEnded`] if it was refused or ended.
    pub async fn created(&self) -> Result<String, RuntimeError> {
        self.wait_for(|st| {
            if let Some(id) = &st.created {
                return Some(Ok(id.as_str().to_owned()));
            }
            st.ended
                .clone()
                .map(|e| Err(RuntimeError::SequenceEnded(e)))
        })
        .await
    }

    /// Sends a one-way message: waits for the sequence and for room in the window,
    /// then returns once the message is durably stored under its number.
    ///
    /// # Errors
    /// [`RuntimeError::SequenceEnded`], store errors.
    pub async fn send(&self, action: &str, payload: &str) -> Result<Receipt, RuntimeError> {
        self.submit(action, payload, None).await
    }

    /// Sends a request and waits for its response payload.
    ///
    /// # Errors
    /// As [`Client::send`]; [`RuntimeError::PeerFault`] if the response is a fault.
    pub async fn request(&self, action: &str, payload: &str) -> Result<String, RuntimeError> {
        let (tx, rx) = oneshot::channel();
        self.submit(action, payload, Some(tx)).await?;
        rx.await.map_err(|_| RuntimeError::Shutdown)?
    }

    async fn submit(
        &self,
        action: &str,
        payload: &str,
        mut waiter: Option<oneshot::Sender<Result<String, RuntimeError>>>,
    ) -> Result<Receipt, RuntimeError> {
        let mut rx = self.inner.generation.subscribe();
        loop {
            {
                let mut st = self.inner.state.lock().await;
                if let Some(e) = &st.ended {
                    return Err(RuntimeError::SequenceEnded(e.clone()));
                }
                if st.created.is_some() && st.source.can_send() {
                    let h = new_handle();
                    st.payloads
                        .insert(h, (action.to_owned(), payload.to_owned()));
                    let number = match st.source.send(clock::rm_now(), PayloadRef(h)) {
                        Ok(n) => n,
                        Err(e) => {
                            st.payloads.remove(&h);
                            return Err(RuntimeError::Usage(e.to_string()));
                        }
                    };
                    if let Some(tx) = waiter.take() {
                        st.request_numbers.insert(number, h);
                        st.requests.insert(
                            number,
                            PendingRequest {
                                tx,
                                last_sent: Instant::now(),
                            },
                        );
                    }
                    let sequence = st
                        .created
                        .as_ref()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default();
                    self.drain(&mut st).await?;
                    return Ok(Receipt { sequence, number });
                }
            }
            if rx.changed().await.is_err() {
                return Err(RuntimeError::Shutdown);
            }
        }
    }

    /// Waits until every message sent so far is acknowledged.
    ///
    /// # Errors
    /// [`RuntimeError::SequenceEnded`] if the sequence ended first.
    pub async fn flush(&self) -> Result<(), RuntimeError> {
        self.wait_for(|st| {
            if st.source.in_flight() == 0 && st.created.is_some() {
                return Some(Ok(()));
            }
            st.ended
                .clone()
                .map(|e| Err(RuntimeError::SequenceEnded(e)))
        })
        .await
    }

    /// Closes the sequence (WS-RM 1.1 CloseSequence once all is acknowledged; 1.0
    /// LastMessage) and waits until it is closed.
    ///
    /// # Errors
    /// [`RuntimeError::Usage`] if it cannot be closed now; [`RuntimeError::SequenceEnded`].
    pub async fn close(&self) -> Result<(), RuntimeError> {
        {
            let mut st = self.inner.state.lock().await;
            st.source
                .close(clock::rm_now())
                .map_err(|e| RuntimeError::Usage(e.to_string()))?;
            self.drain(&mut st).await?;
        }
        self.wait_for(|st| {
            if st.closed || st.source.state() == SourceState::Closed {
                return Some(Ok(()));
            }
            st.ended
                .clone()
                .map(|e| Err(RuntimeError::SequenceEnded(e)))
        })
        .await
    }

    /// Terminates the sequence and waits until it has ended (1.1: until the
    /// TerminateSequenceResponse).
    ///
    /// # Errors
    /// [`RuntimeError::Usage`] if it cannot be terminated now.
    pub async fn terminate(&self) -> Result<String, RuntimeError> {
        {
            let mut st = self.inner.state.lock().await;
            if st.ended.is_none() {
                st.source
                    .terminate(clock::rm_now())
                    .map_err(|e| RuntimeError::Usage(e.to_string()))?;
                self.drain(&mut st).await?;
            }
        }
        self.wait_for(|st| st.ended.clone().map(Ok)).await
    }

    /// Stops the driver and sender tasks (the store keeps what is needed to resume).
    pub fn shutdown(&self) {
        let _ = self.inner.stop.send(true);
    }

    /// The drain after an input (see the module docs).
    async fn drain(&self, st: &mut State) -> Result<(), RuntimeError> {
        let mut batch = Batch::default();
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
            add_op(&mut batch, &op);
        }
        // Commit-before-send: nothing below runs unless the ops are durable.
        self.inner.persistence.commit(batch).await?;
        while let Some(t) = st.source.poll_transmit() {
            if self.inner.out.send(t).is_err() {
                return Err(RuntimeError::Shutdown);
            }
        }
        while let Some(ev) = st.source.poll_event() {
            match ev {
                SourceEvent::Created { id, .. } => {
                    tracing::info!(sequence = %id, "outbound sequence created");
                    st.created = Some(id);
                }
                SourceEvent::Closed => st.closed = true,
                SourceEvent::Terminated(reason) => {
                    let text = format!("{reason:?}");
                    for (_, r) in st.requests.drain() {
                        let _ = r.tx.send(Err(RuntimeError::SequenceEnded(text.clone())));
                    }
                    st.ended = Some(text);
                }
                SourceEvent::Refused(e) => tracing::info!(error = %e, "source refused a message"),
                SourceEvent::Acknowledged { .. } | SourceEvent::Abandoned { .. } => {}
            }
        }
        self.inner
            .generation
            .send_modify(|g| *g = g.wrapping_add(1));
        self.inner.wake.notify_one();
        Ok(())
    }

    async fn driver(&self) {
        let mut stop = self.inner.stop.subscribe();
        let retry = self.inner.config.request_retry;
        loop {
            let deadline = {
                let st = self.inner.state.lock().await;
                let d = st.source.poll_timeout().map(clock::until);
                let r = (!st.requests.is_empty()).then_some(retry);
                match (d, r) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            };
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = sleep => {
                    let mut st = self.inner.state.lock().await;
                    if st.source.poll_timeout().is_some_and(|d| d <= clock::rm_now()) {
                        st.source.handle_timeout(clock::rm_now());
                    }
                    self.resend_requests(&mut st);
                    if let Err(e) = self.drain(&mut st).await {
                        tracing::warn!(error = %e, "client drain failed");
                    }
                }
                () = self.inner.wake.notified() => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// Re-sends requests whose response is overdue (duplicates: never delivered twice).
    fn resend_requests(&self, st: &mut State) {
        let Some(id) = st.created.clone() else { return };
        let retry = self.inner.config.request_retry;
        let binding = st.source.binding().cloned();
        let mut due = Vec::new();
        for (n, r) in &mut st.requests {
            if r.last_sent.elapsed() >= retry {
                r.last_sent = Instant::now();
                due.push(*n);
            }
        }
        for n in due {
            let Some(h) = st.request_numbers.get(&n).copied() else {
                continue;
            };
            let t = Transmit {
                route: Route::Peer(EndpointRef(self.inner.config.to.clone())),
                message: Message::Application(ApplicationMessage {
                    sequence: SequenceHeader {
                        id: id.clone(),
                        number: n,
                        last_message: false,
                    },
                    ack_requested: true,
                    payload: Some(PayloadRef(h)),
                }),
                ack: None,
                protect_with: binding.clone(),
            };
            let _ = self.inner.out.send(t);
        }
    }

    async fn sender(&self, mut rx: mpsc::UnboundedReceiver<Transmit>) {
        let mut stop = self.inner.stop.subscribe();
        loop {
            tokio::select! {
                t = rx.recv() => {
                    let Some(t) = t else { return };
                    let c = self.clone();
                    tokio::spawn(async move {
                        if let Err(e) = c.transmit(t).await {
                            tracing::debug!(error = %e, "transmission failed (will be retried)");
                        }
                    });
                }
                _ = stop.changed() => return,
            }
        }
    }

    /// Encodes, secures, POSTs one transmit and feeds the answer back.
    async fn transmit(&self, t: Transmit) -> Result<(), RuntimeError> {
        let profile = self.inner.config.profile;
        let soap = self.inner.config.soap;
        let wire = WireMessage::from_transmit(&t, profile);
        let (number, payload) = match &t.message {
            Message::Application(m) => {
                let p = match m.payload {
                    Some(PayloadRef(h)) => {
                        let st = self.inner.state.lock().await;
                        st.payloads.get(&h).cloned()
                    }
                    None => None,
                };
                (Some(m.sequence.number), p)
            }
            _ => (None, None),
        };
        if matches!(&t.message, Message::Application(m) if m.payload.is_some()) && payload.is_none()
        {
            return Ok(()); // acknowledged meanwhile
        }
        let action = wire
            .action(profile)
            .map(str::to_owned)
            .or_else(|| payload.as_ref().map(|(a, _)| a.clone()))
            .unwrap_or_default();
        let mut addressing =
            OutboundAddressing::request(profile.wsa_version(), &self.inner.config.to, &action);
        addressing.message_id = Some(pipeline::new_message_id());
        addressing.reply_to = Some(EndpointReference::new(profile.wsa_version().anonymous()));
        let protection = t
            .protect_with
            .as_ref()
            .map(|b| Protection::for_binding(b, profile, self.inner.resolver.as_ref()))
            .transpose()?;
        let text = pipeline::seal(
            profile,
            soap,
            &addressing,
            &wire,
            payload.as_ref().map(|(_, p)| p.as_str()),
            protection.as_ref(),
            SystemTime::now(),
        )?;
        let summary = pipeline::summarize(
            &wire,
            Some(&action),
            t.protect_with.as_ref().map(SecurityBinding::as_str),
        );
        emit(
            self.inner.tap.as_ref(),
            "client",
            Direction::Sent,
            &summary,
            &text,
        );
        let (status, body) = self
            .inner
            .http
            .post(&self.inner.config.to, soap, &action, text)
            .await?;
        let Some((hint, bytes)) = body else {
            return Ok(());
        };
        let opened = match pipeline::open(
            &bytes,
            hint,
            &self.inner.config.inbound,
            self.inner.resolver.as_ref(),
            &self.inner.replay,
            SystemTime::now(),
        ) {
            Ok(o) => o,
            Err(r) => {
                emit(
                    self.inner.tap.as_ref(),
                    "client",
                    Direction::Refused,
                    &r.reason,
                    &String::from_utf8_lossy(&bytes),
                );
                return Err(RuntimeError::Peer(format!("HTTP {status}: {}", r.reason)));
            }
        };
        emit(
            self.inner.tap.as_ref(),
            "client",
            Direction::Received,
            &opened.summary(),
            &String::from_utf8_lossy(&bytes),
        );
        let mut st = self.inner.state.lock().await;
        let now = clock::rm_now();
        for m in opened.messages(None) {
            let _ = st.source.handle_message(now, opened.proof.as_ref(), m);
        }
        if let Some(n) = number {
            let bound = st.source.binding().cloned();
            let proven = bound.is_none() || bound == opened.proof;
            if proven && opened.is_application() {
                if let Some(r) = st.requests.remove(&n) {
                    let _ = r.tx.send(Ok(opened.payload.clone().unwrap_or_default()));
                }
                if let Some(h) = st.request_numbers.remove(&n)
                    && !st.by_number.contains_key(&n)
                {
                    st.payloads.remove(&h);
                }
            } else if let Some(f) = &opened.soap_fault
                && proven
                && let Some(r) = st.requests.remove(&n)
            {
                let _ = r.tx.send(Err(RuntimeError::PeerFault(f.reason.clone())));
            }
        }
        self.drain(&mut st).await
    }
}
