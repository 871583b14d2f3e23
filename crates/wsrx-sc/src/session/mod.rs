//! The initiator side: a sans-IO [`Session`] that obtains, renews and cancels one
//! security context per endpoint (steps 1 and 2 of the RM-over-SC flow, spec-facts §3.2).
//!
//! # Call order (house-style §2)
//! Inputs: [`Session::token_for`], [`Session::handle_rstr`], [`Session::handle_timeout`],
//! [`Session::shutdown`]. After each, drain in this order: [`Session::poll_persist`]
//! (make the [`SctRecord`]s durable, sealed with [`crate::sealed::seal`], *before* using
//! the token), [`Session::poll_transmit`], [`Session::poll_event`], then arm a timer for
//! [`Session::poll_timeout`].
//!
//! # Establishment is single-flight
//! `token_for(endpoint, now)` returns [`TokenFor::Ready`] with the live context's
//! identifier, or [`TokenFor::Pending`]; only the first caller without a live context
//! starts an Issue RST, every caller until the RSTR arrives gets `Pending`, and one RST
//! goes out. A lost request is given up after `response_timeout`
//! ([`SessionEvent::EstablishFailed`]); the next `token_for` starts again.
//!
//! # Renewal, loss and the binding rule
//! A context handed out by `token_for` since its last (re)issue is *in use*; from
//! `renew_before` ahead of its expiry, `handle_timeout` sends a Renew RST signed with its
//! current key. A renewal keeps the Identifier (so RM sequences bound to it stay bound)
//! and brings a new key and Instance ([`SctRecord::Renewed`], [`SessionEvent::Renewed`]).
//!
//! **Rule:** a sequence bound to a context never moves silently to another one. When a
//! context ends other than by our own cancel (renewal refused, expiry without renewal),
//! the session emits [`SessionEvent::TokenLost`] with the identifier and the reason, and
//! an [`SctRecord::Ended`]; the RM runtime must fail or terminate the sequences bound to
//! that identifier. Only a later `token_for` establishes a new context, with a new
//! identifier, for new sequences.
//!
//! # Shutdown
//! [`Session::shutdown`] stops handing out tokens and, if `cancel_on_shutdown`, sends a
//! signed Cancel RST for each live context.

mod request;

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, SystemTime};

use wsrx_crypto::{SecretKey, SecureRandom};
use wsrx_security::SignConfig;
use wsrx_soap::{SoapVersion, WsaVersion};

use crate::auth::UsernameToken;
use crate::bootstrap::X509Bootstrap;
use crate::dialect::{Dialect, RequestType};
use crate::entropy::EntropyMode;
use crate::error::{LocalError, TrustFault};
use crate::sct::EstablishedSct;

/// Session settings (shared by every endpoint of the session).
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// WS-SC / WS-Trust dialect.
    pub dialect: Dialect,
    /// SOAP version of the RST messages.
    pub soap: SoapVersion,
    /// WS-Addressing version of the RST messages.
    pub wsa: WsaVersion,
    /// Key agreement (default combined entropy, as WCF).
    pub entropy: EntropyMode,
    /// Key size asked for, in bits (default 256).
    pub key_size_bits: u32,
    /// Lifetime to ask for (`None` = the issuer's default); also the assumed lifetime
    /// when a response carries none.
    pub lifetime: Option<Duration>,
    /// Renew a context in use this long before it expires (default 60 s).
    pub renew_before: Duration,
    /// Give up on a request after this long without a response (default 30 s).
    pub response_timeout: Duration,
    /// Cancel live contexts on [`Session::shutdown`] (default true).
    pub cancel_on_shutdown: bool,
    /// Bootstrap credentials put in the Issue RST.
    pub credentials: Option<UsernameToken>,
    /// X.509 bootstrap credential: when set, the Issue RST is signed with it (RSA-SHA256 over
    /// Body, Timestamp and WS-A headers, the certificate in a BinarySecurityToken) and
    /// `xenc:EncryptedKey` proof tokens and entropy in the answer are decrypted with its key.
    /// Takes the place of `credentials` in the Issue RST when both are set.
    pub x509: Option<std::sync::Arc<wsrx_security::X509Credential>>,
    /// X.509 symmetric bootstrap ([`crate::bootstrap`]): the token service's certificate. When
    /// set, the Issue RST goes protected with an ephemeral key encrypted to it, and the answer
    /// must come back protected with that key. Takes the place of `credentials` and `x509`.
    pub server_certificate: Option<std::sync::Arc<wsrx_security::Certificate>>,
    /// How the X.509 symmetric bootstrap protects the RST and RSTR (suite, parts, reference).
    pub bootstrap: X509Bootstrap,
    /// How Renew/Cancel/Amend requests are signed with the context.
    pub sign: SignConfig,
    /// The protection policy of the endpoint the context serves (its effective WS-SP
    /// binding), when the runtime has one: Renew, Cancel and Amend are then protected by it
    /// in place of `sign`. WS-SP 1.2 §5.4.7 scopes `sp:BootstrapPolicy` to the exchange that
    /// issues the token; the requests proven by the token afterwards (WS-SC 1.4 §6 Cancel,
    /// §7 Renew, §8 Amend) go to the endpoint and travel under its binding like any other
    /// message, which is what CXF and Metro require of them (Metro refuses a Cancel without
    /// the endpoint's encrypted Body and signature: `WSS0206`).
    pub policy: Option<wsrx_security::ProtectionPolicy>,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            dialect: Dialect::V13,
            soap: SoapVersion::V12,
            wsa: WsaVersion::V10,
            entropy: EntropyMode::Combined,
            key_size_bits: 256,
            lifetime: None,
            renew_before: Duration::from_secs(60),
            response_timeout: Duration::from_secs(30),
            cancel_on_shutdown: true,
            credentials: None,
            x509: None,
            server_certificate: None,
            bootstrap: X509Bootstrap::default(),
            sign: SignConfig::default(),
            policy: None,
        }
    }
}

