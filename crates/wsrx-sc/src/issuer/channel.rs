//! How a request reached the token service and how its answer is protected: the X.509
//! bootstrap ([`crate::bootstrap`]), a request encrypted under one of our contexts, or the
//! message as it came (over TLS or not); the request's Timestamp; the rule that no key
//! material crosses an unprotected channel.
//!
//! **No key material in clear** (WS-Trust 1.3 §4.4: entropy and proof tokens are secrets,
//! to be encrypted unless the channel protects them; WS-SC 1.3 §3: the SCT's key is known only
//! to its parties). A request is refused with `wst:BadRequest` when it reached us over plain
//! HTTP, outside the X.509 bootstrap and not encrypted under the context it renews, and
//! - it carries requester entropy of type `SymmetricKey` (the key itself, in clear), or
//! - its answer would carry the issuer's entropy or proof token in clear: always, unless the
//!   authenticator names a certificate to encrypt them for (mutual X.509), or
//! - it is a Renew (both entropies of the new key would travel in clear).
//!
//! A requester Nonce alone in clear (combined entropy with an encrypted issuer entropy) gives
//! no key: the computed key needs both.

use std::time::{Duration, SystemTime};

use wsrx_crypto::{SecretKey, SecureRandom};
use wsrx_security::{
    SecurityContextToken, SecurityError, SignConfig, Signer, VerifyConfig, parse_datetime,
};
use wsrx_soap::{AddressingHeaders, Envelope, SoapVersion};
use wsrx_xml::{Document, Element, XmlWriter};

use super::{Issuer, Reply};
use crate::auth::{BootstrapAuthenticator, Transport};
use crate::bootstrap::{self, EphemeralKey};
use crate::dialect::{Dialect, RequestType, WSSE, WSU};
use crate::error::TrustFault;
use crate::message::{write_fault, write_response};
use crate::trust::{Rst, Rstr, SecretType};
use crate::util::write_timestamp;

/// Lifetime of the Timestamp of an answer.
const ANSWER_TTL: Duration = Duration::from_secs(300);

/// How a request reached us, which decides how its answer is protected.
#[derive(Debug)]
pub(crate) enum Channel {
    /// As it arrived, over TLS (`Protected`) or not.
    Clear(Transport),
    /// Opened under the X.509 bootstrap: the answer is protected with this key.
    Bootstrap(EphemeralKey),
    /// A Renew, Cancel or Amend that came as it is, from the holder of this context: the
    /// answer is signed with the context's key at the time of the request (as Metro's
    /// client requires; the key of a cancelled context is gone afterwards).
    Holder {
        /// The context (identifier, instance).
        sct: SecurityContextToken,
        /// Its key at the time of the request.
        secret: SecretKey,
    },
    /// Its Body was encrypted under this context's current key (a Renew over plain HTTP):
    /// the answer is encrypted under the same key.
    Context {
        /// The context (identifier, instance).
        sct: SecurityContextToken,
        /// Its key at the time of the request.
        secret: SecretKey,
    },
}

impl Channel {
    /// True when what the request and its answer carry is not readable on the wire.
    pub(crate) fn confidential(&self) -> bool {
        !matches!(
            self,
            Self::Clear(Transport::Unprotected) | Self::Holder { .. }
        )
    }
}

/// What an answer needs to know about its request.
pub(crate) struct Answer<'a, 'd> {
    pub(crate) soap: SoapVersion,
    pub(crate) headers: Option<&'a AddressingHeaders<'d>>,
    pub(crate) channel: &'a Channel,
    pub(crate) now: SystemTime,
}

/// The `wsse:Security` header of an answer outside the bootstrap: a `wsu:Timestamp` (Created
/// `now`, Expires `now + ttl`), mustUnderstand.
pub fn timestamp_header(soap: SoapVersion, now: SystemTime, ttl: Duration) -> String {
    let mut w = XmlWriter::with_prefixes(wsrx_soap::ns::PREFERRED_PREFIXES);
    w.start(Some(WSSE), "Security")
        .attr(Some(soap.namespace()), "mustUnderstand", "1");
    write_timestamp(&mut w, now, ttl);
    w.end();
    w.finish().unwrap_or_default()
}

