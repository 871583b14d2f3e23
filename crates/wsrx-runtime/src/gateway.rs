//! The inbound gateway (issue 22, item 1): every message the RM Destination delivers
//! is handed, in order per sequence, to an existing HTTP(S) service (the *backend*).
//!
//! [`Gateway`] is a [`Handler`]: the runtime's durable inbox calls it one message at a
//! time per sequence, and deletes the message only after it returns (see
//! [`crate::server`]). The gateway POSTs the message to the backend (the body element,
//! or a SOAP envelope around it without the WS-A/RM/security headers, per
//! [`ForwardAs`]) with these headers:
//!
//! | header | value |
//! |---|---|
//! | `Idempotency-Key` | `<sequence>:<number>` |
//! | `Wsrx-Sequence`, `Wsrx-Message-Number`, `Wsrx-Action` | the RM sequence, number, WS-A action |
//! | `Wsrx-Token` | the verified SCT the sequence is bound to (if bound) |
//! | `Wsrx-Attempt` | 1, 2, … within this process |
//! | `Wsrx-Redelivered: true` | the backend may have the message already: it was handed over before a restart, or an earlier attempt timed out or was cut after sending |
//!
//! The decisions (what counts as handed off, retries, dead letters, hold or skip) are
//! the sans-IO [`handoff`] machine's; this file only sends and commits. A message is
//! handed off once the backend answered 2xx **and** the hand-off mark is committed in
//! the store; the handler returns only then. So the backend sees a message a second
//! time only after a crash between its 2xx and that commit, or after an attempt whose
//! outcome is unknown (timed out, or the connection cut after sending), and then with
//! the same `Idempotency-Key` and `Wsrx-Redelivered: true`.
//!
//! Back-pressure: the handler returns only when the backend has the message, and the
//! runtime answers the HTTP request that carried a message after its delivery, so a
//! slow backend slows its sources down (each held to its window).
//!
//! When [`Gateway::stop`] is called (shutdown), a hand-off in progress stops where it
//! is and never returns: the message stays in the inbox and is handed over again, as
//! redelivered, at the next start.

pub mod handoff;
mod letter;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use wsrx_soap::{Fault, FaultCode};
use wsrx_store::{Backend, Batch, DeadLetterPut, Store};

pub use handoff::{OnPoison, RetryPolicy};
pub use letter::Letter;

use crate::error::RuntimeError;
use crate::persist::Persistence;
use crate::server::{DeliveryInfo, Handler, Operation, Reply};
use crate::tls::ClientTls;
use crate::token::BoxFuture;
use handoff::{Attempt, Handoff, Next};

/// What the backend receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardAs {
    /// The SOAP Body's child element, `application/xml`.
    #[default]
    Body,
    /// A SOAP 1.1 envelope with that body and no header, `text/xml` + `SOAPAction`.
    Soap11,
    /// A SOAP 1.2 envelope with that body and no header, `application/soap+xml`.
    Soap12,
}

/// Gateway settings.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// The backend's URL (http or https).
    pub backend: String,
    /// What is POSTed.
    pub forward_as: ForwardAs,
    /// Attempts, backoff and poison handling.
    pub retry: RetryPolicy,
    /// How long one attempt may take (connect, send, answer).
    pub attempt_timeout: Duration,
    /// Actions answered with the backend's response body (request-reply); others are
    /// one-way.
    pub request_actions: Vec<String>,
    /// How often a held sequence looks whether its dead letter was replayed or purged.
    pub hold_poll: Duration,
    /// Extra CAs and client identity for an https backend.
    pub tls: ClientTls,
}

impl GatewayConfig {
    /// Defaults for a backend at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            backend: url.into(),
            forward_as: ForwardAs::Body,
            retry: RetryPolicy::default(),
            attempt_timeout: Duration::from_secs(30),
            request_actions: Vec::new(),
            hold_poll: Duration::from_secs(1),
            tls: ClientTls::default(),
        }
    }
}

/// The gateway: a [`Handler`] forwarding to a backend. Cheap to clone.
pub struct Gateway<B: Backend> {
    inner: Arc<Inner<B>>,
}

impl<B: Backend> Clone for Gateway<B> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

struct Inner<B: Backend> {
    config: GatewayConfig,
    persistence: Persistence<B>,
    client: reqwest::Client,
    /// The committed hand-off mark per sequence.
    marks: Mutex<HashMap<String, u64>>,
    stopping: AtomicBool,
    stop: Notify,
}

