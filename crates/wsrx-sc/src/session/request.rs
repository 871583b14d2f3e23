//! Building the session's RSTs and reading the RSTRs that answer them.

use std::time::SystemTime;

use wsrx_crypto::SecureRandom;
use wsrx_security::x509::{X509SignConfig, X509Signer};
use wsrx_security::{SignConfig, Signer};
use wsrx_soap::{AddressingHeaders, Envelope};
use wsrx_xml::Document;

use super::{
    LossReason, Pending, SctRecord, Sealed, Session, SessionError, SessionEvent, Transmit,
};
use crate::dialect::RequestType;
use crate::entropy::{key_from_response, request_entropy};
use crate::error::{LocalError, TrustFault};
use crate::message::write_request;
use crate::sct::EstablishedSct;
use crate::trust::{BinarySecret, Lifetime, ProofToken, Rst, Rstr, SecretType};
use crate::util::new_uuid_urn;

impl<R: SecureRandom> Session<R> {
    fn new_rst(
        &mut self,
        kind: RequestType,
        now: SystemTime,
    ) -> Result<(Rst, Option<wsrx_crypto::SecretKey>), LocalError> {
        let mut rst = Rst::new(self.config.dialect, kind);
        let entropy = if matches!(kind, RequestType::Issue | RequestType::Renew) {
            if let Some(l) = self.config.lifetime {
                rst.lifetime = Some(Lifetime {
                    created: Some(now),
                    expires: Some(now + l),
                });
            }
            request_entropy(
                &mut rst,
                self.config.entropy,
                self.config.key_size_bits,
                &mut self.rng,
            )?
        } else {
            None
        };
        Ok((rst, entropy))
    }

    #[allow(clippy::too_many_arguments, reason = "one private queueing step")]
    fn queue(
        &mut self,
        endpoint: &str,
        kind: RequestType,
        message_id: String,
        envelope: String,
        entropy: Option<wsrx_crypto::SecretKey>,
        sealed: Sealed,
        now: SystemTime,
    ) -> Result<(), SessionError> {
        let action = self
            .config
            .dialect
            .rst_action(kind)
            .ok_or(LocalError::Usage("no such action in this dialect"))?;
        self.transmits.push_back(Transmit {
            endpoint: endpoint.to_owned(),
            action,
            message_id: message_id.clone(),
            envelope,
        });
        let slot = self.slots.entry(endpoint.to_owned()).or_default();
        slot.pending = Some(Pending {
            message_id,
            kind,
            entropy,
            deadline: now + self.config.response_timeout,
            sealed,
        });
        Ok(())
    }

