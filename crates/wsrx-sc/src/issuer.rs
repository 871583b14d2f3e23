//! The recipient side: a sans-IO token service answering RST/SCT messages.
//!
//! [`Issuer::handle_message`] takes a parsed request (and `now`, and what the transport
//! was) and always returns a [`Reply`]: the response envelope text (an RSTR or a fault)
//! and what happened. Nothing here reads a clock, a socket or OS randomness; the random
//! source is owned by the issuer (house-style §2).
//!
//! - **Issue** (WS-SC 1.4 §3): the [`BootstrapAuthenticator`] must accept the request,
//!   else `wst:FailedAuthentication` and no token. The key follows the entropy mode
//!   ([`crate::EntropyMode`], WS-Trust 1.3 §4.4.3). Identifier: a fresh `urn:uuid:` v4.
//!   Lifetime: the requested `Expires` capped at `max_lifetime`, else `default_lifetime`.
//! - **Renew** (§4): signed with the current key of the target context (checked by
//!   `wsrx-security`'s [`Verifier`] against this store and a [`Policy`] naming the
//!   target); same Identifier, new key, new `wsc:Instance`, new lifetime. The previous
//!   instance stops resolving at once. An expired context answers `wsc:UnableToRenew`.
//! - **Cancel** (§6): signed by the target; later use resolves as expired
//!   (`wsc:BadContextToken`) until swept.
//! - **Amend** (WS-SC 1.3/1.4 §5, 200512 dialect only): accepted only from the holder
//!   (signed with the context's current key). It is kept minimal: the `wst:Claims`
//!   children of the request are appended to the context's claim set, and a requested
//!   `Lifetime/Expires` extends the lifetime up to `max_lifetime` from the original
//!   issue. Key and instance are unchanged. An expired context answers `wsc:RenewNeeded`.
//!
//! The 1.3 dialect wraps the RSTR of an Issue in a collection. How answers are protected
//! and which requests are refused for putting key material in clear: `issuer/channel.rs` (answers to
//! X.509 bootstrap requests sealed with their ephemeral key, answers to a holder's Renew,
//! Cancel or Amend signed with its context, a Renew over plain HTTP encrypted under it,
//! every other answer with a Timestamp; `docs/trust.md`). With a mutual X.509
//! authenticator ([`crate::X509Authenticator`]) the proof token and the issuer's entropy go
//! as `xenc:EncryptedKey`s for the requester's certificate.

use std::time::{Duration, SystemTime};

use wsrx_crypto::SecureRandom;
use wsrx_security::{
    Policy, ReplayCache, ResolveError, SecurityError, SecurityTokenReference, SignConfig,
    TokenReference, Verifier, VerifyConfig,
};
use wsrx_soap::{AddressingHeaders, Envelope};
use wsrx_xml::Document;

use crate::auth::{Authenticated, BootstrapAuthenticator, Principal, Transport};
use crate::bootstrap::{ANONYMOUS_PRINCIPAL, X509Bootstrap};
use crate::dialect::{Dialect, RequestType, WSU};
use crate::entropy::{IssuedKey, KeyPolicy, issue_key};
use crate::error::TrustFault;
use crate::sct::SCT_WSU_ID;
use crate::store::{ContextInfo, ContextStatus, StoreResolver, TokenStore};
use crate::trust::{Lifetime, Rst, Rstr};
use crate::util::new_uuid_urn;

mod channel;
pub use channel::timestamp_header;
use channel::{Answer, CLEAR_KEY_MATERIAL, Channel, check_issue_secrecy};

