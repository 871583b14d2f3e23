//! Where the RM runtime gets its security context: the [`TokenProvider`] seam.
//!
//! The RM runtime asks the provider for the SCT to bind a new sequence to
//! ([`TokenProvider::token_for`]) and for a [`KeyResolver`] to verify inbound messages
//! and to protect replies with the token a sequence is bound to.
//!
//! [`PreEstablished`] serves one SCT agreed out of band (the mode gSOAP peers use with
//! `--sct-id/--sct-secret`). The WS-Trust session of `wsrx-sc` (RST/RSTR Issue, Renew,
//! Cancel) plugs in here as another implementation: it issues or obtains the token on
//! the first `token_for`, renews it before expiry, and resolves its secrets.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use wsrx_crypto::SecretKey;
use wsrx_sc::auth::Transport;
use wsrx_security::{KeyResolver, ResolveError, ScVersion, SecurityContextToken};

use crate::error::RuntimeError;

/// A boxed future, for object-safe async traits.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A security context the runtime may use: the token and its secret.
#[derive(Clone)]
pub struct ProvidedToken {
    /// The SCT (its `wsc:Identifier` becomes the sequence's security binding).
    pub sct: SecurityContextToken,
    /// The shared secret (never logged or printed).
    pub secret: SecretKey,
}

impl fmt::Debug for ProvidedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProvidedToken")
            .field("identifier", &self.sct.identifier)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A token service's answer to a WS-Trust request.
#[derive(Debug, Clone)]
pub struct TrustAnswer {
    /// The answer's WS-A action.
    pub action: String,
    /// The envelope: an RSTR (collection), or a fault.
    pub envelope: String,
    /// Why the request was refused, when the envelope is a fault.
    pub fault: Option<wsrx_sc::TrustFault>,
}

/// Supplies security contexts to the RM runtime (client and server).
pub trait TokenProvider: Send + Sync + 'static {
    /// The SCT to protect a new sequence to `endpoint` with (establishing the security
    /// session first if there is none).
    fn token_for<'a>(
        &'a self,
        endpoint: &'a str,
    ) -> BoxFuture<'a, Result<ProvidedToken, RuntimeError>>;

    /// Resolves SCT secrets by identifier: inbound verification, and protecting messages
    /// with the token a sequence is bound to.
    fn resolver(&self) -> Arc<dyn KeyResolver + Send + Sync>;

    /// How the context was established, for operators ("pre-established", "WS-Trust").
    fn describe(&self) -> String;

    /// On the server: answers a WS-Trust request for this endpoint's token service, as
    /// `(action, envelope)`, when this provider runs one; `None` otherwise. `peer` says
    /// whether the request came over TLS (a `PasswordText` UsernameToken is accepted only
    /// then) and which client certificate TLS authenticated, if any.
    fn answer_trust(
        &self,
        _request: &wsrx_xml::Document,
        _now: std::time::SystemTime,
        _peer: &Peer,
    ) -> Option<TrustAnswer> {
        None
    }

    /// Tokens established, renewed or ended since the last call, for the runtime to
    /// commit (see [`crate::recovery`]); none by default (e.g. a pre-established SCT
    /// comes from configuration, not from the store).
    fn take_changes(&self) -> Vec<crate::recovery::TokenChange> {
        Vec::new()
    }

    /// Seeds the provider with the live tokens recovered from the store at start-up,
    /// so `token_for` returns them (no new RST) and the resolver knows their keys.
    fn adopt(&self, _tokens: Vec<wsrx_sc::EstablishedSct>) {}

    /// Why the context `identifier` was lost (renewal refused, expired unrenewed), if it
    /// was: the sequences bound to it must end with an explicit error, never move to
    /// another token (WS-SC binding rule, see [`crate::trust`]). `None` by default.
    fn lost(&self, _identifier: &str) -> Option<String> {
        None
    }

    /// Forgets the context `identifier` at once (an operator cancelled it through the
    /// admin API): from then on it verifies and protects nothing. Returns whether this
    /// provider held it; `false` by default (contexts that come from configuration
    /// stay until the configuration changes).
    fn forget(&self, _identifier: &str) -> bool {
        false
    }

    /// A signal bumped whenever a context was renewed or lost, for the runtime to
    /// commit [`TokenProvider::take_changes`] and check [`TokenProvider::lost`] at once;
    /// `None` when the provider never changes its contexts on its own.
    fn changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }
}

/// What the transport knows about the connection a request came on.
#[derive(Clone, PartialEq, Eq)]
pub struct Peer {
    /// [`Transport::Protected`] for HTTPS, [`Transport::Unprotected`] for plain HTTP.
    pub transport: Transport,
    /// The client certificate (DER) that mutual TLS authenticated, if any.
    pub client_certificate: Option<Arc<[u8]>>,
}

impl Peer {
    /// A request over plain HTTP (or any transport that protects nothing).
    pub fn unprotected() -> Self {
        Self {
            transport: Transport::Unprotected,
            client_certificate: None,
        }
    }

    /// A request over TLS, with the client certificate TLS authenticated, if any.
    pub fn tls(client_certificate: Option<Arc<[u8]>>) -> Self {
        Self {
            transport: Transport::Protected,
            client_certificate,
        }
    }

    /// The subject of the authenticated client certificate (RFC 4514), if there is one
    /// and it parses.
    pub fn client_subject(&self) -> Option<String> {
        let der = self.client_certificate.as_deref()?;
        wsrx_security::Certificate::from_der(der)
            .ok()
            .map(|c| c.subject().to_owned())
    }
}

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peer")
            .field("transport", &self.transport)
            .field("client", &self.client_subject())
            .finish()
    }
}