    /// Sends the Issue RST: protected under the X.509 symmetric bootstrap when the server's
    /// certificate is configured; else with the bootstrap credentials in its security header
    /// (a UsernameToken beside a `wsu:Timestamp`, or signed with our certificate).
    ///
    /// No key material in clear (WS-Trust 1.3 §4.4, [`crate::issuer`]'s rule): outside the
    /// X.509 bootstrap and TLS (`https://`), only a mutual X.509 bootstrap may go, whose
    /// answer comes encrypted to our certificate, and never with our entropy as the key.
    pub(super) fn send_issue(
        &mut self,
        endpoint: &str,
        now: SystemTime,
    ) -> Result<(), SessionError> {
        let (mut rst, entropy) = self.new_rst(RequestType::Issue, now)?;
        let symmetric = self.config.server_certificate.clone();
        if symmetric.is_none() && !is_https(endpoint) {
            let key_in_clear = self.config.entropy == crate::EntropyMode::Requester;
            if self.config.x509.is_none() || key_in_clear {
                return Err(LocalError::Usage(
                    "key material would cross an unprotected channel: use https:// or the X.509 bootstrap",
                )
                .into());
            }
        }
        if symmetric.as_ref().is_some_and(|c| !c.is_valid_at(now)) {
            return Err(LocalError::Usage("the server's certificate is not valid now").into());
        }
        rst.context = Some(new_uuid_urn(&mut self.rng).map_err(LocalError::from)?);
        let message_id = new_uuid_urn(&mut self.rng).map_err(LocalError::from)?;
        let security = match (&self.config.credentials, &self.config.x509, &symmetric) {
            (Some(c), None, None) => {
                Some(c.security_header(self.config.soap, now, &mut self.rng)?)
            }
            // No credentials: still the Timestamp every bootstrap policy includes.
            (None, None, None) => Some(crate::issuer::timestamp_header(
                self.config.soap,
                now,
                std::time::Duration::from_secs(300),
            )),
            _ => None,
        };
        let envelope = write_request(
            self.config.soap,
            self.config.wsa,
            endpoint,
            &message_id,
            security.as_deref(),
            &rst,
        )?;
        let (envelope, sealed) = match (symmetric, self.config.x509.clone()) {
            (Some(server), _) => {
                let (envelope, key) = crate::bootstrap::protect_request(
                    &envelope,
                    &server,
                    &self.config.bootstrap,
                    self.config.dialect.sc_version(),
                    now,
                    &mut self.rng,
                )?;
                (envelope, Sealed::Bootstrap(key))
            }
            (None, Some(credential)) => {
                let doc = Document::parse(envelope.as_bytes()).map_err(|_| LocalError::Writer)?;
                let signed = X509Signer::new(&credential, X509SignConfig::default())
                    .secure(&doc, now, &mut self.rng)
                    .map_err(|_| LocalError::Usage("signing the request failed"))?;
                (signed, Sealed::No)
            }
            (None, None) => (envelope, Sealed::No),
        };
        self.queue(
            endpoint,
            RequestType::Issue,
            message_id,
            envelope,
            entropy,
            sealed,
            now,
        )
    }

    /// Sends a Renew, Cancel or Amend RST for `endpoint`'s context, signed with its key. A
    /// Renew to a plain `http://` endpoint also encrypts its Body under the context (its
    /// entropy is key material), and expects the answer encrypted the same way.
    pub(super) fn send_signed(
        &mut self,
        endpoint: &str,
        kind: RequestType,
        claims: Vec<String>,
        now: SystemTime,
    ) -> Result<(), SessionError> {
        let token = self
            .slots
            .get(endpoint)
            .and_then(|s| s.token.clone())
            .ok_or(LocalError::Usage("no context for this endpoint"))?;
        let (mut rst, entropy) = self.new_rst(kind, now)?;
        if kind != RequestType::Amend {
            rst.target = Some(token.unattached_reference());
        }
        rst.claims = claims;
        let message_id = new_uuid_urn(&mut self.rng).map_err(LocalError::from)?;
        let unsigned = write_request(
            self.config.soap,
            self.config.wsa,
            endpoint,
            &message_id,
            None,
            &rst,
        )?;
        let doc = Document::parse(unsigned.as_bytes()).map_err(|_| LocalError::Writer)?;
        let sct = token.token();
        let renew_in_clear = kind == RequestType::Renew && !is_https(endpoint);
        let envelope = match &self.config.policy {
            // The endpoint's binding (`SessionConfig::policy`), its Body encrypted too where a
            // Renew's entropy would otherwise cross plain HTTP in clear.
            Some(policy) => {
                let mut policy = policy.clone();
                policy.encrypted.body |= renew_in_clear;
                Signer::with_policy(&sct, &token.secret, &policy)
                    .secure(&doc, now, &mut self.rng)
                    .map_err(|_| LocalError::Usage("signing the request failed"))?
            }
            None => {
                let sign = SignConfig {
                    encrypt_body: renew_in_clear || self.config.sign.encrypt_body,
                    ..self.config.sign.clone()
                };
                Signer::new(&sct, &token.secret, sign)
                    .secure(&doc, now, &mut self.rng)
                    .map_err(|_| LocalError::Usage("signing the request failed"))?
            }
        };
        // A Renew's answer over plain HTTP carries the new secret: it must come encrypted. Other
        // answers to a request whose Body went encrypted are decrypted when they come so.
        let body_encrypted = self
            .config
            .policy
            .as_ref()
            .map_or(self.config.sign.encrypt_body, |p| p.encrypted.body);
        let sealed = if renew_in_clear {
            Sealed::Context(token)
        } else if body_encrypted {
            Sealed::Readable(token)
        } else {
            Sealed::No
        };
        self.queue(endpoint, kind, message_id, envelope, entropy, sealed, now)
    }

