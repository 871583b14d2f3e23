//! The RM Source side: one outbound sequence to one endpoint, with a handle to send on.
//!
//! One [`Source`] behind one short synchronous lock (its poll loop, never held across
//! an `.await`). Every input (a command, a response, a timeout) is followed by the
//! drain in the contract order: `poll_persist` → one batch submitted to the store
//! (with the payloads of newly stored messages; acknowledged payloads deleted; the
//! offered sequence's records too) → `poll_transmit` (queued to the sender task with
//! the batch's ticket: it is sent once that is durable) → `poll_event` →
//! `poll_timeout` (the driver task sleeps until it). The commit also
//! carries the token provider's changes (a renewed SCT replaces the stored one); a
//! sequence whose SCT the provider reports lost ends with an explicit error and is
//! removed, never rebound to another token (`check_lost`). The sender task
//! encodes, secures (fresh Timestamp and nonces on every transmission, retransmissions
//! included) and POSTs; what comes back on the HTTP response (CreateSequenceResponse,
//! acknowledgements, responses, faults) is verified and fed back as an input.
//!
//! [`Client::send`] waits for room in the window instead of failing; it returns when the
//! message is durably stored under its number (it is then sent and, if need be, resent,
//! also after a restart, until acknowledged). [`Client::request`] also waits for the
//! response, re-sending the request (a duplicate the destination does not deliver again)
//! until the response comes.
//!
//! With [`ClientConfig::offer`] the CreateSequence offers a reverse sequence
//! (`duplex.rs`): responses then come as its messages, verified against the SCT,
//! delivered to the waiting request once, and acknowledged (piggy-backed on the next
//! message to the server, or stand-alone). With [`ClientConfig::listen`] the client runs
//! a listener (`client/listener.rs`) that is its AcksTo (and the offered sequence's
//! Endpoint): the server POSTs acknowledgements and responses there; the client itself
//! only ever sends to [`ClientConfig::to`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use wsrx_rm::msg::EndpointRef;
use wsrx_rm::wire::WireProfile;
use wsrx_rm::{
    CreateParams, PayloadRef, SecurityBinding, SequenceId, Source, SourceConfig, SourceState,
    StoreOp, Transmit,
};
use wsrx_security::{KeyResolver, ReplayCache};
use wsrx_soap::SoapVersion;
use wsrx_store::{Backend, Batch, Role};

use crate::clock;
use crate::duplex::ClientDuplex;
use crate::error::RuntimeError;
use crate::http::HttpClient;
use crate::persist::{Persistence, Ticket, add_op, decode_log, decode_payload, new_handle};
use crate::pipeline::{self, InboundConfig};
use crate::shard::Shard;
use crate::tap::Tap;
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
    /// Extra trusted CAs and client identity for `https` destinations.
    pub tls: crate::tls::ClientTls,
    /// How long to wait for a response before re-sending a request.
    pub request_retry: Duration,
    /// Offer a reverse sequence for the responses (WS-RM duplex, see `duplex.rs`).
    pub offer: bool,
    /// Run a listener at this address and make it the AcksTo (and, with `offer`, the
    /// ReplyTo and the offered sequence's Endpoint): acknowledgements and responses are
    /// then POSTed to it instead of riding on HTTP responses. Port 0 picks one; a
    /// sequence that must survive a restart needs a fixed port (its AcksTo is the URL).
    pub listen: Option<std::net::SocketAddr>,
    /// An HTTP client (connection pool and in-flight bound) shared with other clients
    /// of the same server; `None`: one of its own from `http_timeout` and `tls`.
    pub http: Option<HttpClient>,
    /// What protects the sequence (`crate::sequence_security`): a token (the default),
    /// or, chosen explicitly, nothing or TLS (no STR, nothing signed).
    pub security: crate::sequence_security::SequenceSecurity,
    /// WS-MakeConnection 1.1 (`client/mc.rs`): no listener; poll `to` with MakeConnection.
    pub make_connection: bool,
}

