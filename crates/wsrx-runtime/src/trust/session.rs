//! The client side of [`crate::trust`]: [`TrustSession`] drives a `wsrx-sc`
//! [`Session`] over HTTP (establishment on `token_for`, the renewal task, loss
//! reporting) and resolves the keys of the contexts it handed out. The rules it
//! follows are in the parent module's docs; it does not answer RSTs (that is the
//! issuer provider).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, SystemTime};

use tokio::sync::{Notify, watch};
use wsrx_crypto::{OsRandom, SecretKey};
use wsrx_sc::{
    EstablishedSct, LossReason, SctRecord, Session, SessionConfig, SessionEvent, TokenFor, Transmit,
};
use wsrx_security::{KeyResolver, ResolveError, SecurityContextToken};
use wsrx_xml::Document;

use crate::error::RuntimeError;
use crate::http::HttpClient;
use crate::recovery::TokenChange;
use crate::tls::ClientTls;
use crate::token::{BoxFuture, ProvidedToken, TokenProvider};

/// First back-off step when a Renew RST cannot be delivered.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// The shortest sleep of the renewal task.
const MIN_TICK: Duration = Duration::from_millis(20);

/// What the session and its renewal task share.
struct Core {
    session: StdMutex<Session<OsRandom>>,
    http: HttpClient,
    /// Contexts handed out, for verifying what the recipient signs with them.
    known: StdMutex<Vec<Known>>,
    /// Lost contexts (identifier → reason), for the sequences bound to them.
    lost: StdMutex<BTreeMap<String, String>>,
    /// Records drained from the session, not yet handed to the runtime.
    records: StdMutex<Vec<TokenChange>>,
    /// Bumped when a context was renewed or lost.
    signal: watch::Sender<u64>,
    /// Wakes the renewal task (a context became in use).
    wake: Notify,
    /// Cancels the token service confirmed (`wst:RequestedTokenCancelled`), ever.
    cancelled: std::sync::atomic::AtomicUsize,
}

/// Client side: a `wsrx-sc` [`Session`] driven over HTTP.
pub struct TrustSession {
    core: Arc<Core>,
    /// Stops the renewal task (`None` until it runs).
    renewal: StdMutex<Option<watch::Sender<bool>>>,
    description: String,
}

impl std::fmt::Debug for TrustSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustSession")
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

impl TrustSession {
    /// A session with `config` (dialect, entropy, bootstrap credentials).
    ///
    /// # Errors
    /// [`RuntimeError::Http`] when the HTTP client cannot be built.
    pub fn new(
        config: SessionConfig,
        description: impl Into<String>,
    ) -> Result<Self, RuntimeError> {
        Self::with_tls(config, description, &ClientTls::default())
    }

    /// As [`TrustSession::new`], talking to the token service over HTTPS with the extra
    /// trusted CAs and client identity of `tls`.
    ///
    /// # Errors
    /// [`RuntimeError::Http`] when the HTTP client cannot be built.
    pub fn with_tls(
        config: SessionConfig,
        description: impl Into<String>,
        tls: &ClientTls,
    ) -> Result<Self, RuntimeError> {
        let http = HttpClient::with_tls(config.response_timeout, tls)?;
        let (signal, _) = watch::channel(0);
        Ok(Self {
            core: Arc::new(Core {
                session: StdMutex::new(Session::new(config, OsRandom)),
                http,
                known: StdMutex::new(Vec::new()),
                lost: StdMutex::new(BTreeMap::new()),
                records: StdMutex::new(Vec::new()),
                signal,
                wake: Notify::new(),
                cancelled: std::sync::atomic::AtomicUsize::new(0),
            }),
            renewal: StdMutex::new(None),
            description: description.into(),
        })
    }

    /// Stops the renewal task and the session (no more tokens are handed out). Live
    /// contexts are left to expire: a sequence that survives a restart needs them.
    pub fn shutdown(&self) {
        if let Some(stop) = self.renewal.lock().ok().and_then(|mut r| r.take()) {
            let _ = stop.send(true);
        }
    }