    /// Handles a response (RSTR or fault) to one of our requests.
    ///
    /// # Errors
    /// [`SessionError::Unexpected`] when `doc` answers none of our pending requests; a
    /// response that matches but cannot be used is reported through events instead.
    pub fn handle_rstr(&mut self, now: SystemTime, doc: &Document) -> Result<(), SessionError> {
        let env =
            Envelope::new(doc).map_err(|_| SessionError::Unexpected("not a SOAP envelope"))?;
        let related = AddressingHeaders::parse(&env)
            .ok()
            .flatten()
            .and_then(|h| h.relates_to.first().map(|r| r.message_id.clone()));
        let endpoint = match related {
            Some(related) => self
                .slots
                .iter()
                .find(|(_, s)| s.pending.as_ref().is_some_and(|p| p.message_id == related))
                .map(|(e, _)| e.clone())
                .ok_or(SessionError::Unexpected("answers no pending request"))?,
            // A fault without WS-Addressing headers (CXF's and Metro's security layers send
            // such faults): it can only answer our request when exactly one is pending (the
            // runtime feeds it from that request's HTTP response).
            None if env.fault().is_some() => {
                let mut pending = self
                    .slots
                    .iter()
                    .filter(|(_, s)| s.pending.is_some())
                    .map(|(e, _)| e.clone());
                match (pending.next(), pending.next()) {
                    (Some(e), None) => e,
                    _ => return Err(SessionError::Unexpected("a fault without RelatesTo")),
                }
            }
            None => return Err(SessionError::Unexpected("no addressing headers")),
        };
        let pending = self
            .slots
            .get_mut(&endpoint)
            .and_then(|s| s.pending.take())
            .ok_or(SessionError::Unexpected("answers no pending request"))?;
        let plain = match unseal(doc, &env, &pending.sealed, &self.config, now) {
            Ok(plain) => plain,
            Err(fault) => {
                self.answered(&endpoint, Err(fault), &pending, now);
                return Ok(());
            }
        };
        let env = match &plain {
            Some(d) => {
                Envelope::new(d).map_err(|_| SessionError::Unexpected("not a SOAP envelope"))?
            }
            None => env,
        };
        let answer = match env.fault() {
            Some(f) => Err(f
                .ok()
                .and_then(|f| TrustFault::from_fault(&f))
                .unwrap_or(TrustFault::RequestFailed("unrecognized fault"))),
            None => env
                .payload()
                .and_then(|p| Rstr::parse(p).ok())
                .ok_or(TrustFault::InvalidRequest("unreadable response")),
        };
        self.answered(&endpoint, answer, &pending, now);
        Ok(())
    }

    /// Acts on the answer to `pending`.
    fn answered(
        &mut self,
        endpoint: &str,
        answer: Result<Rstr, TrustFault>,
        pending: &Pending,
        now: SystemTime,
    ) {
        let endpoint = endpoint.to_owned();
        match pending.kind {
            RequestType::Issue => self.issued(&endpoint, answer, pending, now),
            RequestType::Renew => self.renewed(&endpoint, answer, pending, now),
            RequestType::Cancel => {
                if let Some(t) = self.slots.get_mut(&endpoint).and_then(|s| s.token.take()) {
                    self.persist.push_back(SctRecord::Ended {
                        identifier: t.identifier.clone(),
                    });
                    if answer.is_ok_and(|r| r.cancelled) {
                        self.events.push_back(SessionEvent::Cancelled {
                            identifier: t.identifier,
                        });
                    }
                }
            }
            RequestType::Amend => {}
        }
    }