/// How a hand-off ended.
enum Done {
    /// Handed off (with the backend's answer), or nothing left to do.
    Finished(Option<(String, Option<String>)>),
    /// Stopped, or the store failed: the message stays in the inbox.
    Park,
}

impl<B: Backend> Gateway<B> {
    /// A gateway committing its marks and dead letters in `persistence`'s store (the
    /// server's).
    ///
    /// # Errors
    /// [`RuntimeError::Store`] if the marks cannot be read, [`RuntimeError::Http`] if
    /// the HTTP client cannot be built.
    pub fn new(config: GatewayConfig, persistence: Persistence<B>) -> Result<Self, RuntimeError> {
        let marks = persistence.store().handoffs()?.into_iter().collect();
        let client = config
            .tls
            .apply(reqwest::Client::builder().use_rustls_tls())?;
        let client = client.timeout(config.attempt_timeout).build()?;
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                persistence,
                client,
                marks: Mutex::new(marks),
                stopping: AtomicBool::new(false),
                stop: Notify::new(),
            }),
        })
    }

    /// Stops: no further attempts; hand-offs in progress never return (their messages
    /// are handed over again at the next start).
    pub fn stop(&self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        self.inner.stop.notify_waiters();
    }

    fn stopping(&self) -> bool {
        self.inner.stopping.load(Ordering::SeqCst)
    }

    fn mark(&self, sequence: &str) -> u64 {
        self.inner
            .marks
            .lock()
            .ok()
            .and_then(|m| m.get(sequence).copied())
            .unwrap_or(0)
    }

    /// Sleeps `d`; false if stopped meanwhile.
    async fn pause(&self, d: Duration) -> bool {
        let stopped = self.inner.stop.notified();
        tokio::pin!(stopped);
        stopped.as_mut().enable();
        if self.stopping() {
            return false;
        }
        tokio::select! {
            () = tokio::time::sleep(d) => !self.stopping(),
            () = stopped => false,
        }
    }

    async fn is_dead_letter(&self, sequence: &str, number: u64) -> Result<bool, RuntimeError> {
        let store = Arc::clone(self.inner.persistence.store());
        let rows = tokio::task::spawn_blocking(move || store.backend().dead_letters())
            .await
            .map_err(|e| RuntimeError::Io(format!("store task: {e}")))??;
        Ok(rows
            .iter()
            .any(|r| r.sequence == sequence && r.number == number))
    }

    /// Waits while (sequence, number) is a dead letter; false if stopped or failed.
    async fn hold(&self, sequence: &str, number: u64) -> bool {
        tracing::warn!(
            sequence,
            number,
            "held: the sequence waits until its dead letter is replayed"
        );
        loop {
            match self.is_dead_letter(sequence, number).await {
                Ok(false) => return true,
                Ok(true) => {}
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the dead letters");
                    return false;
                }
            }
            if !self.pause(self.inner.config.hold_poll).await {
                return false;
            }
        }
    }

    async fn commit(&self, batch: Batch, sequence: &str, mark: Option<u64>) -> bool {
        match self.inner.persistence.commit(batch).await {
            Ok(()) => {
                if let (Some(n), Ok(mut marks)) = (mark, self.inner.marks.lock()) {
                    let m = marks.entry(sequence.to_owned()).or_insert(n);
                    *m = (*m).max(n);
                }
                true
            }
            Err(e) => {
                tracing::error!(error = %e, sequence, "gateway commit failed; the message stays in the inbox");
                false
            }
        }
    }

    /// Hands one message off (see the module docs).
    async fn hand_off(&self, payload: &str, info: &DeliveryInfo) -> Done {
        let (seq, n) = (info.sequence.as_str(), info.number);
        let mark = self.mark(seq);
        let dead = if n > mark {
            match self.is_dead_letter(seq, n).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the dead letters");
                    return Done::Park;
                }
            }
        } else {
            false
        };
        let (mut machine, mut next) =
            Handoff::start(self.inner.config.retry.clone(), n, mark, dead);
        let mut answer = None;
        loop {
            if self.stopping() {
                return Done::Park;
            }
            next = match next {
                Next::AlreadyHandedOff => return Done::Finished(None),
                Next::Held => {
                    return if self.hold(seq, n).await {
                        Done::Finished(None)
                    } else {
                        Done::Park
                    };
                }
                Next::Send {
                    attempt,
                    maybe_seen,
                } => {
                    let seen = info.redelivered || maybe_seen;
                    let (outcome, body) =
                        send(&self.inner, payload, info, attempt, seen, false).await;
                    answer = body;
                    if !matches!(outcome, Attempt::Status(200..=299)) {
                        metrics::counter!("wsrx_gateway_failed_attempts_total").increment(1);
                        tracing::info!(sequence = seq, number = n, attempt, outcome = ?outcome, "backend attempt failed");
                    }
                    machine.outcome(&outcome, jitter())
                }
                Next::Wait(d) => {
                    if !self.pause(d).await {
                        return Done::Park;
                    }
                    machine.retry()
                }
                Next::Accepted => {
                    let mut batch = Batch::default();
                    batch.handoffs.push((seq.to_owned(), n));
                    if !self.commit(batch, seq, Some(n)).await {
                        return Done::Park;
                    }
                    metrics::counter!("wsrx_gateway_handed_off_total").increment(1);
                    return Done::Finished(answer);
                }
                Next::DeadLetter {
                    reason,
                    attempts,
                    skip,
                } => {
                    let letter = Letter {
                        sequence: seq.to_owned(),
                        number: n,
                        action: info.action.clone(),
                        bound_to: info.bound_to.clone(),
                        payload: payload.to_owned(),
                        attempts,
                        reason,
                        at_ms: now_ms(),
                    };
                    tracing::warn!(sequence = seq, number = n, attempts, reason = %letter.reason, "moved to the dead letters");
                    let mut batch = Batch::default();
                    batch.dead_letters.push(DeadLetterPut {
                        sequence: seq.to_owned(),
                        number: n,
                        plaintext: letter.encode(),
                    });
                    if skip {
                        batch.handoffs.push((seq.to_owned(), n));
                    }
                    if !self.commit(batch, seq, skip.then_some(n)).await {
                        return Done::Park;
                    }
                    metrics::counter!("wsrx_gateway_dead_letters_total").increment(1);
                    if skip {
                        return Done::Finished(None);
                    }
                    Next::Held
                }
            };
        }
    }
}