/// Issuer settings.
#[derive(Debug, Clone)]
pub struct IssuerConfig {
    /// Lifetime when the request asks for none (default 1 hour).
    pub default_lifetime: Duration,
    /// Longest lifetime granted, from issue or renewal (default 10 hours).
    pub max_lifetime: Duration,
    /// Key size when the request names none, in bits (default 256).
    pub default_key_size_bits: u32,
    /// Smallest key accepted or issued, in bits (default 128).
    pub min_key_size_bits: u32,
    /// Use a requester's SymmetricKey entropy as the key (default true).
    pub accept_requester_key: bool,
    /// Offer combined entropy (computed keys) when asked (default true).
    pub combined_entropy: bool,
    /// How long dead contexts are kept before [`Issuer::sweep`] forgets them (default 1 hour).
    pub retention: Duration,
    /// Checks on signed Renew/Cancel/Amend requests, and on the Timestamp every request must
    /// carry (WSS 1.1 §10: required by default, 5 minutes of skew).
    pub verify: VerifyConfig,
    /// The service's own certificate and key, for the X.509 symmetric bootstrap
    /// ([`crate::bootstrap`]); `None` refuses such requests.
    pub x509: Option<X509Service>,
    /// How answers encrypted under a context (a Renew over plain HTTP) are protected.
    pub sign: SignConfig,
    /// Most Issue requests of the X.509 bootstrap remembered against replay (each for the
    /// life of its Timestamp plus skew).
    pub replay_capacity: usize,
}

/// The token service's identity for the X.509 symmetric bootstrap.
#[derive(Debug, Clone)]
pub struct X509Service {
    /// Its certificate and private key (the key decrypts the requesters' ephemeral keys).
    pub credential: std::sync::Arc<wsrx_security::X509Credential>,
    /// How requests and answers are protected.
    pub bootstrap: X509Bootstrap,
}

impl Default for IssuerConfig {
    fn default() -> Self {
        Self {
            default_lifetime: Duration::from_secs(3600),
            max_lifetime: Duration::from_secs(36_000),
            default_key_size_bits: 256,
            min_key_size_bits: 128,
            accept_requester_key: true,
            combined_entropy: true,
            retention: Duration::from_secs(3600),
            verify: VerifyConfig::default(),
            x509: None,
            sign: SignConfig::default(),
            replay_capacity: 100_000,
        }
    }
}

/// What a request achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new context was issued to `principal`.
    Issued {
        /// Its identifier.
        identifier: String,
        /// Who obtained it.
        principal: String,
    },
    /// The context got a new key and instance.
    Renewed {
        /// Its identifier.
        identifier: String,
        /// The new instance.
        instance: String,
    },
    /// The context was cancelled.
    Cancelled {
        /// Its identifier.
        identifier: String,
    },
    /// Claims or lifetime were amended.
    Amended {
        /// Its identifier.
        identifier: String,
    },
}

/// The answer to one request: the envelope to send back and the result.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Response envelope text: an RSTR, or a fault for a refused request.
    pub envelope: String,
    /// What happened, or why the request was refused.
    pub outcome: Result<Outcome, TrustFault>,
}

/// The token service ([module docs](self)).
#[derive(Debug)]
pub struct Issuer<A, R> {
    config: IssuerConfig,
    auth: A,
    rng: R,
    store: TokenStore,
    replay: ReplayCache,
}

impl<A: BootstrapAuthenticator, R: SecureRandom> Issuer<A, R> {
    /// An issuer with an empty store.
    pub fn new(config: IssuerConfig, auth: A, rng: R) -> Self {
        let store = TokenStore::new(config.retention);
        let window = config.verify.clock_skew.saturating_mul(2) + Duration::from_secs(300);
        let replay = ReplayCache::new(config.replay_capacity.max(1), window);
        Self {
            config,
            auth,
            rng,
            store,
            replay,
        }
    }

    /// The contexts issued so far.
    pub fn store(&self) -> &TokenStore {
        &self.store
    }