impl ClientConfig {
    /// Defaults for `to`: SOAP 1.2, WS-RM 1.1, 1 s first retransmission.
    pub fn new(to: impl Into<String>) -> Self {
        Self {
            to: to.into(),
            soap: SoapVersion::V12,
            profile: WireProfile::Rm11,
            // The window bounds the span of numbers past a gap too, so the destination's
            // reorder buffer is never outgrown (see `SourceConfig::bound_span`).
            source: SourceConfig {
                bound_span: true,
                ..SourceConfig::default()
            },
            inbound: InboundConfig::default(),
            http_timeout: Duration::from_secs(30),
            tls: crate::tls::ClientTls::default(),
            request_retry: Duration::from_secs(2),
            offer: false,
            listen: None,
            http: None,
            security: crate::sequence_security::SequenceSecurity::Token,
            make_connection: false,
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

/// Where a request's response goes: the payload, with the ticket of the batch that
/// recorded it when it came on the offered sequence (the caller waits for it).
type ResponseSender = oneshot::Sender<Result<(String, Ticket), RuntimeError>>;

/// What became of a sent message ([`Client::outcome`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A `SequenceAcknowledgement` proven by the sequence's token covers it.
    Acknowledged,
    /// Stored and being sent; not acknowledged yet.
    Pending,
    /// The sequence ended before it was acknowledged: held in the store, not delivered as
    /// far as anyone can prove.
    Undelivered(wsrx_rm::UndeliveredReason),
}

struct PendingRequest {
    tx: ResponseSender,
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
    /// The offered reverse sequence, when `ClientConfig::offer` is set.
    duplex: Option<ClientDuplex>,
    /// What the offered sequence's Destination answers to a message at the listener.
    replies: Vec<Transmit>,
    /// The security context the sequence is bound to was lost: nothing is sent any more.
    lost: bool,
    /// The sequence ended with these messages unacknowledged (held in the store).
    undelivered: Option<wsrx_rm::Undelivered>,
    /// Records of a failed sequence to commit with the next batch: a held message handed
    /// to this sequence (`OutboundResent`), and its old payload row to delete.
    resent: Vec<(StoreOp, u64)>,
    /// What became of a WS-RM 1.0 TerminateSequence (sent once: 1.0 has no response, so
    /// the Source is done when it queues it, but `terminate` waits for the POST).
    farewell: Option<Farewell>,
    /// Acknowledgement-only changes waiting to ride in the next commit (`Deferred`).
    deferred: crate::persist::Deferred,
    /// The last SOAP fault the peer answered with, verbatim (`pipeline::fault_summary`).
    peer_fault: Option<String>,
    /// The peer refused our CreateSequence with a fault that does not prove anything
    /// (unsigned, or unverifiable): the Source does not act on it (its state is only
    /// changed by what the token proves), but `created` reports it as the peer's refusal.
    create_refused: Option<String>,
}

/// A WS-RM 1.0 TerminateSequence on its way (issue 18 item 10).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Farewell {
    /// Queued for the sender.
    Queued,
    /// POSTed; the peer answered with this HTTP status.
    Delivered(u16),
    /// Not delivered, and why.
    Failed(String),
}

struct Inner<B: Backend> {
    persistence: Persistence<B>,
    /// The token provider: its renewed and lost contexts are committed with each drain.
    tokens: Arc<dyn TokenProvider>,
    resolver: Arc<dyn KeyResolver + Send + Sync>,
    http: HttpClient,
    config: ClientConfig,
    state: Shard<State>,
    generation: watch::Sender<u64>,
    /// Transmits for the sender task, each with the ticket it waits for.
    out: mpsc::UnboundedSender<(Transmit, Ticket)>,
    /// Application messages (by number) and the answered protocol requests whose
    /// transmission is queued or whose HTTP exchange is still open: a retransmission of one
    /// of them is not sent (HTTP has not lost it yet; under load it would only queue a
    /// duplicate behind it, which Metro refuses, see [`send::InFlight`]).
    outstanding: StdMutex<std::collections::HashSet<send::InFlight>>,
    replay: crate::replay::ReplayGuard,
    wake: tokio::sync::Notify,
    stop: watch::Sender<bool>,
    tap: Option<Tap>,
    /// The listener's URL (addressable AcksTo), if one runs.
    local: Option<String>,
    /// The MC anonymous URI the client polls for (`client/mc.rs`), if it uses MakeConnection.
    mc_address: Option<String>,
    /// Stops the listener.
    listener_stop: StdMutex<Option<oneshot::Sender<()>>>,
    /// The `wsa:MessageID` of every copy of this client's CreateSequence: a resent copy
    /// is the same message (WS-A 1.0 Core §3.2), so the destination can answer it with
    /// the sequence it already created rather than open an orphan one.
    create_message_id: String,
}

mod drain;
mod listener;
mod mc;
mod query;
mod send;
mod undelivered;

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
        // Tokens first: live ones are adopted, expired ones forgotten (module docs of
        // `recovery`).
        let recovered = crate::recovery::recover(&snapshot, SystemTime::now());
        persistence.commit(recovered.batch()).await?;
        tokens.adopt(recovered.live.clone());
        let mut restored = None;
        for log in snapshot.sequences.iter().filter(|l| l.role == Role::Source) {
            let ops = decode_log(&log.records)?;
            let to_matches = ops
                .iter()
                .any(|op| matches!(op, StoreOp::SourceCreated(r) if r.to.0 == config.to));
            if !to_matches {
                continue;
            }
            if let Some(mut s) = Source::restore(
                now,
                source_config.clone(),
                &ops,
                crate::entropy::rm_random_source(),
            )? {
                if let Some(b) = s.binding().cloned()
                    && recovered.is_expired(b.as_str())
                {
                    // Never rebound to another token: the sequence ends, loudly, and
                    // what it did not deliver is held (issue 15).
                    s.lose_token()?;
                    let mut batch = Batch::default();
                    while let Some(op) = s.poll_persist() {
                        add_op(&mut batch, &op);
                    }
                    persistence.commit(batch).await?;
                    return Err(match s.undelivered().cloned() {
                        Some(undelivered) => RuntimeError::Undelivered { undelivered },
                        None => RuntimeError::SequenceEnded(format!(
                            "sequence {} is bound to SCT {} which expired",
                            log.sequence,
                            b.as_str()
                        )),
                    });
                }
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
        // The listener is bound first: its URL is the AcksTo of a new sequence.
        let bound = match config.listen {
            Some(addr) => Some(listener::bind(addr).await?),
            None => None,
        };
        let local = bound.as_ref().map(|(_, url)| url.clone());
        let mc_address = mc::address_for(&config)?;
        let acks = local
            .clone()
            .or_else(|| mc_address.clone())
            .unwrap_or_else(|| config.profile.wsa_version().anonymous().to_owned());
        let mut state = match restored {
            Some((source, payloads, by_number)) => {
                let created = source.id().cloned();
                State {
                    closed: source.state() == SourceState::Closed,
                    source,
                    payloads,
                    by_number,
                    requests: HashMap::new(),
                    request_numbers: HashMap::new(),
                    created,
                    ended: None,
                    duplex: None,
                    replies: Vec::new(),
                    lost: false,
                    undelivered: None,
                    resent: Vec::new(),
                    farewell: None,
                    deferred: crate::persist::Deferred::default(),
                    peer_fault: None,
                    create_refused: None,
                }
            }
            None => {
                // The token is durable before the sequence bound to it exists; a sequence
                // without one (an explicit mode) is bound to nothing.
                let binding = if config.security.uses_token() {
                    let token = tokens.token_for(&config.to).await?;
                    let mut batch = Batch::default();
                    crate::recovery::add_changes(&mut batch, &tokens.take_changes())?;
                    persistence.commit(batch).await?;
                    Some(SecurityBinding::new(token.sct.identifier.clone()))
                } else {
                    None
                };
                let duplex = config.offer.then(|| {
                    ClientDuplex::new(
                        config.profile.rm_version(),
                        &acks,
                        pipeline::new_message_id(),
                    )
                });
                let source = Source::create_sequence(
                    now,
                    source_config,
                    CreateParams {
                        to: EndpointRef(config.to.clone()),
                        acks_to: EndpointRef(acks.clone()),
                        binding,
                        offer: duplex.as_ref().and_then(ClientDuplex::offer),
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
                    duplex,
                    replies: Vec::new(),
                    lost: false,
                    undelivered: None,
                    resent: Vec::new(),
                    farewell: None,
                    deferred: crate::persist::Deferred::default(),
                    peer_fault: None,
                    create_refused: None,
                }
            }
        };
        if config.offer && state.duplex.is_none() {
            // Resumed: the offered sequence registered before the restart, if any.
            let ops: Vec<StoreOp> = snapshot
                .sequences
                .iter()
                .filter(|l| l.role == Role::Destination)
                .map(|l| decode_log(&l.records))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .flatten()
                .collect();
            let d = ClientDuplex::restore(now, config.profile.rm_version(), &acks, &ops)?;
            state.duplex = Some(d);
        }
        let (out, out_rx) = mpsc::unbounded_channel();
        let (generation, _) = watch::channel(0u64);
        let (stop, _) = watch::channel(false);
        let inner = Arc::new(Inner {
            persistence,
            resolver: tokens.resolver(),
            tokens: Arc::clone(&tokens),
            http: match &config.http {
                Some(shared) => shared.clone(),
                None => HttpClient::with_tls(config.http_timeout, &config.tls)?,
            },
            replay: crate::replay::ReplayGuard::memory(ReplayCache::with_limits(
                wsrx_security::ReplayLimits::single(100_000),
                ReplayCache::window_for(config.inbound.verifier.config()),
            )),
            config,
            state: Shard::new(state),
            generation,
            out,
            wake: tokio::sync::Notify::new(),
            stop,
            tap,
            local,
            mc_address,
            listener_stop: StdMutex::new(None),
            outstanding: StdMutex::new(std::collections::HashSet::new()),
            create_message_id: pipeline::new_message_id(),
        });
        let client = Self { inner };
        if let Some((tcp, url)) = bound {
            tracing::info!(url = %url, "client listener (AcksTo) started");
            let stop = listener::serve(tcp, client.clone());
            if let Ok(mut slot) = client.inner.listener_stop.lock() {
                *slot = Some(stop);
            }
        }
        {
            let c = client.clone();
            tokio::spawn(async move { c.sender(out_rx).await });
            let c = client.clone();
            tokio::spawn(async move { c.driver().await });
            client.spawn_make_connection();
        }
        {
            let mut st = client.inner.state.lock();
            client.drain(&mut st)?;
        }
        Ok(client)
    }

    /// Waits until `ready` holds under the lock (checked after every drain) and what it
    /// observed is durable.
    async fn wait_for<T>(
        &self,
        mut ready: impl FnMut(&mut State) -> Option<Result<T, RuntimeError>>,
    ) -> Result<T, RuntimeError> {
        let mut rx = self.inner.generation.subscribe();
        loop {
            let outcome = {
                let mut st = self.inner.state.lock();
                ready(&mut st)
            };
            if let Some(r) = outcome {
                // What `ready` saw (an outcome or an end, such as messages recorded as
                // undelivered) is durable too: the batch that made it so was submitted
                // before the state changed, and a caller that reads the store next finds
                // it there, as when drains waited for their commits.
                let persistence = &self.inner.persistence;
                persistence.durable(persistence.last_issued()).await?;
                return r;
            }
            if rx.changed().await.is_err() {
                return Err(RuntimeError::Shutdown);
            }
        }
    }

    /// Waits until the sequence is created.
    ///
    /// # Errors
    /// [`RuntimeError::SequenceEnded`] if it was refused (with the peer's fault) or
    /// ended; [`RuntimeError::PeerFault`] if the peer answered the CreateSequence with a
    /// fault that proves nothing (unsigned): its word, reported as such.
    pub async fn created(&self) -> Result<String, RuntimeError> {
        self.wait_for(|st| {
            if let Some(id) = &st.created {
                return Some(Ok(id.as_str().to_owned()));
            }
            if let Some(e) = &st.ended {
                return Some(Err(RuntimeError::SequenceEnded(e.clone())));
            }
            st.create_refused
                .clone()
                .map(|f| Err(RuntimeError::PeerFault(f)))
        })
        .await
    }

    /// Sends a one-way message: waits for the sequence and for room in the window,
    /// then returns once the message is durably stored under its number.
    ///
    /// # Errors
    /// [`RuntimeError::Undelivered`] once the sequence has failed with messages
    /// undelivered: this message too is then stored under the next number and held with
    /// them, in order, not sent (the error names them all, this one included);
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
        let (response, recorded) = rx.await.map_err(|_| RuntimeError::Shutdown)??;
        // A response on the offered sequence is handed over once its record is durable.
        self.inner.persistence.durable(recorded).await?;
        Ok(response)
    }

    async fn submit(
        &self,
        action: &str,
        payload: &str,
        waiter: Option<ResponseSender>,
    ) -> Result<Receipt, RuntimeError> {
        self.submit_inner(action, payload, waiter, None).await
    }

    /// [`Client::submit`] for a held message of a failed sequence: (sequence, number,
    /// payload handle there).
    async fn submit_resent(
        &self,
        action: &str,
        payload: &str,
        from: (SequenceId, u64, u64),
    ) -> Result<Receipt, RuntimeError> {
        self.submit_inner(action, payload, None, Some(from)).await
    }

    async fn submit_inner(
        &self,
        action: &str,
        payload: &str,
        mut waiter: Option<ResponseSender>,
        mut resent_from: Option<(SequenceId, u64, u64)>,
    ) -> Result<Receipt, RuntimeError> {
        let mut rx = self.inner.generation.subscribe();
        loop {
            let stored = {
                let mut st = self.inner.state.lock();
                // A one-way message after the sequence failed is stored and held with
                // the undelivered ones (wsrx-rm `Source::hold`), in order, for a resend;
                // a request, whose caller waits for its response, fails at once.
                let holds = st.undelivered.is_some() && waiter.is_none() && resent_from.is_none();
                if let Some(undelivered) = st.undelivered.as_ref().filter(|_| !holds) {
                    return Err(RuntimeError::Undelivered {
                        undelivered: undelivered.clone(),
                    });
                }
                if let Some(e) = st.ended.as_ref().filter(|_| !holds) {
                    return Err(RuntimeError::SequenceEnded(e.clone()));
                }
                // The Source's window bounds the span of numbers as well as their count.
                if st.created.is_some() && (holds || st.source.can_send()) {
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
                    if holds {
                        // Stored and held, in order, with the undelivered ones: the
                        // caller is told, once that is durable, that it is not sent.
                        let ticket = self.drain(&mut st)?;
                        let undelivered =
                            st.undelivered
                                .clone()
                                .unwrap_or_else(|| wsrx_rm::Undelivered {
                                    id: SequenceId::new(sequence.clone()),
                                    numbers: Vec::new(),
                                    reason: wsrx_rm::UndeliveredReason::TerminatedLocally,
                                    next: wsrx_rm::UndeliveredPolicy::Hold,
                                });
                        Some((Err(RuntimeError::Undelivered { undelivered }), ticket))
                    } else {
                        if let Some((old, old_number, old_handle)) = resent_from.take() {
                            let op = StoreOp::OutboundResent {
                                id: old,
                                number: old_number,
                                on: SequenceId::new(sequence.clone()),
                                new_number: number,
                            };
                            st.resent.push((op, old_handle));
                        }
                        let ticket = self.drain(&mut st)?;
                        Some((Ok(Receipt { sequence, number }), ticket))
                    }
                } else {
                    None
                }
            };
            if let Some((receipt, ticket)) = stored {
                // "Durably stored under its number": the lock released, the commit shared.
                self.inner.persistence.durable(ticket).await?;
                return receipt;
            }
            if rx.changed().await.is_err() {
                return Err(RuntimeError::Shutdown);
            }
        }
    }

    /// Waits until every message sent so far is acknowledged (`Source::flushed`).
    ///
    /// # Errors
    /// [`RuntimeError::Undelivered`] naming the sequence, the numbers and the reason if
    /// the sequence ended with messages unacknowledged (they are held in the store);
    /// [`RuntimeError::SequenceEnded`] if it ended otherwise first.
    pub async fn flush(&self) -> Result<(), RuntimeError> {
        self.wait_for(|st| {
            if let Some(undelivered) = &st.undelivered {
                return Some(Err(RuntimeError::Undelivered {
                    undelivered: undelivered.clone(),
                }));
            }
            if st.source.flushed() && st.created.is_some() {
                return Some(Ok(()));
            }
            st.ended
                .clone()
                .map(|e| Err(RuntimeError::SequenceEnded(e)))
        })
        .await?;
        // What the caller was just told (all acknowledged) is in the store too.
        self.commit_deferred().await
    }

    /// Closes the sequence (WS-RM 1.1 CloseSequence once all is acknowledged; 1.0
    /// LastMessage) and waits until it is closed.
    ///
    /// # Errors
    /// [`RuntimeError::Usage`] if it cannot be closed now; [`RuntimeError::SequenceEnded`].
    pub async fn close(&self) -> Result<(), RuntimeError> {
        {
            let mut st = self.inner.state.lock();
            // A sequence resumed while closing (or closed) is only waited for.
            if !matches!(
                st.source.state(),
                SourceState::Closing | SourceState::Closed
            ) {
                st.source
                    .close(clock::rm_now())
                    .map_err(|e| RuntimeError::Usage(e.to_string()))?;
                self.drain(&mut st)?;
            }
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
            let mut st = self.inner.state.lock();
            // WS-RM 1.1 §3.6: the offered sequence ends with the forward one. Its source
            // (the server) cannot reach an anonymous endpoint on its own, so this side
            // sends its TerminateSequence; 1.0 forgets it.
            if self.inner.local.is_none()
                && let Some(d) = st.duplex.as_mut().filter(|d| d.live())
            {
                d.terminate();
            }
            if st.ended.is_none() && st.source.state() != SourceState::Terminating {
                st.source
                    .terminate(clock::rm_now())
                    .map_err(|e| RuntimeError::Usage(e.to_string()))?;
                self.drain(&mut st)?;
            }
        }
        // On 1.1 the end is the TerminateSequenceResponse; on 1.0 (no response) it is the
        // POST of the TerminateSequence, which must reach the peer before this returns,
        // and what happened to it is part of the answer.
        self.wait_for(|st| {
            let ended = st.ended.clone()?;
            match &st.farewell {
                None => Some(Ok(ended)),
                Some(Farewell::Queued) => None,
                Some(Farewell::Delivered(status)) if *status < 300 => Some(Ok(format!(
                    "{ended}; TerminateSequence delivered, HTTP {status}"
                ))),
                // It reached the peer, which did not take it: said as it is.
                Some(Farewell::Delivered(status)) => Some(Ok(format!(
                    "{ended}; TerminateSequence reached the peer but was refused, HTTP \
                     {status}: {}",
                    st.peer_fault.as_deref().unwrap_or("no fault text")
                ))),
                Some(Farewell::Failed(why)) => Some(Err(RuntimeError::Peer(format!(
                    "the sequence ended ({ended}) but its TerminateSequence did not reach \
                     the peer: {why}"
                )))),
            }
        })
        .await
    }

    /// Stops the driver and sender tasks (the store keeps what is needed to resume).
    pub fn shutdown(&self) {
        // Held-back acknowledgements are written on the way out (not waited for: a
        // restart without them only resends what they covered).
        if let Err(e) = self.submit_deferred() {
            tracing::warn!(error = %e, "held-back acknowledgements not written");
        }
        let _ = self.inner.stop.send(true);
        if let Some(tx) = self
            .inner
            .listener_stop
            .lock()
            .ok()
            .and_then(|mut s| s.take())
        {
            let _ = tx.send(());
        }
    }

    /// The listener's URL, when the client runs one (`ClientConfig::listen`).
    pub fn local_url(&self) -> Option<&str> {
        self.inner.local.as_deref()
    }
}