/// One POST to the backend: the outcome and, on 2xx, the body and `Wsrx-Action`.
async fn send<B: Backend>(
    inner: &Inner<B>,
    payload: &str,
    info: &DeliveryInfo,
    attempt: u32,
    redelivered: bool,
    replay: bool,
) -> (Attempt, Option<(String, Option<String>)>) {
    let config = &inner.config;
    let (content_type, body) = match config.forward_as {
        ForwardAs::Body => ("application/xml", payload.to_owned()),
        ForwardAs::Soap11 => ("text/xml; charset=utf-8", envelope(SOAP11_NS, payload)),
        ForwardAs::Soap12 => (
            "application/soap+xml; charset=utf-8",
            envelope(SOAP12_NS, payload),
        ),
    };
    let mut req = inner
        .client
        .post(&config.backend)
        .header("Content-Type", content_type)
        .header(
            "Idempotency-Key",
            format!("{}:{}", info.sequence, info.number),
        )
        .header("Wsrx-Sequence", info.sequence.as_str())
        .header("Wsrx-Message-Number", info.number.to_string())
        .header("Wsrx-Action", info.action.as_str())
        .header("Wsrx-Attempt", attempt.to_string());
    if config.forward_as == ForwardAs::Soap11 {
        req = req.header("SOAPAction", format!("\"{}\"", info.action));
    }
    if let Some(token) = &info.bound_to {
        req = req.header("Wsrx-Token", token.as_str());
    }
    if redelivered {
        req = req.header("Wsrx-Redelivered", "true");
    }
    if replay {
        req = req.header("Wsrx-Replay", "true");
    }
    let resp = match req.body(body).send().await {
        Ok(r) => r,
        // A connection that was never made cannot have delivered anything; a timeout
        // or a broken connection may have (the backend may have taken the request).
        Err(e) if e.is_connect() && !e.is_timeout() => {
            return (Attempt::Unreached(format!("no connection: {e}")), None);
        }
        Err(e) => {
            let why = if e.is_timeout() {
                "timed out".to_owned()
            } else {
                format!("no answer: {e}")
            };
            return (Attempt::NoAnswer(why), None);
        }
    };
    let status = resp.status().as_u16();
    let action = resp
        .headers()
        .get("Wsrx-Action")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match resp.text().await {
        Ok(text) if (200..300).contains(&status) => (Attempt::Status(status), Some((text, action))),
        Ok(_) => (Attempt::Status(status), None),
        Err(e) => (Attempt::NoAnswer(format!("answer cut short: {e}")), None),
    }
}