    /// Cancels every live context (WS-SC 1.4 §6: a signed Cancel RST per context, answered
    /// with `wst:RequestedTokenCancelled`) and stops the session; the contexts' records end
    /// ([`TokenProvider::take_changes`] then holds their deletion, for the caller to commit).
    ///
    /// Call it only when no stored sequence still needs the contexts: a sequence resumed
    /// after a restart (or held messages resent) is bound to its context and would fail
    /// with it cancelled. Returns how many were cancelled (confirmed by the service).
    ///
    /// # Errors
    /// [`RuntimeError::Token`] when a Cancel cannot be built, the token service cannot be
    /// reached, or it does not confirm every Cancel (a fault, an answer that cannot be read);
    /// the contexts are then forgotten locally all the same.
    pub async fn cancel(&self) -> Result<usize, RuntimeError> {
        self.shutdown();
        let transmits: Vec<Transmit> = {
            let mut session = self.core.lock()?;
            session
                .shutdown(SystemTime::now())
                .map_err(|e| RuntimeError::Token(e.to_string()))?;
            std::iter::from_fn(|| session.poll_transmit()).collect()
        };
        let count = || {
            self.core
                .cancelled
                .load(std::sync::atomic::Ordering::Relaxed)
        };
        let before = count();
        let mut first_error = None;
        let sent = transmits.len();
        for t in transmits {
            if let Err(e) = self.core.exchange(t, None).await {
                tracing::warn!(error = %e, "security context Cancel failed");
                first_error.get_or_insert(e);
            }
        }
        // Only what the service confirmed counts: a fault (logged with the peer's words by
        // `exchange`) or an answer without `wst:RequestedTokenCancelled` cancels nothing.
        let cancelled = count().saturating_sub(before);
        if let Some(e) = first_error {
            return Err(e);
        }
        if cancelled < sent {
            return Err(RuntimeError::Token(format!(
                "the token service confirmed {cancelled} of {sent} Cancel requests (WS-SC 1.4 \
                 §6: wst:RequestedTokenCancelled); see its answer above"
            )));
        }
        Ok(cancelled)
    }

    /// Starts the renewal task if it does not run yet (needs a tokio runtime).
    fn start_renewal(&self) {
        let Ok(mut slot) = self.renewal.lock() else {
            return;
        };
        if slot.is_some() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (stop, rx) = watch::channel(false);
        *slot = Some(stop);
        let core = Arc::clone(&self.core);
        runtime.spawn(async move { core.renew_loop(rx).await });
    }

    /// The context for `endpoint` if it is live now, else the RSTs to send for it.
    fn ready(
        &self,
        endpoint: &str,
        now: SystemTime,
    ) -> Result<Result<ProvidedToken, Vec<Transmit>>, RuntimeError> {
        let mut session = self.core.lock()?;
        match session
            .token_for(endpoint, now)
            .map_err(|e| RuntimeError::Token(e.to_string()))?
        {
            TokenFor::Ready(_) => {
                let ctx = session
                    .context(endpoint, now)
                    .ok_or_else(|| RuntimeError::Token("established context vanished".into()))?;
                let provided = ProvidedToken {
                    sct: SecurityContextToken {
                        version: ctx.version,
                        identifier: ctx.identifier.clone(),
                        instance: ctx.instance.clone(),
                        wsu_id: None,
                    },
                    secret: ctx.secret.clone(),
                };
                self.core.remember(ctx, true);
                Ok(Ok(provided))
            }
            TokenFor::Pending => Ok(Err(std::iter::from_fn(|| session.poll_transmit()).collect())),
        }
    }
}

impl Core {
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Session<OsRandom>>, RuntimeError> {
        self.session
            .lock()
            .map_err(|_| RuntimeError::Token("token session poisoned".into()))
    }

    /// Records `t` as the current key of its identifier (`used`: handed out just now).
    /// A context newly in use wakes the renewal task, which may have computed its
    /// deadline before (the context's expiry, or the Issue request's response deadline)
    /// and must now renew it before it expires.
    fn remember(&self, t: &EstablishedSct, used: bool) {
        if let Ok(mut known) = self.known.lock() {
            let was_used = known
                .iter()
                .find(|k| k.identifier == t.identifier)
                .is_some_and(|k| k.used);
            if used && !was_used {
                self.wake.notify_one();
            }
            known.retain(|k| k.identifier != t.identifier);
            known.push(Known {
                identifier: t.identifier.clone(),
                endpoint: t.endpoint.clone(),
                instance: t.instance.clone(),
                secret: t.secret.clone(),
                used: used || was_used,
            });
        }
    }