    /// A [`wsrx_security::KeyResolver`] over the store as of `now`, for verifying
    /// application messages secured with the contexts issued here.
    pub fn resolver(&self, now: SystemTime) -> StoreResolver<'_> {
        self.store.resolver(now)
    }

    /// Takes back contexts issued before a restart (read from the runtime's store): each is
    /// active again until its `Expires`, so its holder can Renew or Cancel it and messages
    /// under it verify. A cancelled context was deleted from the store and is not restored:
    /// it stays refused. Entries already held are not replaced.
    pub fn restore(&mut self, contexts: impl IntoIterator<Item = crate::EstablishedSct>) {
        for t in contexts {
            if self.store.info(&t.identifier).is_some() {
                continue;
            }
            let info = ContextInfo {
                identifier: t.identifier.clone(),
                instance: t.instance.clone(),
                created: t.created,
                expires: t.expires,
                version: t.version,
                principal: t.endpoint.clone(),
                claims: Vec::new(),
                cancelled_at: None,
            };
            self.store.insert(info, t.secret);
        }
    }

    /// Cancels the context `identifier` at `now` on the operator's word (the admin API),
    /// as a holder's Cancel would (WS-SC 1.4 §6): from then on it is refused, and it is
    /// swept after the retention period. Returns whether it was active here.
    pub fn revoke(&mut self, identifier: &str, now: SystemTime) -> bool {
        if self.store.status(identifier, now) != ContextStatus::Active {
            return false;
        }
        match self.store.info_mut(identifier) {
            Some(info) => {
                info.cancelled_at = Some(now);
                true
            }
            None => false,
        }
    }

    /// Forgets contexts dead for longer than the retention period.
    pub fn sweep(&mut self, now: SystemTime) -> usize {
        self.store.sweep(now)
    }

    /// Handles one request envelope received at `now` over `transport`.
    ///
    /// Order: an X.509 bootstrap request is decrypted and verified first
    /// ([`crate::bootstrap`]); a request encrypted under one of our contexts (a Renew over
    /// plain HTTP) is decrypted with it; then the RST is read, its Timestamp checked (unless
    /// the bootstrap already did), and the request dispatched. The answer to a request opened
    /// under the bootstrap is protected with its ephemeral key, fault or not; every other
    /// answer carries a `wsse:Security` header with a fresh `wsu:Timestamp` (WS-SP 1.2 §6.2
    /// `IncludeTimestamp` of the bootstrap policies CXF and Metro use).
    pub fn handle_message(
        &mut self,
        now: SystemTime,
        doc: &Document,
        transport: Transport,
    ) -> Reply {
        let plain;
        let (doc, channel) = match self.unwrap_request(doc, now) {
            Ok(None) => (doc, Channel::Clear(transport)),
            Ok(Some((d, c))) => {
                plain = d;
                (&plain, c)
            }
            Err(f) => return self.refuse_unread(doc, f, now),
        };
        let Ok(env) = Envelope::new(doc) else {
            return self.refuse_unread(doc, TrustFault::InvalidRequest("not a SOAP envelope"), now);
        };
        let headers = AddressingHeaders::parse(&env).ok().flatten();
        let action = headers.as_ref().and_then(|h| h.action.clone());
        let parsed = env
            .payload()
            .ok_or(TrustFault::InvalidRequest("empty Body"))
            .and_then(|p| Rst::parse(p, action.as_deref()).map_err(TrustFault::from));
        let rst = match parsed {
            Ok(rst) => rst,
            Err(f) => {
                let answer = Answer {
                    soap: env.version(),
                    headers: headers.as_ref(),
                    channel: &channel,
                    now,
                };
                return self.answer(&answer, Dialect::V13, RequestType::Issue, Err(f));
            }
        };
        // The holder's context as it is now, to sign the answer to its Renew, Cancel or
        // Amend with (Metro's client requires a signed answer; the key is gone once cancelled).
        let holder = self.holder_channel(doc, &rst, &channel, now);
        let dialect = rst.dialect;
        let expected_action = dialect.rst_action(rst.request_type);
        let result = if action.is_some() && action != expected_action {
            Err(TrustFault::InvalidRequest(
                "action does not match the request",
            ))
        } else if let Err(f) = self.check_timestamp(&env, &channel, now) {
            Err(f)
        } else {
            match rst.request_type {
                RequestType::Issue => self.issue(&env, &rst, now, &channel),
                RequestType::Renew => self.renew(doc, &rst, now, &channel),
                RequestType::Cancel => self.cancel(doc, &rst, now),
                RequestType::Amend => self.amend(doc, &rst, now),
            }
        };
        let channel = match (&result, holder) {
            (Ok(_), Some(signed)) => signed,
            _ => channel,
        };
        let answer = Answer {
            soap: env.version(),
            headers: headers.as_ref(),
            channel: &channel,
            now,
        };
        self.answer(&answer, dialect, rst.request_type, result)
    }

    fn key_policy(&self) -> KeyPolicy {
        KeyPolicy {
            default_bits: self.config.default_key_size_bits,
            min_bits: self.config.min_key_size_bits,
            accept_requester_key: self.config.accept_requester_key,
            combine: self.config.combined_entropy,
        }
    }

    /// The granted `Expires`: the requested one capped at `start + max_lifetime`.
    fn expires(&self, rst: &Rst, start: SystemTime) -> SystemTime {
        let cap = start + self.config.max_lifetime;
        match rst.lifetime.and_then(|l| l.expires) {
            Some(x) if x > start => x.min(cap),
            _ => start + self.config.default_lifetime.min(self.config.max_lifetime),
        }
    }

    fn issue(
        &mut self,
        env: &Envelope<'_>,
        rst: &Rst,
        now: SystemTime,
        channel: &Channel,
    ) -> Result<(Rstr, Outcome), TrustFault> {
        // Before authenticating, so a refusal consumes nothing (a digest's nonce).
        check_issue_secrecy(rst, channel, self.auth.encrypts_answers())?;
        let auth = match channel {
            // The X.509 bootstrap authenticates the service, not the requester (WCF's
            // AnonymousForCertificate; the CXF and Metro profiles carry no supporting token).
            Channel::Bootstrap(_) => Authenticated {
                principal: Principal(ANONYMOUS_PRINCIPAL.to_owned()),
                recipient: None,
            },
            Channel::Clear(transport) => self.auth.authenticate_request(env, *transport, now)?,
            Channel::Context { .. } | Channel::Holder { .. } => {
                return Err(TrustFault::InvalidRequest(
                    "Issue encrypted under a context",
                ));
            }
        };
        if !channel.confidential() && auth.recipient.is_none() {
            return Err(CLEAR_KEY_MATERIAL);
        }
        let principal = auth.principal;
        if rst
            .token_type
            .as_deref()
            .is_some_and(|t| t != rst.dialect.token_type())
        {
            return Err(TrustFault::BadRequest("unsupported TokenType"));
        }
        let key = issue_key(rst, self.key_policy(), &mut self.rng)?;
        let identifier = new_uuid_urn(&mut self.rng)
            .map_err(|_| TrustFault::RequestFailed("randomness unavailable"))?;
        let expires = self.expires(rst, now);
        let info = ContextInfo {
            identifier: identifier.clone(),
            instance: None,
            created: now,
            expires,
            version: rst.dialect.sc_version(),
            principal: principal.0.clone(),
            claims: Vec::new(),
            cancelled_at: None,
        };
        let mut rstr = token_response(rst, &info, key_parts(&key), now);
        if let Some(cert) = &auth.recipient {
            encrypt_for(&mut rstr, cert, &mut self.rng)?;
        }
        self.store.insert(info, key.secret);
        Ok((
            rstr,
            Outcome::Issued {
                identifier,
                principal: principal.0,
            },
        ))
    }

    fn renew(
        &mut self,
        doc: &Document,
        rst: &Rst,
        now: SystemTime,
        channel: &Channel,
    ) -> Result<(Rstr, Outcome), TrustFault> {
        let identifier = self.authorize_holder(doc, rst, now, TrustFault::UnableToRenew)?;
        // The new key's entropies travel in the request and the answer: only over TLS, or
        // encrypted under the very context being renewed (channel module docs).
        match channel {
            Channel::Context { sct, .. } if sct.identifier != identifier => {
                return Err(TrustFault::FailedAuthentication);
            }
            Channel::Clear(Transport::Unprotected) => return Err(CLEAR_KEY_MATERIAL),
            Channel::Bootstrap(_) => {
                return Err(TrustFault::InvalidRequest("Renew under the bootstrap"));
            }
            _ => {}
        }
        let key = issue_key(rst, self.key_policy(), &mut self.rng)?;
        let instance = new_uuid_urn(&mut self.rng)
            .map_err(|_| TrustFault::RequestFailed("randomness unavailable"))?;
        let expires = self.expires(rst, now);
        self.store
            .renew(&identifier, instance.clone(), key.secret.clone(), expires);
        let info = self
            .store
            .info(&identifier)
            .ok_or(TrustFault::BadContextToken)?;
        let rstr = token_response(rst, info, key_parts(&key), now);
        Ok((
            rstr,
            Outcome::Renewed {
                identifier,
                instance,
            },
        ))
    }

    fn cancel(
        &mut self,
        doc: &Document,
        rst: &Rst,
        now: SystemTime,
    ) -> Result<(Rstr, Outcome), TrustFault> {
        let identifier = self.authorize_holder(doc, rst, now, TrustFault::BadContextToken)?;
        if let Some(info) = self.store.info_mut(&identifier) {
            info.cancelled_at = Some(now);
        }
        let mut rstr = Rstr::new(rst.dialect);
        rstr.context = rst.context.clone();
        rstr.cancelled = true;
        Ok((rstr, Outcome::Cancelled { identifier }))
    }

    fn amend(
        &mut self,
        doc: &Document,
        rst: &Rst,
        now: SystemTime,
    ) -> Result<(Rstr, Outcome), TrustFault> {
        let identifier = self.authorize_holder(doc, rst, now, TrustFault::RenewNeeded)?;
        let max = self.config.max_lifetime;
        let info = self
            .store
            .info_mut(&identifier)
            .ok_or(TrustFault::BadContextToken)?;
        info.claims.extend(rst.claims.iter().cloned());
        if let Some(x) = rst.lifetime.and_then(|l| l.expires) {
            info.expires = info.expires.max(x.min(info.created + max));
        }
        let info = info.clone();
        let mut rstr = token_response(rst, &info, (None, None, None), now);
        rstr.lifetime = Some(Lifetime {
            created: Some(info.created),
            expires: Some(info.expires),
        });
        Ok((rstr, Outcome::Amended { identifier }))
    }

    /// Checks that the request is signed with the current key of its target context
    /// (the RenewTarget/CancelTarget, or for Amend the signing context itself) and that
    /// the context is active. `expired` is the fault for an expired context.
    fn authorize_holder(
        &self,
        doc: &Document,
        rst: &Rst,
        now: SystemTime,
        expired: TrustFault,
    ) -> Result<String, TrustFault> {
        let verifier = Verifier::new(self.config.verify.clone());
        let target = match &rst.target {
            Some(str_ref) => target_identifier(doc, str_ref)?,
            None if rst.request_type == RequestType::Amend => signing_context(doc)?,
            None => return Err(TrustFault::InvalidRequest("no target")),
        };
        match self.store.status(&target, now) {
            ContextStatus::Active => {}
            ContextStatus::Expired => return Err(expired),
            ContextStatus::Unknown | ContextStatus::Cancelled => {
                return Err(TrustFault::BadContextToken);
            }
        }
        let verified = verifier
            .verify(doc, &self.store.resolver(now), now)
            .map_err(|e| match e {
                SecurityError::BadContextToken(ResolveError::Unavailable) => {
                    TrustFault::RequestFailed("store unavailable")
                }
                SecurityError::BadContextToken(_) => TrustFault::BadContextToken,
                _ => TrustFault::FailedAuthentication,
            })?;
        let policy = Policy {
            expected_context: Some(target.clone()),
            ..Policy::default()
        };
        policy
            .check(&verified)
            .map_err(|_| TrustFault::FailedAuthentication)?;
        Ok(target)
    }
}