    /// X.509 bootstrap: the RSTR with its `xenc:EncryptedKey` proof token and entropy
    /// decrypted with our certificate's key (XML-Enc §5.4.2).
    fn decrypt_key_material(&mut self, rstr: &Rstr) -> Result<Rstr, &'static str> {
        let credential = self
            .config
            .x509
            .clone()
            .ok_or("encrypted key but no certificate credential")?;
        let mut out = rstr.clone();
        if let Some(ProofToken::EncryptedKey(ek)) = &rstr.proof {
            let value = ek
                .decrypt(&credential, &mut self.rng)
                .map_err(|_| "cannot decrypt the proof token")?;
            out.proof = Some(ProofToken::BinarySecret(BinarySecret {
                kind: SecretType::SymmetricKey,
                value,
            }));
        }
        if let Some(ek) = out.encrypted_entropy.take() {
            if out.entropy.is_some() {
                return Err("two issuer entropies");
            }
            let value = ek
                .decrypt(&credential, &mut self.rng)
                .map_err(|_| "cannot decrypt the issuer entropy")?;
            out.entropy = Some(BinarySecret {
                kind: SecretType::Nonce,
                value,
            });
        }
        Ok(out)
    }

    fn established(
        &mut self,
        endpoint: &str,
        rstr: &Rstr,
        pending: &Pending,
        now: SystemTime,
    ) -> Result<EstablishedSct, &'static str> {
        let sct = rstr.token.as_ref().ok_or("no RequestedSecurityToken")?;
        if sct.version != self.config.dialect.sc_version() {
            return Err("token of another WS-SC version");
        }
        let decrypted;
        let rstr = if matches!(rstr.proof, Some(ProofToken::EncryptedKey(_)))
            || rstr.encrypted_entropy.is_some()
        {
            decrypted = self.decrypt_key_material(rstr)?;
            &decrypted
        } else {
            rstr
        };
        let secret = key_from_response(rstr, pending.entropy.as_ref(), self.config.key_size_bits)?;
        let lifetime = rstr.lifetime.unwrap_or(Lifetime {
            created: None,
            expires: None,
        });
        let created = lifetime.created.unwrap_or(now);
        let expires = lifetime
            .expires
            .or_else(|| self.config.lifetime.map(|l| created + l))
            .ok_or("no Lifetime")?;
        if expires <= now {
            return Err("already expired");
        }
        Ok(EstablishedSct {
            identifier: sct.identifier.clone(),
            instance: sct.instance.clone(),
            secret,
            created: created.min(now),
            expires,
            version: sct.version,
            endpoint: endpoint.to_owned(),
        })
    }

    fn issued(
        &mut self,
        endpoint: &str,
        answer: Result<Rstr, TrustFault>,
        pending: &Pending,
        now: SystemTime,
    ) {
        let result = answer.map_err(Some).and_then(|r| {
            self.established(endpoint, &r, pending, now)
                .map_err(|_| None)
        });
        match result {
            Ok(t) => {
                self.persist.push_back(SctRecord::New(t.clone()));
                self.events.push_back(SessionEvent::Established {
                    endpoint: endpoint.to_owned(),
                    identifier: t.identifier.clone(),
                });
                let slot = self.slots.entry(endpoint.to_owned()).or_default();
                slot.token = Some(t);
                slot.in_use = false;
            }
            Err(fault) => self.events.push_back(SessionEvent::EstablishFailed {
                endpoint: endpoint.to_owned(),
                fault,
            }),
        }
    }

    fn renewed(
        &mut self,
        endpoint: &str,
        answer: Result<Rstr, TrustFault>,
        pending: &Pending,
        now: SystemTime,
    ) {
        let Some(old) = self.slots.get(endpoint).and_then(|s| s.token.clone()) else {
            return;
        };
        let result = match answer {
            Err(f) => Err(LossReason::RenewRefused(f)),
            Ok(r) => self
                .established(endpoint, &r, pending, now)
                .map_err(LossReason::BadResponse)
                .and_then(|t| {
                    if t.identifier == old.identifier {
                        Ok(t)
                    } else {
                        Err(LossReason::BadResponse("renewal changed the identifier"))
                    }
                }),
        };
        let slot = self.slots.entry(endpoint.to_owned()).or_default();
        match result {
            Ok(t) => {
                slot.in_use = false;
                slot.token = Some(t.clone());
                self.events.push_back(SessionEvent::Renewed {
                    identifier: t.identifier.clone(),
                    instance: t.instance.clone(),
                });
                self.persist.push_back(SctRecord::Renewed(t));
            }
            Err(reason) => {
                slot.token = None;
                slot.in_use = false;
                self.lose(old.identifier, reason);
            }
        }
    }

    /// Sends an Amend RST (WS-SC 1.3/1.4 dialect) adding `claims` (XML fragments) to
    /// `endpoint`'s context, signed with its key. The response needs no handling.
    ///
    /// # Errors
    /// [`SessionError::Local`] without a live context or in the 2005/02 dialect.
    pub fn amend(
        &mut self,
        endpoint: &str,
        claims: Vec<String>,
        now: SystemTime,
    ) -> Result<(), SessionError> {
        if self.config.dialect.rst_action(RequestType::Amend).is_none() {
            return Err(LocalError::Usage("the 2005/02 dialect has no Amend").into());
        }
        self.send_signed(endpoint, RequestType::Amend, claims, now)
    }
}

