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
    /// `(action, envelope)`, when this provider runs one; `None` otherwise.
    fn answer_trust(
        &self,
        _request: &wsrx_xml::Document,
        _now: std::time::SystemTime,
    ) -> Option<(String, String)> {
        None
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
        "pre-established SCT (WS-Trust session arrives with wsrx-sc)".to_owned()
    }
}