/// X.509 bootstrap: the key material of an Issue answer goes as `xenc:EncryptedKey`s for the
/// requester's (validated) certificate instead of `wst:BinarySecret`s in the clear (WS-Trust 1.3
/// §4.4.3; RSA-OAEP-MGF1P, XML-Enc §5.4.2): the issuer-chosen key as the proof token, the
/// issuer's entropy of a computed key inside `wst:Entropy`.
fn encrypt_for<R: SecureRandom>(
    rstr: &mut Rstr,
    cert: &wsrx_security::Certificate,
    rng: &mut R,
) -> Result<(), TrustFault> {
    let failed = |_| TrustFault::RequestFailed("encrypting the key failed");
    if let Some(crate::trust::ProofToken::BinarySecret(s)) = &rstr.proof {
        let ek = wsrx_security::EncryptedKey::encrypt(&s.value, cert, rng).map_err(failed)?;
        rstr.proof = Some(crate::trust::ProofToken::EncryptedKey(ek));
    }
    if let Some(e) = rstr.entropy.take() {
        let ek = wsrx_security::EncryptedKey::encrypt(&e.value, cert, rng).map_err(failed)?;
        rstr.encrypted_entropy = Some(ek);
    }
    Ok(())
}

type KeyParts = (
    Option<crate::trust::ProofToken>,
    Option<crate::trust::BinarySecret>,
    Option<u32>,
);