const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";

fn envelope(ns: &str, body: &str) -> String {
    format!(r#"<soap:Envelope xmlns:soap="{ns}"><soap:Body>{body}</soap:Body></soap:Envelope>"#)
}

fn jitter() -> u64 {
    let mut b = [0u8; 8];
    let _ = wsrx_crypto::SecureRandom::fill_nonce(&mut wsrx_crypto::OsRandom, &mut b);
    u64::from_be_bytes(b)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl<B: Backend> Handler for Gateway<B> {
    fn operation(&self, action: &str) -> Operation {
        if self
            .inner
            .config
            .request_actions
            .iter()
            .any(|a| a == action)
        {
            Operation::RequestReply
        } else {
            Operation::OneWay
        }
    }

    fn one_way<'a>(&'a self, payload: String, info: DeliveryInfo) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Done::Park = self.hand_off(&payload, &info).await {
                std::future::pending::<()>().await;
            }
        })
    }

    fn request<'a>(
        &'a self,
        payload: String,
        info: DeliveryInfo,
    ) -> BoxFuture<'a, Result<Reply, Fault>> {
        Box::pin(async move {
            match self.hand_off(&payload, &info).await {
                Done::Park => std::future::pending().await,
                Done::Finished(Some((body, action))) => Ok(Reply {
                    action: action.unwrap_or_else(|| format!("{}Response", info.action)),
                    payload: body,
                }),
                Done::Finished(None) => Err(Fault::new(
                    FaultCode::Receiver,
                    "the backend gave no answer for this request (handed off before, or a dead letter)",
                )),
            }
        })
    }
}

/// The dead letters of a store, decoded (a row that is not a letter is skipped with a
/// warning).
///
/// # Errors
/// [`RuntimeError::Store`] if a row does not open.
pub fn dead_letters<B: Backend>(store: &Store<B>) -> Result<Vec<Letter>, RuntimeError> {
    let mut out = Vec::new();
    for row in store.dead_letters()? {
        match Letter::decode(&row.plaintext) {
            Some(l) => out.push(l),
            None => {
                tracing::warn!(sequence = %row.sequence, number = row.number, "a dead letter that is not the gateway's")
            }
        }
    }
    Ok(out)
}

/// Sends the dead letter (sequence, number) to the backend again (with `Wsrx-Replay:
/// true`); on 2xx it leaves the dead letters in the same commit that marks it handed
/// off (if its sequence still exists), so a sequence holding on it continues.
/// Returns the backend's answer.
///
/// # Errors
/// [`RuntimeError::Usage`] if there is no such dead letter, [`RuntimeError::Http`]
/// when the backend did not take it, [`RuntimeError::Store`].
pub async fn replay<B: Backend>(
    config: GatewayConfig,
    persistence: Persistence<B>,
    sequence: &str,
    number: u64,
) -> Result<u16, RuntimeError> {
    let store = Arc::clone(persistence.store());
    let letter = dead_letters(&store)?
        .into_iter()
        .find(|l| l.sequence == sequence && l.number == number)
        .ok_or_else(|| RuntimeError::Usage(format!("no dead letter {sequence}:{number}")))?;
    let live = store
        .backend()
        .records()?
        .iter()
        .any(|r| r.sequence == sequence);
    let gateway = Gateway::new(config, persistence.clone())?;
    let info = DeliveryInfo {
        sequence: letter.sequence.clone(),
        number: letter.number,
        action: letter.action.clone(),
        bound_to: letter.bound_to.clone(),
        assurance: wsrx_rm::DeliveryAssurance::ExactlyOnce,
        in_order: true,
        redelivered: false,
    };
    let (outcome, _) = send(
        &gateway.inner,
        &letter.payload,
        &info,
        letter.attempts.saturating_add(1),
        false,
        true,
    )
    .await;
    match outcome {
        Attempt::Status(s @ 200..=299) => {
            let mut batch = Batch::default();
            batch
                .dead_letter_deletes
                .push((sequence.to_owned(), number));
            if live {
                batch.handoffs.push((sequence.to_owned(), number));
            }
            persistence.commit(batch).await?;
            Ok(s)
        }
        Attempt::Status(s) => Err(RuntimeError::Http(format!("the backend answered HTTP {s}"))),
        Attempt::Unreached(why) | Attempt::NoAnswer(why) => Err(RuntimeError::Http(why)),
    }
}