    /// Drains the session's records and events after an input: renewed keys replace
    /// the known ones, lost contexts are forgotten and reported. `Err` carries the
    /// failure of an establishment.
    fn absorb(&self, session: &mut Session<OsRandom>) -> Result<(), RuntimeError> {
        let mut changed = false;
        let mut failure = None;
        while let Some(record) = session.poll_persist() {
            let change = match record {
                SctRecord::New(t) => TokenChange::Put(t),
                SctRecord::Renewed(t) => {
                    // The renewal reset the use mark: the next use marks it again.
                    if let Ok(mut known) = self.known.lock()
                        && let Some(k) = known.iter_mut().find(|k| k.identifier == t.identifier)
                    {
                        k.instance = t.instance.clone();
                        k.secret = t.secret.clone();
                        k.used = false;
                    }
                    changed = true;
                    TokenChange::Put(t)
                }
                SctRecord::Ended { identifier } => TokenChange::Delete(identifier),
            };
            if let Ok(mut records) = self.records.lock() {
                records.push(change);
            }
        }
        while let Some(event) = session.poll_event() {
            match event {
                SessionEvent::EstablishFailed { fault, .. } => {
                    let reason =
                        fault.map_or_else(|| "no valid answer".to_owned(), |f| f.to_string());
                    failure = Some(RuntimeError::Token(format!(
                        "security context not established: {reason}"
                    )));
                }
                SessionEvent::Renewed {
                    identifier,
                    instance,
                } => {
                    tracing::info!(sct = %identifier, instance = ?instance, "security context renewed");
                }
                SessionEvent::TokenLost { identifier, reason } => {
                    tracing::warn!(sct = %identifier, reason = ?reason, "security context lost");
                    if let Ok(mut known) = self.known.lock() {
                        known.retain(|k| k.identifier != identifier);
                    }
                    let reason = match reason {
                        LossReason::Expired => "it expired without being renewed".to_owned(),
                        LossReason::RenewRefused(f) => format!("renewal refused: {f}"),
                        LossReason::BadResponse(why) => format!("renewal unusable: {why}"),
                    };
                    if let Ok(mut lost) = self.lost.lock() {
                        lost.insert(identifier, reason);
                    }
                    changed = true;
                }
                SessionEvent::Cancelled { identifier } => {
                    tracing::info!(sct = %identifier, "security context cancelled");
                    self.cancelled
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if let Ok(mut known) = self.known.lock() {
                        known.retain(|k| k.identifier != identifier);
                    }
                }
                // The renewal task slept until the Issue request's deadline (the
                // response timeout), which may lie past the new context's renewal time:
                // woken, it recomputes its deadline from the context.
                SessionEvent::Established { .. } => self.wake.notify_one(),
            }
        }
        if changed {
            self.signal.send_modify(|g| *g = g.wrapping_add(1));
        }
        failure.map_or(Ok(()), Err)
    }

