//! WS-Trust establishment of security contexts, through the `wsrx-sc` machines:
//! [`TrustSession`] (client: asks the recipient's token service for an SCT, once per
//! endpoint, before the first CreateSequence) and [`IssuerProvider`] (server: answers
//! RST/SCT requests and resolves the keys of the contexts it issued).
//!
//! Both plug into the runtime through [`TokenProvider`]; the server routes requests
//! whose action is a WS-Trust RST to [`TokenProvider::answer_trust`] before the RM
//! pipeline sees them.
//!
//! Persistence ([`crate::recovery`]): the session hands over its `SctRecord`s and the
//! issuer provider the contexts it issued, renewed or cancelled through
//! `take_changes`, for the runtime to commit; `adopt` takes them back after a restart
//! (the session restores them per endpoint; the issuer provider resolves them beside
//! the issuer's own table, which has no restore entry point).

use std::sync::{Arc, Mutex as StdMutex};
use std::time::SystemTime;

use wsrx_crypto::{OsRandom, SecretKey, SecureRandom};
use wsrx_sc::auth::BootstrapAuthenticator;
use wsrx_sc::{EstablishedSct, Issuer, Outcome, SctRecord, Session, SessionConfig, TokenFor};
use wsrx_security::{KeyResolver, ResolveError, SecurityContextToken};
use wsrx_xml::Document;

use crate::error::RuntimeError;
use crate::http::HttpClient;
use crate::recovery::TokenChange;
use crate::tls::ClientTls;
use crate::token::{BoxFuture, Peer, ProvidedToken, TokenProvider};

/// Client side: a `wsrx-sc` [`Session`] driven over HTTP.
pub struct TrustSession {
    session: StdMutex<Session<OsRandom>>,
    http: HttpClient,
    /// Contexts handed out, for verifying what the recipient signs with them.
    known: Arc<StdMutex<Vec<Known>>>,
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
        Ok(Self {
            session: StdMutex::new(Session::new(config, OsRandom)),
            http,
            known: Arc::new(StdMutex::new(Vec::new())),
            description: description.into(),
        })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Session<OsRandom>>, RuntimeError> {
        self.session
            .lock()
            .map_err(|_| RuntimeError::Token("token session poisoned".into()))
    }

    /// The context for `endpoint` if it is live now.
    fn ready(
        &self,
        endpoint: &str,
        now: SystemTime,
    ) -> Result<Option<ProvidedToken>, RuntimeError> {
        let mut session = self.lock()?;
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
                if let Ok(mut known) = self.known.lock() {
                    known.retain(|k| k.identifier != provided.sct.identifier);
                    known.push(Known {
                        identifier: provided.sct.identifier.clone(),
                        instance: provided.sct.instance.clone(),
                        secret: provided.secret.clone(),
                    });
                }
                Ok(Some(provided))
            }
            _ => Ok(None),
        }
    }
}

impl TokenProvider for TrustSession {
    fn token_for<'a>(
        &'a self,
        endpoint: &'a str,
    ) -> BoxFuture<'a, Result<ProvidedToken, RuntimeError>> {
        Box::pin(async move {
            for _ in 0..3 {
                if let Some(token) = self.ready(endpoint, SystemTime::now())? {
                    return Ok(token);
                }
                let transmits: Vec<_> = {
                    let mut session = self.lock()?;
                    std::iter::from_fn(|| session.poll_transmit()).collect()
                };
                for t in transmits {
                    let soap = self.lock()?.config().soap;
                    let (status, body) = self
                        .http
                        .post(&t.endpoint, soap, &t.action, t.envelope)
                        .await?;
                    let Some((_, bytes)) = body else {
                        return Err(RuntimeError::Token(format!(
                            "token service answered HTTP {status} with no body"
                        )));
                    };
                    let doc = Document::parse(&bytes)
                        .map_err(|e| RuntimeError::Token(format!("token service answer: {e}")))?;
                    let mut session = self.lock()?;
                    session.handle_rstr(SystemTime::now(), &doc).map_err(|e| {
                        RuntimeError::Token(format!("security context not established: {e}"))
                    })?;
                    while let Some(event) = session.poll_event() {
                        if let wsrx_sc::SessionEvent::EstablishFailed { fault, .. } = event {
                            let reason = fault
                                .map_or_else(|| "no valid answer".to_owned(), |f| f.to_string());
                            return Err(RuntimeError::Token(format!(
                                "security context not established: {reason}"
                            )));
                        }
                    }
                }
            }
            Err(RuntimeError::Token(format!(
                "no security context could be established with {endpoint}"
            )))
        })
    }

    fn resolver(&self) -> Arc<dyn KeyResolver + Send + Sync> {
        Arc::new(KnownContexts(Arc::clone(&self.known)))
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn take_changes(&self) -> Vec<TokenChange> {
        let Ok(mut session) = self.session.lock() else {
            return Vec::new();
        };
        std::iter::from_fn(|| session.poll_persist())
            .map(|r| match r {
                SctRecord::New(t) | SctRecord::Renewed(t) => TokenChange::Put(t),
                SctRecord::Ended { identifier } => TokenChange::Delete(identifier),
            })
            .collect()
    }

    fn adopt(&self, tokens: Vec<EstablishedSct>) {
        if let Ok(mut known) = self.known.lock() {
            for t in &tokens {
                known.retain(|k| k.identifier != t.identifier);
                known.push(Known {
                    identifier: t.identifier.clone(),
                    instance: t.instance.clone(),
                    secret: t.secret.clone(),
                });
            }
        }
        if let Ok(mut session) = self.session.lock() {
            session.restore(tokens);
        }
    }
}