/// The answer of [`Session::token_for`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenFor {
    /// A live context: its identifier.
    Ready(String),
    /// Being established; ask again after the next [`SessionEvent`].
    Pending,
}

/// An outbound RST to send to `endpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Destination address.
    pub endpoint: String,
    /// `wsa:Action`.
    pub action: String,
    /// `wsa:MessageID` (the response's RelatesTo).
    pub message_id: String,
    /// The envelope text.
    pub envelope: String,
}

/// A record to make durable before acting on what follows (sealed by the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SctRecord {
    /// A new context.
    New(EstablishedSct),
    /// A context's new key and instance (replaces the previous record).
    Renewed(EstablishedSct),
    /// The context is over (cancelled by us or lost): delete its record.
    Ended {
        /// Its identifier.
        identifier: String,
    },
}

/// Why a context was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossReason {
    /// It expired without being renewed (not in use, or no answer in time).
    Expired,
    /// The issuer refused the renewal with this fault.
    RenewRefused(TrustFault),
    /// The renewal response could not be used.
    BadResponse(&'static str),
}

/// What happened, for the application and the RM runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// A context is ready for `endpoint`.
    Established {
        /// The endpoint.
        endpoint: String,
        /// Its identifier.
        identifier: String,
    },
    /// Establishment failed; the next `token_for` tries again.
    EstablishFailed {
        /// The endpoint.
        endpoint: String,
        /// The issuer's fault, if it answered with one (`None` = timeout or bad response).
        fault: Option<TrustFault>,
    },
    /// The context got a new key and instance; same identifier.
    Renewed {
        /// Its identifier.
        identifier: String,
        /// The new instance.
        instance: Option<String>,
    },
    /// The context is gone: sequences bound to it must be failed (module rule).
    TokenLost {
        /// Its identifier.
        identifier: String,
        /// Why.
        reason: LossReason,
    },
    /// The issuer confirmed our Cancel.
    Cancelled {
        /// Its identifier.
        identifier: String,
    },
}

