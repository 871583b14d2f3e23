//! WS-Trust establishment of security contexts, through the `wsrx-sc` machines:
//! [`TrustSession`] (client: asks the recipient's token service for an SCT, once per
//! endpoint, before the first CreateSequence) and [`IssuerProvider`] (server: answers
//! RST/SCT requests and resolves the keys of the contexts it issued).
//!
//! Both plug into the runtime through [`TokenProvider`]; the server routes requests
//! whose action is a WS-Trust RST to [`TokenProvider::answer_trust`] before the RM
//! pipeline sees them.

use std::sync::{Arc, Mutex as StdMutex};
use std::time::SystemTime;

use wsrx_crypto::{OsRandom, SecretKey, SecureRandom};
use wsrx_sc::auth::{BootstrapAuthenticator, Transport};
use wsrx_sc::{Issuer, Session, SessionConfig, TokenFor};
use wsrx_security::{KeyResolver, ResolveError, SecurityContextToken};
use wsrx_xml::Document;

use crate::error::RuntimeError;
use crate::http::HttpClient;
use crate::token::{BoxFuture, ProvidedToken, TokenProvider};

/// Client side: a `wsrx-sc` [`Session`] driven over HTTP.
pub struct TrustSession {
    session: StdMutex<Session<OsRandom>>,
    http: HttpClient,
    /// Contexts handed out, for verifying what the recipient signs with them.
    known: Arc<StdMutex<Vec<(String, SecretKey)>>>,
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
        let http = HttpClient::new(config.response_timeout)?;
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
                    known.retain(|(id, _)| *id != provided.sct.identifier);
                    known.push((provided.sct.identifier.clone(), provided.secret.clone()));
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
}

struct KnownContexts(Arc<StdMutex<Vec<(String, SecretKey)>>>);

impl KeyResolver for KnownContexts {
    fn sct_secret(
        &self,
        identifier: &str,
        _instance: Option<&str>,
    ) -> Result<SecretKey, ResolveError> {
        let known = self.0.lock().map_err(|_| ResolveError::Unavailable)?;
        known
            .iter()
            .find(|(id, _)| id == identifier)
            .map(|(_, k)| k.clone())
            .ok_or(ResolveError::Unknown)
    }
}

/// Server side: a `wsrx-sc` [`Issuer`] answering RST/SCT requests.
pub struct IssuerProvider<A, R> {
    issuer: Arc<StdMutex<Issuer<A, R>>>,
    description: String,
}

impl<A, R> IssuerProvider<A, R> {
    /// Wraps an issuer.
    pub fn new(issuer: Issuer<A, R>, description: impl Into<String>) -> Self {
        Self {
            issuer: Arc::new(StdMutex::new(issuer)),
            description: description.into(),
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
        Arc::new(IssuedContexts(Arc::clone(&self.issuer)))
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn answer_trust(&self, request: &Document, now: SystemTime) -> Option<(String, String)> {
        let action = wsrx_soap::Envelope::new(request)
            .ok()
            .and_then(|env| wsrx_soap::AddressingHeaders::parse(&env).ok().flatten())
            .and_then(|h| h.action)?;
        let (dialect, kind) = wsrx_sc::Dialect::parse_rst_action(&action)?;
        let mut issuer = self.issuer.lock().ok()?;
        issuer.sweep(now);
        // Loopback HTTP here; a deployment behind TLS passes Transport::Protected.
        let reply = issuer.handle_message(now, request, Transport::Unprotected);
        Some((dialect.rstr_action(kind).unwrap_or(action), reply.envelope))
    }
}

struct IssuedContexts<A, R>(Arc<StdMutex<Issuer<A, R>>>);

impl<A: BootstrapAuthenticator + Send, R: SecureRandom + Send> KeyResolver
    for IssuedContexts<A, R>
{
    fn sct_secret(
        &self,
        identifier: &str,
        instance: Option<&str>,
    ) -> Result<SecretKey, ResolveError> {
        let issuer = self.0.lock().map_err(|_| ResolveError::Unavailable)?;
        issuer
            .resolver(SystemTime::now())
            .sct_secret(identifier, instance)
    }
}