fn key_parts(key: &IssuedKey) -> KeyParts {
    (key.proof.clone(), key.entropy.clone(), key.key_size)
}

/// An RSTR carrying the context's token, references, lifetime and key parts.
fn token_response(
    rst: &Rst,
    info: &ContextInfo,
    (proof, entropy, key_size): KeyParts,
    now: SystemTime,
) -> Rstr {
    let d = rst.dialect;
    let value_type = Some(d.token_type().to_owned());
    let mut rstr = Rstr::new(d);
    rstr.context = rst.context.clone();
    rstr.token_type = value_type.clone();
    rstr.token = Some(wsrx_security::SecurityContextToken {
        version: d.sc_version(),
        identifier: info.identifier.clone(),
        instance: info.instance.clone(),
        wsu_id: Some(SCT_WSU_ID.to_owned()),
    });
    rstr.attached_reference = Some(SecurityTokenReference {
        reference: TokenReference::Local(SCT_WSU_ID.to_owned()),
        value_type: value_type.clone(),
        instance: None,
    });
    rstr.unattached_reference = Some(SecurityTokenReference {
        reference: TokenReference::External(info.identifier.clone()),
        value_type,
        instance: info.instance.clone(),
    });
    rstr.lifetime = Some(Lifetime {
        created: Some(now),
        expires: Some(info.expires),
    });
    rstr.proof = proof;
    rstr.entropy = entropy;
    rstr.key_size = key_size;
    rstr
}