/// Misuse of the session, or an input that is not ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The session was shut down.
    #[error("session shut down")]
    ShutDown,
    /// A response that answers none of our requests, or is not a SOAP envelope.
    #[error("unexpected response: {0}")]
    Unexpected(&'static str),
    /// A local failure (randomness, writer).
    #[error(transparent)]
    Local(#[from] LocalError),
}

#[derive(Debug)]
struct Pending {
    message_id: String,
    kind: RequestType,
    entropy: Option<SecretKey>,
    deadline: SystemTime,
    /// How the answer must come back protected.
    sealed: Sealed,
}

/// How the answer to a pending request must be protected.
#[derive(Debug)]
enum Sealed {
    /// As it comes (over TLS, or an answer with nothing secret: Cancel, Amend).
    No,
    /// Under the X.509 bootstrap's ephemeral key.
    Bootstrap(crate::bootstrap::EphemeralKey),
    /// Encrypted and signed under the context itself (a Renew over plain HTTP).
    Context(EstablishedSct),
    /// An answer with nothing secret to a request whose Body went encrypted under the
    /// endpoint's policy ([`SessionConfig::policy`]): decrypted under the context when it
    /// comes encrypted (Metro answers a Cancel under the endpoint's policy), read as it comes
    /// otherwise (CXF answers it signed with the context, in clear).
    Readable(EstablishedSct),
}

#[derive(Debug, Default)]
struct Slot {
    token: Option<EstablishedSct>,
    in_use: bool,
    pending: Option<Pending>,
}

/// The initiator's contexts, one per endpoint ([module docs](self)).
#[derive(Debug)]
pub struct Session<R> {
    config: SessionConfig,
    rng: R,
    slots: BTreeMap<String, Slot>,
    transmits: VecDeque<Transmit>,
    persist: VecDeque<SctRecord>,
    events: VecDeque<SessionEvent>,
    shut_down: bool,
}

impl<R: SecureRandom> Session<R> {
    /// A session with no contexts.
    pub fn new(config: SessionConfig, rng: R) -> Self {
        Self {
            config,
            rng,
            slots: BTreeMap::new(),
            transmits: VecDeque::new(),
            persist: VecDeque::new(),
            events: VecDeque::new(),
            shut_down: false,
        }
    }

    /// The settings.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The live context of `endpoint`, for signing with [`wsrx_security::Signer`].
    pub fn context(&self, endpoint: &str, now: SystemTime) -> Option<&EstablishedSct> {
        self.slots
            .get(endpoint)?
            .token
            .as_ref()
            .filter(|t| t.is_live(now))
    }

    /// Restores contexts from durable records at start-up (already unsealed).
    pub fn restore(&mut self, tokens: impl IntoIterator<Item = EstablishedSct>) {
        for t in tokens {
            let slot = self.slots.entry(t.endpoint.clone()).or_default();
            slot.token = Some(t);
        }
    }

    /// The identifier of `endpoint`'s live context, or `Pending` while one is being
    /// established (starting the single Issue request if none is under way).
    ///
    /// # Errors
    /// [`SessionError::ShutDown`]; [`SessionError::Local`] without randomness.
    pub fn token_for(&mut self, endpoint: &str, now: SystemTime) -> Result<TokenFor, SessionError> {
        if self.shut_down {
            return Err(SessionError::ShutDown);
        }
        self.expire(endpoint, now);
        let slot = self.slots.entry(endpoint.to_owned()).or_default();
        if let Some(t) = &slot.token {
            slot.in_use = true;
            return Ok(TokenFor::Ready(t.identifier.clone()));
        }
        if slot
            .pending
            .as_ref()
            .is_some_and(|p| p.kind == RequestType::Issue)
        {
            return Ok(TokenFor::Pending);
        }
        self.send_issue(endpoint, now)?;
        Ok(TokenFor::Pending)
    }

    /// Drops `endpoint`'s context if it has expired, reporting the loss.
    fn expire(&mut self, endpoint: &str, now: SystemTime) {
        let Some(slot) = self.slots.get_mut(endpoint) else {
            return;
        };
        if let Some(t) = slot.token.take_if(|t| now >= t.expires) {
            slot.in_use = false;
            if slot
                .pending
                .as_ref()
                .is_some_and(|p| p.kind != RequestType::Issue)
            {
                slot.pending = None;
            }
            self.lose(t.identifier, LossReason::Expired);
        }
    }

    fn lose(&mut self, identifier: String, reason: LossReason) {
        self.persist.push_back(SctRecord::Ended {
            identifier: identifier.clone(),
        });
        self.events
            .push_back(SessionEvent::TokenLost { identifier, reason });
    }

    /// Timers: request timeouts, proactive renewal of contexts in use, expiry.
    ///
    /// # Errors
    /// [`SessionError::Local`] when a renewal cannot be built (randomness).
    pub fn handle_timeout(&mut self, now: SystemTime) -> Result<(), SessionError> {
        let endpoints: Vec<String> = self.slots.keys().cloned().collect();
        for endpoint in endpoints {
            self.expire(&endpoint, now);
            let Some(slot) = self.slots.get_mut(&endpoint) else {
                continue;
            };
            if let Some(p) = slot.pending.take_if(|p| now >= p.deadline)
                && p.kind == RequestType::Issue
            {
                self.events.push_back(SessionEvent::EstablishFailed {
                    endpoint: endpoint.clone(),
                    fault: None,
                });
            }
            let Some(slot) = self.slots.get(&endpoint) else {
                continue;
            };
            let due = slot.token.as_ref().is_some_and(|t| now >= self.renew_at(t));
            if due && slot.in_use && slot.pending.is_none() && !self.shut_down {
                self.send_signed(&endpoint, RequestType::Renew, Vec::new(), now)?;
            }
        }
        Ok(())
    }

    fn renew_at(&self, t: &EstablishedSct) -> SystemTime {
        t.expires
            .checked_sub(self.config.renew_before)
            .unwrap_or(t.created)
            .max(t.created)
    }

    /// The next instant [`Session::handle_timeout`] has work.
    pub fn poll_timeout(&self) -> Option<SystemTime> {
        self.slots
            .values()
            .flat_map(|s| {
                let pending = s.pending.as_ref().map(|p| p.deadline);
                let token = s.token.as_ref().map(|t| {
                    if s.in_use && s.pending.is_none() {
                        self.renew_at(t)
                    } else {
                        t.expires
                    }
                });
                [pending, token]
            })
            .flatten()
            .min()
    }

    /// Stops handing out contexts and cancels live ones if configured.
    ///
    /// # Errors
    /// [`SessionError::Local`] when a Cancel cannot be built.
    pub fn shutdown(&mut self, now: SystemTime) -> Result<(), SessionError> {
        self.shut_down = true;
        if !self.config.cancel_on_shutdown {
            return Ok(());
        }
        let live: Vec<String> = self
            .slots
            .iter()
            .filter(|(_, s)| s.token.as_ref().is_some_and(|t| t.is_live(now)))
            .map(|(e, _)| e.clone())
            .collect();
        for endpoint in live {
            self.send_signed(&endpoint, RequestType::Cancel, Vec::new(), now)?;
        }
        Ok(())
    }

    /// The next record to make durable.
    pub fn poll_persist(&mut self) -> Option<SctRecord> {
        self.persist.pop_front()
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }
}

#[cfg(test)]
mod tests;