/// The `wsu:Timestamp` of the request's security header, checked at `now` (WSS 1.1 §10:
/// Created not in the future beyond the skew, Expires not past, Created not older than
/// `max_age`); required when `config.require_timestamp`.
///
/// # Errors
/// [`TrustFault::InvalidRequest`] naming what is wrong.
pub(crate) fn check_request_timestamp(
    env: &Envelope<'_>,
    config: &VerifyConfig,
    now: SystemTime,
) -> Result<(), TrustFault> {
    let mut stamps = env
        .headers_named(WSSE, "Security")
        .flat_map(|s| s.child_elements())
        .filter(|e| e.is(WSU, "Timestamp"));
    let Some(ts) = stamps.next() else {
        return if config.require_timestamp {
            Err(TrustFault::InvalidRequest("no Timestamp"))
        } else {
            Ok(())
        };
    };
    if stamps.next().is_some() {
        return Err(TrustFault::InvalidRequest("several Timestamps"));
    }
    let time = |name: &str| -> Result<Option<SystemTime>, TrustFault> {
        ts.child(WSU, name)
            .map(|e: Element<'_>| {
                crate::util::leaf(e)
                    .and_then(|t| parse_datetime(&t))
                    .ok_or(TrustFault::InvalidRequest("bad Timestamp"))
            })
            .transpose()
    };
    let created =
        time("Created")?.ok_or(TrustFault::InvalidRequest("Timestamp without Created"))?;
    let skew = config.clock_skew;
    let stale = TrustFault::InvalidRequest("Timestamp not fresh");
    if created > now + skew {
        return Err(stale);
    }
    if let Some(expires) = time("Expires")?
        && (expires < created || expires + skew < now)
    {
        return Err(stale);
    }
    if created + config.max_age + skew < now {
        return Err(stale);
    }
    Ok(())
}

/// The no-key-in-clear rule for an Issue (module docs): `encrypts_answer` when the
/// authenticator named a certificate to encrypt the answer's key material for.
pub(crate) fn check_issue_secrecy(
    rst: &Rst,
    channel: &Channel,
    encrypts_answer: bool,
) -> Result<(), TrustFault> {
    if channel.confidential() {
        return Ok(());
    }
    let key_in_clear = rst.entropy.as_ref().is_some_and(|e| {
        e.kind == SecretType::SymmetricKey && rst.computed_key_algorithm.is_none()
    });
    if key_in_clear || !encrypts_answer {
        return Err(CLEAR_KEY_MATERIAL);
    }
    Ok(())
}

/// The refusal of the no-key-in-clear rule.
pub(crate) const CLEAR_KEY_MATERIAL: TrustFault = TrustFault::BadRequest(
    "key material would cross an unprotected channel (use HTTPS or the X.509 bootstrap)",
);

impl<A: BootstrapAuthenticator, R: SecureRandom> Issuer<A, R> {
    /// The plaintext request and its channel, when it needs unwrapping: an X.509 bootstrap
    /// request (it carries an `xenc:EncryptedKey`), or one whose security header lists
    /// encrypted data under one of our contexts. `None` for a request as it came.
    pub(super) fn unwrap_request(
        &mut self,
        doc: &Document,
        now: SystemTime,
    ) -> Result<Option<(Document, Channel)>, TrustFault> {
        let Ok(env) = Envelope::new(doc) else {
            return Ok(None);
        };
        let security: Vec<Element<'_>> = env
            .headers_named(WSSE, "Security")
            .flat_map(|s| s.child_elements())
            .collect();
        let xenc = wsrx_security::ns::XENC;
        if security.iter().any(|e| e.is(xenc, "EncryptedKey")) {
            let Some(service) = &self.config.x509 else {
                return Err(TrustFault::InvalidRequest(
                    "X.509 bootstrap request, but this service has no certificate",
                ));
            };
            let (plain, key) = bootstrap::open_request(
                doc,
                &service.credential,
                &service.bootstrap,
                &mut self.replay,
                now,
                &mut self.rng,
            )?;
            return Ok(Some((plain, Channel::Bootstrap(key))));
        }
        if !security.iter().any(|e| e.is(xenc, "ReferenceList")) {
            return Ok(None);
        }
        let resolver = self.store.resolver(now);
        let decrypted = wsrx_security::decrypt(doc, &resolver)
            .map_err(|_| TrustFault::FailedAuthentication)?
            .ok_or(TrustFault::FailedAuthentication)?;
        let mut keys = decrypted.keys().iter();
        let first = keys.next().ok_or(TrustFault::FailedAuthentication)?;
        if first.encrypted_key.is_some() || keys.any(|k| !k.same_context(first)) {
            return Err(TrustFault::FailedAuthentication);
        }
        let info = self
            .store
            .info(&first.sct_identifier)
            .ok_or(TrustFault::BadContextToken)?;
        let secret = wsrx_security::KeyResolver::sct_secret(
            &resolver,
            &first.sct_identifier,
            first.instance.as_deref(),
        )
        .map_err(|_| TrustFault::BadContextToken)?;
        let sct = SecurityContextToken {
            version: info.version,
            identifier: first.sct_identifier.clone(),
            instance: first.instance.clone(),
            // Not `wsrx-sct`: the RSTR's own RequestedSecurityToken carries that id.
            wsu_id: Some("wsrx-sct-key".to_owned()),
        };
        Ok(Some((
            decrypted.into_document(),
            Channel::Context { sct, secret },
        )))
    }