/// True for an `https://` address (the channel protects what the messages carry).
fn is_https(endpoint: &str) -> bool {
    endpoint
        .get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case("https://"))
}

/// The plaintext of an answer that must come back protected (`None`: use it as it is).
/// An answer to a bootstrap request must be protected with its ephemeral key; one that is not
/// (an unprotected fault) is reported as that fault, or refused.
fn unseal(
    doc: &Document,
    env: &Envelope<'_>,
    sealed: &Sealed,
    config: &super::SessionConfig,
    now: SystemTime,
) -> Result<Option<Document>, TrustFault> {
    let unprotected_fault = || {
        env.fault()
            .and_then(Result::ok)
            .and_then(|f| TrustFault::from_fault(&f))
            .unwrap_or(TrustFault::RequestFailed(
                "answer not protected as the bootstrap requires",
            ))
    };
    match sealed {
        Sealed::No => Ok(None),
        Sealed::Readable(token) => match wsrx_security::decrypt(doc, token) {
            Ok(Some(decrypted)) => Ok(Some(decrypted.into_document())),
            Ok(None) => Ok(None),
            Err(_) => Err(TrustFault::RequestFailed(
                "answer not decryptable under the context",
            )),
        },
        Sealed::Bootstrap(key) => {
            if env.fault().is_some() && !lists_encrypted_key_use(env) {
                return Err(unprotected_fault());
            }
            crate::bootstrap::open_response(doc, key, &config.bootstrap, now)
                .map(Some)
                .map_err(|_| TrustFault::RequestFailed("answer not protected by our bootstrap key"))
        }
        Sealed::Context(token) => {
            if env.fault().is_some() && !lists_encrypted_key_use(env) {
                return Err(unprotected_fault());
            }
            let resolver = token;
            let decrypted = wsrx_security::decrypt(doc, resolver)
                .map_err(|_| TrustFault::RequestFailed("answer not encrypted under the context"))?
                .ok_or(TrustFault::RequestFailed(
                    "answer not encrypted under the context",
                ))?;
            let plain = decrypted.into_document();
            let verified = wsrx_security::Verifier::new(wsrx_security::VerifyConfig::default())
                .verify(&plain, resolver, now)
                .map_err(|_| TrustFault::RequestFailed("answer not signed by the context"))?;
            wsrx_security::Policy {
                expected_context: Some(token.identifier.clone()),
                ..wsrx_security::Policy::default()
            }
            .check(&verified)
            .map_err(|_| TrustFault::RequestFailed("answer not signed by the context"))?;
            drop(verified);
            Ok(Some(plain))
        }
    }
}

/// True when the message's security header holds anything (a protected answer).
fn lists_encrypted_key_use(env: &Envelope<'_>) -> bool {
    env.headers_named(crate::dialect::WSSE, "Security")
        .flat_map(|s| s.child_elements())
        .any(|e| e.local_name() == "Signature" || e.local_name() == "ReferenceList")
}