/// One security context token agreed out of band (pre-established), as gSOAP peers use
/// it: an identifier and a shared secret, valid for every endpoint.
#[derive(Clone)]
pub struct PreEstablished {
    identifier: String,
    secret: SecretKey,
}

impl fmt::Debug for PreEstablished {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreEstablished")
            .field("identifier", &self.identifier)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl PreEstablished {
    /// A pre-established SCT with this `wsc:Identifier` and secret.
    pub fn new(identifier: impl Into<String>, secret: SecretKey) -> Self {
        Self {
            identifier: identifier.into(),
            secret,
        }
    }

    /// The SCT identifier.
    pub fn identifier(&self) -> &str {
        &self.identifier
    }
}

struct OneSecret {
    identifier: String,
    secret: SecretKey,
}

impl KeyResolver for OneSecret {
    fn sct_secret(
        &self,
        identifier: &str,
        _instance: Option<&str>,
    ) -> Result<SecretKey, ResolveError> {
        if identifier == self.identifier {
            Ok(self.secret.clone())
        } else {
            Err(ResolveError::Unknown)
        }
    }
}

impl TokenProvider for PreEstablished {
    fn token_for<'a>(
        &'a self,
        _endpoint: &'a str,
    ) -> BoxFuture<'a, Result<ProvidedToken, RuntimeError>> {
        Box::pin(async move {
            Ok(ProvidedToken {
                sct: SecurityContextToken {
                    version: ScVersion::V200512,
                    identifier: self.identifier.clone(),
                    instance: None,
                    wsu_id: None,
                },
                secret: self.secret.clone(),
            })
        })
    }

    fn resolver(&self) -> Arc<dyn KeyResolver + Send + Sync> {
        Arc::new(OneSecret {
            identifier: self.identifier.clone(),
            secret: self.secret.clone(),
        })
    }

    fn describe(&self) -> String {
        format!("pre-established SCT {}", self.identifier)
    }
}

/// Several providers as one, in order: the server of `wsrx serve` with pre-established
/// SCTs (one per peer) and a WS-Trust token service at once.
///
/// Keys resolve through each provider in turn (the first that knows the identifier
/// wins; several providers claiming one identifier is a configuration error the caller
/// avoids). Which token a sequence is bound to is still checked by the RM runtime, so a
/// peer holding one of the contexts cannot act on sequences bound to another.
/// `token_for` answers with the first provider that has a token; WS-Trust requests go to
/// the first provider that answers them; recovery changes are gathered from all, and
/// recovered tokens offered to all.
#[derive(Clone)]
pub struct Combined {
    providers: Vec<Arc<dyn TokenProvider>>,
}

impl fmt::Debug for Combined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Combined")
            .field("providers", &self.describe())
            .finish()
    }
}

impl Combined {
    /// The providers, in the order they are asked.
    pub fn new(providers: Vec<Arc<dyn TokenProvider>>) -> Self {
        Self { providers }
    }
}

struct AnyResolver(Vec<Arc<dyn KeyResolver + Send + Sync>>);

impl KeyResolver for AnyResolver {
    fn sct_secret(
        &self,
        identifier: &str,
        instance: Option<&str>,
    ) -> Result<SecretKey, ResolveError> {
        let mut refusal = ResolveError::Unknown;
        for r in &self.0 {
            match r.sct_secret(identifier, instance) {
                Ok(k) => return Ok(k),
                Err(ResolveError::Unknown) => {}
                // A provider that knows the token but refuses it (expired, cancelled)
                // says more than the ones that do not know it.
                Err(e) => refusal = e,
            }
        }
        Err(refusal)
    }

    fn current_instance(&self, identifier: &str) -> Option<String> {
        self.0.iter().find_map(|r| r.current_instance(identifier))
    }
}

impl TokenProvider for Combined {
    fn token_for<'a>(
        &'a self,
        endpoint: &'a str,
    ) -> BoxFuture<'a, Result<ProvidedToken, RuntimeError>> {
        Box::pin(async move {
            let mut last = RuntimeError::Token("no token provider configured".into());
            for p in &self.providers {
                match p.token_for(endpoint).await {
                    Ok(t) => return Ok(t),
                    Err(e) => last = e,
                }
            }
            Err(last)
        })
    }

    fn resolver(&self) -> Arc<dyn KeyResolver + Send + Sync> {
        Arc::new(AnyResolver(
            self.providers.iter().map(|p| p.resolver()).collect(),
        ))
    }

    fn describe(&self) -> String {
        self.providers
            .iter()
            .map(|p| p.describe())
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn answer_trust(
        &self,
        request: &wsrx_xml::Document,
        now: std::time::SystemTime,
        peer: &Peer,
    ) -> Option<TrustAnswer> {
        self.providers
            .iter()
            .find_map(|p| p.answer_trust(request, now, peer))
    }

    fn take_changes(&self) -> Vec<crate::recovery::TokenChange> {
        self.providers
            .iter()
            .flat_map(|p| p.take_changes())
            .collect()
    }

    fn adopt(&self, tokens: Vec<wsrx_sc::EstablishedSct>) {
        for p in &self.providers {
            p.adopt(tokens.clone());
        }
    }

    fn lost(&self, identifier: &str) -> Option<String> {
        self.providers.iter().find_map(|p| p.lost(identifier))
    }

    fn forget(&self, identifier: &str) -> bool {
        // Every provider is told (not only the first that held it).
        let mut held = false;
        for p in &self.providers {
            held |= p.forget(identifier);
        }
        held
    }

    /// The first provider's signal: the others' changes are still committed and their
    /// losses checked with every drain, only not prompted.
    fn changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        self.providers.iter().find_map(|p| p.changes())
    }
}