/// A context the session handed out: its current instance and secret (a renewal
/// replaces the entry).
struct Known {
    identifier: String,
    instance: Option<String>,
    secret: SecretKey,
}

struct KnownContexts(Arc<StdMutex<Vec<Known>>>);

impl KeyResolver for KnownContexts {
    /// The current secret of `identifier`. The instance a peer names is not checked
    /// here: only the current key is held, so a message under an older instance fails
    /// its signature check instead.
    fn sct_secret(
        &self,
        identifier: &str,
        _instance: Option<&str>,
    ) -> Result<SecretKey, ResolveError> {
        let known = self.0.lock().map_err(|_| ResolveError::Unavailable)?;
        known
            .iter()
            .find(|k| k.identifier == identifier)
            .map(|k| k.secret.clone())
            .ok_or(ResolveError::Unknown)
    }

    fn current_instance(&self, identifier: &str) -> Option<String> {
        let known = self.0.lock().ok()?;
        known
            .iter()
            .find(|k| k.identifier == identifier)
            .and_then(|k| k.instance.clone())
    }
}

/// Server side: a `wsrx-sc` [`Issuer`] answering RST/SCT requests.
pub struct IssuerProvider<A, R> {
    issuer: Arc<StdMutex<Issuer<A, R>>>,
    description: String,
    /// Issued, renewed and cancelled contexts not yet handed to the runtime to commit.
    changes: StdMutex<Vec<TokenChange>>,
    /// Contexts issued before a restart, recovered from the store (see
    /// [`crate::recovery`]); the issuer's own table starts empty.
    adopted: Arc<StdMutex<Vec<EstablishedSct>>>,
}

impl<A: BootstrapAuthenticator, R: SecureRandom> IssuerProvider<A, R> {
    /// How many contexts the token service holds now (issued and not yet cancelled or
    /// swept), for operators and tests.
    pub fn live_contexts(&self) -> usize {
        self.issuer.lock().map_or(0, |i| i.store().len())
    }
}

impl<A, R> IssuerProvider<A, R> {
    /// Wraps an issuer.
    pub fn new(issuer: Issuer<A, R>, description: impl Into<String>) -> Self {
        Self {
            issuer: Arc::new(StdMutex::new(issuer)),
            description: description.into(),
            changes: StdMutex::new(Vec::new()),
            adopted: Arc::new(StdMutex::new(Vec::new())),
        }
    }
}

