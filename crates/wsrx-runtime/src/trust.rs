//! WS-Trust establishment of security contexts, through the `wsrx-sc` machines:
//! [`TrustSession`] (client: asks the recipient's token service for an SCT, once per
//! endpoint, before the first CreateSequence, and renews it while it is in use) and
//! [`IssuerProvider`] (server: answers RST/SCT requests and resolves the keys of the
//! contexts it issued). The client side lives in `trust/session.rs`.
//!
//! Both plug into the runtime through [`TokenProvider`]; the server routes requests
//! whose action is a WS-Trust RST to [`TokenProvider::answer_trust`] before the RM
//! pipeline sees them.
//!
//! # Renewal (WS-SC 1.4 §7)
//! The first `token_for` starts a background task (stopped by
//! [`TrustSession::shutdown`] or when the session is dropped) that sleeps until the
//! session's `poll_timeout`, calls `handle_timeout`, POSTs the Renew RSTs it produces
//! and feeds the RSTRs back. A context counts as *in use* when the RM runtime resolved
//! its key (protecting or verifying a message) since its last (re)issue; only such a
//! context is renewed, `renew_before` ahead of its expiry. A renewal keeps the
//! Identifier (sequences bound to it stay bound) and brings a new key and Instance:
//! the resolver answers with them at once, and the record reaches the runtime through
//! `take_changes` (the client commits it with its next drain, which the change signal
//! triggers at once).
//!
//! A Renew RST that cannot be delivered is re-POSTed with exponential back-off until
//! the session gives the request up (`response_timeout`); the session then sends a
//! fresh Renew, and so on until the context expires.
//!
//! **Rule:** a context that is lost (renewal refused, expiry without renewal) is never
//! replaced silently. Its identifier is reported by [`TokenProvider::lost`]; the client
//! ends the sequences bound to it with an explicit error, and only a later `token_for`
//! establishes a new context (new Identifier) for new sequences.
//!
//! Persistence ([`crate::recovery`]): the session hands over its `SctRecord`s and the
//! issuer provider the contexts it issued, renewed or cancelled through
//! `take_changes`, for the runtime to commit; `adopt` takes them back after a restart
//! (the session restores them per endpoint; the issuer provider puts them back into the
//! issuer's own table, [`Issuer::restore`], so they can be renewed and cancelled; a
//! cancelled context was deleted from the store and stays refused).

mod session;

use std::sync::{Arc, Mutex as StdMutex};
use std::time::SystemTime;

use wsrx_crypto::{SecretKey, SecureRandom};
use wsrx_sc::auth::BootstrapAuthenticator;
use wsrx_sc::{EstablishedSct, Issuer, Outcome};
use wsrx_security::{KeyResolver, ResolveError};
use wsrx_xml::Document;

use crate::error::RuntimeError;
use crate::recovery::TokenChange;
use crate::token::{BoxFuture, Peer, ProvidedToken, TokenProvider, TrustAnswer};

pub use session::TrustSession;

/// Server side: a `wsrx-sc` [`Issuer`] answering RST/SCT requests.
pub struct IssuerProvider<A, R> {
    issuer: Arc<StdMutex<Issuer<A, R>>>,
    description: String,
    /// Issued, renewed and cancelled contexts not yet handed to the runtime to commit.
    changes: StdMutex<Vec<TokenChange>>,
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

    fn take_changes(&self) -> Vec<TokenChange> {
        self.changes
            .lock()
            .map(|mut c| std::mem::take(&mut *c))
            .unwrap_or_default()
    }

    /// Contexts issued before a restart go back into the issuer's own table
    /// ([`Issuer::restore`]): they verify, and their holders can Renew and Cancel them.
    fn adopt(&self, tokens: Vec<EstablishedSct>) {
        if let Ok(mut issuer) = self.issuer.lock() {
            issuer.restore(tokens);
        }
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    /// An operator's cancel: the issuer refuses the context from now on.
    fn forget(&self, identifier: &str) -> bool {
        self.issuer
            .lock()
            .is_ok_and(|mut i| i.revoke(identifier, SystemTime::now()))
    }

    fn answer_trust(
        &self,
        request: &Document,
        now: SystemTime,
        peer: &Peer,
    ) -> Option<TrustAnswer> {
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
        drop(issuer);
        let answer_action = match &reply.outcome {
            Ok(outcome) => {
                tracing::info!(?outcome, "token service answered a WS-Trust request");
                dialect.rstr_action(kind).unwrap_or(action)
            }
            Err(fault) => {
                // Every refusal is visible to the operator, with its reason (fixed texts:
                // never a secret, a password or a key byte).
                tracing::warn!(
                    request = %action,
                    transport = ?peer.transport,
                    reason = %fault,
                    "token service refused a WS-Trust request"
                );
                // The answer is a fault: its action (and Content-Type `action=`) is the SOAP
                // fault action of the request's WS-Addressing version (WS-A 1.0 SOAP Binding §6).
                fault_action(request)
            }
        };
        Some(TrustAnswer {
            action: answer_action,
            envelope: reply.envelope,
            fault: reply.outcome.err(),
        })
    }
}

/// The SOAP fault action of the WS-Addressing version `request` uses (1.0 when unknown).
fn fault_action(request: &Document) -> String {
    wsrx_soap::Envelope::new(request)
        .ok()
        .and_then(|env| wsrx_soap::AddressingHeaders::parse(&env).ok().flatten())
        .map_or(wsrx_soap::WsaVersion::V10, |h| h.version)
        .soap_fault_action()
        .to_owned()
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

    fn current_instance(&self, identifier: &str) -> Option<String> {
        self.0
            .lock()
            .ok()
            .and_then(|i| i.resolver(SystemTime::now()).current_instance(identifier))
    }
}