    /// POSTs `t` to the token service and feeds the answer back. `retry_until`: re-POST
    /// with back-off on transport failures until then (renewals), else fail at once.
    async fn exchange(
        &self,
        t: Transmit,
        retry_until: Option<SystemTime>,
    ) -> Result<(), RuntimeError> {
        let soap = self.lock()?.config().soap;
        let mut backoff = FIRST_BACKOFF;
        let (status, body) = loop {
            match self
                .http
                .post(&t.endpoint, soap, &t.action, t.envelope.clone())
                .await
            {
                Ok(answer) => break answer,
                Err(e) => {
                    let retry =
                        retry_until.is_some_and(|until| SystemTime::now() + backoff < until);
                    if !retry {
                        return Err(e);
                    }
                    tracing::debug!(error = %e, "token service unreachable; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = backoff.saturating_mul(2);
                }
            }
        };
        let Some((_, bytes)) = body else {
            return Err(RuntimeError::Token(format!(
                "token service answered HTTP {status} with no body"
            )));
        };
        let doc = Document::parse(&bytes)
            .map_err(|e| RuntimeError::Token(format!("token service answer: {e}")))?;
        // The peer's own words, when it answered with a fault (code, subcode, reason).
        let peer_fault = peer_fault_text(&doc);
        if let Some(text) = &peer_fault {
            tracing::warn!(status, fault = %text, "the token service answered with a fault");
        }
        let mut session = self.lock()?;
        session
            .handle_rstr(SystemTime::now(), &doc)
            .map_err(|e| RuntimeError::Token(format!("security context not established: {e}")))?;
        self.absorb(&mut session).map_err(|e| match peer_fault {
            Some(text) => RuntimeError::Token(format!("{e} (the token service said: {text})")),
            None => e,
        })
    }

    /// Marks the contexts the runtime used since their last (re)issue as in use (so the
    /// session renews them), if they are still live.
    fn mark_in_use(&self, session: &mut Session<OsRandom>, now: SystemTime) {
        let used: Vec<String> = self.known.lock().map_or_else(
            |_| Vec::new(),
            |known| {
                known
                    .iter()
                    .filter(|k| k.used)
                    .map(|k| k.endpoint.clone())
                    .collect()
            },
        );
        for endpoint in used {
            if session.context(&endpoint, now).is_some() {
                let _ = session.token_for(&endpoint, now);
            }
        }
    }

    /// The renewal task (module docs).
    async fn renew_loop(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        loop {
            let deadline = {
                let Ok(mut session) = self.lock() else { return };
                self.mark_in_use(&mut session, SystemTime::now());
                session.poll_timeout()
            };
            let sleep = async {
                match deadline {
                    Some(d) => {
                        // A floor, so a timer the session cannot act on never spins.
                        let wait = d
                            .duration_since(SystemTime::now())
                            .unwrap_or_default()
                            .max(MIN_TICK);
                        tokio::time::sleep(wait).await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = sleep => {}
                () = self.wake.notified() => continue,
                _ = stop.changed() => return,
            }
            let now = SystemTime::now();
            let (transmits, retry_until): (Vec<Transmit>, _) = {
                let Ok(mut session) = self.lock() else { return };
                if let Err(e) = session.handle_timeout(now) {
                    tracing::warn!(error = %e, "token session timers failed");
                }
                let _ = self.absorb(&mut session);
                // Re-POSTed until the session gives the request up itself.
                let until = now + session.config().response_timeout;
                (
                    std::iter::from_fn(|| session.poll_transmit()).collect(),
                    until,
                )
            };
            for t in transmits {
                tokio::select! {
                    r = self.exchange(t, Some(retry_until)) => {
                        if let Err(e) = r {
                            tracing::warn!(error = %e, "security context renewal failed");
                        }
                    }
                    _ = stop.changed() => return,
                }
            }
        }
    }
}

impl TokenProvider for TrustSession {
    fn token_for<'a>(
        &'a self,
        endpoint: &'a str,
    ) -> BoxFuture<'a, Result<ProvidedToken, RuntimeError>> {
        Box::pin(async move {
            self.start_renewal();
            for _ in 0..3 {
                let transmits = match self.ready(endpoint, SystemTime::now())? {
                    Ok(token) => return Ok(token),
                    Err(transmits) => transmits,
                };
                for t in transmits {
                    self.core.exchange(t, None).await?;
                }
            }
            Err(RuntimeError::Token(format!(
                "no security context could be established with {endpoint}"
            )))
        })
    }

    fn resolver(&self) -> Arc<dyn KeyResolver + Send + Sync> {
        Arc::new(KnownContexts(Arc::clone(&self.core)))
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn take_changes(&self) -> Vec<TokenChange> {
        if let Ok(mut session) = self.core.session.lock() {
            let _ = self.core.absorb(&mut session);
        }
        self.core
            .records
            .lock()
            .map(|mut r| std::mem::take(&mut *r))
            .unwrap_or_default()
    }

    fn adopt(&self, tokens: Vec<EstablishedSct>) {
        for t in &tokens {
            // Resumed sequences use it: renewed like a context handed out.
            self.core.remember(t, true);
        }
        if let Ok(mut session) = self.core.session.lock() {
            session.restore(tokens);
        }
        self.start_renewal();
    }

    fn lost(&self, identifier: &str) -> Option<String> {
        self.core.lost.lock().ok()?.get(identifier).cloned()
    }

    fn changes(&self) -> Option<watch::Receiver<u64>> {
        Some(self.core.signal.subscribe())
    }
}

impl Drop for TrustSession {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A context the session handed out: its current instance and secret (a renewal
/// replaces them), and whether the runtime used it since its last (re)issue.
struct Known {
    identifier: String,
    endpoint: String,
    instance: Option<String>,
    secret: SecretKey,
    used: bool,
}

struct KnownContexts(Arc<Core>);

impl KeyResolver for KnownContexts {
    /// The current secret of `identifier` (marking the context in use, see the module
    /// docs). The instance a peer names is not checked here: only the current key is
    /// held, so a message under an older instance fails its signature check instead.
    fn sct_secret(
        &self,
        identifier: &str,
        _instance: Option<&str>,
    ) -> Result<SecretKey, ResolveError> {
        let mut known = self.0.known.lock().map_err(|_| ResolveError::Unavailable)?;
        let k = known
            .iter_mut()
            .find(|k| k.identifier == identifier)
            .ok_or(ResolveError::Unknown)?;
        if !k.used {
            k.used = true;
            self.0.wake.notify_one();
        }
        Ok(k.secret.clone())
    }

    fn current_instance(&self, identifier: &str) -> Option<String> {
        let known = self.0.known.lock().ok()?;
        known
            .iter()
            .find(|k| k.identifier == identifier)
            .and_then(|k| k.instance.clone())
    }
}

/// `code [subcode]: reason` of a SOAP fault, for logs and errors.
fn peer_fault_text(doc: &Document) -> Option<String> {
    let env = wsrx_soap::Envelope::new(doc).ok()?;
    let fault = env.fault()?.ok()?;
    let sub = fault
        .subcode()
        .map(|s| format!(" {}", s.local))
        .unwrap_or_default();
    Some(format!("{:?}{sub}: {}", fault.code, fault.reason))
}