    /// For a Renew, Cancel or Amend that came as it is: the channel to answer on once it
    /// succeeded, signed by the target context's current key (`None` otherwise).
    pub(super) fn holder_channel(
        &self,
        doc: &Document,
        rst: &Rst,
        channel: &Channel,
        now: SystemTime,
    ) -> Option<Channel> {
        if !matches!(channel, Channel::Clear(_)) {
            return None;
        }
        let identifier = match (&rst.request_type, &rst.target) {
            (RequestType::Renew | RequestType::Cancel, Some(target)) => {
                super::target_identifier(doc, target).ok()?
            }
            (RequestType::Amend, _) => super::signing_context(doc).ok()?,
            _ => return None,
        };
        let info = self.store.info(&identifier)?;
        let secret = wsrx_security::KeyResolver::sct_secret(
            &self.store.resolver(now),
            &identifier,
            info.instance.as_deref(),
        )
        .ok()?;
        Some(Channel::Holder {
            sct: SecurityContextToken {
                version: info.version,
                identifier,
                instance: info.instance.clone(),
                wsu_id: Some("wsrx-sct-key".to_owned()),
            },
            secret,
        })
    }

    /// The request's Timestamp (the bootstrap checked its own already).
    pub(super) fn check_timestamp(
        &self,
        env: &Envelope<'_>,
        channel: &Channel,
        now: SystemTime,
    ) -> Result<(), TrustFault> {
        match channel {
            Channel::Bootstrap(_) => Ok(()),
            _ => check_request_timestamp(env, &self.config.verify, now),
        }
    }

    /// A fault for a request we could not read (or open): unprotected, with a Timestamp.
    pub(super) fn refuse_unread(
        &mut self,
        doc: &Document,
        fault: TrustFault,
        now: SystemTime,
    ) -> Reply {
        let env = Envelope::new(doc).ok();
        let soap = env.as_ref().map_or(SoapVersion::V12, Envelope::version);
        let headers = env
            .as_ref()
            .and_then(|e| AddressingHeaders::parse(e).ok().flatten());
        let channel = Channel::Clear(Transport::Unprotected);
        let answer = Answer {
            soap,
            headers: headers.as_ref(),
            channel: &channel,
            now,
        };
        self.answer(&answer, Dialect::V13, RequestType::Issue, Err(fault))
    }

    /// The answer to a request: the RSTR or the fault, protected as the channel says.
    pub(super) fn answer(
        &mut self,
        a: &Answer<'_, '_>,
        dialect: Dialect,
        kind: RequestType,
        result: Result<(Rstr, super::Outcome), TrustFault>,
    ) -> Reply {
        let security = match a.channel {
            Channel::Clear(_) => Some(timestamp_header(a.soap, a.now, ANSWER_TTL)),
            _ => None,
        };
        let fault_text = |f: TrustFault| {
            write_fault(a.soap, dialect, a.headers, security.as_deref(), f).unwrap_or_default()
        };
        let (text, outcome) = match result {
            Ok((rstr, outcome)) => match write_response(
                a.soap,
                a.headers,
                kind,
                &rstr,
                kind == RequestType::Issue,
                security.as_deref(),
            ) {
                Ok(t) => (t, Ok(outcome)),
                Err(_) => {
                    let f = TrustFault::RequestFailed("writer");
                    (fault_text(f), Err(f))
                }
            },
            Err(f) => (fault_text(f), Err(f)),
        };
        match self.seal(a.channel, dialect, &text, a.now) {
            Ok(envelope) => Reply { envelope, outcome },
            Err(_) => {
                let f = TrustFault::RequestFailed("the answer could not be protected");
                Reply {
                    envelope: write_fault(
                        a.soap,
                        dialect,
                        a.headers,
                        Some(&timestamp_header(a.soap, a.now, ANSWER_TTL)),
                        f,
                    )
                    .unwrap_or_default(),
                    outcome: Err(f),
                }
            }
        }
    }

    /// `text` protected as `channel` says (unchanged for a clear channel).
    fn seal(
        &mut self,
        channel: &Channel,
        dialect: Dialect,
        text: &str,
        now: SystemTime,
    ) -> Result<String, SecurityError> {
        match channel {
            Channel::Clear(_) => Ok(text.to_owned()),
            Channel::Bootstrap(key) => {
                let service = self
                    .config
                    .x509
                    .as_ref()
                    .ok_or(SecurityError::Usage("no X.509 service"))?;
                bootstrap::protect_response(
                    text,
                    key,
                    &service.bootstrap,
                    dialect.sc_version(),
                    now,
                    &mut self.rng,
                )
                .map_err(|_| SecurityError::Usage("bootstrap answer"))
            }
            Channel::Context { sct, secret } => {
                let doc = Document::parse(text.as_bytes())
                    .map_err(|_| SecurityError::Usage("answer not well-formed"))?;
                let config = SignConfig {
                    encrypt_body: true,
                    ..self.config.sign.clone()
                };
                Signer::new(sct, secret, config).secure(&doc, now, &mut self.rng)
            }
            // Signed, the SCT referenced by its identifier (not attached), as Metro answers.
            Channel::Holder { sct, secret } => {
                let doc = Document::parse(text.as_bytes())
                    .map_err(|_| SecurityError::Usage("answer not well-formed"))?;
                let config = SignConfig {
                    include_token: false,
                    ..self.config.sign.clone()
                };
                Signer::new(sct, secret, config).secure(&doc, now, &mut self.rng)
            }
        }
    }
}