/// The identifier an STR in the request names: directly, or through a local SCT.
fn target_identifier(
    doc: &Document,
    str_ref: &SecurityTokenReference,
) -> Result<String, TrustFault> {
    match &str_ref.reference {
        TokenReference::External(id) => Ok(id.clone()),
        TokenReference::Local(wsu_id) => doc
            .elements()
            .find(|e| {
                e.local_name() == "SecurityContextToken"
                    && e.attribute(Some(WSU), "Id") == Some(wsu_id.as_str())
            })
            .and_then(|e| wsrx_security::SecurityContextToken::parse(e).ok())
            .map(|sct| sct.identifier)
            .ok_or(TrustFault::InvalidRequest("target token not in message")),
        TokenReference::KeyIdentifier { .. } => {
            Err(TrustFault::InvalidRequest("unsupported target reference"))
        }
    }
}

/// For Amend: the context whose key signed the request (the SCT in its security header).
fn signing_context(doc: &Document) -> Result<String, TrustFault> {
    doc.elements()
        .filter(|e| e.local_name() == "SecurityContextToken")
        .find(|e| e.parent().is_some_and(|p| p.local_name() == "Security"))
        .and_then(|e| wsrx_security::SecurityContextToken::parse(e).ok())
        .map(|sct| sct.identifier)
        .ok_or(TrustFault::FailedAuthentication)
}