impl<A, R> TokenProvider for IssuerProvider<A, R>
where
    A: BootstrapAuthenticator + Send + 'static,
    R: SecureRandom + Send + 'static,
{
    fn token_for<'a>(
        &'a self,
        _endpoint: &'a str,
    ) -> BoxFuture<'a, Result<ProvidedToken, RuntimeError>> {
        Box::pin(async {
            Err(RuntimeError::Token(
                "a token service issues contexts; it does not request them".into(),
            ))
        })
    }

    fn resolver(&self) -> Arc<dyn KeyResolver + Send + Sync> {
        Arc::new(IssuedContexts(
            Arc::clone(&self.issuer),
            Arc::clone(&self.adopted),
        ))
    }

    fn take_changes(&self) -> Vec<TokenChange> {
        self.changes
            .lock()
            .map(|mut c| std::mem::take(&mut *c))
            .unwrap_or_default()
    }

    fn adopt(&self, tokens: Vec<EstablishedSct>) {
        if let Ok(mut adopted) = self.adopted.lock() {
            adopted.extend(tokens);
        }
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn answer_trust(
        &self,
        request: &Document,
        now: SystemTime,
        peer: &Peer,
    ) -> Option<(String, String)> {
        let action = wsrx_soap::Envelope::new(request)
            .ok()
            .and_then(|env| wsrx_soap::AddressingHeaders::parse(&env).ok().flatten())
            .and_then(|h| h.action)?;
        let (dialect, kind) = wsrx_sc::Dialect::parse_rst_action(&action)?;
        let mut issuer = self.issuer.lock().ok()?;
        issuer.sweep(now);
        if let Some(subject) = peer.client_subject() {
            // Mutual TLS authenticated this client; the bootstrap still decides who it is.
            tracing::info!(client = %subject, "WS-Trust request over mutual TLS");
        }
        // The transport decides whether a PasswordText UsernameToken may be accepted
        // (WSS UsernameToken Profile 1.1 §3.1: only over a protected channel).
        let reply = issuer.handle_message(now, request, peer.transport);
        if let Some(change) = issued_change(&issuer, reply.outcome.as_ref().ok(), now)
            && let Ok(mut changes) = self.changes.lock()
        {
            changes.push(change);
        }
        Some((dialect.rstr_action(kind).unwrap_or(action), reply.envelope))
    }
}

/// What the runtime must commit after the issuer's `outcome` (the context as issued or
/// renewed, with its secret; or its deletion).
fn issued_change<A: BootstrapAuthenticator, R: SecureRandom>(
    issuer: &Issuer<A, R>,
    outcome: Option<&Outcome>,
    now: SystemTime,
) -> Option<TokenChange> {
    let identifier = match outcome? {
        Outcome::Issued { identifier, .. } | Outcome::Renewed { identifier, .. } => identifier,
        Outcome::Cancelled { identifier } => return Some(TokenChange::Delete(identifier.clone())),
        _ => return None,
    };
    let info = issuer.store().info(identifier)?;
    let secret = issuer
        .resolver(now)
        .sct_secret(identifier, info.instance.as_deref())
        .ok()?;
    Some(TokenChange::Put(EstablishedSct {
        identifier: identifier.clone(),
        instance: info.instance.clone(),
        secret,
        created: info.created,
        expires: info.expires,
        version: info.version,
        endpoint: info.principal.clone(),
    }))
}

struct IssuedContexts<A, R>(
    Arc<StdMutex<Issuer<A, R>>>,
    Arc<StdMutex<Vec<EstablishedSct>>>,
);

impl<A: BootstrapAuthenticator + Send, R: SecureRandom + Send> KeyResolver
    for IssuedContexts<A, R>
{
    fn sct_secret(
        &self,
        identifier: &str,
        instance: Option<&str>,
    ) -> Result<SecretKey, ResolveError> {
        let now = SystemTime::now();
        let issued = {
            let issuer = self.0.lock().map_err(|_| ResolveError::Unavailable)?;
            issuer.resolver(now).sct_secret(identifier, instance)
        };
        match issued {
            Err(ResolveError::Unknown) => {
                // A context issued before a restart (same rules as the issuer's table).
                let adopted = self.1.lock().map_err(|_| ResolveError::Unavailable)?;
                let t = adopted
                    .iter()
                    .find(|t| t.identifier == identifier && t.instance.as_deref() == instance)
                    .ok_or(ResolveError::Unknown)?;
                if now < t.expires {
                    Ok(t.secret.clone())
                } else {
                    Err(ResolveError::Expired)
                }
            }
            other => other,
        }
    }

    fn current_instance(&self, identifier: &str) -> Option<String> {
        let issued = self
            .0
            .lock()
            .ok()
            .and_then(|i| i.resolver(SystemTime::now()).current_instance(identifier));
        issued.or_else(|| {
            let adopted = self.1.lock().ok()?;
            adopted
                .iter()
                .find(|t| t.identifier == identifier)
                .and_then(|t| t.instance.clone())
        })
    }
}
